#include "mamori/detect/sigma/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace mamori::sigma {

// Defined in the file CMake generates from data/sigma/pipeline.yml.
std::string_view embedded_default_pipeline();

namespace {

std::string pos(const std::string& name, const ynode& n) {
  return fmt::format("{}:{}:{}", name, n.line, n.column);
}

result<std::vector<std::string>> scalars(const ynode& n, const std::string& name,
                                         std::string_view what) {
  std::vector<std::string> out;
  if (n.is_scalar()) {
    out.push_back(n.text);
  } else if (n.is_sequence()) {
    for (const auto& i : n.items) {
      if (!i.is_scalar()) {
        return fail(fmt::format("{}: {} must be a string or a list of strings", pos(name, i),
                                what));
      }
      out.push_back(i.text);
    }
  } else {
    return fail(
        fmt::format("{}: {} must be a string or a list of strings", pos(name, n), what));
  }
  return out;
}

result<std::map<std::string, std::vector<std::string>, std::less<>>> name_map(
    const ynode& n, const std::string& name, std::string_view what) {
  std::map<std::string, std::vector<std::string>, std::less<>> out;
  if (n.is_null()) return out;
  if (!n.is_mapping()) return fail(fmt::format("{}: {} must be a mapping", pos(name, n), what));
  for (const auto& [k, v] : n.entries) {
    auto vals = scalars(v, name, what);
    if (!vals) return tl::unexpected(vals.error());
    out[k.text] = std::move(*vals);
  }
  return out;
}

}  // namespace

std::string_view logsource_pipeline::default_text() { return embedded_default_pipeline(); }

result<logsource_pipeline> logsource_pipeline::load_default() {
  logsource_pipeline p;
  auto r = p.merge_text(default_text(), "<builtin>/data/sigma/pipeline.yml");
  if (!r) return tl::unexpected(r.error());
  return p;
}

result<void> logsource_pipeline::merge_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return fail(fmt::format("{}: cannot open pipeline file", path));
  std::string text;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return merge_text(text, path);
}

result<void> logsource_pipeline::merge_text(std::string_view yaml, const std::string& name) {
  auto docs = parse_yaml(yaml);
  if (!docs) {
    return fail(fmt::format("{}:{}:{}: {}", name, docs.error().line, docs.error().column,
                            docs.error().message));
  }
  for (const ynode& doc : *docs) {
    if (doc.is_null()) continue;
    if (!doc.is_mapping()) return fail(fmt::format("{}: a pipeline must be a mapping", pos(name, doc)));
    for (const auto& [k, v] : doc.entries) {
      const std::string& key = k.text;
      if (key == "name" || key == "description" || key == "version") continue;
      if (key == "replace") {
        if (v.as_bool().value_or(false)) {
          *this = logsource_pipeline();
        }
        continue;
      }
      if (key == "formats") {
        auto m = name_map(v, name, "a format group");
        if (!m) return tl::unexpected(m.error());
        for (auto& [g, list] : *m) groups_[g] = std::move(list);
        continue;
      }
      if (key == "entities") {
        auto m = name_map(v, name, "an entity field list");
        if (!m) return tl::unexpected(m.error());
        for (auto& [g, list] : *m) entities_[g] = std::move(list);
        continue;
      }
      if (key == "placeholders") {
        auto m = name_map(v, name, "a placeholder value list");
        if (!m) return tl::unexpected(m.error());
        for (auto& [g, list] : *m) placeholders_[g] = std::move(list);
        continue;
      }
      if (key == "format_fields") {
        if (!v.is_mapping()) {
          return fail(fmt::format("{}: format_fields must be a mapping", pos(name, v)));
        }
        for (const auto& [fk, fv] : v.entries) {
          format_fields ff;
          if (const ynode* p = fv.get("prefixes")) {
            auto l = scalars(*p, name, "prefixes");
            if (!l) return tl::unexpected(l.error());
            ff.prefixes = std::move(*l);
          }
          if (const ynode* r = fv.get("fields")) {
            auto m = name_map(*r, name, "a field rename");
            if (!m) return tl::unexpected(m.error());
            ff.renames = std::move(*m);
          }
          format_fields_[fk.text] = std::move(ff);
        }
        continue;
      }
      if (key == "logsources") {
        if (!v.is_mapping()) {
          return fail(fmt::format("{}: logsources must be a mapping of entry names",
                                  pos(name, v)));
        }
        for (const auto& [ek, ev] : v.entries) {
          const std::string& entry_name = ek.text;  // clang 14 cannot capture a binding
          auto existing =
              std::find_if(entries_.begin(), entries_.end(),
                           [&](const pipeline_entry& e) { return e.name == entry_name; });
          if (ev.is_mapping() && ev.get("disabled") != nullptr &&
              ev.get("disabled")->as_bool().value_or(false)) {
            if (existing != entries_.end()) entries_.erase(existing);
            continue;
          }
          if (!ev.is_mapping()) {
            return fail(fmt::format("{}: logsource entry '{}' must be a mapping", pos(name, ev),
                                    ek.text));
          }
          pipeline_entry e;
          e.name = ek.text;
          e.where = {name, ek.line, ek.column};
          const ynode* ls = ev.get("logsource");
          if (ls == nullptr || !ls->is_mapping()) {
            return fail(fmt::format("{}: entry '{}' needs a logsource mapping", pos(name, ev),
                                    ek.text));
          }
          e.source.product = ascii_lower(ls->get_text("product"));
          e.source.service = ascii_lower(ls->get_text("service"));
          e.source.category = ascii_lower(ls->get_text("category"));
          if (e.source.empty()) {
            return fail(fmt::format("{}: entry '{}' has an empty logsource", pos(name, *ls),
                                    ek.text));
          }
          if (const ynode* w = ev.get("when")) {
            if (!w->is_mapping()) {
              return fail(fmt::format("{}: `when` must be a mapping", pos(name, *w)));
            }
            for (const auto& [ck, cv] : w->entries) {
              auto vals = scalars(cv, name, "a condition value");
              if (!vals) return tl::unexpected(vals.error());
              if (ck.text == "format") {
                for (auto& f : *vals) {
                  auto g = groups_.find(f);
                  if (g != groups_.end()) {
                    e.formats.insert(e.formats.end(), g->second.begin(), g->second.end());
                  } else {
                    e.formats.push_back(f);
                  }
                }
              } else {
                e.when.push_back({ck.text, std::move(*vals)});
              }
            }
          }
          if (const ynode* u = ev.get("unless")) {
            if (!u->is_mapping()) {
              return fail(fmt::format("{}: `unless` must be a mapping", pos(name, *u)));
            }
            for (const auto& [ck, cv] : u->entries) {
              auto vals = scalars(cv, name, "a condition value");
              if (!vals) return tl::unexpected(vals.error());
              e.unless.push_back({ck.text, std::move(*vals)});
            }
          }
          if (const ynode* f = ev.get("fields")) {
            auto m = name_map(*f, name, "a field mapping");
            if (!m) return tl::unexpected(m.error());
            e.fields = std::move(*m);
          }
          if (existing != entries_.end()) {
            *existing = std::move(e);
          } else {
            entries_.push_back(std::move(e));
          }
        }
        continue;
      }
      return fail(fmt::format("{}: unknown pipeline key '{}'", pos(name, k), key));
    }
  }
  sources_.push_back(name);
  return {};
}

