#pragma once
// The decoder stage: bytes of one input → normalized events. A decoder is one file under
// libmamori/builtins/decoders/ exporting a decoder_spec, plus one line in builtins/register.cpp
// (docs/adding-a-decoder.md). Decoders never throw and never stop at a bad record: they report
// a diagnostic with the record's position and go on.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/enrich/enricher.hpp"
#include "mamori/event/event.hpp"
#include "mamori/io/input_reader.hpp"

namespace mamori {

struct decode_options {
  std::size_t max_record_size = 16u << 20;  // a longer record is skipped and reported
  std::size_t batch_size = 4096;            // events per batch handed to the sink
  int default_year = 0;  // for syslog lines without a year; 0 = the file's modification year
};

struct decode_counters {
  std::uint64_t records = 0;   // records seen (lines, JSON values, EVTX records)
  std::uint64_t events = 0;    // events emitted
  std::uint64_t rejected = 0;  // records that could not be decoded (each with a diagnostic)
  std::uint64_t skipped = 0;   // not records: comments, headers, blank lines
};

// Everything a decoder needs while decoding one input.
class decode_context {
 public:
  decode_context(std::string path, std::uint32_t source_id, std::uint16_t decoder_index,
                 const decode_options& options, diagnostics& diag, event_sink& sink);
  ~decode_context();
  decode_context(const decode_context&) = delete;
  decode_context& operator=(const decode_context&) = delete;

  const std::string& path() const { return path_; }
  const decode_options& options() const { return options_; }
  decode_counters& counters() { return counters_; }
  const decode_counters& counters() const { return counters_; }

  // Starts a new event at the given position in the current batch.
  event& begin_event(std::uint64_t line, std::uint64_t offset);
  // Completes the event started last (counts it, flushes a full batch).
  void commit_event();
  // Drops the event started last.
  void abandon_event();
  std::string_view store(std::string_view s) { return batch_.store(s); }

  // A record that could not be decoded: counted, reported with its position, skipped.
  void reject(std::uint64_t line, std::uint64_t offset, std::string reason);
  // A problem that is not a record (truncated stream, bad header): reported, not counted.
  void report(severity_level level, std::uint64_t line, std::uint64_t offset, std::string message,
              std::string hint = {});

  // Hands the pending batch to the enrichers, then the sink; called at end of input too.
  void flush();
  void set_enrichers(std::vector<enricher*> enrichers) { enrichers_ = std::move(enrichers); }

 private:
  std::string path_;
  std::uint32_t source_id_;
  std::uint16_t decoder_index_;
  const decode_options& options_;
  diagnostics& diag_;
  event_sink& sink_;
  std::vector<enricher*> enrichers_;
  event_batch batch_;
  decode_counters counters_;
};

class decoder {
 public:
  virtual ~decoder() = default;
  // Decodes the whole input. Stream errors (truncation) are reported by the decoder.
  virtual void decode(input_reader& in, decode_context& ctx) = 0;
};

// What a sniffer sees: the path (extension is a hint, never the only signal), the first bytes
// of the decompressed input, and its first line.
struct sniff_sample {
  std::uint64_t id = 0;  // unique per sniffed input: lets sniffers share parsed state safely
  std::string_view path;
  std::string_view head;
  std::string_view first_line;
};

enum class maturity : std::uint8_t { experimental, beta, stable };
std::string_view maturity_name(maturity m);

struct decoder_spec {
  std::string name;   // --format value, e.g. "cloudtrail"
  std::string title;  // "AWS CloudTrail"
  std::string reads;  // one line on what inputs it reads
  maturity level = maturity::beta;
  bool hardened = false;  // fuzzed and safe for untrusted input
  // 0 = not this format; 100 = certain. The highest score above 0 wins.
  std::function<int(const sniff_sample&)> sniff;
  std::function<std::unique_ptr<decoder>()> make;
};

class decoder_registry {
 public:
  // The registry with every builtin decoder (builtins/register.cpp).
  static decoder_registry& builtin();

  void add(decoder_spec spec);
  const std::vector<decoder_spec>& all() const { return specs_; }
  std::optional<std::uint16_t> find(std::string_view name) const;
  const decoder_spec& at(std::uint16_t index) const { return specs_.at(index); }
  // Best sniff score above zero; nullopt when nothing recognises the sample.
  std::optional<std::uint16_t> sniff(const sniff_sample& sample) const;

 private:
  std::vector<decoder_spec> specs_;
};

void register_builtin_decoders(decoder_registry& registry);

}  // namespace mamori
