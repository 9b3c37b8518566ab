#pragma once
// Reader for v2fly domain-list-community `data/` (MIT): one file per list, lines
//   domain:example.com @attr   (or a bare name)   the domain and its subdomains
//   full:host.example.com                          that name only
//   keyword:foo / regexp:...                       skipped (counted): not domain rules
//   include:other @attr @-attr                     the rules of another list, filtered by
//                                                  attributes (with / without)
//   ... &target                                    the rule also belongs to list `target`
// `#` starts a comment anywhere on a line. Format: the project's README, "Structure of data".

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"

namespace mamori::catalog {

struct v2fly_rule {
  std::string domain;              // normalized
  bool full = false;               // full: (exact) vs domain: (suffix)
  std::vector<std::string> attrs;  // without '@'
  std::string group;  // the comment heading the block the rule is in ("# CodeRabbit"), or ""
};

struct v2fly_include {
  std::string list;
  std::vector<std::string> with;     // @attr
  std::vector<std::string> without;  // @-attr
};

struct v2fly_list {
  std::string name;
  std::vector<v2fly_rule> rules;  // declared in this list (and affiliations into it)
  std::vector<v2fly_include> includes;
};

struct v2fly_resolved {
  const v2fly_rule* rule = nullptr;
  int depth = 0;  // 0 = declared in the list itself, 1 = through one include, ...
};

class v2fly_db {
 public:
  struct load_stats {
    std::size_t files = 0;
    std::size_t rules = 0;
    std::size_t keywords_skipped = 0;
    std::size_t regexps_skipped = 0;
    std::size_t invalid = 0;
  };

  // Reads every file of the directory (the list name is the file name).
  result<load_stats> load_dir(const std::string& dir, diagnostics& diag);
  // Parses one list's text (tests, and load_dir).
  void load_text(std::string_view name, std::string_view text, diagnostics& diag,
                 load_stats& stats);

  // The rules of a list with includes followed (depth-first, cycles reported once and cut),
  // each rule once at its smallest depth.
  std::vector<v2fly_resolved> resolve(std::string_view list, diagnostics& diag) const;

  const v2fly_list* find(std::string_view name) const;
  const std::map<std::string, v2fly_list, std::less<>>& lists() const { return lists_; }

 private:
  std::map<std::string, v2fly_list, std::less<>> lists_;
};

}  // namespace mamori::catalog
