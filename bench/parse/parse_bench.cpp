// Question: how close does each decoder come to the raw limit of its input format?
// For every dataset the benchmark measures, on the same bytes held in memory:
//   decode/<format>   mamori's decoder into a null sink (normalization included)
//   raw/<format>      the limit: simdjson parsing every record (JSON) or splitting lines (text)
// bench/parse/run prints the figures side by side with the ratio decode/raw.

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mamori/io/json_records.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace fs = std::filesystem;

namespace {

struct dataset {
  std::string format;              // decoder name
  std::string kind;                // "json", "text" or "binary": which raw limit applies
  std::vector<std::string> files;  // relative to the shared data folder
};

// Reads (and decompresses) a file the way mamori does.
std::string load(const fs::path& p) {
  auto stream = mamori::open_input(p.string());
  std::string out;
  if (!stream) return out;
  char buf[1 << 16];
  while (true) {
    auto got = (*stream)->read(buf, sizeof buf);
    if (!got || *got == 0) break;
    out.append(buf, *got);
  }
  return out;
}

class null_sink final : public mamori::event_sink {
 public:
  void consume(const mamori::event_batch& batch) override { events += batch.size(); }
  std::uint64_t events = 0;
};

// Concatenates the dataset until it holds at least `min_bytes` (so runs are long enough to
// time), keeping records whole: line formats repeat whole files; binary formats are measured
// file by file instead.
std::vector<std::string> inputs_for(const dataset& d, std::size_t min_bytes) {
  const fs::path root = MAMORI_SHARED_DATA;
  std::vector<std::string> loaded;
  for (const auto& f : d.files) {
    const fs::path p = root / f;
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) loaded.push_back(load(e.path()));
      }
    } else if (fs::exists(p)) {
      loaded.push_back(load(p));
    }
  }
  if (d.kind == "binary") return loaded;
  std::string all;
  while (all.size() < min_bytes && !loaded.empty()) {
    for (const auto& l : loaded) {
      all += l;
      if (!all.empty() && all.back() != '\n') all += '\n';
    }
  }
  return {all};
}

void decode_bench(benchmark::State& state, const dataset* d,
                  const std::vector<std::string>* inputs) {
  mamori::diagnostics diag;
  mamori::parse_options options;
  options.format = d->format;
  std::uint64_t bytes = 0, events = 0;
  for (auto _ : state) {
    for (const auto& in : *inputs) {
      mamori::parse_job job(mamori::decoder_registry::builtin(), options, diag);
      null_sink sink;
      mamori::parse_stats stats;
      job.run_one("bench", mamori::memory_view_input(in), sink, stats);
      bytes += in.size();
      events += sink.events;
    }
  }
  state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void raw_json_bench(benchmark::State& state, const std::vector<std::string>* inputs) {
  simdjson::dom::parser parser;
  std::uint64_t bytes = 0, records = 0;
  for (auto _ : state) {
    for (const auto& in : *inputs) {
      // The same framing mamori uses (records located without parsing), then simdjson on
      // each record: everything a JSON decoder must do except normalization.
      mamori::input_reader reader(mamori::memory_view_input(in));
      mamori::json_record_reader recs(reader, 64u << 20);
      while (auto r = recs.next()) {
        auto doc = parser.parse(r->text.data(), r->text.size(), false);
        benchmark::DoNotOptimize(doc.error());
        ++records;
      }
      bytes += in.size();
    }
  }
  state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}

void raw_lines_bench(benchmark::State& state, const std::vector<std::string>* inputs) {
  std::uint64_t bytes = 0, lines = 0;
  for (auto _ : state) {
    for (const auto& in : *inputs) {
      const char* p = in.data();
      const char* end = p + in.size();
      while (p < end) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        p = nl == nullptr ? end : static_cast<const char*>(nl) + 1;
        ++lines;
      }
      benchmark::DoNotOptimize(p);
      bytes += in.size();
    }
  }
  state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
}

// The datasets of ../shared/data, per decoder. Formats not registered in this build are left
// out, so the benchmark runs at every stage of the project.
const std::vector<dataset>& datasets() {
  static const std::vector<dataset> all = {
      {"cloudtrail", "json", {"cloud/aws-stratus-invictus/cloudtrail_events.jsonl"}},
      {"nxlog", "json", {"windows/otrf-mordor"}},
      {"winjson", "json", {"windows/evtx-attack-samples-jsonl"}},
      {"evtx", "binary", {"windows/evtx-attack-samples"}},
      {"okta", "json", {"saas/panther-rule-tests/okta_systemlog.jsonl"}},
      {"syslog", "text", {"ssh/loghub/OpenSSH/OpenSSH_2k.log", "ssh/loghub/Linux/Linux_2k.log"}},
      {"squid", "text", {"proxy/format-fixtures/squid_access.log"}},
      {"zeek", "text", {"network/zeek/otrf_apt29_day1"}},
  };
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  static std::vector<std::vector<std::string>> inputs;
  inputs.reserve(datasets().size());
  for (const auto& d : datasets()) {
    if (!mamori::decoder_registry::builtin().find(d.format)) continue;
    inputs.push_back(inputs_for(d, 64u << 20));
    const auto* in = &inputs.back();
    if (in->empty() || (*in)[0].empty()) continue;
    benchmark::RegisterBenchmark(("decode/" + d.format).c_str(), decode_bench, &d, in)
        ->Unit(benchmark::kMillisecond);
    if (d.kind == "json") {
      benchmark::RegisterBenchmark(("raw/" + d.format).c_str(), raw_json_bench, in)
          ->Unit(benchmark::kMillisecond);
    } else if (d.kind == "text") {
      benchmark::RegisterBenchmark(("raw/" + d.format).c_str(), raw_lines_bench, in)
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
