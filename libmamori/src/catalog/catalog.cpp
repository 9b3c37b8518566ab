#include "mamori/catalog/catalog.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "mamori/output/json_text.hpp"

namespace mamori::catalog {

namespace {

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.' || c == ':' || c == '!' || c == '@';
    if (!ok) return false;
  }
  return true;
}

std::optional<attr> attr_by_name(std::string_view name) {
  for (std::size_t k = 0; k < attribute_count; ++k)
    if (attribute_specs[k].name == name) return static_cast<attr>(k);
  return std::nullopt;
}

result<std::string> string_of(simdjson::dom::element e, std::string_view what) {
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS)
    return fail(fmt::format("{} must be a string", what));
  return std::string(s);
}

result<std::vector<std::string>> strings_of(simdjson::dom::element e, std::string_view what) {
  simdjson::dom::array arr;
  if (e.get_array().get(arr) != simdjson::SUCCESS)
    return fail(fmt::format("{} must be an array of strings", what));
  std::vector<std::string> out;
  for (auto item : arr) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS)
      return fail(fmt::format("{} must be an array of strings", what));
    out.emplace_back(s);
  }
  return out;
}

result<attr_value> attr_of(simdjson::dom::element e, const attr_spec& sp) {
  attr_value v;
  if (e.is_null()) return v;
  v.known = true;
  switch (sp.type) {
    case attr_type::boolean: {
      bool b = false;
      if (e.get_bool().get(b) != simdjson::SUCCESS)
        return fail(fmt::format("{} must be true, false or null", sp.name));
      v.b = b;
      return v;
    }
    case attr_type::year:
    case attr_type::tier: {
      std::int64_t i = 0;
      if (e.get_int64().get(i) != simdjson::SUCCESS)
        return fail(fmt::format("{} must be an integer or null", sp.name));
      if (sp.type == attr_type::tier && (i < 1 || i > 5))
        return fail(fmt::format("{} must be between 1 and 5", sp.name));
      if (sp.type == attr_type::year && (i < 1800 || i > 2200))
        return fail(fmt::format("{} {} is not a plausible year", sp.name, i));
      v.i = i;
      return v;
    }
    case attr_type::text:
    case attr_type::country:
    case attr_type::ownership: {
      std::string_view s;
      if (e.get_string().get(s) != simdjson::SUCCESS)
        return fail(fmt::format("{} must be a string or null", sp.name));
      if (sp.type == attr_type::country) {
        const bool ok = s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
                        std::isupper(static_cast<unsigned char>(s[1]));
        if (!ok) return fail(fmt::format("{} '{}' is not an ISO 3166-1 alpha-2 code", sp.name, s));
      }
      if (sp.type == attr_type::ownership && s != "customer" && s != "shared" && s != "vendor")
        return fail(fmt::format("{} must be \"customer\", \"shared\" or \"vendor\"", sp.name));
      v.text = std::string(s);
      return v;
    }
    case attr_type::years: {
      simdjson::dom::array arr;
      if (e.get_array().get(arr) != simdjson::SUCCESS)
        return fail(fmt::format("{} must be an array of years or null", sp.name));
      for (auto item : arr) {
        std::int64_t y = 0;
        if (item.get_int64().get(y) != simdjson::SUCCESS || y < 1970 || y > 2200)
          return fail(fmt::format("{} must be an array of years", sp.name));
        v.years.push_back(static_cast<int>(y));
      }
      std::sort(v.years.begin(), v.years.end());
      return v;
    }
  }
  return v;
}

void append_attr(std::string& out, const attr_value& v, const attr_spec& sp) {
  if (!v.known) {
    out += "null";
    return;
  }
  switch (sp.type) {
    case attr_type::boolean:
      out += v.b ? "true" : "false";
      return;
    case attr_type::year:
    case attr_type::tier:
      out += std::to_string(v.i);
      return;
    case attr_type::years: {
      out += '[';
      for (std::size_t k = 0; k < v.years.size(); ++k) {
        if (k > 0) out += ',';
        out += std::to_string(v.years[k]);
      }
      out += ']';
      return;
    }
    default:
      json_text::append_string(out, v.text);
  }
}

void append_strings(std::string& out, const std::vector<std::string>& v) {
  out += '[';
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (k > 0) out += ',';
    json_text::append_string(out, v[k]);
  }
  out += ']';
}

}  // namespace

