#include "mamori/store/event_store.hpp"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <variant>

#include "mamori/event/time.hpp"
#include "mamori/output/event_writer.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::store {

namespace {

constexpr std::int64_t ns_per_day = 86'400'000'000'000LL;

// H. Hinnant's civil_from_days (public-domain algorithm description).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Day start (ns) of a partition name; nullopt if the name is not YYYY-MM-DD.
std::optional<std::int64_t> day_start(std::string_view day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  auto p1 = std::from_chars(day.data(), day.data() + 4, y);
  auto p2 = std::from_chars(day.data() + 5, day.data() + 7, m);
  auto p3 = std::from_chars(day.data() + 8, day.data() + 10, d);
  if (p1.ec != std::errc() || p2.ec != std::errc() || p3.ec != std::errc() || m < 1 || m > 12 ||
      d < 1 || d > 31)
    return std::nullopt;
  return timeparse::days_from_civil(y, m, d) * ns_per_day;
}

const char* const partition_schema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY, time INTEGER NOT NULL, class_uid INTEGER, activity_id INTEGER,
  status_id INTEGER, severity_id INTEGER, user TEXT COLLATE NOCASE, src_ip TEXT COLLATE NOCASE,
  dst_ip TEXT COLLATE NOCASE, host TEXT COLLATE NOCASE, operation TEXT COLLATE NOCASE,
  service TEXT COLLATE NOCASE, source TEXT COLLATE NOCASE, format TEXT COLLATE NOCASE,
  blk INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_time ON events(time);
CREATE TABLE IF NOT EXISTS blocks(blk INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS segments(seg INTEGER PRIMARY KEY, first_id INTEGER, last_id INTEGER,
  min_time INTEGER, max_time INTEGER, count INTEGER, ids BLOB);
CREATE TABLE IF NOT EXISTS postings(seg INTEGER, bucket INTEGER, data BLOB,
  PRIMARY KEY(seg, bucket)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS minutes(minute INTEGER PRIMARY KEY, events INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);
)sql";

// A block holds the JSON of consecutive events of a partition, compressed together (zstd
// has a high fixed cost per frame and finds far more repetition across events than within
// one): varint id delta, varint length, bytes; repeated.
struct block_view {
  std::string data;  // decompressed
  std::vector<std::pair<std::uint64_t, std::string_view>> events;
};

bool decode_block(std::string_view blob, block_view& out);

std::string decompress(std::string_view blob) {
  std::string out;
  const unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (256u << 20))
    return out;
  out.resize(static_cast<std::size_t>(size));
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), blob.data(), blob.size());
  if (ZSTD_isError(n)) out.clear();
  else out.resize(n);
  return out;
}

bool decode_block(std::string_view blob, block_view& out) {
  out.events.clear();
  out.data = decompress(blob);
  if (out.data.empty()) return false;
  std::string_view d = out.data;
  std::size_t pos = 0;
  std::uint64_t id = 0;
  while (pos < d.size()) {
    std::uint64_t delta = 0, len = 0;
    if (!read_varint(d, pos, delta) || !read_varint(d, pos, len) || d.size() - pos < len) return false;
    id += delta;
    out.events.emplace_back(id, d.substr(pos, len));
    pos += len;
  }
  return true;
}

}  // namespace

