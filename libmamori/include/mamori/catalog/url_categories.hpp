#pragma once
// URL categories (malware, phishing, adult, gambling, filehosting, webmail, remote-control,
// vpn, ...) from the UT1 blacklists of Université Toulouse Capitole (CC BY-SA 4.0). The lists
// are read at run time from a directory the user points at and never copied into mamori:
// `<dir>/<category>/domains` (a name and everything below it) and `<dir>/<category>/urls`
// (`host/path`: that host, `www.` ignored, and paths starting with that path). Regular
// expression lists (`expressions`) are not used. A host belongs to every category that lists it
// or one of its parent domains (squidGuard semantics).

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/catalog/domain_matcher.hpp"
#include "mamori/catalog/host.hpp"
#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"

namespace mamori::catalog {

inline constexpr std::size_t max_url_categories = 128;
using category_set = std::bitset<max_url_categories>;

// The default place of the UT1 lists, relative to the working directory (the repository root
// when run from a checkout next to the shared data): docs/catalog.md.
inline constexpr std::string_view default_ut1_dir =
    "../shared/data/reference/ut1_blacklists/blacklists";

class url_category_db {
 public:
  struct load_stats {
    std::size_t categories = 0;
    std::size_t domains = 0;
    std::size_t urls = 0;
    std::size_t invalid = 0;
  };

  // Loads the named categories (aliases from _ALIASES.txt accepted), or every category when
  // `only` is empty. A named category that does not exist is an error.
  result<load_stats> load_ut1(const std::string& dir, const std::vector<std::string>& only,
                              diagnostics& diag);

  // Adds entries directly (tests, user lists). `host` is normalized here.
  bool add_domain(std::string_view category, std::string_view domain);
  bool add_url(std::string_view category, std::string_view host_and_path);

  // Categories of a normalized host and a URL path ("" when unknown).
  category_set lookup(std::string_view host, host_kind kind, std::string_view path = {}) const;
  // For anything a log or proxy calls a destination (URL, host:port).
  category_set lookup_destination(std::string_view raw) const;

  std::optional<std::size_t> find(std::string_view category) const;
  std::string_view name(std::size_t id) const { return names_[id]; }
  std::vector<std::string_view> names(const category_set& s) const;
  std::size_t category_count() const { return names_.size(); }
  bool empty() const { return domains_.rules() == 0 && hosts_.rules() == 0; }
  std::size_t memory_bytes() const;

 private:
  std::size_t intern(std::string_view category);
  std::uint32_t merge(std::uint32_t set_index, std::size_t category);

  struct path_rule {
    std::string path;
    std::uint32_t set;
  };
  std::vector<std::string> names_;
  std::vector<category_set> sets_;
  domain_matcher domains_;  // suffix rules -> sets_ index
  domain_matcher hosts_;    // exact host (no www.) -> paths_ index
  std::vector<std::vector<path_rule>> paths_;
};

}  // namespace mamori::catalog
