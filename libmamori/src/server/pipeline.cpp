#include "mamori/server/pipeline.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "mamori/io/byte_stream.hpp"
#include "mamori/io/input_reader.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace mamori::server {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr std::size_t latency_samples = 4096;
constexpr std::size_t store_item_events = 4096;

class collecting_findings final : public finding_sink {
 public:
  void emit(finding f) override { found.push_back(std::move(f)); }
  std::vector<finding> found;
};

int current_year() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

pipeline::pipeline(const decoder_registry& registry, store::wal& wal, store::event_store& events,
                   std::unique_ptr<state_db> state, pipeline_options options)
    : registry_(registry), wal_(wal), events_(events), state_(std::move(state)),
      options_(std::move(options)) {
  if (options_.decode.default_year == 0) options_.decode.default_year = current_year();
}

pipeline::~pipeline() { stop(); }

void pipeline::add_enricher(std::unique_ptr<enricher> e) {
  enricher_ptrs_.push_back(e.get());
  enrichers_.push_back(std::move(e));
}

void pipeline::add_detector(std::unique_ptr<detector> d) { detectors_.push_back(std::move(d)); }

result<std::uint64_t> pipeline::start() {
  std::uint64_t stored = 0;
  if (auto v = MAMORI_TRY(state_->get_meta("stored_seq"))) stored = std::stoull(*v);
  stats_.stored_seq = stored;
  // Sequence numbers never go back, even if the log directory was emptied.
  wal_.reserve_seq(stored + 1);
  next_seq_ = stored + 1;
  decode_thread_ = std::thread([this] { decode_loop(); });
  store_thread_ = std::thread([this] { store_loop(); });
  started_ = true;
  // Replay what was acknowledged but not stored before the last stop or crash.
  std::uint64_t replayed = 0;
  std::mutex done_mutex;
  std::condition_variable done_cv;
  std::uint64_t done = 0;
  auto n = wal_.replay(stored, [&](store::wal_entry&& e) {
    if (replay_observer_) replay_observer_(e);
    const std::uint64_t bytes = e.body.size();
    // Replay is not throttled by the reservation, only by the queue's own wait below.
    reserved_ += bytes;
    {
      std::lock_guard lock(in_mutex_);
      next_seq_ = e.seq;  // the log may skip numbers (reserve_seq); replay follows it
    }
    const std::uint64_t seq = e.seq;
    submit(seq, work{std::move(e), [&](const entry_result&) {
                       std::lock_guard lock(done_mutex);
                       ++done;
                       done_cv.notify_all();
                     }});
    ++replayed;
    // Keep memory bounded: wait while the queue holds more than its budget.
    std::unique_lock lock(done_mutex);
    done_cv.wait(lock, [&] { return reserved_.load() <= options_.queue_bytes || done == replayed; });
  });
  if (!n) return tl::unexpected(n.error());
  {
    std::unique_lock lock(done_mutex);
    done_cv.wait(lock, [&] { return done == replayed; });
  }
  {
    std::lock_guard lock(in_mutex_);
    next_seq_ = std::max(next_seq_, wal_.last_seq() + 1);
  }
  return replayed;
}

void pipeline::stop() {
  if (!started_) return;
  started_ = false;
  {
    std::lock_guard lock(in_mutex_);
    stopping_ = true;
  }
  in_cv_.notify_all();
  if (decode_thread_.joinable()) decode_thread_.join();
  if (store_thread_.joinable()) store_thread_.join();
}

bool pipeline::try_reserve(std::uint64_t bytes) {
  std::uint64_t cur = reserved_.load();
  for (;;) {
    // A single batch larger than the whole budget is still admitted into an empty queue.
    if (cur > 0 && cur + bytes > options_.queue_bytes) return false;
    if (reserved_.compare_exchange_weak(cur, cur + bytes)) return true;
  }
}

void pipeline::unreserve(std::uint64_t bytes) { reserved_ -= bytes; }

result<std::uint64_t> pipeline::ingest(store::wal_entry entry,
                                       std::function<void(const entry_result&)> on_stored) {
  if (entry.received_ns == 0) entry.received_ns = now_ns();
  const std::uint64_t seq = MAMORI_TRY(wal_.append(entry));
  entry.seq = seq;
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.entries;
    stats_.bytes += entry.body.size();
  }
  submit(seq, work{std::move(entry), std::move(on_stored)});
  return seq;
}

