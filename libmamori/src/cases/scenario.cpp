#include "mamori/cases/scenario.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "mamori/store/query.hpp"

namespace mamori::cases {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
    return out;
  }
  for (const auto& x : n) out.push_back(x.as<std::string>());
  return out;
}

result<scenario_template> parse(const YAML::Node& root, const std::string& file) {
  scenario_template t;
  t.file = file;
  if (!root.IsMap()) return fail("a scenario must be a mapping");
  static const char* const keys[] = {"id", "title", "description", "match", "question", "steps",
                                     "evidence", "verdicts", "watch"};
  for (const auto& kv : root) {
    const auto k = kv.first.as<std::string>();
    if (std::find_if(std::begin(keys), std::end(keys), [&](const char* x) { return k == x; }) == std::end(keys))
      return fail(fmt::format("line {}: unknown key '{}'", kv.first.Mark().line + 1, k));
  }
  if (!root["id"] || !root["title"] || !root["question"])
    return fail("id, title and question are required");
  t.id = root["id"].as<std::string>();
  t.title = root["title"].as<std::string>();
  if (root["description"]) t.description = root["description"].as<std::string>();
  t.question = root["question"].as<std::string>();
  if (auto m = root["match"]) {
    t.rules = strings(m["rules"]);
    for (auto& tag : strings(m["tags"])) t.tags.push_back(lower(tag));
    t.sources = strings(m["sources"]);
  }
  t.steps = strings(root["steps"]);
  if (auto ev = root["evidence"]) {
    if (!ev.IsSequence()) return fail(fmt::format("line {}: evidence must be a list", ev.Mark().line + 1));
    for (const auto& e : ev) {
      evidence_query q;
      if (!e["name"] || !e["query"])
        return fail(fmt::format("line {}: each evidence query needs name and query", e.Mark().line + 1));
      q.name = e["name"].as<std::string>();
      q.title = e["title"] ? e["title"].as<std::string>() : q.name;
      q.query = e["query"].as<std::string>();
      // Validate the query with sample values, so a typo is caught at load time.
      std::string probe = q.query;
      for (const char* ph : {"{user}", "{src_ip}", "{host}", "{entity}", "{rule}"}) {
        for (auto pos = probe.find(ph); pos != std::string::npos; pos = probe.find(ph))
          probe.replace(pos, std::strlen(ph), "\"x\"");
      }
      const std::pair<const char*, const char*> times[] = {{"{baseline_start}", "2023-12-01T00:00:00Z"},
                                                           {"{start}", "2024-01-01T00:00:00Z"},
                                                           {"{end}", "2024-01-02T00:00:00Z"}};
      for (const auto& [ph, when] : times) {
        for (auto pos = probe.find(ph); pos != std::string::npos; pos = probe.find(ph))
          probe.replace(pos, std::strlen(ph), when);
      }
      if (auto pq = store::parse_query(probe, 0); !pq)
        return fail(fmt::format("line {}: evidence '{}': {}", e.Mark().line + 1, q.name, pq.error().message));
      t.evidence.push_back(std::move(q));
    }
  }
  if (auto v = root["verdicts"]) {
    for (const auto& kv : v) {
      const auto k = kv.first.as<std::string>();
      if (k != "confirmed" && k != "refuted" && k != "undetermined")
        return fail(fmt::format("line {}: verdicts are confirmed, refuted, undetermined", kv.first.Mark().line + 1));
      t.verdicts[k] = kv.second.as<std::string>();
    }
  }
  if (auto w = root["watch"]) {
    auto d = store::parse_duration(w.as<std::string>());
    if (!d) return fail(fmt::format("line {}: watch must be a duration (24h)", w.Mark().line + 1));
    t.watch_s = static_cast<double>(*d) / 1e9;
  }
  return t;
}

bool rule_matches(const std::string& pattern, const std::string& uid) {
  if (!pattern.empty() && pattern.back() == '*') return uid.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
  return pattern == uid;
}

}  // namespace

std::string quote_value(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

result<std::vector<scenario_template>> load_scenarios(const std::string& dir, diagnostics& diag) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    const auto p = de.path().string();
    if (p.ends_with(".yaml") || p.ends_with(".yml")) files.push_back(p);
  }
  if (ec) return fail(fmt::format("{}: cannot read scenario templates: {}", dir, ec.message()));
  std::sort(files.begin(), files.end());
  std::vector<scenario_template> out;
  for (const auto& f : files) {
    try {
      auto t = parse(YAML::LoadFile(f), f);
      if (!t) {
        diag.report(severity_level::error, {f, 0, 0}, t.error().message);
        continue;
      }
      out.push_back(std::move(*t));
    } catch (const YAML::Exception& e) {
      diag.report(severity_level::error, {f, static_cast<std::uint64_t>(e.mark.line + 1), 0}, e.msg);
    }
  }
  if (out.empty()) return fail(fmt::format("{}: no usable scenario template", dir));
  return out;
}

const scenario_template* match_scenario(const std::vector<scenario_template>& all, const finding& f) {
  for (const auto& t : all)
    for (const auto& r : t.rules)
      if (rule_matches(r, f.rule_uid)) return &t;
  std::vector<std::string> tags;
  for (const auto& a : f.attacks) tags.push_back(lower(a));
  for (const auto& a : f.tags) tags.push_back(lower(a));
  for (const auto& t : all)
    for (const auto& want : t.tags)
      for (const auto& have : tags)
        if (have == want || have == "attack." + want || "attack." + have == want) return &t;
  for (const auto& t : all)
    for (const auto& s : t.sources)
      if (s == f.rule_source) return &t;
  for (const auto& t : all)
    if (t.id == "generic") return &t;
  return nullptr;
}

}  // namespace mamori::cases
