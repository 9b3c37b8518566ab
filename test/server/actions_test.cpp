// Response actions end to end: roles, dry runs, audit, the signals they publish, a signed
// webhook received by a local HTTP endpoint, mail through a fake SMTP relay; and TLS.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "mamori/detect/detector.hpp"
#include "mamori/event/field_registry.hpp"
#include "mamori/server/server.hpp"
#include "mamori/server/state.hpp"
#include "server_test_util.hpp"

using namespace mamori;
using namespace mamori::test;
namespace fs = std::filesystem;

namespace {

// A listening socket on 127.0.0.1:0 served by one thread, for `connections` connections.
class local_server {
 public:
  using handler = std::function<void(int fd)>;
  local_server(int connections, handler h) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, connections, h] {
      for (int i = 0; i < connections; ++i) {
        timeval tv{20, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        h(c);
        ::close(c);
      }
    });
  }
  ~local_server() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string read_line(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1) {
    line += c;
    if (line.size() >= 2 && line.ends_with("\r\n")) return line.substr(0, line.size() - 2);
  }
  return line;
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

TEST(actions, roles_dry_runs_signals_webhook_and_email) {
  if (!fs::exists(cloudtrail_ndjson)) GTEST_SKIP() << "shared data absent";
  temp_dir dir;
  // Webhook receiver: records headers and body of one request.
  std::mutex m;
  std::map<std::string, std::string> hook_headers;
  std::string hook_body;
  local_server hook(1, [&](int fd) {
    std::map<std::string, std::string> h;
    for (std::string l = read_line(fd); !l.empty(); l = read_line(fd)) {
      auto colon = l.find(':');
      if (colon == std::string::npos) continue;
      std::string k = l.substr(0, colon);
      for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      h[k] = l.substr(colon + 2);
    }
    std::string body(std::stoul(h["content-length"]), '\0');
    std::size_t got = 0;
    while (got < body.size()) {
      ssize_t n = ::read(fd, body.data() + got, body.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    std::lock_guard lock(m);
    hook_headers = h;
    hook_body = body;
  });
  // Fake SMTP relay: speaks just enough RFC 5321 and keeps the message.
  std::vector<std::string> smtp_commands;
  std::string mail;
  local_server smtp(1, [&](int fd) {
    write_all(fd, "220 fake.relay ESMTP\r\n");
    for (;;) {
      std::string l = read_line(fd);
      if (l.empty()) return;
      {
        std::lock_guard lock(m);
        smtp_commands.push_back(l);
      }
      if (l.starts_with("EHLO")) write_all(fd, "250-fake.relay\r\n250 8BITMIME\r\n");
      else if (l.starts_with("MAIL") || l.starts_with("RCPT")) write_all(fd, "250 OK\r\n");
      else if (l == "DATA") {
        write_all(fd, "354 go ahead\r\n");
        std::string data;
        for (std::string d = read_line(fd); d != "."; d = read_line(fd)) data += d + "\n";
        {
          std::lock_guard lock(m);
          mail = data;
        }
        write_all(fd, "250 queued\r\n");
      } else if (l == "QUIT") {
        write_all(fd, "221 bye\r\n");
        return;
      }
    }
  });

  ::setenv("MAMORI_TEST_WEBHOOK_SECRET", "s3cret-key", 1);
  server::server_config c;
  c.data = (dir.path / "data").string();
  c.listen = "127.0.0.1:0";
  c.block_ip.file = (dir.path / "blocklist.txt").string();
  c.analytics = "none";
  c.webhook.url = fmt::format("http://127.0.0.1:{}/hook", hook.port());
  c.webhook.secret_env = "MAMORI_TEST_WEBHOOK_SECRET";
  c.email.relay = fmt::format("127.0.0.1:{}", smtp.port());
  c.email.to = {"soc@example.org"};
  auto s = server::server::create(c);
  ASSERT_TRUE(s) << s.error().message;
  auto srv = std::move(*s);
  srv->add_detector(std::make_unique<denied_burst>());
  // An in-process subscriber (what the access decision point does).
  struct recorder final : respond::signal_listener {
    std::mutex m;
    std::vector<respond::signal> got;
    void on_signal(const respond::signal& s) override {
      std::lock_guard lock(m);
      got.push_back(s);
    }
  } sub;
  srv->signals().subscribe(&sub);
  auto a = srv->start();
  ASSERT_TRUE(a) << a.error().message;
  const std::string url = a->http;
  const std::string admin = first_line(c.data + "/admin.token");
  auto post = [&](const std::string& path, const std::string& body, const std::string& tok) {
    return call(url, "POST", path, tok, body);
  };
  auto token = [&](const std::string& name, const std::string& role) {
    auto r = post("/api/v1/tokens", "{\"name\":\"" + name + "\",\"role\":\"" + role + "\"}", admin);
    simdjson::dom::parser p;
    return std::string(p.parse(r.body)["token"].get_string().value());
  };
  const std::string t1 = token("t1", "tier1"), t2 = token("t2", "tier2");
  ASSERT_EQ(post("/api/v1/ingest/aws?format=cloudtrail&wait=1", read_file(cloudtrail_ndjson), admin).status, 200u);
  // The case of bert-jan (source 192.168.10.20).
  std::int64_t cid = 0;
  ASSERT_TRUE(eventually([&] {
    auto r = call(url, "GET", "/api/v1/cases?entity=bert-jan", t1);
    simdjson::dom::parser p;
    auto arr = p.parse(r.body)["cases"].get_array();
    if (arr.error() || arr.size() == 0) return false;
    cid = arr.value().at(0)["id"].get_int64().value();
    return true;
  }));
  const std::string act = fmt::format("/api/v1/cases/{}/actions", cid);

  // block_ip: tier2 only; dry run changes nothing; the real run writes the blocklist once.
  EXPECT_EQ(post(act, R"({"action":"block_ip"})", t1).status, 403u);
  auto dry = post(act, R"({"action":"block_ip","dry_run":true})", t2);
  ASSERT_EQ(dry.status, 200u) << dry.body;
  EXPECT_NE(dry.body.find("would add 192.168.10.20"), std::string::npos) << dry.body;
  EXPECT_FALSE(fs::exists(c.block_ip.file));
  auto real = post(act, R"({"action":"block_ip"})", t2);
  ASSERT_EQ(real.status, 200u) << real.body;
  EXPECT_EQ(read_file(c.block_ip.file).substr(0, 14), "192.168.10.20 ");
  EXPECT_NE(post(act, R"({"action":"block_ip"})", t2).body.find("already"), std::string::npos);
  EXPECT_EQ(post(act, R"({"action":"block_ip","params":{"ip":"127.0.0.1"}})", t2).status, 400u);
  EXPECT_EQ(post(act, R"({"action":"block_ip","params":{"ip":"not-an-ip"}})", t2).status, 400u);
  EXPECT_EQ(post(act, R"({"action":"block_ip","params":{"ip":5}})", t2).status, 400u);
  EXPECT_EQ(post(act, R"({"action":"nope"})", t2).status, 404u);

  // isolate_device and revoke_sessions publish signals (in-process and over the API).
  ASSERT_EQ(post(act, R"({"action":"isolate_device","params":{"device":"laptop-7"}})", t2).status, 200u);
  ASSERT_EQ(post(act, R"({"action":"revoke_sessions"})", t2).status, 200u);
  auto sig = call(url, "GET", "/api/v1/signals?since=0", t2);
  ASSERT_EQ(sig.status, 200u);
  EXPECT_NE(sig.body.find(R"("kind":"device_isolation","subject":"laptop-7","active":true)"), std::string::npos) << sig.body;
  EXPECT_NE(sig.body.find(R"("kind":"session_revocation","subject":"bert-jan")"), std::string::npos) << sig.body;
  EXPECT_NE(sig.body.find(R"("kind":"user_risk","subject":"bert-jan")"), std::string::npos) << sig.body;  // from the finding
  {
    std::lock_guard lock(sub.m);
    bool iso = false, rev = false;
    for (const auto& g : sub.got) {
      iso = iso || (g.kind == respond::signal_kind::device_isolation && g.subject == "laptop-7" && g.active);
      rev = rev || (g.kind == respond::signal_kind::session_revocation && g.subject == "bert-jan" && g.before > 0);
    }
    EXPECT_TRUE(iso);
    EXPECT_TRUE(rev);
  }

  // Webhook (tier1 may notify): signed with HMAC-SHA256 over "timestamp.body".
  auto wh = post(act, R"({"action":"webhook","params":{"message":"please look"}})", t1);
  ASSERT_EQ(wh.status, 200u) << wh.body;
  {
    std::lock_guard lock(m);
    ASSERT_FALSE(hook_body.empty());
    const std::string expect = "sha256=" + server::hmac_sha256_hex("s3cret-key", hook_headers["x-mamori-timestamp"] + "." + hook_body);
    EXPECT_EQ(hook_headers["x-mamori-signature"], expect);
    EXPECT_NE(hook_body.find("\"message\":\"please look\""), std::string::npos);
    EXPECT_NE(hook_body.find("\"entity\":{\"kind\":\"user\",\"value\":\"bert-jan\"}"), std::string::npos) << hook_body;
  }
  // Email through the relay.
  auto em = post(act, R"({"action":"email","params":{"message":"escalated to CSIRT"}})", t1);
  ASSERT_EQ(em.status, 200u) << em.body;
  {
    std::lock_guard lock(m);
    EXPECT_NE(std::find(smtp_commands.begin(), smtp_commands.end(), "RCPT TO:<soc@example.org>"), smtp_commands.end());
    EXPECT_NE(mail.find("Subject: [mamori] case"), std::string::npos) << mail;
    EXPECT_NE(mail.find("escalated to CSIRT"), std::string::npos);
  }
  // Everything above is audited, dry runs included.
  auto audit = call(url, "GET", fmt::format("/api/v1/audit?object=case:{}", cid), t2).body;
  for (const char* x : {"action.block_ip", "\"dry_run\":true", "action.isolate_device", "action.revoke_sessions",
                        "action.webhook", "action.email"})
    EXPECT_NE(audit.find(x), std::string::npos) << x;
  // The audit log refuses edits.
  {
    auto db = server::state_db::open(c.data + "/main.db");
    ASSERT_TRUE(db);
    auto r = (*db)->db().exec("UPDATE audit SET actor='mallory'");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("append-only"), std::string::npos);
  }
  srv->signals().unsubscribe(&sub);
  srv->stop();
}

TEST(tls, serves_https_with_the_configured_certificate) {
  temp_dir dir;
  const std::string cert = (dir.path / "cert.pem").string(), key = (dir.path / "key.pem").string();
  const std::string cmd = fmt::format(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout {} -out {} >/dev/null 2>&1",
      key, cert);
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl command not available";
  server::server_config c;
  c.data = (dir.path / "data").string();
  c.listen = "127.0.0.1:0";
  c.analytics = "none";
  c.tls_cert = cert;
  c.tls_key = key;
  auto s = server::server::create(c);
  ASSERT_TRUE(s);
  auto a = (*s)->start();
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_EQ(a->http.substr(0, 8), "https://");
  server::http_client_options o;
  o.ca_file = cert;  // verify against the self-signed certificate
  auto r = server::http_call("GET", a->http + "/api/v1/stats", {{"Authorization", "Bearer " + first_line(c.data + "/admin.token")}}, "", o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  // Without the CA the certificate is not trusted; plain HTTP is not spoken.
  server::http_client_options strict;
  EXPECT_FALSE(server::http_call("GET", a->http + "/healthz", {}, "", strict));
  std::string plain = a->http;
  plain.replace(0, 5, "http");
  server::http_client_options quick;
  quick.timeout_s = 3;
  auto p = server::http_call("GET", plain + "/healthz", {}, "", quick);
  EXPECT_TRUE(!p || p->status != 200u);
  (*s)->stop();
}
