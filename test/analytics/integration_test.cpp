// The analytics behind the real decoders (docs/formats/*): Windows JSON (OTRF), native EVTX
// (EVTX-ATTACK-SAMPLES), syslog sshd (loghub), Panther rule tests (CloudTrail root cases),
// with the default enrichers where their data is installed.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "analytics_helpers.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace mamori {
namespace {

const std::string shared = MAMORI_SHARED_DATA;

struct chain_sink final : event_sink {
  detector_chain& chain;
  explicit chain_sink(detector_chain& c) : chain(c) {}
  void consume(const event_batch& b) override { chain.consume(b); }
};

test::collect hunt(const std::vector<std::string>& files, analytics_config c = {}) {
  std::vector<diagnostic> seen;
  diagnostics diag([&](const diagnostic& d) { seen.push_back(d); });
  c.diag = &diag;
  enrichment en = make_enrichers(c.enrich, diag);
  test::collect out;
  auto dets = make_analytics(c);
  detector_chain chain(out);
  for (auto& d : dets) chain.add(std::move(d));
  parse_job job(decoder_registry::builtin(), parse_options{}, diag);
  for (auto& e : en.enrichers) job.add_enricher(*e);
  chain_sink sink(chain);
  parse_stats st = job.run(files, sink);
  chain.finish();
  EXPECT_EQ(st.rejected, 0u);
  return out;
}

bool exists(const std::string& p) {
  return std::filesystem::exists(p);
}

TEST(integration, purplesharp_spray_through_the_windows_json_decoder) {
  const std::string path = shared +
                           "/windows/otrf-mordor/purplesharp_ad_playbook_I/host/"
                           "purplesharp_ad_playbook_I_2020-10-22042947.json";
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  auto out = hunt({path});
  auto s = out.of("mamori.password_spray");
  ASSERT_EQ(s.size(), 1u);
  std::cout << "  " << s[0]->explanation << "\n";
  EXPECT_NE(s[0]->explanation.find("7 accounts failed to sign in from workstation WORKSTATION5"),
            std::string::npos);
  EXPECT_EQ(s[0]->host, "WORKSTATION5");
  for (const auto& f : out.all)
    if (f.rule_uid != "mamori.password_spray") std::cout << "  other: " << f.explanation << "\n";
}

TEST(integration, kerberos_spray_through_the_evtx_decoder) {
  const std::string path =
      shared + "/windows/evtx-attack-samples/Credential Access/kerberos_pwd_spray_4771.evtx";
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  auto out = hunt({path});
  auto s = out.of("mamori.password_spray");
  ASSERT_EQ(s.size(), 1u);
  std::cout << "  " << s[0]->explanation << "\n";
  EXPECT_NE(s[0]->explanation.find("9 accounts failed to sign in from address 172.16.66.1"),
            std::string::npos);
  EXPECT_EQ(s[0]->src_ip, "172.16.66.1");
}

TEST(integration, loghub_sshd_through_the_syslog_decoder) {
  const std::string path = shared + "/ssh/loghub/OpenSSH/OpenSSH_2k.log";
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  auto out = hunt({path});
  std::set<std::string> sources;
  for (const auto* f : out.of("mamori.brute_force_source")) sources.insert(f->src_ip);
  for (const char* ip : {"183.62.140.253", "187.141.143.180", "103.99.0.122", "112.95.230.3"}) {
    EXPECT_EQ(sources.count(ip), 1u) << ip;
  }
  for (const auto* f : out.of("mamori.brute_force_source")) {
    if (f->src_ip == "183.62.140.253") {
      std::cout << "  " << f->explanation << "\n";
      EXPECT_NE(f->explanation.find("CN"), std::string::npos);  // GeoIP when installed
    }
  }
}

TEST(integration, panther_root_cases_through_the_panther_test_decoder) {
  const std::string path = shared + "/saas/panther-rule-tests/aws_cloudtrail.jsonl";
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  // One file per case: each is judged alone.
  std::ifstream in(path);
  std::string line;
  int judged = 0;
  int agree = 0;
  const auto dir = std::filesystem::temp_directory_path() / "mamori-panther-root";
  std::filesystem::create_directories(dir);
  while (std::getline(in, line)) {
    if (line.find("\"rule_id\": \"AWS.Console.RootLogin\"") == std::string::npos &&
        line.find("\"rule_id\": \"AWS.Root.Activity\"") == std::string::npos) {
      continue;
    }
    const bool expected = line.find("\"expected_result\": true") != std::string::npos;
    const auto p = dir / ("case" + std::to_string(judged) + ".jsonl");
    std::ofstream(p) << line << "\n";
    analytics_config c;
    c.enrich.geoip = false;
    c.enrich.asn = false;
    auto out = hunt({p.string()}, c);
    const bool fired = !out.of("mamori.root_activity").empty();
    ++judged;
    if (fired == expected) {
      ++agree;
    } else {
      std::cout << "  disagree (expected " << expected << "): " << line.substr(0, 200) << "\n";
    }
  }
  std::filesystem::remove_all(dir);
  std::cout << "  Panther root cases: " << agree << "/" << judged << " agree\n";
  EXPECT_GE(judged, 8);
  EXPECT_GE(agree, judged - 2);
}

}  // namespace
}  // namespace mamori
