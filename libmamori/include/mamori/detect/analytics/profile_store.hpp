#pragma once
// The baselines' home: user profiles in memory (bounded), backed by SQLite when a state
// directory is given (`mamori hunt --state DIR`), so a restart keeps what was learned.
// Profiles are loaded lazily on first use and written back at checkpoints (end of a run)
// and when evicted from memory. Without a state directory the store is memory only and
// evicted profiles are dropped (counted).

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mamori/core/result.hpp"
#include "mamori/detect/analytics/profile.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mamori::analytics {

struct store_stats {
  std::size_t in_memory = 0;
  std::size_t loaded = 0;            // profiles read from the database
  std::size_t created = 0;           // profiles seen for the first time
  std::size_t evicted = 0;           // written back (or dropped without a database) to bound memory
  std::size_t dropped = 0;           // evicted without a database to keep them
  std::size_t saved = 0;             // rows written
  std::size_t bytes_serialized = 0;  // total size of the rows written
};

class profile_store {
 public:
  // dir "" = memory only. The database is DIR/analytics.sqlite (created if absent).
  static result<std::unique_ptr<profile_store>> open(const std::string& dir,
                                                     std::size_t max_profiles);
  ~profile_store();
  profile_store(const profile_store&) = delete;
  profile_store& operator=(const profile_store&) = delete;

  // The profile of a user (key = lowercased name), loaded or created; `created` tells which.
  user_profile& get(std::string_view key, std::string_view display, std::int64_t now,
                    bool* created = nullptr);
  // Read-only lookup (memory, then database); nullptr when the user is unknown.
  const user_profile* find(std::string_view key);
  org_profile& org() { return org_; }
  string_pool& pool() { return pool_; }
  const string_pool& pool() const { return pool_; }

  // Writes every changed profile and the organisation profile in one transaction.
  result<void> save();
  bool persistent() const { return db_ != nullptr; }
  const std::string& path() const { return path_; }
  store_stats stats() const;
  std::size_t memory_per_profile() const;

 private:
  profile_store() = default;
  result<void> init_db(const std::string& path);
  bool load(std::string_view key, user_profile& out);
  result<void> write(std::string_view key, const user_profile& p);
  void evict();

  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, user_profile, hash, std::equal_to<>> profiles_;
  org_profile org_;
  string_pool pool_;
  std::size_t max_profiles_ = 0;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  std::string path_;
  store_stats stats_;
  std::unique_ptr<user_profile> scratch_;  // find() result for profiles not kept in memory
};

}  // namespace mamori::analytics
