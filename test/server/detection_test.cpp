// The server detects with the same engines as a batch run: Sigma cloud rules and the default
// analytics over real CloudTrail data, ingested over HTTP, give exactly the findings that the
// same rules and analytics give when run directly over the file.

#include <simdjson.h>

#include <map>

#include "mamori/detect/analytics/analytics.hpp"
#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/io/byte_stream.hpp"
#include "mamori/pipeline/hunt_job.hpp"
#include "mamori/pipeline/parse_job.hpp"
#include "mamori/server/server.hpp"
#include "server_test_util.hpp"

using namespace mamori;
using namespace mamori::test;
namespace fs = std::filesystem;

namespace {

const std::string aws_rules = std::string(MAMORI_SHARED_DATA) + "/sigma/rules/cloud/aws";

struct collect final : finding_sink {
  std::map<std::string, int> by_rule;
  std::size_t total = 0;
  void emit(finding f) override {
    ++by_rule[f.rule_uid];
    ++total;
  }
};

}  // namespace

TEST(detection, server_findings_equal_a_direct_run_of_the_same_engines) {
  if (!fs::exists(cloudtrail_ndjson) || !fs::exists(aws_rules)) GTEST_SKIP() << "shared data absent";
  temp_dir dir;
  // Reference: the same file through parse → enrich → Sigma + analytics, in one process.
  collect ref;
  {
    diagnostics diag;
    sigma::sigma_options so;
    so.rule_paths = {aws_rules};
    const auto names = decoder_names(decoder_registry::builtin());
    auto loaded = sigma::load_sigma(so, names);
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_GT(loaded->report.loaded, 0u);
    auto bundle = load_analytics("default", (dir.path / "ref-state").string(), diag);
    ASSERT_TRUE(bundle) << bundle.error().message;
    detector_chain chain(ref);
    chain.add(std::make_unique<sigma::sigma_detector>(loaded->rules, names, so.limits));
    for (auto& d : bundle->detectors) chain.add(std::move(d));
    parse_options po;
    po.format = "cloudtrail";
    parse_job job(decoder_registry::builtin(), po, diag);
    for (auto& e : bundle->enrich.enrichers) job.add_enricher(*e);
    parse_stats st;
    job.run_one("aws", memory_input(read_file(cloudtrail_ndjson)), chain, st);
    chain.finish();
  }
  ASSERT_GT(ref.total, 0u) << "the AWS rules and analytics find nothing in this data";

  server::server_config c;
  c.data = (dir.path / "data").string();
  c.listen = "127.0.0.1:0";
  c.rules = {aws_rules};
  c.analytics = "default";
  auto s = server::server::create(c);
  ASSERT_TRUE(s) << s.error().message;
  auto a = (*s)->start();
  ASSERT_TRUE(a) << a.error().message;
  const std::string admin = first_line(c.data + "/admin.token");
  auto r = call(a->http, "POST", "/api/v1/ingest/aws?format=cloudtrail&wait=1", admin, read_file(cloudtrail_ndjson));
  ASSERT_EQ(r.status, 200u) << r.body;
  // Windows still open at the end of input are flushed on stop, as in the batch run.
  (*s)->stop();
  s->reset();
  auto s2 = server::server::create(c);
  ASSERT_TRUE(s2);
  auto a2 = (*s2)->start();
  ASSERT_TRUE(a2);
  auto f = call(a2->http, "GET", "/api/v1/findings?limit=10000", admin);
  ASSERT_EQ(f.status, 200u);
  simdjson::dom::parser p;
  std::map<std::string, int> got;
  std::size_t total = 0;
  for (auto x : p.parse(f.body)["findings"].get_array()) {
    ++got[std::string(x["rule"]["uid"].get_string().value())];
    ++total;
  }
  EXPECT_EQ(got, ref.by_rule);
  EXPECT_EQ(total, ref.total);
  // Every finding is in a case, with a scenario from data/cases.
  auto cases = call(a2->http, "GET", "/api/v1/cases?limit=10000", admin);
  std::size_t in_cases = 0;
  for (auto x : p.parse(cases.body)["cases"].get_array()) in_cases += static_cast<std::size_t>(x["findings_count"].get_int64().value());
  EXPECT_EQ(in_cases, total);
  std::printf("detection: %zu findings from %zu rules/analytics, all in cases\n", total, got.size());
  (*s2)->stop();
}
