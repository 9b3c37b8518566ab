#include "mamori/discover/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "mamori/output/json_text.hpp"

namespace mamori::discover {

namespace {

void add_str(std::string& out, std::string_view key, std::string_view v) {
  out += ",\"";
  out += key;
  out += "\":";
  json_text::append_string(out, v);
}

void add_strings(std::string& out, std::string_view key, const std::vector<std::string>& v) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (k > 0) out += ',';
    json_text::append_string(out, v[k]);
  }
  out += ']';
}

std::string score_text(const std::optional<double>& s) {
  return s ? fmt::format("{:.1f}", *s) : "-";
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string date_only(std::int64_t ns) {
  std::string t = iso_time(ns);
  return t.empty() ? "-" : t.substr(0, 16).replace(10, 1, " ");
}

std::string truncate(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n - 1)) + "~";
}

}  // namespace

std::string iso_time(std::int64_t ns) {
  if (ns == 0) return {};
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000LL);
  if (ns < 0 && ns % 1'000'000'000LL != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string human_bytes(std::uint64_t b) {
  const double v = static_cast<double>(b);
  if (b >= (1ull << 30)) return fmt::format("{:.1f} GB", v / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MB", v / (1ull << 20));
  if (b >= (1ull << 10)) return fmt::format("{:.1f} KB", v / (1ull << 10));
  return fmt::format("{} B", b);
}

std::string render_table(const inventory& inv, const std::vector<finding>& findings,
                         const report_options& opts) {
  std::string out;
  out += fmt::format("{:<12} {:<7} {:>5}  {:<28} {:<18} {:>5} {:>8} {:>9} {:>9}  {:<16} {:<16}\n",
                     "STATUS", "RISK", "SCORE", "APP", "CATEGORY", "USERS", "REQUESTS", "UP",
                     "DOWN", "FIRST SEEN", "LAST SEEN");
  std::size_t shown = 0;
  for (const auto& a : inv.apps) {
    if (shown++ >= opts.max_rows) break;
    out += fmt::format("{:<12} {:<7} {:>5}  {:<28} {:<18} {:>5} {:>8} {:>9} {:>9}  {:<16} {:<16}\n",
                       sanction_name(a.status), a.risk, score_text(a.score), truncate(a.name, 28),
                       truncate(a.category, 18), a.user_count, a.requests, human_bytes(a.bytes_up),
                       human_bytes(a.bytes_down), date_only(a.first_ns), date_only(a.last_ns));
  }
  if (inv.apps.size() > opts.max_rows)
    out += fmt::format("... {} more apps (--top N, or --output ndjson for all)\n",
                       inv.apps.size() - opts.max_rows);
  if (!inv.unknown.empty() && opts.max_unknown > 0) {
    out +=
        fmt::format("\nTop destinations not in the catalog\n{:<48} {:>8} {:>9} {:>9} {:>5}  {}\n",
                    "HOST", "REQUESTS", "UP", "DOWN", "USERS", "URL CATEGORIES");
    for (std::size_t k = 0; k < inv.unknown.size() && k < opts.max_unknown; ++k) {
      const auto& u = inv.unknown[k];
      std::string cats;
      for (const auto& c : u.url_categories) cats += (cats.empty() ? "" : ",") + c;
      out += fmt::format("{:<48} {:>8} {:>9} {:>9} {:>5}  {}\n", truncate(u.host, 48), u.requests,
                         human_bytes(u.bytes_up), human_bytes(u.bytes_down), u.user_count,
                         cats.empty() ? "-" : cats);
    }
  }
  out += "\nRecognition (distinct destination names)\n";
  for (const auto& r : inv.recognition) {
    const std::uint64_t external = r.distinct - r.internal;
    out += fmt::format(
        "  {:<11} {:>7} distinct, {:>6} recognised as apps ({:.1f}%; {:.1f}% of {} external), "
        "{} internal, {} only URL-categorised\n",
        destination_source_name(r.source), r.distinct, r.recognised,
        r.distinct ? 100.0 * static_cast<double>(r.recognised) / static_cast<double>(r.distinct)
                   : 0.0,
        external ? 100.0 * static_cast<double>(r.recognised) / static_cast<double>(external) : 0.0,
        external, r.internal, r.categorised);
  }
  std::size_t prohibited = 0, unsanctioned = 0, sanctioned = 0;
  for (const auto& a : inv.apps) {
    if (a.status == sanction::prohibited)
      ++prohibited;
    else if (a.status == sanction::sanctioned)
      ++sanctioned;
    else
      ++unsanctioned;
  }
  out += fmt::format(
      "\n{} apps ({} prohibited, {} unsanctioned, {} sanctioned) from {} events ({} with a "
      "destination, {} to catalog apps); {} findings\n",
      inv.apps.size(), prohibited, unsanctioned, sanctioned, inv.events, inv.with_destination,
      inv.recognised_events, inv.findings);
  if (!findings.empty()) {
    out += "\nFindings\n";
    std::size_t k = 0;
    for (const auto& f : findings) {
      if (k++ >= 50) {
        out += fmt::format("... {} more (--findings FILE writes them all)\n", findings.size() - 50);
        break;
      }
      out += fmt::format("  [{}] {}: {}\n", f.level, f.rule_name, f.explanation);
    }
  }
  return out;
}

std::string render_ndjson(const inventory& inv) {
  std::string out;
  for (const auto& a : inv.apps) {
    out += "{\"type\":\"app\"";
    add_str(out, "id", a.id);
    add_str(out, "name", a.name);
    add_str(out, "category", a.category);
    add_str(out, "vendor", a.vendor);
    out += fmt::format(",\"score\":{},\"coverage\":{:.2f}",
                       a.score ? fmt::format("{:.1f}", *a.score) : "null", a.coverage);
    add_str(out, "risk", a.risk);
    add_str(out, "sanction", sanction_name(a.status));
    if (!a.alternative.empty()) add_str(out, "alternative", a.alternative);
    add_str(out, "first_seen", iso_time(a.first_ns));
    add_str(out, "last_seen", iso_time(a.last_ns));
    out += fmt::format(
        ",\"requests\":{},\"bytes_up\":{},\"bytes_down\":{},\"user_count\":{},\"host_count\":{}",
        a.requests, a.bytes_up, a.bytes_down, a.user_count, a.host_count);
    add_strings(out, "hosts", a.hosts);
    add_strings(out, "url_categories", a.url_categories);
    out += ",\"users\":[";
    for (std::size_t k = 0; k < a.users.size(); ++k) {
      const auto& u = a.users[k];
      if (k > 0) out += ',';
      out += "{\"user\":";
      json_text::append_string(out, u.user);
      out += fmt::format(",\"requests\":{},\"bytes_up\":{},\"bytes_down\":{}", u.requests,
                         u.bytes_up, u.bytes_down);
      add_str(out, "first_seen", iso_time(u.first_ns));
      add_str(out, "last_seen", iso_time(u.last_ns));
      out += '}';
    }
    out += "]}\n";
  }
  for (const auto& u : inv.unknown) {
    out += "{\"type\":\"destination\"";
    add_str(out, "host", u.host);
    add_str(out, "seen_as", destination_source_name(u.source));
    out += fmt::format(",\"requests\":{},\"bytes_up\":{},\"bytes_down\":{},\"user_count\":{}",
                       u.requests, u.bytes_up, u.bytes_down, u.user_count);
    add_str(out, "first_seen", iso_time(u.first_ns));
    add_str(out, "last_seen", iso_time(u.last_ns));
    add_strings(out, "url_categories", u.url_categories);
    out += "}\n";
  }
  out += fmt::format(
      "{{\"type\":\"summary\",\"events\":{},\"with_destination\":{},"
      "\"recognised_events\":{},\"apps\":{},\"findings\":{}",
      inv.events, inv.with_destination, inv.recognised_events, inv.apps.size(), inv.findings);
  add_str(out, "first_seen", iso_time(inv.first_ns));
  add_str(out, "last_seen", iso_time(inv.last_ns));
  out += ",\"recognition\":[";
  for (std::size_t k = 0; k < inv.recognition.size(); ++k) {
    const auto& r = inv.recognition[k];
    if (k > 0) out += ',';
    out += fmt::format(
        "{{\"source\":\"{}\",\"distinct\":{},\"recognised\":{},\"internal\":{},\"categorised\":{}}"
        "}",
        destination_source_name(r.source), r.distinct, r.recognised, r.internal, r.categorised);
  }
  out += "]";
  add_strings(out, "sources", inv.sources);
  out += "}\n";
  return out;
}

std::string render_csv(const inventory& inv) {
  std::string out =
      "app_id,app_name,category,vendor,score,risk,sanction,alternative,user,requests,bytes_up,"
      "bytes_down,first_seen,last_seen\n";
  for (const auto& a : inv.apps) {
    for (const auto& u : a.users) {
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(a.id),
                         csv_field(a.name), csv_field(a.category), csv_field(a.vendor),
                         a.score ? fmt::format("{:.1f}", *a.score) : "", a.risk,
                         sanction_name(a.status), csv_field(a.alternative), csv_field(u.user),
                         u.requests, u.bytes_up, u.bytes_down, iso_time(u.first_ns),
                         iso_time(u.last_ns));
    }
  }
  return out;
}

