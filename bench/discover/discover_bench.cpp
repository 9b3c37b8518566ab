// Questions: how many host lookups per second per core does the app catalog answer (with and
// without normalizing the raw name first), next to a naive peer measured in the same run (a
// std::unordered_map probed with every suffix as a new std::string)? How many access decisions
// and helper protocol lines per second? How many events per second does discovery add on top of
// decoding?
//
// Names are the real destinations of the shared data (Zeek DNS queries and TLS SNI of WRCCDC
// 2018, Proxifier), so hit rates and label counts are those of real traffic.

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <filesystem>
#include <set>
#include <unordered_map>

#include "mamori/catalog/setup.hpp"
#include "mamori/discover/discovery.hpp"
#include "mamori/discover/squid_helper.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace {

namespace fs = std::filesystem;
using namespace mamori;

const fs::path shared = MAMORI_SHARED_DATA;
const fs::path source = MAMORI_SOURCE_DIR;

const catalog::app_catalog& shipped() {
  static const catalog::app_catalog cat = [] {
    catalog::catalog_setup s;
    s.data_dir = (source / "data").string();
    s.shared_data = shared.string();
    diagnostics diag;
    auto c = catalog::load_catalog(s, diag);
    return c ? std::move(*c) : catalog::app_catalog{};
  }();
  return cat;
}

class name_sink final : public event_sink {
 public:
  void consume(const event_batch& batch) override {
    for (const auto& e : batch.events())
      for (auto a : {ocsf::attr::query_hostname, ocsf::attr::tls_sni, ocsf::attr::dst_hostname})
        if (auto v = e.get_string(a); !v.empty()) names.emplace_back(v);
  }
  std::vector<std::string> names;
};

// Every destination occurrence (repeats included, as traffic has them).
const std::vector<std::string>& raw_names() {
  static const std::vector<std::string> names = [] {
    name_sink sink;
    diagnostics diag;
    parse_job job(decoder_registry::builtin(), {}, diag);
    std::vector<std::string> files;
    for (const char* f : {"network/zeek/wrccdc2018_zed_sample/zeek-default/dns.log.gz",
                          "network/zeek/wrccdc2018_zed_sample/zeek-default/ssl.log.gz",
                          "ssh/loghub/Proxifier/Proxifier_2k.log"})
      if (fs::exists(shared / f)) files.push_back((shared / f).string());
    job.run(files, sink);
    return sink.names;
  }();
  return names;
}

const std::vector<std::string>& normalized_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    std::string h;
    for (const auto& n : raw_names())
      if (catalog::normalize_host(n, h) == catalog::host_kind::name) out.push_back(h);
    return out;
  }();
  return names;
}

void BM_catalog_lookup(benchmark::State& state) {
  const auto& names = normalized_names();
  if (names.empty()) return state.SkipWithError("shared data absent");
  const auto& cat = shipped();
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    hits += cat.lookup(names[i], catalog::host_kind::name) ? 1 : 0;
    if (++i == names.size()) i = 0;
  }
  benchmark::DoNotOptimize(hits);
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_catalog_lookup);

void BM_normalize_and_lookup(benchmark::State& state) {
  const auto& names = raw_names();
  if (names.empty()) return state.SkipWithError("shared data absent");
  const auto& cat = shipped();
  std::string scratch;
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    hits += cat.lookup_destination(names[i], scratch) ? 1 : 0;
    if (++i == names.size()) i = 0;
  }
  benchmark::DoNotOptimize(hits);
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_normalize_and_lookup);