std::optional<domain_rule> parse_domain_rule(std::string_view written, std::string& why) {
  domain_rule r;
  std::string_view s = written;
  if (s.starts_with("full:")) {
    r.kind = rule_kind::exact;
    s.remove_prefix(5);
  } else if (s.starts_with("domain:")) {
    s.remove_prefix(7);
  } else if (s.starts_with("*.")) {
    r.kind = rule_kind::wildcard;
    s.remove_prefix(2);
  }
  if (s.find('*') != std::string_view::npos) {
    why = fmt::format("'{}': a wildcard may only be a leading '*.' label", written);
    return std::nullopt;
  }
  if (s.find('/') != std::string_view::npos) {
    why = fmt::format("'{}': a domain rule has no path", written);
    return std::nullopt;
  }
  r.host = normalize_host(s, r.domain);
  if (r.host == host_kind::invalid) {
    why = fmt::format("'{}' is not a valid domain name or IP address", written);
    return std::nullopt;
  }
  if (r.host != host_kind::name) {
    if (r.kind == rule_kind::wildcard) {
      why = fmt::format("'{}': an IP address cannot have a wildcard", written);
      return std::nullopt;
    }
    r.kind = rule_kind::exact;
  }
  return r;
}

std::string format_domain_rule(const domain_rule& r) {
  if (r.host != host_kind::name) return r.domain;
  switch (r.kind) {
    case rule_kind::exact:
      return "full:" + r.domain;
    case rule_kind::wildcard:
      return "*." + r.domain;
    case rule_kind::suffix:
      break;
  }
  return r.domain;
}

result<app> parse_app_json(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(line.data(), line.size()).get(root); err != simdjson::SUCCESS)
    return fail(fmt::format("invalid JSON: {}", simdjson::error_message(err)));
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return fail("an app must be a JSON object");
  app a;
  for (auto [key, val] : obj) {
    if (key == "id") {
      a.id = MAMORI_TRY(string_of(val, "id"));
    } else if (key == "name") {
      a.name = MAMORI_TRY(string_of(val, "name"));
    } else if (key == "category") {
      a.category = MAMORI_TRY(string_of(val, "category"));
    } else if (key == "tags") {
      a.tags = MAMORI_TRY(strings_of(val, "tags"));
    } else if (key == "website") {
      a.website = MAMORI_TRY(string_of(val, "website"));
    } else if (key == "description") {
      a.description = MAMORI_TRY(string_of(val, "description"));
    } else if (key == "sources") {
      a.sources = MAMORI_TRY(strings_of(val, "sources"));
    } else if (key == "v2fly") {
      a.v2fly = MAMORI_TRY(strings_of(val, "v2fly"));
      a.v2fly_given = true;
    } else if (key == "domains") {
      for (const auto& d : MAMORI_TRY(strings_of(val, "domains"))) {
        std::string why;
        auto r = parse_domain_rule(d, why);
        if (!r) return fail(why);
        a.domains.push_back(std::move(*r));
      }
    } else if (key == "score" || key == "risk" || key == "coverage") {
      // Written by `catalog show --score`; recomputed from the weights, never read.
    } else if (std::find(group_names.begin(), group_names.end(), key) != group_names.end()) {
      simdjson::dom::object group;
      if (val.get_object().get(group) != simdjson::SUCCESS)
        return fail(fmt::format("{} must be an object of attributes", key));
      for (auto [aname, aval] : group) {
        auto id = attr_by_name(aname);
        if (!id) return fail(fmt::format("unknown attribute '{}' in {}", aname, key));
        const attr_spec& sp = spec(*id);
        if (group_names[static_cast<std::size_t>(sp.group)] != key)
          return fail(fmt::format("attribute '{}' belongs to {}, not {}", aname,
                                  group_names[static_cast<std::size_t>(sp.group)], key));
        a.attrs[static_cast<std::size_t>(*id)] = MAMORI_TRY(attr_of(aval, sp));
      }
    } else {
      return fail(fmt::format("unknown key '{}' (docs/catalog.md lists the schema)", key));
    }
  }
  if (!valid_id(a.id))
    return fail(fmt::format("'id' is missing or not made of [a-z0-9._:!@-]: '{}'", a.id));
  if (a.name.empty()) a.name = a.id;
  if (a.category.empty()) a.category = "uncategorized";
  return a;
}