std::string day_of(std::int64_t time_ns) {
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(floor_div(time_ns, ns_per_day), y, m, d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

void make_stored_event(const event& e, std::string_view decoder_name, std::string_view source,
                       std::uint64_t id, std::int64_t fallback_time_ns, stored_event& out) {
  using ocsf::attr;
  out.id = id;
  out.time_ns = e.time_ns != 0 ? e.time_ns : fallback_time_ns;
  out.class_uid = static_cast<std::uint32_t>(e.class_uid);
  out.activity_id = e.activity_id;
  out.status_id = static_cast<std::uint8_t>(e.status);
  out.severity_id = static_cast<std::uint8_t>(e.severity);
  auto first = [&](attr a, attr b) {
    std::string_view v = e.get_string(a);
    return std::string(v.empty() ? e.get_string(b) : v);
  };
  out.user = first(attr::actor_user_name, attr::user_name);
  out.src_ip = std::string(e.get_string(attr::src_ip));
  out.dst_ip = std::string(e.get_string(attr::dst_ip));
  out.host = first(attr::device_hostname, attr::src_hostname);
  out.operation = first(attr::api_operation, attr::metadata_event_code);
  if (out.operation.empty()) {
    if (const value* v = e.get(attr::metadata_event_code); v != nullptr) out.operation = v->to_string();
  }
  out.service = std::string(e.get_string(attr::api_service));
  out.source = std::string(source);
  out.format = std::string(decoder_name);
  out.json.clear();
  append_event_json(out.json, e, decoder_name);
}

// ---------------------------------------------------------------------------------------
// Writer

struct event_store::partition {
  std::string day;
  sql::database db;
  sql::statement ins_event, ins_block, ins_segment, ins_posting, set_meta, add_minute;
  segment_builder builder;
  std::int64_t next_blk = 1;
  std::string block;  // pending block, uncompressed
  std::uint64_t block_last_id = 0;
  std::size_t block_events = 0;
  std::map<std::int64_t, std::int64_t> minutes;  // pending per-minute counts
  std::int64_t seg_min_time = std::numeric_limits<std::int64_t>::max();
  std::int64_t seg_max_time = std::numeric_limits<std::int64_t>::min();
  std::uint64_t indexed_upto = 0;
  std::int64_t next_seg = 1;
  bool in_tx = false;
  std::uint64_t last_use = 0;
};

event_store::event_store(event_store_options options) : options_(std::move(options)) {}

result<std::unique_ptr<event_store>> event_store::open(event_store_options options,
                                                       diagnostics& diag) {
  (void)diag;
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return fail(fmt::format("{}: cannot create: {}", options.dir, ec.message()));
  options.segment_events = std::clamp<std::size_t>(options.segment_events, 1, max_segment_events);
  std::unique_ptr<event_store> s(new event_store(std::move(options)));
  s->cctx_ = ZSTD_createCCtx();
  return s;
}

event_store::~event_store() {
  (void)flush_index();
  open_.clear();
  if (cctx_ != nullptr) ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
}

result<event_store::partition*> event_store::get(const std::string& day) {
  auto it = open_.find(day);
  if (it != open_.end()) {
    it->second->last_use = ++use_clock_;
    return it->second.get();
  }
  if (open_.size() >= options_.max_open_partitions) {
    // Close the least recently used partition (its transaction and segment are written).
    auto lru = std::min_element(open_.begin(), open_.end(), [](const auto& a, const auto& b) {
      return a.second->last_use < b.second->last_use;
    });
    MAMORI_CHECK(close_partition(lru->first));
  }
  auto p = std::make_unique<partition>();
  p->day = day;
  p->db = MAMORI_TRY(sql::database::open(fmt::format("{}/{}.db", options_.dir, day)));
  // One transaction: a reader never sees a partition with half its tables.
  MAMORI_CHECK(p->db.exec(std::string("BEGIN IMMEDIATE;") + partition_schema + "COMMIT;"));
  p->ins_event = MAMORI_TRY(p->db.prepare(
      "INSERT OR IGNORE INTO events(id,time,class_uid,activity_id,status_id,severity_id,user,"
      "src_ip,dst_ip,host,operation,service,source,format,blk) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  p->ins_block = MAMORI_TRY(p->db.prepare("INSERT OR REPLACE INTO blocks(blk,data) VALUES(?,?)"));
  p->add_minute = MAMORI_TRY(p->db.prepare(
      "INSERT INTO minutes(minute,events) VALUES(?,?) "
      "ON CONFLICT(minute) DO UPDATE SET events = events + excluded.events"));
  p->ins_segment = MAMORI_TRY(p->db.prepare(
      "INSERT INTO segments(seg,first_id,last_id,min_time,max_time,count,ids) "
      "VALUES(?,?,?,?,?,?,?)"));
  p->ins_posting = MAMORI_TRY(p->db.prepare("INSERT INTO postings(seg,bucket,data) VALUES(?,?,?)"));
  p->set_meta = MAMORI_TRY(p->db.prepare("INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)"));
  {
    auto st = MAMORI_TRY(p->db.prepare("SELECT value FROM meta WHERE key='indexed_upto'"));
    if (MAMORI_TRY(st.step())) p->indexed_upto = static_cast<std::uint64_t>(st.column_int(0));
    auto st2 = MAMORI_TRY(p->db.prepare("SELECT coalesce(max(seg),0)+1 FROM segments"));
    if (MAMORI_TRY(st2.step())) p->next_seg = st2.column_int(0);
    auto st3 = MAMORI_TRY(p->db.prepare("SELECT coalesce(max(blk),0)+1 FROM blocks"));
    if (MAMORI_TRY(st3.step())) p->next_blk = st3.column_int(0);
  }
  // Events stored but not yet in a segment (a crash before the segment was written) are
  // indexed again from their stored JSON.
  {
    auto st = MAMORI_TRY(p->db.prepare(
        "SELECT e.id, e.time, b.data FROM events e JOIN blocks b ON b.blk = e.blk WHERE e.id > ? "
        "ORDER BY e.id"));
    st.bind(1, p->indexed_upto);
    block_view bv;
    std::int64_t loaded = -1;
    while (MAMORI_TRY(st.step())) {
      const auto id = static_cast<std::uint64_t>(st.column_int(0));
      std::string_view blob = st.column_blob(2);
      // Rows of one block arrive together; decode each block once.
      if (loaded < 0 || bv.events.empty() || id < bv.events.front().first ||
          id > bv.events.back().first) {
        if (!decode_block(blob, bv)) continue;
        loaded = 1;
      }
      for (const auto& [eid, json] : bv.events) {
        if (eid != id) continue;
        event_hashes(json, hashes_);
        p->builder.add(id, hashes_);
        break;
      }
      const std::int64_t t = st.column_int(1);
      p->seg_min_time = std::min(p->seg_min_time, t);
      p->seg_max_time = std::max(p->seg_max_time, t);
    }
  }
  p->last_use = ++use_clock_;
  partition* raw = p.get();
  open_.emplace(day, std::move(p));
  return raw;
}

result<bool> event_store::insert(const stored_event& e) {
  partition* p = MAMORI_TRY(get(day_of(e.time_ns)));
  if (!p->in_tx) {
    MAMORI_CHECK(p->db.exec("BEGIN IMMEDIATE"));
    p->in_tx = true;
  }
  auto& st = p->ins_event;
  st.bind(1, e.id).bind(2, e.time_ns).bind(3, static_cast<std::int64_t>(e.class_uid));
  st.bind(4, static_cast<std::int64_t>(e.activity_id)).bind(5, static_cast<std::int64_t>(e.status_id));
  st.bind(6, static_cast<std::int64_t>(e.severity_id));
  st.bind_text_or_null(7, e.user).bind_text_or_null(8, e.src_ip).bind_text_or_null(9, e.dst_ip);
  st.bind_text_or_null(10, e.host).bind_text_or_null(11, e.operation);
  st.bind_text_or_null(12, e.service).bind_text_or_null(13, e.source).bind_text_or_null(14, e.format);
  st.bind(15, p->next_blk);
  MAMORI_CHECK(st.run());
  if (p->db.changes() == 0) {
    ++duplicates_;
    return false;
  }
  append_varint(p->block, e.id - p->block_last_id);
  append_varint(p->block, e.json.size());
  p->block += e.json;
  p->block_last_id = e.id;
  ++p->block_events;
  ++p->minutes[floor_div(e.time_ns, 60'000'000'000LL)];
  if (p->block_events >= options_.block_events) MAMORI_CHECK(flush_block(*p));
  event_hashes(e.json, hashes_);
  p->builder.add(e.id, hashes_);
  p->seg_min_time = std::min(p->seg_min_time, e.time_ns);
  p->seg_max_time = std::max(p->seg_max_time, e.time_ns);
  ++inserted_;
  if (p->builder.size() >= options_.segment_events) MAMORI_CHECK(flush_segment(*p));
  return true;
}

result<void> event_store::flush_block(partition& p) {
  if (p.block_events == 0) return {};
  compressed_.resize(ZSTD_compressBound(p.block.size()));
  const std::size_t n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(cctx_), compressed_.data(),
                                          compressed_.size(), p.block.data(), p.block.size(),
                                          options_.compression_level);
  if (ZSTD_isError(n)) return fail(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  p.ins_block.bind(1, p.next_blk).bind_blob(2, std::string_view(compressed_.data(), n));
  MAMORI_CHECK(p.ins_block.run());
  for (const auto& [minute, count] : p.minutes) {
    p.add_minute.bind(1, minute).bind(2, count);
    MAMORI_CHECK(p.add_minute.run());
  }
  p.minutes.clear();
  ++p.next_blk;
  p.block.clear();
  p.block_last_id = 0;
  p.block_events = 0;
  return {};
}

result<void> event_store::flush_segment(partition& p) {
  if (p.builder.empty()) return {};
  if (!p.in_tx) {
    MAMORI_CHECK(p.db.exec("BEGIN IMMEDIATE"));
    p.in_tx = true;
  }
  const std::int64_t seg = p.next_seg++;
  const std::uint64_t first = p.builder.first_id(), last = p.builder.last_id();
  const std::size_t count = p.builder.size();
  auto enc = p.builder.encode();
  p.ins_segment.bind(1, seg).bind(2, first).bind(3, last).bind(4, p.seg_min_time);
  p.ins_segment.bind(5, p.seg_max_time).bind(6, static_cast<std::int64_t>(count)).bind_blob(7, enc.ids);
  MAMORI_CHECK(p.ins_segment.run());
  for (const auto& [bucket, blob] : enc.buckets) {
    p.ins_posting.bind(1, seg).bind(2, static_cast<std::int64_t>(bucket)).bind_blob(3, blob);
    MAMORI_CHECK(p.ins_posting.run());
  }
  p.indexed_upto = std::max(p.indexed_upto, last);
  p.set_meta.bind(1, "indexed_upto").bind(2, p.indexed_upto);
  MAMORI_CHECK(p.set_meta.run());
  p.builder.clear();
  p.seg_min_time = std::numeric_limits<std::int64_t>::max();
  p.seg_max_time = std::numeric_limits<std::int64_t>::min();
  return {};
}

result<void> event_store::commit() {
  for (auto& [day, p] : open_) {
    if (!p->in_tx) continue;
    MAMORI_CHECK(flush_block(*p));
    MAMORI_CHECK(p->db.exec("COMMIT"));
    p->in_tx = false;
  }
  return {};
}

result<void> event_store::flush_index() {
  for (auto& [day, p] : open_) MAMORI_CHECK(flush_segment(*p));
  return commit();
}

result<void> event_store::close_partition(const std::string& day) {
  auto it = open_.find(day);
  if (it == open_.end()) return {};
  MAMORI_CHECK(flush_segment(*it->second));
  MAMORI_CHECK(flush_block(*it->second));
  if (it->second->in_tx) MAMORI_CHECK(it->second->db.exec("COMMIT"));
  open_.erase(it);
  return {};
}

std::vector<partition_info> list_partitions(const std::string& dir) {
  std::vector<partition_info> out;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = de.path().filename().string();
    if (name.size() != 13 || !name.ends_with(".db")) continue;
    const std::string day = name.substr(0, 10);
    if (!day_start(day)) continue;
    partition_info pi{day, de.path().string(), 0};
    for (const char* suffix : {"", "-wal", "-shm"}) {
      struct stat st {};
      if (::stat((pi.path + suffix).c_str(), &st) == 0) pi.bytes += static_cast<std::uint64_t>(st.st_size);
    }
    out.push_back(std::move(pi));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.day < b.day; });
  return out;
}

result<retention_report> event_store::apply_retention(int days, std::uint64_t max_bytes,
                                                      std::int64_t now_ns) {
  retention_report rep;
  auto parts = list_partitions(options_.dir);
  std::uint64_t total = 0;
  for (const auto& p : parts) total += p.bytes;
  const std::string cutoff = days > 0 ? day_of(now_ns - static_cast<std::int64_t>(days) * ns_per_day) : "";
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const bool too_old = !cutoff.empty() && parts[i].day < cutoff;
    const bool too_big = max_bytes > 0 && total > max_bytes;
    if (!too_old && !too_big) break;
    MAMORI_CHECK(close_partition(parts[i].day));
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(parts[i].path + suffix);
    rep.removed.push_back(parts[i].day);
    rep.bytes_removed += parts[i].bytes;
    total -= parts[i].bytes;
  }
  rep.bytes_kept = total;
  return rep;
}

// ---------------------------------------------------------------------------------------
// Search

namespace {

enum col : int { c_id, c_time, c_class, c_activity, c_status, c_severity, c_user, c_src_ip,
                 c_dst_ip, c_host, c_operation, c_service, c_source, c_format, c_count };

constexpr std::string_view column_names[c_count] = {
    "id", "time", "class_uid", "activity_id", "status_id", "severity_id", "user", "src_ip",
    "dst_ip", "host", "operation", "service", "source", "format"};

int column_index(std::string_view name) {
  for (int i = 0; i < c_count; ++i)
    if (column_names[i] == name) return i;
  return -1;
}

bool integer_column(int c) { return c <= c_severity; }

const std::string select_columns =
    "id,time,class_uid,activity_id,status_id,severity_id,user,src_ip,dst_ip,host,operation,"
    "service,source,format,blk";

using bind_value = std::variant<std::int64_t, std::string>;

std::optional<double> as_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return d;
}

std::string like_pattern(std::string_view v, bool wildcard, bool contains) {
  std::string out;
  if (contains) out += '%';
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (wildcard && c == '\\' && i + 1 < v.size()) {
      c = v[++i];
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
      continue;
    }
    if (wildcard && c == '*') {
      out += '%';
    } else if (wildcard && c == '?') {
      out += '_';
    } else {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
    }
  }
  if (contains) out += '%';
  return out;
}

// A column predicate translated to SQL, or nullopt when it must be evaluated on rows.
std::optional<std::string> to_sql(const predicate& p, std::vector<bind_value>& binds) {
  if (p.op == cmp_op::text) return std::nullopt;
  const std::string_view colname = column_for_field(p.field);
  if (colname.empty()) return std::nullopt;
  const int c = column_index(colname);
  const std::string col(colname);
  if (integer_column(c)) {
    if (p.wildcard || p.op == cmp_op::contains) return std::nullopt;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(p.value.data(), p.value.data() + p.value.size(), v);
    if (ec != std::errc() || ptr != p.value.data() + p.value.size()) return std::nullopt;
    binds.emplace_back(v);
    switch (p.op) {
      case cmp_op::eq: return col + " = ?";
      case cmp_op::ne: return col + " != ?";
      case cmp_op::lt: return col + " < ?";
      case cmp_op::le: return col + " <= ?";
      case cmp_op::gt: return col + " > ?";
      case cmp_op::ge: return col + " >= ?";
      default: binds.pop_back(); return std::nullopt;
    }
  }
  switch (p.op) {
    case cmp_op::eq:
      if (p.wildcard) {
        binds.emplace_back(like_pattern(p.value, true, false));
        return col + " LIKE ? ESCAPE '\\'";
      }
      binds.emplace_back(p.value);
      return col + " = ?";
    case cmp_op::ne:
      if (p.wildcard) {
        binds.emplace_back(like_pattern(p.value, true, false));
        return col + " NOT LIKE ? ESCAPE '\\'";
      }
      binds.emplace_back(p.value);
      return col + " != ?";
    case cmp_op::contains:
      binds.emplace_back(like_pattern(p.value, false, true));
      return col + " LIKE ? ESCAPE '\\'";
    default:
      return std::nullopt;
  }
}

// Complete tokens of a pattern: tokens of literal runs not touching a wildcard (a run's edge
// touching the pattern's start or end counts as complete when `anchored`).
void complete_tokens(std::string_view v, bool wildcard, bool anchored,
                     std::vector<std::uint64_t>& out) {
  // Split into literal runs at unescaped wildcards.
  std::vector<std::pair<std::string, std::pair<bool, bool>>> runs;  // text, (left ok, right ok)
  std::string cur;
  bool left_ok = anchored;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (wildcard && c == '\\' && i + 1 < v.size()) {
      cur += v[++i];
      continue;
    }
    if (wildcard && (c == '*' || c == '?')) {
      runs.push_back({cur, {left_ok, false}});
      cur.clear();
      left_ok = false;
      continue;
    }
    cur += c;
  }
  runs.push_back({cur, {left_ok, anchored}});
  for (const auto& [text, ok] : runs) {
    std::vector<std::string_view> toks;
    for_each_token(text, [&](std::string_view t) { toks.push_back(t); });
    for (std::size_t k = 0; k < toks.size(); ++k) {
      const bool at_left = toks[k].data() == text.data();
      const bool at_right = toks[k].data() + toks[k].size() == text.data() + text.size();
      if (at_left && !ok.first) continue;
      if (at_right && !ok.second) continue;
      if (toks[k].size() >= 2) out.push_back(token_hash(toks[k]));
    }
  }
}

// Hashes every matching event must hold, from one predicate.
void predicate_hashes(const predicate& p, std::vector<std::uint64_t>& out) {
  switch (p.op) {
    case cmp_op::eq: {
      // Integer columns are filtered by SQL; text columns' values also appear in the JSON.
      if (const auto c = column_for_field(p.field); !c.empty() && integer_column(column_index(c)))
        return;
      if (p.wildcard) {
        complete_tokens(p.value, true, true, out);
        return;
      }
      bool single = false;
      for_each_token(p.value, [&](std::string_view t) { single = t.size() == p.value.size(); });
      if (single) {
        if (p.value.size() >= 2) out.push_back(token_hash(p.value));
      } else if (!p.value.empty() && p.value.size() <= max_whole_value) {
        out.push_back(token_hash(p.value));
      } else {
        complete_tokens(p.value, false, true, out);
      }
      return;
    }
    case cmp_op::contains:
      if (const auto c = column_for_field(p.field); !c.empty() && integer_column(column_index(c)))
        return;
      complete_tokens(p.value, false, false, out);
      return;
    case cmp_op::text:
      complete_tokens(p.value, p.wildcard, true, out);
      return;
    default:
      return;
  }
}

// --- Row evaluation ---------------------------------------------------------------------

struct row {
  std::int64_t ints[6] = {};  // id, time, class, activity, status, severity
  std::string texts[8];       // user .. format
  std::int64_t blk = 0;
  bool body_loaded = false;
  std::string body;
  bool parsed = false;
  bool parse_ok = false;
  simdjson::dom::element doc;

  void load_columns(const sql::statement& st) {
    for (int i = 0; i < 6; ++i) ints[i] = st.column_int(i);
    for (int i = 0; i < 8; ++i) texts[i].assign(st.column_text(6 + i));
    blk = st.column_int(14);
    body_loaded = parsed = parse_ok = false;
  }
};

struct value_text {
  std::string text;
  bool numeric = false;  // compares as a number (JSON numbers and numeric strings)
  double number = 0;
  bool json_number = false;  // written as a JSON number
};

void element_values(simdjson::dom::element el, std::vector<value_text>& out) {
  using simdjson::dom::element_type;
  switch (el.type()) {
    case element_type::ARRAY:
      for (auto child : el.get_array()) element_values(child, out);
      return;
    case element_type::OBJECT:
      return;
    case element_type::STRING: {
      std::string_view s = el.get_string().value_unsafe();
      value_text v{std::string(s), false, 0};
      if (auto d = as_number(s)) {
        v.numeric = true;
        v.number = *d;
      }
      out.push_back(std::move(v));
      return;
    }
    case element_type::INT64: {
      auto i = el.get_int64().value_unsafe();
      out.push_back({std::to_string(i), true, static_cast<double>(i), true});
      return;
    }
    case element_type::UINT64: {
      auto u = el.get_uint64().value_unsafe();
      out.push_back({std::to_string(u), true, static_cast<double>(u), true});
      return;
    }
    case element_type::DOUBLE: {
      double d = el.get_double().value_unsafe();
      out.push_back({fmt::format("{}", d), true, d, std::isfinite(d)});
      return;
    }
    case element_type::BOOL:
      out.push_back({el.get_bool().value_unsafe() ? "true" : "false", false, 0});
      return;
    case element_type::NULL_VALUE:
      return;
  }
}

void path_values(simdjson::dom::element el, std::string_view path, std::vector<value_text>& out) {
  if (path.empty()) {
    element_values(el, out);
    return;
  }
  if (el.is_array()) {
    for (auto child : el.get_array()) path_values(child, path, out);
    return;
  }
  if (!el.is_object()) return;
  auto obj = el.get_object().value_unsafe();
  // Try the longest key prefix first is unnecessary for OCSF paths: walk segment by segment.
  const std::size_t dot = path.find('.');
  const std::string_view key = path.substr(0, dot);
  auto child = obj[key];
  if (child.error()) return;
  path_values(child.value_unsafe(), dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1), out);
}

