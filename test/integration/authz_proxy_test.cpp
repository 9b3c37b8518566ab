// End to end through Debian's real nginx (auth_request) and Caddy (forward_auth): a test app
// behind each proxy, mamori's decision endpoint beside it, all on 127.0.0.1 with ephemeral
// ports in a temporary directory. Checks allow (with identity headers and a verifiable
// assertion upstream), deny, step-up, sign-in, revocation and isolation (each visible
// within 1 s), header spoofing, and the audit events. Skips only when a binary is missing.

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "mamori/authz/http_client.hpp"
#include "mamori/authz/http_server.hpp"
#include "mamori/authz/service.hpp"
#include "mamori/identity/jwt.hpp"

extern char** environ;

namespace mamori::authz {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string find_binary(std::string_view name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    const fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool port_open(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A child process with stdout/stderr in a log file; stopped with SIGTERM, then SIGKILL.
class child {
 public:
  child(std::vector<std::string> argv, const fs::path& log, std::vector<std::string> env = {}) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<std::string> envs;
    for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
    for (auto& e : env) envs.push_back(e);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~child() { stop(); }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  bool running() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// Captures decision events for the audit assertions.
class capture_sink final : public event_sink {
 public:
  void consume(const event_batch& batch) override {
    std::lock_guard lock(mutex_);
    for (const event& e : batch.events()) {
      const value* code = e.get(ocsf::attr::status_code);
      seen_.push_back({static_cast<std::uint32_t>(e.class_uid), e.activity_id,
                       code ? std::string(code->s) : std::string(),
                       std::string(e.get_string(ocsf::attr::actor_user_name))});
    }
  }
  struct entry {
    std::uint32_t class_uid;
    std::uint8_t activity;
    std::string outcome, user;
  };
  std::vector<entry> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<entry> seen_;
};

constexpr std::string_view admin_token = "integration-admin-token-0123456789";

constexpr std::string_view policy_yaml = R"(
defaults:
  login_url: "https://sso.test/login?rd={url}"
  step_up_url: "https://sso.test/login?acr=mfa&rd={url}"
identity:
  session: {keys: [session.key], ttl: 1h}
applications:
  - name: app
    hosts: [app.test]
    rules:
      - {name: public, effect: allow, public: true, paths: [/public/*]}
      - {name: no-contractors, effect: deny, who: {groups: [contractors]}}
      - {name: admin-needs-mfa, effect: step_up, paths: [/admin/*], how: {mfa: true}}
      - {name: staff, effect: allow, who: {groups: [staff]}}
)";

struct environment {
  fs::path dir;
  capture_sink audit;
  std::unique_ptr<decision_service> service;
  std::unique_ptr<http_server> authz;
  std::unique_ptr<http_server> app;
  std::string jwks;
};

environment* env = nullptr;

class AuthzProxy : public ::testing::TestWithParam<std::string> {
 public:
  static void SetUpTestSuite() {
    env = new environment();
    char tmpl[] = "/tmp/mamori-authz-it-XXXXXX";
    env->dir = ::mkdtemp(tmpl);
    std::ofstream(env->dir / "policy.yaml") << policy_yaml;
    std::ofstream(env->dir / "session.key") << "integration-session-key-0123456789abcdef\n";
    service_options o;
    o.policy_path = (env->dir / "policy.yaml").string();
    o.admin_token = std::string(admin_token);
    o.audit = &env->audit;
    o.watch_interval = 0ms;
    diagnostics diag([](const diagnostic& d) { std::fprintf(stderr, "%s\n", render(d).c_str()); });
    auto svc = decision_service::create(o, diag);
    ASSERT_TRUE(svc) << svc.error().message;
    env->service = std::move(*svc);
    env->jwks = env->service->jwks_json();
    http_server::options so;
    so.port = 0;
    so.threads = 2;
    auto* s = env->service.get();
    auto a =
        http_server::start(so, [s](const http_in& in, http_reply& out) { s->handle(in, out); });
    ASSERT_TRUE(a) << a.error().message;
    env->authz = std::move(*a);
    // The protected application: echoes what the proxy told it about the user.
    auto app = http_server::start(so, [](const http_in& in, http_reply& out) {
      out.body = fmt::format("app path={} user={} groups={} assertion={}\n", in.target,
                             in.header("X-Mamori-User"), in.header("X-Mamori-Groups"),
                             in.header("X-Mamori-Assertion"));
    });
    ASSERT_TRUE(app) << app.error().message;
    env->app = std::move(*app);
  }

  static void TearDownTestSuite() {
    proxies().clear();
    if (env != nullptr) {
      env->authz.reset();
      env->app.reset();
      env->service.reset();
      std::error_code ec;
      fs::remove_all(env->dir, ec);
      delete env;
      env = nullptr;
    }
  }

 protected:
  struct proxy {
    std::unique_ptr<child> process;
    std::uint16_t port = 0;
    std::string log;
  };
  static std::map<std::string, proxy>& proxies() {
    static std::map<std::string, proxy> p;
    return p;
  }

  void SetUp() override {
    ASSERT_NE(env, nullptr);
    ASSERT_TRUE(env->service);
    const std::string name = GetParam();
    bin_ = find_binary(name);
    if (bin_.empty()) {
      GTEST_SKIP() << name << " is not installed (apt-get install " << name
                   << ", or run scripts/bootstrap): the end-to-end test needs the real binary";
    }
    auto& p = proxies()[name];
    if (!p.process || !p.process->running()) start(name, p);
    ASSERT_TRUE(p.process && p.process->running()) << name << " did not start:\n" << p.log;
    port_ = p.port;
  }

  void start(const std::string& name, proxy& p) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      p.port = free_port();
      const fs::path d = env->dir / name;
      fs::create_directories(d);
      const fs::path log = d / "log.txt";
      if (name == "nginx") {
        std::ofstream(d / "nginx.conf") << nginx_conf(d, p.port);
        p.process = std::make_unique<child>(
            std::vector<std::string>{bin_, "-p", d.string(), "-c", (d / "nginx.conf").string(),
                                     "-e", (d / "error.log").string()},
            log);
      } else {
        std::ofstream(d / "Caddyfile") << caddyfile(d, p.port);
        p.process = std::make_unique<child>(
            std::vector<std::string>{bin_, "run", "--config", (d / "Caddyfile").string(),
                                     "--adapter", "caddyfile"},
            log,
            std::vector<std::string>{"HOME=" + d.string(), "XDG_DATA_HOME=" + (d / "data").string(),
                                     "XDG_CONFIG_HOME=" + (d / "config").string()});
      }
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (std::chrono::steady_clock::now() < deadline && p.process->running() &&
             !port_open(p.port)) {
        std::this_thread::sleep_for(50ms);
      }
      p.log = slurp(log) + slurp(d / "error.log");
      if (p.process->running() && port_open(p.port)) return;
      p.process->stop();
    }
  }

  static std::string nginx_conf(const fs::path& d, std::uint16_t port) {
    return fmt::format(R"(daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {dir}/client_body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    server_name app.test;
    location / {{
      auth_request /_mamori;
      auth_request_set $mamori_user $upstream_http_x_mamori_user;
      auth_request_set $mamori_groups $upstream_http_x_mamori_groups;
      auth_request_set $mamori_assertion $upstream_http_x_mamori_assertion;
      auth_request_set $mamori_redirect $upstream_http_x_mamori_redirect;
      error_page 401 = @mamori_signin;
      proxy_set_header X-Mamori-User $mamori_user;
      proxy_set_header X-Mamori-Groups $mamori_groups;
      proxy_set_header X-Mamori-Assertion $mamori_assertion;
      proxy_pass http://127.0.0.1:{app};
    }}
    location = /_mamori {{
      internal;
      proxy_pass http://127.0.0.1:{authz}/v1/authz;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Real-IP $remote_addr;
    }}
    location @mamori_signin {{
      return 302 $mamori_redirect;
    }}
  }}
}}
)",
                       fmt::arg("dir", d.string()), fmt::arg("port", port),
                       fmt::arg("app", env->app->port()), fmt::arg("authz", env->authz->port()));
  }

  static std::string caddyfile(const fs::path& d, std::uint16_t port) {
    return fmt::format(R"({{
	admin off
	auto_https off
	storage file_system {dir}/storage
}}
http://app.test:{port} {{
	bind 127.0.0.1
	route {{
		request_header -X-Mamori-User
		request_header -X-Mamori-Groups
		request_header -X-Mamori-Assertion
		forward_auth 127.0.0.1:{authz} {{
			uri /v1/authz/caddy
			copy_headers X-Mamori-User X-Mamori-Groups X-Mamori-Assertion
		}}
		reverse_proxy 127.0.0.1:{app}
	}}
}}
)",
                       fmt::arg("dir", d.string()), fmt::arg("port", port),
                       fmt::arg("app", env->app->port()), fmt::arg("authz", env->authz->port()));
  }

  http_response get(std::string_view path, std::string_view cookie = {},
                    std::vector<std::pair<std::string, std::string>> extra = {}) {
    http_request r;
    r.url = fmt::format("http://127.0.0.1:{}{}", port_, path);
    r.timeout = 5s;
    r.headers.emplace_back("Host", "app.test");
    if (!cookie.empty()) r.headers.emplace_back("Cookie", fmt::format("mamori_session={}", cookie));
    for (auto& h : extra) r.headers.push_back(std::move(h));
    auto res = http_fetch(r);
    EXPECT_TRUE(res) << res.error().message;
    return res ? *res : http_response{};
  }

  static std::string cookie(std::string user, std::vector<std::string> groups, bool mfa,
                            std::string session) {
    principal who;
    who.user = std::move(user);
    who.groups = std::move(groups);
    who.mfa = mfa;
    who.methods = mfa ? std::vector<std::string>{"pwd", "otp"} : std::vector<std::string>{"pwd"};
    who.session_id = std::move(session);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return env->service->auth().sessions()->issue(who, now, 3600);
  }

  static void signals(std::string_view json) {
    http_request r;
    r.method = "POST";
    r.url = fmt::format("http://127.0.0.1:{}/v1/signals", env->authz->port());
    r.headers.emplace_back("Authorization", fmt::format("Bearer {}", admin_token));
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = std::string(json);
    auto res = http_fetch(r);
    ASSERT_TRUE(res) << res.error().message;
    ASSERT_EQ(res->status, 200) << res->body;
  }

  // Polls until `pred` holds on a fresh request; returns the time it took.
  template <typename Pred>
  std::chrono::milliseconds until(Pred pred, std::chrono::milliseconds limit = 1000ms) {
    const auto t0 = std::chrono::steady_clock::now();
    while (!pred()) {
      if (std::chrono::steady_clock::now() - t0 > limit) return limit + 1ms;
      std::this_thread::sleep_for(5ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t0);
  }

  std::string session_name(std::string_view what) const {
    return fmt::format("{}-{}", GetParam(), what);
  }

  std::string bin_;
  std::uint16_t port_ = 0;
};

std::string field(const std::string& body, std::string_view key) {
  const auto at = body.find(std::string(key) + "=");
  if (at == std::string::npos) return {};
  const auto start = at + key.size() + 1;
  return body.substr(start, body.find_first_of(" \n", start) - start);
}

TEST_P(AuthzProxy, AllowPassesIdentityAndAVerifiableAssertion) {
  const std::string c = cookie("alice", {"staff"}, false, session_name("allow"));
  auto r = get("/orders/42?x=1", c);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(field(r.body, "path"), "/orders/42?x=1");
  EXPECT_EQ(field(r.body, "user"), "alice");
  EXPECT_EQ(field(r.body, "groups"), "staff");
  // The app verifies the assertion with mamori's published key.
  auto keys = mamori::identity::parse_jwks(env->jwks);
  ASSERT_TRUE(keys);
  mamori::identity::validation v;
  v.issuers = {"mamori"};
  v.audiences = {"app"};
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string assertion = field(r.body, "assertion");
  auto ok = mamori::identity::verify_jwt(assertion, *keys, v, now);
  ASSERT_TRUE(ok) << ok.error().message << " in " << r.body;
  EXPECT_NE(ok->payload_json.find("\"sub\":\"alice\""), std::string::npos);
}

TEST_P(AuthzProxy, DenyIsForbidden) {
  auto r =
      get("/orders/42", cookie("mallory", {"staff", "contractors"}, true, session_name("deny")));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.body.find("app path="), std::string::npos);  // never reached the app
  auto outsider = get("/orders/42", cookie("bob", {"sales"}, true, session_name("outsider")));
  EXPECT_EQ(outsider.status, 403);
}

TEST_P(AuthzProxy, StepUpRedirectsToMfaThenAllows) {
  auto r = get("/admin/users", cookie("alice", {"staff"}, false, session_name("step")));
  ASSERT_EQ(r.status, 302) << r.body;
  EXPECT_EQ(r.header("Location"),
            "https://sso.test/login?acr=mfa&rd=http%3A%2F%2Fapp.test%2Fadmin%2Fusers");
  auto after = get("/admin/users", cookie("alice", {"staff"}, true, session_name("step-mfa")));
  EXPECT_EQ(after.status, 200) << after.body;
}

TEST_P(AuthzProxy, AnonymousGoesToSignInButPublicPathsOpen) {
  auto r = get("/orders");
  ASSERT_EQ(r.status, 302) << r.body;
  EXPECT_TRUE(r.header("Location").starts_with("https://sso.test/login?rd="))
      << r.header("Location");
  auto pub = get("/public/terms", {}, {{"X-Mamori-User", "admin"}, {"X-Mamori-Groups", "admins"}});
  ASSERT_EQ(pub.status, 200) << pub.body;
  // A client cannot pretend to be someone to the app.
  EXPECT_EQ(field(pub.body, "user"), "");
  EXPECT_EQ(field(pub.body, "groups"), "");
}

TEST_P(AuthzProxy, RevocationTakesEffectWithinOneSecond) {
  const std::string sid = session_name("revoked");
  const std::string c = cookie("alice", {"staff"}, false, sid);
  ASSERT_EQ(get("/orders", c).status, 200);
  signals(fmt::format(R"({{"revoke":[{{"session":"{}","reason":"stolen cookie"}}]}})", sid));
  const auto took = until([&] { return get("/orders", c).status == 302; });
  EXPECT_LE(took, 1000ms);
  auto r = get("/orders", c);
  EXPECT_EQ(r.status, 302);
  EXPECT_TRUE(r.header("Location").starts_with("https://sso.test/login?rd="));
  // Other sessions of the same user are unaffected.
  EXPECT_EQ(get("/orders", cookie("alice", {"staff"}, false, session_name("other"))).status, 200);
}

TEST_P(AuthzProxy, IsolatedDeviceIsDeniedWithinOneSecond) {
  const std::string device = session_name("laptop");
  const std::string c = cookie("carol", {"staff"}, true, session_name("iso"));
  const std::vector<std::pair<std::string, std::string>> dev = {{"X-Mamori-Device", device}};
  ASSERT_EQ(get("/orders", c, dev).status, 200);
  signals(
      fmt::format(R"({{"isolate":[{{"device":"{}","reason":"case 7: ransomware"}}]}})", device));
  const auto took = until([&] { return get("/orders", c, dev).status == 403; });
  EXPECT_LE(took, 1000ms);
  EXPECT_EQ(get("/orders", c).status, 200);  // the same user on another device
  signals(fmt::format(R"({{"isolate":[{{"device":"{}","isolated":false}}]}})", device));
  EXPECT_LE(until([&] { return get("/orders", c, dev).status == 200; }), 1000ms);
}

TEST_P(AuthzProxy, EveryDecisionIsAnOcsfEvent) {
  const std::string user = session_name("audited");
  get("/orders", cookie(user, {"staff"}, false, session_name("audit-1")));
  get("/orders", cookie(user, {"contractors"}, false, session_name("audit-2")));
  env->service->audit().flush();
  int grants = 0, denies = 0;
  for (const auto& e : env->audit.seen()) {
    if (e.user != user) continue;
    EXPECT_EQ(e.class_uid, 6004u);
    if (e.activity == 1 && e.outcome == "allow") ++grants;
    if (e.activity == 2 && e.outcome == "deny") ++denies;
  }
  EXPECT_EQ(grants, 1);
  EXPECT_EQ(denies, 1);
}

INSTANTIATE_TEST_SUITE_P(Proxies, AuthzProxy, ::testing::Values("nginx", "caddy"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace mamori::authz
