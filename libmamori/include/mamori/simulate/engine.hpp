#pragma once
// The simulator's engine: time advances in 5-minute windows. In each window every source
// generator appends the records of that window (already formatted in the source's wire
// format) to its buffer, scheduled scenario steps add theirs, then each buffer is sorted by
// time and appended to the source's files. Memory is bounded by one window of records,
// whatever the number of days (docs/simulator.md, "Determinism and scale").

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mamori/core/arena.hpp"
#include "mamori/simulate/company.hpp"
#include "mamori/simulate/rng.hpp"
#include "mamori/simulate/world.hpp"

namespace mamori::sim {

constexpr std::int64_t window_ns = 5 * 60 * 1'000'000'000LL;

struct window {
  std::int64_t start, end;  // UTC ns, end exclusive
  std::int64_t utc_day;     // days since epoch
  std::int64_t index;       // window number since the simulation start
};

struct record {
  std::int64_t t;
  std::uint64_t seq;
  std::uint32_t file;   // source-defined file key (host, account/region, office...)
  std::uint32_t truth;  // 0, or 1 + index of a truth event
  std::string_view text;
};

// Where a generator writes: one per source.
class emitter {
 public:
  explicit emitter(arena& a) : arena_(a) {}
  // Scratch buffer for the next record's text.
  std::string& begin() {
    scratch_.clear();
    return scratch_;
  }
  void commit(std::int64_t t, std::uint32_t file, std::uint32_t truth = 0);
  std::vector<record>& records() { return records_; }
  std::uint64_t count() const { return seq_; }

 private:
  arena& arena_;
  std::string scratch_;
  std::vector<record> records_;
  std::uint64_t seq_ = 0;
};

// Ground truth collected while the simulation runs, written as truth.ndjson in the format
// of docs/truth-format.md (campaign, event and benign lines).
struct truth_event {
  std::uint32_t campaign;
  std::string step;    // the scenario's step name (extra key, for humans)
  std::string source;  // simulator source name
  std::string uid;     // the record's own id; empty for line-identified text sources
  std::string file;    // path relative to the output directory, filled when written
  std::uint64_t line = 0;
  std::int64_t t = 0;
  bool written = false;
  bool line_identifies = true;  // one record per line in its file (not CloudTrail objects)
};
struct expected_detection {
  std::vector<std::string> rule_uid;  // alternatives: analytic names or Sigma rule ids
  std::string entity_key;             // user, src_ip or host (optional)
  std::string entity_value;
  bool optional = false;
  std::int64_t by = 0;  // deadline (0 = none)
};
struct truth_campaign {
  std::string campaign_id;
  std::string scenario;
  std::string description;
  std::map<std::string, std::string> parameters;
  std::vector<std::string> users, src_ips, hosts, cloud_accounts;
  std::vector<expected_detection> expected;
};
class truth_book {
 public:
  std::uint32_t add_campaign(truth_campaign c);
  truth_campaign& campaign(std::uint32_t i) { return campaigns_[i]; }
  // Registers one malicious record; returns the tag to pass to emitter::commit.
  std::uint32_t add_event(std::uint32_t campaign, std::string step, std::string source,
                          std::string uid = {});
  truth_event& event(std::uint32_t tag) { return events_[tag - 1]; }
  void set_benign(std::string line) { benign_ = std::move(line); }
  std::string to_ndjson() const;
  const std::vector<truth_campaign>& campaigns() const { return campaigns_; }
  const std::vector<truth_event>& events() const { return events_; }

 private:
  std::vector<truth_campaign> campaigns_;
  std::vector<truth_event> events_;
  std::string benign_;
};

struct sim_options {
  std::uint64_t seed = 1;
  std::uint32_t users = 200;
  int days = 7;
  std::int64_t start_ns = 0;
  double scale = 1.0;
  std::string out_dir;
  std::string reference_dir;
  std::vector<std::string> sources;    // empty = all
  std::vector<std::string> scenarios;  // empty = all; "none" = no attacks
  bool record_files = false;            // list written files in the summary (tests)
};

// Shared, read-only state of a run plus per-day caches.
class sim_context {
 public:
  sim_context(const sim_options& o, company c, app_catalog apps)
      : options(o), co(std::move(c)), apps(std::move(apps)) {}

  const sim_options& options;
  const company co;
  const app_catalog apps;

  // Sessions of every person overlapping the current UTC day (refreshed by the engine).
  struct person_day {
    std::vector<session> sessions;
    bool workday = false;
  };
  std::vector<person_day> today;
  std::int64_t today_index = -1;
  void prepare_day(std::int64_t utc_day);