class evaluator {
 public:
  evaluator(sql::statement* block_stmt) : block_stmt_(block_stmt) {}

  bool load_body(row& r) {
    if (r.body_loaded) return !r.body.empty();
    r.body_loaded = true;
    r.body.clear();
    if (r.blk != cached_blk_) {
      cached_blk_ = r.blk;
      block_.events.clear();
      block_stmt_->bind(1, r.blk);
      auto st = block_stmt_->step();
      if (st && *st) (void)decode_block(block_stmt_->column_blob(0), block_);
      block_stmt_->reset();
    }
    const auto id = static_cast<std::uint64_t>(r.ints[c_id]);
    auto it = std::lower_bound(block_.events.begin(), block_.events.end(), id,
                               [](const auto& e, std::uint64_t v) { return e.first < v; });
    if (it != block_.events.end() && it->first == id) r.body.assign(it->second);
    return !r.body.empty();
  }

  bool parse(row& r) {
    if (r.parsed) return r.parse_ok;
    r.parsed = true;
    if (!load_body(r)) return false;
    auto res = parser_.parse(r.body);
    if (res.error()) return false;
    r.doc = res.value_unsafe();
    r.parse_ok = true;
    return true;
  }

  // Values of a field for this row (column or JSON).
  void values(row& r, std::string_view field, std::vector<value_text>& out) {
    out.clear();
    const std::string_view colname = column_for_field(field);
    if (!colname.empty()) {
      const int c = column_index(colname);
      if (integer_column(c)) {
        out.push_back({std::to_string(r.ints[c]), true, static_cast<double>(r.ints[c]), true});
      } else if (!r.texts[c - 6].empty()) {
        value_text v{r.texts[c - 6], false, 0};
        if (auto d = as_number(v.text)) {
          v.numeric = true;
          v.number = *d;
        }
        out.push_back(std::move(v));
      }
      return;
    }
    if (!parse(r)) return;
    auto unmapped = r.doc["unmapped"];
    if (!unmapped.error()) {
      auto raw = unmapped.value_unsafe()[field];
      if (!raw.error()) {
        element_values(raw.value_unsafe(), out);
        return;
      }
    }
    path_values(r.doc, field, out);
  }