std::string app_to_json(const app& a, bool with_score) {
  std::string out = "{\"id\":";
  json_text::append_string(out, a.id);
  out += ",\"name\":";
  json_text::append_string(out, a.name);
  out += ",\"category\":";
  json_text::append_string(out, a.category);
  if (!a.tags.empty()) {
    out += ",\"tags\":";
    append_strings(out, a.tags);
  }
  if (!a.website.empty()) {
    out += ",\"website\":";
    json_text::append_string(out, a.website);
  }
  if (!a.description.empty()) {
    out += ",\"description\":";
    json_text::append_string(out, a.description);
  }
  out += ",\"domains\":[";
  for (std::size_t k = 0; k < a.domains.size(); ++k) {
    if (k > 0) out += ',';
    json_text::append_string(out, format_domain_rule(a.domains[k]));
  }
  out += ']';
  // Groups only when some attribute is known: uncurated apps stay one short line.
  for (std::size_t g = 0; g < group_count; ++g) {
    bool any = false;
    for (std::size_t k = 0; k < attribute_count; ++k)
      any = any || (static_cast<std::size_t>(attribute_specs[k].group) == g && a.attrs[k].known);
    if (!any) continue;
    out += ",\"";
    out += group_names[g];
    out += "\":{";
    bool first = true;
    for (std::size_t k = 0; k < attribute_count; ++k) {
      if (static_cast<std::size_t>(attribute_specs[k].group) != g) continue;
      if (!first) out += ',';
      first = false;
      json_text::append_string(out, attribute_specs[k].name);
      out += ':';
      append_attr(out, a.attrs[k], attribute_specs[k]);
    }
    out += '}';
  }
  if (!a.sources.empty()) {
    out += ",\"sources\":";
    append_strings(out, a.sources);
  }
  if (with_score) {
    out += ",\"score\":";
    out += a.score.score ? fmt::format("{:.1f}", *a.score.score) : "null";
    out += fmt::format(",\"coverage\":{:.2f}", a.score.coverage);
  }
  out += '}';
  return out;
}

result<std::size_t> app_catalog::load_file(const std::string& path, layer l, diagnostics& diag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("{}: cannot read the catalog file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_text(ss.str(), path, l, diag);
}

std::size_t app_catalog::load_text(std::string_view text, std::string_view name, layer l,
                                   diagnostics& diag) {
  std::size_t loaded = 0;
  std::uint64_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;  // blank, comment
    auto a = parse_app_json(line);
    if (!a) {
      diag.report(severity_level::error, {std::string(name), line_no, 0},
                  fmt::format("catalog entry skipped: {}", a.error().message));
      continue;
    }
    a->from = l;
    a->origin = fmt::format("{}:{}", name, line_no);
    add(std::move(*a));
    ++loaded;
  }
  return loaded;
}

void app_catalog::add(app a) {
  if (auto it = index_.find(a.id); it != index_.end()) {
    apps_[it->second] = std::move(a);
    return;
  }
  index_.emplace(a.id, apps_.size());
  apps_.push_back(std::move(a));
}

void app_catalog::finalize(const score_weights& w) {
  weights_ = w;
  matcher_ = domain_matcher{};
  fallback_ = domain_matcher{};
  // Lower layers first so higher layers overwrite the same rule; stable within a layer.
  std::vector<std::size_t> order(apps_.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return apps_[x].from < apps_[y].from; });
  for (std::size_t k : order) {
    app& a = apps_[k];
    a.score = compute_score(a.attrs, w);
    domain_matcher& m = a.from == layer::names ? fallback_ : matcher_;
    for (const auto& r : a.domains) m.set(r.domain, r.kind, static_cast<std::uint32_t>(k));
  }
}

lookup_result app_catalog::lookup(std::string_view host, host_kind kind) const {
  if (kind == host_kind::invalid) return {};
  auto m = matcher_.match(host, kind == host_kind::name);
  if (!m) m = fallback_.match(host, kind == host_kind::name);
  if (!m) return {};
  return {&apps_[m.value], m.kind, m.domain};
}

lookup_result app_catalog::lookup_destination(std::string_view raw, std::string& scratch) const {
  const host_kind kind = normalize_destination(raw, scratch);
  return lookup(scratch, kind);
}

const app* app_catalog::find(std::string_view id) const {
  auto it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : &apps_[it->second];
}

}  // namespace mamori::catalog
