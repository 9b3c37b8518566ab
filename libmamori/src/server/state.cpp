#include "mamori/server/state.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>

#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::server {

namespace {

const char* const main_schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS tokens(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, sources TEXT NOT NULL DEFAULT '*',
  created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS findings(id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE,
  time INTEGER NOT NULL, received INTEGER, stored INTEGER, rule_uid TEXT, rule_name TEXT,
  rule_source TEXT, level TEXT, severity_id INTEGER, user TEXT COLLATE NOCASE,
  host TEXT COLLATE NOCASE, src_ip TEXT, explanation TEXT, body TEXT NOT NULL,
  case_id INTEGER);
CREATE INDEX IF NOT EXISTS findings_time ON findings(time);
CREATE INDEX IF NOT EXISTS findings_case ON findings(case_id);
CREATE INDEX IF NOT EXISTS findings_rule ON findings(rule_uid);
CREATE TABLE IF NOT EXISTS cases(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,
  scenarios TEXT NOT NULL, title TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
  entity_kind TEXT, entity TEXT COLLATE NOCASE, group_key TEXT NOT NULL,
  first_time INTEGER NOT NULL, last_time INTEGER NOT NULL, opened INTEGER NOT NULL,
  updated INTEGER NOT NULL, assignee TEXT, verdict TEXT, reason TEXT,
  follow_up INTEGER NOT NULL DEFAULT 0, findings INTEGER NOT NULL DEFAULT 0,
  evidence TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS cases_group ON cases(group_key, state);
CREATE INDEX IF NOT EXISTS cases_state ON cases(state, follow_up);
CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, time INTEGER NOT NULL,
  actor TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_object ON audit(object);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS signals(version INTEGER PRIMARY KEY, kind TEXT NOT NULL,
  subject TEXT NOT NULL, active INTEGER NOT NULL, before INTEGER NOT NULL, score REAL NOT NULL,
  at INTEGER NOT NULL, reason TEXT NOT NULL, origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tail_offsets(path TEXT PRIMARY KEY, dev INTEGER, ino INTEGER,
  offset INTEGER);
)sql";

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string base64url(const unsigned char* p, std::size_t n) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < n; i += 3) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i + 1 == n) {
    const std::uint32_t v = p[i] << 16;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
  } else if (i + 2 == n) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
  }
  return out;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void append_str(std::string& out, std::string_view key, std::string_view v, bool comma = true) {
  if (comma) out += ',';
  json_text::append_string(out, key);
  out += ':';
  json_text::append_string(out, v);
}

}  // namespace

std::string_view role_name(role r) {
  switch (r) {
    case role::ingest: return "ingest";
    case role::tier1: return "tier1";
    case role::tier2: return "tier2";
    case role::admin: return "admin";
  }
  return "unknown";
}

std::optional<role> parse_role(std::string_view s) {
  if (s == "ingest") return role::ingest;
  if (s == "tier1") return role::tier1;
  if (s == "tier2") return role::tier2;
  if (s == "admin") return role::admin;
  return std::nullopt;
}

bool role_allows(role have, role need) {
  if (have == role::admin) return true;
  if (need == role::ingest) return have == role::ingest;
  if (have == role::ingest) return false;
  return static_cast<int>(have) >= static_cast<int>(need);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return hex(md, len);
}