  bool eval(const expr& e, row& r) {
    switch (e.k) {
      case expr::kind::all:
        for (const auto& c : e.children)
          if (!eval(c, r)) return false;
        return true;
      case expr::kind::any:
        for (const auto& c : e.children)
          if (eval(c, r)) return true;
        return false;
      case expr::kind::negate:
        return !eval(e.children.front(), r);
      case expr::kind::pred:
        return eval_pred(e.p, r);
    }
    return false;
  }

 private:
  bool free_text(simdjson::dom::element el, const predicate& p) {
    using simdjson::dom::element_type;
    switch (el.type()) {
      case element_type::ARRAY:
        for (auto c : el.get_array())
          if (free_text(c, p)) return true;
        return false;
      case element_type::OBJECT:
        for (auto field : el.get_object())
          if (free_text(field.value, p)) return true;
        return false;
      case element_type::NULL_VALUE:
        return false;
      default: {
        scratch_.clear();
        element_values(el, scratch_);
        for (const auto& v : scratch_) {
          if (p.wildcard ? glob_match(p.value, v.text) : text_match(v.text, p.value)) return true;
        }
        return false;
      }
    }
  }

  bool eval_pred(const predicate& p, row& r) {
    if (p.op == cmp_op::text) {
      if (!parse(r)) return false;
      return free_text(r.doc, p);
    }
    std::vector<value_text> vals;
    values(r, p.field, vals);
    if (vals.empty()) return false;
    const auto pnum = as_number(p.value);
    std::optional<std::int64_t> ptime;
    if (p.field == "time") ptime = timeparse::iso8601(p.value);
    for (const auto& v : vals) {
      bool m = false;
      switch (p.op) {
        case cmp_op::eq:
        case cmp_op::ne: {
          bool eq = false;
          if (p.wildcard) eq = glob_match(p.value, v.text);
          else if (ptime && v.numeric) eq = static_cast<std::int64_t>(v.number) == *ptime;
          else if (pnum && v.numeric) eq = *pnum == v.number;
          else eq = iequals(p.value, v.text);
          m = p.op == cmp_op::eq ? eq : !eq;
          break;
        }
        case cmp_op::contains:
          m = icontains(v.text, p.value);
          break;
        default: {
          int c = 0;
          if (pnum && v.numeric) c = v.number < *pnum ? -1 : (v.number > *pnum ? 1 : 0);
          else c = v.text < p.value ? -1 : (v.text > p.value ? 1 : 0);
          m = (p.op == cmp_op::lt && c < 0) || (p.op == cmp_op::le && c <= 0) ||
              (p.op == cmp_op::gt && c > 0) || (p.op == cmp_op::ge && c >= 0);
        }
      }
      if (m) return true;
    }
    return false;
  }

