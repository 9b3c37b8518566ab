#include <fmt/format.h>

#include "mamori/decode/decoder.hpp"
#include "mamori/event/time.hpp"
#include "mamori/output/event_writer.hpp"

namespace mamori {

namespace {

class buffered_file {
 public:
  explicit buffered_file(std::FILE* out) : out_(out) { buf_.reserve(1 << 20); }
  ~buffered_file() { flush(); }
  buffered_file(const buffered_file&) = delete;
  buffered_file& operator=(const buffered_file&) = delete;
  std::string& buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (1 << 20)) flush();
  }
  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), out_);
    buf_.clear();
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  std::string buf_;
};

class ndjson_writer final : public event_sink {
 public:
  explicit ndjson_writer(std::FILE* out) : out_(out) {}
  void consume(const event_batch& batch) override {
    const auto& registry = decoder_registry::builtin();
    for (const event& e : batch.events()) {
      append_event_json(out_.buf(), e, registry.at(e.decoder).name);
      out_.buf() += '\n';
      out_.maybe_flush();
    }
  }

 private:
  buffered_file out_;
};

// One line per event, columns an analyst scans first: when, what kind, who, from where, what.
class table_writer final : public event_sink {
 public:
  explicit table_writer(std::FILE* out) : out_(out) {
    fmt::format_to(std::back_inserter(out_.buf()), "{:<24} {:<14} {:<22} {:<28} {:<16} {}\n",
                   "TIME", "FORMAT", "CLASS", "ACTOR", "SOURCE IP", "WHAT");
  }
  void consume(const event_batch& batch) override {
    const auto& registry = decoder_registry::builtin();
    for (const event& e : batch.events()) {
      std::string time = e.time_ns != 0 ? timeparse::format_rfc3339(e.time_ns) : "-";
      std::string_view what = e.get_string(ocsf::attr::api_operation);
      if (what.empty()) what = e.get_string(ocsf::attr::http_url);
      if (what.empty()) what = e.get_string(ocsf::attr::process_cmd_line);
      if (what.empty()) what = e.get_string(ocsf::attr::message);
      std::string actor(e.get_string(ocsf::attr::actor_user_name));
      std::string what_s(what.substr(0, 100));
      for (char& c : what_s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      fmt::format_to(std::back_inserter(out_.buf()), "{:<24} {:<14} {:<22} {:<28} {:<16} {}\n",
                     time.substr(0, 24), registry.at(e.decoder).name,
                     fmt::format("{} {}", static_cast<std::uint32_t>(e.class_uid),
                                 ocsf::status_name(e.status)),
                     actor.empty() ? "-" : actor.substr(0, 28),
                     e.get_string(ocsf::attr::src_ip).empty()
                         ? std::string("-")
                         : std::string(e.get_string(ocsf::attr::src_ip)),
                     what_s);
      out_.maybe_flush();
    }
  }

 private:
  buffered_file out_;
};

// Decodes without printing: validation runs and throughput measurement.
class null_writer final : public event_sink {
 public:
  void consume(const event_batch& /*batch*/) override {}
};

}  // namespace

std::unique_ptr<event_sink> make_event_writer(event_format format, std::FILE* out) {
  if (format == event_format::none) return std::make_unique<null_writer>();
  if (format == event_format::table) return std::make_unique<table_writer>(out);
  return std::make_unique<ndjson_writer>(out);
}

}  // namespace mamori
