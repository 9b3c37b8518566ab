#pragma once
// The write-ahead log: every ingested batch is appended here and made durable (fdatasync)
// before the server acknowledges it. Detection and storage read from memory in the normal
// case; after a crash the entries not yet fully stored are replayed from these files.
//
// Layout (docs/server.md, "Durability"): DIR/<first-seq, 16 hex digits>.wal segments, each a
// sequence of records
//   u32 magic "MWAL" | u32 payload length | u64 seq | i64 received (UTC ns) | u32 crc32(payload)
//   payload: u16 source length, source | u16 format length, format | u32 origin length, origin
//            | body
// little endian. A torn or corrupt record ends its segment (the tail after a crash); the file
// is truncated there on open so new records append cleanly.
//
// Concurrency: append() may be called from several threads; writers that arrive while one
// fsync is running share the next one (group commit).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"

namespace mamori::store {

struct wal_entry {
  std::uint64_t seq = 0;
  std::int64_t received_ns = 0;
  std::string source;  // ingest source name ("cloudtrail-prod", "syslog", "tail:/var/log/x")
  std::string format;  // decoder to use; "" = sniff the body
  std::string origin;  // source-specific position (tail: "dev:inode:end-offset"), or ""
  std::string body;    // bytes as received (gzip/zstd bodies stay compressed)
};

struct wal_options {
  std::uint64_t segment_bytes = 64u << 20;  // a new segment starts past this size
  bool sync = true;                         // fdatasync before append returns (tests: true)
};

struct wal_stats {
  std::uint64_t appends = 0;
  std::uint64_t syncs = 0;
  std::uint64_t bytes = 0;
  std::uint64_t segments = 0;
};

class wal {
 public:
  // Opens DIR (created if missing), scans existing segments, truncates a torn tail.
  // Problems found (corrupt records) are reported to `diag`.
  static result<std::unique_ptr<wal>> open(const std::string& dir, wal_options options,
                                           diagnostics& diag);
  ~wal();
  wal(const wal&) = delete;
  wal& operator=(const wal&) = delete;

  // Appends one entry durably; returns its sequence number (entry.seq is ignored).
  result<std::uint64_t> append(const wal_entry& entry);

  // Calls f for every intact entry with seq > after, in order.
  result<std::uint64_t> replay(std::uint64_t after, const std::function<void(wal_entry&&)>& f);

  // Every entry up to and including seq is stored: whole segments below may be removed.
  void checkpoint(std::uint64_t seq);

  // Sequence numbers continue at least from `next` (the store's checkpoint + 1), so ids stay
  // unique even if the log directory was emptied.
  void reserve_seq(std::uint64_t next);

  std::uint64_t last_seq() const;
  wal_stats stats() const;
  const std::string& dir() const { return dir_; }

  // Encodes/decodes one record (exposed for tests and the fuzz target).
  static std::string encode(const wal_entry& e, std::uint64_t seq);
  // Decodes the record at data[pos]; returns its size, 0 if torn/corrupt (reason set).
  static std::size_t decode(std::string_view data, std::size_t pos, wal_entry& out,
                            std::string& reason);

 private:
  wal(std::string dir, wal_options options) : dir_(std::move(dir)), options_(options) {}
  result<void> open_segment(std::uint64_t first_seq);

  struct segment {
    std::uint64_t first_seq = 0;
    std::string path;
  };

  std::string dir_;
  wal_options options_;
  mutable std::mutex mutex_;
  std::condition_variable synced_cv_;
  std::vector<segment> segments_;  // ordered by first_seq; the last one is open for append
  int fd_ = -1;
  std::uint64_t segment_size_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t written_seq_ = 0;  // highest seq written to the file
  std::uint64_t synced_seq_ = 0;   // highest seq known durable
  bool syncing_ = false;
  bool failed_ = false;
  std::string failure_;
  wal_stats stats_;
};

}  // namespace mamori::store