  sql::statement* block_stmt_;
  std::int64_t cached_blk_ = -1;
  block_view block_;
  simdjson::dom::parser parser_;
  std::vector<value_text> scratch_;
};

bool expr_needs_json(const expr& e) {
  if (e.k != expr::kind::pred) {
    for (const auto& c : e.children)
      if (expr_needs_json(c)) return true;
    return false;
  }
  return e.p.op == cmp_op::text || column_for_field(e.p.field).empty();
}

struct plan {
  std::string where = "time >= ? AND time < ?";
  std::vector<bind_value> binds;
  bool verify = false;
  std::vector<std::uint64_t> hashes;
};

plan make_plan(const query& q) {
  plan pl;
  pl.binds.emplace_back(q.from_ns);
  pl.binds.emplace_back(q.to_ns);
  if (!q.where) return pl;
  std::vector<const expr*> conj;
  if (q.where->k == expr::kind::all) {
    for (const auto& c : q.where->children) conj.push_back(&c);
  } else {
    conj.push_back(&*q.where);
  }
  for (const expr* e : conj) {
    bool pushed = false;
    if (e->k == expr::kind::pred) {
      std::vector<bind_value> b;
      if (auto s = to_sql(e->p, b)) {
        pl.where += " AND " + *s;
        for (auto& v : b) pl.binds.push_back(std::move(v));
        pushed = true;
      }
      predicate_hashes(e->p, pl.hashes);
    }
    if (!pushed) pl.verify = true;
  }
  std::sort(pl.hashes.begin(), pl.hashes.end());
  pl.hashes.erase(std::unique(pl.hashes.begin(), pl.hashes.end()), pl.hashes.end());
  return pl;
}

void bind_all(sql::statement& st, const std::vector<bind_value>& binds, int first = 1) {
  int i = first;
  for (const auto& b : binds) {
    if (const auto* v = std::get_if<std::int64_t>(&b)) st.bind(i++, *v);
    else st.bind(i++, std::get<std::string>(b));
  }
}

struct group_key_hash {
  std::size_t operator()(const std::vector<std::string>& k) const noexcept {
    std::size_t h = 0;
    for (const auto& s : k) h = h * 1000003u ^ std::hash<std::string>{}(s);
    return h;
  }
};

