// OCSF Detection Finding (class 2004) rendering; the layout is documented in docs/findings.md.

#include "mamori/detect/finding.hpp"

#include <fmt/format.h>

#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori {

namespace {

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void add_string(std::string& out, std::string_view key, std::string_view v) {
  json_text::append_string(out, key);
  out += ':';
  json_text::append_string(out, v);
}

}  // namespace

ocsf::severity_id severity_from_level(std::string_view level) {
  if (level == "informational") return ocsf::severity_id::informational;
  if (level == "low") return ocsf::severity_id::low;
  if (level == "medium") return ocsf::severity_id::medium;
  if (level == "high") return ocsf::severity_id::high;
  if (level == "critical") return ocsf::severity_id::critical;
  return ocsf::severity_id::unknown;
}

std::string finding_to_json(const finding& f) {
  std::string out;
  out.reserve(1024);
  const auto severity = f.severity != ocsf::severity_id::unknown ? f.severity
                                                                 : severity_from_level(f.level);
  fmt::format_to(std::back_inserter(out),
                 "{{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"category_uid\":2,"
                 "\"category_name\":\"Findings\",\"activity_id\":1,\"activity_name\":\"Create\","
                 "\"type_uid\":200401,\"type_name\":\"Detection Finding: Create\",");
  if (f.time_ns != 0) {
    fmt::format_to(std::back_inserter(out), "\"time\":{},\"time_dt\":\"{}\",",
                   f.time_ns / 1'000'000, timeparse::format_rfc3339(f.time_ns));
  }
  fmt::format_to(std::back_inserter(out),
                 "\"severity_id\":{},\"severity\":\"{}\",\"status_id\":1,\"status\":\"New\","
                 "\"metadata\":{{\"version\":\"1.3.0\",\"product\":{{\"name\":\"mamori\","
                 "\"vendor_name\":\"mamori\"}}",
                 static_cast<int>(severity), ocsf::severity_name(severity));
  if (!f.source_file.empty()) {
    out += ',';
    add_string(out, "log_source", f.source_file);
    if (f.source_line > 0) fmt::format_to(std::back_inserter(out), ",\"sequence\":{}", f.source_line);
    fmt::format_to(std::back_inserter(out), ",\"log_offset\":{}", f.source_offset);
  }
  out += "},";

  // finding_info: OCSF's own description of the finding.
  const std::string uid =
      !f.finding_uid.empty()
          ? f.finding_uid
          : fmt::format("{:016x}",
                        fnv1a(fmt::format("{}|{}|{}|{}", f.rule_uid, f.time_ns, f.source_file,
                                          f.source_offset)));
  out += "\"finding_info\":{";
  add_string(out, "uid", uid);
  out += ',';
  add_string(out, "title", f.rule_name);
  if (!f.explanation.empty()) {
    out += ',';
    add_string(out, "desc", f.explanation);
  }
  out += ",\"analytic\":{";
  add_string(out, "uid", f.rule_uid);
  out += ',';
  add_string(out, "name", f.rule_name);
  // OCSF analytic type_id: 1 Rule, 2 Behavioral, 3 Statistical.
  const bool behavioural = f.rule_source == "analytics";
  fmt::format_to(std::back_inserter(out), ",\"type_id\":{},\"type\":\"{}\"}}",
                 behavioural ? 2 : 1, behavioural ? "Behavioral" : "Rule");
  if (!f.attacks.empty()) {
    out += ",\"attacks\":[";
    for (std::size_t i = 0; i < f.attacks.size(); ++i) {
      if (i > 0) out += ',';
      out += "{\"technique\":{";
      add_string(out, "uid", f.attacks[i]);
      out += "}}";
    }
    out += ']';
  }
  out += "},";

  // mamori's flat contract (docs/findings.md).
  out += "\"rule\":{";
  add_string(out, "uid", f.rule_uid);
  out += ',';
  add_string(out, "name", f.rule_name);
  out += ',';
  add_string(out, "source", f.rule_source);
  out += ',';
  add_string(out, "level", f.level);
  out += "},\"attacks\":[";
  for (std::size_t i = 0; i < f.attacks.size(); ++i) {
    if (i > 0) out += ',';
    json_text::append_string(out, f.attacks[i]);
  }
  out += "],\"tags\":[";
  for (std::size_t i = 0; i < f.tags.size(); ++i) {
    if (i > 0) out += ',';
    json_text::append_string(out, f.tags[i]);
  }
  out += "],\"matched\":[";
  for (std::size_t i = 0; i < f.matched.size(); ++i) {
    if (i > 0) out += ',';
    out += '{';
    add_string(out, "selection", f.matched[i].selection);
    out += ',';
    add_string(out, "field", f.matched[i].field);
    out += ',';
    add_string(out, "value", f.matched[i].value);
    out += '}';
  }
  out += "],";
  add_string(out, "explanation", f.explanation);
  if (!f.user.empty()) {
    out += ",\"actor\":{\"user\":{";
    add_string(out, "name", f.user);
    out += "}}";
  }
  if (!f.host.empty()) {
    out += ",\"device\":{";
    add_string(out, "hostname", f.host);
    out += '}';
  }
  if (!f.src_ip.empty()) {
    out += ",\"src_endpoint\":{";
    add_string(out, "ip", f.src_ip);
    out += '}';
  }
  out += ",\"evidences\":[";
  for (std::size_t i = 0; i < f.evidences.size(); ++i) {
    if (i > 0) out += ',';
    out += f.evidences[i].empty() ? std::string_view("null") : std::string_view(f.evidences[i]);
  }
  out += ']';
  if (!f.evidence_json.empty()) {
    out += ",\"evidence\":";
    out += f.evidence_json;
  }
  out += '}';
  return out;
}

}  // namespace mamori
