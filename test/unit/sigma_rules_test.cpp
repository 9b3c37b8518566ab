// The whole SigmaHQ rule set loads and compiles (≥ 99%, the rest printed with reasons), and
// the cloud rules find in real CloudTrail data what an independent count of the same events
// says they must, with the Vectorscan path and the reference evaluator agreeing on every
// event.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/io/inputs.hpp"
#include "mamori/pipeline/hunt_job.hpp"
#include "sigma_test_util.hpp"

namespace mamori::sigma {
namespace {

const std::string shared = MAMORI_SHARED_DATA;

TEST(SigmaRuleSet, SigmaHQLoadsAndCompiles) {
  const std::string base = shared + "/sigma";
  if (!std::filesystem::exists(base + "/rules")) GTEST_SKIP() << "no " << base << "/rules";
  sigma_options options;
  options.rule_paths = {base + "/rules", base + "/rules-emerging-threats",
                        base + "/rules-threat-hunting"};
  auto loaded = load_sigma(options, decoder_names(decoder_registry::builtin()));
  ASSERT_TRUE(loaded) << loaded.error().message;
  const auto& report = loaded->report;
  std::size_t total = 0, compiled = 0;
  std::map<std::string, std::size_t> logsource_gaps;
  for (const auto& r : report.rules) {
    ++total;
    if (r.compiled) {
      ++compiled;
      if (r.status == rule_status::unsupported) ++logsource_gaps[r.reason];
    } else {
      std::printf("not compiled: %s: %s [%s]\n", r.where.to_string().c_str(), r.reason.c_str(),
                  r.title.c_str());
    }
  }
  std::printf("SigmaHQ: %zu rules, %zu compiled (%.2f%%), %zu loaded (runnable through the "
              "pipeline), %zu invalid; compile %.0f ms; %zu Vectorscan literals in %zu databases\n",
              total, compiled, 100.0 * static_cast<double>(compiled) / static_cast<double>(total),
              report.loaded, report.invalid, report.stats.compile_ms,
              report.stats.scanned_patterns, report.stats.databases);
  for (const auto& [reason, n] : logsource_gaps) std::printf("  %4zu %s\n", n, reason.c_str());
  EXPECT_GE(static_cast<double>(compiled), 0.99 * static_cast<double>(total));
  EXPECT_EQ(report.invalid, 0u);
  EXPECT_GT(report.loaded, 3000u);
}

// Independent count: events of the JSONL export that a rule must match.
std::size_t count_events(const std::string& jsonl,
                         const std::function<bool(simdjson::dom::element)>& pred) {
  std::ifstream in(jsonl);
  std::string line;
  simdjson::dom::parser parser;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    auto doc = parser.parse(line);
    if (!doc.error() && pred(doc.value())) ++n;
  }
  return n;
}

std::string_view str(simdjson::dom::element e, const char* key) {
  auto v = e[key];
  if (v.error() || !v.is_string()) return {};
  return v.get_string().value();
}

TEST(SigmaRuleSet, CloudTrailRulesOnStratusData) {
  const std::string data = shared + "/cloud/aws-stratus-invictus";
  const std::string rules = shared + "/sigma/rules/cloud/aws";
  if (!std::filesystem::exists(data + "/raw") || !std::filesystem::exists(rules)) {
    GTEST_SKIP() << "CloudTrail data or rules not present under " << shared;
  }
  hunt_options options;
  options.sigma.rule_paths = {rules};
  options.analytics.spec = "none";
  diagnostics diag;
  auto job = hunt_job::create(decoder_registry::builtin(), options, diag);
  ASSERT_TRUE(job) << job.error().message;
  struct collect final : finding_sink {
    std::map<std::string, std::size_t> by_rule;
    void emit(finding f) override { ++by_rule[f.rule_name]; }
  } sink;
  auto files = expand_inputs({data + "/raw"});
  ASSERT_TRUE(files);
  auto stats = (*job)->run(*files, sink);
  EXPECT_EQ(stats.parse.events, 2900u);
  EXPECT_EQ(stats.parse.rejected, 0u);

  const std::string jsonl = data + "/cloudtrail_events.jsonl";
  const auto flow = count_events(jsonl, [](simdjson::dom::element e) {
    return str(e, "eventName") == "DeleteFlowLogs" &&
           (e["errorCode"].error() || e["errorCode"].is_null() || str(e, "errorCode") == "Success");
  });
  const auto trail = count_events(jsonl, [](simdjson::dom::element e) {
    const auto n = str(e, "eventName");
    return str(e, "eventSource") == "cloudtrail.amazonaws.com" &&
           (n == "StopLogging" || n == "UpdateTrail" || n == "DeleteTrail");
  });
  ASSERT_GT(flow, 0u);
  ASSERT_GT(trail, 0u);
  EXPECT_EQ(sink.by_rule["AWS VPC Flow Logs Deleted"], flow);
  EXPECT_EQ(sink.by_rule["AWS CloudTrail Important Change"], trail);
}

// Matcher and reference evaluator agree on every CloudTrail event for every cloud rule.
TEST(SigmaRuleSet, VectorscanAgreesWithReferenceOnCloudTrail) {
  const std::string data = shared + "/cloud/aws-stratus-invictus/raw";
  const std::string rules = shared + "/sigma/rules/cloud/aws";
  if (!std::filesystem::exists(data) || !std::filesystem::exists(rules)) GTEST_SKIP();
  sigma_options options;
  options.rule_paths = {rules};
  const auto names = decoder_names(decoder_registry::builtin());
  auto loaded = load_sigma(options, names);
  ASSERT_TRUE(loaded);
  struct both final : event_sink {
    std::shared_ptr<const compiled_ruleset> rules;
    matcher m;
    std::size_t events = 0, matches = 0;
    both(std::shared_ptr<const compiled_ruleset> r, std::vector<std::string> n)
        : rules(r), m(r, std::move(n)) {}
    void consume(const event_batch& batch) override {
      for (const event& e : batch.events()) {
        ++events;
        std::vector<match_ref> refs;
        m.match(e, refs);
        std::vector<std::uint32_t> fast, slow;
        for (const auto& r : refs) fast.push_back(rules->groups[r.group].instances[r.instance].rule);
        for (const auto& g : rules->groups) {
          if (g.entry.name != "aws-cloudtrail") continue;
          for (const auto& inst : g.instances)
            if (testing::engine::reference(g, inst.program, e, m.canon())) slow.push_back(inst.rule);
        }
        std::sort(fast.begin(), fast.end());
        std::sort(slow.begin(), slow.end());
        matches += fast.size();
        ASSERT_EQ(fast, slow) << "event at offset " << e.offset;
      }
    }
  } sink(loaded->rules, names);
  diagnostics diag;
  parse_job job(decoder_registry::builtin(), {}, diag);
  auto files = expand_inputs({data});
  ASSERT_TRUE(files);
  job.run(*files, sink);
  EXPECT_EQ(sink.events, 2900u);
  EXPECT_GT(sink.matches, 50u);
}

}  // namespace
}  // namespace mamori::sigma
