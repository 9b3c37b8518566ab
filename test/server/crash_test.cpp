// Durability: kill -9 the server while clients ingest, restart it, and check that every
// acknowledged batch is stored exactly once (and no batch is stored partly or twice).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "server_test_util.hpp"

extern char** environ;

using namespace mamori;
using namespace mamori::test;
namespace fs = std::filesystem;

namespace {

const std::string mamori_bin = std::string(MAMORI_BINARY_DIR) + "/bin/mamori";

// A `mamori serve` child process; its URL is read from the first line it prints.
class child_server {
 public:
  explicit child_server(const std::string& data) {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::vector<std::string> args = {mamori_bin, "serve", "--data", data, "--listen", "127.0.0.1:0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(::posix_spawn(&pid_, mamori_bin.c_str(), &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    // Read "mamori serve: listening on URL" (bounded wait).
    std::string text;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    out_ = out[0];
    auto at = text.find("listening on ");
    if (at != std::string::npos) url_ = text.substr(at + 13, text.find('\n', at) - at - 13);
  }
  ~child_server() {
    if (pid_ > 0) kill9();
    if (out_ >= 0) ::close(out_);
  }
  void kill9() {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  void terminate() {
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string url_;
};

// Batch k: 50 CloudTrail records, each tagged with "mamoriTestBatch":"b<k>".
std::vector<std::string> make_batches(std::size_t count, std::size_t per_batch) {
  std::vector<std::string> lines;
  std::ifstream in(cloudtrail_ndjson);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  std::vector<std::string> out;
  for (std::size_t k = 0; k < count; ++k) {
    std::string b;
    for (std::size_t i = 0; i < per_batch; ++i) {
      const std::string& l = lines[(k * per_batch + i) % lines.size()];
      b += "{\"mamoriTestBatch\":\"b" + std::to_string(k) + "\"," + l.substr(1) + "\n";
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

TEST(durability, kill_9_during_ingest_loses_nothing_acknowledged_and_stores_once) {
  if (!fs::exists(cloudtrail_ndjson)) GTEST_SKIP() << "shared data absent";
  if (!fs::exists(mamori_bin)) GTEST_SKIP() << "no mamori binary at " << mamori_bin;
  temp_dir dir;
  const std::string data = (dir.path / "data").string();
  constexpr std::size_t per_batch = 50;
  const auto batches = make_batches(400, per_batch);
  std::set<std::size_t> acked;
  std::mutex m;
  std::mt19937 rng(12345);  // fixed seed: deterministic kill points
  std::size_t next = 0;

  for (int round = 0; round < 3; ++round) {
    auto srv = std::make_unique<child_server>(data);
    ASSERT_FALSE(srv->url().empty()) << "server did not start";
    const std::string url = srv->url();
    const std::string token = first_line(data + "/admin.token");
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 3; ++c) {
      clients.emplace_back([&] {
        for (;;) {
          std::size_t k;
          {
            std::lock_guard lock(m);
            if (stop || next >= batches.size()) return;
            k = next++;
          }
          server::http_client_options o;
          o.timeout_s = 10;
          auto r = server::http_call("POST", url + "/api/v1/ingest/crash?format=cloudtrail",
                                     {{"Authorization", "Bearer " + token}}, batches[k], o);
          if (r && r->status == 202) {
            std::lock_guard lock(m);
            acked.insert(k);
          }
          if (!r) return;  // the server died under us: this batch was not acknowledged
        }
      });
    }
    // Let some batches in, then kill -9 at a pseudo-random moment.
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 400));
    srv->kill9();
    stop = true;
    for (auto& t : clients) t.join();
  }

  // Restart once more: the WAL replays what was acknowledged but not yet stored.
  child_server srv(data);
  ASSERT_FALSE(srv.url().empty());
  const std::string token = first_line(data + "/admin.token");
  ASSERT_GT(acked.size(), 0u);
  auto r = call(srv.url(), "POST", "/api/v1/search", token,
                R"({"query":"source=crash | count by mamoriTestBatch","limit":10000})");
  ASSERT_EQ(r.status, 200u) << r.body;
  simdjson::dom::parser p;
  auto doc = p.parse(r.body);
  std::map<std::string, std::int64_t> stored;
  for (auto g : doc["groups"].get_array())
    stored[std::string(g["mamoriTestBatch"].get_string().value())] = g["count"].get_int64().value();
  // Every batch present is whole (no partial batch, no duplicate event)...
  for (const auto& [b, n] : stored) EXPECT_EQ(n, static_cast<std::int64_t>(per_batch)) << b;
  // ...and every acknowledged batch is present.
  std::size_t missing = 0;
  for (auto k : acked)
    if (stored.count("b" + std::to_string(k)) == 0) ++missing;
  EXPECT_EQ(missing, 0u) << "acknowledged batches lost";
  std::int64_t total = 0;
  for (const auto& [b, n] : stored) total += n;
  EXPECT_EQ(json_int(call(srv.url(), "POST", "/api/v1/search", token, R"({"query":"source=crash | count"})").body, "count"), total);
  RecordProperty("acknowledged_batches", static_cast<int>(acked.size()));
  RecordProperty("stored_batches", static_cast<int>(stored.size()));
  std::printf("durability: %zu batches acknowledged across 3 kill -9, %zu stored, 0 lost, 0 duplicated\n",
              acked.size(), stored.size());
  srv.terminate();
}
