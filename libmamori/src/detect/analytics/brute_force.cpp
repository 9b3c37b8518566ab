// mamori.brute_force (one account, many failures) and mamori.brute_force_source (one source
// address, many failures). Default: more than 10 failures in 5 minutes, the threshold of the
// public templates (Panther Standard.BruteForceByUser/ByIP, Azure Sentinel); escalated when a
// successful sign-in follows within 30 minutes. The finding is reported once per burst, when
// the burst has been quiet for report_delay (so it counts the whole burst) or one window after
// the threshold was crossed, whichever comes first. docs/analytics.md#brute-force

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"
#include "threshold_state.hpp"

namespace mamori::analytics {

namespace {

struct burst_state {
  std::deque<std::int64_t> window;     // failure times within the window
  std::deque<std::int64_t> successes;  // success times within the window (source variant)
  int peak = 0;                        // most failures seen inside one window
  bool crossed = false;                // over the threshold in this burst
  bool reported = false;               // the finding for this burst is out
  bool escalated = false;
  std::int64_t crossed_at = 0;
  std::int64_t first = 0;  // burst start
  std::int64_t last = 0;   // last failure
  std::int64_t last_success = 0;
  std::uint64_t total = 0;
  std::map<std::string, std::uint32_t> others;  // per address / account
  std::string country;                          // first located failure
  std::vector<event_ref> refs;                  // first 30 and the latest 10
  observation last_obs;                         // the latest failure (entities, place)
};

class brute_force final : public analytic {
 public:
  brute_force(ctx_ptr ctx, const brute_force_params& p, bool by_source)
      : analytic(
            std::move(ctx), by_source ? "mamori.brute_force_source" : "mamori.brute_force",
            by_source ? "Brute force from one source address" : "Brute force against one account"),
        p_(p),
        by_source_(by_source) {}

  std::uint32_t wants() const override { return want(obs_kind::sign_in); }

  void on_observation(const observation& o, user_profile&, finding_sink& out) override {
    std::string key;
    if (by_source_) {
      if (!o.has_ip) return;
      key = o.ip;
    } else {
      key = o.user_key;
    }
    if (o.status == ocsf::status_id::success) {
      auto it = state_.find(key);
      if (it == state_.end()) {
        // A source that signs people in successfully is remembered for the ratio (bounded).
        if (!by_source_ || state_.size() >= ctx().config().max_keys) return;
        it = state_.emplace(key, burst_state{}).first;
      }
      burst_state& b = it->second;
      if (by_source_) {
        b.successes.push_back(o.time_ns);
        while (!b.successes.empty() && b.successes.front() < o.time_ns - p_.window) {
          b.successes.pop_front();
        }
        if (b.successes.size() > 100000) b.successes.pop_front();
        b.last_success = std::max(b.last_success, o.time_ns);
      }
      if (b.crossed && !b.escalated && o.time_ns >= b.last &&
          o.time_ns - b.last <= p_.success_within) {
        if (!b.reported) report(b, out);
        b.escalated = true;
        emit_finding(b, &o, out);
      }
      return;
    }
    if (o.status != ocsf::status_id::failure) return;
    auto it = state_.find(key);
    if (it == state_.end()) {
      if (state_.size() >= ctx().config().max_keys) {
        ++ctx().stats().window_drops;
        return;
      }
      it = state_.emplace(key, burst_state{}).first;
    }
    burst_state& b = it->second;
    // A quiet period longer than the window ends the burst.
    if (b.last != 0 && o.time_ns - b.last > p_.window) {
      if (b.crossed && !b.reported) report(b, out);
      std::deque<std::int64_t> successes = std::move(b.successes);
      const std::int64_t last_success = b.last_success;
      b = burst_state{};
      b.successes = std::move(successes);
      b.last_success = last_success;
    }
    if (b.total == 0) b.first = o.time_ns;
    b.last = std::max(b.last, o.time_ns);
    ++b.total;
    const std::string other = by_source_ ? o.user : (o.has_ip ? o.ip : std::string(o.src_host));
    if (b.others.size() < 1000 || b.others.count(other) > 0) ++b.others[other];
    if (b.country.empty()) b.country = o.country;
    if (b.refs.size() < 40) {
      b.refs.push_back(o.ref);
    } else {
      b.refs[30 + (b.total % 10)] = o.ref;
    }
    b.last_obs = o;
    b.window.push_back(o.time_ns);
    while (!b.window.empty() && b.window.front() < o.time_ns - p_.window) b.window.pop_front();
    b.peak = std::max(b.peak, static_cast<int>(b.window.size()));
    while (!b.successes.empty() && b.successes.front() < o.time_ns - p_.window) {
      b.successes.pop_front();
    }
    const double ratio = static_cast<double>(b.window.size()) /
                         static_cast<double>(b.window.size() + b.successes.size());
    if (by_source_ && ratio < p_.min_failure_ratio) return;
    if (!b.crossed && b.peak > p_.failures) {
      b.crossed = true;
      b.crossed_at = o.time_ns;
      if (p_.report_delay == 0) report(b, out);
    }
  }

