#pragma once
// Runs inputs through format detection and decoding into an event sink, with statistics.
// This is the first stage of every pipeline (parse, hunt, serve's file ingest).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/decode/decoder.hpp"

namespace mamori {

struct parse_stats {
  std::uint64_t files = 0;          // inputs decoded
  std::uint64_t skipped_files = 0;  // inputs of no recognised format (each with a diagnostic)
  std::uint64_t failed_files = 0;   // inputs that could not be opened or read
  std::uint64_t records = 0;
  std::uint64_t events = 0;
  std::uint64_t rejected = 0;
  std::uint64_t bytes = 0;                          // decompressed bytes decoded
  std::map<std::string, std::uint64_t> by_format;   // events per decoder
  std::map<std::uint32_t, std::uint64_t> by_class;  // events per OCSF class_uid
  double seconds = 0;

  std::string to_json() const;
};

struct parse_options {
  std::optional<std::string> format;  // forced decoder name; sniffed per file otherwise
  decode_options decode;
  std::size_t read_chunk = 1 << 20;  // bytes read per refill
};

class parse_job {
 public:
  parse_job(const decoder_registry& registry, parse_options options, diagnostics& diag)
      : registry_(registry), options_(std::move(options)), diag_(diag) {}

  // Enrichers run on every batch before the sink sees it, in the order added.
  void add_enricher(enricher& e) { enrichers_.push_back(&e); }

  // Decodes every file into sink. Returns stats; per-record problems go to diagnostics.
  parse_stats run(const std::vector<std::string>& files, event_sink& sink);
  // Decodes one input (already opened), for callers with their own streams (server, tests).
  void run_one(const std::string& name, std::unique_ptr<byte_stream> stream, event_sink& sink,
               parse_stats& stats);

 private:
  const decoder_registry& registry_;
  parse_options options_;
  diagnostics& diag_;
  std::vector<enricher*> enrichers_;
};

// Picks the decoder for a stream by sniffing its head; nullopt when no decoder claims it.
std::optional<std::uint16_t> detect_format(const decoder_registry& registry, std::string_view path,
                                           input_reader& in);

}  // namespace mamori
