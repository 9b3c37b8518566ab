// mamori.password_spray: failures against many distinct accounts from one source with few
// attempts per account (MITRE T1110.003). Sources are grouped by address; when the events
// carry none (Windows 4625 with IpAddress "-", as in OTRF purplesharp_ad_playbook_I), by the
// source workstation, then by the requesting account. Optionally also by ASN (a spray spread
// over one provider's addresses) and by user agent. Escalated when a sprayed account then
// signs in successfully from the same source. docs/analytics.md#password-spraying

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"
#include "threshold_state.hpp"

namespace mamori::analytics {

namespace {

struct attempt {
  std::int64_t time;
  std::string account;  // key (lowercased)
  event_ref ref;
};

struct spray_state {
  std::deque<attempt> window;
  std::deque<std::int64_t> successes;  // successful sign-ins from the source in the window
  std::unordered_map<std::string, std::uint32_t> per_account;  // within the window
  std::unordered_map<std::string, std::string> display;        // burst: key → spelling (capped)
  std::vector<event_ref> refs;                                 // burst: first 60
  std::uint64_t attempts = 0;                                  // burst
  bool crossed = false;
  bool reported = false;
  bool escalated = false;
  std::int64_t crossed_at = 0;
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::int64_t last_success = 0;
  std::string label;  // "address 203.0.113.7", "workstation WORKSTATION5", "AS4134"
  int min_accounts = 0;
  observation last_obs;
};

class password_spray final : public analytic {
 public:
  password_spray(ctx_ptr ctx, const password_spray_params& p)
      : analytic(std::move(ctx), "mamori.password_spray", "Password spraying"), p_(p) {}

  std::uint32_t wants() const override { return want(obs_kind::sign_in); }

  void on_observation(const observation& o, user_profile&, finding_sink& out) override {
    // Group keys for this attempt.
    struct group {
      std::string key;
      std::string label;
      int min_accounts;
    };
    group groups[3];
    int n = 0;
    if (o.has_ip) {
      groups[n++] = {"ip:" + o.ip, "address " + o.ip, p_.min_accounts};
    } else if (!o.src_host.empty()) {
      groups[n++] = {fmt::format("host:{}", o.src_host), fmt::format("workstation {}", o.src_host),
                     p_.min_accounts};
    } else if (!o.actor.empty()) {
      groups[n++] = {fmt::format("actor:{}", o.actor), fmt::format("requests by {}", o.actor),
                     p_.min_accounts};
    }
    if (p_.by_asn && o.asn != 0) {
      groups[n++] = {fmt::format("asn:{}", o.asn), fmt::format("AS{} {}", o.asn, o.as_name),
                     p_.min_accounts_asn};
    }
    if (p_.by_user_agent && !o.user_agent.empty()) {
      groups[n++] = {fmt::format("ua:{}", o.user_agent),
                     fmt::format("user agent \"{}\"", o.user_agent), p_.min_accounts_user_agent};
    }
    for (int k = 0; k < n; ++k)
      handle(o, groups[k].key, groups[k].label, groups[k].min_accounts, out);
  }

  void on_time(std::int64_t now, finding_sink& out) override {
    report_due(state_, now, p_.report_delay, p_.window, [&](spray_state& s) { report(s, out); });
    if (now - last_sweep_ < p_.window) return;
    last_sweep_ = now;
    drop_idle(state_, now, std::max(p_.window, p_.success_within));
  }

  void on_flush(finding_sink& out) override {
    report_pending(state_, [&](spray_state& s) { report(s, out); });
  }

 private:
  void report(spray_state& s, finding_sink& out) {
    s.reported = true;
    emit_finding(s, nullptr, out);
  }

