#pragma once
// The server's processing pipeline (docs/server.md, "Pipeline"):
//
//   ingest (HTTP, syslog, tail) → WAL append + fsync → [ingest queue, bounded in bytes]
//     → decode thread: decode → enrich → detect   → [store queue, bounded in bytes]
//     → store thread: events + findings → SQLite, cases, checkpoint (WAL segments freed)
//
// Back-pressure: ingest asks try_reserve() before appending; a full queue answers 429 (HTTP)
// or pauses reading (TCP syslog). Entries are released to the decode thread in WAL sequence
// order (a small reorder buffer absorbs concurrent appenders), so event ids increase and the
// stored checkpoint is simply the last sequence whose events and findings are committed.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/decode/decoder.hpp"
#include "mamori/detect/detector.hpp"
#include "mamori/enrich/enricher.hpp"
#include "mamori/server/state.hpp"
#include "mamori/store/event_store.hpp"
#include "mamori/store/wal.hpp"

namespace mamori::server {

// What became of one ingested batch, once stored.
struct entry_result {
  std::uint64_t seq = 0;
  std::uint64_t records = 0;
  std::uint64_t events = 0;
  std::uint64_t rejected = 0;
  std::uint64_t stored = 0;      // newly stored events (events - duplicates)
  std::uint64_t duplicates = 0;  // already stored (a replayed batch)
  std::uint64_t findings = 0;
  std::string format;                    // decoder used
  std::vector<std::string> diagnostics;  // the first few problems, rendered
};

// Receives findings newly stored (not duplicates), on the store thread, inside its
// transaction on `db` (case grouping, risk signals).
class finding_consumer {
 public:
  virtual ~finding_consumer() = default;
  virtual void on_findings(state_db& db, std::vector<std::pair<std::int64_t, stored_finding>>& found) = 0;
  // Called after every commit (cheap periodic work: follow-ups).
  virtual void after_commit(state_db& db) { (void)db; }
};

struct pipeline_options {
  std::uint64_t queue_bytes = 256u << 20;       // ingest queue (raw bodies)
  std::uint64_t store_queue_bytes = 256u << 20; // decoded events awaiting storage
  double commit_interval_s = 0.2;
  std::size_t commit_events = 50'000;
  decode_options decode;
};

struct pipeline_stats {
  std::uint64_t entries = 0, bytes = 0, records = 0, events = 0, rejected = 0, stored = 0,
                duplicates = 0, findings = 0, stored_seq = 0, queued_bytes = 0,
                store_queued_bytes = 0, throttled = 0;
  double latency_p50_ms = 0, latency_p99_ms = 0;          // received → stored (events)
  double finding_latency_p50_ms = 0, finding_latency_p99_ms = 0;  // received → finding stored
};

class pipeline {
 public:
  pipeline(const decoder_registry& registry, store::wal& wal, store::event_store& events,
           std::unique_ptr<state_db> state, pipeline_options options);
  ~pipeline();
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  void add_enricher(std::unique_ptr<enricher> e);
  void add_detector(std::unique_ptr<detector> d);
  void set_finding_consumer(finding_consumer* c) { consumer_ = c; }
  // Periodic work on the store thread (retention, follow-ups), every `seconds`.
  void set_maintenance(double seconds, std::function<void(store::event_store&, state_db&)> f) {
    maintenance_interval_s_ = seconds;
    maintenance_ = std::move(f);
  }

  // Replays WAL entries after the stored checkpoint (blocking until they are stored), then
  // accepts new entries.
  result<std::uint64_t> start();
  // Stops accepting, drains both queues, flushes detectors' windows, commits, joins.
  void stop();

  // Reserves queue space for a body of `bytes`; false when the pipeline is full.
  bool try_reserve(std::uint64_t bytes);
  void unreserve(std::uint64_t bytes);
  // Appends to the WAL (durable on return) and hands the entry to the pipeline. The
  // reservation for entry.body.size() must be held. on_stored runs on the store thread.
  result<std::uint64_t> ingest(store::wal_entry entry,
                               std::function<void(const entry_result&)> on_stored = {});
  void note_throttled() { ++throttled_; }

  pipeline_stats stats() const;
  store::wal& wal() { return wal_; }
  // Called with every tail origin seen when replaying (so tail offsets catch up).
  void set_replay_observer(std::function<void(const store::wal_entry&)> f) { replay_observer_ = std::move(f); }

 private:
  struct work {
    store::wal_entry entry;
    std::function<void(const entry_result&)> on_stored;
  };
  struct store_item {
    std::uint64_t seq = 0;
    std::int64_t received_ns = 0;
    std::vector<store::stored_event> events;
    std::vector<stored_finding> findings;
    std::uint64_t bytes = 0;
    bool last = false;
    entry_result result;  // complete when last
    std::function<void(const entry_result&)> on_stored;
  };

  void submit(std::uint64_t seq, work w);
  void decode_loop();
  void store_loop();
  void decode_entry(work& w);
  void push_store(store_item item);
  void record_latency(std::vector<double>& ring, std::size_t& pos, double ms);

  const decoder_registry& registry_;
  store::wal& wal_;
  store::event_store& events_;
  std::unique_ptr<state_db> state_;
  pipeline_options options_;
  std::vector<std::unique_ptr<enricher>> enrichers_;
  std::vector<enricher*> enricher_ptrs_;
  std::vector<std::unique_ptr<detector>> detectors_;
  finding_consumer* consumer_ = nullptr;
  std::function<void(const store::wal_entry&)> replay_observer_;
  double maintenance_interval_s_ = 60;
  std::function<void(store::event_store&, state_db&)> maintenance_;

  // ingest queue (in seq order) and reorder buffer
  std::mutex in_mutex_;
  std::condition_variable in_cv_;
  std::map<std::uint64_t, work> reorder_;
  std::deque<work> in_queue_;
  std::uint64_t next_seq_ = 1;
  std::atomic<std::uint64_t> reserved_{0};
  bool stopping_ = false;

  // store queue
  std::mutex st_mutex_;
  std::condition_variable st_cv_;
  std::condition_variable st_space_cv_;
  std::deque<store_item> st_queue_;
  std::uint64_t st_bytes_ = 0;
  bool decode_done_ = false;

  std::thread decode_thread_;
  std::thread store_thread_;
  bool started_ = false;

  std::map<std::string, std::uint32_t> source_ids_;

  mutable std::mutex stats_mutex_;
  pipeline_stats stats_;
  std::atomic<std::uint64_t> throttled_{0};
  std::vector<double> latency_ring_, finding_latency_ring_;
  std::size_t latency_pos_ = 0, finding_latency_pos_ = 0;
};

std::int64_t now_ns();

}  // namespace mamori::server
