// `mamori authz lint`: unreachable, shadowed, contradictory rules, and no false alarms on
// rules that can decide.

#include <gtest/gtest.h>

#include "mamori/authz/lint.hpp"

namespace mamori::authz {
namespace {

std::vector<std::string> lint(std::string_view yaml) {
  diagnostics diag;
  auto p = load_policy_text(yaml, "lint.yaml", diag);
  EXPECT_TRUE(p.has_value());
  std::vector<std::string> out;
  if (!p) return out;
  for (const auto& d : lint_policy(*p)) out.push_back(render(d));
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

TEST(AuthzLint, DenyCoveringAllowMakesItUnreachable) {
  auto out = lint(R"(rules:
  - name: no-contractors
    effect: deny
    who: {groups: [contractors]}
applications:
  - name: app
    hosts: [a.example.com]
    rules:
      - name: contractors-read
        effect: allow
        paths: [/docs/*]
        who: {groups: [contractors]}
        how: {mfa: true}
      - name: staff
        effect: allow
        who: {groups: [staff]}
)");
  ASSERT_EQ(out.size(), 1u) << joined(out);
  EXPECT_EQ(out[0],
            "lint.yaml:9: error: rule 'contractors-read' is unreachable: every request it matches "
            "is denied by 'no-contractors' (line 2); deny overrides (application 'app') (hint: "
            "narrow the deny rule or remove this one)");
}

TEST(AuthzLint, IdenticalAllowAndDenyAreContradictory) {
  auto out = lint(R"(applications:
  - name: app
    hosts: [a.example.com]
    rules:
      - {name: let-in, effect: allow, paths: [/x/*], who: {groups: [g]}, where: {countries: [JP]}}
      - {name: keep-out, effect: deny, paths: [/x/*], who: {groups: [g]}, where: {countries: [JP]}}
      - {name: other, effect: allow, who: {groups: [h]}}
)");
  ASSERT_EQ(out.size(), 1u) << joined(out);
  EXPECT_NE(out[0].find("lint.yaml:5: error: rules 'let-in' and 'keep-out' are contradictory"),
            std::string::npos)
      << out[0];
}

TEST(AuthzLint, EarlierBroaderRuleShadowsLaterOne) {
  auto out = lint(R"(applications:
  - name: app
    hosts: [a.example.com]
    rules:
      - {name: employees, effect: allow, who: {groups: [staff, admins]}, how: {mfa: true}}
      - name: admins-on-admin
        effect: allow
        paths: [/admin/*]
        who: {groups: [admins]}
        how: {mfa: true, max_auth_age: 1h}
        device: {managed: true}
)");
  ASSERT_EQ(out.size(), 1u) << joined(out);
  EXPECT_NE(out[0].find("lint.yaml:6: warning: rule 'admins-on-admin' is shadowed by 'employees' "
                        "(line 5): every request it matches is already allowed"),
            std::string::npos)
      << out[0];
}

TEST(AuthzLint, SelfContradictions) {
  auto out = lint(R"(applications:
  - name: app
    hosts: [a.example.com]
    rules:
      - {name: geo, effect: allow, where: {countries: [JP], not_countries: [JP, KR]}}
      - {name: risk, effect: allow, risk: {user_min: 50, user_max: 40}}
      - {name: ghost, effect: allow, device: {known: false, managed: true}}
      - {name: quarantine, effect: allow, device: {isolated: true}}
      - {name: nets, effect: allow, where: {networks: [10.1.0.0/16], not_networks: [10.0.0.0/8]}}
)");
  const std::string all = joined(out);
  EXPECT_NE(all.find("lint.yaml:5: error: rule 'geo' can never match: every country in "
                     "`countries` is also in `not_countries`"),
            std::string::npos)
      << all;
  EXPECT_NE(
      all.find("lint.yaml:6: error: rule 'risk' can never match: user risk must be ≥ 50 and < 40"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("lint.yaml:7: error: rule 'ghost' can never match"), std::string::npos) << all;
  EXPECT_NE(
      all.find("lint.yaml:8: error: rule 'quarantine' is unreachable: it needs an isolated device"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("lint.yaml:9: error: rule 'nets' can never match"), std::string::npos) << all;
}

TEST(AuthzLint, StepUpUnderDenyAndAppWithoutAllow) {
  auto out = lint(R"(applications:
  - name: app
    hosts: [a.example.com]
    rules:
      - {name: block-admin, effect: deny, paths: [/admin/*]}
      - {name: admin-mfa, effect: step_up, paths: [/admin/users], how: {mfa: true}}
)");
  const std::string all = joined(out);
  EXPECT_NE(all.find("lint.yaml:2: warning: application 'app' has no allow rule"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("lint.yaml:6: error: rule 'admin-mfa' is unreachable"), std::string::npos)
      << all;
}

TEST(AuthzLint, NoFalseAlarmsOnRulesThatCanDecide) {
  auto out = lint(R"(networks:
  corp: [10.0.0.0/8]
rules:
  - {name: night-block, effect: deny, when: {hours: "22:00-06:00"}, who: {groups: [vendors]}}
applications:
  - name: app
    hosts: [a.example.com]
    rules:
      - {name: no-contractors-admin, effect: deny, paths: [/admin/*], who: {groups: [contractors]}}
      - {name: vendors-day, effect: allow, who: {groups: [vendors]}, when: {hours: "08:00-18:00"}}
      - {name: admins, effect: allow, paths: [/admin/*], who: {groups: [admins]}}
      - {name: corp-staff, effect: allow, who: {groups: [staff]}, where: {networks: [corp]}}
      - {name: remote-staff, effect: allow, who: {groups: [staff]}, how: {mfa: true}}
      - {name: public-health, effect: allow, public: true, paths: [/healthz]}
      - {name: risky-deny, effect: deny, risk: {user_min: 90}}
      - {name: calm, effect: allow, who: {groups: [ops]}, risk: {user_max: 50}}
)");
  EXPECT_TRUE(out.empty()) << joined(out);
}

TEST(AuthzLint, ShippedExamplePolicyIsClean) {
  diagnostics diag;
  auto p =
      load_policy_file(std::string(MAMORI_SOURCE_DIR) + "/docs/examples/authz/policy.yaml", diag);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  std::string all;
  for (const auto& d : lint_policy(*p)) all += render(d) + "\n";
  EXPECT_TRUE(all.empty()) << all;
}

TEST(AuthzLint, CoversIsConditionWise) {
  diagnostics diag;
  auto p = load_policy_text(R"(applications:
  - name: app
    hosts: [a.example.com]
    rules:
      - {name: a, effect: deny, where: {networks: [10.0.0.0/8]}, when: {days: mon-fri}}
      - {name: b, effect: allow, where: {networks: [10.1.0.0/16]}, when: {days: [tue, wed]}}
      - {name: c, effect: allow, where: {networks: [10.1.0.0/16, 192.168.0.0/16]}}
      - {name: d, effect: allow, risk: {user_max: 20}, how: {max_auth_age: 30m}}
      - {name: e, effect: allow, risk: {user_max: 40}, how: {max_auth_age: 1h}}
)",
                            "x.yaml", diag);
  ASSERT_TRUE(p);
  const auto& r = p->applications[0].rules;
  EXPECT_TRUE(rule_covers(r[0], r[1]));
  EXPECT_FALSE(rule_covers(r[0], r[2]));  // 192.168/16 is outside 10/8, and no day limit
  EXPECT_FALSE(rule_covers(r[1], r[0]));
  EXPECT_TRUE(rule_covers(r[4], r[3]));  // stricter risk and auth age
  EXPECT_FALSE(rule_covers(r[3], r[4]));
}

}  // namespace
}  // namespace mamori::authz
