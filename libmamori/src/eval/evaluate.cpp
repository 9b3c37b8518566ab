#include "mamori/eval/evaluate.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <unordered_map>

#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::eval {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view str(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  if (e.type() != simdjson::dom::element_type::OBJECT) return {};
  if (e.at_pointer(key).get(v)) return {};
  return v;
}

std::optional<std::uint64_t> uint(simdjson::dom::element e, std::string_view key) {
  if (e.type() != simdjson::dom::element_type::OBJECT) return std::nullopt;
  auto v = e.at_pointer(key);
  if (v.error()) return std::nullopt;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  if (!v.get(u)) return u;
  if (!v.get(i) && i >= 0) return static_cast<std::uint64_t>(i);
  return std::nullopt;
}

std::optional<std::int64_t> time_of(std::string_view s) {
  if (s.empty()) return std::nullopt;
  return timeparse::iso8601(s);
}

// Path equality up to a directory prefix: "entra/signins.json" matches "/tmp/w/entra/signins.json".
bool same_source(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return true;
  if (a == b) return true;
  const std::string_view& longer = a.size() > b.size() ? a : b;
  const std::string_view& shorter = a.size() > b.size() ? b : a;
  return longer.ends_with(shorter) && longer[longer.size() - shorter.size() - 1] == '/';
}

std::string_view basename(std::string_view p) {
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

bool rule_matches(const std::string& pattern, const std::string& uid) {
  if (!pattern.empty() && pattern.back() == '*') {
    return uid.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1));
  }
  return pattern == uid;
}

std::vector<std::string> strings_of(simdjson::dom::element e) {
  std::vector<std::string> out;
  std::string_view s;
  if (!e.get(s)) {
    out.emplace_back(s);
    return out;
  }
  simdjson::dom::array a;
  if (!e.get(a)) {
    for (auto x : a)
      if (!x.get(s)) out.emplace_back(s);
  }
  return out;
}

event_key read_event_key(simdjson::dom::element e) {
  event_key k;
  k.source = std::string(str(e, "/source"));
  k.uid = std::string(str(e, "/uid"));
  if (auto l = uint(e, "/line")) k.line = *l;
  k.offset = uint(e, "/offset");
  return k;
}

}  // namespace

result<truth> load_truth(const std::string& path, diagnostics& diag) {
  std::ifstream in(path);
  if (!in) return fail(path + ": cannot read the truth file");
  truth t;
  simdjson::dom::parser parser;
  std::map<std::string, std::size_t> by_id;
  std::vector<std::pair<std::string, event_key>> loose;  // event lines
  std::string line;
  std::uint64_t n = 0;
  auto bad = [&](std::string why) {
    diag.report(severity_level::warning, {path, n, 0}, "truth line skipped: " + std::move(why));
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    simdjson::dom::element d;
    if (parser.parse(line).get(d) || d.type() != simdjson::dom::element_type::OBJECT) {
      bad("not a JSON object");
      continue;
    }
    const std::string_view type = str(d, "/type");
    if (type == "benign") {
      simdjson::dom::element v;
      double x = 0;
      if (!d["users"].get(v) && !v.get(x)) t.benign_users = x;
      std::int64_t i = 0;
      if (!d["users"].get(v) && !v.get(i)) t.benign_users = static_cast<double>(i);
      if (!d["days"].get(v) && !v.get(x)) t.benign_days = x;
      if (!d["days"].get(v) && !v.get(i)) t.benign_days = static_cast<double>(i);
      continue;
    }
    if (type == "event") {
      const std::string id(str(d, "/campaign_id"));
      if (id.empty()) {
        bad("event without campaign_id");
        continue;
      }
      loose.emplace_back(id, read_event_key(d));
      continue;
    }
    if (type != "campaign") {
      bad("unknown type '" + std::string(type) + "'");
      continue;
    }
    campaign c;
    c.id = std::string(str(d, "/campaign_id"));
    c.scenario = std::string(str(d, "/scenario"));
    c.description = std::string(str(d, "/description"));
    auto start = time_of(str(d, "/start"));
    auto end = time_of(str(d, "/end"));
    if (c.id.empty() || c.scenario.empty() || !start || !end) {
      bad("campaign needs campaign_id, scenario, start and end (RFC 3339)");
      continue;
    }
    c.start = *start;
    c.end = *end;
    simdjson::dom::element ents;
    if (!d["entities"].get(ents) && ents.type() == simdjson::dom::element_type::OBJECT) {
      for (auto [k, v] : ents.get_object()) {
        (void)k;
        for (auto& s : strings_of(v)) c.entities.insert(lower(s));
      }
    }
    simdjson::dom::array exp;
    if (!d["expected_detections"].get(exp)) {
      for (auto x : exp) {
        expectation e;
        simdjson::dom::element r;
        if (!x["rule_uid"].get(r)) e.rules = strings_of(r);
        if (e.rules.empty()) {
          bad("expected detection without rule_uid");
          continue;
        }
        simdjson::dom::element ent;
        if (!x["entity"].get(ent) && ent.type() == simdjson::dom::element_type::OBJECT) {
          for (auto [k, v] : ent.get_object()) {
            std::string_view s;
            if (!v.get(s)) {
              e.entity_key = std::string(k);
              e.entity_value = std::string(s);
            }
          }
        }
        if (auto by = time_of(str(x, "/by"))) e.by = *by;
        bool opt = false;
        if (!x["optional"].get(opt)) e.optional = opt;
        c.expected.push_back(std::move(e));
      }
    }
    simdjson::dom::array evs;
    if (!d["malicious_events"].get(evs)) {
      for (auto x : evs) c.events.push_back(read_event_key(x));
    }
    by_id[c.id] = t.campaigns.size();
    t.campaigns.push_back(std::move(c));
  }
  for (auto& [id, k] : loose) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      diag.report(severity_level::warning, {path, 0, 0},
                  "event line names unknown campaign '" + id + "'");
      continue;
    }
    t.campaigns[it->second].events.push_back(std::move(k));
  }
  if (t.campaigns.empty()) {
    diag.report(severity_level::warning, {path, 0, 0}, "the truth file holds no campaign");
  }
  return t;
}

