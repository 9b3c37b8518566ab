#pragma once
// Builds the shipped catalog (data/catalog/catalog.jsonl) from the curated apps
// (data/catalog/curated.jsonl: attributes written by hand) and v2fly domain-list-community:
//   1. every curated app gets its own domains plus the rules of its v2fly lists (`v2fly`,
//      defaulting to the list named like its id), includes resolved, @ads rules left out;
//   2. every other v2fly service list (not category-*, geolocation-*, tld-*, cn, private)
//      becomes an uncurated app, its category taken from the category-* lists including it;
//   3. domains written directly in a category list become apps too, one per commented block
//      ("# Cohere" + its domains) or per domain, for the business-relevant categories;
//   4. a rule claimed by several apps goes to one: curated explicit domains first, then the
//      smallest include depth, then curated before uncurated, then the smaller id.
// The output is sorted and deterministic. docs/catalog.md describes the steps and the category
// mapping.

#include <string>
#include <vector>

#include "mamori/catalog/catalog.hpp"
#include "mamori/catalog/v2fly.hpp"

namespace mamori::catalog {

struct build_options {
  std::vector<std::string> curated;  // JSONL files with hand-written apps
  std::string v2fly_dir;             // v2fly domain-list-community data/
};

struct build_report {
  std::size_t curated_apps = 0;
  std::size_t list_apps = 0;    // from v2fly service lists
  std::size_t block_apps = 0;   // from blocks of category lists
  std::size_t rules = 0;        // domain rules in the output
  std::size_t conflicts = 0;    // rules claimed by more than one app (resolved)
  std::size_t ads_skipped = 0;  // @ads rules left out
  v2fly_db::load_stats v2fly;
  std::string to_text() const;
};

struct build_result {
  std::vector<app> apps;  // sorted by id
  build_report report;
};

result<build_result> build_catalog(const build_options& opts, diagnostics& diag);

// One app per line, sorted; a header comment names the sources.
std::string catalog_to_jsonl(const std::vector<app>& apps);

// The v2fly category list → mamori category mapping used by step 2 and 3 (documented).
struct category_mapping {
  std::string_view v2fly;     // "category-ai-!cn"
  std::string_view category;  // "ai"
  bool blocks_become_apps;    // step 3
};
const std::vector<category_mapping>& v2fly_category_mapping();

}  // namespace mamori::catalog
