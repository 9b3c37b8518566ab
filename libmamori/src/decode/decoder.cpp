#include "mamori/decode/decoder.hpp"

#include <fmt/format.h>

namespace mamori {

decode_context::decode_context(std::string path, std::uint32_t source_id,
                               std::uint16_t decoder_index, const decode_options& options,
                               diagnostics& diag, event_sink& sink)
    : path_(std::move(path)),
      source_id_(source_id),
      decoder_index_(decoder_index),
      options_(options),
      diag_(diag),
      sink_(sink) {}

decode_context::~decode_context() = default;

event& decode_context::begin_event(std::uint64_t line, std::uint64_t offset) {
  event& e = batch_.add();
  e.decoder = decoder_index_;
  e.source = source_id_;
  e.line = line;
  e.offset = offset;
  return e;
}

void decode_context::commit_event() {
  ++counters_.events;
  if (batch_.size() >= options_.batch_size) flush();
}

void decode_context::abandon_event() {
  batch_.pop_back();
}

void decode_context::reject(std::uint64_t line, std::uint64_t offset, std::string reason) {
  ++counters_.rejected;
  diag_.report(severity_level::warning, {path_, line, offset},
               fmt::format("record rejected: {}", reason));
}

void decode_context::report(severity_level level, std::uint64_t line, std::uint64_t offset,
                            std::string message, std::string hint) {
  diag_.report(level, {path_, line, offset}, std::move(message), std::move(hint));
}

void decode_context::flush() {
  if (batch_.empty()) return;
  for (enricher* e : enrichers_) e->enrich(batch_);
  sink_.consume(batch_);
  batch_.clear();
}

std::string_view maturity_name(maturity m) {
  switch (m) {
    case maturity::experimental:
      return "experimental";
    case maturity::beta:
      return "beta";
    case maturity::stable:
      return "stable";
  }
  return "unknown";
}

decoder_registry& decoder_registry::builtin() {
  static decoder_registry registry = [] {
    decoder_registry r;
    register_builtin_decoders(r);
    return r;
  }();
  return registry;
}

void decoder_registry::add(decoder_spec spec) {
  specs_.push_back(std::move(spec));
}

std::optional<std::uint16_t> decoder_registry::find(std::string_view name) const {
  for (std::size_t k = 0; k < specs_.size(); ++k)
    if (specs_[k].name == name) return static_cast<std::uint16_t>(k);
  return std::nullopt;
}

std::optional<std::uint16_t> decoder_registry::sniff(const sniff_sample& sample) const {
  int best = 0;
  std::optional<std::uint16_t> winner;
  for (std::size_t k = 0; k < specs_.size(); ++k) {
    if (!specs_[k].sniff) continue;
    int score = specs_[k].sniff(sample);
    if (score > best) {
      best = score;
      winner = static_cast<std::uint16_t>(k);
    }
  }
  return winner;
}

}  // namespace mamori
