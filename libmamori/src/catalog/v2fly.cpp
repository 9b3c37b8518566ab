#include "mamori/catalog/v2fly.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "mamori/catalog/host.hpp"

namespace mamori::catalog {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool passes(const v2fly_rule& r, const v2fly_include& inc) {
  for (const auto& a : inc.with)
    if (std::find(r.attrs.begin(), r.attrs.end(), a) == r.attrs.end()) return false;
  for (const auto& a : inc.without)
    if (std::find(r.attrs.begin(), r.attrs.end(), a) != r.attrs.end()) return false;
  return true;
}

}  // namespace

void v2fly_db::load_text(std::string_view name, std::string_view text, diagnostics& diag,
                         load_stats& stats) {
  v2fly_list& list = lists_[std::string(name)];
  list.name = std::string(name);
  std::string group;
  std::uint64_t line_no = 0;
  std::size_t pos = 0;
  std::string normalized;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::size_t hash = line.find('#');
    std::string_view comment = hash == std::string_view::npos ? "" : line.substr(hash);
    while (!comment.empty() && (comment.front() == '#' || comment.front() == ' '))
      comment.remove_prefix(1);
    comment = trim(comment);
    line = trim(hash == std::string_view::npos ? line : line.substr(0, hash));
    if (line.empty()) {
      // A comment on its own line names the block below it; a blank line ends the block.
      if (!comment.empty())
        group = std::string(comment);
      else if (hash == std::string_view::npos)
        group.clear();
      if (end == text.size()) break;
      continue;
    }
    auto w = words(line);
    std::string_view head = w[0];
    if (head.starts_with("include:")) {
      v2fly_include inc;
      inc.list = std::string(head.substr(8));
      for (std::size_t k = 1; k < w.size(); ++k) {
        if (w[k].starts_with("@-"))
          inc.without.emplace_back(w[k].substr(2));
        else if (w[k].starts_with("@"))
          inc.with.emplace_back(w[k].substr(1));
      }
      list.includes.push_back(std::move(inc));
      continue;
    }
    if (head.starts_with("keyword:")) {
      ++stats.keywords_skipped;
      continue;
    }
    if (head.starts_with("regexp:")) {
      ++stats.regexps_skipped;
      continue;
    }
    v2fly_rule r;
    std::string_view dom = head;
    if (dom.starts_with("full:")) {
      r.full = true;
      dom.remove_prefix(5);
    } else if (dom.starts_with("domain:")) {
      dom.remove_prefix(7);
    }
    if (normalize_host(dom, normalized) != host_kind::name) {
      ++stats.invalid;
      diag.report(severity_level::warning, {std::string(name), line_no, 0},
                  fmt::format("v2fly rule '{}' skipped: not a domain name", head));
      continue;
    }
    r.domain = normalized;
    r.group = group;
    std::vector<std::string> affiliations;
    for (std::size_t k = 1; k < w.size(); ++k) {
      if (w[k].starts_with("@"))
        r.attrs.emplace_back(w[k].substr(1));
      else if (w[k].starts_with("&"))
        affiliations.emplace_back(w[k].substr(1));
    }
    ++stats.rules;
    for (const auto& target : affiliations) {
      v2fly_list& t = lists_[target];
      t.name = target;
      t.rules.push_back(r);
    }
    // `list` may have moved if lists_ rehashed: std::map nodes are stable, so it did not.
    list.rules.push_back(std::move(r));
  }
}

result<v2fly_db::load_stats> v2fly_db::load_dir(const std::string& dir, diagnostics& diag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return fail(fmt::format("{}: not a directory (v2fly domain-list-community data/)", dir));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  load_stats stats;
  for (const auto& p : files) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      diag.report(severity_level::error, {p.string(), 0, 0}, "cannot read v2fly list");
      continue;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    load_text(p.filename().string(), ss.str(), diag, stats);
    ++stats.files;
  }
  return stats;
}

const v2fly_list* v2fly_db::find(std::string_view name) const {
  auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second;
}

std::vector<v2fly_resolved> v2fly_db::resolve(std::string_view name, diagnostics& diag) const {
  // Breadth-first over includes so each rule is first met at its smallest depth. A filter
  // applies to everything reached through the include that carries it.
  struct item {
    const v2fly_list* list;
    int depth;
    std::vector<const v2fly_include*> filters;
  };
  std::vector<v2fly_resolved> out;
  std::unordered_map<const v2fly_rule*, bool> seen_rules;
  std::set<std::pair<const v2fly_list*, std::vector<const v2fly_include*>>> seen_lists;
  const v2fly_list* root = find(name);
  if (root == nullptr) {
    diag.report(severity_level::error, {std::string(name), 0, 0}, "no such v2fly list");
    return out;
  }
  std::vector<item> queue{{root, 0, {}}};
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const item it = queue[q];
    if (!seen_lists.insert({it.list, it.filters}).second) continue;
    for (const auto& r : it.list->rules) {
      bool ok = true;
      for (const auto* f : it.filters) ok = ok && passes(r, *f);
      if (!ok || seen_rules.count(&r) > 0) continue;
      seen_rules[&r] = true;
      out.push_back({&r, it.depth});
    }
    for (const auto& inc : it.list->includes) {
      const v2fly_list* next = find(inc.list);
      if (next == nullptr) {
        diag.report(severity_level::warning, {it.list->name, 0, 0},
                    fmt::format("include:{} names no list", inc.list));
        continue;
      }
      item n{next, it.depth + 1, it.filters};
      if (!inc.with.empty() || !inc.without.empty()) n.filters.push_back(&inc);
      if (n.depth > 32) {
        diag.report(severity_level::warning, {it.list->name, 0, 0},
                    fmt::format("include chain through '{}' deeper than 32: cut", inc.list));
        continue;
      }
      queue.push_back(std::move(n));
    }
  }
  return out;
}

}  // namespace mamori::catalog
