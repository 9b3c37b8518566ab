// The decision endpoint's answers for each proxy contract, without a network: nginx
// (401 + X-Mamori-Redirect), Caddy/Traefik (302 Location), Envoy (path prefix, only 200
// allows), bearer clients (RFC 6750 / RFC 9470 challenges), the admin API, hot reload.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "mamori/authz/service.hpp"
#include "mamori/identity/jwt.hpp"
#include "mamori/output/event_writer.hpp"

namespace mamori::authz {
namespace {

namespace fs = std::filesystem;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct request {
  std::string method = "GET";
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names

  http_reply send(decision_service& s) const {
    http_in in;
    in.method = method;
    in.target = target;
    in.body = body;
    in.peer = "127.0.0.1";
    in.header = header_lookup{this, [](const void* ctx, std::string_view name) -> std::string_view {
                                const auto& r = *static_cast<const request*>(ctx);
                                std::string k(name);
                                for (char& c : k) c = static_cast<char>(std::tolower(c));
                                auto it = r.headers.find(k);
                                return it == r.headers.end() ? std::string_view()
                                                             : std::string_view(it->second);
                              }};
    http_reply out;
    s.handle(in, out);
    return out;
  }
};

std::string header(const http_reply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

constexpr std::string_view policy_v1 = R"(
defaults:
  login_url: "https://sso.test/login?rd={url}"
  step_up_url: "https://sso.test/mfa?rd={url}"
identity:
  oidc:
    - issuer: https://idp.test
      audiences: [mamori]
      jwks_file: jwks.json
  claims: {user: preferred_username}
  session: {keys: [session.key]}
applications:
  - name: app
    hosts: [app.test]
    rules:
      - {name: admin-fresh, effect: step_up, paths: [/admin/*], how: {max_auth_age: 10m}}
      - {name: staff, effect: allow, who: {groups: [staff]}}
)";

class AuthzService : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("mamori-svc-{}-{}", ::getpid(), counter_++);
    fs::create_directories(dir_);
    key_ = *mamori::identity::generate_private_key(mamori::identity::key_type::ec_p256);
    std::ofstream(dir_ / "jwks.json") << "{\"keys\":[" << key_.public_jwk() << "]}";
    std::ofstream(dir_ / "session.key") << std::string(40, 's');
    write_policy(policy_v1);
    service_options o;
    o.policy_path = (dir_ / "policy.yaml").string();
    o.admin_token = "admin-token-for-tests-123456";
    o.watch_interval = std::chrono::milliseconds(0);
    diagnostics diag;
    auto s = decision_service::create(o, diag);
    ASSERT_TRUE(s) << s.error().message;
    svc_ = std::move(*s);
  }
  void TearDown() override {
    svc_.reset();
    fs::remove_all(dir_);
  }
  void write_policy(std::string_view text) { std::ofstream(dir_ / "policy.yaml") << text; }

  std::string cookie(std::vector<std::string> groups, std::string sid = "s1") {
    principal who;
    who.user = "alice";
    who.groups = std::move(groups);
    who.session_id = std::move(sid);
    return "mamori_session=" + svc_->auth().sessions()->issue(who, now_s(), 3600);
  }
  std::string token(std::int64_t auth_age) {
    return *mamori::identity::sign_jwt(
        key_,
        fmt::format(R"({{"iss":"https://idp.test","aud":"mamori","preferred_username":"dana",)"
                    R"("groups":["staff"],"iat":{},"exp":{},"auth_time":{}}})",
                    now_s(), now_s() + 300, now_s() - auth_age));
  }
  request authz(std::string path, std::string target = "/v1/authz") {
    request r;
    r.target = std::move(target);
    r.headers["x-forwarded-host"] = "app.test";
    r.headers["x-forwarded-uri"] = std::move(path);
    r.headers["x-forwarded-proto"] = "https";
    return r;
  }

  static inline int counter_ = 0;
  fs::path dir_;
  mamori::identity::private_key key_;
  std::unique_ptr<decision_service> svc_;
};

TEST_F(AuthzService, NginxGets401WithRedirectHeader) {
  auto r = authz("/admin/x").send(*svc_);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(header(r, "X-Mamori-Decision"), "unauthenticated");
  EXPECT_EQ(header(r, "X-Mamori-Redirect"),
            "https://sso.test/login?rd=https%3A%2F%2Fapp.test%2Fadmin%2Fx");
  EXPECT_TRUE(header(r, "Location").empty());
}

TEST_F(AuthzService, CaddyTraefikEnvoyGet302) {
  for (std::string target : {"/v1/authz/caddy", "/v1/authz/traefik"}) {
    auto q = authz("/x", target);
    q.headers["cookie"] = cookie({"sales"});
    auto deny = q.send(*svc_);
    EXPECT_EQ(deny.status, 403) << target;
    EXPECT_NE(deny.body.find("default deny"), std::string::npos);
    auto anon = authz("/x", target).send(*svc_);
    EXPECT_EQ(anon.status, 302) << target;
    EXPECT_EQ(header(anon, "Location"), "https://sso.test/login?rd=https%3A%2F%2Fapp.test%2Fx");
  }
  // Envoy: the original path follows the prefix; method and Host are the original ones.
  request e;
  e.method = "POST";
  e.target = "/v1/authz/envoy/orders/7?q=1";
  e.headers["host"] = "app.test";
  e.headers["cookie"] = cookie({"staff"});
  auto ok = e.send(*svc_);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(header(ok, "X-Mamori-User"), "alice");
  EXPECT_FALSE(header(ok, "X-Mamori-Assertion").empty());
  e.headers.erase("cookie");
  auto anon = e.send(*svc_);
  EXPECT_EQ(anon.status, 302);
  EXPECT_EQ(header(anon, "Location"),
            "https://sso.test/login?rd=http%3A%2F%2Fapp.test%2Forders%2F7%3Fq%3D1");
}

TEST_F(AuthzService, BearerClientsGetRfc9470StepUpChallenge) {
  auto fresh = authz("/admin/x");
  fresh.headers["authorization"] = "Bearer " + token(60);
  EXPECT_EQ(fresh.send(*svc_).status, 200);
  auto stale = authz("/admin/x");
  stale.headers["authorization"] = "Bearer " + token(3600);
  auto r = stale.send(*svc_);
  EXPECT_EQ(r.status, 401);
  const std::string challenge = header(r, "WWW-Authenticate");
  EXPECT_NE(challenge.find("error=\"insufficient_user_authentication\""), std::string::npos)
      << challenge;
  EXPECT_NE(challenge.find("max_age=\"600\""), std::string::npos) << challenge;
  auto bad = authz("/x");
  // A token from a key the issuer never published.
  const auto stranger =
      *mamori::identity::generate_private_key(mamori::identity::key_type::ed25519);
  bad.headers["authorization"] =
      "Bearer " +
      *mamori::identity::sign_jwt(
          stranger,
          fmt::format(
              R"({{"iss":"https://idp.test","aud":"mamori","preferred_username":"eve","exp":{}}})",
              now_s() + 300));
  auto b = bad.send(*svc_);
  EXPECT_EQ(b.status, 401);
  EXPECT_NE(header(b, "WWW-Authenticate").find("error=\"invalid_token\""), std::string::npos);
  EXPECT_NE(header(b, "X-Mamori-Reason").find("sign-in required: unknown key id"),
            std::string::npos)
      << header(b, "X-Mamori-Reason");
}

TEST_F(AuthzService, AdminApiNeedsTheTokenAndUpdatesSignals) {
  request s;
  s.method = "POST";
  s.target = "/v1/signals";
  s.body = R"({"revoke":[{"session":"s1"}]})";
  EXPECT_EQ(s.send(*svc_).status, 401);
  s.headers["authorization"] = "Bearer wrong-token-wrong-token";
  EXPECT_EQ(s.send(*svc_).status, 401);
  s.headers["authorization"] = "Bearer admin-token-for-tests-123456";
  auto ok = s.send(*svc_);
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto q = authz("/x");
  q.headers["cookie"] = cookie({"staff"}, "s1");
  EXPECT_EQ(q.send(*svc_).status, 401);  // revoked → sign in again
  s.body = R"({"revoke":[{}]})";
  auto bad = s.send(*svc_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\\\"session\\\" or \\\"user\\\" is required"), std::string::npos)
      << bad.body;
  request st;
  st.target = "/v1/status";
  st.headers["authorization"] = "Bearer admin-token-for-tests-123456";
  auto status = st.send(*svc_);
  EXPECT_EQ(status.status, 200);
  EXPECT_NE(status.body.find("\"revoked_sessions\":1"), std::string::npos) << status.body;
}

TEST_F(AuthzService, ReloadSwapsPolicyAndKeepsTheOldOneOnErrors) {
  auto q = authz("/x");
  q.headers["cookie"] = cookie({"sales"});
  EXPECT_EQ(q.send(*svc_).status, 403);
  std::string v2(policy_v1);
  v2.replace(v2.find("groups: [staff]"), 15, "groups: [staff, sales]");
  write_policy(v2);
  request reload;
  reload.method = "POST";
  reload.target = "/v1/reload";
  reload.headers["authorization"] = "Bearer admin-token-for-tests-123456";
  auto r = reload.send(*svc_);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{\"generation\":2}\n");
  EXPECT_EQ(q.send(*svc_).status, 200);
  write_policy("applications: [{name: broken}]\n");
  auto bad = reload.send(*svc_);
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("policy.yaml:1: error"), std::string::npos) << bad.body;
  EXPECT_EQ(q.send(*svc_).status, 200);  // generation 2 still serves
}

TEST_F(AuthzService, HealthAndJwks) {
  request h;
  h.target = "/healthz";
  EXPECT_EQ(h.send(*svc_).status, 200);
  h.target = "/.well-known/jwks.json";
  auto j = h.send(*svc_);
  EXPECT_EQ(j.status, 200);
  auto set = mamori::identity::parse_jwks(j.body);
  ASSERT_TRUE(set) << j.body;
  EXPECT_EQ(set->keys.size(), 1u);
  h.target = "/nope";
  EXPECT_EQ(h.send(*svc_).status, 404);
}

}  // namespace
}  // namespace mamori::authz

namespace mamori::authz {
namespace {

// The audit file's direct renderer writes exactly what the generic OCSF writer would.
TEST(AuthzAudit, DirectRendererMatchesTheGenericEventWriter) {
  decision_record a;
  a.time_ns = 1'795'453'283'123'456'789;
  a.result = outcome::deny;
  a.why = guard::default_deny;
  a.user = "user\"08091";
  a.session = "sess-1";
  a.email = "u@example.com";
  a.groups = "g33,g19";
  a.host = "app030.corp.example.com";
  a.path = "/api/v1/items/42";
  a.method = "GET";
  a.user_agent = "curl/8 \xe2\x9c\x93";
  a.source_ip = "10.148.251.130";
  a.country = "JP";
  a.device = "dev2278";
  a.application = "app030";
  a.reason = "no rule allows this request (default deny); closest rule 'staff': x\ny";
  a.proxy = "nginx";
  a.policy_generation = 7;
  decision_record b;  // anonymous, revoked-style, sparse
  b.time_ns = 1'795'453'283'000'000'000;
  b.result = outcome::unauthenticated;
  b.why = guard::session_revoked;
  b.host = "x.test";
  b.rule = "r";
  decision_record c;  // allow, isolated device fields absent
  c.result = outcome::allow;
  c.time_ns = 1'795'453'283'120'000'000;  // milliseconds only
  c.user = "alice";
  c.source_ip = "::1";
  c.application = "app";
  c.rule = "staff";
  c.mfa = true;
  decision_record d = c;
  d.time_ns = 951'782'400'000'123'000;  // 2000-02-29, microseconds
  for (const decision_record* r : {&a, &b, &c, &d}) {
    event_batch batch;
    to_event(*r, batch);
    std::string generic, direct;
    append_event_json(generic, batch.events()[0], "mamori.authz");
    append_decision_json(direct, *r);
    EXPECT_EQ(direct, generic);
  }
}

}  // namespace
}  // namespace mamori::authz
