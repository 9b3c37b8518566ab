// Do one million users fit, and what does a user's state cost?
//
// Feeds USERS × SIGNINS successful sign-ins (plus one failure in ten) over a simulated week to
// the analytics, with the attributes the enrichers would set (country, city, coordinates, ASN,
// OS, browser, device), and prints the analytics' throughput, the memory per profile, the
// peak RSS, and with --state the SQLite size per user and the checkpoint time.
//   profiles_bench [USERS=1000000] [SIGNINS=4] [--state DIR]

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "mamori/detect/analytics/analytics.hpp"
#include "mamori/event/event.hpp"

using namespace mamori;

namespace {

struct place {
  const char* country;
  const char* city;
  double lat;
  double lon;
  std::uint32_t asn;
};

constexpr place places[] = {
    {"JP", "Tokyo", 35.68, 139.69, 2516},       {"JP", "Osaka", 34.69, 135.50, 17676},
    {"US", "New York", 40.71, -74.00, 7922},    {"DE", "Berlin", 52.52, 13.40, 3320},
    {"GB", "London", 51.50, -0.12, 2856},       {"FR", "Paris", 48.85, 2.35, 3215},
    {"SG", "Singapore", 1.29, 103.85, 9506},    {"AU", "Sydney", -33.86, 151.20, 1221},
    {"BR", "São Paulo", -23.55, -46.63, 28573}, {"IN", "Mumbai", 19.07, 72.87, 9829},
};

struct agent {
  const char* os;
  const char* browser;
  const char* device;
};
constexpr agent agents[] = {{"Windows", "Edge", "Other"},
                            {"Windows", "Chrome", "Other"},
                            {"Mac OS X", "Safari", "Mac"},
                            {"iOS", "Mobile Safari", "iPhone"},
                            {"Android", "Chrome Mobile", "Samsung SM-G991B"}};

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

struct null_sink final : finding_sink {
  std::uint64_t n = 0;
  void emit(finding) override { ++n; }
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t users = 1'000'000;
  int per_user = 4;
  std::string state;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--state" && i + 1 < argc) {
      state = argv[++i];
    } else {
      pos.push_back(a);
    }
  }
  if (!pos.empty()) users = std::stoul(pos[0]);
  if (pos.size() > 1) per_user = std::stoi(pos[1]);
  if (!state.empty()) std::filesystem::remove_all(state);

  analytics_config cfg = default_analytics_config();
  cfg.state_dir = state;
  cfg.max_profiles = std::max<std::size_t>(users + users / 4, 16);
  auto dets = make_analytics(cfg);
  null_sink sink;
  detector_chain chain(sink);
  for (auto& d : dets) chain.add(std::move(d));

  const std::int64_t t0 = 1'780'000'000LL * 1'000'000'000LL;
  const std::int64_t week = 7LL * 86400 * 1'000'000'000LL;
  const std::uint64_t total = users * static_cast<std::uint64_t>(per_user);
  const auto start = std::chrono::steady_clock::now();
  event_batch batch;
  const std::uint32_t src = source_table::global().add("profiles_bench");
  std::uint64_t emitted = 0;
  for (int round = 0; round < per_user; ++round) {
    for (std::size_t u = 0; u < users; ++u) {
      event& e = batch.add();
      // Rounds spread over the week; users interleaved within a round.
      e.time_ns =
          t0 + (week / per_user) * round +
          static_cast<std::int64_t>(u) * ((week / per_user) / static_cast<std::int64_t>(users));
      e.class_uid = ocsf::event_class::authentication;
      e.activity_id = ocsf::activity::logon;
      e.status = (u + round) % 10 == 0 ? ocsf::status_id::failure : ocsf::status_id::success;
      e.source = src;
      e.line = ++emitted;
      const place& p = places[(u * 7 + (round == per_user - 1 && u % 50 == 0 ? 3 : 0)) % 10];
      const agent& ag = agents[(u + (round > 2 && u % 20 == 0 ? 1 : 0)) % 5];
      const std::string name = fmt::format("user{:07d}@corp.example", u);
      const std::string ip =
          fmt::format("{}.{}.{}.{}", 11 + (u >> 16) % 200, (u >> 8) & 255, u & 255, 1 + round);
      e.set(ocsf::attr::user_name, value::string(batch.store(name)));
      e.set(ocsf::attr::src_ip, value::string(batch.store(ip)));
      e.set(ocsf::attr::src_country, value::string(p.country));
      e.set(ocsf::attr::src_city, value::string(p.city));
      e.set(ocsf::attr::src_lat, value::real(p.lat));
      e.set(ocsf::attr::src_long, value::real(p.lon));
      e.set(ocsf::attr::src_asn, value::integer(p.asn));
      e.set(ocsf::attr::http_user_agent, value::string("Mozilla/5.0 (bench)"));
      e.set(ocsf::attr::src_os_name, value::string(ag.os));
      e.set(ocsf::attr::src_browser_name, value::string(ag.browser));
      e.set(ocsf::attr::src_device_family, value::string(ag.device));
      if (batch.size() == 4096) {
        chain.consume(batch);
        batch.clear();
      }
    }
  }
  if (!batch.empty()) chain.consume(batch);
  const double feed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string before = analytics_stats_json(*chain.detectors().front());
  const auto f0 = std::chrono::steady_clock::now();
  chain.finish();
  const double finish_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
  std::uintmax_t db_bytes = 0;
  if (!state.empty()) {
    for (const auto& f : std::filesystem::directory_iterator(state)) db_bytes += f.file_size();
  }
  fmt::print(
      "{{\"users\":{},\"events\":{},\"feed_seconds\":{:.2f},\"events_per_second\":{:.0f},"
      "\"finish_seconds\":{:.2f},\"findings\":{},\"peak_rss_mb\":{:.0f},\"rss_per_user_bytes\":{:."
      "0f},"
      "\"state_bytes\":{},\"state_bytes_per_user\":{:.0f},\"context\":{}}}\n",
      users, total, feed_s, static_cast<double>(total) / feed_s, finish_s, sink.n,
      static_cast<double>(peak_rss_kb()) / 1024.0,
      static_cast<double>(peak_rss_kb()) * 1024.0 / static_cast<double>(users), db_bytes,
      static_cast<double>(db_bytes) / static_cast<double>(users), before);
  return 0;
}