std::string lowercase_ascii(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

// Everything a search accumulates across partitions.
struct accumulator {
  enum class mode { events, count, groups, histogram } m = mode::events;
  std::vector<std::string> group_fields;
  std::int64_t interval = 0;
  bool ascending = false;
  std::size_t limit = 100;
  std::vector<std::string> fields;  // projection
  std::uint64_t count = 0;
  // groups: key → (display values, count)
  std::unordered_map<std::vector<std::string>, std::pair<std::vector<std::string>, std::uint64_t>,
                     group_key_hash>
      groups;
  std::map<std::int64_t, std::uint64_t> buckets;
  struct ev {
    std::int64_t time;
    std::int64_t id;
    std::string source, format, json;
  };
  std::vector<ev> events;
};

class searcher {
 public:
  searcher(const query& q, const search_limits& lim) : q_(q), lim_(lim) {
    start_ = std::chrono::steady_clock::now();
    for (const auto& st : q.pipes) {
      switch (st.kind) {
        case pipe_kind::count:
          if (acc_.m == accumulator::mode::events) acc_.m = accumulator::mode::count;
          break;
        case pipe_kind::count_by:
        case pipe_kind::top:
          if (acc_.m == accumulator::mode::events) {
            acc_.m = accumulator::mode::groups;
            acc_.group_fields = st.fields;
            acc_.limit = st.kind == pipe_kind::top ? st.n : lim.max_groups;
          }
          break;
        case pipe_kind::histogram:
          if (acc_.m == accumulator::mode::events) {
            acc_.m = accumulator::mode::histogram;
            acc_.interval = st.interval_ns;
          }
          break;
        case pipe_kind::head:
          head_ = st.n;
          break;
        case pipe_kind::fields:
          acc_.fields = st.fields;
          break;
        case pipe_kind::sort:
          acc_.ascending = st.ascending;
          break;
      }
    }
    if (acc_.m == accumulator::mode::events) acc_.limit = head_ ? head_ : lim.max_events;
    else if (head_) acc_.limit = head_;
    if (acc_.m == accumulator::mode::histogram && acc_.interval == 0) acc_.interval = auto_interval();
    plan_ = make_plan(q);
    group_on_columns_ = true;
    for (const auto& f : acc_.group_fields)
      if (column_for_field(f).empty()) group_on_columns_ = false;
  }

  result<search_result> run(const std::string& dir) {
    auto parts = list_partitions(dir);
    // Newest first (events listing stops early), restricted to the time range.
    std::vector<partition_info> selected;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      auto start = day_start(it->day);
      if (!start) continue;
      if (*start + ns_per_day <= q_.from_ns || *start >= q_.to_ns) continue;
      selected.push_back(*it);
    }
    if (acc_.m == accumulator::mode::events && acc_.ascending) std::reverse(selected.begin(), selected.end());
    for (const auto& p : selected) {
      if (stop_) break;
      auto r = run_partition(p);
      if (!r) return tl::unexpected(r.error());
    }
    return render();
  }

 private:
  std::int64_t auto_interval() const {
    // About 60 buckets over the range; the range is bounded by the data when open-ended.
    static constexpr std::int64_t steps[] = {1'000'000'000LL,       60'000'000'000LL,
                                             300'000'000'000LL,     900'000'000'000LL,
                                             3'600'000'000'000LL,   21'600'000'000'000LL,
                                             86'400'000'000'000LL,  604'800'000'000'000LL};
    if (q_.from_ns == std::numeric_limits<std::int64_t>::min() ||
        q_.to_ns == std::numeric_limits<std::int64_t>::max())
      return 3'600'000'000'000LL;
    const std::int64_t span = q_.to_ns - q_.from_ns;
    for (auto s : steps)
      if (span / s <= 60) return s;
    return steps[7];
  }

  bool over_budget() {
    if (examined_ >= lim_.max_scan) return true;
    if ((examined_ & 1023) == 0) {
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      if (el > lim_.timeout_s) return true;
    }
    return false;
  }

  // Candidate ids from the token index, or nullopt when the query has no usable tokens.
  result<std::optional<std::vector<std::int64_t>>> candidates(sql::database& db,
                                                              std::uint64_t& indexed_upto) {
    auto meta = MAMORI_TRY(db.prepare("SELECT value FROM meta WHERE key='indexed_upto'"));
    indexed_upto = 0;
    if (MAMORI_TRY(meta.step())) indexed_upto = static_cast<std::uint64_t>(meta.column_int(0));
    if (plan_.hashes.empty()) return std::optional<std::vector<std::int64_t>>();
    std::vector<std::int64_t> out;
    auto segs = MAMORI_TRY(db.prepare(
        "SELECT seg, ids FROM segments WHERE max_time >= ? AND min_time < ? ORDER BY seg"));
    segs.bind(1, q_.from_ns).bind(2, q_.to_ns);
    auto post = MAMORI_TRY(db.prepare("SELECT data FROM postings WHERE seg=? AND bucket=?"));
    while (MAMORI_TRY(segs.step())) {
      const std::int64_t seg = segs.column_int(0);
      std::vector<std::uint32_t> positions;
      bool first = true;
      for (std::uint64_t h : plan_.hashes) {
        post.bind(1, seg).bind(2, static_cast<std::int64_t>(token_bucket(h)));
        std::vector<std::uint32_t> hit;
        if (MAMORI_TRY(post.step())) hit = bucket_lookup(post.column_blob(0), h);
        post.reset();
        if (first) {
          positions = std::move(hit);
          first = false;
        } else {
          std::vector<std::uint32_t> both;
          std::set_intersection(positions.begin(), positions.end(), hit.begin(), hit.end(),
                                std::back_inserter(both));
          positions = std::move(both);
        }
        if (positions.empty()) break;
      }
      if (positions.empty()) continue;
      const auto ids = decode_ids(segs.column_blob(1));
      for (auto pos : positions)
        if (pos < ids.size()) out.push_back(static_cast<std::int64_t>(ids[pos]));
    }
    return std::optional<std::vector<std::int64_t>>(std::move(out));
  }

  // Offers a matching row to the accumulator; returns false when the search can stop.
  bool accept(row& r, evaluator& ev) {
    ++matched_;
    switch (acc_.m) {
      case accumulator::mode::count:
        ++acc_.count;
        return true;
      case accumulator::mode::histogram:
        ++acc_.buckets[floor_div(r.ints[c_time], acc_.interval) * acc_.interval];
        return true;
      case accumulator::mode::groups: {
        std::vector<std::string> key, shown;
        std::vector<value_text> vals;
        for (const auto& f : acc_.group_fields) {
          ev.values(r, f, vals);
          std::string v = vals.empty() ? std::string() : vals.front().text;
          key.push_back(lowercase_ascii(v));
          shown.push_back(std::move(v));
        }
        auto& g = acc_.groups[key];
        if (g.second == 0) g.first = std::move(shown);
        ++g.second;
        if (acc_.groups.size() > 1'000'000) {
          partial_ = true;
          return false;
        }
        return true;
      }
      case accumulator::mode::events: {
        ev.load_body(r);
        std::string json;
        if (!acc_.fields.empty()) {
          json = "{";
          std::vector<value_text> vals;
          bool firstf = true;
          for (const auto& f : acc_.fields) {
            ev.values(r, f, vals);
            if (!firstf) json += ',';
            firstf = false;
            json_text::append_string(json, f);
            json += ':';
            if (vals.empty()) json += "null";
            else if (vals.front().json_number) json += vals.front().text;
            else json_text::append_string(json, vals.front().text);
          }
          json += '}';
        } else {
          json = r.body.empty() ? std::string("null") : r.body;
        }
        acc_.events.push_back({r.ints[c_time], r.ints[c_id], r.texts[c_source - 6],
                               r.texts[c_format - 6], std::move(json)});
        return true;
      }
    }
    return true;
  }

  // Keeps the newest (or oldest) `limit` events across partitions.
  void trim_events() {
    auto cmp = [&](const accumulator::ev& a, const accumulator::ev& b) {
      if (a.time != b.time) return acc_.ascending ? a.time < b.time : a.time > b.time;
      return acc_.ascending ? a.id < b.id : a.id > b.id;
    };
    std::sort(acc_.events.begin(), acc_.events.end(), cmp);
    if (acc_.events.size() > acc_.limit) acc_.events.resize(acc_.limit);
  }

  result<void> run_partition(const partition_info& p) {
    auto db = MAMORI_TRY(sql::database::open(p.path, true));
    MAMORI_CHECK(db.exec("BEGIN"));  // one snapshot for the index and the rows
    {
      // A partition being created right now has no tables yet: nothing to read.
      auto ready = MAMORI_TRY(db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"));
      if (!MAMORI_TRY(ready.step())) return db.exec("COMMIT");
    }
    auto blocks = MAMORI_TRY(db.prepare("SELECT data FROM blocks WHERE blk=?"));
    evaluator ev(&blocks);
    std::uint64_t indexed_upto = 0;
    auto cands = MAMORI_TRY(candidates(db, indexed_upto));
    // Listing with a very common token: scanning newest-first and verifying stops sooner
    // than sorting every candidate by time.
    if (cands && acc_.m == accumulator::mode::events && cands->size() > 50'000) cands.reset();

    // Pure SQL aggregation: every condition is on columns.
    if (!plan_.verify && !cands && acc_.m != accumulator::mode::events &&
        (acc_.m != accumulator::mode::groups || group_on_columns_)) {
      MAMORI_CHECK(sql_aggregate(db));
      return db.exec("COMMIT");
    }

    const std::string order = acc_.m == accumulator::mode::events
                                  ? (acc_.ascending ? " ORDER BY time ASC, id ASC" : " ORDER BY time DESC, id DESC")
                                  : "";
    row r;
    auto consider = [&](sql::statement& st) -> result<bool> {
      r.load_columns(st);
      ++examined_;
      if (plan_.verify && q_.where && !ev.eval(*q_.where, r)) return true;
      if (!accept(r, ev)) return false;
      if (acc_.m == accumulator::mode::events && !cands && acc_.events.size() >= acc_.limit) return false;
      return true;
    };

    if (cands) {
      // Indexed part: point lookups of the candidates, then the unindexed tail by scan.
      auto one = MAMORI_TRY(db.prepare(fmt::format("SELECT {} FROM events WHERE id = ? AND {}",
                                                   select_columns, plan_.where)));
      std::vector<std::int64_t>& ids = *cands;
      if (acc_.m == accumulator::mode::events) {
        // Newest first: candidates are verified in time order until the limit is reached.
        std::vector<std::pair<std::int64_t, std::int64_t>> timed;
        auto t = MAMORI_TRY(db.prepare(fmt::format("SELECT time FROM events WHERE id = ? AND {}", plan_.where)));
        for (auto id : ids) {
          t.bind(1, id);
          bind_all(t, plan_.binds, 2);
          if (MAMORI_TRY(t.step())) timed.emplace_back(t.column_int(0), id);
          t.reset();
        }
        std::sort(timed.begin(), timed.end(), [&](const auto& a, const auto& b) {
          return acc_.ascending ? a < b : a > b;
        });
        ids.clear();
        for (const auto& [tm, id] : timed) ids.push_back(id);
      }
      std::size_t accepted_before = acc_.events.size();
      for (auto id : ids) {
        if (over_budget()) {
          partial_ = true;
          stop_ = true;
          break;
        }
        one.bind(1, id);
        bind_all(one, plan_.binds, 2);
        bool cont = true;
        if (MAMORI_TRY(one.step())) cont = MAMORI_TRY(consider(one));
        one.reset();
        if (!cont) break;
        if (acc_.m == accumulator::mode::events && acc_.events.size() - accepted_before >= acc_.limit) break;
      }
      if (!stop_) {
        auto tail = MAMORI_TRY(db.prepare(fmt::format("SELECT {} FROM events WHERE id > ? AND {}{}",
                                                      select_columns, plan_.where, order)));
        tail.bind(1, indexed_upto);
        bind_all(tail, plan_.binds, 2);
        while (MAMORI_TRY(tail.step())) {
          if (over_budget()) {
            partial_ = true;
            stop_ = true;
            break;
          }
          if (!MAMORI_TRY(consider(tail))) break;
        }
      }
    } else {
      auto scan = MAMORI_TRY(db.prepare(fmt::format("SELECT {} FROM events WHERE {}{}",
                                                    select_columns, plan_.where, order)));
      bind_all(scan, plan_.binds);
      while (MAMORI_TRY(scan.step())) {
        if (over_budget()) {
          partial_ = true;
          stop_ = true;
          break;
        }
        if (!MAMORI_TRY(consider(scan))) break;
      }
    }
    if (acc_.m == accumulator::mode::events) {
      trim_events();
      if (acc_.events.size() >= acc_.limit) stop_ = true;  // older partitions cannot beat these
    }
    return db.exec("COMMIT");
  }

  // Counts and histograms of everything in a time range read the per-minute counts for the
  // whole minutes inside the range and count only the partial minutes at its edges.
  result<bool> minute_aggregate(sql::database& db) {
    constexpr std::int64_t minute = 60'000'000'000LL;
    if (q_.where) return false;
    if (acc_.m == accumulator::mode::histogram && acc_.interval % minute != 0) return false;
    if (acc_.m != accumulator::mode::count && acc_.m != accumulator::mode::histogram) return false;
    const std::int64_t lo = q_.from_ns == std::numeric_limits<std::int64_t>::min()
                                ? std::numeric_limits<std::int64_t>::min() / minute
                                : floor_div(q_.from_ns + minute - 1, minute);
    const std::int64_t hi = q_.to_ns == std::numeric_limits<std::int64_t>::max()
                                ? std::numeric_limits<std::int64_t>::max() / minute
                                : floor_div(q_.to_ns, minute);
    auto add = [&](std::int64_t t, std::int64_t n) {
      matched_ += static_cast<std::uint64_t>(n);
      if (acc_.m == accumulator::mode::count) acc_.count += static_cast<std::uint64_t>(n);
      else acc_.buckets[floor_div(t, acc_.interval) * acc_.interval] += static_cast<std::uint64_t>(n);
    };
    if (lo < hi) {
      auto st = MAMORI_TRY(db.prepare("SELECT minute, events FROM minutes WHERE minute >= ? AND minute < ?"));
      st.bind(1, lo).bind(2, hi);
      while (MAMORI_TRY(st.step())) add(st.column_int(0) * minute, st.column_int(1));
    }
    // Edges (or the whole range when it spans no full minute).
    std::vector<std::pair<std::int64_t, std::int64_t>> edges;
    if (lo < hi) {
      if (q_.from_ns < lo * minute) edges.emplace_back(q_.from_ns, lo * minute);
      if (hi * minute < q_.to_ns) edges.emplace_back(hi * minute, q_.to_ns);
    } else {
      edges.emplace_back(q_.from_ns, q_.to_ns);
    }
    auto st = MAMORI_TRY(db.prepare("SELECT time FROM events WHERE time >= ? AND time < ?"));
    for (const auto& [a, b] : edges) {
      st.bind(1, a).bind(2, b);
      while (MAMORI_TRY(st.step())) add(st.column_int(0), 1);
      st.reset();
    }
    return true;
  }

  result<void> sql_aggregate(sql::database& db) {
    if (MAMORI_TRY(minute_aggregate(db))) return {};
    if (acc_.m == accumulator::mode::count) {
      auto st = MAMORI_TRY(db.prepare("SELECT count(*) FROM events WHERE " + plan_.where));
      bind_all(st, plan_.binds);
      if (MAMORI_TRY(st.step())) {
        acc_.count += static_cast<std::uint64_t>(st.column_int(0));
        matched_ += static_cast<std::uint64_t>(st.column_int(0));
      }
      return {};
    }
    if (acc_.m == accumulator::mode::histogram) {
      auto st = MAMORI_TRY(db.prepare(fmt::format(
          "SELECT (time - ((time % {0}) + {0}) % {0}) AS b, count(*) FROM events WHERE {1} GROUP BY b",
          acc_.interval, plan_.where)));
      bind_all(st, plan_.binds);
      while (MAMORI_TRY(st.step())) {
        acc_.buckets[st.column_int(0)] += static_cast<std::uint64_t>(st.column_int(1));
        matched_ += static_cast<std::uint64_t>(st.column_int(1));
      }
      return {};
    }
    std::string cols;
    for (const auto& f : acc_.group_fields) {
      if (!cols.empty()) cols += ',';
      cols += std::string(column_for_field(f));
    }
    auto st = MAMORI_TRY(db.prepare(
        fmt::format("SELECT {0}, count(*) FROM events WHERE {1} GROUP BY {0}", cols, plan_.where)));
    bind_all(st, plan_.binds);
    const int n = static_cast<int>(acc_.group_fields.size());
    while (MAMORI_TRY(st.step())) {
      std::vector<std::string> key, shown;
      for (int i = 0; i < n; ++i) {
        std::string v(st.column_text(i));
        key.push_back(lowercase_ascii(v));
        shown.push_back(std::move(v));
      }
      auto& g = acc_.groups[key];
      if (g.second == 0) g.first = std::move(shown);
      g.second += static_cast<std::uint64_t>(st.column_int(n));
      matched_ += static_cast<std::uint64_t>(st.column_int(n));
    }
    return {};
  }

  search_result render() {
    search_result res;
    res.took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    res.partial = partial_;
    res.examined = examined_;
    res.matched = matched_;
    std::string& out = res.json;
    out = "{\"query\":";
    json_text::append_string(out, q_.text);
    fmt::format_to(std::back_inserter(out), ",\"took_ms\":{:.1f},\"partial\":{},\"examined\":{},",
                   res.took_ms, partial_ ? "true" : "false", examined_);
    switch (acc_.m) {
      case accumulator::mode::count:
        fmt::format_to(std::back_inserter(out), "\"count\":{}}}", acc_.count);
        break;
      case accumulator::mode::histogram: {
        fmt::format_to(std::back_inserter(out), "\"interval_s\":{},\"histogram\":[",
                       acc_.interval / 1'000'000'000);
        bool first = true;
        for (const auto& [t, n] : acc_.buckets) {
          if (!first) out += ',';
          first = false;
          fmt::format_to(std::back_inserter(out), "{{\"time\":\"{}\",\"count\":{}}}",
                         timeparse::format_rfc3339(t), n);
        }
        out += "]}";
        break;
      }
      case accumulator::mode::groups: {
        std::vector<std::pair<std::vector<std::string>, std::uint64_t>> rows;
        rows.reserve(acc_.groups.size());
        for (auto& [k, v] : acc_.groups) rows.emplace_back(std::move(v.first), v.second);
        std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
          return a.second != b.second ? a.second > b.second : a.first < b.first;
        });
        fmt::format_to(std::back_inserter(out), "\"distinct\":{},\"groups\":[", rows.size());
        for (std::size_t i = 0; i < rows.size() && i < acc_.limit; ++i) {
          if (i > 0) out += ',';
          out += '{';
          for (std::size_t f = 0; f < acc_.group_fields.size(); ++f) {
            json_text::append_string(out, acc_.group_fields[f]);
            out += ':';
            if (rows[i].first[f].empty()) out += "null";
            else json_text::append_string(out, rows[i].first[f]);
            out += ',';
          }
          fmt::format_to(std::back_inserter(out), "\"count\":{}}}", rows[i].second);
        }
        out += "]}";
        break;
      }
      case accumulator::mode::events: {
        trim_events();
        out += "\"events\":[";
        bool first = true;
        for (const auto& e : acc_.events) {
          if (!first) out += ',';
          first = false;
          fmt::format_to(std::back_inserter(out), "{{\"id\":\"{}\",\"time\":\"{}\",\"source\":", e.id,
                         timeparse::format_rfc3339(e.time));
          json_text::append_string(out, e.source);
          out += ",\"format\":";
          json_text::append_string(out, e.format);
          out += ",\"event\":";
          out += e.json;
          out += '}';
        }
        out += "]}";
        break;
      }
    }
    return res;
  }

  const query& q_;
  const search_limits& lim_;
  accumulator acc_;
  plan plan_;
  std::size_t head_ = 0;
  bool group_on_columns_ = true;
  std::uint64_t examined_ = 0;
  std::uint64_t matched_ = 0;
  bool partial_ = false;
  bool stop_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

result<search_result> search_events(const std::string& dir, const query& q,
                                    const search_limits& limits) {
  try {
    searcher s(q, limits);
    return s.run(dir);
  } catch (const std::exception& e) {
    return fail(fmt::format("search failed: {}", e.what()));
  }
}

}  // namespace mamori::store
