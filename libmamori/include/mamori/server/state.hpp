#pragma once
// The server's own database, DATA/main.db (SQLite, WAL): API tokens (hashed), findings,
// cases, the append-only audit log, published signals, tail offsets and bookkeeping.
// One state_db per thread (a SQLite connection is not shared); writers serialize on
// SQLite's write lock (BEGIN IMMEDIATE).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/detect/finding.hpp"
#include "mamori/respond/signals.hpp"
#include "mamori/store/sqlite.hpp"

namespace mamori::server {

// Roles, from least to most privileged for analyst work; `ingest` may only send data.
enum class role : std::uint8_t { ingest, tier1, tier2, admin };
std::string_view role_name(role r);
std::optional<role> parse_role(std::string_view s);
// Does a token of role `have` satisfy an endpoint requiring `need`?
bool role_allows(role have, role need);

struct token_info {
  std::int64_t id = 0;
  std::string name;
  role r = role::tier1;
  std::vector<std::string> sources;  // ingest tokens: allowed source names ("*" = any)
  std::int64_t created = 0;          // UTC seconds
  std::int64_t revoked = 0;          // 0 = active
  std::string hash;                  // hex SHA-256 of the secret (never the secret)
};

// SHA-256 of the token text, lower-case hex.
std::string token_hash(std::string_view secret);
// A new secret: "mmr_" + 32 random bytes, base64url.
std::string new_token_secret();
// HMAC-SHA256, lower-case hex (webhook signatures).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
std::string sha256_hex(std::string_view data);
// Constant-time comparison of equal-length strings.
bool constant_time_equal(std::string_view a, std::string_view b);

struct stored_finding {
  finding f;
  std::string uid;
  std::vector<std::uint64_t> event_ids;  // stored events that triggered it (may be empty)
  std::int64_t received_ns = 0;          // when the triggering batch was received
};

// The finding as an OCSF Detection Finding (class 2004) JSON object, with the server's id,
// uid and case reference.
std::string finding_json(const stored_finding& sf, std::int64_t id, std::int64_t case_id);
// A stable uid: SHA-256 of rule, time and the first evidence/matched values.
std::string finding_uid(const finding& f);

class state_db {
 public:
  static result<std::unique_ptr<state_db>> open(const std::string& path);

  sql::database& db() { return db_; }

  // meta key/value
  result<std::optional<std::string>> get_meta(const std::string& key);
  result<void> set_meta(const std::string& key, const std::string& value);

  // tokens
  result<std::string> create_token(const std::string& name, role r,
                                   const std::vector<std::string>& sources);  // returns secret
  result<bool> revoke_token(const std::string& name);
  result<std::vector<token_info>> tokens(bool include_revoked = false);

  // findings: inserts unless the uid exists; returns the new id or nullopt for a duplicate.
  result<std::optional<std::int64_t>> insert_finding(const stored_finding& sf, std::int64_t stored_ns);
  result<void> set_finding_case(std::int64_t finding_id, std::int64_t case_id);
  struct finding_filter {
    std::int64_t since_ns = 0;
    std::string rule;
    std::string user;
    std::string level;
    std::int64_t case_id = -1;
    std::size_t limit = 100;
  };
  result<std::string> findings_json(const finding_filter& f);
  result<std::optional<std::string>> finding_json_by_id(std::int64_t id);

  // audit: append-only, hash-chained (each entry hashes the previous entry's hash).
  result<std::int64_t> audit(const std::string& actor, const std::string& action,
                             const std::string& object, const std::string& detail_json);
  result<std::string> audit_json(const std::string& object, std::size_t limit);
  // Recomputes the chain; returns the first broken entry id, or 0 when intact.
  result<std::int64_t> verify_audit();

  // signals
  result<void> save_signal(const respond::signal& s);
  result<std::vector<respond::signal>> signals_since(std::uint64_t version, std::size_t limit);
  result<std::uint64_t> last_signal_version();

  // tail offsets
  struct tail_offset {
    std::string path;
    std::uint64_t dev = 0, ino = 0, offset = 0;
  };
  result<std::vector<tail_offset>> tail_offsets();
  result<void> set_tail_offset(const tail_offset& t);

 private:
  sql::database db_;
};

// A small pool of state_db connections for worker threads.
class state_pool {
 public:
  explicit state_pool(std::string path) : path_(std::move(path)) {}
  class lease {
   public:
    lease(state_pool& p, std::unique_ptr<state_db> s) : pool_(&p), s_(std::move(s)) {}
    lease(lease&&) = default;
    ~lease() {
      if (s_) pool_->give_back(std::move(s_));
    }
    state_db* operator->() { return s_.get(); }
    state_db& operator*() { return *s_; }

   private:
    state_pool* pool_;
    std::unique_ptr<state_db> s_;
  };
  result<lease> get();

 private:
  void give_back(std::unique_ptr<state_db> s);
  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<state_db>> free_;
};

}  // namespace mamori::server
