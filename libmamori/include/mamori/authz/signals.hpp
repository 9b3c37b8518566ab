#pragma once
// Live signals for access decisions: device posture (agents, MDM exports), user and device
// risk (raised by findings, decaying with a half-life), device isolation and session
// revocation (case actions). Decisions read them on every request and must never wait.
//
// Design (docs/design/2026-11-24-authz-decision-point.md): RCU-style snapshots. Readers load
// an immutable snapshot (std::atomic<std::shared_ptr>) and keep it for the whole decision;
// a signal_reader caches it per thread and only reloads when the version changes, so the
// common read is one relaxed atomic load. Writers are serialized (one at a time) and
// publish a new snapshot per transaction. Each map is split into 64 copy-on-write shards so
// a write copies one shard (~1/64 of the entries), not the whole store; a change is visible
// to the next decision after commit() returns (well within the 1 s requirement).
//
// Seam: `mamori serve` (branch server) will publish respond/signals.hpp for case actions
// (isolate device, revoke sessions) and findings; its adapters write through signal_store.

#include <array>
#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mamori::authz {

struct device_posture {
  bool managed = false;
  bool compliant = false;
  bool encrypted = false;
  bool antivirus = false;
  std::int64_t patched_at = 0;  // UTC seconds of the last OS patch, 0 = unknown
  std::int64_t last_seen = 0;   // UTC seconds of the last report, 0 = unknown
  std::string os;
  std::vector<std::string> software;  // installed software, lower case, sorted, unique
  bool has_software(std::string_view lower_name) const;
};

// A score from 0 to 100 that halves every half-life after its last update.
struct risk_value {
  double score = 0;
  std::int64_t at = 0;  // UTC seconds when `score` was set
  std::string reason;
  double value_at(std::int64_t now, std::int64_t half_life) const;
};

struct device_state {
  bool known = false;  // posture reported at least once
  device_posture posture;
  bool isolated = false;
  std::string isolation_reason;
  std::int64_t isolated_at = 0;
  risk_value risk;
};

struct user_state {
  risk_value risk;
  std::int64_t revoked_before = 0;  // sessions issued at or before this second are revoked
  std::string revoke_reason;
};

struct revoked_session {
  std::int64_t expires = 0;  // when the entry may be forgotten (the session's own expiry)
  std::string reason;
};

namespace detail {
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <typename V>
class cow_map {
 public:
  static constexpr std::size_t shards = 64;
  using map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

  cow_map() {
    for (auto& s : shards_) s = std::make_shared<map>();
  }
  const V* find(std::string_view key) const {
    const auto& m = *shards_[shard_of(key)];
    auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) n += s->size();
    return n;
  }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& s : shards_)
      for (const auto& [k, v] : *s) f(k, v);
  }
  // Writer side: the shard is copied once per transaction (tracked in `dirty`).
  V& mutate(std::string_view key, std::bitset<shards>& dirty) {
    map& m = writable(shard_of(key), dirty);
    auto it = m.find(key);
    if (it == m.end()) it = m.emplace(std::string(key), V{}).first;
    return it->second;
  }
  bool erase(std::string_view key, std::bitset<shards>& dirty) {
    map& m = writable(shard_of(key), dirty);
    auto it = m.find(key);
    if (it == m.end()) return false;
    m.erase(it);
    return true;
  }
  template <typename Pred>
  std::size_t erase_if(Pred&& pred, std::bitset<shards>& dirty) {
    std::size_t n = 0;
    for (std::size_t s = 0; s < shards; ++s) {
      bool any = false;
      for (const auto& [k, v] : *shards_[s]) {
        if (pred(v)) {
          any = true;
          break;
        }
      }
      if (!any) continue;
      n += std::erase_if(writable(s, dirty), [&](const auto& kv) { return pred(kv.second); });
    }
    return n;
  }

 private:
  static std::size_t shard_of(std::string_view key) {
    // The low bits of std::hash feed the bucket index; take high-ish bits for the shard.
    return (string_hash{}(key) >> 20) % shards;
  }
  map& writable(std::size_t s, std::bitset<shards>& dirty) {
    if (!dirty.test(s)) {
      shards_[s] = std::make_shared<map>(*shards_[s]);
      dirty.set(s);
    }
    return *shards_[s];
  }
  std::array<std::shared_ptr<map>, shards> shards_;
};
}  // namespace detail

