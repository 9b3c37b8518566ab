// Enrichers on real data: the shared reference lists, the GeoIP/ASN databases fetched by
// scripts/bootstrap, and uap-core's own test corpus.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "mamori/enrich/asn.hpp"
#include "mamori/enrich/enrichers.hpp"
#include "mamori/enrich/geoip.hpp"
#include "mamori/enrich/ip_address.hpp"
#include "mamori/enrich/ip_ranges.hpp"
#include "mamori/enrich/ip_reputation.hpp"
#include "mamori/enrich/user_agent.hpp"
#include "mamori/event/event.hpp"

namespace mamori {
namespace {

const std::string shared = MAMORI_SHARED_DATA;

TEST(ip_address, parses_families_and_decorations) {
  auto a = ip_address::parse("192.0.2.10");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->v4);
  EXPECT_EQ(a->v4_value(), 0xC000020Au);
  EXPECT_EQ(a->to_string(), "192.0.2.10");
  EXPECT_EQ(ip_address::parse("192.0.2.10:5678")->to_string(), "192.0.2.10");
  EXPECT_EQ(ip_address::parse("[2001:db8::1]")->to_string(), "2001:db8::1");
  EXPECT_EQ(ip_address::parse("fe80::1%eth0")->to_string(), "fe80::1");
  auto mapped = ip_address::parse("::ffff:198.51.100.7");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->v4);
  EXPECT_EQ(mapped->to_string(), "198.51.100.7");
  EXPECT_FALSE(ip_address::parse("-"));
  EXPECT_FALSE(ip_address::parse("WORKSTATION5"));
  EXPECT_FALSE(ip_address::parse("300.1.1.1"));
  EXPECT_FALSE(ip_address::parse(""));
  EXPECT_TRUE(ip_address::parse("10.1.2.3")->is_internal());
  EXPECT_TRUE(ip_address::parse("100.64.0.1")->is_internal());
  EXPECT_TRUE(ip_address::parse("fd00::1")->is_internal());
  EXPECT_FALSE(ip_address::parse("8.8.8.8")->is_internal());
  EXPECT_FALSE(ip_address::parse("2001:4860:4860::8888")->is_internal());
}

TEST(ip_flag_table, overlapping_lists_combine_flags) {
  ip_flag_table t;
  t.add(*ip_cidr::parse("10.0.0.0/8"), 1);
  t.add(*ip_cidr::parse("10.1.0.0/16"), 2);
  t.add(*ip_cidr::parse("10.1.2.3"), 4);
  t.add(*ip_cidr::parse("2001:db8::/32"), 8);
  t.build();
  EXPECT_EQ(t.find(*ip_address::parse("10.0.0.1")), 1u);
  EXPECT_EQ(t.find(*ip_address::parse("10.1.0.1")), 3u);
  EXPECT_EQ(t.find(*ip_address::parse("10.1.2.3")), 7u);
  EXPECT_EQ(t.find(*ip_address::parse("10.1.2.4")), 3u);
  EXPECT_EQ(t.find(*ip_address::parse("10.2.0.0")), 1u);
  EXPECT_EQ(t.find(*ip_address::parse("11.0.0.0")), 0u);
  EXPECT_EQ(t.find(*ip_address::parse("9.255.255.255")), 0u);
  EXPECT_EQ(t.find(*ip_address::parse("2001:db8:1::5")), 8u);
  EXPECT_EQ(t.find(*ip_address::parse("2001:db9::")), 0u);
  // An IPv4 range never covers an IPv6 address that merely shares low bits.
  EXPECT_EQ(t.find(*ip_address::parse("::a01:203")), 0u);
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

TEST(ip_reputation, reference_lists_flag_every_listed_address) {
  const std::string tor = shared + "/reference/tor_ip_addresses/tor-exit-nodes.lst";
  if (!std::filesystem::exists(tor)) GTEST_SKIP() << "shared data absent: " << tor;
  auto lists = default_ip_lists(shared);
  ASSERT_GE(lists.size(), 9u);
  ip_reputation rep;
  for (const auto& l : lists) ASSERT_TRUE(rep.add_list(l)) << l.path;
  rep.build();
  EXPECT_GT(rep.entries(), 60000u);
  EXPECT_EQ(rep.bad_lines(), 0u);
  std::size_t exits = 0;
  for (const auto& ip : read_lines(tor)) {
    auto a = ip_address::parse(ip);
    ASSERT_TRUE(a) << ip;
    EXPECT_TRUE(rep.lookup(*a) & ip_flag::tor) << ip;
    ++exits;
  }
  EXPECT_GT(exits, 1000u);
  // Apple Private Relay: the first and last address of the first listed range.
  auto relay = ip_cidr::parse("104.28.100.10/31");
  ip_address first;
  first.value = relay->first;
  first.v4 = true;
  ip_address last = first;
  last.value = relay->last;
  EXPECT_TRUE(rep.lookup(first) & ip_flag::relay);
  EXPECT_TRUE(rep.lookup(last) & ip_flag::relay);
  // Every X4BNet VPN range start is flagged vpn.
  for (const auto& cidr :
       read_lines(shared + "/reference/x4bnet_vpn_datacenter_ips/output/vpn/ipv4.txt")) {
    auto c = ip_cidr::parse(cidr);
    ASSERT_TRUE(c) << cidr;
    ip_address a;
    a.value = c->first;
    a.v4 = true;
    ASSERT_TRUE(rep.lookup(a) & ip_flag::vpn) << cidr;
  }
  // Private addresses are in no list.
  EXPECT_EQ(rep.lookup(*ip_address::parse("192.168.1.1")), 0u);
}

std::unique_ptr<geoip_database> open_geo() {
  auto db = geoip_database::open_dir(default_geoip_dir());
  if (!db) return nullptr;
  return std::move(*db);
}

TEST(geoip, dbip_city_locates_public_addresses) {
  auto db = open_geo();
  if (!db) GTEST_SKIP() << "GeoIP database absent (run scripts/bootstrap): " << default_geoip_dir();
  auto g = db->lookup(*ip_address::parse("8.8.8.8"));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->country, "US");
  EXPECT_TRUE(g->has_coordinates);
  // The most active attacker in loghub's OpenSSH sample: China Telecom, Guangdong.
  auto cn = db->lookup(*ip_address::parse("183.62.140.253"));
  ASSERT_TRUE(cn);
  EXPECT_EQ(cn->country, "CN");
  EXPECT_TRUE(cn->lat > 18 && cn->lat < 54 && cn->lon > 73 && cn->lon < 135);  // inside China
  auto v6 = db->lookup(*ip_address::parse("2001:4860:4860::8888"));
  ASSERT_TRUE(v6);  // the IPv6 file answers IPv6 addresses
  EXPECT_EQ(v6->country.size(), 2u);
  EXPECT_TRUE(v6->has_coordinates);
  EXPECT_FALSE(db->lookup(*ip_address::parse("10.0.0.1")));
}

