#include "mamori/detect/analytics/profile_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace mamori::analytics {

namespace {

constexpr int schema_version = 1;

result<void> exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return fail(msg);
  }
  return {};
}

}  // namespace

result<std::unique_ptr<profile_store>> profile_store::open(const std::string& dir,
                                                           std::size_t max_profiles) {
  std::unique_ptr<profile_store> s(new profile_store());
  s->max_profiles_ = std::max<std::size_t>(max_profiles, 16);
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(dir + ": cannot create state directory: " + ec.message());
    if (auto r = s->init_db(dir + "/analytics.sqlite"); !r) return tl::unexpected(r.error());
  }
  return s;
}

result<void> profile_store::init_db(const std::string& path) {
  path_ = path;
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    return fail(path + ": cannot open state database: " + msg);
  }
  auto r = exec(db_,
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE IF NOT EXISTS profiles(user TEXT PRIMARY KEY, last_seen INTEGER,"
                " data BLOB);"
                "CREATE TABLE IF NOT EXISTS org(id INTEGER PRIMARY KEY, data BLOB);");
  if (!r) return fail(path + ": " + r.error().message);
  // Refuse a database written by a newer, incompatible schema rather than misreading it.
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key='schema'", -1, &st, nullptr);
  if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
    const int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (v != schema_version) {
      return fail(path + ": state schema " + std::to_string(v) + " is not " +
                  std::to_string(schema_version) + "; use a new --state directory");
    }
  } else {
    sqlite3_finalize(st);
    exec(db_, "INSERT OR REPLACE INTO meta VALUES('schema','1')");
  }
  if (sqlite3_prepare_v2(db_, "SELECT data FROM profiles WHERE user=?", -1, &select_, nullptr) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(db_,
                         "INSERT INTO profiles(user,last_seen,data) VALUES(?,?,?) "
                         "ON CONFLICT(user) DO UPDATE SET last_seen=excluded.last_seen,"
                         " data=excluded.data",
                         -1, &upsert_, nullptr) != SQLITE_OK) {
    return fail(path + ": " + sqlite3_errmsg(db_));
  }
  // The organisation profile is small: load it now.
  sqlite3_prepare_v2(db_, "SELECT data FROM org WHERE id=1", -1, &st, nullptr);
  if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
    const void* blob = sqlite3_column_blob(st, 0);
    const int n = sqlite3_column_bytes(st, 0);
    deserialize(std::string_view(static_cast<const char*>(blob), static_cast<std::size_t>(n)), org_,
                pool_);
  }
  sqlite3_finalize(st);
  return {};
}

profile_store::~profile_store() {
  if (select_ != nullptr) sqlite3_finalize(select_);
  if (upsert_ != nullptr) sqlite3_finalize(upsert_);
  if (db_ != nullptr) sqlite3_close(db_);
}

bool profile_store::load(std::string_view key, user_profile& out) {
  if (db_ == nullptr) return false;
  sqlite3_reset(select_);
  sqlite3_bind_text(select_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  bool found = false;
  if (sqlite3_step(select_) == SQLITE_ROW) {
    const void* blob = sqlite3_column_blob(select_, 0);
    const int n = sqlite3_column_bytes(select_, 0);
    found = deserialize(
        std::string_view(static_cast<const char*>(blob), static_cast<std::size_t>(n)), out, pool_);
  }
  sqlite3_reset(select_);
  return found;
}

result<void> profile_store::write(std::string_view key, const user_profile& p) {
  const std::string data = serialize(p, pool_);
  sqlite3_reset(upsert_);
  sqlite3_bind_text(upsert_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_int64(upsert_, 2, p.last_seen);
  sqlite3_bind_blob(upsert_, 3, data.data(), static_cast<int>(data.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(upsert_);
  sqlite3_reset(upsert_);
  if (rc != SQLITE_DONE) return fail(path_ + ": " + sqlite3_errmsg(db_));
  ++stats_.saved;
  stats_.bytes_serialized += data.size();
  return {};
}

user_profile& profile_store::get(std::string_view key, std::string_view display, std::int64_t now,
                                 bool* created) {
  auto it = profiles_.find(key);
  if (it != profiles_.end()) {
    if (created != nullptr) *created = false;
    return it->second;
  }
  if (profiles_.size() >= max_profiles_) evict();
  user_profile p;
  bool from_db = load(key, p);
  if (from_db) {
    ++stats_.loaded;
  } else {
    ++stats_.created;
    p.name = std::string(display);
    p.first_seen = now;
    p.last_seen = now;
    p.dirty = true;
  }
  if (created != nullptr) *created = !from_db;
  return profiles_.emplace(std::string(key), std::move(p)).first->second;
}

const user_profile* profile_store::find(std::string_view key) {
  auto it = profiles_.find(key);
  if (it != profiles_.end()) return &it->second;
  auto p = std::make_unique<user_profile>();
  if (!load(key, *p)) return nullptr;
  scratch_ = std::move(p);
  return scratch_.get();
}

void profile_store::evict() {
  // Evict the least recently active tenth (by event time) in one pass.
  std::vector<std::pair<std::int64_t, const std::string*>> order;
  order.reserve(profiles_.size());
  for (const auto& [k, p] : profiles_) order.emplace_back(p.last_seen, &k);
  const std::size_t n = std::max<std::size_t>(1, order.size() / 10);
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n - 1), order.end());
  std::vector<std::string> victims;
  victims.reserve(n);
  for (std::size_t k = 0; k < n; ++k) victims.push_back(*order[k].second);
  if (db_ != nullptr) exec(db_, "BEGIN");
  for (const auto& key : victims) {
    auto it = profiles_.find(key);
    if (db_ != nullptr) {
      if (it->second.dirty) write(key, it->second);
    } else {
      ++stats_.dropped;
    }
    profiles_.erase(it);
    ++stats_.evicted;
  }
  if (db_ != nullptr) exec(db_, "COMMIT");
}

result<void> profile_store::save() {
  if (db_ == nullptr) return {};
  if (auto r = exec(db_, "BEGIN"); !r) return fail(path_ + ": " + r.error().message);
  for (auto& [key, p] : profiles_) {
    if (!p.dirty) continue;
    if (auto r = write(key, p); !r) {
      exec(db_, "ROLLBACK");
      return r;
    }
    p.dirty = false;
  }
  const std::string org = serialize(org_, pool_);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO org(id,data) VALUES(1,?)", -1, &st, nullptr);
  sqlite3_bind_blob(st, 1, org.data(), static_cast<int>(org.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    exec(db_, "ROLLBACK");
    return fail(path_ + ": " + sqlite3_errmsg(db_));
  }
  org_.dirty = false;
  if (auto r = exec(db_, "COMMIT"); !r) return fail(path_ + ": " + r.error().message);
  return {};
}

store_stats profile_store::stats() const {
  store_stats s = stats_;
  s.in_memory = profiles_.size();
  return s;
}

std::size_t profile_store::memory_per_profile() const {
  if (profiles_.empty()) return 0;
  std::size_t total = 0;
  for (const auto& [k, p] : profiles_) {
    // key string + node (two pointers + hash) + the profile
    total += memory_bytes(p) + sizeof(std::string) + (k.capacity() > 15 ? k.capacity() : 0) + 32;
  }
  return total / profiles_.size();
}

}  // namespace mamori::analytics
