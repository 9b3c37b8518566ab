#pragma once
// Sigma correlation rules (Sigma correlation rules specification v2.1): event_count,
// value_count, temporal, temporal_ordered, value_sum, value_avg over the matches of other
// rules (detections or correlations: chains), grouped by `group-by` fields (with aliases),
// within `timespan`, filtered by `condition`.
//
// State is kept per (correlation, group key) and driven by event time: entries older than
// the timespan are evicted as newer events arrive; whole groups idle for longer than the
// timespan are dropped. Bounds (groups per correlation, entries per group) are explicit;
// anything dropped because of a bound is counted and reported, never silently lost.
//
// Window semantics (docs/sigma.md): a sliding window per group. Conditions with only lower
// bounds (gt, gte) fire as soon as they hold; conditions with an upper bound (lt, lte, eq,
// neq, ranges) are judged when the window of the group's first event closes. After firing,
// the group starts afresh, so one burst gives one finding.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mamori/detect/sigma/modifiers.hpp"
#include "mamori/event/event.hpp"

namespace mamori::sigma {

enum class correlation_type : std::uint8_t {
  event_count,
  value_count,
  temporal,
  temporal_ordered,
  value_sum,
  value_avg,
};

std::string_view correlation_type_name(correlation_type t);

struct count_condition {
  std::vector<std::pair<cmp_op, double>> terms;  // ANDed
  bool eval(double v) const;
  bool upper_bounded() const;  // lt, lte, eq or neq present
  std::string to_string() const;
};

struct correlation_def {
  std::uint32_t rule = 0;  // index of the correlation in compiled_ruleset::rules
  correlation_type type = correlation_type::event_count;
  std::vector<std::uint32_t> inputs;  // rules whose matches feed it, in the written order
  std::vector<std::string> group_by;  // as written (alias names resolved below)
  // group_fields[input][k]: candidate field ids of group-by key k for events of that input.
  std::vector<std::vector<std::vector<field_id>>> group_fields;
  std::string field;                            // value_count / value_sum / value_avg
  std::vector<std::vector<field_id>> value_fields;  // per input
  std::int64_t timespan_ns = 0;
  bool has_condition = false;
  count_condition condition;
};

struct correlation_limits {
  std::size_t max_groups = 100'000;         // per correlation
  std::size_t max_entries_per_group = 10'000;
  std::size_t max_evidence_events = 10;     // full events kept per group for the finding
};

// What a firing correlation reports to the detector.
struct correlation_hit {
  std::uint32_t correlation = 0;  // index into compiled_ruleset::correlations
  std::int64_t time_ns = 0;
  std::int64_t first_ns = 0;
  double measure = 0;  // count, distinct values, sum or average
  std::vector<std::pair<std::string, std::string>> group;  // group-by key = value
  std::vector<std::string> evidence_json;                  // up to max_evidence_events
  std::vector<std::uint32_t> input_rules;                  // rule of each aggregated match
  std::size_t events = 0;                                  // matches aggregated
  std::vector<std::string> values;                         // value_count: distinct values seen
};

struct correlation_stats {
  std::uint64_t fired = 0;
  std::uint64_t groups_evicted = 0;        // idle for longer than the timespan
  std::uint64_t groups_dropped = 0;        // max_groups bound (overflow)
  std::uint64_t entries_dropped = 0;       // max_entries_per_group bound (overflow)
  std::uint64_t late_events = 0;           // older than the group's window, ignored
};

class compiled_ruleset;

class correlation_engine {
 public:
  using emit_fn = std::function<void(const correlation_hit&)>;
  // `render` turns the current event into JSON, only when it is kept as evidence.
  using render_fn = std::function<std::string()>;

  correlation_engine(const compiled_ruleset& rules, correlation_limits limits);
  ~correlation_engine();

  // Rule `rule` matched event `e`: feed every correlation that uses it. Chained
  // correlations fire recursively with the same event as their last event.
  void on_match(std::uint32_t rule, const event& e, const render_fn& render, const emit_fn& emit);
  // End of input: judge windows that are still open (upper-bounded conditions).
  void finish(const emit_fn& emit);

  const correlation_stats& stats() const { return stats_; }

 private:
  struct entry;
  struct group_state;
  struct corr_state;
  void feed(std::uint32_t corr, std::uint32_t input_index, std::uint32_t rule, const event& e,
            const render_fn& render, const emit_fn& emit, int depth);
  void fire(std::uint32_t corr, group_state& g, std::int64_t now, double measure,
            const emit_fn& emit, const event* e, const render_fn* render, int depth);
  void judge_closed(std::uint32_t corr, group_state& g, const emit_fn& emit);
  void sweep(std::uint32_t corr, std::int64_t now, const emit_fn& emit);

  const compiled_ruleset& rules_;
  correlation_limits limits_;
  std::vector<std::unique_ptr<corr_state>> states_;
  correlation_stats stats_;
};

}  // namespace mamori::sigma