TEST(geoip, enricher_fills_location_and_keeps_source_geo) {
  auto db = open_geo();
  if (!db) GTEST_SKIP() << "GeoIP database absent (run scripts/bootstrap)";
  geoip_enricher enr(std::move(db));
  event_batch batch;
  batch.add();
  batch.add();
  batch.add();  // add() may move earlier events: take references afterwards
  event& a = batch.events()[0];
  event& b = batch.events()[1];
  event& c = batch.events()[2];
  a.set(ocsf::attr::src_ip, value::string("183.62.140.253"));
  b.set(ocsf::attr::src_ip, value::string("183.62.140.253"));
  b.set(ocsf::attr::src_lat, value::real(1.5));
  b.set(ocsf::attr::src_long, value::real(2.5));
  c.set(ocsf::attr::src_ip, value::string("-"));
  enr.enrich(batch);
  EXPECT_EQ(a.get_string(ocsf::attr::src_country), "CN");
  EXPECT_NE(a.get(ocsf::attr::src_lat), nullptr);
  EXPECT_EQ(a.get_string(ocsf::attr::src_geo_provider), "DB-IP");
  EXPECT_EQ(b.get(ocsf::attr::src_lat)->d, 1.5);  // the source's own location is kept
  EXPECT_EQ(b.get(ocsf::attr::src_country), nullptr);
  EXPECT_EQ(c.get(ocsf::attr::src_country), nullptr);
}

TEST(asn, ranges_name_the_networks) {
  auto db = asn_database::open_dir(default_geoip_dir());
  if (!db) GTEST_SKIP() << "ASN ranges absent (run scripts/bootstrap)";
  EXPECT_GT((*db)->ranges(), 400000u);
  auto g = (*db)->lookup(*ip_address::parse("8.8.8.8"));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->number, 15169u);
  auto cf = (*db)->lookup(*ip_address::parse("1.1.1.1"));
  ASSERT_TRUE(cf);
  EXPECT_EQ(cf->number, 13335u);
  EXPECT_EQ(cf->name, "Cloudflare, Inc.");  // a quoted CSV field with a comma
  auto v6 = (*db)->lookup(*ip_address::parse("2001:4860:4860::8888"));
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->number, 15169u);
}

// uap-core's own expectations (tests/test_ua.yaml, test_os.yaml, test_device.yaml).
struct uap_score {
  double parse_seconds = 0;
  std::size_t cases = 0;
  std::size_t ok = 0;
  std::vector<std::string> first_failures;
};

std::string field(const YAML::Node& n, const char* key) {
  return n[key] && !n[key].IsNull() ? n[key].as<std::string>() : std::string();
}

