// Policy semantics: loader diagnostics, precedence, scope, every condition family, guards,
// reasons, time zones, and hot reload under concurrent decisions.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "mamori/authz/engine.hpp"
#include "mamori/authz/json_io.hpp"
#include "mamori/authz/risk_feed.hpp"
#include "mamori/authz/timezone.hpp"
#include "mamori/event/time.hpp"

namespace mamori::authz {
namespace {

std::int64_t at(std::string_view iso) {
  return *timeparse::iso8601(iso);
}

std::shared_ptr<const compiled_policy> compile(std::string_view yaml, std::uint64_t gen = 1) {
  std::vector<std::string> errs;
  diagnostics diag([&](const diagnostic& d) { errs.push_back(render(d)); });
  auto p = load_policy_text(yaml, "test.yaml", diag);
  EXPECT_TRUE(p.has_value()) << (errs.empty() ? p.error().message : errs.front());
  if (!p) return nullptr;
  auto c = compiled_policy::compile(std::move(*p), gen);
  EXPECT_TRUE(c.has_value()) << c.error().message;
  return c ? *c : nullptr;
}

std::vector<std::string> load_errors(std::string_view yaml) {
  std::vector<std::string> errs;
  diagnostics diag([&](const diagnostic& d) { errs.push_back(render(d)); });
  auto p = load_policy_text(yaml, "bad.yaml", diag);
  EXPECT_FALSE(p.has_value());
  return errs;
}

bool contains(const std::vector<std::string>& v, std::string_view needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

struct fixture {
  std::shared_ptr<const compiled_policy> policy;
  signal_store store;
  principal who;
  access_request req;

  explicit fixture(std::string_view yaml) : policy(compile(yaml)) {
    who.user = "alice";
    who.mfa = true;
    who.auth_time = at("2026-03-02T00:00:00Z") / 1'000'000'000;
    who.issued_at = who.auth_time;
    who.session_id = "s1";
    req.host = "app.example.com";
    req.path = "/";
    req.method = "GET";
    req.time_ns = at("2026-03-02T01:00:00Z");  // Monday 10:00 in Tokyo
    req.who = &who;
  }
  decision decide() { return policy->decide(req, *store.snapshot()); }
  outcome result() { return decide().result; }
  std::string rule() {
    auto d = decide();
    return d.rule >= 0 ? policy->rule_at(d.rule).src->name : std::string("-");
  }
  std::string reason() {
    auto snap = store.snapshot();
    return policy->reason(policy->decide(req, *snap), req, *snap);
  }
  std::int64_t now() const { return req.time_ns / 1'000'000'000; }
};

constexpr std::string_view precedence_policy = R"(
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - name: staff
        effect: allow
        who: {groups: [staff]}
      - name: no-contractors-on-admin
        effect: deny
        paths: [/admin/*]
        who: {groups: [contractors]}
      - name: admin-mfa
        effect: step_up
        paths: [/admin/*]
        how: {mfa: true, max_auth_age: 1h}
      - name: finance
        effect: allow
        paths: [/finance/*]
        who: {groups: [finance]}
        how: {mfa: true}
      - name: health
        effect: allow
        public: true
        paths: [/healthz]
)";

TEST(AuthzPolicy, DenyOverridesAllowRegardlessOfOrder) {
  fixture f(precedence_policy);
  f.who.groups = {"staff", "contractors"};
  f.req.path = "/admin/x";
  f.who.auth_time = f.now() - 60;
  EXPECT_EQ(f.result(), outcome::deny);
  EXPECT_EQ(f.rule(), "no-contractors-on-admin");
  EXPECT_NE(f.reason().find("denied by rule 'no-contractors-on-admin'"), std::string::npos)
      << f.reason();
  f.req.path = "/other";
  EXPECT_EQ(f.result(), outcome::allow);
  EXPECT_EQ(f.rule(), "staff");
}

TEST(AuthzPolicy, StepUpRuleFiresOnlyWhenHowFails) {
  fixture f(precedence_policy);
  f.who.groups = {"staff"};
  f.req.path = "/admin/x";
  f.who.auth_time = f.now() - 2 * 3600;  // authenticated 2h ago, rule wants 1h
  EXPECT_EQ(f.result(), outcome::step_up);
  EXPECT_EQ(f.rule(), "admin-mfa");
  EXPECT_NE(f.reason().find("authenticated 2h ago (more than 1h)"), std::string::npos)
      << f.reason();
  f.who.auth_time = f.now() - 600;
  EXPECT_EQ(f.result(), outcome::allow);
  f.who.mfa = false;
  EXPECT_EQ(f.result(), outcome::step_up);
}

TEST(AuthzPolicy, AllowFailingOnlyOnHowBecomesStepUp) {
  fixture f(precedence_policy);
  f.who.groups = {"finance"};
  f.who.mfa = false;
  f.req.path = "/finance/q1";
  EXPECT_EQ(f.result(), outcome::step_up);
  EXPECT_EQ(f.rule(), "finance");
  // Not in the group: the failure is not about `how`, so no step-up: default deny.
  f.who.groups = {"sales"};
  EXPECT_EQ(f.result(), outcome::deny);
  auto d = f.decide();
  EXPECT_EQ(d.why, guard::default_deny);
  EXPECT_NE(f.reason().find("closest rule 'staff'"), std::string::npos) << f.reason();
}

TEST(AuthzPolicy, AnonymousIsUnauthenticatedUnlessPublic) {
  fixture f(precedence_policy);
  f.req.who = nullptr;
  EXPECT_EQ(f.result(), outcome::unauthenticated);
  f.req.path = "/healthz";
  EXPECT_EQ(f.result(), outcome::allow);
  EXPECT_EQ(f.rule(), "health");
  f.req.path = "/healthz/x";  // exact path only
  EXPECT_EQ(f.result(), outcome::unauthenticated);
}

TEST(AuthzPolicy, UnknownHostIsDenied) {
  fixture f(precedence_policy);
  f.who.groups = {"staff"};
  f.req.host = "other.example.com";
  auto d = f.decide();
  EXPECT_EQ(d.result, outcome::deny);
  EXPECT_EQ(d.why, guard::no_application);
  EXPECT_NE(f.reason().find("no application serves host 'other.example.com'"), std::string::npos);
}

TEST(AuthzPolicy, HostMatchingIgnoresPortCaseAndUsesWildcards) {
  fixture f(R"(
applications:
  - name: exact
    hosts: [app.example.com]
    rules: [{name: a, effect: allow}]
  - name: wild
    hosts: ["*.corp.example.com"]
    rules: [{name: b, effect: allow}]
  - name: rest
    hosts: ["*"]
    rules: [{name: c, effect: allow}]
)");
  auto app = [&](std::string_view host) {
    return f.policy->app_at(f.policy->find_application(host)).src->name;
  };
  EXPECT_EQ(app("APP.Example.com:8443"), "exact");
  EXPECT_EQ(app("app.example.com."), "exact");
  EXPECT_EQ(app("wiki.corp.example.com"), "wild");
  EXPECT_EQ(app("a.b.corp.example.com"), "wild");
  EXPECT_EQ(app("corp.example.com"), "rest");
  EXPECT_EQ(app("[2001:db8::1]:443"), "rest");
}

TEST(AuthzPolicy, PathsAreNormalisedBeforeScopeMatching) {
  EXPECT_EQ(normalize_path("/public/../admin/x?y=1"), "/admin/x");
  EXPECT_EQ(normalize_path("/public/%2e%2e/admin"), "/admin");
  EXPECT_EQ(normalize_path("//admin///x/./"), "/admin/x/");
  EXPECT_EQ(normalize_path("/../../etc"), "/etc");
  EXPECT_EQ(normalize_path(""), "/");
  EXPECT_EQ(normalize_path("http://h.example/a/b"), "/a/b");
  fixture f(precedence_policy);
  f.who.groups = {"staff", "contractors"};
  const std::string p = normalize_path("/public/..%2Fadmin/panel");
  f.req.path = p;
  EXPECT_EQ(f.result(), outcome::deny);
}

TEST(AuthzPolicy, MethodsRestrictScope) {
  fixture f(R"(
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - {name: read, effect: allow, methods: [GET, HEAD], who: {groups: [viewers]}}
      - {name: write, effect: allow, methods: [POST], who: {groups: [editors]}}
)");
  f.who.groups = {"viewers"};
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.method = "post";
  EXPECT_EQ(f.result(), outcome::deny);
  f.who.groups = {"editors"};
  EXPECT_EQ(f.result(), outcome::allow);
  EXPECT_EQ(f.rule(), "write");
}

TEST(AuthzPolicy, WhoConditions) {
  fixture f(R"(
groups:
  oncall: [alice]
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - {name: named-users, effect: allow, paths: [/u], who: {users: [bob, alice]}}
      - {name: static-group, effect: allow, paths: [/s], who: {groups: [oncall]}}
      - {name: both-groups, effect: allow, paths: [/b], who: {all_groups: [sre, db]}}
      - {name: role, effect: allow, paths: [/r], who: {roles: [approver]}}
      - name: claims
        effect: allow
        paths: [/c]
        who: {claims: {department: [eng, sre], realm_access.roles: admin}}
)");
  f.req.path = "/u";
  EXPECT_EQ(f.result(), outcome::allow);
  f.who.user = "carol";
  EXPECT_EQ(f.result(), outcome::deny);
  f.req.path = "/s";  // carol is not in the static group, alice is
  EXPECT_EQ(f.result(), outcome::deny);
  f.who.user = "alice";
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.path = "/b";
  f.who.groups = {"sre"};
  EXPECT_EQ(f.result(), outcome::deny);
  EXPECT_NE(f.reason().find("alice is not in [db]"), std::string::npos) << f.reason();
  f.who.groups = {"db", "sre"};
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.path = "/r";
  EXPECT_EQ(f.result(), outcome::deny);
  f.who.roles = {"approver"};
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.path = "/c";
  f.who.claims = {{"department", "eng"}};
  EXPECT_EQ(f.result(), outcome::deny);
  f.who.claims.emplace_back("realm_access.roles", "admin");
  EXPECT_EQ(f.result(), outcome::allow);
}

constexpr std::string_view device_policy = R"(
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - name: managed
        effect: allow
        device:
          managed: true
          encrypted: true
          max_patch_age: 30d
          forbidden_software: [AnyDesk]
)";

TEST(AuthzPolicy, DeviceConditionsUseLivePosture) {
  fixture f(device_policy);
  f.req.device_id = "laptop-1";
  EXPECT_EQ(f.result(), outcome::deny);  // unknown device
  EXPECT_NE(f.reason().find("device laptop-1 has no posture report"), std::string::npos)
      << f.reason();
  device_posture p;
  p.managed = true;
  p.encrypted = true;
  p.patched_at = f.now() - 10 * 86400;
  p.software = {"firefox"};
  f.store.begin().report_posture("laptop-1", p);
  EXPECT_EQ(f.result(), outcome::allow);
  p.software = {"anydesk", "firefox"};
  f.store.begin().report_posture("laptop-1", p);
  EXPECT_EQ(f.result(), outcome::deny);
  EXPECT_NE(f.reason().find("forbidden software [anydesk]"), std::string::npos) << f.reason();
  p.software = {};
  p.patched_at = f.now() - 45 * 86400;
  f.store.begin().report_posture("laptop-1", p);
  EXPECT_EQ(f.result(), outcome::deny);
  EXPECT_NE(f.reason().find("patched 45d ago (more than 30d)"), std::string::npos) << f.reason();
}

TEST(AuthzPolicy, IsolatedDeviceIsDeniedBeforeRules) {
  fixture f(device_policy);
  f.req.device_id = "laptop-1";
  device_posture p;
  p.managed = p.encrypted = true;
  p.patched_at = f.now();
  f.store.begin().report_posture("laptop-1", p);
  EXPECT_EQ(f.result(), outcome::allow);
  f.store.begin().set_isolated("laptop-1", true, "case 42: ransomware", f.now());
  auto d = f.decide();
  EXPECT_EQ(d.result, outcome::deny);
  EXPECT_EQ(d.why, guard::device_isolated);
  EXPECT_EQ(f.reason(), "device laptop-1 is isolated: case 42: ransomware");
  f.store.begin().set_isolated("laptop-1", false, "", f.now());
  EXPECT_EQ(f.result(), outcome::allow);
  // The device named by the credential counts when the request names none.
  f.req.device_id = {};
  f.who.device_id = "laptop-1";
  f.store.begin().set_isolated("laptop-1", true, "", f.now());
  EXPECT_EQ(f.result(), outcome::deny);
}

TEST(AuthzPolicy, IsolationGuardCanBeTurnedOffForExplicitRules) {
  fixture f(R"(
defaults: {deny_isolated_devices: false}
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - {name: quarantine-portal, effect: allow, paths: [/remediate/*], device: {isolated: true}}
      - {name: normal, effect: allow, device: {isolated: false}}
)");
  f.req.device_id = "pc";
  EXPECT_EQ(f.result(), outcome::allow);
  f.store.begin().set_isolated("pc", true, "", f.now());
  EXPECT_EQ(f.result(), outcome::deny);
  f.req.path = "/remediate/update";
  EXPECT_EQ(f.result(), outcome::allow);
  EXPECT_EQ(f.rule(), "quarantine-portal");
}

TEST(AuthzPolicy, RevokedSessionsNeedSignInAgain) {
  fixture f(precedence_policy);
  f.who.groups = {"staff"};
  EXPECT_EQ(f.result(), outcome::allow);
  f.store.begin().revoke_session("s1", f.now() + 3600, "stolen cookie");
  auto d = f.decide();
  EXPECT_EQ(d.result, outcome::unauthenticated);
  EXPECT_EQ(d.why, guard::session_revoked);
  EXPECT_NE(f.reason().find("session s1 was revoked: stolen cookie"), std::string::npos);
  f.who.session_id = "s2";  // a new session
  EXPECT_EQ(f.result(), outcome::allow);
  // Revoking all sessions of the user issued up to now.
  f.store.begin().revoke_user_sessions("alice", f.now(), "password reset");
  EXPECT_EQ(f.result(), outcome::unauthenticated);
  f.who.issued_at = f.now() + 1;  // signed in again afterwards
  EXPECT_EQ(f.result(), outcome::allow);
}

TEST(AuthzPolicy, WhereConditions) {
  fixture f(R"(
networks:
  corp: [10.0.0.0/8, "2001:db8::/32"]
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - {name: geo-block, effect: deny, where: {countries: [KP]}}
      - {name: corp, effect: allow, where: {networks: [corp], not_countries: [RU]}}
)");
  EXPECT_EQ(f.result(), outcome::deny);  // no country: not_countries cannot hold
  EXPECT_NE(f.reason().find("source country unknown"), std::string::npos) << f.reason();
  f.req.country = "JP";
  EXPECT_EQ(f.result(), outcome::deny);  // no source address: the network condition fails
  EXPECT_NE(f.reason().find("source address unknown"), std::string::npos) << f.reason();
  f.req.source_ip = ip_address::parse("10.9.8.7");
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.country = "RU";
  EXPECT_EQ(f.result(), outcome::deny);
  f.req.country = "KP";
  EXPECT_EQ(f.rule(), "geo-block");
  f.req.country = "DE";
  f.req.source_ip = ip_address::parse("2001:db8:1::5");
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.source_ip = ip_address::parse("11.0.0.1");
  EXPECT_EQ(f.result(), outcome::deny);
  EXPECT_NE(f.reason().find("source 11.0.0.1 is outside [corp]"), std::string::npos) << f.reason();
}

TEST(AuthzPolicy, HoursAndDaysInTheRuleTimeZone) {
  fixture f(R"(
defaults: {timezone: Asia/Tokyo}
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - {name: office, effect: allow, paths: [/o], when: {days: mon-fri, hours: "08:00-18:00"}}
      - {name: night, effect: allow, paths: [/n], when: {days: [mon], hours: "22:00-06:00"}}
      - name: berlin
        effect: allow
        paths: [/b]
        when: {hours: "09:00-10:00", timezone: Europe/Berlin}
)");
  f.req.path = "/o";
  f.req.time_ns = at("2026-03-02T01:00:00Z");  // Mon 10:00 JST
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.time_ns = at("2026-03-02T09:30:00Z");  // Mon 18:30 JST
  EXPECT_EQ(f.result(), outcome::deny);
  EXPECT_NE(f.reason().find("local time 18:30 (Asia/Tokyo) is outside [08:00-18:00]"),
            std::string::npos)
      << f.reason();
  f.req.time_ns = at("2026-02-28T01:00:00Z");  // Sat 10:00 JST
  EXPECT_EQ(f.result(), outcome::deny);
  // A range across midnight belongs to the day it starts: Monday 23:00 and Tuesday 05:00.
  f.req.path = "/n";
  f.req.time_ns = at("2026-03-02T14:00:00Z");  // Mon 23:00 JST
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.time_ns = at("2026-03-02T20:00:00Z");  // Tue 05:00 JST
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.time_ns = at("2026-03-01T20:00:00Z");  // Mon 05:00 JST (Sunday's night)
  EXPECT_EQ(f.result(), outcome::deny);
  // Daylight saving time: 09:30 in Berlin is 08:30Z in winter, 07:30Z in summer.
  f.req.path = "/b";
  f.req.time_ns = at("2026-01-15T08:30:00Z");
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.time_ns = at("2026-07-15T07:30:00Z");
  EXPECT_EQ(f.result(), outcome::allow);
  f.req.time_ns = at("2026-07-15T08:30:00Z");  // 10:30 CEST
  EXPECT_EQ(f.result(), outcome::deny);
}

TEST(AuthzPolicy, RiskThresholdsWithDecay) {
  fixture f(R"(
defaults: {risk_half_life: 1h}
rules:
  - {name: block-risky, effect: deny, risk: {user_min: 80}}
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - {name: low-risk, effect: allow, risk: {user_max: 30, device_max: 50}}
)");
  f.store.set_risk_half_life(3600);
  EXPECT_EQ(f.result(), outcome::allow);
  const std::int64_t t0 = f.now();
  f.store.begin().set_user_risk("alice", 100, "impossible travel", t0);
  EXPECT_EQ(f.rule(), "block-risky");
  EXPECT_NE(f.reason().find("user risk 100 is at or above 80 (impossible travel)"),
            std::string::npos)
      << f.reason();
  f.req.time_ns = (t0 + 3600) * 1'000'000'000;  // halved: 50, below 80, not below 30
  EXPECT_EQ(f.result(), outcome::deny);
  EXPECT_EQ(f.decide().why, guard::default_deny);
  f.req.time_ns = (t0 + 2 * 3600) * 1'000'000'000;  // 25
  EXPECT_EQ(f.result(), outcome::allow);
  // add_* builds on the decayed value.
  f.store.begin().add_user_risk("alice", 10, "new finding", t0 + 2 * 3600);
  auto u = f.store.snapshot()->user("alice");
  ASSERT_NE(u, nullptr);
  EXPECT_NEAR(u->risk.score, 35.0, 1e-9);
  f.req.device_id = "pc";
  f.store.begin().set_device_risk("pc", 60, "malware", t0);
  f.store.begin().add_user_risk("alice", -35, "", t0 + 2 * 3600);
  EXPECT_EQ(f.result(), outcome::allow);  // device risk 60 decayed twice = 15
}

TEST(AuthzPolicy, LoaderReportsEveryErrorWithLine) {
  auto errs = load_errors(R"(applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - name: r1
        effect: permit
      - name: r2
        effect: allow
        who: {group: [x]}
      - effect: allow
      - name: r4
        effect: step_up
      - name: r5
        effect: allow
        where: {networks: [nowhere], countries: [JPN]}
        when: {hours: "9-17", timezone: Mars/Olympus}
        device: {max_patch_age: soon}
)");
  EXPECT_TRUE(contains(errs, "bad.yaml:6: error: unknown effect 'permit'")) << errs.size();
  EXPECT_TRUE(contains(errs, "bad.yaml:9: error: unknown key 'group' in `who`"));
  EXPECT_TRUE(contains(errs, "bad.yaml:10: error: a rule needs a `name`"));
  EXPECT_TRUE(contains(errs, "bad.yaml:11: error: step_up rule 'r4' needs a `how:` block"));
  EXPECT_TRUE(contains(errs, "bad.yaml:15: error: networks: 'nowhere' is neither a network name"));
  EXPECT_TRUE(contains(errs, "bad.yaml:15: error: countries: 'JPN' is not an ISO 3166-1"));
  EXPECT_TRUE(contains(errs, "bad.yaml:16: error: hours '9-17' is not a range"));
  EXPECT_TRUE(contains(errs, "bad.yaml:16: error: unknown time zone 'Mars/Olympus'"));
  EXPECT_TRUE(contains(errs, "bad.yaml:17: error: max_patch_age must be a duration"));
  for (const auto& e : errs) std::printf("%s\n", e.c_str());
}

TEST(AuthzPolicy, LoaderRejectsDuplicatesAndBadYaml) {
  auto errs = load_errors(R"(applications:
  - name: a
    hosts: [x.example.com]
    rules: [{name: r, effect: allow}, {name: r, effect: deny}]
)");
  EXPECT_TRUE(contains(errs, "bad.yaml:4: error: rule name 'r' is used twice"));
  errs = load_errors(R"(applications:
  - name: a
    hosts: [x.example.com]
    rules: [{name: r, effect: allow}]
  - name: b
    hosts: [X.example.com]
)");
  EXPECT_TRUE(
      contains(errs, "bad.yaml:6: error: host 'x.example.com' already belongs to application 'a'"));
  auto yaml = load_errors("applications: [\n  {name: a\n");
  ASSERT_FALSE(yaml.empty());
  EXPECT_NE(yaml[0].find("bad.yaml:"), std::string::npos);
  EXPECT_NE(yaml[0].find("invalid YAML"), std::string::npos);
}

TEST(AuthzPolicy, ExplanationListsEveryRule) {
  fixture f(precedence_policy);
  f.who.groups = {"finance"};
  f.who.mfa = false;
  f.req.path = "/finance/x";
  auto e = f.policy->explain(f.req, *f.store.snapshot());
  EXPECT_EQ(e.d.result, outcome::step_up);
  ASSERT_EQ(e.rules.size(), 5u);
  EXPECT_EQ(f.policy->rule_at(e.rules[0].rule).src->name, "staff");  // declaration order
  EXPECT_FALSE(e.rules[0].matched);
  EXPECT_EQ(e.rules[0].failures.at(0), "alice is in none of the groups [staff]");
  EXPECT_FALSE(e.rules[1].in_scope);
  EXPECT_EQ(e.rules[1].scope_note, "path /finance/x is not in [/admin/*]");
  EXPECT_TRUE(e.rules[3].how_only);
  EXPECT_EQ(e.rules[3].failures.at(0), "signed in without MFA");
  const std::string json = explanation_json(*f.policy, e);
  EXPECT_NE(json.find("\"decision\":\"step_up\""), std::string::npos);
  EXPECT_NE(json.find("\"needs_step_up\":true"), std::string::npos);
}

TEST(AuthzTimeZone, TzifAndPosixRules) {
  auto berlin = time_zone::load("Europe/Berlin");
  if (!berlin) GTEST_SKIP() << "tzdata not installed: " << berlin.error().message;
  EXPECT_EQ((*berlin)->offset_at(at("2026-01-15T12:00:00Z") / 1'000'000'000), 3600);
  EXPECT_EQ((*berlin)->offset_at(at("2026-07-15T12:00:00Z") / 1'000'000'000), 7200);
  // DST starts 2026-03-29 01:00Z.
  EXPECT_EQ((*berlin)->offset_at(at("2026-03-29T00:59:59Z") / 1'000'000'000), 3600);
  EXPECT_EQ((*berlin)->offset_at(at("2026-03-29T01:00:00Z") / 1'000'000'000), 7200);
  // Beyond the transitions in the file (2037), the POSIX footer rule applies.
  EXPECT_EQ((*berlin)->offset_at(at("2090-07-01T00:00:00Z") / 1'000'000'000), 7200);
  EXPECT_EQ((*berlin)->offset_at(at("2090-12-01T00:00:00Z") / 1'000'000'000), 3600);
  auto rule = time_zone::parse_posix("AEST-10AEDT,M10.1.0,M4.1.0/3");  // southern hemisphere
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->std_offset, 36000);
  EXPECT_EQ(rule->dst_offset, 39600);
  EXPECT_EQ(rule->start.month, 10);
  EXPECT_EQ(rule->end.time, 3 * 3600);
  auto fixed = time_zone::load("+05:30");
  ASSERT_TRUE(fixed);
  EXPECT_EQ((*fixed)->offset_at(0), 19800);
  EXPECT_FALSE(time_zone::load("../../etc/passwd"));
  EXPECT_FALSE(time_zone::parse_posix("CET-1CEST,M3.5"));
}

TEST(AuthzSignals, JsonUpdatesAreAllOrNothing) {
  signal_store store;
  auto bad = apply_signals_json(
      R"({"devices":[{"id":"a","managed":true},{"managed":true}],"isolate":[{"device":"b"}]})",
      store, 1000);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "signals.devices[1]: a device needs an \"id\"");
  EXPECT_EQ(store.snapshot()->devices(), 0u);
  auto ok = apply_signals_json(
      R"({"devices":[{"id":"a","managed":true,"software":["AnyDesk"],"patched_at":"2026-01-01T00:00:00Z"}],
          "isolate":[{"device":"b","reason":"case 7"}],
          "revoke":[{"session":"s9"},{"user":"bob","reason":"offboarded"}],
          "risk":[{"user":"bob","score":70},{"device":"a","add":5}]})",
      store, 1000);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, 6u);
  auto snap = store.snapshot();
  ASSERT_NE(snap->device("a"), nullptr);
  EXPECT_TRUE(snap->device("a")->posture.has_software("anydesk"));
  EXPECT_EQ(snap->device("a")->posture.patched_at, at("2026-01-01T00:00:00Z") / 1'000'000'000);
  EXPECT_TRUE(snap->device("b")->isolated);
  EXPECT_NE(snap->session("s9"), nullptr);
  EXPECT_EQ(snap->user("bob")->revoked_before, 1000);
  EXPECT_EQ(snap->user("bob")->risk.score, 70);
  EXPECT_EQ(snap->device("a")->risk.score, 5);
}

TEST(AuthzSignals, SnapshotsAreImmutableAndWritesCopyOneShard) {
  signal_store store;
  {
    auto tx = store.begin();
    for (int i = 0; i < 1000; ++i) tx.report_posture("dev-" + std::to_string(i), {});
  }
  auto before = store.snapshot();
  const auto v = store.version();
  store.begin().set_isolated("dev-7", true, "x", 1);
  auto after = store.snapshot();
  EXPECT_EQ(store.version(), v + 1);
  EXPECT_FALSE(before->device("dev-7")->isolated);  // the old snapshot did not change
  EXPECT_TRUE(after->device("dev-7")->isolated);
  // Unchanged devices are shared between the snapshots (same address): one shard of 64 was
  // copied, so about 1000/64 entries moved and the rest did not.
  int shared = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "dev-" + std::to_string(i);
    if (before->device(id) == after->device(id)) ++shared;
  }
  EXPECT_GT(shared, 900);
  EXPECT_LT(shared, 1000);
  EXPECT_NE(before->device("dev-7"), after->device("dev-7"));
  // A transaction that changes nothing publishes nothing.
  { auto tx = store.begin(); }
  EXPECT_EQ(store.version(), v + 1);
}

// Hot reload under concurrent decisions: every decision is made entirely under one policy
// generation (allow under odd generations, deny under even ones), none fails, none waits.
TEST(AuthzReload, AtomicUnderConcurrentDecisions) {
  constexpr std::string_view allow_yaml = R"(
applications:
  - name: app
    hosts: [app.example.com]
    rules: [{name: everyone, effect: allow}]
)";
  constexpr std::string_view deny_yaml = R"(
applications:
  - name: app
    hosts: [app.example.com]
    rules:
      - {name: everyone, effect: allow}
      - {name: nobody, effect: deny}
)";
  policy_store ps(compile(allow_yaml, 1));
  signal_store signals;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> decisions{0}, inconsistent{0}, generations_seen{0};
  auto worker = [&] {
    principal who;
    who.user = "alice";
    access_request r;
    r.host = "app.example.com";
    r.path = "/";
    r.method = "GET";
    r.who = &who;
    policy_reader pr(ps);
    signal_reader sr(signals);
    std::uint64_t last = 0, seen = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const auto& p = pr.get();
      const decision d = p->decide(r, sr.get());
      const bool expect_allow = d.policy_generation % 2 == 1;
      if ((d.result == outcome::allow) != expect_allow) inconsistent.fetch_add(1);
      if (d.policy_generation != last) {
        ++seen;
        last = d.policy_generation;
      }
      decisions.fetch_add(1, std::memory_order_relaxed);
    }
    generations_seen.fetch_add(seen);
  };
  std::thread a(worker), b(worker);
  for (std::uint64_t g = 2; g <= 400; ++g) {
    ps.replace(compile(g % 2 == 1 ? allow_yaml : deny_yaml, g));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(inconsistent.load(), 0u);
  EXPECT_GT(decisions.load(), 1000u);
  EXPECT_GT(generations_seen.load(), 10u);  // readers did pick up new generations
  EXPECT_EQ(ps.get()->generation(), 400u);
}

TEST(AuthzSignals, FindingsRaiseRiskByAgeAndSeverity) {
  signal_store store(3600);
  std::int64_t clock = 10'000'000;
  finding_risk_feed feed(store, {}, [&] { return clock; });
  finding f;
  f.rule_name = "Impossible travel";
  f.level = "high";
  f.severity = ocsf::severity_id::high;
  f.user = "alice";
  f.host = "laptop-1";
  f.time_ns = clock * 1'000'000'000;
  feed.emit(f);
  auto s = store.snapshot();
  EXPECT_DOUBLE_EQ(s->user("alice")->risk.score, 35);
  EXPECT_EQ(s->user("alice")->risk.reason, "Impossible travel (high)");
  EXPECT_DOUBLE_EQ(s->device("laptop-1")->risk.score, 35);
  // A finding one half-life old adds half; scores decay between findings.
  clock += 3600;
  f.time_ns = (clock - 3600) * 1'000'000'000;
  f.severity = ocsf::severity_id::critical;
  f.host.clear();
  feed.emit(f);
  s = store.snapshot();
  EXPECT_DOUBLE_EQ(s->user("alice")->risk.score, 35.0 / 2 + 60.0 / 2);
  EXPECT_DOUBLE_EQ(s->device("laptop-1")->risk.score, 35);  // untouched (no host)
  f.severity = ocsf::severity_id::informational;
  feed.emit(f);
  EXPECT_EQ(feed.applied(), 2u);
}

}  // namespace
}  // namespace mamori::authz
