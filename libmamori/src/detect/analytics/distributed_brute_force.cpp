// mamori.distributed_brute_force: one account failing from many source addresses within a
// window (a botnet or proxy pool spreading a brute force so that no address trips a per-source
// threshold). docs/analytics.md#distributed-brute-force

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"

namespace mamori::analytics {

namespace {

struct attempt {
  std::int64_t time;
  std::string ip;
  std::string country;
  event_ref ref;
};

struct account_state {
  std::deque<attempt> window;
  std::unordered_map<std::string, std::uint32_t> per_ip;
  bool active = false;
  std::int64_t last = 0;
};

class distributed_brute_force final : public analytic {
 public:
  distributed_brute_force(ctx_ptr ctx, const distributed_brute_force_params& p)
      : analytic(std::move(ctx), "mamori.distributed_brute_force",
                 "Distributed brute force against one account"),
        p_(p) {}

  std::uint32_t wants() const override { return want(obs_kind::sign_in); }

  void on_observation(const observation& o, user_profile&, finding_sink& out) override {
    if (o.status != ocsf::status_id::failure || !o.has_ip) return;
    auto it = state_.find(o.user_key);
    if (it == state_.end()) {
      if (state_.size() >= ctx().config().max_keys) {
        ++ctx().stats().window_drops;
        return;
      }
      it = state_.emplace(o.user_key, account_state{}).first;
    }
    account_state& s = it->second;
    if (s.last != 0 && o.time_ns - s.last > p_.window) {
      s = account_state{};
    }
    s.last = std::max(s.last, o.time_ns);
    if (s.window.size() >= 100000) return;
    s.window.push_back({o.time_ns, o.ip, std::string(o.country), o.ref});
    ++s.per_ip[o.ip];
    while (!s.window.empty() && s.window.front().time < o.time_ns - p_.window) {
      auto c = s.per_ip.find(s.window.front().ip);
      if (c != s.per_ip.end() && --c->second == 0) s.per_ip.erase(c);
      s.window.pop_front();
    }
    if (!s.active && static_cast<int>(s.per_ip.size()) >= p_.min_sources &&
        static_cast<int>(s.window.size()) >= p_.min_failures) {
      s.active = true;
      emit_finding(o, s, out);
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
  void emit_finding(const observation& o, const account_state& s, finding_sink& out) {
    finding f = make_finding(o, p_.level);
    std::set<std::string> countries;
    for (const auto& a : s.window)
      if (!a.country.empty()) countries.insert(a.country);
    std::vector<std::pair<std::uint32_t, std::string>> ips;
    for (const auto& [ip, c] : s.per_ip) ips.emplace_back(c, ip);
    std::sort(ips.begin(), ips.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string top;
    for (std::size_t i = 0; i < ips.size() && i < 5; ++i) {
      if (!top.empty()) top += ", ";
      top += fmt::format("{} ×{}", ips[i].second, ips[i].first);
    }
    std::string country_list;
    for (const auto& c : countries) {
      if (!country_list.empty()) country_list += ", ";
      country_list += c;
    }
    const auto& w = s.window;
    f.explanation = fmt::format(
        "{} failed to sign in {} times from {} different addresses{} within {} ({}–{}; top: {}); "
        "threshold: at least {} addresses and {} failures in {}.{}",
        o.user, w.size(), s.per_ip.size(),
        countries.empty() ? std::string()
                          : fmt::format(" in {} countries ({})", countries.size(), country_list),
        span_text(w.back().time - w.front().time), clock_time(w.front().time),
        clock_time(w.back().time), top, p_.min_sources, p_.min_failures, span_text(p_.window),
        geo_footer(o.geo_provider));
    std::vector<event_ref> refs;
    std::vector<std::string> addr;
    for (const auto& a : w) refs.push_back(a.ref);
    for (const auto& [c, ip] : ips) addr.push_back(ip);
    if (addr.size() > 100) addr.resize(100);
    json_object ev;
    ev.str("analytic", uid())
        .integer("failures", static_cast<std::int64_t>(w.size()))
        .integer("addresses", static_cast<std::int64_t>(s.per_ip.size()))
        .strings("address_list", addr)
        .strings("countries", std::vector<std::string>(countries.begin(), countries.end()))
        .integer("threshold_addresses", p_.min_sources)
        .integer("threshold_failures", p_.min_failures)
        .num("window_seconds", static_cast<double>(p_.window) / 1e9)
        .raw("events", refs_json(refs, 40));
    f.evidence_json = ev.done();
    f.matched.push_back({"addresses", "src_endpoint.ip", std::to_string(s.per_ip.size())});
    f.attacks = {"T1110"};
    emit(out, std::move(f));
  }

  distributed_brute_force_params p_;
  std::unordered_map<std::string, account_state> state_;
  std::int64_t last_sweep_ = 0;
};

}  // namespace

std::unique_ptr<analytic> make_distributed_brute_force(ctx_ptr ctx,
                                                       const distributed_brute_force_params& p) {
  return std::make_unique<distributed_brute_force>(std::move(ctx), p);
}

}  // namespace mamori::analytics