result<std::vector<finding_record>> load_findings(const std::string& path, diagnostics& diag) {
  std::ifstream in(path);
  if (!in) return fail(path + ": cannot read the findings file");
  std::vector<finding_record> out;
  simdjson::dom::parser parser;
  std::string line;
  std::uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    simdjson::dom::element d;
    if (parser.parse(line).get(d) || d.type() != simdjson::dom::element_type::OBJECT) {
      diag.report(severity_level::warning, {path, n, 0}, "finding skipped: not a JSON object");
      continue;
    }
    finding_record f;
    f.line = n;
    f.rule_uid = std::string(str(d, "/rule/uid"));
    if (f.rule_uid.empty()) f.rule_uid = std::string(str(d, "/finding_info/analytic/uid"));
    if (f.rule_uid.empty()) {
      diag.report(severity_level::warning, {path, n, 0}, "finding skipped: no rule.uid");
      continue;
    }
    f.rule_name = std::string(str(d, "/rule/name"));
    f.rule_source = std::string(str(d, "/rule/source"));
    f.level = std::string(str(d, "/rule/level"));
    if (auto t = time_of(str(d, "/time_dt"))) {
      f.time = *t;
    } else if (auto ms = uint(d, "/time")) {
      f.time = static_cast<std::int64_t>(*ms) * 1'000'000;
    }
    f.user = std::string(str(d, "/actor/user/name"));
    f.src_ip = std::string(str(d, "/src_endpoint/ip"));
    f.host = std::string(str(d, "/device/hostname"));
    for (const auto& s : {f.user, f.src_ip, f.host})
      if (!s.empty()) f.entities.insert(lower(s));
    // The triggering event (metadata of the finding).
    event_key own;
    own.source = std::string(str(d, "/metadata/log_source"));
    if (auto l = uint(d, "/metadata/sequence")) own.line = *l;
    own.offset = uint(d, "/metadata/log_offset");
    if (!own.source.empty()) f.events.push_back(own);
    simdjson::dom::array evs;
    if (!d["evidences"].get(evs)) {
      for (auto e : evs) {
        if (e.type() != simdjson::dom::element_type::OBJECT) continue;
        event_key k;
        k.source = std::string(str(e, "/metadata/log_source"));
        k.uid = std::string(str(e, "/metadata/uid"));
        if (auto l = uint(e, "/metadata/sequence")) k.line = *l;
        k.offset = uint(e, "/metadata/log_offset");
        f.events.push_back(std::move(k));
        for (const char* p : {"/actor/user/name", "/user/name", "/src_endpoint/ip",
                              "/device/hostname", "/src_endpoint/hostname"}) {
          std::string_view v = str(e, p);
          if (!v.empty()) f.entities.insert(lower(v));
        }
      }
    }
    simdjson::dom::array refs;
    if (!d.at_pointer("/evidence/events").get(refs)) {
      for (auto e : refs) f.events.push_back(read_event_key(e));
    }
    out.push_back(std::move(f));
  }
  return out;
}

