// Question: how fast do the Windows decoders turn bytes into normalized events, per core, and
// how close is that to the raw limit measured on the same bytes in the same run?
//  - EVTX: all .evtx of ../shared/data/windows/evtx-attack-samples (38 MB). Limits: the chunk
//    framing alone (header checksums, CRC-32 of the records, record walk) and the BinXml
//    interpreter with a visitor that does nothing (no flattening, no normalization).
//  - NXLog JSON (OTRF Security-Datasets, 94k events, ~300 MB decompressed). Limit: simdjson
//    parsing the same bytes (parse_many) without building events.
// Rates are per CPU second of the benchmark thread (the machine may be shared).
// Run: ./build/bin/bench_parse_windows (or bench/parse/windows.sh for the summary ratios).

#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mamori/decode/decoder.hpp"
#include "mamori/decode/evtx/binxml.hpp"
#include "mamori/decode/evtx/evtx_file.hpp"

namespace {

namespace fs = std::filesystem;
using namespace mamori;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string unzstd(const std::string& in) {
  std::string out;
  ZSTD_DStream* z = ZSTD_createDStream();
  ZSTD_initDStream(z);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  std::string buf(1 << 20, '\0');
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
    if (ZSTD_isError(ZSTD_decompressStream(z, &ob, &ib))) break;
    out.append(buf.data(), ob.pos);
  }
  ZSTD_freeDStream(z);
  return out;
}

std::vector<std::string> load(const fs::path& root, bool nxlog) {
  std::vector<std::string> out;
  if (!fs::exists(root)) return out;
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().string();
    if (nxlog ? (name.find("/host/") != std::string::npos &&
                 (name.ends_with(".json") || name.ends_with(".json.zst")))
              : name.ends_with(".evtx")) {
      paths.push_back(e.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::string bytes = read_all(p);
    out.push_back(p.extension() == ".zst" ? unzstd(bytes) : std::move(bytes));
  }
  return out;
}

const std::vector<std::string>& evtx_files() {
  static const auto files =
      load(fs::path(MAMORI_SHARED_DATA) / "windows" / "evtx-attack-samples", false);
  return files;
}

const std::vector<std::string>& nxlog_files() {
  static const auto files = load(fs::path(MAMORI_SHARED_DATA) / "windows" / "otrf-mordor", true);
  return files;
}

// Bytes of the event records (what a full chunk holds; the sample files are mostly empty,
// preallocated chunks), for a rate that does not flatter small files.
std::size_t evtx_record_bytes() {
  static const std::size_t n = [] {
    std::size_t total = 0;
    for (const auto& f : evtx_files()) {
      const evtx::bytes_view all(reinterpret_cast<const std::uint8_t*>(f.data()), f.size());
      for (std::size_t off = evtx::file_header_block; off < all.size(); off += evtx::chunk_size) {
        const auto chunk = all.subspan(off, std::min(evtx::chunk_size, all.size() - off));
        auto header = evtx::parse_chunk_header(chunk);
        if (header && header->free_space_offset > evtx::chunk_header_size) {
          total += header->free_space_offset - evtx::chunk_header_size;
        }
      }
    }
    return total;
  }();
  return n;
}

std::size_t total_bytes(const std::vector<std::string>& files) {
  std::size_t n = 0;
  for (const auto& f : files) n += f.size();
  return n;
}

class counting_sink final : public event_sink {
 public:
  void consume(const event_batch& batch) override { events += batch.size(); }
  std::size_t events = 0;
};

// Full decode (framing, BinXml, flattening, OCSF normalization) through the registry.
void decode_all(benchmark::State& state, const std::vector<std::string>& files,
                std::string_view format) {
  if (files.empty()) {
    state.SkipWithError("shared data absent");
    return;
  }
  const auto& registry = decoder_registry::builtin();
  const auto index = *registry.find(format);
  std::size_t events = 0;
  for (auto _ : state) {
    for (const auto& f : files) {
      diagnostics diag;
      counting_sink sink;
      decode_options options;
      decode_context ctx("bench", 0, index, options, diag, sink);
      input_reader in(memory_view_input(f));
      registry.at(index).make()->decode(in, ctx);
      ctx.flush();
      events += sink.events;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(files)));
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}

void BM_evtx_decode(benchmark::State& state) {
  decode_all(state, evtx_files(), "evtx");
  state.counters["record_bytes_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations() * evtx_record_bytes()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_evtx_decode)->Unit(benchmark::kMillisecond);

class null_visitor final : public evtx::visitor {
 public:
  void start_element(const evtx::name_entry&) override { ++nodes; }
  void end_element() override {}
  void start_attribute(const evtx::name_entry&) override {}
  void end_attribute() override {}
  void text(std::string_view) override {}
  void value(std::uint8_t, evtx::bytes_view) override { ++nodes; }
  void array_item() override {}
  std::size_t nodes = 0;
};

// The limits: framing only, then framing + BinXml interpretation without building events.
void evtx_limit(benchmark::State& state, bool interpret) {
  const auto& files = evtx_files();
  if (files.empty()) {
    state.SkipWithError("shared data absent");
    return;
  }
  evtx::chunk_interpreter interpreter;
  null_visitor v;
  std::size_t records = 0;
  for (auto _ : state) {
    for (const auto& f : files) {
      const evtx::bytes_view all(reinterpret_cast<const std::uint8_t*>(f.data()), f.size());
      for (std::size_t off = evtx::file_header_block; off < all.size(); off += evtx::chunk_size) {
        const auto chunk = all.subspan(off, std::min(evtx::chunk_size, all.size() - off));
        auto header = evtx::parse_chunk_header(chunk);
        if (!header) continue;
        if (interpret) interpreter.reset(chunk);
        evtx::record_walker walker(chunk, header->free_space_offset);
        while (auto item = walker.next()) {
          if (item->what != evtx::record_item::kind::record) continue;
          ++records;
          if (interpret) {
            (void)interpreter.interpret(item->offset + evtx::record_header_size,
                                        item->size - evtx::record_header_size - 4, v);
          }
        }
      }
    }
  }
  benchmark::DoNotOptimize(v.nodes);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(files)));
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}

void BM_evtx_limit_framing(benchmark::State& state) {
  evtx_limit(state, false);
}
void BM_evtx_limit_binxml(benchmark::State& state) {
  evtx_limit(state, true);
}
BENCHMARK(BM_evtx_limit_framing)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_evtx_limit_binxml)->Unit(benchmark::kMillisecond);

void BM_nxlog_decode(benchmark::State& state) {
  decode_all(state, nxlog_files(), "winjson");
}
BENCHMARK(BM_nxlog_decode)->Unit(benchmark::kMillisecond);

void BM_nxlog_limit_simdjson(benchmark::State& state) {
  const auto& files = nxlog_files();
  if (files.empty()) {
    state.SkipWithError("shared data absent");
    return;
  }
  std::vector<simdjson::padded_string> padded;
  for (const auto& f : files) padded.emplace_back(f);
  simdjson::dom::parser parser;
  std::size_t docs = 0;
  for (auto _ : state) {
    for (const auto& p : padded) {
      simdjson::dom::document_stream stream;
      if (parser.parse_many(p).get(stream)) continue;
      for (auto doc : stream) {
        if (!doc.error()) ++docs;
      }
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(files)));
  state.SetItemsProcessed(static_cast<std::int64_t>(docs));
}
BENCHMARK(BM_nxlog_limit_simdjson)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
