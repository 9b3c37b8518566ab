#include "mamori/detect/sigma/rule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace mamori::sigma {

std::string location::to_string() const {
  if (line == 0) return file;
  if (column == 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string logsource::to_string() const {
  std::string out;
  auto add = [&](std::string_view k, const std::string& v) {
    if (v.empty()) return;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", k, v);
  };
  add("product", product);
  add("service", service);
  add("category", category);
  return out.empty() ? std::string("(empty)") : out;
}

std::string rule::display_name() const {
  if (!title.empty()) return title;
  if (!id.empty()) return id;
  return where.to_string();
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

namespace {

// Deep merge for collections: keys of `over` replace those of `base`, mappings merge.
ynode merge(const ynode& base, const ynode& over) {
  if (!base.is_mapping() || !over.is_mapping()) return over;
  ynode out = base;
  for (const auto& [k, v] : over.entries) {
    bool found = false;
    for (auto& [bk, bv] : out.entries) {
      if (bk.is_scalar() && k.is_scalar() && bk.text == k.text) {
        bv = merge(bv, v);
        found = true;
        break;
      }
    }
    if (!found) out.entries.push_back({k, v});
  }
  out.line = over.line != 0 ? over.line : base.line;
  return out;
}

std::vector<std::string> string_list(const ynode* n) {
  std::vector<std::string> out;
  if (n == nullptr) return out;
  if (n->is_scalar()) {
    out.push_back(n->text);
  } else if (n->is_sequence()) {
    for (const auto& i : n->items)
      if (i.is_scalar()) out.push_back(i.text);
  }
  return out;
}

class collector {
 public:
  collector(const std::string& file, rule_collection& out) : file_(file), out_(out) {}

  void document(const ynode& doc) {
    ++out_.documents;
    if (doc.is_null()) return;  // an empty document (e.g. a trailing ---)
    if (!doc.is_mapping()) {
      invalid({file_, doc.line, doc.column}, "", "", "a Sigma document must be a YAML mapping");
      return;
    }
    const std::string action(doc.get_text("action"));
    if (!action.empty()) {
      ynode rest;
      rest.k = ynode::kind::mapping;
      rest.line = doc.line;
      for (const auto& e : doc.entries)
        if (!(e.first.is_scalar() && e.first.text == "action")) rest.entries.push_back(e);
      if (action == "global") {
        global_ = has_global_ ? merge(global_, rest) : rest;
        has_global_ = true;
      } else if (action == "reset") {
        global_ = {};
        has_global_ = false;
      } else if (action == "repeat") {
        if (!has_previous_) {
          invalid({file_, doc.line, doc.column}, "", "",
                  "`action: repeat` without a previous rule document in the file");
          return;
        }
        previous_ = merge(previous_, rest);
        make_rule(previous_);
      } else {
        invalid({file_, doc.line, doc.column}, "", "",
                fmt::format("unknown collection action '{}' (global, reset or repeat)", action));
      }
      return;
    }
    previous_ = has_global_ ? merge(global_, doc) : doc;
    has_previous_ = true;
    make_rule(previous_);
  }

 private:
  void invalid(location where, std::string rule_name, std::string id, std::string reason) {
    out_.problems.push_back(
        {problem_kind::invalid, std::move(where), std::move(rule_name), std::move(id),
         std::move(reason)});
  }

  void make_rule(const ynode& doc) {
    rule r;
    r.where = {file_, doc.line, doc.column};
    r.title = std::string(doc.get_text("title"));
    r.id = std::string(doc.get_text("id"));
    r.name = std::string(doc.get_text("name"));
    r.status = ascii_lower(doc.get_text("status"));
    r.level = ascii_lower(doc.get_text("level"));
    r.description = std::string(doc.get_text("description"));
    r.author = std::string(doc.get_text("author"));
    r.tags = string_list(doc.get("tags"));
    r.falsepositives = string_list(doc.get("falsepositives"));
    r.references = string_list(doc.get("references"));
    if (const ynode* g = doc.get("generate"); g != nullptr && g->is_scalar()) r.generate = g->text;

    const ynode* det = doc.get("detection");
    const ynode* flt = doc.get("filter");
    const ynode* cor = doc.get("correlation");
    const int kinds = (det != nullptr) + (flt != nullptr) + (cor != nullptr);
    if (kinds == 0) {
      invalid(r.where, r.display_name(), r.id,
              "no detection, filter or correlation section: not a Sigma rule");
      return;
    }
    if (kinds > 1) {
      invalid(r.where, r.display_name(), r.id,
              "a document may hold only one of detection, filter or correlation");
      return;
    }
    if (r.title.empty()) {
      invalid(r.where, r.display_name(), r.id, "missing title (mandatory)");
      return;
    }
    if (!r.level.empty() && r.level != "informational" && r.level != "low" &&
        r.level != "medium" && r.level != "high" && r.level != "critical") {
      const ynode* l = doc.get("level");
      invalid({file_, l->line, l->column}, r.display_name(), r.id,
              fmt::format("unknown level '{}' (informational, low, medium, high, critical)",
                          r.level));
      return;
    }
    if (const ynode* ls = doc.get("logsource"); ls != nullptr) {
      if (!ls->is_mapping()) {
        invalid({file_, ls->line, ls->column}, r.display_name(), r.id,
                "logsource must be a mapping");
        return;
      }
      r.source.product = ascii_lower(ls->get_text("product"));
      r.source.service = ascii_lower(ls->get_text("service"));
      r.source.category = ascii_lower(ls->get_text("category"));
    }
    if (det != nullptr) {
      r.type = rule_type::detection;
      if (!det->is_mapping()) {
        invalid({file_, det->line, det->column}, r.display_name(), r.id,
                "detection must be a mapping of search identifiers and a condition");
        return;
      }
      if (doc.get("logsource") == nullptr) {
        invalid(r.where, r.display_name(), r.id, "missing logsource (mandatory)");
        return;
      }
      r.detection = *det;
    } else if (flt != nullptr) {
      r.type = rule_type::filter;
      if (!flt->is_mapping()) {
        invalid({file_, flt->line, flt->column}, r.display_name(), r.id,
                "filter must be a mapping with rules, selections and a condition");
        return;
      }
      r.filter = *flt;
    } else {
      r.type = rule_type::correlation;
      if (!cor->is_mapping()) {
        invalid({file_, cor->line, cor->column}, r.display_name(), r.id,
                "correlation must be a mapping");
        return;
      }
      r.correlation = *cor;
      if (r.generate.empty()) {
        if (const ynode* g = cor->get("generate"); g != nullptr && g->is_scalar()) {
          r.generate = g->text;
        }
      }
    }
    out_.rules.push_back(std::move(r));
  }

  const std::string& file_;
  rule_collection& out_;
  ynode global_;
  bool has_global_ = false;
  ynode previous_;
  bool has_previous_ = false;
};

bool is_rule_file(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  return ext == ".yml" || ext == ".yaml";
}

void collect_file(const std::string& file, rule_collection& out) {
  ++out.files;
  auto docs = parse_yaml_file(file);
  if (!docs) {
    out.problems.push_back({problem_kind::invalid,
                            {file, docs.error().line, docs.error().column},
                            "",
                            "",
                            "YAML: " + docs.error().message});
    return;
  }
  collector c(file, out);
  for (const auto& d : *docs) c.document(d);
}

}  // namespace

void collect_text(std::string_view text, const std::string& name, rule_collection& out) {
  ++out.files;
  auto docs = parse_yaml(text);
  if (!docs) {
    out.problems.push_back({problem_kind::invalid,
                            {name, docs.error().line, docs.error().column},
                            "",
                            "",
                            "YAML: " + docs.error().message});
    return;
  }
  collector c(name, out);
  for (const auto& d : *docs) c.document(d);
}

void collect_path(const std::string& path, rule_collection& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    out.problems.push_back(
        {problem_kind::invalid, {path, 0, 0}, "", "", "rule path does not exist"});
    return;
  }
  if (!fs::is_directory(status)) {
    collect_file(path, out);
    return;
  }
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied,
                                           ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_rule_file(it->path())) files.push_back(it->path().string());
  }
  if (ec) {
    out.problems.push_back(
        {problem_kind::invalid, {path, 0, 0}, "", "", "cannot list directory: " + ec.message()});
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) collect_file(f, out);
}

}  // namespace mamori::sigma