double detector_row::precision() const {
  return findings == 0 ? NAN : static_cast<double>(tp) / static_cast<double>(findings);
}

double detector_row::recall() const {
  return expected == 0 ? NAN : static_cast<double>(met) / static_cast<double>(expected);
}

double report::fp_per_10k_user_days() const {
  if (users <= 0 || days <= 0) return NAN;
  return static_cast<double>(fp) * 10000.0 / (users * days);
}

report evaluate(const truth& t, const std::vector<finding_record>& all, const options& o) {
  report r;
  std::vector<const finding_record*> findings;
  for (const auto& f : all)
    if (o.only.empty() || f.rule_uid.starts_with(o.only)) findings.push_back(&f);
  auto in_scope = [&](const expectation& e) {
    if (o.only.empty()) return true;
    for (const auto& p : e.rules)
      if (p.starts_with(o.only) ||
          o.only.starts_with(p.substr(0, p.size() - (p.ends_with("*") ? 1 : 0)))) {
        return true;
      }
    return false;
  };

  // Index the malicious events.
  std::unordered_multimap<std::string, std::pair<std::size_t, const event_key*>> by_uid;
  std::unordered_multimap<std::string, std::pair<std::size_t, const event_key*>> by_line;
  for (std::size_t c = 0; c < t.campaigns.size(); ++c) {
    for (const auto& e : t.campaigns[c].events) {
      if (!e.uid.empty()) by_uid.emplace(e.uid, std::make_pair(c, &e));
      if (e.line > 0)
        by_line.emplace(fmt::format("{}:{}", basename(e.source), e.line), std::make_pair(c, &e));
      if (e.offset)
        by_line.emplace(fmt::format("{}@{}", basename(e.source), *e.offset), std::make_pair(c, &e));
    }
  }
  // Attribution: finding → campaigns.
  std::vector<std::set<std::size_t>> attributed(findings.size());
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const finding_record& f = *findings[i];
    for (const auto& k : f.events) {
      if (!k.uid.empty()) {
        auto [a, b] = by_uid.equal_range(k.uid);
        for (auto it = a; it != b; ++it)
          if (same_source(k.source, it->second.second->source))
            attributed[i].insert(it->second.first);
      }
      auto probe = [&](const std::string& key) {
        auto [a, b] = by_line.equal_range(key);
        for (auto it = a; it != b; ++it)
          if (same_source(k.source, it->second.second->source))
            attributed[i].insert(it->second.first);
      };
      if (k.line > 0) probe(fmt::format("{}:{}", basename(k.source), k.line));
      if (k.offset) probe(fmt::format("{}@{}", basename(k.source), *k.offset));
    }
    for (std::size_t c = 0; c < t.campaigns.size(); ++c) {
      const campaign& cp = t.campaigns[c];
      if (f.time < cp.start - o.slack || f.time > cp.end + o.slack) continue;
      for (const auto& e : f.entities) {
        if (cp.entities.count(e) > 0) {
          attributed[i].insert(c);
          break;
        }
      }
    }
  }

  std::map<std::string, detector_row> rows;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    detector_row& row = rows[findings[i]->rule_uid];
    row.rule = findings[i]->rule_uid;
    if (row.name.empty()) row.name = findings[i]->rule_name;
    ++row.findings;
    ++r.findings;
    if (attributed[i].empty()) {
      ++row.fp;
      ++r.fp;
    } else {
      ++row.tp;
      ++r.tp;
    }
  }

  for (std::size_t c = 0; c < t.campaigns.size(); ++c) {
    const campaign& cp = t.campaigns[c];
    scenario_row sr;
    sr.campaign = cp.id;
    sr.scenario = cp.scenario;
    std::set<std::string> by;
    for (std::size_t i = 0; i < findings.size(); ++i)
      if (attributed[i].count(c) > 0) by.insert(findings[i]->rule_uid);
    sr.detected_by.assign(by.begin(), by.end());
    for (const auto& e : cp.expected) {
      if (!in_scope(e)) continue;
      const finding_record* best = nullptr;
      for (std::size_t i = 0; i < findings.size(); ++i) {
        const finding_record& f = *findings[i];
        if (attributed[i].count(c) == 0) continue;
        bool rule_ok = false;
        for (const auto& p : e.rules) rule_ok = rule_ok || rule_matches(p, f.rule_uid);
        if (!rule_ok) continue;
        if (e.by != 0 && f.time > e.by) continue;
        if (!e.entity_key.empty()) {
          const std::string want = lower(e.entity_value);
          const std::string& named = e.entity_key == "user"     ? f.user
                                     : e.entity_key == "src_ip" ? f.src_ip
                                                                : f.host;
          if (lower(named) != want && f.entities.count(want) == 0) continue;
        }
        if (best == nullptr || f.time < best->time) best = &f;
      }
      const std::string key = best != nullptr ? best->rule_uid : e.rules.front();
      detector_row& row = rows[key];
      row.rule = key;
      if (e.optional) {
        if (best != nullptr) ++row.optional_met;
        continue;
      }
      ++row.expected;
      ++r.expected;
      ++sr.required;
      if (best != nullptr) {
        ++row.met;
        ++r.met;
        ++sr.met;
        const std::int64_t ttd = std::max<std::int64_t>(0, best->time - cp.start);
        row.ttd.push_back(ttd);
        if (sr.ttd < 0 || ttd < sr.ttd) sr.ttd = ttd;
      } else {
        ++row.fn;
        std::string alts;
        for (const auto& p : e.rules) alts += (alts.empty() ? "" : "|") + p;
        if (!e.entity_key.empty()) alts += fmt::format(" ({}={})", e.entity_key, e.entity_value);
        sr.missed.push_back(alts);
      }
    }
    sr.status = sr.required == 0        ? "no expectations"
                : sr.met == sr.required ? "detected"
                : sr.met > 0            ? "partial"
                                        : "missed";
    r.scenarios.push_back(std::move(sr));
  }
  for (auto& [k, row] : rows) r.detectors.push_back(std::move(row));

  r.users = o.users > 0 ? o.users : t.benign_users;
  r.days = o.days > 0 ? o.days : t.benign_days;
  if (r.users <= 0 || r.days <= 0) {
    // Estimate: distinct entities in the findings, time span of the findings.
    std::set<std::string> users;
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    for (const auto* f : findings) {
      if (!f->user.empty()) users.insert(lower(f->user));
      lo = lo == 0 ? f->time : std::min(lo, f->time);
      hi = std::max(hi, f->time);
    }
    if (r.users <= 0) r.users = static_cast<double>(users.size());
    if (r.days <= 0) r.days = std::max(1.0, static_cast<double>(hi - lo) / 86400e9);
    r.population_estimated = true;
  }
  return r;
}