void pipeline::submit(std::uint64_t seq, work w) {
  {
    std::lock_guard lock(in_mutex_);
    reorder_.emplace(seq, std::move(w));
    for (auto it = reorder_.find(next_seq_); it != reorder_.end(); it = reorder_.find(next_seq_)) {
      in_queue_.push_back(std::move(it->second));
      reorder_.erase(it);
      ++next_seq_;
    }
  }
  in_cv_.notify_one();
}

void pipeline::push_store(store_item item) {
  std::unique_lock lock(st_mutex_);
  // Bounded: the decode thread waits (and so the ingest queue fills, and ingest answers 429).
  st_space_cv_.wait(lock, [&] {
    return st_bytes_ == 0 || st_bytes_ + item.bytes <= options_.store_queue_bytes;
  });
  st_bytes_ += item.bytes;
  st_queue_.push_back(std::move(item));
  st_cv_.notify_one();
}

void pipeline::decode_loop() {
  for (;;) {
    work w;
    {
      std::unique_lock lock(in_mutex_);
      in_cv_.wait(lock, [&] { return !in_queue_.empty() || stopping_; });
      if (in_queue_.empty()) break;
      w = std::move(in_queue_.front());
      in_queue_.pop_front();
    }
    const std::uint64_t bytes = w.entry.body.size();
    decode_entry(w);
    unreserve(bytes);
  }
  // End of input: detectors emit what their windows still hold.
  collecting_findings found;
  for (auto& d : detectors_) d->finish(found);
  store_item tail;
  for (auto& f : found.found) {
    stored_finding sf;
    sf.uid = sha256_hex("end|" + finding_uid(f)).substr(0, 32);
    sf.received_ns = now_ns();
    sf.f = std::move(f);
    tail.findings.push_back(std::move(sf));
  }
  push_store(std::move(tail));
  {
    std::lock_guard lock(st_mutex_);
    decode_done_ = true;
  }
  st_cv_.notify_all();
}

void pipeline::decode_entry(work& w) {
  store::wal_entry& e = w.entry;
  store_item item;
  item.seq = e.seq;
  item.received_ns = e.received_ns;
  item.result.seq = e.seq;
  std::size_t reported = 0;
  const std::string where = fmt::format("{}#{}", e.source, e.seq);
  diagnostics diag([&](const diagnostic& d) {
    if (reported < 5) {
      const std::string text = render(d);
      item.result.diagnostics.push_back(text);
      if (reported < 2) fmt::print(stderr, "mamori serve: {}\n", text);
    }
    ++reported;
  });
  input_reader in(memory_input(std::move(e.body)), 1 << 20);
  std::optional<std::uint16_t> index;
  if (!e.format.empty()) {
    index = registry_.find(e.format);
    if (!index) diag.report(severity_level::error, {where, 0, 0}, fmt::format("unknown format '{}'", e.format));
  } else {
    index = detect_format(registry_, e.source, in);
    if (!index && !in.peek(1).empty())
      diag.report(severity_level::warning, {where, 0, 0}, "format not recognised; batch skipped",
                  "name the format: ?format=NAME (GET /api/v1/formats)");
  }
  if (index) {
    item.result.format = registry_.at(*index).name;
    auto sid = source_ids_.find(e.source);
    if (sid == source_ids_.end()) sid = source_ids_.emplace(e.source, source_table::global().add(e.source)).first;

    // The sink: detectors see each (enriched) batch; events become rows.
    struct sink final : event_sink {
      pipeline* self;
      store_item* item;
      std::uint64_t next = 0;
      std::string decoder;
      std::string source;
      collecting_findings found;
      void consume(const event_batch& batch) override {
        for (auto& d : self->detectors_) d->observe(batch, found);
        const std::size_t first = item->events.size();
        const std::uint64_t first_id = next;
        for (const event& ev : batch.events()) {
          if (next >= (1ull << store::event_id_shift)) break;  // reported after decode
          store::stored_event s;
          store::make_stored_event(ev, decoder, source, (item->seq << store::event_id_shift) | next++,
                                   item->received_ns, s);
          item->bytes += s.json.size() + 256;
          item->events.push_back(std::move(s));
        }
        for (auto& f : found.found) {
          stored_finding sf;
          // Unique per batch and stable when the batch is replayed (detectors are
          // deterministic): the batch sequence with the detector's own id.
          sf.uid = sha256_hex(fmt::format("{}|{}", item->seq, finding_uid(f))).substr(0, 32);
          sf.received_ns = item->received_ns;
          // Link the event the finding points at when it is in this batch.
          if (f.source_file == source) {
            std::size_t k = 0;
            for (const event& ev : batch.events()) {
              if (first + k >= item->events.size()) break;
              if (ev.offset == f.source_offset && ev.time_ns == f.time_ns) {
                sf.event_ids.push_back((item->seq << store::event_id_shift) | (first_id + k));
                break;
              }
              ++k;
            }
          }
          sf.f = std::move(f);
          item->findings.push_back(std::move(sf));
        }
        found.found.clear();
        if (item->events.size() >= store_item_events) {
          store_item part;
          part.seq = item->seq;
          part.received_ns = item->received_ns;
          std::swap(part.events, item->events);
          std::swap(part.findings, item->findings);
          part.bytes = item->bytes;
          item->bytes = 0;
          self->push_store(std::move(part));
        }
      }
    } s;
    s.self = this;
    s.item = &item;
    s.decoder = item.result.format;
    s.source = e.source;
    decode_context ctx(where, sid->second, *index, options_.decode, diag, s);
    ctx.set_enrichers(enricher_ptrs_);
    auto dec = registry_.at(*index).make();
    dec->decode(in, ctx);
    ctx.flush();
    item.result.records = ctx.counters().records;
    item.result.events = ctx.counters().events;
    item.result.rejected = ctx.counters().rejected;
    if (s.next >= (1ull << store::event_id_shift)) {
      diag.report(severity_level::error, {where, 0, 0},
                  fmt::format("batch holds more than {} events; the rest was not stored",
                              1ull << store::event_id_shift),
                  "send smaller batches");
    }
  }
  item.last = true;
  item.on_stored = std::move(w.on_stored);
  {
    std::lock_guard lock(stats_mutex_);
    stats_.records += item.result.records;
    stats_.events += item.result.events;
    stats_.rejected += item.result.rejected;
  }
  push_store(std::move(item));
}

