#include "mamori/server/client.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>

namespace mamori::server {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string text(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::STRING: return std::string(e.get_string().value());
    case element_type::INT64: return std::to_string(e.get_int64().value());
    case element_type::UINT64: return std::to_string(e.get_uint64().value());
    case element_type::DOUBLE: return fmt::format("{}", e.get_double().value());
    case element_type::BOOL: return e.get_bool().value() ? "true" : "false";
    case element_type::NULL_VALUE: return "-";
    default: return simdjson::to_string(e);
  }
}

std::string field(simdjson::dom::element e, std::string_view path) {
  while (true) {
    if (!e.is_object()) return "-";
    auto dot = path.find('.');
    auto child = e[path.substr(0, dot)];
    if (child.error()) return "-";
    e = child.value();
    if (dot == std::string_view::npos) return text(e);
    path.remove_prefix(dot + 1);
  }
}

std::string clip(std::string s, std::size_t n) {
  if (s.size() > n) s = s.substr(0, n - 1) + "…";
  return s;
}

}  // namespace

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

result<client_options> resolve_client(std::string url, std::string token, std::string token_file,
                                      std::string ca_file, bool insecure) {
  client_options c;
  c.url = !url.empty() ? url : env("MAMORI_URL");
  if (c.url.empty()) c.url = "http://127.0.0.1:8443";
  while (!c.url.empty() && c.url.back() == '/') c.url.pop_back();
  if (token.empty()) token = env("MAMORI_TOKEN");
  if (token.empty()) {
    if (token_file.empty()) token_file = env("MAMORI_TOKEN_FILE");
    if (!token_file.empty()) {
      std::ifstream in(token_file);
      if (!in || !std::getline(in, token)) return fail(fmt::format("{}: cannot read the token", token_file));
    }
  }
  if (token.empty())
    return fail("no API token: use --token-file FILE, or set MAMORI_TOKEN or MAMORI_TOKEN_FILE "
                "(the first admin token is in DATA/admin.token)");
  c.token = token;
  c.http.ca_file = ca_file;
  c.http.insecure = insecure;
  return c;
}

result<std::string> api_call(const client_options& c, const std::string& method, const std::string& path,
                             const std::string& body) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + c.token}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  auto r = MAMORI_TRY(http_call(method, c.url + path, headers, body, c.http));
  if (r.status < 200 || r.status >= 300) {
    std::string msg = r.body;
    simdjson::dom::parser p;
    auto doc = p.parse(r.body);
    if (!doc.error() && doc.is_object() && !doc["error"].error()) msg = text(doc["error"].value());
    return fail(fmt::format("server answered {}: {}", r.status, msg));
  }
  return r.body;
}

std::string render_search(const std::string& json) {
  simdjson::dom::parser p;
  auto doc = p.parse(json);
  if (doc.error()) return json + "\n";
  std::string out;
  auto root = doc.value();
  if (!root["count"].error()) {
    out += fmt::format("{}\n", text(root["count"].value()));
  } else if (!root["groups"].error()) {
    std::vector<std::string> keys;
    for (auto g : root["groups"].get_array()) {
      if (keys.empty())
        for (auto [k, v] : g.get_object())
          if (k != "count") keys.emplace_back(k);
      std::string line;
      // Group keys are flat ("actor.user.name" is one key), not paths into nested objects.
      for (const auto& k : keys) {
        auto v = g.at_key(k);
        line += fmt::format("{:<32} ", clip(v.error() ? "-" : text(v.value()), 32));
      }
      out += fmt::format("{}{:>10}\n", line, text(g["count"].value()));
    }
    out = [&] {
      std::string head;
      for (const auto& k : keys) head += fmt::format("{:<32} ", clip(k, 32));
      return head + fmt::format("{:>10}\n", "COUNT") + out;
    }();
  } else if (!root["histogram"].error()) {
    for (auto b : root["histogram"].get_array())
      out += fmt::format("{}  {:>10}\n", text(b["time"].value()), text(b["count"].value()));
  } else if (!root["events"].error()) {
    for (auto e : root["events"].get_array()) {
      auto ev = e["event"].value();
      out += fmt::format("{}  {:<16} {:<22} {:<16} {:<28} {}\n", text(e["time"].value()),
                         clip(field(ev, "actor.user.name"), 16), clip(field(ev, "api.operation"), 22),
                         clip(field(ev, "src_endpoint.ip"), 16), clip(field(ev, "class_name"), 28),
                         clip(field(ev, "status"), 10));
    }
  }
  if (!root["partial"].error() && root["partial"].is_bool() && root["partial"].get_bool().value())
    out += "(partial: the scan limit or timeout was reached)\n";
  return out;
}

