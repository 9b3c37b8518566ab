// Question: how many lines per second per core do the text decoders (syslog, Squid, W3C, Zeek
// TSV, Proxifier) turn into normalized events, next to the raw limit of splitting the same
// bytes into lines? Target (issue 2): syslog and Squid >= 1M lines/s per core.
//
// Inputs are built in memory by repeating the shared fixtures (../shared/data) to ~64 MB, so
// the run measures decoding, not the disk. Events go to a sink that drops them: NDJSON
// rendering is not part of the decoder cost (bench/parse/text_throughput.sh measures the
// whole `mamori parse` including it).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mamori/decode/decoder.hpp"
#include "mamori/io/byte_stream.hpp"
#include "mamori/io/input_reader.hpp"

namespace {

namespace fs = std::filesystem;
using namespace mamori;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fixture without lines starting with `drop` (the Squid fixture's garbage), repeated to
// about `target` bytes. Returns an empty string when the shared data is absent.
std::string repeated(std::initializer_list<const char*> files, std::string_view drop = {},
                     std::size_t target = 64u << 20) {
  std::string one;
  for (const char* f : files) {
    const fs::path p = fs::path(MAMORI_SHARED_DATA) / f;
    if (!fs::exists(p)) return {};
    std::istringstream in(read_file(p));
    std::string line;
    while (std::getline(in, line)) {
      if (!drop.empty() && line.starts_with(drop)) continue;
      one += line;
      one += '\n';
    }
  }
  std::string out;
  out.reserve(target + one.size());
  while (out.size() < target) out += one;
  return out;
}

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

class null_sink final : public event_sink {
 public:
  void consume(const event_batch& batch) override { events += batch.size(); }
  std::size_t events = 0;
};

void run_decoder(benchmark::State& state, const std::string& format, const std::string& input) {
  if (input.empty()) {
    state.SkipWithError("../shared/data is absent");
    return;
  }
  const auto& registry = decoder_registry::builtin();
  const auto index = registry.find(format);
  const std::size_t lines = count_lines(input);
  std::size_t events = 0;
  for (auto _ : state) {
    diagnostics diag;
    null_sink sink;
    decode_options opts;
    opts.default_year = 2024;
    decode_context ctx("bench", 0, *index, opts, diag, sink);
    input_reader in(memory_view_input(input));
    auto dec = registry.at(*index).make();
    dec->decode(in, ctx);
    ctx.flush();
    events = sink.events;
    if (diag.warnings() + diag.errors() != 0) state.SkipWithError("unexpected diagnostics");
  }
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(lines) * state.iterations(),
                                                 benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(events);
  state.SetBytesProcessed(static_cast<std::int64_t>(input.size()) * state.iterations());
}

// The raw limit: splitting the same bytes into lines with the reader the decoders use.
void run_split(benchmark::State& state, const std::string& input) {
  if (input.empty()) {
    state.SkipWithError("../shared/data is absent");
    return;
  }
  std::size_t lines = 0;
  for (auto _ : state) {
    input_reader in(memory_view_input(input));
    line_reader reader(in, 16u << 20);
    lines = 0;
    while (auto l = reader.next()) {
      benchmark::DoNotOptimize(l->text.data());
      ++lines;
    }
  }
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(lines) * state.iterations(),
                                                 benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(input.size()) * state.iterations());
}

const std::string& syslog_input() {
  static const std::string s =
      repeated({"ssh/loghub/OpenSSH/OpenSSH_2k.log", "ssh/loghub/Linux/Linux_2k.log"});
  return s;
}
const std::string& squid_input() {
  static const std::string s = repeated({"proxy/format-fixtures/squid_access.log"}, "Unmatched!");
  return s;
}
const std::string& w3c_input() {
  static const std::string s = repeated({"proxy/format-fixtures/iis_w3c_u_ex221107.log"});
  return s;
}
const std::string& zeek_input() {
  static const std::string s = repeated({"network/zeek/otrf_lsass_campaign_01/conn.log",
                                         "network/zeek/otrf_lsass_campaign_01/dns.log"});
  return s;
}
const std::string& proxifier_input() {
  static const std::string s = repeated({"ssh/loghub/Proxifier/Proxifier_2k.log"});
  return s;
}

void BM_split_syslog(benchmark::State& s) { run_split(s, syslog_input()); }
void BM_decode_syslog(benchmark::State& s) { run_decoder(s, "syslog", syslog_input()); }
void BM_split_squid(benchmark::State& s) { run_split(s, squid_input()); }
void BM_decode_squid(benchmark::State& s) { run_decoder(s, "squid", squid_input()); }
void BM_split_w3c(benchmark::State& s) { run_split(s, w3c_input()); }
void BM_decode_w3c(benchmark::State& s) { run_decoder(s, "w3c", w3c_input()); }
void BM_split_zeek(benchmark::State& s) { run_split(s, zeek_input()); }
void BM_decode_zeek(benchmark::State& s) { run_decoder(s, "zeek", zeek_input()); }
void BM_split_proxifier(benchmark::State& s) { run_split(s, proxifier_input()); }
void BM_decode_proxifier(benchmark::State& s) { run_decoder(s, "proxifier", proxifier_input()); }

BENCHMARK(BM_split_syslog)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_decode_syslog)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_split_squid)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_decode_squid)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_split_w3c)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_w3c)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_split_zeek)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_zeek)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_split_proxifier)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_proxifier)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
