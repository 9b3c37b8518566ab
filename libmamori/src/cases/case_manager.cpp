#include "mamori/cases/case_manager.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"
#include "mamori/store/event_store.hpp"
#include "mamori/store/query.hpp"

namespace mamori::cases {

using server::error_response;
using server::http_response;
using server::json_response;
using server::role;
using server::state_db;

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000LL;

int level_rank(std::string_view l) {
  if (l == "critical") return 5;
  if (l == "high") return 4;
  if (l == "medium") return 3;
  if (l == "low") return 2;
  if (l == "informational") return 1;
  return 0;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
    s.replace(pos, what.size(), with);
}

std::string str(std::string_view s) {
  std::string out;
  json_text::append_string(out, s);
  return out;
}

bool contains_csv(std::string_view csv, std::string_view item) {
  while (!csv.empty()) {
    auto comma = csv.find(',');
    if (csv.substr(0, comma) == item) return true;
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return false;
}

const char* const case_columns =
    "id,scenario,scenarios,title,state,severity,entity_kind,entity,first_time,last_time,opened,"
    "updated,assignee,verdict,reason,follow_up,findings";

void append_case(std::string& out, sql::statement& st) {
  auto t = [](std::int64_t ns) { return timeparse::format_rfc3339(ns); };
  fmt::format_to(std::back_inserter(out), "{{\"id\":{},\"scenario\":{},\"scenarios\":[", st.column_int(0),
                 str(st.column_text(1)));
  std::string_view sc = st.column_text(2);
  bool first = true;
  while (!sc.empty()) {
    auto comma = sc.find(',');
    if (!first) out += ',';
    first = false;
    out += str(sc.substr(0, comma));
    if (comma == std::string_view::npos) break;
    sc.remove_prefix(comma + 1);
  }
  fmt::format_to(std::back_inserter(out),
                 "],\"title\":{},\"state\":{},\"severity\":{},\"entity\":{{\"kind\":{},\"value\":{}}},"
                 "\"first_seen\":\"{}\",\"last_seen\":\"{}\",\"opened\":\"{}\",\"updated\":\"{}\","
                 "\"assignee\":{},\"verdict\":{},\"reason\":{},\"follow_up\":{},\"findings_count\":{}",
                 str(st.column_text(3)), str(st.column_text(4)), str(st.column_text(5)),
                 str(st.column_text(6)), str(st.column_text(7)), t(st.column_int(8)), t(st.column_int(9)),
                 t(st.column_int(10)), t(st.column_int(11)),
                 st.column_null(12) ? "null" : str(st.column_text(12)),
                 st.column_null(13) ? "null" : str(st.column_text(13)),
                 st.column_null(14) ? "null" : str(st.column_text(14)),
                 st.column_int(15) == 0 ? std::string("null") : "\"" + t(st.column_int(15)) + "\"",
                 st.column_int(16));
}

struct case_row {
  std::int64_t id = 0;
  std::string state, scenario, scenarios, entity_kind, entity, assignee;
  std::int64_t first_time = 0, last_time = 0;
};

result<std::optional<case_row>> load_case(state_db& db, std::int64_t id) {
  auto st = MAMORI_TRY(db.db().prepare(
      "SELECT id,state,scenario,scenarios,entity_kind,entity,assignee,first_time,last_time FROM cases WHERE id=?"));
  st.bind(1, id);
  if (!MAMORI_TRY(st.step())) return std::optional<case_row>();
  case_row c;
  c.id = st.column_int(0);
  c.state = std::string(st.column_text(1));
  c.scenario = std::string(st.column_text(2));
  c.scenarios = std::string(st.column_text(3));
  c.entity_kind = std::string(st.column_text(4));
  c.entity = std::string(st.column_text(5));
  c.assignee = std::string(st.column_text(6));
  c.first_time = st.column_int(7);
  c.last_time = st.column_int(8);
  return std::optional<case_row>(std::move(c));
}

std::vector<std::string> allowed_moves(std::string_view state) {
  if (state == "new") return {"triage", "verdict"};
  if (state == "triage") return {"verdict"};
  if (state == "watching") return {"triage", "verdict"};
  if (state == "escalated") return {"contained", "closed"};
  if (state == "contained") return {"closed"};
  if (state == "closed") return {"triage"};
  return {};
}

}  // namespace

case_manager::case_manager(std::vector<scenario_template> templates, case_options options,
                           respond::signal_bus& bus)
    : templates_(std::move(templates)), options_(std::move(options)), bus_(bus) {
  evidence_thread_ = std::thread([this] { evidence_loop(); });
}

case_manager::~case_manager() {
  {
    std::lock_guard lock(evidence_mutex_);
    evidence_stop_ = true;
  }
  evidence_cv_.notify_all();
  if (evidence_thread_.joinable()) evidence_thread_.join();
}

void case_manager::evidence_loop() {
  std::unique_ptr<state_db> db;
  for (;;) {
    std::pair<std::int64_t, std::string> job;
    {
      std::unique_lock lock(evidence_mutex_);
      evidence_cv_.wait(lock, [&] { return evidence_stop_ || !evidence_queue_.empty(); });
      // On stop, pending evidence is still collected (a few queries per new case).
      if (evidence_queue_.empty()) return;
      job = std::move(evidence_queue_.front());
      evidence_queue_.pop_front();
    }
    if (!db) {
      auto opened = state_db::open(options_.main_db);
      if (!opened) {
        fmt::print(stderr, "mamori serve: evidence: {}\n", opened.error().message);
        continue;
      }
      db = std::move(*opened);
    }
    if (auto r = collect_evidence(*db, job.first, job.second); !r)
      fmt::print(stderr, "mamori serve: evidence for case {}: {}\n", job.first, r.error().message);
  }
}

const scenario_template* case_manager::find_template(const std::string& id) const {
  for (const auto& t : templates_)
    if (t.id == id) return &t;
  return nullptr;
}

void case_manager::on_findings(state_db& db,
                               std::vector<std::pair<std::int64_t, server::stored_finding>>& found) {
  const std::int64_t window = static_cast<std::int64_t>(options_.window_s * 1e9);
  const std::int64_t now = server::now_ns();
  for (auto& [finding_id, sf] : found) {
    const auto fid = finding_id;  // the lambdas below capture it (clang 14 cannot capture bindings)
    const finding& f = sf.f;
    const scenario_template* tmpl = match_scenario(templates_, f);
    const std::string scenario = tmpl != nullptr ? tmpl->id : "generic";
    std::string kind, value;
    for (const auto& k : options_.entities) {
      const std::string& v = k == "user" ? f.user : k == "src_ip" ? f.src_ip : f.host;
      if (!v.empty()) {
        kind = k;
        value = v;
        break;
      }
    }
    const std::string group = kind.empty() ? "rule:" + f.rule_uid : kind + ":" + lower(value);
    auto attach = [&]() -> result<bool> {
      auto st = MAMORI_TRY(db.db().prepare(
          "SELECT id,scenarios,severity,state FROM cases WHERE group_key=? AND state != 'closed' AND "
          "(last_time >= ? OR state = 'watching') ORDER BY id DESC LIMIT 1"));
      st.bind(1, group).bind(2, f.time_ns - window);
      if (!MAMORI_TRY(st.step())) return false;
      const std::int64_t cid = st.column_int(0);
      std::string scenarios(st.column_text(1));
      const std::string severity = level_rank(f.level) > level_rank(st.column_text(2)) ? f.level : std::string(st.column_text(2));
      const std::string state(st.column_text(3));
      const bool new_scenario = !contains_csv(scenarios, scenario);
      if (new_scenario) scenarios += "," + scenario;
      const bool reopen = state == "watching";
      auto up = MAMORI_TRY(db.db().prepare(
          reopen ? "UPDATE cases SET findings=findings+1, last_time=max(last_time,?), "
                   "first_time=min(first_time,?), severity=?, scenarios=?, updated=?, "
                   "state='triage', follow_up=0 WHERE id=?"
                 : "UPDATE cases SET findings=findings+1, last_time=max(last_time,?), "
                   "first_time=min(first_time,?), severity=?, scenarios=?, updated=? WHERE id=?"));
      up.bind(1, f.time_ns).bind(2, f.time_ns).bind(3, severity).bind(4, scenarios).bind(5, now).bind(6, cid);
      MAMORI_CHECK(up.run());
      MAMORI_CHECK(db.set_finding_case(fid, cid));
      std::string detail = fmt::format("{{\"finding\":{},\"rule\":{},\"scenario\":{}}}", fid, str(f.rule_uid), str(scenario));
      MAMORI_TRY(db.audit("mamori", "case.finding_added", fmt::format("case:{}", cid), detail));
      if (reopen)
        MAMORI_TRY(db.audit("mamori", "case.reopened", fmt::format("case:{}", cid),
                            "{\"from\":\"watching\",\"to\":\"triage\",\"why\":\"new finding\"}"));
      if (new_scenario) pending_evidence_.emplace_back(cid, scenario);
      return true;
    };
    auto r = attach();
    if (!r) {
      fmt::print(stderr, "mamori serve: case grouping: {}\n", r.error().message);
      continue;
    }
    if (!*r) {
      std::string title = tmpl != nullptr ? tmpl->title : f.rule_name;
      replace_all(title, "{entity}", value.empty() ? f.rule_name : value);
      replace_all(title, "{user}", f.user.empty() ? "?" : f.user);
      replace_all(title, "{src_ip}", f.src_ip.empty() ? "?" : f.src_ip);
      replace_all(title, "{host}", f.host.empty() ? "?" : f.host);
      replace_all(title, "{rule}", f.rule_name);
      auto create = [&]() -> result<std::int64_t> {
        auto st = MAMORI_TRY(db.db().prepare(
            "INSERT INTO cases(scenario,scenarios,title,state,severity,entity_kind,entity,group_key,"
            "first_time,last_time,opened,updated,findings) VALUES(?,?,?,'new',?,?,?,?,?,?,?,?,1)"));
        st.bind(1, scenario).bind(2, scenario).bind(3, title).bind(4, f.level.empty() ? "medium" : f.level);
        st.bind_text_or_null(5, kind).bind_text_or_null(6, value).bind(7, group);
        st.bind(8, f.time_ns).bind(9, f.time_ns).bind(10, now).bind(11, now);
        MAMORI_CHECK(st.run());
        const std::int64_t cid = db.db().last_insert_rowid();
        MAMORI_CHECK(db.set_finding_case(fid, cid));
        std::string detail = fmt::format("{{\"finding\":{},\"rule\":{},\"scenario\":{},\"entity\":{}}}", fid,
                                         str(f.rule_uid), str(scenario), str(group));
        MAMORI_TRY(db.audit("mamori", "case.opened", fmt::format("case:{}", cid), detail));
        return cid;
      };
      auto cid = create();
      if (!cid) {
        fmt::print(stderr, "mamori serve: case creation: {}\n", cid.error().message);
        continue;
      }
      pending_evidence_.emplace_back(*cid, scenario);
    }
    // Risk signals for the access decision point (published after the commit).
    const double points = respond::risk_points_for_level(f.level);
    if (points > 0) {
      respond::signal s;
      s.score = points;
      s.at = now / ns_per_s;
      s.reason = f.rule_name;
      s.origin = "finding:" + sf.uid;
      if (!f.user.empty()) {
        s.kind = respond::signal_kind::user_risk;
        s.subject = f.user;
        pending_signals_.push_back(s);
      }
      if (!f.host.empty()) {
        s.kind = respond::signal_kind::device_risk;
        s.subject = f.host;
        pending_signals_.push_back(s);
      }
    }
  }
}

void case_manager::after_commit(state_db& db) {
  auto signals = std::move(pending_signals_);
  pending_signals_.clear();
  for (auto& s : signals) bus_.publish(std::move(s));
  if (!pending_evidence_.empty()) {
    std::lock_guard lock(evidence_mutex_);
    for (auto& e : pending_evidence_) evidence_queue_.push_back(std::move(e));
    pending_evidence_.clear();
    evidence_cv_.notify_one();
  }
  (void)apply_follow_ups(db, server::now_ns());
}

result<void> case_manager::collect_evidence(state_db& db, std::int64_t case_id, const std::string& scenario) {
  const scenario_template* tmpl = find_template(scenario);
  if (tmpl == nullptr || tmpl->evidence.empty()) return {};
  auto c = MAMORI_TRY(load_case(db, case_id));
  if (!c) return fail("no such case");
  // The entities of the case's findings (the first non-empty of each).
  std::string user, src_ip, host, rule;
  {
    auto st = MAMORI_TRY(db.db().prepare(
        "SELECT user, src_ip, host, rule_name FROM findings WHERE case_id=? ORDER BY id LIMIT 100"));
    st.bind(1, case_id);
    while (MAMORI_TRY(st.step())) {
      if (user.empty()) user = std::string(st.column_text(0));
      if (src_ip.empty()) src_ip = std::string(st.column_text(1));
      if (host.empty()) host = std::string(st.column_text(2));
      if (rule.empty()) rule = std::string(st.column_text(3));
    }
  }
  const std::int64_t window = static_cast<std::int64_t>(options_.window_s * 1e9);
  const std::int64_t start = c->first_time - window;
  const std::int64_t end = c->last_time + window;
  const std::int64_t baseline = start - 30 * 86400 * ns_per_s;
  std::string entries;
  for (const auto& q : tmpl->evidence) {
    std::string text = q.query;
    std::string missing;
    auto sub = [&](std::string_view ph, const std::string& v) {
      if (text.find(ph) == std::string::npos) return;
      if (v.empty()) missing = std::string(ph.substr(1, ph.size() - 2));
      else replace_all(text, ph, quote_value(v));
    };
    sub("{user}", user);
    sub("{src_ip}", src_ip);
    sub("{host}", host);
    sub("{entity}", c->entity);
    sub("{rule}", rule);
    replace_all(text, "{start}", timeparse::format_rfc3339(start));
    replace_all(text, "{end}", timeparse::format_rfc3339(end));
    replace_all(text, "{baseline_start}", timeparse::format_rfc3339(baseline));
    if (!entries.empty()) entries += ',';
    entries += fmt::format("{{\"scenario\":{},\"name\":{},\"title\":{},\"query\":{}", str(scenario), str(q.name),
                           str(q.title), str(text));
    if (!missing.empty()) {
      entries += fmt::format(",\"skipped\":\"the case has no {}\"}}", missing);
      continue;
    }
    auto parsed = store::parse_query(text, server::now_ns());
    if (!parsed) {
      entries += fmt::format(",\"error\":{}}}", str(parsed.error().message));
      continue;
    }
    store::search_limits lim;
    lim.max_events = 50;
    lim.max_groups = 50;
    lim.timeout_s = 10;
    auto res = store::search_events(options_.events_dir, *parsed, lim);
    if (!res) {
      entries += fmt::format(",\"error\":{}}}", str(res.error().message));
      continue;
    }
    entries += ",\"result\":" + res->json + "}";
  }
  auto cur = MAMORI_TRY(db.db().prepare("SELECT evidence FROM cases WHERE id=?"));
  cur.bind(1, case_id);
  std::string evidence = "[]";
  if (MAMORI_TRY(cur.step())) evidence = std::string(cur.column_text(0));
  cur.reset();
  if (evidence.size() < 2 || evidence.back() != ']') evidence = "[]";
  evidence.pop_back();
  if (evidence.size() > 1) evidence += ',';
  evidence += entries + "]";
  auto up = MAMORI_TRY(db.db().prepare("UPDATE cases SET evidence=? WHERE id=?"));
  up.bind(1, evidence).bind(2, case_id);
  MAMORI_CHECK(up.run());
  MAMORI_TRY(db.audit("mamori", "case.evidence", fmt::format("case:{}", case_id),
                      fmt::format("{{\"scenario\":{},\"queries\":{}}}", str(scenario), tmpl->evidence.size())));
  return {};
}

result<int> case_manager::apply_follow_ups(state_db& db, std::int64_t now) {
  auto st = MAMORI_TRY(db.db().prepare(
      "SELECT id FROM cases WHERE state='watching' AND follow_up > 0 AND follow_up <= ?"));
  st.bind(1, now);
  std::vector<std::int64_t> due;
  while (MAMORI_TRY(st.step())) due.push_back(st.column_int(0));
  for (auto id : due) {
    auto up = MAMORI_TRY(db.db().prepare(
        "UPDATE cases SET state='triage', follow_up=0, updated=? WHERE id=? AND state='watching'"));
    up.bind(1, now).bind(2, id);
    MAMORI_CHECK(up.run());
    if (db.db().changes() > 0)
      MAMORI_TRY(db.audit("mamori", "case.reopened", fmt::format("case:{}", id),
                          "{\"from\":\"watching\",\"to\":\"triage\",\"why\":\"follow-up due\"}"));
  }
  return static_cast<int>(due.size());
}

result<std::string> case_manager::summary_json(state_db& db, std::int64_t id) {
  auto st = MAMORI_TRY(db.db().prepare(fmt::format("SELECT {} FROM cases WHERE id=?", case_columns)));
  st.bind(1, id);
  if (!MAMORI_TRY(st.step())) return fail("no such case");
  std::string out;
  append_case(out, st);
  out += '}';
  return out;
}

http_response case_manager::list(state_db& db, const std::map<std::string, std::string>& query) {
  (void)apply_follow_ups(db, server::now_ns());
  std::string sql = fmt::format("SELECT {} FROM cases WHERE 1=1", case_columns);
  std::vector<std::string> binds;
  if (auto it = query.find("state"); it != query.end()) {
    if (it->second == "open") {
      sql += " AND state != 'closed'";
    } else {
      sql += " AND state = ?";
      binds.push_back(it->second);
    }
  }
  if (auto it = query.find("assignee"); it != query.end()) {
    sql += " AND assignee = ?";
    binds.push_back(it->second);
  }
  if (auto it = query.find("entity"); it != query.end()) {
    sql += " AND entity = ?";
    binds.push_back(it->second);
  }
  std::int64_t limit = 50;
  if (auto it = query.find("limit"); it != query.end()) {
    try {
      limit = std::stoll(it->second);
    } catch (...) {
      limit = -1;
    }
    if (limit < 1 || limit > 10000) return error_response(400, "limit must be 1..10000");
  }
  sql += " ORDER BY updated DESC, id DESC LIMIT ?";
  auto st = db.db().prepare(sql);
  if (!st) return error_response(500, st.error().message);
  int i = 1;
  for (const auto& b : binds) st->bind(i++, b);
  st->bind(i, limit);
  std::string out = "{\"cases\":[";
  bool first = true;
  for (;;) {
    auto row = st->step();
    if (!row) return error_response(500, row.error().message);
    if (!*row) break;
    if (!first) out += ',';
    first = false;
    append_case(out, *st);
    out += '}';
  }
  out += "]}";
  return json_response(200, std::move(out));
}

http_response case_manager::show(state_db& db, std::int64_t id) {
  (void)apply_follow_ups(db, server::now_ns());
  auto st = db.db().prepare(fmt::format("SELECT {}, evidence FROM cases WHERE id=?", case_columns));
  if (!st) return error_response(500, st.error().message);
  st->bind(1, id);
  auto row = st->step();
  if (!row) return error_response(500, row.error().message);
  if (!*row) return error_response(404, "no such case");
  std::string out;
  append_case(out, *st);
  const std::string state(st->column_text(4));
  const std::string scenarios(st->column_text(2));
  const std::string evidence(st->column_text(17));
  out += ",\"allowed\":[";
  auto moves = allowed_moves(state);
  for (std::size_t i = 0; i < moves.size(); ++i) out += (i > 0 ? "," : "") + str(moves[i]);
  out += "],\"tier1\":[";
  bool first = true;
  std::string_view sc = scenarios;
  while (!sc.empty()) {
    auto comma = sc.find(',');
    const scenario_template* t = find_template(std::string(sc.substr(0, comma)));
    if (t != nullptr) {
      if (!first) out += ',';
      first = false;
      out += fmt::format("{{\"scenario\":{},\"question\":{},\"steps\":[", str(t->id), str(t->question));
      for (std::size_t i = 0; i < t->steps.size(); ++i) out += (i > 0 ? "," : "") + str(t->steps[i]);
      out += "],\"verdicts\":{";
      bool vf = true;
      for (const auto& [k, v] : t->verdicts) {
        if (!vf) out += ',';
        vf = false;
        out += str(k) + ":" + str(v);
      }
      out += "}}";
    }
    if (comma == std::string_view::npos) break;
    sc.remove_prefix(comma + 1);
  }
  out += "],\"evidence\":" + evidence;
  state_db::finding_filter ff;
  ff.case_id = id;
  ff.limit = 200;
  auto fj = db.findings_json(ff);
  if (!fj) return error_response(500, fj.error().message);
  // {"findings":[...]} → ,"findings":[...]
  out += "," + fj->substr(1, fj->size() - 2);
  auto aj = db.audit_json(fmt::format("case:{}", id), 500);
  if (!aj) return error_response(500, aj.error().message);
  out += "," + aj->substr(1, aj->size() - 2);
  out += '}';
  return json_response(200, std::move(out));
}

http_response case_manager::update(state_db& db, std::int64_t id, const std::string& verb,
                                   const server::token_info& who, const std::string& body) {
  simdjson::dom::parser parser;
  auto doc = parser.parse(body.empty() ? std::string("{}") : body);
  if (doc.error() || !doc.is_object()) return error_response(400, "body must be a JSON object");
  auto get = [&](const char* key) -> std::optional<std::string> {
    auto v = doc[key];
    if (v.error() || !v.is_string()) return std::nullopt;
    return std::string(v.get_string().value());
  };
  auto need = [&](role r) { return server::role_allows(who.r, r); };
  std::lock_guard lock(update_mutex_);
  (void)apply_follow_ups(db, server::now_ns());
  auto loaded = load_case(db, id);
  if (!loaded) return error_response(500, loaded.error().message);
  if (!*loaded) return error_response(404, "no such case");
  case_row c = std::move(**loaded);
  const std::string object = fmt::format("case:{}", id);
  const std::int64_t now = server::now_ns();

  auto set_state = [&](const std::string& to, const std::string& verdict, const std::string& reason,
                       const std::string& assignee, std::int64_t follow_up) -> result<void> {
    auto st = MAMORI_TRY(db.db().prepare(
        "UPDATE cases SET state=?, verdict=coalesce(?,verdict), reason=coalesce(?,reason), "
        "assignee=coalesce(?,assignee), follow_up=?, updated=? WHERE id=?"));
    st.bind(1, to).bind_text_or_null(2, verdict).bind_text_or_null(3, reason).bind_text_or_null(4, assignee);
    st.bind(5, follow_up).bind(6, now).bind(7, id);
    MAMORI_CHECK(st.run());
    std::string detail = fmt::format("{{\"from\":{},\"to\":{}", str(c.state), str(to));
    if (!verdict.empty()) detail += ",\"verdict\":" + str(verdict);
    if (!reason.empty()) detail += ",\"reason\":" + str(reason);
    if (!assignee.empty()) detail += ",\"assignee\":" + str(assignee);
    if (follow_up > 0) detail += ",\"follow_up\":\"" + timeparse::format_rfc3339(follow_up) + "\"";
    detail += '}';
    MAMORI_TRY(db.audit(who.name, "case.transition", object, detail));
    c.state = to;
    return {};
  };
  auto done = [&]() {
    auto s = summary_json(db, id);
    if (!s) return error_response(500, s.error().message);
    return json_response(200, std::move(*s));
  };
  auto valid_person = [](const std::string& s) {
    if (s.empty() || s.size() > 128) return false;
    for (char ch : s)
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '.' || ch == '_' || ch == '-' || ch == '@'))
        return false;
    return true;
  };

  if (verb == "comment") {
    auto text = get("text");
    if (!text || text->empty() || text->size() > 10000)
      return error_response(400, "\"text\" (1-10000 characters) is required");
    auto r = db.audit(who.name, "case.comment", object, "{\"text\":" + str(*text) + "}");
    if (!r) return error_response(500, r.error().message);
    return done();
  }
  if (verb == "assign") {
    auto a = get("assignee");
    if (!a || !valid_person(*a)) return error_response(400, "\"assignee\" must be a user name (A-Z a-z 0-9 . _ - @)");
    if (c.state == "closed") return error_response(409, "the case is closed");
    auto st = db.db().prepare("UPDATE cases SET assignee=?, updated=? WHERE id=?");
    if (!st) return error_response(500, st.error().message);
    st->bind(1, *a).bind(2, now).bind(3, id);
    if (auto r = st->run(); !r) return error_response(500, r.error().message);
    auto r = db.audit(who.name, "case.assign", object, fmt::format("{{\"assignee\":{},\"previous\":{}}}", str(*a), str(c.assignee)));
    if (!r) return error_response(500, r.error().message);
    return done();
  }
  if (verb == "transition") {
    auto to = get("to");
    const std::string reason = get("reason").value_or("");
    if (!to) return error_response(400, "\"to\" is required (triage, contained, closed)");
    struct move {
      const char* from;
      const char* to;
      role r;
      bool needs_reason;
    };
    static constexpr move moves[] = {
        {"new", "triage", role::tier1, false},      {"watching", "triage", role::tier1, false},
        {"escalated", "contained", role::tier2, false}, {"escalated", "closed", role::tier2, true},
        {"contained", "closed", role::tier2, true}, {"closed", "triage", role::tier2, true},
    };
    for (const auto& mv : moves) {
      if (c.state != mv.from || *to != mv.to) continue;
      if (!need(mv.r))
        return error_response(403, fmt::format("moving a case from {} to {} needs role {}", mv.from, mv.to, server::role_name(mv.r)));
      if (mv.needs_reason && reason.empty()) return error_response(400, "\"reason\" is required for this transition");
      // Taking a new case assigns it to whoever takes it, unless someone already has it.
      const std::string assignee = (c.state == "new" && c.assignee.empty()) ? who.name : "";
      if (auto r = set_state(*to, "", reason, assignee, 0); !r) return error_response(500, r.error().message);
      return done();
    }
    return error_response(409, fmt::format("a case in state {} cannot move to {} (use verdict for triage decisions)", c.state, *to));
  }
  if (verb == "verdict") {
    auto v = get("verdict");
    const std::string reason = get("reason").value_or("");
    const std::string assignee = get("assignee").value_or("");
    if (!v || (*v != "confirmed" && *v != "refuted" && *v != "undetermined"))
      return error_response(400, "\"verdict\" must be confirmed, refuted or undetermined");
    if (c.state != "new" && c.state != "triage" && c.state != "watching")
      return error_response(409, fmt::format("a case in state {} already has its verdict", c.state));
    if (c.state == "new" || c.state == "watching") {
      if (auto r = set_state("triage", "", "", c.assignee.empty() ? who.name : "", 0); !r)
        return error_response(500, r.error().message);
    }
    if (*v == "confirmed") {
      if (!valid_person(assignee))
        return error_response(400, "a confirmed case is escalated: \"assignee\" (the Tier 2 analyst) is required");
      if (auto r = set_state("escalated", "confirmed", reason, assignee, 0); !r) return error_response(500, r.error().message);
      if (c.entity_kind == "user" && !c.entity.empty()) {
        respond::signal s;
        s.kind = respond::signal_kind::user_risk;
        s.subject = c.entity;
        s.score = 50;
        s.at = now / ns_per_s;
        s.reason = fmt::format("case {} confirmed", id);
        s.origin = object;
        bus_.publish(s);
      }
      return done();
    }
    if (*v == "refuted") {
      if (reason.empty()) return error_response(400, "a refuted case is closed: \"reason\" is required");
      if (auto r = set_state("closed", "refuted", reason, "", 0); !r) return error_response(500, r.error().message);
      return done();
    }
    // undetermined: keep watching until a follow-up time, or close with a reason.
    auto close = doc["close"];
    if (!close.error() && close.is_bool() && close.get_bool().value()) {
      if (reason.empty()) return error_response(400, "closing an undetermined case needs \"reason\"");
      if (auto r = set_state("closed", "undetermined", reason, "", 0); !r) return error_response(500, r.error().message);
      return done();
    }
    const scenario_template* t = find_template(c.scenario);
    std::int64_t follow = now + static_cast<std::int64_t>((t != nullptr ? t->watch_s : 86400) * 1e9);
    if (auto fu = get("follow_up")) {
      auto d = store::parse_duration(*fu);
      std::optional<std::int64_t> abs;
      if (!d) abs = timeparse::iso8601(*fu);
      if (!d && !abs) return error_response(400, "\"follow_up\" must be a duration (24h) or an RFC 3339 time");
      follow = d ? now + *d : *abs;
    }
    if (auto r = set_state("watching", "undetermined", reason, "", follow); !r) return error_response(500, r.error().message);
    return done();
  }
  return error_response(404, "unknown case operation (assign, transition, verdict, comment, actions)");
}

}  // namespace mamori::cases
