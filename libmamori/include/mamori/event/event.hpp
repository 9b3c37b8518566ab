#pragma once
// The normalized event: OCSF class/activity/time/status as typed members, then a compact
// list of fields. A field is either normalized (an OCSF path from ocsf.hpp) or raw (the
// source's own flattened name, e.g. "EventID", "userIdentity.type"), because detection
// rules address source names while analytics and storage read the normalized ones. A raw
// name may repeat (array elements), and a rule then matches any of the values.

#include <cstdint>
#include <deque>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/arena.hpp"
#include "mamori/event/field_registry.hpp"
#include "mamori/event/ocsf.hpp"
#include "mamori/event/value.hpp"

namespace mamori {

enum class field_origin : std::uint8_t { normalized, raw };

struct field {
  field_id id = invalid_field;
  field_origin origin = field_origin::raw;
  value v;
};

struct event {
  std::int64_t time_ns = 0;  // UTC nanoseconds since the epoch; 0 when the record had none
  ocsf::event_class class_uid = ocsf::event_class::base_event;
  std::uint8_t activity_id = ocsf::activity::unknown;
  ocsf::status_id status = ocsf::status_id::unknown;
  ocsf::severity_id severity = ocsf::severity_id::informational;
  std::uint16_t decoder = 0;  // index into the decoder registry
  std::uint32_t source = 0;   // index into source_table
  std::uint64_t line = 0;     // 1-based line of the record, 0 for binary sources
  std::uint64_t offset = 0;   // byte offset of the record in the decompressed input
  std::vector<field> fields;

  void reset();

  // Normalized attributes: set replaces, so decoders may refine a value.
  void set(ocsf::attr a, value v);
  const value* get(ocsf::attr a) const;
  std::string_view get_string(ocsf::attr a) const;

  void add_raw(field_id id, value v) { fields.push_back({id, field_origin::raw, v}); }
  // First raw value with that id, nullptr if absent.
  const value* raw(field_id id) const;
  std::string_view raw_string(field_id id) const;

  template <typename F>
  void for_each_raw(field_id id, F&& f) const {
    for (const auto& fl : fields)
      if (fl.id == id && fl.origin == field_origin::raw) f(fl.v);
  }

  std::uint32_t type_uid() const {
    return static_cast<std::uint32_t>(class_uid) * 100 + activity_id;
  }
};

// A batch is the unit passed between stages: events plus the arena holding their bytes.
// Clearing keeps the allocations, so a decoder that reuses one batch allocates almost nothing
// in steady state.
class event_batch {
 public:
  event& add();
  std::span<event> events() { return {events_.data(), size_}; }
  std::span<const event> events() const { return {events_.data(), size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear();
  // Drops the last event (a decoder that fails half-way through a record).
  void pop_back();

  std::string_view store(std::string_view s) { return strings_.store(s); }
  arena& strings() { return strings_; }

 private:
  std::vector<event> events_;
  std::size_t size_ = 0;
  arena strings_;
};

class event_sink {
 public:
  virtual ~event_sink() = default;
  // The batch is only valid during the call; a sink that keeps events copies them.
  virtual void consume(const event_batch& batch) = 0;
};

// Input names referenced by events (event::source). Append-only, thread-safe.
class source_table {
 public:
  static source_table& global();
  std::uint32_t add(std::string path);
  std::string_view path(std::uint32_t id) const;

 private:
  mutable std::shared_mutex mutex_;
  std::deque<std::string> paths_;
};

}  // namespace mamori
