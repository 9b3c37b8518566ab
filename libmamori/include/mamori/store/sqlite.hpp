#pragma once
// A thin RAII layer over SQLite: connections and prepared statements whose failures are
// values (result<T>). Only what the store needs; no exceptions, no ORM.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mamori/core/result.hpp"
#include "mamori/store/check.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mamori::sql {

class statement;

class database {
 public:
  database() = default;
  ~database();
  database(database&& o) noexcept : db_(o.db_), path_(std::move(o.path_)) { o.db_ = nullptr; }
  database& operator=(database&& o) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // Opens (creating if asked) with WAL journaling, NORMAL sync, a busy timeout, and foreign
  // keys on. `read_only` connections never create the file.
  static result<database> open(const std::string& path, bool read_only = false,
                               int busy_timeout_ms = 10000);

  result<void> exec(std::string_view sql);
  result<statement> prepare(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  // True outside an explicit transaction.
  bool autocommit() const;
  std::string error_message() const;
  const std::string& path() const { return path_; }
  ::sqlite3* handle() { return db_; }
  bool is_open() const { return db_ != nullptr; }

 private:
  ::sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement. bind_* are 1-based like SQLite. step() yields true while a row is
// available, false when done.
class statement {
 public:
  statement() = default;
  ~statement();
  statement(statement&& o) noexcept : st_(o.st_), db_(o.db_) { o.st_ = nullptr; }
  statement& operator=(statement&& o) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, double v);
  statement& bind(int i, std::string_view v);  // copied (SQLITE_TRANSIENT)
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind_blob(int i, std::string_view v);
  statement& bind_null(int i);
  // Binds an empty string as NULL (optional entity columns).
  statement& bind_text_or_null(int i, std::string_view v);

  result<bool> step();
  // Runs to completion (for INSERT/UPDATE/DELETE), then resets.
  result<void> run();
  void reset();

  std::int64_t column_int(int i) const;
  double column_double(int i) const;
  std::string_view column_text(int i) const;  // valid until the next step/reset
  std::string_view column_blob(int i) const;
  bool column_null(int i) const;
  int column_count() const;
  std::string_view column_name(int i) const;

 private:
  friend class database;
  statement(::sqlite3_stmt* st, ::sqlite3* db) : st_(st), db_(db) {}
  ::sqlite3_stmt* st_ = nullptr;
  ::sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE … COMMIT, rolled back when not committed.
class transaction {
 public:
  explicit transaction(database& db) : db_(db) {}
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  result<void> begin();
  result<void> commit();

 private:
  database& db_;
  bool open_ = false;
};

}  // namespace mamori::sql
