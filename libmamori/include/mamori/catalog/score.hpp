#pragma once
// The 0-10 app score (10 = lowest risk, as in Defender for Cloud Apps) from the attributes and
// a weights file the user can change (data/catalog/weights.yaml, docs/catalog.md "Score"):
//
//   value(a)    in [0,1] per attribute type (boolean yes = 1, founded: age / mature_years, ...)
//   group(g)    = sum(w_a * value(a)) / sum(w_a) over the group's weighted attributes, an
//                 unknown attribute counting unknown_credit * w_a
//   score       = 10 * sum(W_g * group(g)) / sum(W_g)
//
// An app whose known attributes carry less than min_coverage of the weight is unrated (no
// score), not 0 and not 10.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mamori/catalog/attributes.hpp"
#include "mamori/core/result.hpp"

namespace mamori::catalog {

struct score_weights {
  int as_of_year = 2026;          // reference year for "founded" and "breaches"
  double unknown_credit = 0.3;    // share of an attribute's weight credited when unknown
  double min_coverage = 0.1;      // below this share of known weight an app is unrated
  int founded_mature_years = 10;  // age at which "founded" gives full credit
  int breach_recent_years = 3;    // a breach this recent gives 0, older ones 0.5
  std::array<double, group_count> groups{};
  std::array<double, attribute_count> attributes{};
  std::map<std::string, double, std::less<>> jurisdictions;  // country -> [0,1]
  double jurisdiction_default = 0.5;
  double level_low = 7.0;     // score >= level_low: low risk
  double level_medium = 4.0;  // score >= level_medium: medium risk; below: high

  // The built-in weights; data/catalog/weights.yaml holds the same values.
  static score_weights defaults();
};

// Reads a weights YAML file; unknown keys and bad values are errors naming file:line.
result<score_weights> load_weights(const std::string& path);
result<score_weights> parse_weights(std::string_view text, std::string_view name);

struct app_score {
  std::optional<double> score;  // 0..10, one decimal; nullopt = unrated
  double coverage = 0;          // share of the total weight whose attribute is known (0..1)
  std::array<std::optional<double>, group_count> groups{};  // per group 0..10
};

app_score compute_score(const attr_values& values, const score_weights& w);

// "low" | "medium" | "high" | "unrated"
std::string_view risk_level(std::optional<double> score, const score_weights& w);

}  // namespace mamori::catalog
