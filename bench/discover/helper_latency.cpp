// Question: does the Squid helper answer within 1 ms at the 99th percentile and sustain 50,000
// lookups per second on one core (issue 8)? Measured two ways on the same requests (real
// destinations of the shared Zeek and Proxifier data, as GET URLs and CONNECTs):
//   in-process  squid_helper::handle_line, one request at a time (latency) and back to back;
//   subprocess  `mamori squid-helper` on pipes, as Squid runs it: one request in flight at a
//               time (round-trip latency, includes two pipe hops and the scheduler), then
//               pipelined with channel IDs as with concurrency=N (throughput).
// Prints percentiles and the ratio to the targets.

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "mamori/catalog/setup.hpp"
#include "mamori/discover/squid_helper.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace {

namespace fs = std::filesystem;
using namespace mamori;
using clk = std::chrono::steady_clock;

const fs::path shared = MAMORI_SHARED_DATA;
const fs::path source = MAMORI_SOURCE_DIR;

class name_sink final : public event_sink {
 public:
  void consume(const event_batch& batch) override {
    for (const auto& e : batch.events())
      for (auto a : {ocsf::attr::query_hostname, ocsf::attr::tls_sni, ocsf::attr::dst_hostname})
        if (auto v = e.get_string(a); !v.empty()) names.emplace_back(v);
  }
  std::vector<std::string> names;
};

struct percentiles {
  double p50, p99, p999, max;
};

percentiles summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1,
                       static_cast<std::size_t>(q * static_cast<double>(us.size())))];
  };
  return {at(0.50), at(0.99), at(0.999), us.back()};
}

