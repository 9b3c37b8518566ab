// What does `mamori hunt --analytics` cost, and what do the analytics find on a dataset?
//
// Runs the hunt pipeline the way the integration will (decoders → enrichers → Sigma rules →
// analytics, one pass) with the pieces switched on and off, and writes the findings as NDJSON
// for `mamori eval`. Until hunt_job adds the enrichers itself (docs/design/
// analytics-integration.md) this is the reference pipeline for bench/analytics-eval and
// bench/analytics/run.
//
//   analytics_run [--rules DIR]... [--analytics none|default|FILE] [--state DIR]
//                 [--findings FILE] [--stats-json FILE] [--repeat N] INPUT...

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "mamori/detect/analytics/analytics.hpp"
#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/io/inputs.hpp"
#include "mamori/output/finding_writer.hpp"
#include "mamori/pipeline/hunt_job.hpp"
#include "mamori/pipeline/parse_job.hpp"

using namespace mamori;

namespace {

struct chain_sink final : event_sink {
  detector_chain& chain;
  explicit chain_sink(detector_chain& c) : chain(c) {}
  void consume(const event_batch& b) override { chain.consume(b); }
};

struct counting final : finding_sink {
  finding_sink* next = nullptr;
  std::map<std::string, std::uint64_t> by_rule;
  std::uint64_t total = 0;
  void emit(finding f) override {
    ++total;
    ++by_rule[f.rule_uid];
    if (next != nullptr) next->emit(std::move(f));
  }
};

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> rules;
  std::string analytics = "default";
  std::string state;
  std::string findings_path;
  std::string stats_path;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", a);
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--rules") {
      rules.push_back(next());
    } else if (a == "--analytics") {
      analytics = next();
    } else if (a == "--state") {
      state = next();
    } else if (a == "--findings") {
      findings_path = next();
    } else if (a == "--stats-json") {
      stats_path = next();
    } else {
      inputs.push_back(a);
    }
  }
  auto files = expand_inputs(inputs);
  if (!files) {
    fmt::print(stderr, "{}\n", files.error().message);
    return 1;
  }
  diagnostics diag(
      [](const diagnostic& d) {
        if (d.level != severity_level::note) fmt::print(stderr, "{}\n", render(d));
      },
      5);
  const auto& registry = decoder_registry::builtin();
  const auto t_load = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<detector>> detectors;
  if (!rules.empty()) {
    sigma::sigma_options so;
    so.rule_paths = rules;
    auto loaded = sigma::load_sigma(so, decoder_names(registry));
    if (!loaded) {
      fmt::print(stderr, "{}\n", loaded.error().message);
      return 1;
    }
    detectors.push_back(
        std::make_unique<sigma::sigma_detector>(loaded->rules, decoder_names(registry), so.limits));
  }
  auto bundle = load_analytics(analytics, state, diag);
  if (!bundle) {
    fmt::print(stderr, "{}\n", bundle.error().message);
    return 1;
  }
  for (const auto& n : bundle->enrich.notes) fmt::print(stderr, "enrich: {}\n", n);
  const std::size_t analytics_count = bundle->detectors.size();
  for (auto& d : bundle->detectors) detectors.push_back(std::move(d));
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();

  std::FILE* out = nullptr;
  std::unique_ptr<finding_writer> writer;
  if (!findings_path.empty()) {
    out = findings_path == "-" ? stdout : std::fopen(findings_path.c_str(), "w");
    if (out == nullptr) {
      fmt::print(stderr, "cannot write {}\n", findings_path);
      return 1;
    }
    writer = make_finding_writer(finding_format::ndjson, out);
  }
  counting count;
  count.next = writer.get();
  detector_chain chain(count);
  for (auto& d : detectors) chain.add(std::move(d));
  parse_job job(registry, parse_options{}, diag);
  for (auto& e : bundle->enrich.enrichers) job.add_enricher(*e);
  chain_sink sink(chain);
  const auto t0 = std::chrono::steady_clock::now();
  parse_stats ps = job.run(*files, sink);
  chain.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (writer) writer->close();
  if (out != nullptr && out != stdout) std::fclose(out);

  std::string analytics_json = "null";
  for (const auto& d : chain.detectors()) {
    std::string j = analytics_stats_json(*d);
    if (!j.empty()) {
      analytics_json = j;
      break;
    }
  }
  std::string by_rule = "{";
  for (const auto& [k, v] : count.by_rule) {
    if (by_rule.size() > 1) by_rule += ',';
    by_rule += fmt::format("\"{}\":{}", k, v);
  }
  by_rule += "}";
  const std::string stats = fmt::format(
      "{{\"files\":{},\"events\":{},\"rejected\":{},\"seconds\":{:.3f},\"events_per_second\":{:.0f}"
      ","
      "\"load_seconds\":{:.3f},\"sigma\":{},\"analytics\":{},\"enrichers\":{},\"findings\":{},"
      "\"by_rule\":{},\"peak_rss_kb\":{},\"analytics_context\":{}}}",
      ps.files, ps.events, ps.rejected, secs, secs > 0 ? static_cast<double>(ps.events) / secs : 0,
      load_s, rules.empty() ? "false" : "true", analytics_count, bundle->enrich.enrichers.size(),
      count.total, by_rule, peak_rss_kb(), analytics_json);
  if (!stats_path.empty()) {
    std::FILE* f = stats_path == "-" ? stderr : std::fopen(stats_path.c_str(), "w");
    if (f != nullptr) {
      fmt::print(f, "{}\n", stats);
      if (f != stderr) std::fclose(f);
    }
  } else {
    fmt::print(stderr, "{}\n", stats);
  }
  return 0;
}
