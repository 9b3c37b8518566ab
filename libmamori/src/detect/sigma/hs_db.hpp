#pragma once
// Vectorscan (Hyperscan API) database and scratch wrappers, private to the Sigma engine.

#include <hs/hs.h>

#include <memory>
#include <string>
#include <vector>

namespace mamori::sigma {

class hs_db {
 public:
  struct compile_result {
    std::shared_ptr<const hs_db> db;
    int failed_expression = -1;  // index into the arrays, or -1 (global failure)
    std::string error;
  };

  static compile_result compile(const std::vector<const char*>& exprs,
                                const std::vector<unsigned>& flags,
                                const std::vector<unsigned>& ids) {
    compile_result r;
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                         &err) != HS_SUCCESS) {
      if (err != nullptr) {
        r.failed_expression = err->expression;
        r.error = err->message != nullptr ? err->message : "";
        hs_free_compile_error(err);
      }
      return r;
    }
    r.db = std::shared_ptr<const hs_db>(new hs_db(db));
    return r;
  }

  ~hs_db() { hs_free_database(db_); }
  hs_db(const hs_db&) = delete;
  hs_db& operator=(const hs_db&) = delete;

  const hs_database_t* get() const { return db_; }

 private:
  explicit hs_db(hs_database_t* db) : db_(db) {}
  hs_database_t* db_;
};

// Scratch space for one thread, grown to fit every database it is used with.
class hs_scratch {
 public:
  hs_scratch() = default;
  ~hs_scratch() {
    if (s_ != nullptr) hs_free_scratch(s_);
  }
  hs_scratch(const hs_scratch&) = delete;
  hs_scratch& operator=(const hs_scratch&) = delete;

  bool fit(const hs_db& db) { return hs_alloc_scratch(db.get(), &s_) == HS_SUCCESS; }
  hs_scratch_t* get() const { return s_; }

 private:
  hs_scratch_t* s_ = nullptr;
};

}  // namespace mamori::sigma
