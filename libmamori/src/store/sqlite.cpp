#include "mamori/store/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace mamori::sql {

database::~database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

database& database::operator=(database&& o) noexcept {
  if (this != &o) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    o.db_ = nullptr;
  }
  return *this;
}

result<database> database::open(const std::string& path, bool read_only, int busy_timeout_ms) {
  database d;
  d.path_ = path;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                    SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &d.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = d.db_ != nullptr ? sqlite3_errmsg(d.db_) : sqlite3_errstr(rc);
    return fail(fmt::format("{}: cannot open database: {}", path, msg));
  }
  sqlite3_busy_timeout(d.db_, busy_timeout_ms);
  if (!read_only) {
    MAMORI_CHECK(d.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON"));
  }
  return d;
}

result<void> database::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return fail(fmt::format("{}: {}", path_, msg));
  }
  return {};
}

result<statement> database::prepare(std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &st, nullptr);
  if (rc != SQLITE_OK) {
    return fail(fmt::format("{}: cannot prepare '{}': {}", path_, sql.substr(0, 80),
                            sqlite3_errmsg(db_)));
  }
  return statement(st, db_);
}

std::int64_t database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int database::changes() const { return sqlite3_changes(db_); }
bool database::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
std::string database::error_message() const { return sqlite3_errmsg(db_); }

statement::~statement() {
  if (st_ != nullptr) sqlite3_finalize(st_);
}

statement& statement::operator=(statement&& o) noexcept {
  if (this != &o) {
    if (st_ != nullptr) sqlite3_finalize(st_);
    st_ = o.st_;
    db_ = o.db_;
    o.st_ = nullptr;
  }
  return *this;
}

statement& statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
statement& statement::bind(int i, double v) {
  sqlite3_bind_double(st_, i, v);
  return *this;
}
statement& statement::bind(int i, std::string_view v) {
  sqlite3_bind_text64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
statement& statement::bind_blob(int i, std::string_view v) {
  sqlite3_bind_blob64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}
statement& statement::bind_null(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}
statement& statement::bind_text_or_null(int i, std::string_view v) {
  return v.empty() ? bind_null(i) : bind(i, v);
}

result<bool> statement::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = sqlite3_errmsg(db_);
  sqlite3_reset(st_);
  return fail(fmt::format("sqlite: {}", msg));
}

result<void> statement::run() {
  auto r = step();
  reset();
  if (!r) return tl::unexpected(r.error());
  return {};
}

void statement::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::int64_t statement::column_int(int i) const { return sqlite3_column_int64(st_, i); }
double statement::column_double(int i) const { return sqlite3_column_double(st_, i); }
std::string_view statement::column_text(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, i));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(st_, i))};
}
std::string_view statement::column_blob(int i) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st_, i));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(st_, i))};
}
bool statement::column_null(int i) const { return sqlite3_column_type(st_, i) == SQLITE_NULL; }
int statement::column_count() const { return sqlite3_column_count(st_); }
std::string_view statement::column_name(int i) const { return sqlite3_column_name(st_, i); }

transaction::~transaction() {
  if (open_) (void)db_.exec("ROLLBACK");
}

result<void> transaction::begin() {
  MAMORI_CHECK(db_.exec("BEGIN IMMEDIATE"));
  open_ = true;
  return {};
}

result<void> transaction::commit() {
  open_ = false;
  return db_.exec("COMMIT");
}

}  // namespace mamori::sql
