#include "mamori/catalog/url_categories.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace mamori::catalog {

namespace {

// "www.", "www2." ... are the same site for UT1's url lists (as in squidGuard).
std::string_view strip_www(std::string_view host) {
  if (!host.starts_with("www")) return host;
  std::size_t i = 3;
  while (i < host.size() && host[i] >= '0' && host[i] <= '9') ++i;
  if (i < host.size() && host[i] == '.' && i + 1 < host.size()) return host.substr(i + 1);
  return host;
}

bool read_file(const std::filesystem::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    f(line);
  }
}

}  // namespace

std::size_t url_category_db::intern(std::string_view category) {
  for (std::size_t k = 0; k < names_.size(); ++k)
    if (names_[k] == category) return k;
  names_.emplace_back(category);
  return names_.size() - 1;
}

std::optional<std::size_t> url_category_db::find(std::string_view category) const {
  for (std::size_t k = 0; k < names_.size(); ++k)
    if (names_[k] == category) return k;
  return std::nullopt;
}

std::uint32_t url_category_db::merge(std::uint32_t set_index, std::size_t category) {
  category_set s;
  if (set_index != domain_matcher::none) s = sets_[set_index];
  if (s.test(category)) return set_index;
  s.set(category);
  // Few distinct combinations exist: a linear search of the recent ones keeps this simple.
  for (std::size_t k = sets_.size(); k-- > 0 && k + 256 >= sets_.size();)
    if (sets_[k] == s) return static_cast<std::uint32_t>(k);
  sets_.push_back(s);
  return static_cast<std::uint32_t>(sets_.size() - 1);
}

bool url_category_db::add_domain(std::string_view category, std::string_view domain) {
  std::string host;
  const host_kind kind = normalize_host(domain, host);
  if (kind == host_kind::invalid) return false;
  const std::size_t c = intern(category);
  if (c >= max_url_categories) return false;
  auto& slot = domains_.slot(host, kind == host_kind::name ? rule_kind::suffix : rule_kind::exact);
  slot = merge(slot, c);
  return true;
}

bool url_category_db::add_url(std::string_view category, std::string_view host_and_path) {
  const std::size_t slash = host_and_path.find('/');
  if (slash == std::string_view::npos || slash + 1 >= host_and_path.size())
    return add_domain(category, host_and_path.substr(0, slash));
  std::string host;
  const host_kind kind = normalize_host(host_and_path.substr(0, slash), host);
  if (kind == host_kind::invalid) return false;
  const std::size_t c = intern(category);
  if (c >= max_url_categories) return false;
  std::string key(strip_www(host));
  auto& slot = hosts_.slot(key, rule_kind::exact);
  if (slot == domain_matcher::none) {
    slot = static_cast<std::uint32_t>(paths_.size());
    paths_.emplace_back();
  }
  auto& rules = paths_[slot];
  std::string path(host_and_path.substr(slash));
  for (auto& r : rules) {
    if (r.path == path) {
      r.set = merge(r.set, c);
      return true;
    }
  }
  rules.push_back({std::move(path), merge(domain_matcher::none, c)});
  return true;
}

category_set url_category_db::lookup(std::string_view host, host_kind kind,
                                     std::string_view path) const {
  category_set out;
  if (kind == host_kind::invalid) return out;
  if (kind == host_kind::name) {
    domains_.visit(host, [&](std::uint32_t v, rule_kind) { out |= sets_[v]; });
  } else {
    if (auto m = domains_.match(host, false)) out |= sets_[m.value];
  }
  if (!paths_.empty()) {
    const std::uint32_t idx = hosts_.get(strip_www(host), rule_kind::exact);
    if (idx != domain_matcher::none) {
      for (const auto& r : paths_[idx])
        if (path.starts_with(r.path)) out |= sets_[r.set];
    }
  }
  return out;
}

category_set url_category_db::lookup_destination(std::string_view raw) const {
  const url_parts parts = split_url(raw);
  std::string host;
  const host_kind kind = normalize_host(parts.host, host);
  return lookup(host, kind, parts.path);
}

std::vector<std::string_view> url_category_db::names(const category_set& s) const {
  std::vector<std::string_view> out;
  for (std::size_t k = 0; k < names_.size(); ++k)
    if (s.test(k)) out.push_back(names_[k]);
  return out;
}

std::size_t url_category_db::memory_bytes() const {
  std::size_t paths = 0;
  for (const auto& p : paths_) paths += p.capacity() * sizeof(path_rule) + p.size() * 24;
  return domains_.memory_bytes() + hosts_.memory_bytes() + paths +
         sets_.capacity() * sizeof(category_set);
}

result<url_category_db::load_stats> url_category_db::load_ut1(const std::string& dir,
                                                              const std::vector<std::string>& only,
                                                              diagnostics& diag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return fail(fmt::format(
        "{}: UT1 blacklists directory not found (set its path with --ut1 or ut1_path in the "
        "policy; docs/catalog.md)",
        dir));
  std::map<std::string, std::string> aliases;
  std::string text;
  if (read_file(fs::path(dir) / "_ALIASES.txt", text)) {
    for_each_line(text, [&](std::string_view line) {
      const std::size_t arrow = line.find("->");
      if (arrow == std::string_view::npos) return;
      std::string_view from = line.substr(0, arrow), to = line.substr(arrow + 2);
      while (!from.empty() && from.back() == ' ') from.remove_suffix(1);
      while (!to.empty() && to.front() == ' ') to.remove_prefix(1);
      aliases[std::string(from)] = std::string(to);
    });
  }
  std::vector<std::string> wanted;
  if (only.empty()) {
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory()) wanted.push_back(e.path().filename().string());
    std::sort(wanted.begin(), wanted.end());
  } else {
    for (const auto& c : only) {
      std::string real = c;
      if (auto it = aliases.find(c); it != aliases.end()) real = it->second;
      if (!fs::is_directory(fs::path(dir) / real, ec))
        return fail(fmt::format("{}: no UT1 category '{}'", dir, c));
      wanted.push_back(real);
    }
  }
  load_stats stats;
  for (const auto& cat : wanted) {
    const fs::path base = fs::path(dir) / cat;
    bool any = false;
    if (read_file(base / "domains", text)) {
      any = true;
      for_each_line(text, [&](std::string_view line) {
        if (add_domain(cat, line))
          ++stats.domains;
        else
          ++stats.invalid;
      });
    }
    if (read_file(base / "urls", text)) {
      any = true;
      for_each_line(text, [&](std::string_view line) {
        if (add_url(cat, line))
          ++stats.urls;
        else
          ++stats.invalid;
      });
    }
    if (any) {
      intern(cat);
      ++stats.categories;
    }
    if (names_.size() > max_url_categories) {
      diag.report(severity_level::warning, {dir, 0, 0},
                  fmt::format("more than {} categories: the rest are ignored", max_url_categories));
      break;
    }
  }
  return stats;
}

}  // namespace mamori::catalog