  std::uint64_t seed() const { return options.seed; }
  std::int64_t start_ns() const { return options.start_ns; }
  std::int64_t end_ns() const;
};

// A source generator: background activity of one log source, plus the file layout.
class source_generator {
 public:
  virtual ~source_generator() = default;
  // Appends the background records of window w.
  virtual void generate(const sim_context& ctx, const window& w, emitter& out) = 0;

  // File layout. path() is relative to the output directory.
  virtual std::string path(const sim_context& ctx, const record& r) const = 0;
  virtual bool gzip() const { return false; }
  // Files closed at the end of each window (CloudTrail's 5-minute objects) or of each day.
  virtual bool per_window() const { return false; }
  // Every record on a line of its own (false for single-line CloudTrail objects).
  virtual bool line_per_record() const { return true; }
  virtual void prologue(std::string& out, const sim_context& ctx, const record& first) const {
    (void)out, (void)ctx, (void)first;
  }
  virtual std::string_view separator() const { return "\n"; }
  virtual void epilogue(std::string& out, std::uint64_t records) const { (void)out, (void)records; }
  // Writes one record (may add per-file fields such as Windows' RecordNumber); returns the
  // identifier to record in the truth for line-less sources, or empty to use the line number.
  virtual std::string write_record(std::string& out, const record& r) {
    out.append(r.text);
    return {};
  }
};

struct source_spec {
  std::string name;  // --sources value and truth "source"
  std::string title;
  std::string decoder;  // the mamori decoder that reads it
  std::string layout;   // where the files go, for docs and `mamori simulate --list`
  std::function<std::unique_ptr<source_generator>(const sim_context&)> make;
};

// What a scenario sees while planning: the company and a scheduler.
class scenario_context {
 public:
  scenario_context(const sim_context& ctx, truth_book& truth) : ctx_(ctx), truth_(truth) {}
  const sim_context& sim() const { return ctx_; }
  const company& co() const { return ctx_.co; }
  truth_book& truth() { return truth_; }
  std::uint64_t seed() const { return ctx_.seed(); }
  // The instant `fraction` of the way through the simulated period, snapped to the local
  // working day of the company's HQ (fractions in [0,1)); used to place attacks after the
  // analytics' learning period.
  std::int64_t day_start(double fraction) const;

  using step_fn = std::function<void(class sim_io&)>;
  void at(std::int64_t t, step_fn fn);
  std::vector<std::pair<std::int64_t, step_fn>>& steps() { return steps_; }

 private:
  const sim_context& ctx_;
  truth_book& truth_;
  std::vector<std::pair<std::int64_t, step_fn>> steps_;
};

// What a scenario step sees when it runs: the emitters of every source.
class sim_io {
 public:
  sim_io(const sim_context& ctx, truth_book& truth, std::vector<emitter*> emitters,
         const std::vector<std::string>& names)
      : ctx_(ctx), truth_(truth), emitters_(std::move(emitters)), names_(names) {}
  const sim_context& sim() const { return ctx_; }
  truth_book& truth() { return truth_; }
  // nullptr when the source is disabled in this run.
  emitter* source(std::string_view name);

 private:
  const sim_context& ctx_;
  truth_book& truth_;
  std::vector<emitter*> emitters_;
  const std::vector<std::string>& names_;
};

struct scenario_spec {
  std::string name;
  std::string title;
  std::string summary;
  std::function<void(scenario_context&)> plan;
};

const std::vector<source_spec>& builtin_sources();

// Calls f(t) for the arrivals of a Poisson process of `per_hour` events per hour in [a, b).
template <typename F>
void for_each_arrival(rng& r, std::int64_t a, std::int64_t b, double per_hour, F&& f) {
  if (per_hour <= 0 || b <= a) return;
  const double mean_gap = 3.6e12 / per_hour;
  auto t = a + static_cast<std::int64_t>(r.exponential(mean_gap));
  while (t < b) {
    f(t);
    t += 1'000'000 + static_cast<std::int64_t>(r.exponential(mean_gap));
  }
}

// Days since the epoch of the date of ns (UTC).
inline std::int64_t utc_day_of(std::int64_t ns) {
  return ns >= 0 ? ns / 86'400'000'000'000LL : (ns + 1) / 86'400'000'000'000LL - 1;
}
const std::vector<scenario_spec>& builtin_scenarios();

}  // namespace mamori::sim