void pipeline::record_latency(std::vector<double>& ring, std::size_t& pos, double ms) {
  if (ring.size() < latency_samples) ring.push_back(ms);
  else ring[pos++ % latency_samples] = ms;
}

void pipeline::store_loop() {
  using clock = std::chrono::steady_clock;
  struct done_entry {
    entry_result result;
    std::function<void(const entry_result&)> on_stored;
    std::int64_t received_ns;
  };
  std::vector<done_entry> done;
  std::vector<std::int64_t> finding_received;
  std::uint64_t group_events = 0;
  bool in_tx = false;
  auto group_start = clock::now();
  auto last_sync = clock::now();
  std::uint64_t stored_seq = stats_.stored_seq, synced_seq = stored_seq;
  std::map<std::uint64_t, entry_result> partial;  // per seq, accumulated across parts

  auto fail_hard = [](const error& e) {
    // Storage failing (disk full, I/O error) must not acknowledge more than it stored: the
    // WAL keeps every entry after the last checkpoint and a restart replays them.
    fmt::print(stderr, "mamori serve: storage error: {}; stopping\n", e.message);
    std::fflush(stderr);
    std::_Exit(3);
  };

  auto commit = [&] {
    if (!in_tx) return;
    if (auto r = events_.commit(); !r) fail_hard(r.error());
    if (stored_seq > stats_.stored_seq)
      if (auto r = state_->set_meta("stored_seq", std::to_string(stored_seq)); !r) fail_hard(r.error());
    if (auto r = state_->db().exec("COMMIT"); !r) fail_hard(r.error());
    in_tx = false;
    const std::int64_t t = now_ns();
    {
      std::lock_guard lock(stats_mutex_);
      stats_.stored_seq = stored_seq;
      for (const auto& d : done)
        record_latency(latency_ring_, latency_pos_, static_cast<double>(t - d.received_ns) / 1e6);
      for (auto r : finding_received)
        record_latency(finding_latency_ring_, finding_latency_pos_, static_cast<double>(t - r) / 1e6);
    }
    finding_received.clear();
    for (auto& d : done)
      if (d.on_stored) d.on_stored(d.result);
    done.clear();
    group_events = 0;
    if (consumer_ != nullptr) consumer_->after_commit(*state_);
    // Free WAL segments only once the stored data is on disk (fsync of the SQLite logs).
    if (stored_seq > synced_seq && clock::now() - last_sync > std::chrono::seconds(2)) {
      for (const auto& p : store::list_partitions(events_.dir())) fsync_path(p.path + "-wal");
      fsync_path(state_->db().path() + "-wal");
      wal_.checkpoint(stored_seq);
      synced_seq = stored_seq;
      last_sync = clock::now();
    }
  };

  auto last_maintenance = clock::now();
  for (;;) {
    if (maintenance_ && !in_tx &&
        clock::now() - last_maintenance > std::chrono::duration<double>(maintenance_interval_s_)) {
      maintenance_(events_, *state_);
      last_maintenance = clock::now();
    }
    store_item item;
    bool have = false;
    {
      std::unique_lock lock(st_mutex_);
      const auto deadline = group_start + std::chrono::duration<double>(options_.commit_interval_s);
      st_cv_.wait_until(lock, in_tx ? deadline : clock::now() + std::chrono::milliseconds(500),
                        [&] { return !st_queue_.empty() || decode_done_; });
      if (!st_queue_.empty()) {
        item = std::move(st_queue_.front());
        st_queue_.pop_front();
        st_bytes_ -= item.bytes;
        have = true;
        st_space_cv_.notify_all();
      } else if (decode_done_) {
        break;
      }
    }
    if (have) {
      if (!in_tx) {
        if (auto r = state_->db().exec("BEGIN IMMEDIATE"); !r) fail_hard(r.error());
        in_tx = true;
        group_start = clock::now();
      }
      auto& acc = partial[item.seq];
      for (const auto& ev : item.events) {
        auto r = events_.insert(ev);
        if (!r) fail_hard(r.error());
        if (*r) ++acc.stored;
        else ++acc.duplicates;
      }
      group_events += item.events.size();
      std::vector<std::pair<std::int64_t, stored_finding>> fresh;
      const std::int64_t t = now_ns();
      for (auto& sf : item.findings) {
        auto id = state_->insert_finding(sf, t);
        if (!id) fail_hard(id.error());
        if (*id) {
          finding_received.push_back(sf.received_ns);
          fresh.emplace_back(**id, std::move(sf));
        }
      }
      acc.findings += fresh.size();
      if (!fresh.empty() && consumer_ != nullptr) consumer_->on_findings(*state_, fresh);
      {
        std::lock_guard lock(stats_mutex_);
        stats_.findings += fresh.size();
      }
      if (item.last) {
        entry_result res = std::move(item.result);
        res.stored = acc.stored;
        res.duplicates = acc.duplicates;
        res.findings = acc.findings;
        partial.erase(item.seq);
        {
          std::lock_guard lock(stats_mutex_);
          stats_.stored += res.stored;
          stats_.duplicates += res.duplicates;
        }
        stored_seq = std::max(stored_seq, item.seq);
        done.push_back({std::move(res), std::move(item.on_stored), item.received_ns});
      } else if (item.seq == 0) {
        partial.erase(0);
      }
    }
    bool queue_empty;
    {
      std::lock_guard lock(st_mutex_);
      queue_empty = st_queue_.empty();
    }
    if (in_tx && (group_events >= options_.commit_events || queue_empty ||
                  clock::now() - group_start >=
                      std::chrono::duration<double>(options_.commit_interval_s))) {
      commit();
    }
  }
  commit();
  if (auto r = events_.flush_index(); !r) fail_hard(r.error());
  for (const auto& p : store::list_partitions(events_.dir())) fsync_path(p.path + "-wal");
  fsync_path(state_->db().path() + "-wal");
  wal_.checkpoint(stored_seq);
}

pipeline_stats pipeline::stats() const {
  std::lock_guard lock(stats_mutex_);
  pipeline_stats s = stats_;
  s.queued_bytes = reserved_.load();
  s.throttled = throttled_.load();
  s.latency_p50_ms = percentile(latency_ring_, 0.50);
  s.latency_p99_ms = percentile(latency_ring_, 0.99);
  s.finding_latency_p50_ms = percentile(finding_latency_ring_, 0.50);
  s.finding_latency_p99_ms = percentile(finding_latency_ring_, 0.99);
  return s;
}

}  // namespace mamori::server