std::string discovery_finding_json(const finding& f) {
  std::string out = fmt::format(
      "{{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"category_uid\":2,"
      "\"category_name\":\"Findings\",\"activity_id\":1,\"activity_name\":\"Create\","
      "\"type_uid\":200401,\"time\":{},\"severity_id\":{}",
      f.time_ns / 1'000'000, static_cast<int>(f.severity));
  add_str(out, "severity", f.level);
  add_str(out, "time_dt", iso_time(f.time_ns));
  add_str(out, "message", f.rule_name);
  add_str(out, "status", "New");
  out += ",\"finding_info\":{\"uid\":";
  json_text::append_string(
      out, fmt::format("{}:{}:{}", f.rule_uid, f.time_ns, f.user.empty() ? f.src_ip : f.user));
  add_str(out, "title", f.rule_name);
  add_str(out, "desc", f.explanation);
  out += ",\"analytic\":{\"uid\":";
  json_text::append_string(out, f.rule_uid);
  add_str(out, "name", f.rule_name);
  add_str(out, "type", "Rule");
  add_str(out, "category", f.rule_source);
  out += '}';
  add_strings(out, "types", f.tags);
  if (!f.attacks.empty()) {
    out += ",\"attacks\":[";
    for (std::size_t k = 0; k < f.attacks.size(); ++k) {
      if (k > 0) out += ',';
      out += "{\"technique\":{\"uid\":";
      json_text::append_string(out, f.attacks[k]);
      out += "}}";
    }
    out += ']';
  }
  out += '}';
  if (!f.user.empty()) {
    out += ",\"actor\":{\"user\":{\"name\":";
    json_text::append_string(out, f.user);
    out += "}}";
  }
  if (!f.src_ip.empty()) {
    out += ",\"src_endpoint\":{\"ip\":";
    json_text::append_string(out, f.src_ip);
    out += '}';
  }
  out += ",\"observables\":[";
  for (std::size_t k = 0; k < f.matched.size(); ++k) {
    if (k > 0) out += ',';
    out += "{\"name\":";
    json_text::append_string(out, f.matched[k].field);
    add_str(out, "value", f.matched[k].value);
    add_str(out, "type", f.matched[k].selection);
    out += '}';
  }
  out += "]";
  out += ",\"evidences\":[";
  for (std::size_t k = 0; k < f.evidences.size(); ++k) {
    if (k > 0) out += ',';
    out += "{\"data\":";
    out += f.evidences[k];
    out += '}';
  }
  out += ']';
  if (!f.evidence_json.empty()) {
    out += ",\"unmapped\":{\"discovery\":";
    out += f.evidence_json;
    out += '}';
  }
  out +=
      ",\"metadata\":{\"product\":{\"name\":\"mamori\",\"vendor_name\":\"mamori\"},"
      "\"version\":\"1.3.0\"}}";
  return out;
}

}  // namespace mamori::discover
