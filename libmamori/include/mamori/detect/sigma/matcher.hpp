#pragma once
// Runtime side of the Sigma engine: one matcher per thread over a shared compiled ruleset.
// For an event: pick the groups its format and discriminator fields select (cached per
// distinct key), scan each field value once per group with that field's Vectorscan
// database, evaluate only the rules a hit triggered (plus the few that must always be
// evaluated), and evaluate the remaining leaves (regex, cidr, numbers, ...) lazily.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mamori/detect/finding.hpp"
#include "mamori/detect/sigma/compiler.hpp"
#include "mamori/event/event.hpp"

namespace mamori::sigma {

struct match_ref {
  std::uint32_t group = 0;
  std::uint32_t instance = 0;
};

struct matcher_stats {
  std::uint64_t events = 0;
  std::uint64_t group_evaluations = 0;
  std::uint64_t scans = 0;
  std::uint64_t rule_evaluations = 0;
  std::uint64_t matches = 0;
};

class hs_scratch;

class matcher {
 public:
  // `decoder_names[i]` is the name of decoder index i (event::decoder).
  matcher(std::shared_ptr<const compiled_ruleset> rules, std::vector<std::string> decoder_names);
  ~matcher();
  matcher(const matcher&) = delete;
  matcher& operator=(const matcher&) = delete;

  // Appends every matching rule instance (each rule at most once per event).
  void match(const event& e, std::vector<match_ref>& out);

  // Which selections and fields made a match true, with the event's values. Valid for the
  // event last passed to match().
  std::vector<matched_value> explain(const match_ref& m, const event& e);

  const compiled_ruleset& rules() const { return *rules_; }
  const matcher_stats& stats() const { return stats_; }
  std::string_view decoder_name(std::uint16_t index) const;

  // Reference evaluation of one leaf (no Vectorscan), for explanations and tests.
  static bool eval_leaf(const compiled_leaf& leaf, const event& e);

 private:
  struct dispatch;
  struct group_state;

  dispatch& dispatch_for(std::uint16_t decoder);
  const std::vector<std::uint32_t>& groups_for(const event& e);
  void run_group(std::uint32_t gi, const event& e, std::vector<match_ref>& out);
  bool eval(const group& g, group_state& st, const dnode& d, const event& e);
  bool leaf_value(const group& g, group_state& st, std::uint32_t leaf, const event& e);
  void collect(const group& g, group_state& st, const dnode& d, const event& e,
               const std::string& ident, std::vector<matched_value>& out);

  std::shared_ptr<const compiled_ruleset> rules_;
  std::vector<std::string> decoder_names_;
  std::vector<std::unique_ptr<dispatch>> dispatch_;
  std::vector<group_state> states_;
  std::unique_ptr<hs_scratch> scratch_;
  std::vector<std::uint32_t> rule_seen_;
  std::uint32_t event_gen_ = 0;
  std::string key_;
  std::string text_;
  matcher_stats stats_;
};

// Calendar parts of a timestamp (UTC) for the time modifiers; ISO 8601 week number.
int time_part_of(std::int64_t ns, time_unit unit);

}  // namespace mamori::sigma
