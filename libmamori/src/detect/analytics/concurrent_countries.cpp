// mamori.concurrent_countries: one account signing in successfully from several countries
// within a window, or switching back and forth between countries (A→B→A→B), which travel
// cannot explain but two people sharing a credential can. Known egress (VPN, hosting, relay,
// corporate) is ignored. docs/analytics.md#concurrent-countries

#include <fmt/format.h>

#include <deque>
#include <set>
#include <unordered_map>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"
#include "mamori/enrich/ip_reputation.hpp"

namespace mamori::analytics {

namespace {

struct sign_in {
  std::int64_t time;
  std::string country;
  std::string where;  // "Tokyo, JP (AS2516) 203.0.113.7"
  event_ref ref;
};

struct user_state {
  std::deque<sign_in> window;
  bool active = false;
  std::int64_t last = 0;
};

class concurrent_countries final : public analytic {
 public:
  concurrent_countries(ctx_ptr ctx, const concurrent_countries_params& p)
      : analytic(std::move(ctx), "mamori.concurrent_countries",
                 "Concurrent sign-ins from several countries"),
        p_(p) {}

  std::uint32_t wants() const override { return want(obs_kind::sign_in); }

  void on_observation(const observation& o, user_profile&, finding_sink& out) override {
    if (o.status != ocsf::status_id::success || o.country.empty()) return;
    if (o.flags & (ip_flag::vpn | ip_flag::hosting | ip_flag::relay | ip_flag::corporate)) return;
    auto it = state_.find(o.user_key);
    if (it == state_.end()) {
      if (state_.size() >= ctx().config().max_keys) {
        ++ctx().stats().window_drops;
        return;
      }
      it = state_.emplace(o.user_key, user_state{}).first;
    }
    user_state& s = it->second;
    if (s.last != 0 && o.time_ns - s.last > p_.window) s = user_state{};
    s.last = std::max(s.last, o.time_ns);
    if (s.window.size() >= 1000) s.window.pop_front();
    s.window.push_back({o.time_ns, std::string(o.country), place(o) + " " + o.ip, o.ref});
    while (!s.window.empty() && s.window.front().time < o.time_ns - p_.window) {
      s.window.pop_front();
    }
    std::set<std::string> countries;
    int switches = 0;
    for (std::size_t k = 0; k < s.window.size(); ++k) {
      countries.insert(s.window[k].country);
      if (k > 0 && s.window[k].country != s.window[k - 1].country) ++switches;
    }
    if (s.active) return;
    if (static_cast<int>(countries.size()) >= p_.min_countries ||
        (countries.size() >= 2 && switches >= p_.min_switches)) {
      s.active = true;
      emit_finding(o, s, countries, switches, out);
    }
  }

  void on_time(std::int64_t now, finding_sink&) override {
    if (now - last_sweep_ < p_.window) return;
    last_sweep_ = now;
    for (auto it = state_.begin(); it != state_.end();) {
      if (now - it->second.last > p_.window) {
        it = state_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  void emit_finding(const observation& o, const user_state& s,
                    const std::set<std::string>& countries, int switches, finding_sink& out) {
    finding f = make_finding(o, p_.level);
    std::string seq;
    std::size_t shown = 0;
    for (std::size_t k = 0; k < s.window.size(); ++k) {
      if (k > 0 && s.window[k].country == s.window[k - 1].country) continue;
      if (shown++ == 6) {
        seq += ", …";
        break;
      }
      if (!seq.empty()) seq += " → ";
      seq += fmt::format("{} at {}", s.window[k].where, clock_time(s.window[k].time));
    }
    std::string list;
    for (const auto& c : countries) list += (list.empty() ? "" : ", ") + c;
    f.explanation = fmt::format(
        "{} had successful sign-ins from {} countries ({}) within {} with {} country switches: "
        "{}; threshold: {} countries or {} switches in {}, VPN/relay/hosting/corporate egress "
        "ignored.{}",
        o.user, countries.size(), list, span_text(s.window.back().time - s.window.front().time),
        switches, seq, p_.min_countries, p_.min_switches, span_text(p_.window),
        geo_footer(o.geo_provider));
    std::vector<event_ref> refs;
    for (const auto& x : s.window) refs.push_back(x.ref);
    json_object ev;
    ev.str("analytic", uid())
        .strings("countries", std::vector<std::string>(countries.begin(), countries.end()))
        .integer("switches", switches)
        .integer("sign_ins", static_cast<std::int64_t>(s.window.size()))
        .num("window_seconds", static_cast<double>(p_.window) / 1e9)
        .raw("events", refs_json(refs));
    f.evidence_json = ev.done();
    f.matched.push_back({"countries", "src_endpoint.location.country", list});
    f.attacks = {"T1078"};
    emit(out, std::move(f));
  }

  concurrent_countries_params p_;
  std::unordered_map<std::string, user_state> state_;
  std::int64_t last_sweep_ = 0;
};

}  // namespace

std::unique_ptr<analytic> make_concurrent_countries(ctx_ptr ctx,
                                                    const concurrent_countries_params& p) {
  return std::make_unique<concurrent_countries>(std::move(ctx), p);
}

}  // namespace mamori::analytics
