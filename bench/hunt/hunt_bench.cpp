// Question: what does running the whole SigmaHQ rule set cost on top of decoding?
//
// For each dataset: decode it into a null sink (parse only), then decode it into the Sigma
// detector (hunt), and report events per second per core for both (process CPU time, best of
// N runs), their ratio, the rule compile time and the peak RSS. Single-threaded, so CPU time
// is per-core time. Usage:
//   hunt_bench [--repeat N] --rules PATH... -- NAME=INPUT[,INPUT...] ...

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "mamori/detect/sigma/matcher.hpp"
#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/io/inputs.hpp"
#include "mamori/pipeline/hunt_job.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // kB on Linux
}

struct null_sink final : mamori::event_sink {
  std::uint64_t events = 0;
  void consume(const mamori::event_batch& b) override { events += b.size(); }
};

// Times the detectors alone (CPU time inside observe(), per batch of ~4096 events).
struct timed_chain final : mamori::event_sink {
  mamori::detector_chain& chain;
  double cpu = 0;
  explicit timed_chain(mamori::detector_chain& c) : chain(c) {}
  void consume(const mamori::event_batch& b) override {
    const double t = cpu_seconds();
    chain.consume(b);
    cpu += cpu_seconds() - t;
  }
};

// Keeps deep copies of every event, to time the matcher alone.
struct keep_events final : mamori::event_sink {
  std::vector<std::unique_ptr<mamori::event_batch>> batches;
  void consume(const mamori::event_batch& b) override {
    auto copy = std::make_unique<mamori::event_batch>();
    for (const auto& e : b.events()) {
      mamori::event& c = copy->add();
      c = e;
      for (auto& f : c.fields)
        if (f.v.is_string()) f.v.s = copy->store(f.v.s);
    }
    batches.push_back(std::move(copy));
  }
};

struct count_findings final : mamori::finding_sink {
  std::uint64_t n = 0;
  void emit(mamori::finding) override { ++n; }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace mamori;
  int repeat = 3;
  std::vector<std::string> rules;
  std::vector<std::pair<std::string, std::vector<std::string>>> datasets;
  bool in_rules = false, in_data = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::stoi(argv[++i]);
    } else if (a == "--rules") {
      in_rules = true;
      in_data = false;
    } else if (a == "--") {
      in_rules = false;
      in_data = true;
    } else if (in_rules) {
      rules.push_back(a);
    } else if (in_data) {
      auto eq = a.find('=');
      std::string name = eq == std::string::npos ? a : a.substr(0, eq);
      std::string list = eq == std::string::npos ? a : a.substr(eq + 1);
      std::vector<std::string> inputs;
      for (std::size_t p = 0; p <= list.size();) {
        auto c = list.find(',', p);
        if (c == std::string::npos) c = list.size();
        inputs.push_back(list.substr(p, c - p));
        p = c + 1;
      }
      datasets.emplace_back(name, inputs);
    }
  }
  if (rules.empty() || datasets.empty()) {
    fmt::print(stderr, "usage: hunt_bench [--repeat N] --rules PATH... -- NAME=INPUT[,INPUT]...\n");
    return 1;
  }
  const auto& registry = decoder_registry::builtin();
  const auto names = decoder_names(registry);

  sigma::sigma_options options;
  options.rule_paths = rules;
  const double c0 = cpu_seconds();
  auto loaded = sigma::load_sigma(options, names);
  const double load_cpu = cpu_seconds() - c0;
  if (!loaded) {
    fmt::print(stderr, "hunt_bench: {}\n", loaded.error().message);
    return 1;
  }
  const auto& rep = loaded->report;
  fmt::print("rules: {} loaded ({} unsupported, {} invalid) from {} files\n", rep.loaded,
             rep.unsupported, rep.invalid, rep.files);
  fmt::print("load + compile: {:.0f} ms CPU ({:.0f} ms wall; compile alone {:.0f} ms wall), "
             "{} Vectorscan literals in {} databases, {} groups\n",
             load_cpu * 1000, rep.load_ms, rep.stats.compile_ms, rep.stats.scanned_patterns,
             rep.stats.databases, rep.stats.groups);
  fmt::print("\n{:<22} {:>9} {:>16} {:>16} {:>7} {:>12} {:>11} {:>9}\n", "dataset", "events",
             "parse ev/s/core", "hunt ev/s/core", "ratio", "detect us/ev", "match us/ev",
             "findings");
  // detect us/ev: CPU inside the detectors per event (matching, explanations, findings);
  // match us/ev: the matcher alone over events held in memory.
  for (const auto& [name, inputs] : datasets) {
    auto files = expand_inputs(inputs);
    if (!files) {
      fmt::print("{:<22} missing: {}\n", name, files.error().message);
      continue;
    }
    double best_parse = 1e30, best_hunt = 1e30, best_detect = 1e30;
    std::uint64_t events = 0, findings = 0;
    for (int r = 0; r < repeat; ++r) {
      diagnostics quiet;
      {
        parse_job job(registry, {}, quiet);
        null_sink sink;
        const double t = cpu_seconds();
        job.run(*files, sink);
        best_parse = std::min(best_parse, cpu_seconds() - t);
        events = sink.events;
      }
      {
        parse_job job(registry, {}, quiet);
        count_findings out;
        detector_chain chain(out);
        auto det = std::make_unique<sigma::sigma_detector>(loaded->rules, names);
        chain.add(std::move(det));
        timed_chain timed(chain);
        const double t = cpu_seconds();
        job.run(*files, timed);
        chain.finish();
        best_detect = std::min(best_detect, timed.cpu);
        best_hunt = std::min(best_hunt, cpu_seconds() - t);
        findings = out.n;
      }
    }
    // The matcher alone over events already in memory (no decoding, no findings).
    double best_match = 1e30;
    {
      keep_events kept;
      diagnostics quiet;
      parse_job job(registry, {}, quiet);
      job.run(*files, kept);
      sigma::matcher m(loaded->rules, names);
      std::vector<sigma::match_ref> refs;
      for (int r = 0; r < repeat; ++r) {
        const double t = cpu_seconds();
        for (const auto& b : kept.batches)
          for (const auto& e : b->events()) {
            refs.clear();
            m.match(e, refs);
          }
        best_match = std::min(best_match, cpu_seconds() - t);
      }
    }
    const double pe = static_cast<double>(events) / best_parse;
    const double he = static_cast<double>(events) / best_hunt;
    fmt::print("{:<22} {:>9} {:>16.0f} {:>16.0f} {:>6.0f}% {:>12.2f} {:>11.2f} {:>9}\n", name,
               events, pe, he, 100.0 * he / pe, 1e6 * best_detect / static_cast<double>(events),
               1e6 * best_match / static_cast<double>(events), findings);
  }
  fmt::print("\npeak RSS: {:.0f} MB\n", peak_rss_mb());
  return 0;
}
