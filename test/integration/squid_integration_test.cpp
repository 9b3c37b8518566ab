// End to end: Debian's real Squid on 127.0.0.1 with `mamori squid-helper` as its external ACL
// helper, a local origin server, and curl as the browser. Checks that an ordinary site passes,
// that a prohibited app and a blocked URL category are denied with a page naming the reason (and
// the sanctioned alternative), that denied requests never reach the origin, and that every
// decision is logged as an OCSF event. Hermetic: ephemeral ports, a temporary directory, names
// resolved from a hosts file, UT1 lists written by the test. Skips only when squid or curl is
// missing.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string find_program(const char* name) {
  for (const char* dir :
       {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, std::string_view text) {
  std::ofstream(p, std::ios::binary) << text;
  ::chmod(p.c_str(), 0644);
}

int listen_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

bool can_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A minimal HTTP origin: answers every request with 200 "origin-ok" and counts them.
class origin_server {
 public:
  origin_server() {
    fd_ = listen_loopback(port_);
    thread_ = std::thread([this] { loop(); });
  }
  ~origin_server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      ++requests_;
      const std::string resp =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: "
          "close\r\n\r\norigin-ok";
      (void)!::write(c, resp.data(), resp.size());
      ::close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

struct curl_result {
  int status = 0;  // HTTP code, 0 when none
  std::string body;
};

curl_result curl_via(const std::string& curl, int proxy_port, const std::string& url,
                     const fs::path& body_file) {
  const std::string cmd =
      fmt::format("'{}' -s -m 15 -o '{}' -w '%{{http_code}}' -x http://127.0.0.1:{} '{}'", curl,
                  body_file.string(), proxy_port, url);
  curl_result r;
  if (std::FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[64] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
    ::pclose(p);
    r.status = std::atoi(std::string(buf, n).c_str());
  }
  r.body = slurp(body_file);
  return r;
}

class SquidIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    squid_ = find_program("squid");
    curl_ = find_program("curl");
    if (squid_.empty())
      GTEST_SKIP() << "squid is not installed (apt-get install squid, see scripts/bootstrap): "
                      "skipping the Squid integration test";
    if (curl_.empty())
      GTEST_SKIP()
          << "curl is not installed (apt-get install curl): skipping the Squid integration test";
    char tmpl[] = "/tmp/mamori-squid-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Squid started as root drops to cache_effective_user, which must write here.
    ::chmod(dir_.c_str(), 0777);
  }

  void TearDown() override {
    stop_squid();
    if (!dir_.empty()) {
      if (HasFailure()) {
        std::fprintf(stderr, "--- cache.log ---\n%s\n--- access.log ---\n%s\n",
                     slurp(dir_ / "cache.log").c_str(), slurp(dir_ / "access.log").c_str());
      }
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  void start_squid(int origin_port) {
    int port = 0;
    int fd = listen_loopback(port);  // an ephemeral port for Squid; released just before use
    ASSERT_GE(fd, 0);
    ::close(fd);
    port_ = port;
    (void)origin_port;
    write(dir_ / "hosts",
          "127.0.0.1 localhost allowed.test wetransfer.com www.wetransfer.com malware.test\n");
    fs::create_directories(dir_ / "ut1/malware");
    write(dir_ / "ut1/malware/domains", "malware.test\n");
    write(dir_ / "policy.yaml", fmt::format("sanctioned: [onedrive]\n"
                                            "prohibited:\n"
                                            "  - app: wetransfer\n"
                                            "    alternative: onedrive\n"
                                            "block_url_categories: [malware]\n"
                                            "ut1_path: {}\n",
                                            (dir_ / "ut1").string()));
    fs::create_directories(dir_ / "errors");
    // Squid loads every template of error_directory: copy the stock ones when present.
    std::error_code ec;
    for (const char* stock : {"/usr/share/squid/errors/templates", "/usr/share/squid/errors/en"}) {
      if (!fs::is_directory(stock, ec)) continue;
      for (const auto& e : fs::directory_iterator(stock, ec))
        fs::copy_file(e.path(), dir_ / "errors" / e.path().filename(),
                      fs::copy_options::skip_existing, ec);
      break;
    }
    write(dir_ / "errors/ERR_MAMORI",
          "<html><body><h1>Blocked by mamori</h1><p id=\"reason\">%o</p></body></html>\n");
    std::string user_line;
    if (::geteuid() == 0) {
      const char* user = ::getpwnam("proxy") != nullptr ? "proxy" : "nobody";
      user_line = fmt::format("cache_effective_user {}\n", user);
    }
    write(dir_ / "squid.conf",
          fmt::format(
              "http_port 127.0.0.1:{port}\n"
              "pid_filename {d}/squid.pid\n"
              "cache_log {d}/cache.log\n"
              "logformat mamori %ts.%03tu %>a %Ss/%03>Hs %rm %ru %un %et %ea\n"
              "access_log stdio:{d}/access.log mamori\n"
              "cache_store_log none\n"
              "cache deny all\n"
              "coredump_dir {d}\n"
              "netdb_filename none\n"
              "pinger_enable off\n"
              "hosts_file {d}/hosts\n"
              "dns_nameservers 127.0.0.1\n"
              "shutdown_lifetime 1 seconds\n"
              "{user}"
              "error_directory {d}/errors\n"
              "external_acl_type mamori ttl=0 negative_ttl=0 concurrency=10 children-max=1 "
              "children-startup=1 %>a %un %>rm %>ru {m} squid-helper --policy {d}/policy.yaml "
              "--log {d}/decisions.ndjson --adguard none\n"
              "acl mamori_ok external mamori\n"
              "http_access deny !mamori_ok\n"
              "http_access allow localhost\n"
              "http_access deny all\n"
              "deny_info ERR_MAMORI mamori_ok\n",
              fmt::arg("port", port), fmt::arg("d", dir_.string()), fmt::arg("user", user_line),
              fmt::arg("m", MAMORI_BINARY)));
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      const std::string out = (dir_ / "squid.out").string();
      std::freopen(out.c_str(), "w", stdout);
      std::freopen(out.c_str(), "a", stderr);
      ::chdir(dir_.c_str());
      ::execl(squid_.c_str(), "squid", "-N", "-f", (dir_ / "squid.conf").c_str(), nullptr);
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!can_connect(port_)) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid_, &status, WNOHANG), 0)
          << "squid exited during start-up: " << slurp(dir_ / "squid.out")
          << slurp(dir_ / "cache.log");
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "squid did not listen within 30 s";
      std::this_thread::sleep_for(50ms);
    }
  }

  void stop_squid() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    pid_ = -1;
  }

  std::string squid_, curl_;
  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(SquidIntegration, AllowsOrdinarySitesDeniesProhibitedAppsAndBlockedCategories) {
  origin_server origin;
  ASSERT_GT(origin.port(), 0);
  start_squid(origin.port());
  ASSERT_FALSE(HasFatalFailure());

  const auto ok = curl_via(curl_, port_, fmt::format("http://allowed.test:{}/hello", origin.port()),
                           dir_ / "body-allowed");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "origin-ok");

  const auto app =
      curl_via(curl_, port_, fmt::format("http://wetransfer.com:{}/upload", origin.port()),
               dir_ / "body-app");
  EXPECT_EQ(app.status, 403);
  EXPECT_NE(app.body.find("Blocked by mamori"), std::string::npos) << app.body;
  EXPECT_NE(app.body.find("WeTransfer is prohibited"), std::string::npos) << app.body;
  EXPECT_NE(app.body.find("use Microsoft OneDrive instead"), std::string::npos) << app.body;

  const auto cat =
      curl_via(curl_, port_, fmt::format("http://malware.test:{}/payload", origin.port()),
               dir_ / "body-category");
  EXPECT_EQ(cat.status, 403);
  EXPECT_NE(cat.body.find("categorised as malware"), std::string::npos) << cat.body;

  // HTTPS through the proxy: Squid asks about the CONNECT and denies the tunnel.
  const auto tunnel = curl_via(curl_, port_, "https://www.wetransfer.com/", dir_ / "body-tunnel");
  EXPECT_NE(tunnel.status, 200);

  // Only the allowed request reached the origin.
  EXPECT_EQ(origin.requests(), 1);
  stop_squid();

  const std::string access = slurp(dir_ / "access.log");
  EXPECT_NE(access.find("TCP_DENIED/403 GET http://wetransfer.com"), std::string::npos) << access;
  EXPECT_NE(access.find("mamori_prohibited app:wetransfer"), std::string::npos) << access;
  EXPECT_NE(access.find("mamori_category category:malware"), std::string::npos) << access;
  EXPECT_NE(access.find("TCP_DENIED/403 CONNECT www.wetransfer.com:443"), std::string::npos)
      << access;

  // Every decision is an OCSF HTTP Activity event.
  simdjson::dom::parser parser;
  int allowed = 0, denied_app = 0, denied_category = 0, lines = 0;
  std::istringstream log(slurp(dir_ / "decisions.ndjson"));
  std::string line;
  while (std::getline(log, line)) {
    ++lines;
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    EXPECT_EQ(int64_t(e["class_uid"]), 4002);
    const std::string_view action = e["action"];
    const std::string_view host = e["http_request"]["url"]["hostname"];
    std::string_view reason = e["unmapped"]["reason"];
    if (action == "Allowed" && host == "allowed.test") ++allowed;
    if (action == "Denied" && reason == "prohibited_app" && host.ends_with("wetransfer.com"))
      ++denied_app;
    if (action == "Denied" && reason == "url_category" && host == "malware.test") ++denied_category;
  }
  EXPECT_EQ(allowed, 1);
  EXPECT_EQ(denied_app, 2);  // the GET and the CONNECT
  EXPECT_EQ(denied_category, 1);
  EXPECT_EQ(lines, 4);
}

}  // namespace