void print_row(std::string_view what, const percentiles& p, double rate) {
  fmt::print(
      "{:<34} p50 {:>7.1f} us  p99 {:>7.1f} us  p99.9 {:>7.1f} us  max {:>8.1f} us  {:>10.0f} "
      "req/s\n",
      what, p.p50, p.p99, p.p999, p.max, rate);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 200'000;
  if (argc > 1) n = std::stoul(argv[1]);
  name_sink sink;
  diagnostics diag;
  parse_job job(decoder_registry::builtin(), {}, diag);
  std::vector<std::string> files;
  for (const char* f : {"network/zeek/wrccdc2018_zed_sample/zeek-default/dns.log.gz",
                        "network/zeek/wrccdc2018_zed_sample/zeek-default/ssl.log.gz",
                        "ssh/loghub/Proxifier/Proxifier_2k.log"})
    if (fs::exists(shared / f)) files.push_back((shared / f).string());
  if (files.empty()) {
    fmt::print("helper latency: ../shared/data is absent; skipped\n");
    return 0;
  }
  job.run(files, sink);
  std::vector<std::string> lines;
  for (std::size_t k = 0; lines.size() < n; ++k) {
    const std::string& h = sink.names[k % sink.names.size()];
    lines.push_back(k % 3 == 0 ? fmt::format("10.1.{}.{} - CONNECT {}:443", k % 7, k % 250, h)
                               : fmt::format("10.1.{}.{} user{} GET http://{}/path/{}?q=1", k % 7,
                                             k % 250, k % 40, h, k));
  }

  catalog::catalog_setup setup;
  setup.data_dir = (source / "data").string();
  setup.shared_data = shared.string();
  const auto t_load = clk::now();
  auto cat = catalog::load_catalog(setup, diag);
  if (!cat) {
    fmt::print(stderr, "{}\n", cat.error().message);
    return 1;
  }
  const fs::path policy_file = source / "data/policy/example-policy.yaml";
  auto policy = discover::load_policy(policy_file.string(), *cat);
  if (!policy) {
    fmt::print(stderr, "{}\n", policy.error().message);
    return 1;
  }
  catalog::url_category_db ut1;
  const fs::path ut1_dir = shared / "reference/ut1_blacklists/blacklists";
  (void)ut1.load_ut1(ut1_dir.string(), policy->block_url_categories, diag);
  const double load_s = std::chrono::duration<double>(clk::now() - t_load).count();
  discover::access_decider decider(*cat, *policy, &ut1);
  fmt::print(
      "{} requests from {} real destinations; catalog {} apps, policy {}, UT1 {} loaded in {:.2f} "
      "s\n",
      lines.size(), sink.names.size(), cat->size(), policy_file.filename().string(),
      fmt::join(policy->block_url_categories, "+"), load_s);

  // In-process, one at a time.
  {
    discover::squid_helper h(decider, {});
    std::vector<double> us;
    us.reserve(lines.size());
    std::string out;
    const auto t0 = clk::now();
    for (const auto& l : lines) {
      out.clear();
      const auto a = clk::now();
      h.handle_line(l, out);
      us.push_back(std::chrono::duration<double, std::micro>(clk::now() - a).count());
    }
    const double secs = std::chrono::duration<double>(clk::now() - t0).count();
    auto p = summarize(us);
    print_row("in-process handle_line", p, static_cast<double>(lines.size()) / secs);
    fmt::print(
        "  denied {} of {}; p99 {:.3f} ms = {:.1f}% of the 1 ms target; {:.1f}x the 50k/s target\n",
        h.stats().denied, h.stats().requests, p.p99 / 1000, p.p99 / 10,
        static_cast<double>(lines.size()) / secs / 50'000);
  }

  // Subprocess, as Squid runs it.
  int to_child[2], from_child[2];
  if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) return 1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(to_child[0], 0);
    ::dup2(from_child[1], 1);
    ::close(to_child[1]);
    ::close(from_child[0]);
    ::execl(MAMORI_BINARY, "mamori", "squid-helper", "--policy", policy_file.c_str(), "--ut1",
            ut1_dir.c_str(), "--log", "none", "--concurrency", "yes", nullptr);
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  std::string buf;
  char chunk[1 << 16];
  auto read_lines = [&](std::size_t want) {
    std::size_t got = 0;
    while (got < want) {
      const ssize_t r = ::read(from_child[0], chunk, sizeof chunk);
      if (r <= 0) return got;
      for (ssize_t i = 0; i < r; ++i) got += chunk[i] == '\n';
    }
    return got;
  };
  // Warm-up: the first answer arrives once the catalog is loaded.
  const auto t_start = clk::now();
  const std::string warm = "0 10.0.0.1 - GET http://example.org/\n";
  (void)!::write(to_child[1], warm.data(), warm.size());
  read_lines(1);
  fmt::print("subprocess start-up (catalog, policy, UT1 {}): {:.2f} s\n",
             fmt::join(policy->block_url_categories, "+"),
             std::chrono::duration<double>(clk::now() - t_start).count());
  {
    const std::size_t m = std::min<std::size_t>(lines.size(), 50'000);
    std::vector<double> us;
    us.reserve(m);
    const auto t0 = clk::now();
    for (std::size_t k = 0; k < m; ++k) {
      buf = fmt::format("{} {}\n", k % 100, lines[k]);
      const auto a = clk::now();
      (void)!::write(to_child[1], buf.data(), buf.size());
      read_lines(1);
      us.push_back(std::chrono::duration<double, std::micro>(clk::now() - a).count());
    }
    const double secs = std::chrono::duration<double>(clk::now() - t0).count();
    auto p = summarize(us);
    print_row("subprocess, one in flight", p, static_cast<double>(m) / secs);
    fmt::print("  p99 {:.3f} ms = {:.1f}% of the 1 ms target (round trip through two pipes)\n",
               p.p99 / 1000, p.p99 / 10);
  }
  {
    std::string all;
    for (std::size_t k = 0; k < lines.size(); ++k) all += fmt::format("{} {}\n", k % 100, lines[k]);
    const auto t0 = clk::now();
    std::thread writer([&] {
      std::string_view s = all;
      while (!s.empty()) {
        const ssize_t w = ::write(to_child[1], s.data(), std::min<std::size_t>(s.size(), 1 << 16));
        if (w <= 0) break;
        s.remove_prefix(static_cast<std::size_t>(w));
      }
    });
    const std::size_t got = read_lines(lines.size());
    writer.join();
    const double secs = std::chrono::duration<double>(clk::now() - t0).count();
    fmt::print("{:<34} {} answers in {:.2f} s: {:>10.0f} req/s = {:.1f}x the 50k/s target\n",
               "subprocess, pipelined (channels)", got, secs, static_cast<double>(got) / secs,
               static_cast<double>(got) / secs / 50'000);
  }
  ::close(to_child[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(from_child[0]);
  return 0;
}