  void on_time(std::int64_t now, finding_sink& out) override {
    report_due(state_, now, p_.report_delay, p_.window, [&](burst_state& s) { report(s, out); });
    if (now - last_sweep_ < p_.window) return;
    last_sweep_ = now;
    drop_idle(state_, now, std::max(p_.window, p_.success_within));
  }

  void on_flush(finding_sink& out) override {
    report_pending(state_, [&](burst_state& s) { report(s, out); });
  }

 private:
  void report(burst_state& b, finding_sink& out) {
    b.reported = true;
    emit_finding(b, nullptr, out);
  }

  std::string top_others(const burst_state& b, std::size_t n) const {
    std::vector<std::pair<std::uint32_t, std::string>> v;
    for (const auto& [k, c] : b.others) v.emplace_back(c, k);
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& c) { return a.first > c.first; });
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < n; ++i) {
      if (!out.empty()) out += ", ";
      out += fmt::format("{} ×{}", v[i].second.empty() ? "(none)" : v[i].second, v[i].first);
    }
    if (v.size() > n) out += ", …";
    return out;
  }

  // success == nullptr: the burst finding; else the escalation by that success.
  void emit_finding(const burst_state& b, const observation* success, finding_sink& out) {
    const observation& o = success != nullptr ? *success : b.last_obs;
    finding f = make_finding(o, success != nullptr ? p_.escalated_level : p_.level);
    if (success == nullptr) f.time_ns = b.last;
    const std::string threshold =
        fmt::format("threshold: more than {} failures in {}", p_.failures, span_text(p_.window));
    const std::string what = by_source_ ? "accounts" : "addresses";
    std::string sentence;
    const std::string counts = fmt::format("{} times in {} ({}–{}, at most {} within {})", b.total,
                                           span_text(b.last - b.first), clock_time(b.first),
                                           clock_time(b.last), b.peak, span_text(p_.window));
    if (by_source_) {
      const observation& src = b.last_obs;
      const std::string where = place(src.city, src.country, src.asn, "");
      sentence = fmt::format("{}{} failed to sign in {} against {} account{} ({})", src.ip,
                             src.country.empty() ? std::string() : " in " + where, counts,
                             b.others.size(), b.others.size() == 1 ? "" : "s", top_others(b, 4));
    } else {
      sentence =
          fmt::format("{} failed to sign in {} from {} {} ({})", b.last_obs.user, counts,
                      b.others.size(), b.others.size() == 1 ? "address" : what, top_others(b, 3));
    }
    if (success != nullptr) {
      sentence += fmt::format(
          ", then {} signed in successfully from {} at {} ({} after the last "
          "failure); {}.",
          by_source_ ? success->user : "the account", place(*success), clock_time(success->time_ns),
          span_text(success->time_ns - b.last), threshold);
    } else {
      sentence += "; " + threshold + ".";
    }
    f.explanation = sentence + geo_footer(o.geo_provider);
    std::vector<event_ref> refs = b.refs;
    if (success != nullptr) refs.push_back(success->ref);
    json_object ev;
    ev.str("analytic", uid())
        .integer("failures", static_cast<std::int64_t>(b.total))
        .integer("peak_failures_in_window", b.peak)
        .str("burst_start", date_time(b.first))
        .str("burst_last_failure", date_time(b.last))
        .integer("distinct_" + what, static_cast<std::int64_t>(b.others.size()))
        .str("top_" + what, top_others(b, 10))
        .integer("threshold_failures", p_.failures)
        .integer("window_seconds", p_.window / seconds_ns)
        .boolean("success_followed", success != nullptr)
        .raw("events", refs_json(refs, 50));
    f.evidence_json = ev.done();
    f.matched.push_back({"failures", "status", std::to_string(b.total)});
    if (by_source_) {
      f.src_ip = b.last_obs.ip;
      f.user = success != nullptr ? success->user : (b.others.size() == 1 ? b.last_obs.user : "");
    } else {
      f.user = b.last_obs.user;
      f.src_ip = b.others.size() == 1 ? b.last_obs.ip : (success != nullptr ? success->ip : "");
    }
    f.attacks = {"T1110", "T1110.001"};
    emit(out, std::move(f));
  }

  brute_force_params p_;
  bool by_source_;
  std::unordered_map<std::string, burst_state> state_;
  std::int64_t last_sweep_ = 0;
};

}  // namespace

std::unique_ptr<analytic> make_brute_force(ctx_ptr ctx, const brute_force_params& p) {
  return std::make_unique<brute_force>(std::move(ctx), p, false);
}

std::unique_ptr<analytic> make_brute_force_source(ctx_ptr ctx, const brute_force_params& p) {
  return std::make_unique<brute_force>(std::move(ctx), p, true);
}

}  // namespace mamori::analytics