namespace {

std::string pct(double v) {
  return std::isnan(v) ? "-" : fmt::format("{:.2f}", v);
}

std::string dur(std::int64_t ns) {
  if (ns < 0) return "-";
  const double s = static_cast<double>(ns) / 1e9;
  if (s < 120) return fmt::format("{:.1f}s", s);
  if (s < 7200) return fmt::format("{:.1f}m", s / 60);
  return fmt::format("{:.1f}h", s / 3600);
}

std::int64_t median(std::vector<std::int64_t> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

namespace {

// Sigma rules are named by their title (their uid is a UUID nobody reads); the analytics'
// uids (mamori.*) are already names.
std::string detector_label(const std::string& uid, const std::string& name) {
  return name.empty() || uid.starts_with("mamori.") ? uid : name;
}

std::string clip(const std::string& s, std::size_t width) {
  return s.size() > width ? s.substr(0, width - 1) + "…" : s;
}

}  // namespace

std::string render_table(const report& r) {
  std::map<std::string, std::string> label_of;
  for (const auto& d : r.detectors) label_of[d.rule] = detector_label(d.rule, d.name);
  auto label = [&](const std::string& uid) {
    auto it = label_of.find(uid);
    return it == label_of.end() ? uid : it->second;
  };
  std::string out;
  out += fmt::format("{:<44} {:>8} {:>6} {:>6} {:>9} {:>8} {:>5} {:>5} {:>7} {:>9} {:>9}\n",
                     "DETECTOR", "FINDINGS", "TP", "FP", "PRECISION", "EXPECTED", "MET", "FN",
                     "RECALL", "TTD(med)", "TTD(max)");
  for (const auto& d : r.detectors) {
    const auto mx = d.ttd.empty() ? -1 : *std::max_element(d.ttd.begin(), d.ttd.end());
    out += fmt::format("{:<44} {:>8} {:>6} {:>6} {:>9} {:>8} {:>5} {:>5} {:>7} {:>9} {:>9}\n",
                       clip(label(d.rule), 44), d.findings, d.tp, d.fp, pct(d.precision()),
                       d.expected, d.met, d.fn, pct(d.recall()), dur(median(d.ttd)), dur(mx));
  }
  out += fmt::format(
      "{:<44} {:>8} {:>6} {:>6} {:>9} {:>8} {:>5} {:>5} {:>7}\n", "ALL", r.findings, r.tp, r.fp,
      pct(r.findings == 0 ? NAN : static_cast<double>(r.tp) / static_cast<double>(r.findings)),
      r.expected, r.met, r.expected - r.met,
      pct(r.expected == 0 ? NAN : static_cast<double>(r.met) / static_cast<double>(r.expected)));
  out += "\n";
  out += fmt::format("{:<10} {:<26} {:<10} {:>8} {:>9}  {}\n", "CAMPAIGN", "SCENARIO", "STATUS",
                     "MET/REQ", "TTD", "DETECTED BY / MISSED");
  for (const auto& s : r.scenarios) {
    std::string by;
    for (const auto& d : s.detected_by) by += (by.empty() ? "" : ", ") + label(d);
    std::string missed;
    for (const auto& m : s.missed) missed += (missed.empty() ? "" : ", ") + m;
    out += fmt::format("{:<10} {:<26} {:<10} {:>8} {:>9}  {}{}\n", s.campaign,
                       clip(s.scenario, 26), s.status, fmt::format("{}/{}", s.met, s.required),
                       dur(s.ttd), by.empty() ? "-" : by, missed.empty() ? "" : "; missed: " + missed);
  }
  out += fmt::format(
      "\nfalse positives: {} over {:.0f} users × {:.1f} days = {} per 10k users/day{}\n", r.fp,
      r.users, r.days, pct(r.fp_per_10k_user_days()),
      r.population_estimated ? " (population estimated from the findings; give --users/--days "
                               "or a benign line in the truth)"
                             : "");
  return out;
}

std::string render_json(const report& r) {
  std::string out = "{\"detectors\":[";
  auto num = [](double v) {
    return std::isnan(v) ? std::string("null") : fmt::format("{:.4f}", v);
  };
  for (std::size_t i = 0; i < r.detectors.size(); ++i) {
    const auto& d = r.detectors[i];
    if (i > 0) out += ',';
    out += "{\"rule\":";
    json_text::append_string(out, d.rule);
    const auto mx = d.ttd.empty() ? -1 : *std::max_element(d.ttd.begin(), d.ttd.end());
    fmt::format_to(
        std::back_inserter(out),
        ",\"findings\":{},\"tp\":{},\"fp\":{},\"precision\":{},\"expected\":{},"
        "\"met\":{},\"fn\":{},\"optional_met\":{},\"recall\":{},"
        "\"ttd_median_s\":{},\"ttd_max_s\":{}}}",
        d.findings, d.tp, d.fp, num(d.precision()), d.expected, d.met, d.fn, d.optional_met,
        num(d.recall()),
        median(d.ttd) < 0 ? std::string("null") : fmt::format("{:.3f}", median(d.ttd) / 1e9),
        mx < 0 ? std::string("null") : fmt::format("{:.3f}", mx / 1e9));
  }
  out += "],\"scenarios\":[";
  for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
    const auto& s = r.scenarios[i];
    if (i > 0) out += ',';
    out += "{\"campaign\":";
    json_text::append_string(out, s.campaign);
    out += ",\"scenario\":";
    json_text::append_string(out, s.scenario);
    out += ",\"status\":";
    json_text::append_string(out, s.status);
    fmt::format_to(std::back_inserter(out), ",\"required\":{},\"met\":{},\"ttd_s\":{},", s.required,
                   s.met, s.ttd < 0 ? std::string("null") : fmt::format("{:.3f}", s.ttd / 1e9));
    out += "\"detected_by\":[";
    for (std::size_t k = 0; k < s.detected_by.size(); ++k) {
      if (k > 0) out += ',';
      json_text::append_string(out, s.detected_by[k]);
    }
    out += "],\"missed\":[";
    for (std::size_t k = 0; k < s.missed.size(); ++k) {
      if (k > 0) out += ',';
      json_text::append_string(out, s.missed[k]);
    }
    out += "]}";
  }
  fmt::format_to(std::back_inserter(out),
                 "],\"findings\":{},\"tp\":{},\"fp\":{},\"expected\":{},\"met\":{},\"users\":{},"
                 "\"days\":{},\"population_estimated\":{},\"fp_per_10k_user_days\":{}}}",
                 r.findings, r.tp, r.fp, r.expected, r.met, r.users, r.days,
                 r.population_estimated ? "true" : "false", num(r.fp_per_10k_user_days()));
  return out;
}

}  // namespace mamori::eval
