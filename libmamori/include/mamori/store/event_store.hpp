#pragma once
// The embedded event store (docs/server.md, "Storage"): one SQLite database per UTC day of
// event time under DIR (DIR/2023-07-10.db), so retention drops whole files. Each holds
//   events(id, time, class_uid, activity_id, status_id, severity_id, user, src_ip, dst_ip,
//          host, operation, service, source, format, blk) -- the columns analysts filter on
//   blocks(blk, data)          -- the OCSF event JSON of up to 64 consecutive events, zstd
//   minutes(minute, events)    -- event counts per minute (histograms and counts, no scan)
//   segments / postings                                  -- the token index (token_index.hpp)
// Event ids are assigned by ingest (WAL sequence << 24 | position in the batch), so a
// replayed batch inserts nothing twice (INSERT OR IGNORE on the primary key).
//
// Writing is single-threaded (the server's store worker); searching opens its own read-only
// connections and may run on any thread.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/event/event.hpp"
#include "mamori/store/query.hpp"
#include "mamori/store/sqlite.hpp"
#include "mamori/store/token_index.hpp"

namespace mamori::store {

inline constexpr int event_id_shift = 24;  // up to 16M events per ingested batch

struct stored_event {
  std::uint64_t id = 0;
  std::int64_t time_ns = 0;
  std::uint32_t class_uid = 0;
  std::uint8_t activity_id = 0;
  std::uint8_t status_id = 0;
  std::uint8_t severity_id = 0;
  std::string user, src_ip, dst_ip, host, operation, service;
  std::string source, format;
  std::string json;
};

// Fills `out` from a decoded event: columns from the normalized attributes (docs/search.md)
// and the OCSF JSON. Events without a time get `fallback_time_ns` (when it was received).
void make_stored_event(const event& e, std::string_view decoder_name, std::string_view source,
                       std::uint64_t id, std::int64_t fallback_time_ns, stored_event& out);

// "2023-07-10" for a UTC time.
std::string day_of(std::int64_t time_ns);

struct event_store_options {
  std::string dir;
  std::size_t segment_events = 32768;  // events per token-index segment
  std::size_t block_events = 64;       // events compressed together
  int compression_level = 1;           // zstd level of event bodies
  std::size_t max_open_partitions = 8;
};

struct retention_report {
  std::vector<std::string> removed;  // day names
  std::uint64_t bytes_removed = 0;
  std::uint64_t bytes_kept = 0;
};

class event_store {
 public:
  static result<std::unique_ptr<event_store>> open(event_store_options options, diagnostics& diag);
  ~event_store();
  event_store(const event_store&) = delete;
  event_store& operator=(const event_store&) = delete;

  // Inserts one event within the current transaction (opened on first use); false when an
  // event with that id is already stored.
  result<bool> insert(const stored_event& e);
  // Commits every partition touched since the last commit.
  result<void> commit();
  // Writes pending index segments (shutdown, idle); commits.
  result<void> flush_index();
  // Deletes partitions older than `days` (0 = no age limit), then the oldest while the total
  // exceeds `max_bytes` (0 = no size limit). The newest partition is never removed.
  result<retention_report> apply_retention(int days, std::uint64_t max_bytes, std::int64_t now_ns);

  std::uint64_t inserted() const { return inserted_; }
  std::uint64_t duplicates() const { return duplicates_; }
  const std::string& dir() const { return options_.dir; }

 private:
  struct partition;
  explicit event_store(event_store_options options);
  result<partition*> get(const std::string& day);
  result<void> flush_segment(partition& p);
  result<void> flush_block(partition& p);
  result<void> close_partition(const std::string& day);

  event_store_options options_;
  std::map<std::string, std::unique_ptr<partition>> open_;
  std::uint64_t use_clock_ = 0;
  std::uint64_t inserted_ = 0;
  std::uint64_t duplicates_ = 0;
  std::vector<std::uint64_t> hashes_;
  std::string compressed_;
  void* cctx_ = nullptr;
};

struct search_limits {
  std::size_t max_events = 100;       // events returned when the query has no head
  std::size_t max_groups = 100;       // groups returned by count by (top N sets its own)
  std::uint64_t max_scan = 5'000'000; // rows examined beyond the SQL filters
  double timeout_s = 30;
};

struct search_result {
  std::string json;  // the response document (docs/openapi.yaml, SearchResult)
  std::uint64_t matched = 0;
  std::uint64_t examined = 0;
  bool partial = false;
  double took_ms = 0;
};

// Runs a parsed query over the partitions in DIR.
result<search_result> search_events(const std::string& dir, const query& q,
                                    const search_limits& limits);

// Partition files in DIR, oldest first: (day, path, bytes).
struct partition_info {
  std::string day;
  std::string path;
  std::uint64_t bytes = 0;
};
std::vector<partition_info> list_partitions(const std::string& dir);

}  // namespace mamori::store