class user_agent_corpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = user_agent_parser::load(user_agent_parser::default_regexes_path());
    if (p) parser_ = std::move(*p);
  }
  static void TearDownTestSuite() { parser_.reset(); }
  static std::unique_ptr<user_agent_parser> parser_;

  template <typename F>
  uap_score score(const std::string& file, F&& check) {
    uap_score s;
    YAML::Node root = YAML::LoadFile(file);
    for (const auto& c : root["test_cases"]) {
      const std::string ua = field(c, "user_agent_string");
      ++s.cases;
      const auto t0 = std::chrono::steady_clock::now();
      user_agent_info info = parser_->parse(ua);
      s.parse_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::string why = check(info, c);
      if (why.empty()) {
        ++s.ok;
      } else if (s.first_failures.size() < 5) {
        s.first_failures.push_back(ua + " → " + why);
      }
    }
    return s;
  }
};
std::unique_ptr<user_agent_parser> user_agent_corpus::parser_;

const std::string uap_tests = "/usr/share/uap-core/tests/";

TEST_F(user_agent_corpus, browsers) {
  if (!parser_ || !std::filesystem::exists(uap_tests + "test_ua.yaml")) {
    GTEST_SKIP() << "uap-core not installed";
  }
  EXPECT_EQ(parser_->skipped_rules(), 0u);
  auto s = score(uap_tests + "test_ua.yaml", [](const user_agent_info& i, const YAML::Node& c) {
    const std::string fam = field(c, "family");
    const std::string major = field(c, "major");
    if (i.browser != fam) return "family " + i.browser + " != " + fam;
    if (i.browser_major != major) return "major " + i.browser_major + " != " + major;
    return std::string();
  });
  for (const auto& f : s.first_failures) std::cout << "  mismatch: " << f << "\n";
  std::cout << "uap-core test_ua.yaml: " << s.ok << "/" << s.cases << " agree, "
            << s.parse_seconds * 1e6 / static_cast<double>(s.cases) << " us per uncached parse\n";
  EXPECT_GE(s.ok * 1000, s.cases * 995);
}

TEST_F(user_agent_corpus, operating_systems) {
  if (!parser_ || !std::filesystem::exists(uap_tests + "test_os.yaml")) {
    GTEST_SKIP() << "uap-core not installed";
  }
  auto s = score(uap_tests + "test_os.yaml", [](const user_agent_info& i, const YAML::Node& c) {
    const std::string fam = field(c, "family");
    const std::string major = field(c, "major");
    if (i.os != fam) return "os " + i.os + " != " + fam;
    if (i.os_major != major) return "major " + i.os_major + " != " + major;
    return std::string();
  });
  for (const auto& f : s.first_failures) std::cout << "  mismatch: " << f << "\n";
  std::cout << "uap-core test_os.yaml: " << s.ok << "/" << s.cases << " agree, "
            << s.parse_seconds * 1e6 / static_cast<double>(s.cases) << " us per uncached parse\n";
  EXPECT_GE(s.ok * 1000, s.cases * 995);
}

TEST_F(user_agent_corpus, devices) {
  if (!parser_ || !std::filesystem::exists(uap_tests + "test_device.yaml")) {
    GTEST_SKIP() << "uap-core not installed";
  }
  auto s = score(uap_tests + "test_device.yaml", [](const user_agent_info& i, const YAML::Node& c) {
    const std::string fam = field(c, "family");
    const std::string brand = field(c, "brand");
    const std::string model = field(c, "model");
    if (i.device != fam) return "device " + i.device + " != " + fam;
    if (i.device_brand != brand) return "brand " + i.device_brand + " != " + brand;
    if (i.device_model != model) return "model " + i.device_model + " != " + model;
    return std::string();
  });
  for (const auto& f : s.first_failures) std::cout << "  mismatch: " << f << "\n";
  std::cout << "uap-core test_device.yaml: " << s.ok << "/" << s.cases << " agree, "
            << s.parse_seconds * 1e6 / static_cast<double>(s.cases) << " us per uncached parse\n";
  EXPECT_GE(s.ok * 1000, s.cases * 995);
}

TEST(enrichers, missing_geoip_database_warns_once_and_runs) {
  std::vector<diagnostic> seen;
  diagnostics diag([&](const diagnostic& d) { seen.push_back(d); });
  enrich_config cfg;
  cfg.geoip_dir = "/nonexistent/geoip";
  cfg.asn_dir = "/nonexistent/geoip";
  cfg.ip_lists = false;
  cfg.user_agent = false;
  enrichment e = make_enrichers(cfg, diag);
  EXPECT_FALSE(e.geo);
  EXPECT_FALSE(e.asn);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0].message.find("GeoIP database not available"), std::string::npos);
  EXPECT_NE(seen[0].hint.find("scripts/bootstrap"), std::string::npos);
  event_batch batch;
  batch.add().set(ocsf::attr::src_ip, value::string("8.8.8.8"));
  for (auto& en : e.enrichers) en->enrich(batch);  // nothing to run, nothing to crash
  EXPECT_EQ(batch.events()[0].get(ocsf::attr::src_country), nullptr);
}

}  // namespace
}  // namespace mamori
