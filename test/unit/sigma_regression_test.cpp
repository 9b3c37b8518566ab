// SigmaHQ's own regression suite: every rule with a `regression_tests_path` points to an
// info.yml listing .evtx files and the number of matches expected. Each .evtx goes through the
// real parse pipeline (the EVTX decoder) and the rule must produce exactly `match_count`
// findings on it (at least one when the info.yml gives no count, as upstream's runner does).
// Prints the pass count and every failure with its reason.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/detect/sigma/yaml.hpp"
#include "mamori/io/byte_stream.hpp"
#include "mamori/io/input_reader.hpp"
#include "mamori/pipeline/hunt_job.hpp"
#include "sigma_test_util.hpp"

namespace mamori::sigma {
namespace {

namespace fs = std::filesystem;
const std::string sigma_dir = std::string(MAMORI_SHARED_DATA) + "/sigma";

struct regression_case {
  std::string rule_file;
  std::string rule_id;
  std::string info;
  std::string evtx;
  std::optional<std::int64_t> match_count;
};

// Rules whose upstream regression data is known to be defective, with the reason; every
// exception is argued here, in the open. Upstream's runner treats match_count as a minimum
// ("Got N matches but only M expected - consider updating match_count"), so a stale count
// passes there; here the extra matches were checked one by one: each is a distinct event that
// satisfies the rule as written.
const std::map<std::string, std::pair<std::size_t, std::string>> known_data_defects = {
    {"0b9ad457-2554-44c1-82c2-d56a99c42377",
     {3, "match_count 1 is stale: EventRecordID 14985, 14988 and 14990 each have a TargetFilename "
     "containing \\AppData\\Roaming\\AnyDesk\\user.conf (3 matches)"}},
    {"8fbf3271-1ef6-4e94-8210-03c2317947f6",
     {3, "match_count 1 is stale: the file holds three Sysmon 11 events creating procdump64.exe, "
     "procdump64a.exe and procdump.exe, all listed by the rule's endswith values (3 matches)"}},
    {"45e112d0-7759-4c2a-aa36-9f8fb79d3393",
     {3, "match_count 1 is stale: three Sysmon 13 events set ZoneMap\\Domains\\bad-domain.com"
     "\\bad-subdomain\\{https,http,*} to a value the filter does not exclude (3 matches)"}},
    {"c7dcacd0-cc59-4004-b0a4-1d6cdebe6f3e",
     {2, "match_count 1 is stale: both AutoShareServer and AutoShareWks are set to DWORD "
     "(0x00000000), each a match of the rule (2 matches)"}},
};

std::vector<regression_case> find_cases() {
  std::vector<regression_case> out;
  for (const char* dir : {"rules", "rules-emerging-threats", "rules-threat-hunting"}) {
    const fs::path root = fs::path(sigma_dir) / dir;
    if (!fs::exists(root)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(root))
      if (e.path().extension() == ".yml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f);
      std::string line, info, id;
      while (std::getline(in, line)) {
        if (line.rfind("regression_tests_path:", 0) == 0) {
          info = line.substr(line.find(':') + 1);
          info.erase(0, info.find_first_not_of(" '\""));
          info.erase(info.find_last_not_of(" '\"\r") + 1);
        }
        if (line.rfind("id:", 0) == 0 && id.empty()) {
          id = line.substr(3);
          id.erase(0, id.find_first_not_of(' '));
          id.erase(id.find_last_not_of(" \r") + 1);
        }
      }
      if (info.empty()) continue;
      auto docs = parse_yaml_file(sigma_dir + "/" + info);
      if (!docs || docs->empty()) continue;
      const ynode* tests = (*docs)[0].get("regression_tests_info");
      if (tests == nullptr || !tests->is_sequence()) continue;
      for (const auto& t : tests->items) {
        if (t.get_text("type") != "evtx") continue;
        regression_case c;
        c.rule_file = f.string();
        c.rule_id = id;
        c.info = info;
        c.evtx = sigma_dir + "/" + std::string(t.get_text("path"));
        if (const ynode* mc = t.get("match_count"); mc != nullptr && mc->is_scalar()) {
          c.match_count = std::stoll(mc->text);
        }
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

struct count_sink final : finding_sink {
  std::map<std::string, std::size_t> by_rule;
  void emit(finding f) override { ++by_rule[f.rule_uid]; }
};

// Which decoder claims a file, if any.
std::optional<std::uint16_t> claimed(const std::string& path) {
  auto stream = open_input(path);
  if (!stream) return std::nullopt;
  input_reader in(std::move(*stream));
  return detect_format(decoder_registry::builtin(), path, in);
}

TEST(SigmaRegression, SigmaHQRegressionSuite) {
  if (!fs::exists(sigma_dir + "/regression_data")) {
    GTEST_SKIP() << "no " << sigma_dir << "/regression_data";
  }
  auto cases = find_cases();
  ASSERT_FALSE(cases.empty());

  // Which input to read: the .evtx, or the .json beside it when only JSON is decodable.
  const bool evtx_readable = claimed(cases.front().evtx).has_value();
  const std::string json_alt = fs::path(cases.front().evtx).replace_extension(".json").string();
  const bool json_readable = !evtx_readable && claimed(json_alt).has_value();
  if (!evtx_readable && !json_readable) {
    GTEST_SKIP() << "no decoder in this build claims .evtx files (nor the .json exports beside "
                    "them): merge the Windows decoders to run SigmaHQ's regression suite ("
                 << cases.size() << " cases found)";
  }
  if (json_readable) {
    std::printf("note: no decoder claims .evtx; reading the .json exports instead\n");
  }

  // One ruleset with every rule under test, the default pipeline (thor.yml's mapping).
  sigma_options options;
  for (const auto& c : cases) options.rule_paths.push_back(c.rule_file);
  std::sort(options.rule_paths.begin(), options.rule_paths.end());
  options.rule_paths.erase(std::unique(options.rule_paths.begin(), options.rule_paths.end()),
                           options.rule_paths.end());
  const auto names = decoder_names(decoder_registry::builtin());
  auto loaded = load_sigma(options, names);
  ASSERT_TRUE(loaded) << loaded.error().message;
  std::map<std::string, std::string> not_loaded;
  for (const auto& r : loaded->report.rules)
    if (r.status != rule_status::loaded) not_loaded[r.id] = r.reason;

  std::size_t passed = 0;
  std::vector<std::string> failures, excused;
  for (const auto& c : cases) {
    const std::string input =
        json_readable ? fs::path(c.evtx).replace_extension(".json").string() : c.evtx;
    std::string why;
    std::size_t got = 0;
    std::uint64_t events = 0, rejected = 0;
    if (auto it = not_loaded.find(c.rule_id); it != not_loaded.end()) {
      why = "rule not loaded: " + it->second;
    } else {
      count_sink sink;
      detector_chain chain(sink);
      chain.add(std::make_unique<sigma_detector>(loaded->rules, names));
      diagnostics diag;
      parse_job job(decoder_registry::builtin(), {}, diag);
      auto stats = job.run({input}, chain);
      chain.finish();
      events = stats.events;
      rejected = stats.rejected;
      got = sink.by_rule[c.rule_id];
      const bool ok = c.match_count ? got == static_cast<std::size_t>(*c.match_count) : got > 0;
      if (ok) {
        ++passed;
        continue;
      }
      why = c.match_count ? "expected " + std::to_string(*c.match_count) + " matches"
                          : std::string("expected at least one match (no match_count)");
      why += ", got " + std::to_string(got) + " (" + std::to_string(events) + " events";
      if (rejected > 0) why += ", " + std::to_string(rejected) + " rejected records";
      why += ")";
    }
    const std::string line = c.rule_id + " " + fs::path(c.rule_file).filename().string() + ": " + why;
    // An excuse holds only for the exact number of matches it argues for.
    if (auto k = known_data_defects.find(c.rule_id);
        k != known_data_defects.end() && k->second.first == got) {
      excused.push_back(line + " [known data defect: " + k->second.second + "]");
    } else {
      failures.push_back(line);
    }
  }
  std::printf("SigmaHQ regression suite: %zu/%zu passed (%s)\n", passed, cases.size(),
              json_readable ? "JSON exports" : "native .evtx");
  for (const auto& e : excused) std::printf("  excused: %s\n", e.c_str());
  for (const auto& f : failures) std::printf("  FAILED: %s\n", f.c_str());
  EXPECT_TRUE(failures.empty()) << failures.size() << " regression cases failed";
  EXPECT_EQ(cases.size(), 202u);
}

// Every SigmaHQ Windows rule over every regression .evtx and EVTX-ATTACK-SAMPLES: the
// Vectorscan path and the reference evaluator (glob_match and friends, no prefilter) agree on
// every event.
TEST(SigmaRegression, VectorscanAgreesWithReferenceOnWindowsEvents) {
  const fs::path data = fs::path(sigma_dir) / "regression_data";
  if (!fs::exists(data)) GTEST_SKIP() << "no " << data;
  std::vector<std::string> inputs;
  for (const auto& e : fs::recursive_directory_iterator(data))
    if (e.path().extension() == ".evtx") inputs.push_back(e.path().string());
  const fs::path samples =
      fs::path(MAMORI_SHARED_DATA) / "windows" / "evtx-attack-samples";
  if (fs::exists(samples)) {
    for (const auto& e : fs::recursive_directory_iterator(samples))
      if (e.path().extension() == ".evtx") inputs.push_back(e.path().string());
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty() || !claimed(inputs.front())) {
    GTEST_SKIP() << "no decoder in this build claims .evtx files";
  }
  sigma_options options;
  for (const char* d : {"rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"})
    options.rule_paths.push_back(sigma_dir + "/" + d);
  const auto names = decoder_names(decoder_registry::builtin());
  auto loaded = load_sigma(options, names);
  ASSERT_TRUE(loaded) << loaded.error().message;
  struct both final : event_sink {
    std::shared_ptr<const compiled_ruleset> rules;
    matcher m;
    std::size_t events = 0, matches = 0, disagreements = 0;
    both(std::shared_ptr<const compiled_ruleset> r, std::vector<std::string> n)
        : rules(r), m(r, std::move(n)) {}
    void consume(const event_batch& batch) override {
      for (const event& e : batch.events()) {
        ++events;
        std::vector<match_ref> refs;
        m.match(e, refs);
        std::vector<std::uint32_t> fast, slow;
        std::vector<std::uint32_t> groups;
        for (const auto& r : refs) fast.push_back(rules->groups[r.group].instances[r.instance].rule);
        // The reference runs every instance of every group the event selects: groups are
        // recomputed from the pipeline conditions with plain string comparisons.
        for (std::uint32_t gi = 0; gi < rules->groups.size(); ++gi) {
          const auto& g = rules->groups[gi];
          const auto fmt = m.decoder_name(e.decoder);
          if (!g.entry.formats.empty() &&
              std::find(g.entry.formats.begin(), g.entry.formats.end(), fmt) ==
                  g.entry.formats.end())
            continue;
          auto holds = [&](const pipeline_condition& c) {
            for (const auto& f : e.fields) {
              if (field_registry::global().name(f.id) != c.field) continue;
              for (const auto& v : c.values)
                if (iequals(v, f.v.to_string())) return true;
            }
            return false;
          };
          bool ok = true;
          for (const auto& c : g.entry.when) ok = ok && holds(c);
          for (const auto& c : g.entry.unless) ok = ok && !holds(c);
          if (!ok) continue;
          for (const auto& inst : g.instances)
            if (testing::engine::reference(g, inst.program, e, m.canon()))
              slow.push_back(inst.rule);
        }
        std::sort(fast.begin(), fast.end());
        std::sort(slow.begin(), slow.end());
        slow.erase(std::unique(slow.begin(), slow.end()), slow.end());
        matches += fast.size();
        if (fast != slow) {
          ++disagreements;
          ADD_FAILURE() << "disagreement on " << source_table::global().path(e.source) << "@"
                        << e.offset;
        }
      }
    }
  } sink(loaded->rules, names);
  diagnostics diag;
  parse_job job(decoder_registry::builtin(), {}, diag);
  job.run(inputs, sink);
  std::printf("%zu events from %zu files, %zu rules: %zu matches, %zu disagreements\n",
              sink.events, inputs.size(), loaded->report.loaded, sink.matches,
              sink.disagreements);
  EXPECT_GT(sink.events, 200u);
  EXPECT_EQ(sink.disagreements, 0u);
}

}  // namespace
}  // namespace mamori::sigma