// The peer: what one writes first. Same rules, same precedence, one string per suffix.
void BM_naive_unordered_map(benchmark::State& state) {
  const auto& names = normalized_names();
  if (names.empty()) return state.SkipWithError("shared data absent");
  static const auto table = [] {
    std::unordered_map<std::string, std::uint32_t> t;
    shipped().matcher().for_each([&](std::string_view d, catalog::rule_kind k, std::uint32_t v) {
      if (k == catalog::rule_kind::suffix) t.emplace(std::string(d), v);
    });
    return t;
  }();
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    const std::string& h = names[i];
    for (std::size_t pos = 0; pos != std::string::npos;) {
      if (table.count(h.substr(pos)) > 0) {
        ++hits;
        break;
      }
      pos = h.find('.', pos);
      if (pos != std::string::npos) ++pos;
    }
    if (++i == names.size()) i = 0;
  }
  benchmark::DoNotOptimize(hits);
  state.counters["lookups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_naive_unordered_map);

struct helper_setup {
  discover::discovery_policy policy;
  catalog::url_category_db ut1;
  std::unique_ptr<discover::access_decider> decider;
  std::vector<std::string> lines;
  helper_setup() {
    diagnostics diag;
    auto p =
        discover::load_policy((source / "data/policy/example-policy.yaml").string(), shipped());
    if (p) policy = std::move(*p);
    const fs::path ut1_dir = shared / "reference/ut1_blacklists/blacklists";
    if (fs::exists(ut1_dir))
      (void)ut1.load_ut1(ut1_dir.string(), policy.block_url_categories, diag);
    decider = std::make_unique<discover::access_decider>(shipped(), policy, &ut1);
    std::size_t k = 0;
    for (const auto& n : normalized_names()) {
      lines.push_back(
          k % 3 == 0 ? fmt::format("{} 10.1.{}.{} - CONNECT {}:443", k % 100, k % 7, k % 250, n)
                     : fmt::format("{} 10.1.{}.{} user{} GET http://{}/path/{}?q=1", k % 100, k % 7,
                                   k % 250, k % 40, n, k));
      if (++k == 100'000) break;
    }
  }
};

helper_setup& helper() {
  static helper_setup h;
  return h;
}

void BM_access_decision(benchmark::State& state) {
  auto& h = helper();
  if (h.lines.empty()) return state.SkipWithError("shared data absent");
  const auto& names = normalized_names();
  std::size_t i = 0, denied = 0;
  for (auto _ : state) {
    denied += h.decider->decide(names[i]).deny ? 1 : 0;
    if (++i == names.size()) i = 0;
  }
  benchmark::DoNotOptimize(denied);
  state.counters["decisions/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_access_decision);

void BM_helper_line(benchmark::State& state) {
  auto& h = helper();
  if (h.lines.empty()) return state.SkipWithError("shared data absent");
  discover::squid_helper helper(*h.decider, {});
  std::string out;
  std::size_t i = 0;
  for (auto _ : state) {
    out.clear();
    helper.handle_line(h.lines[i], out);
    benchmark::DoNotOptimize(out.data());
    if (++i == h.lines.size()) i = 0;
  }
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_helper_line);

// Decoding alone, then decoding with discovery: the difference is discovery's cost.
class null_sink final : public event_sink {
 public:
  void consume(const event_batch& b) override { n += b.size(); }
  std::size_t n = 0;
};

void run_dns(benchmark::State& state, bool discover) {
  const fs::path f = shared / "network/zeek/wrccdc2018_zed_sample/zeek-default/dns.log.gz";
  if (!fs::exists(f)) return state.SkipWithError("shared data absent");
  std::uint64_t events = 0;
  for (auto _ : state) {
    diagnostics diag;
    parse_job job(decoder_registry::builtin(), {}, diag);
    if (discover) {
      discover::discovery_policy policy;
      discover::discovery_engine engine(shipped(), policy, nullptr, nullptr);
      events += job.run({f.string()}, engine).events;
      engine.evaluate();
      benchmark::DoNotOptimize(engine.snapshot().apps.size());
    } else {
      null_sink sink;
      events += job.run({f.string()}, sink).events;
    }
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
void BM_decode_only(benchmark::State& state) {
  run_dns(state, false);
}
void BM_decode_and_discover(benchmark::State& state) {
  run_dns(state, true);
}
BENCHMARK(BM_decode_only)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_and_discover)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