  void handle(const observation& o, const std::string& key, const std::string& label,
              int min_accounts, finding_sink& out) {
    if (o.status == ocsf::status_id::success) {
      auto it = state_.find(key);
      if (it == state_.end()) {
        if (state_.size() >= ctx().config().max_keys) return;
        it = state_.emplace(key, spray_state{}).first;
        it->second.label = label;
        it->second.min_accounts = min_accounts;
      }
      spray_state& s = it->second;
      s.successes.push_back(o.time_ns);
      while (!s.successes.empty() && s.successes.front() < o.time_ns - p_.window) {
        s.successes.pop_front();
      }
      if (s.successes.size() > 100000) s.successes.pop_front();
      s.last_success = std::max(s.last_success, o.time_ns);
      if (s.crossed && !s.escalated && o.time_ns - s.last <= p_.success_within &&
          s.display.count(o.user_key) > 0) {
        if (!s.reported) report(s, out);
        s.escalated = true;
        emit_finding(s, &o, out);
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
      it = state_.emplace(key, spray_state{}).first;
      it->second.label = label;
      it->second.min_accounts = min_accounts;
    }
    spray_state& s = it->second;
    if (s.last != 0 && o.time_ns - s.last > p_.window) {
      // Quiet for a whole window: a new burst.
      if (s.crossed && !s.reported) report(s, out);
      spray_state fresh;
      fresh.label = s.label;
      fresh.min_accounts = s.min_accounts;
      fresh.successes = std::move(s.successes);
      fresh.last_success = s.last_success;
      s = std::move(fresh);
    }
    if (s.attempts == 0) s.first = o.time_ns;
    s.last = std::max(s.last, o.time_ns);
    if (s.window.size() >= 100000) return;
    ++s.attempts;
    s.last_obs = o;
    if (s.refs.size() < 60) s.refs.push_back(o.ref);
    s.window.push_back({o.time_ns, o.user_key, o.ref});
    ++s.per_account[o.user_key];
    if (s.display.size() < 10000) s.display.emplace(o.user_key, o.user);
    while (!s.window.empty() && s.window.front().time < o.time_ns - p_.window) {
      auto c = s.per_account.find(s.window.front().account);
      if (c != s.per_account.end() && --c->second == 0) s.per_account.erase(c);
      s.window.pop_front();
    }
    const auto accounts = static_cast<int>(s.per_account.size());
    const double mean = static_cast<double>(s.window.size()) / std::max(1, accounts);
    while (!s.successes.empty() && s.successes.front() < o.time_ns - p_.window) {
      s.successes.pop_front();
    }
    const double ratio = static_cast<double>(s.window.size()) /
                         static_cast<double>(s.window.size() + s.successes.size());
    if (!s.crossed && accounts >= s.min_accounts && mean <= p_.max_attempts_per_account &&
        ratio >= p_.min_failure_ratio) {
      s.crossed = true;
      s.crossed_at = o.time_ns;
      if (p_.report_delay == 0) report(s, out);
    }
  }

  // success == nullptr: the spray finding; else the escalation by that success.
  void emit_finding(const spray_state& s, const observation* success, finding_sink& out) {
    const observation& o = success != nullptr ? *success : s.last_obs;
    finding f = make_finding(o, success != nullptr ? p_.escalated_level : p_.level);
    if (success == nullptr) f.time_ns = s.last;
    std::vector<std::string> names;
    for (const auto& [k, d] : s.display) names.push_back(d);
    std::sort(names.begin(), names.end());
    std::string list;
    for (std::size_t i = 0; i < names.size() && i < 8; ++i) {
      if (!list.empty()) list += ", ";
      list += names[i];
    }
    if (names.size() > 8) list += fmt::format(", … ({} more)", names.size() - 8);
    const double mean = static_cast<double>(s.attempts) /
                        static_cast<double>(std::max<std::size_t>(1, names.size()));
    std::string sentence = fmt::format(
        "{} accounts failed to sign in from {} within {} ({}–{}), {:.1f} attempts per account "
        "({}); threshold: at least {} accounts in {} with at most {:.0f} attempts each",
        names.size(), s.label, span_text(s.last - s.first), clock_time(s.first), clock_time(s.last),
        mean, list, s.min_accounts, span_text(p_.window), p_.max_attempts_per_account);
    if (success != nullptr) {
      sentence += fmt::format("; then sprayed account {} signed in successfully from {} at {}",
                              success->user, place(*success), clock_time(success->time_ns));
    }
    f.explanation = sentence + "." + geo_footer(o.geo_provider);
    std::vector<event_ref> refs = s.refs;
    if (success != nullptr) refs.push_back(success->ref);
    if (names.size() > 100) names.resize(100);
    json_object ev;
    ev.str("analytic", uid())
        .str("source", s.label)
        .integer("accounts", static_cast<std::int64_t>(s.display.size()))
        .integer("attempts", static_cast<std::int64_t>(s.attempts))
        .num("attempts_per_account", mean)
        .strings("accounts_list", names)
        .num("window_seconds", static_cast<double>(p_.window) / 1e9)
        .integer("threshold_accounts", s.min_accounts)
        .boolean("success_followed", success != nullptr)
        .raw("events", refs_json(refs, 60));
    f.evidence_json = ev.done();
    f.matched.push_back({"accounts", "user.name", std::to_string(s.display.size())});
    f.user = success != nullptr ? success->user : (names.size() == 1 ? names[0] : "");
    f.src_ip = s.last_obs.ip;
    if (s.label.starts_with("workstation ")) f.host = s.label.substr(12);
    f.attacks = {"T1110", "T1110.003"};
    emit(out, std::move(f));
  }

  password_spray_params p_;
  std::unordered_map<std::string, spray_state> state_;
  std::int64_t last_sweep_ = 0;
};

}  // namespace

std::unique_ptr<analytic> make_password_spray(ctx_ptr ctx, const password_spray_params& p) {
  return std::make_unique<password_spray>(std::move(ctx), p);
}

}  // namespace mamori::analytics