std::string render_findings(const std::string& json) {
  simdjson::dom::parser p;
  auto doc = p.parse(json);
  if (doc.error()) return json + "\n";
  std::string out = fmt::format("{:<8} {:<22} {:<9} {:<34} {:<16} {:<16} {}\n", "ID", "TIME", "LEVEL", "RULE",
                                "USER", "SOURCE", "CASE");
  for (auto f : doc["findings"].get_array()) {
    out += fmt::format("{:<8} {:<22} {:<9} {:<34} {:<16} {:<16} {}\n", text(f["id"].value()),
                       clip(field(f, "time_dt"), 22), field(f, "rule.level"), clip(field(f, "rule.name"), 34),
                       clip(field(f, "actor.user.name"), 16), clip(field(f, "src_endpoint.ip"), 16),
                       field(f, "case_id"));
  }
  return out;
}

std::string render_cases(const std::string& json) {
  simdjson::dom::parser p;
  auto doc = p.parse(json);
  if (doc.error()) return json + "\n";
  std::string out = fmt::format("{:<6} {:<10} {:<9} {:<22} {:<40} {:<12} {}\n", "ID", "STATE", "SEVERITY",
                                "SCENARIO", "TITLE", "ASSIGNEE", "FINDINGS");
  for (auto c : doc["cases"].get_array()) {
    out += fmt::format("{:<6} {:<10} {:<9} {:<22} {:<40} {:<12} {}\n", text(c["id"].value()), field(c, "state"),
                       field(c, "severity"), clip(field(c, "scenario"), 22), clip(field(c, "title"), 40),
                       clip(field(c, "assignee"), 12), field(c, "findings_count"));
  }
  return out;
}

std::string render_case(const std::string& json) {
  simdjson::dom::parser p;
  auto doc = p.parse(json);
  if (doc.error()) return json + "\n";
  auto c = doc.value();
  std::string out = fmt::format("Case {}: {}\n  state {}  severity {}  assignee {}  verdict {}\n  entity {} {}  "
                                "first {}  last {}\n",
                                field(c, "id"), field(c, "title"), field(c, "state"), field(c, "severity"),
                                field(c, "assignee"), field(c, "verdict"), field(c, "entity.kind"),
                                field(c, "entity.value"), field(c, "first_seen"), field(c, "last_seen"));
  if (!c["tier1"].error()) {
    for (auto t : c["tier1"].get_array()) {
      out += fmt::format("\nScenario {}: {}\n", field(t, "scenario"), field(t, "question"));
      for (auto s : t["steps"].get_array()) out += fmt::format("  - {}\n", text(s));
    }
  }
  if (!c["evidence"].error()) {
    out += "\nEvidence\n";
    for (auto e : c["evidence"].get_array()) {
      out += fmt::format("  [{}] {}\n    {}\n", field(e, "name"), field(e, "title"), field(e, "query"));
      if (!e["skipped"].error()) out += fmt::format("    skipped: {}\n", field(e, "skipped"));
      else if (!e["error"].error()) out += fmt::format("    error: {}\n", field(e, "error"));
      else if (!e["result"].error()) {
        std::string r = render_search(simdjson::to_string(e["result"].value()));
        std::size_t lines = 0;
        std::size_t pos = 0;
        while (pos < r.size() && lines < 10) {
          auto nl = r.find('\n', pos);
          out += "    " + r.substr(pos, nl - pos) + "\n";
          pos = nl == std::string::npos ? r.size() : nl + 1;
          ++lines;
        }
      }
    }
  }
  if (!c["findings"].error()) {
    out += "\nFindings\n";
    for (auto f : c["findings"].get_array())
      out += fmt::format("  {} {} {} — {}\n", field(f, "time_dt"), field(f, "rule.level"), field(f, "rule.name"),
                         clip(field(f, "explanation"), 100));
  }
  if (!c["audit"].error()) {
    out += "\nAudit\n";
    for (auto a : c["audit"].get_array())
      out += fmt::format("  {} {} {} {}\n", field(a, "time"), field(a, "actor"), field(a, "action"),
                         clip(simdjson::to_string(a["detail"].value()), 100));
  }
  return out;
}

}  // namespace mamori::server