std::string token_hash(std::string_view secret) { return sha256_hex(secret); }

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), md, &len);
  return hex(md, len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string new_token_secret() {
  unsigned char buf[32];
  if (RAND_bytes(buf, sizeof buf) != 1) std::abort();  // no entropy: never issue a weak token
  return "mmr_" + base64url(buf, sizeof buf);
}

std::string finding_uid(const finding& f) {
  if (!f.finding_uid.empty()) return f.finding_uid;  // the detector's own stable id
  std::string key = fmt::format("{}|{}|{}|{}|{}", f.rule_uid, f.time_ns, f.user, f.src_ip, f.host);
  if (!f.evidences.empty()) key += f.evidences.front();
  for (const auto& m : f.matched) key += fmt::format("|{}={}", m.field, m.value);
  return sha256_hex(key).substr(0, 32);
}

std::string finding_json(const stored_finding& sf, std::int64_t id, std::int64_t case_id) {
  // The same OCSF Detection Finding `mamori hunt` prints (docs/findings.md), with the
  // server's id, the stored uid, the case and the stored events that triggered it.
  finding f = sf.f;
  f.finding_uid = sf.uid;  // the server's id: unique per stored finding
  const std::string body = finding_to_json(f);
  std::string out = fmt::format("{{\"id\":{},", id);
  if (case_id > 0) fmt::format_to(std::back_inserter(out), "\"case_id\":{},", case_id);
  out += "\"event_ids\":[";
  for (std::size_t i = 0; i < sf.event_ids.size(); ++i)
    fmt::format_to(std::back_inserter(out), "{}\"{}\"", i > 0 ? "," : "", sf.event_ids[i]);
  out += "],";
  out += std::string_view(body).substr(1);
  return out;
}

result<std::unique_ptr<state_db>> state_db::open(const std::string& path) {
  auto s = std::make_unique<state_db>();
  s->db_ = MAMORI_TRY(sql::database::open(path));
  MAMORI_CHECK(s->db_.exec(main_schema));
  return s;
}

result<std::optional<std::string>> state_db::get_meta(const std::string& key) {
  auto st = MAMORI_TRY(db_.prepare("SELECT value FROM meta WHERE key=?"));
  st.bind(1, key);
  if (MAMORI_TRY(st.step())) return std::optional<std::string>(std::string(st.column_text(0)));
  return std::optional<std::string>();
}

result<void> state_db::set_meta(const std::string& key, const std::string& value) {
  auto st = MAMORI_TRY(db_.prepare("INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)"));
  st.bind(1, key).bind(2, value);
  return st.run();
}

result<std::string> state_db::create_token(const std::string& name, role r,
                                           const std::vector<std::string>& sources) {
  std::string secret = new_token_secret();
  std::string src;
  for (const auto& s : sources) src += (src.empty() ? "" : ",") + s;
  if (src.empty()) src = "*";
  auto st = MAMORI_TRY(db_.prepare(
      "INSERT INTO tokens(name,role,hash,sources,created) VALUES(?,?,?,?,?)"));
  st.bind(1, name).bind(2, role_name(r)).bind(3, token_hash(secret)).bind(4, src).bind(5, now_seconds());
  auto rr = st.run();
  if (!rr) {
    if (rr.error().message.find("UNIQUE") != std::string::npos)
      return fail(fmt::format("a token named '{}' already exists", name));
    return tl::unexpected(rr.error());
  }
  return secret;
}

result<bool> state_db::revoke_token(const std::string& name) {
  auto st = MAMORI_TRY(db_.prepare("UPDATE tokens SET revoked=? WHERE name=? AND revoked=0"));
  st.bind(1, now_seconds()).bind(2, name);
  MAMORI_CHECK(st.run());
  return db_.changes() > 0;
}

result<std::vector<token_info>> state_db::tokens(bool include_revoked) {
  auto st = MAMORI_TRY(db_.prepare(
      include_revoked ? "SELECT id,name,role,hash,sources,created,revoked FROM tokens ORDER BY id"
                      : "SELECT id,name,role,hash,sources,created,revoked FROM tokens WHERE "
                        "revoked=0 ORDER BY id"));
  std::vector<token_info> out;
  while (MAMORI_TRY(st.step())) {
    token_info t;
    t.id = st.column_int(0);
    t.name = std::string(st.column_text(1));
    t.r = parse_role(st.column_text(2)).value_or(role::ingest);
    t.hash = std::string(st.column_text(3));
    std::string_view src = st.column_text(4);
    while (!src.empty()) {
      auto comma = src.find(',');
      t.sources.emplace_back(src.substr(0, comma));
      if (comma == std::string_view::npos) break;
      src.remove_prefix(comma + 1);
    }
    t.created = st.column_int(5);
    t.revoked = st.column_int(6);
    out.push_back(std::move(t));
  }
  return out;
}

result<std::optional<std::int64_t>> state_db::insert_finding(const stored_finding& sf,
                                                             std::int64_t stored_ns) {
  auto st = MAMORI_TRY(db_.prepare(
      "INSERT OR IGNORE INTO findings(uid,time,received,stored,rule_uid,rule_name,rule_source,"
      "level,severity_id,user,host,src_ip,explanation,body) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,'')"));
  const finding& f = sf.f;
  st.bind(1, sf.uid).bind(2, f.time_ns).bind(3, sf.received_ns).bind(4, stored_ns);
  st.bind(5, f.rule_uid).bind(6, f.rule_name).bind(7, f.rule_source).bind(8, f.level);
  st.bind(9, static_cast<std::int64_t>(f.severity)).bind_text_or_null(10, f.user);
  st.bind_text_or_null(11, f.host).bind_text_or_null(12, f.src_ip).bind(13, f.explanation);
  MAMORI_CHECK(st.run());
  if (db_.changes() == 0) return std::optional<std::int64_t>();
  const std::int64_t id = db_.last_insert_rowid();
  auto up = MAMORI_TRY(db_.prepare("UPDATE findings SET body=? WHERE id=?"));
  up.bind(1, finding_json(sf, id, 0)).bind(2, id);
  MAMORI_CHECK(up.run());
  return std::optional<std::int64_t>(id);
}

result<void> state_db::set_finding_case(std::int64_t finding_id, std::int64_t case_id) {
  auto st = MAMORI_TRY(db_.prepare("UPDATE findings SET case_id=? WHERE id=?"));
  st.bind(1, case_id).bind(2, finding_id);
  return st.run();
}

namespace {

// The stored body was rendered before the case existed: add case_id on the way out.
void append_finding_row(std::string& out, sql::statement& st) {
  std::string_view body = st.column_text(0);
  const std::int64_t case_id = st.column_null(1) ? 0 : st.column_int(1);
  if (case_id > 0 && body.size() > 1 && body.front() == '{') {
    out += fmt::format("{{\"case_id\":{},", case_id);
    out += body.substr(1);
  } else {
    out += body;
  }
}

}  // namespace

result<std::string> state_db::findings_json(const finding_filter& f) {
  std::string sql = "SELECT body, case_id FROM findings WHERE time >= ?";
  if (!f.rule.empty()) sql += " AND rule_uid = ?";
  if (!f.user.empty()) sql += " AND user = ?";
  if (!f.level.empty()) sql += " AND level = ?";
  if (f.case_id >= 0) sql += " AND case_id = ?";
  sql += " ORDER BY time DESC, id DESC LIMIT ?";
  auto st = MAMORI_TRY(db_.prepare(sql));
  int i = 1;
  st.bind(i++, f.since_ns);
  if (!f.rule.empty()) st.bind(i++, f.rule);
  if (!f.user.empty()) st.bind(i++, f.user);
  if (!f.level.empty()) st.bind(i++, f.level);
  if (f.case_id >= 0) st.bind(i++, f.case_id);
  st.bind(i++, static_cast<std::int64_t>(f.limit));
  std::string out = "{\"findings\":[";
  bool first = true;
  while (MAMORI_TRY(st.step())) {
    if (!first) out += ',';
    first = false;
    append_finding_row(out, st);
  }
  out += "]}";
  return out;
}

result<std::optional<std::string>> state_db::finding_json_by_id(std::int64_t id) {
  auto st = MAMORI_TRY(db_.prepare("SELECT body, case_id FROM findings WHERE id=?"));
  st.bind(1, id);
  if (!MAMORI_TRY(st.step())) return std::optional<std::string>();
  std::string out;
  append_finding_row(out, st);
  return std::optional<std::string>(std::move(out));
}

result<std::int64_t> state_db::audit(const std::string& actor, const std::string& action,
                                     const std::string& object, const std::string& detail_json) {
  // The previous hash is read inside the write transaction so the chain has no forks.
  const bool own_tx = db_.autocommit();
  if (own_tx) MAMORI_CHECK(db_.exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> result<std::int64_t> {
    std::string prev = "genesis";
    auto last = MAMORI_TRY(db_.prepare("SELECT hash FROM audit ORDER BY id DESC LIMIT 1"));
    if (MAMORI_TRY(last.step())) prev = std::string(last.column_text(0));
    const std::int64_t t = now_ns();
    const std::string h = sha256_hex(fmt::format("{}|{}|{}|{}|{}|{}", prev, t, actor, action, object, detail_json));
    auto st = MAMORI_TRY(db_.prepare(
        "INSERT INTO audit(time,actor,action,object,detail,prev_hash,hash) VALUES(?,?,?,?,?,?,?)"));
    st.bind(1, t).bind(2, actor).bind(3, action).bind(4, object).bind(5, detail_json).bind(6, prev).bind(7, h);
    MAMORI_CHECK(st.run());
    return db_.last_insert_rowid();
  }();
  if (own_tx) {
    if (body) MAMORI_CHECK(db_.exec("COMMIT"));
    else (void)db_.exec("ROLLBACK");
  }
  return body;
}

result<std::string> state_db::audit_json(const std::string& object, std::size_t limit) {
  auto st = MAMORI_TRY(db_.prepare(
      object.empty()
          ? "SELECT id,time,actor,action,object,detail,hash FROM audit ORDER BY id DESC LIMIT ?"
          : "SELECT id,time,actor,action,object,detail,hash FROM audit WHERE object=? ORDER BY "
            "id DESC LIMIT ?"));
  int i = 1;
  if (!object.empty()) st.bind(i++, object);
  st.bind(i, static_cast<std::int64_t>(limit));
  std::string out = "{\"audit\":[";
  bool first = true;
  while (MAMORI_TRY(st.step())) {
    if (!first) out += ',';
    first = false;
    fmt::format_to(std::back_inserter(out), "{{\"id\":{},\"time\":\"{}\"", st.column_int(0),
                   timeparse::format_rfc3339(st.column_int(1)));
    append_str(out, "actor", st.column_text(2));
    append_str(out, "action", st.column_text(3));
    append_str(out, "object", st.column_text(4));
    out += ",\"detail\":";
    std::string_view d = st.column_text(5);
    out += d.empty() ? std::string_view("{}") : d;
    append_str(out, "hash", st.column_text(6));
    out += '}';
  }
  out += "]}";
  return out;
}

result<std::int64_t> state_db::verify_audit() {
  auto st = MAMORI_TRY(db_.prepare(
      "SELECT id,time,actor,action,object,detail,prev_hash,hash FROM audit ORDER BY id"));
  std::string prev = "genesis";
  while (MAMORI_TRY(st.step())) {
    const std::string expect = sha256_hex(fmt::format(
        "{}|{}|{}|{}|{}|{}", prev, st.column_int(1), st.column_text(2), st.column_text(3),
        st.column_text(4), st.column_text(5)));
    if (st.column_text(6) != prev || st.column_text(7) != expect) return st.column_int(0);
    prev = std::string(st.column_text(7));
  }
  return 0;
}

result<void> state_db::save_signal(const respond::signal& s) {
  auto st = MAMORI_TRY(db_.prepare(
      "INSERT OR REPLACE INTO signals(version,kind,subject,active,before,score,at,reason,origin) "
      "VALUES(?,?,?,?,?,?,?,?,?)"));
  st.bind(1, s.version).bind(2, respond::signal_kind_name(s.kind)).bind(3, s.subject);
  st.bind(4, s.active ? 1 : 0).bind(5, s.before).bind(6, s.score).bind(7, s.at);
  st.bind(8, s.reason).bind(9, s.origin);
  return st.run();
}

result<std::vector<respond::signal>> state_db::signals_since(std::uint64_t version,
                                                             std::size_t limit) {
  auto st = MAMORI_TRY(db_.prepare(
      "SELECT version,kind,subject,active,before,score,at,reason,origin FROM signals WHERE "
      "version > ? ORDER BY version LIMIT ?"));
  st.bind(1, version).bind(2, static_cast<std::int64_t>(limit));
  std::vector<respond::signal> out;
  while (MAMORI_TRY(st.step())) {
    respond::signal s;
    s.version = static_cast<std::uint64_t>(st.column_int(0));
    const auto kind = st.column_text(1);
    for (auto k : {respond::signal_kind::device_isolation, respond::signal_kind::session_revocation,
                   respond::signal_kind::user_risk, respond::signal_kind::device_risk})
      if (respond::signal_kind_name(k) == kind) s.kind = k;
    s.subject = std::string(st.column_text(2));
    s.active = st.column_int(3) != 0;
    s.before = st.column_int(4);
    s.score = st.column_double(5);
    s.at = st.column_int(6);
    s.reason = std::string(st.column_text(7));
    s.origin = std::string(st.column_text(8));
    out.push_back(std::move(s));
  }
  return out;
}

result<std::uint64_t> state_db::last_signal_version() {
  auto st = MAMORI_TRY(db_.prepare("SELECT coalesce(max(version),0) FROM signals"));
  if (MAMORI_TRY(st.step())) return static_cast<std::uint64_t>(st.column_int(0));
  return 0;
}

result<std::vector<state_db::tail_offset>> state_db::tail_offsets() {
  auto st = MAMORI_TRY(db_.prepare("SELECT path,dev,ino,offset FROM tail_offsets"));
  std::vector<tail_offset> out;
  while (MAMORI_TRY(st.step())) {
    out.push_back({std::string(st.column_text(0)), static_cast<std::uint64_t>(st.column_int(1)),
                   static_cast<std::uint64_t>(st.column_int(2)),
                   static_cast<std::uint64_t>(st.column_int(3))});
  }
  return out;
}

result<void> state_db::set_tail_offset(const tail_offset& t) {
  auto st = MAMORI_TRY(db_.prepare(
      "INSERT OR REPLACE INTO tail_offsets(path,dev,ino,offset) VALUES(?,?,?,?)"));
  st.bind(1, t.path).bind(2, t.dev).bind(3, t.ino).bind(4, t.offset);
  return st.run();
}

result<state_pool::lease> state_pool::get() {
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      auto s = std::move(free_.back());
      free_.pop_back();
      return lease(*this, std::move(s));
    }
  }
  auto s = MAMORI_TRY(state_db::open(path_));
  return lease(*this, std::move(s));
}

void state_pool::give_back(std::unique_ptr<state_db> s) {
  std::lock_guard lock(mutex_);
  if (free_.size() < 8) free_.push_back(std::move(s));
}

}  // namespace mamori::server
