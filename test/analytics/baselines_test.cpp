// Baselines, state and configuration: learning periods, persistence across runs (SQLite),
// profiles, event-time ordering with lateness, the configuration file, the mass-activity
// statistics, and the analytics that need a learned baseline.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "analytics_helpers.hpp"
#include "mamori/detect/analytics/explain.hpp"
#include "mamori/enrich/ip_reputation.hpp"

namespace mamori {
namespace {

const std::string shared = MAMORI_SHARED_DATA;
constexpr std::int64_t t0 = 1'780'000'000LL * 1'000'000'000LL;  // 2026-05-28

analytics_config test_config() {
  analytics_config c = default_analytics_config();
  c.enrich.geoip = false;
  c.learning_period = 2 * days_ns;
  c.new_country.min_user_sign_ins = 5;
  c.new_country.org_min_users = 3;
  c.new_country.org_max_share = 0.34;
  c.new_device.min_user_sign_ins = 5;
  c.unusual_service.min_user_events = 5;
  return c;
}

struct where {
  const char* country;
  const char* city;
  double lat;
  double lon;
  const char* ip;
};
// Real places; the addresses are documentation ranges (RFC 5737), geo is given as a decoder
// (Okta, Entra) gives it.
constexpr where tokyo{"JP", "Tokyo", 35.6895, 139.6917, "192.0.2.10"};
constexpr where osaka{"JP", "Osaka", 34.6937, 135.5023, "192.0.2.11"};
constexpr where lagos{"NG", "Lagos", 6.4541, 3.3947, "198.51.100.7"};
constexpr where berlin{"DE", "Berlin", 52.5244, 13.4105, "203.0.113.9"};

test::ev sign_in(std::int64_t t, const std::string& user, const where& w, bool ok = true,
                 const std::string& os = "Windows", const std::string& browser = "Edge") {
  test::ev e;
  e.time_ns = t;
  e.status = ok ? ocsf::status_id::success : ocsf::status_id::failure;
  e.set(ocsf::attr::user_name, user)
      .set(ocsf::attr::src_ip, w.ip)
      .set(ocsf::attr::src_country, w.country)
      .set(ocsf::attr::src_city, w.city)
      .set(ocsf::attr::src_lat, value::real(w.lat))
      .set(ocsf::attr::src_long, value::real(w.lon))
      .set(ocsf::attr::http_user_agent, "Mozilla/5.0 (" + os + ") " + browser)
      .set(ocsf::attr::src_os_name, os)
      .set(ocsf::attr::src_browser_name, browser);
  return e;
}

// Three users working from Japan for three days, twice a day.
std::vector<test::ev> baseline_days(int days = 3) {
  std::vector<test::ev> out;
  for (int d = 0; d < days; ++d) {
    for (const char* u : {"alice@corp.example", "bob@corp.example", "carol@corp.example"}) {
      out.push_back(sign_in(t0 + d * days_ns + 1 * hours_ns, u, tokyo));
      out.push_back(sign_in(t0 + d * days_ns + 9 * hours_ns, u, osaka));
    }
  }
  return out;
}

TEST(baselines, new_country_and_new_device_after_learning) {
  auto events = baseline_days();
  // Day 4: alice from Lagos with Linux/Firefox.
  events.push_back(sign_in(t0 + 3 * days_ns + 2 * hours_ns, "alice@corp.example", lagos, true,
                           "Linux", "Firefox"));
  auto dets = make_analytics(test_config());
  test::collect out;
  test::run(dets, events, out);
  auto nc = out.of("mamori.new_country");
  ASSERT_EQ(nc.size(), 1u);
  std::cout << "  " << nc[0]->explanation << "\n";
  EXPECT_NE(nc[0]->explanation.find("NG was seen in 0 of 6"), std::string::npos);
  EXPECT_NE(nc[0]->explanation.find("0 of the organisation's 3 users"), std::string::npos);
  auto nd = out.of("mamori.new_device");
  ASSERT_EQ(nd.size(), 1u);
  std::cout << "  " << nd[0]->explanation << "\n";
  EXPECT_NE(nd[0]->explanation.find("new OS Linux and browser Firefox"), std::string::npos);
  // Tokyo → Lagos in 17 h is 13,500 km at ~800 km/h: not impossible.
  EXPECT_TRUE(out.of("mamori.impossible_travel").empty());
}

TEST(baselines, nothing_new_is_reported_during_the_learning_period) {
  auto events = baseline_days(1);  // one day: still learning (2 days)
  events.push_back(
      sign_in(t0 + 20 * hours_ns, "alice@corp.example", lagos, true, "Linux", "Firefox"));
  auto dets = make_analytics(test_config());
  test::collect out;
  test::run(dets, events, out);
  EXPECT_TRUE(out.of("mamori.new_country").empty());
  EXPECT_TRUE(out.of("mamori.new_device").empty());
}

TEST(baselines, restart_keeps_what_was_learned) {
  const auto dir = std::filesystem::temp_directory_path() / "mamori-analytics-state-test";
  std::filesystem::remove_all(dir);
  analytics_config c = test_config();
  c.state_dir = dir.string();
  {
    auto dets = make_analytics(c);
    test::collect out;
    test::run(dets, baseline_days(), out);
    EXPECT_TRUE(out.all.empty());
  }
  ASSERT_TRUE(std::filesystem::exists(dir / "analytics.sqlite"));
  auto text = describe_profile(dir.string(), "Alice@Corp.Example", false);
  ASSERT_TRUE(text) << text.error().message;
  std::cout << *text;
  EXPECT_NE(text->find("sign-ins          6 successful, 0 failed"), std::string::npos);
  EXPECT_NE(text->find("JP ×6"), std::string::npos);
  EXPECT_NE(text->find("last located      "), std::string::npos);
  auto json = describe_profile(dir.string(), "alice@corp.example", true);
  ASSERT_TRUE(json);
  EXPECT_NE(json->find("\"countries\":{\"JP\":6}"), std::string::npos);
  EXPECT_FALSE(describe_profile(dir.string(), "mallory", false));
  // Second run, new process state: the baseline is back. Lagos is new, Osaka is not; and the
  // travel check uses the last location stored by the first run (Osaka 09:00 → Berlin 10:00).
  {
    auto dets = make_analytics(c);
    test::collect out;
    std::vector<test::ev> day4 = {
        sign_in(t0 + 2 * days_ns + 10 * hours_ns, "bob@corp.example", berlin),
        sign_in(t0 + 3 * days_ns + 1 * hours_ns, "carol@corp.example", osaka),
        sign_in(t0 + 3 * days_ns + 2 * hours_ns, "alice@corp.example", lagos),
    };
    test::run(dets, day4, out);
    ASSERT_EQ(out.of("mamori.impossible_travel").size(), 1u);
    std::cout << "  " << out.of("mamori.impossible_travel")[0]->explanation << "\n";
    EXPECT_EQ(out.of("mamori.impossible_travel")[0]->user, "bob@corp.example");
    auto nc = out.of("mamori.new_country");
    ASSERT_EQ(nc.size(), 2u);  // bob in DE, alice in NG; carol in JP is known
    for (const auto* f : nc) EXPECT_NE(f->user, "carol@corp.example");
  }
  std::filesystem::remove_all(dir);
}

TEST(baselines, profile_state_stays_under_two_kilobytes) {
  auto dets = make_analytics(test_config());
  test::collect out;
  std::vector<test::ev> events;
  // A busy user: 200 sign-ins from 12 countries with 8 OS/browser combinations.
  const where places[] = {tokyo, osaka, lagos, berlin};
  for (int k = 0; k < 200; ++k) {
    where w = places[k % 4];
    events.push_back(sign_in(t0 + k * hours_ns, "busy@corp.example", w, true,
                             "OS" + std::to_string(k % 8), "B" + std::to_string(k % 9)));
  }
  test::run(dets, events, out);
  const auto* a = dynamic_cast<const detector*>(dets.empty() ? nullptr : dets.front().get());
  (void)a;
  // Serialized size through the store API.
  const auto dir = std::filesystem::temp_directory_path() / "mamori-analytics-size-test";
  std::filesystem::remove_all(dir);
  analytics_config c = test_config();
  c.state_dir = dir.string();
  auto d2 = make_analytics(c);
  test::collect out2;
  test::run(d2, events, out2);
  auto json = describe_profile(dir.string(), "busy@corp.example", true);
  ASSERT_TRUE(json);
  const auto pos = json->find("\"stored_bytes\":");
  ASSERT_NE(pos, std::string::npos);
  const int stored = std::stoi(json->substr(pos + 15));
  std::cout << "  stored profile: " << stored << " bytes\n";
  EXPECT_LT(stored, 2048);
  EXPECT_LT(sizeof(analytics::user_profile), 2048u);
  std::filesystem::remove_all(dir);
}

TEST(ordering, late_events_within_lateness_give_the_same_findings) {
  // Spray: 8 accounts, one attempt each, 20 s apart; delivered shuffled within 3 minutes.
  std::vector<test::ev> events;
  for (int k = 0; k < 8; ++k) {
    test::ev e;
    e.time_ns = t0 + k * 20 * seconds_ns;
    e.status = ocsf::status_id::failure;
    e.set(ocsf::attr::user_name, "user" + std::to_string(k))
        .set(ocsf::attr::src_ip, "198.51.100.66");
    events.push_back(e);
  }
  auto in_order = make_analytics(test_config());
  test::collect a;
  test::run(in_order, events, a, 1);
  std::mt19937 rng(7);
  std::shuffle(events.begin(), events.end(), rng);
  auto shuffled = make_analytics(test_config());
  test::collect b;
  test::run(shuffled, events, b, 1);
  ASSERT_EQ(a.of("mamori.password_spray").size(), 1u);
  ASSERT_EQ(b.of("mamori.password_spray").size(), 1u);
  EXPECT_EQ(a.of("mamori.password_spray")[0]->explanation,
            b.of("mamori.password_spray")[0]->explanation);
}

TEST(concurrent_countries, back_and_forth_between_two_countries) {
  std::vector<test::ev> events = {
      sign_in(t0, "dave@corp.example", berlin),
      sign_in(t0 + 8 * minutes_ns, "dave@corp.example", lagos),
      sign_in(t0 + 15 * minutes_ns, "dave@corp.example", berlin),
      sign_in(t0 + 21 * minutes_ns, "dave@corp.example", lagos),
  };
  auto dets = make_analytics(test_config());
  test::collect out;
  test::run(dets, events, out);
  auto c = out.of("mamori.concurrent_countries");
  ASSERT_EQ(c.size(), 1u);
  std::cout << "  " << c[0]->explanation << "\n";
  EXPECT_NE(c[0]->explanation.find("3 country switches"), std::string::npos);
  // Berlin → Lagos in 8 minutes is also impossible travel.
  EXPECT_FALSE(out.of("mamori.impossible_travel").empty());
}

TEST(mass_activity, robust_baseline_and_floors) {
  auto download = [](std::int64_t t, const std::string& user) {
    test::ev e;
    e.time_ns = t;
    e.cls = ocsf::event_class::file_hosting_activity;
    e.activity = 2;  // Download
    e.set(ocsf::attr::actor_user_name, user)
        .set(ocsf::attr::api_operation, "FileDownloaded")
        .set(ocsf::attr::file_size, value::integer(200'000));
    return e;
  };
  std::vector<test::ev> events;
  // Six days with one active hour each: 20, 25, 18, 30, 22, 27 downloads.
  const int history[] = {20, 25, 18, 30, 22, 27};
  for (int d = 0; d < 6; ++d)
    for (int k = 0; k < history[d]; ++k)
      events.push_back(download(t0 + d * days_ns + 10 * hours_ns + k * seconds_ns, "erin"));
  // Day 7: 150 downloads in 20 minutes (above floor 100, median 23.5 + 6×1.48×MAD ≈ 68, 3×p90 ≈
  // 85).
  for (int k = 0; k < 150; ++k)
    events.push_back(download(t0 + 6 * days_ns + 10 * hours_ns + k * 8 * seconds_ns, "erin"));
  // Frank: no history; 150 downloads is below the no-baseline threshold (floor × 2 = 200).
  for (int k = 0; k < 150; ++k)
    events.push_back(download(t0 + 6 * days_ns + 11 * hours_ns + k * 4 * seconds_ns, "frank"));
  std::sort(events.begin(), events.end(),
            [](const test::ev& a, const test::ev& b) { return a.time_ns < b.time_ns; });
  auto dets = make_analytics(test_config());
  test::collect out;
  test::run(dets, events, out);
  auto m = out.of("mamori.mass_download");
  ASSERT_EQ(m.size(), 1u);
  std::cout << "  " << m[0]->explanation << "\n";
  EXPECT_EQ(m[0]->user, "erin");
  EXPECT_NE(m[0]->explanation.find("erin downloaded 100 files"), std::string::npos);
  EXPECT_NE(m[0]->explanation.find("baseline over 6 active windows"), std::string::npos);
}

TEST(anonymizer, tor_exit_sign_in_from_the_real_list) {
  const std::string tor = shared + "/reference/tor_ip_addresses/tor-exit-nodes.lst";
  if (!std::filesystem::exists(tor)) GTEST_SKIP() << "shared data absent: " << tor;
  std::string exit_ip;
  std::ifstream(tor) >> exit_ip;
  auto rep = std::make_unique<ip_reputation>();
  ASSERT_TRUE(rep->add_list({tor, ip_flag::tor, "tor exit nodes"}));
  rep->build();
  ip_reputation_enricher enr(std::move(rep));
  test::ev e = sign_in(t0, "gina@corp.example", berlin);
  e.set(ocsf::attr::src_ip, exit_ip);
  test::ev again = e;
  again.time_ns += hours_ns;  // deduplicated for 24 h
  test::ev failed = e;
  failed.status = ocsf::status_id::failure;
  failed.set(ocsf::attr::user_name, "hank@corp.example");
  auto dets = make_analytics(test_config());
  test::collect out;
  test::run(dets, {e, again, failed}, out, 512, {&enr});
  auto a = out.of("mamori.anonymizer");
  ASSERT_EQ(a.size(), 1u);
  std::cout << "  " << a[0]->explanation << "\n";
  EXPECT_NE(a[0]->explanation.find(exit_ip), std::string::npos);
  EXPECT_NE(a[0]->explanation.find("Tor node"), std::string::npos);
  EXPECT_EQ(a[0]->evidences.size(), 1u);  // the event itself
}

TEST(config, yaml_with_every_section_and_clear_errors) {
  auto ok = parse_analytics_config(R"(
lateness: 2m
learning_period: 14d
ignore_users: [svc-backup]
enrichment:
  geoip: false
  corporate_egress: ["198.51.100.0/24", "2001:db8::/32"]
  lists: [{path: /tmp/x.txt, flag: vpn}]
analytics:
  brute_force: {failures: 20, window: 10m}
  password_spray: {min_accounts: 7, window: 0.5s}
  impossible_travel: {max_speed_kmh: 1000, suppress_known_egress: false}
  cloud_critical: {break_glass: [breakglass-admin]}
  anonymizer: {enabled: false}
)",
                                   "test.yml");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->lateness, 2 * minutes_ns);
  EXPECT_EQ(ok->learning_period, 14 * days_ns);
  EXPECT_EQ(ok->brute_force.failures, 20);
  EXPECT_EQ(ok->brute_force.window, 10 * minutes_ns);
  EXPECT_EQ(ok->password_spray.window, 500 * 1'000'000);
  EXPECT_EQ(ok->impossible_travel.max_speed_kmh, 1000);
  EXPECT_FALSE(ok->impossible_travel.suppress_known_egress);
  EXPECT_EQ(ok->cloud_critical.break_glass, std::vector<std::string>{"breakglass-admin"});
  EXPECT_FALSE(ok->anonymizer.enabled);
  EXPECT_EQ(ok->enrich.corporate_egress.size(), 2u);
  EXPECT_EQ(ok->enrich.extra_lists.size(), 1u);
  EXPECT_EQ(make_analytics(*ok).size(), analytic_names().size() - 1);

  auto typo = parse_analytics_config("analytics:\n  brute_force:\n    failure: 5\n", "a.yml");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().message, "a.yml:3: unknown key 'failure' in brute_force");
  auto dur = parse_analytics_config("lateness: 5 minutes\n", "b.yml");
  ASSERT_FALSE(dur);
  EXPECT_NE(dur.error().message.find("b.yml:1: lateness: unknown unit"), std::string::npos);
  auto level = parse_analytics_config("analytics:\n  new_device: {level: urgent}\n", "c.yml");
  ASSERT_FALSE(level);
  EXPECT_NE(level.error().message.find("c.yml:2"), std::string::npos);
  auto cidr = parse_analytics_config("enrichment:\n  known_bad: [10.0.0.300]\n", "d.yml");
  ASSERT_FALSE(cidr);
  EXPECT_NE(cidr.error().message.find("not an address or CIDR"), std::string::npos);
  auto yaml = parse_analytics_config("analytics: [\n", "e.yml");
  ASSERT_FALSE(yaml);
  EXPECT_NE(yaml.error().message.find("e.yml:"), std::string::npos);
}

TEST(explain, distances_and_formatting) {
  // Tokyo → São Paulo, the issue's example: about 18,500 km.
  const double km = analytics::distance_km(35.6895, 139.6917, -23.5475, -46.6361);
  EXPECT_NEAR(km, 18530, 60);
  EXPECT_EQ(analytics::thousands(18530.4), "18,530");
  EXPECT_EQ(analytics::span_text(200 * 1'000'000), "0.2 s");
  EXPECT_EQ(analytics::span_text(38 * minutes_ns), "38 min");
  EXPECT_EQ(analytics::span_text(125 * minutes_ns), "2 h 05 min");
  EXPECT_EQ(analytics::place("Tokyo", "JP", 2516, "192.0.2.1"), "Tokyo, JP (AS2516)");
}

}  // namespace
}  // namespace mamori