std::vector<const pipeline_entry*> logsource_pipeline::resolve(const logsource& ls) const {
  auto keys_of = [](const logsource& l) {
    return (l.product.empty() ? 0 : 1) | (l.service.empty() ? 0 : 2) |
           (l.category.empty() ? 0 : 4);
  };
  const int rule_keys = keys_of(ls);
  auto agrees = [&](const pipeline_entry& e) {
    // Every key the rule states must be stated by the entry with the same value.
    if (!ls.product.empty() && e.source.product != ls.product) return false;
    if (!ls.service.empty() && e.source.service != ls.service) return false;
    if (!ls.category.empty() && e.source.category != ls.category) return false;
    return true;
  };
  std::vector<const pipeline_entry*> exact, specific;
  for (const auto& e : entries_) {
    if (!agrees(e)) continue;
    const int entry_keys = keys_of(e.source);
    if (entry_keys == rule_keys) {
      exact.push_back(&e);
    } else {
      specific.push_back(&e);
    }
  }
  return exact.empty() ? specific : exact;
}

std::vector<std::string> logsource_pipeline::format_names(std::string_view format,
                                                          std::string_view field) const {
  std::vector<std::string> out{std::string(field)};
  auto it = format_fields_.find(format);
  if (it == format_fields_.end()) return out;
  if (auto r = it->second.renames.find(field); r != it->second.renames.end()) {
    for (const auto& alt : r->second)
      if (std::find(out.begin(), out.end(), alt) == out.end()) out.push_back(alt);
  }
  for (const auto& p : it->second.prefixes) out.push_back(p + std::string(field));
  return out;
}

std::vector<std::string> logsource_pipeline::event_fields(const pipeline_entry& e,
                                                          std::string_view field) const {
  std::vector<std::string> base;
  if (auto it = e.fields.find(field); it != e.fields.end()) {
    base = it->second;
  } else {
    base.emplace_back(field);
  }
  std::vector<std::string> out;
  auto add = [&](const std::string& n) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  for (const auto& b : base) {
    add(b);
    for (const auto& f : e.formats)
      for (auto& alt : format_names(f, b)) add(alt);
    if (e.formats.empty()) {
      for (const auto& [f, ff] : format_fields_) {
        (void)ff;
        for (auto& alt : format_names(f, b)) add(alt);
      }
    }
  }
  return out;
}

const std::vector<std::string>& logsource_pipeline::entity_fields(std::string_view kind) const {
  static const std::vector<std::string> none;
  auto it = entities_.find(kind);
  return it == entities_.end() ? none : it->second;
}

const std::vector<std::string>& logsource_pipeline::format_group(std::string_view name) const {
  static const std::vector<std::string> none;
  auto it = groups_.find(name);
  return it == groups_.end() ? none : it->second;
}

result<void> load_placeholders(const std::string& path, placeholder_map& out) {
  auto docs = parse_yaml_file(path);
  if (!docs) {
    return fail(fmt::format("{}:{}:{}: {}", path, docs.error().line, docs.error().column,
                            docs.error().message));
  }
  for (const auto& doc : *docs) {
    if (doc.is_null()) continue;
    auto m = name_map(doc, path, "a placeholder value list");
    if (!m) return tl::unexpected(m.error());
    for (auto& [k, v] : *m) out[k] = std::move(v);
  }
  return {};
}

}  // namespace mamori::sigma