// An immutable view of every signal at one version.
class signals_snapshot {
 public:
  const device_state* device(std::string_view id) const { return devices_.find(id); }
  const user_state* user(std::string_view name) const { return users_.find(name); }
  const revoked_session* session(std::string_view sid) const { return sessions_.find(sid); }
  std::uint64_t version() const { return version_; }
  std::int64_t risk_half_life() const { return half_life_; }
  std::size_t devices() const { return devices_.size(); }
  std::size_t users() const { return users_.size(); }
  std::size_t revoked_sessions() const { return sessions_.size(); }
  // Cheap guards for the decision path: skip lookups in maps that were never written.
  bool any_user_state() const { return any_users_; }
  bool any_revoked_session() const { return any_sessions_; }
  template <typename F>
  void for_each_device(F&& f) const {
    devices_.for_each(f);
  }

 private:
  friend class signal_store;
  detail::cow_map<device_state> devices_;
  detail::cow_map<user_state> users_;
  detail::cow_map<revoked_session> sessions_;
  std::uint64_t version_ = 0;
  std::int64_t half_life_ = 86400;
  bool any_users_ = false;
  bool any_sessions_ = false;
};

class signal_store {
 public:
  explicit signal_store(std::int64_t risk_half_life = 86400);

  std::shared_ptr<const signals_snapshot> snapshot() const { return current_.load(); }
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // A write transaction: changes are invisible until commit() (or destruction), then appear
  // at once. Transactions are serialized; readers never wait for them.
  class transaction {
   public:
    transaction(transaction&&) = delete;
    ~transaction() { commit(); }
    void report_posture(std::string_view device, device_posture p);
    void set_isolated(std::string_view device, bool isolated, std::string reason, std::int64_t now);
    void revoke_session(std::string_view session, std::int64_t expires, std::string reason);
    void revoke_user_sessions(std::string_view user, std::int64_t before, std::string reason);
    void set_user_risk(std::string_view user, double score, std::string reason, std::int64_t now);
    void add_user_risk(std::string_view user, double delta, std::string reason, std::int64_t now);
    void set_device_risk(std::string_view device, double score, std::string reason,
                         std::int64_t now);
    void add_device_risk(std::string_view device, double delta, std::string reason,
                         std::int64_t now);
    // Forgets revoked sessions past their expiry.
    std::size_t prune(std::int64_t now);
    void commit();

   private:
    friend class signal_store;
    explicit transaction(signal_store& s);
    signal_store& store_;
    std::unique_lock<std::mutex> lock_;
    std::unique_ptr<signals_snapshot> next_;
    std::bitset<64> dirty_devices_, dirty_users_, dirty_sessions_;
    bool changed_ = false;
  };
  transaction begin() { return transaction(*this); }

  void set_risk_half_life(std::int64_t seconds);

 private:
  std::mutex write_mutex_;
  std::atomic<std::shared_ptr<const signals_snapshot>> current_;
  std::atomic<std::uint64_t> version_{0};
  std::int64_t half_life_;
};

// Per-thread view of the store: get() returns the newest snapshot, reloading only when the
// store's version moved. Not thread-safe itself: one reader per thread.
class signal_reader {
 public:
  explicit signal_reader(const signal_store& s) : store_(&s) {}
  const signals_snapshot& get() {
    const std::uint64_t v = store_->version();
    if (!snap_ || v != seen_) {
      snap_ = store_->snapshot();
      seen_ = snap_->version();
    }
    return *snap_;
  }
  const std::shared_ptr<const signals_snapshot>& shared() {
    get();
    return snap_;
  }

 private:
  const signal_store* store_;
  std::uint64_t seen_ = 0;
  std::shared_ptr<const signals_snapshot> snap_;
};

}  // namespace mamori::authz
