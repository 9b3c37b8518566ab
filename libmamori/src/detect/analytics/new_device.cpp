// mamori.new_device: a successful sign-in with an operating system, browser or device family
// (parsed from the user agent with uap-core) never seen for the user, once the user's
// baseline is past the learning period. Versions are ignored (browsers update weekly).
// docs/analytics.md#new-device

#include <fmt/format.h>

#include <set>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"

namespace mamori::analytics {

namespace {

template <std::size_t N>
std::string known(const top_counts<N>& t, const string_pool& pool) {
  std::string out;
  for (std::uint8_t k = 0; k < t.size; ++k) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ×{}", pool.get(t.keys[k]), t.counts[k]);
  }
  return out.empty() ? "none" : out;
}

class new_device final : public analytic {
 public:
  new_device(ctx_ptr ctx, const new_device_params& p)
      : analytic(std::move(ctx), "mamori.new_device", "Sign-in from a new device, OS or browser"),
        p_(p) {}

  std::uint32_t wants() const override { return want(obs_kind::sign_in); }

  void on_observation(const observation& o, user_profile& prof, finding_sink& out) override {
    if (o.status != ocsf::status_id::success || o.user_agent.empty()) return;
    if (!ctx().user_mature(prof, o.time_ns) ||
        prof.sign_ins < static_cast<std::uint32_t>(p_.min_user_sign_ins)) {
      return;
    }
    string_pool& pool = ctx().pool();
    std::vector<std::string> what;
    auto check = [&](bool on, std::string_view v, const auto& t, const char* label) {
      if (!on || v.empty() || v == "Other" || t.size == 0) return;
      if (t.count(pool.intern(v)) == 0) what.push_back(fmt::format("{} {}", label, v));
    };
    check(p_.os, o.os, prof.os, "OS");
    check(p_.browser, o.browser, prof.browsers, "browser");
    check(p_.device, o.device, prof.devices, "device");
    if (what.empty()) return;
    // A new device on a network the user (or many colleagues) already use is routine.
    std::string network;
    if (p_.network_org_max_share >= 0) {
      const std::uint32_t country = o.country.empty() ? 0 : pool.intern(o.country);
      const bool new_country =
          country != 0 && prof.countries.size > 0 && prof.countries.count(country) == 0;
      bool rare_network = false;
      std::uint32_t org_users = 0;
      // Fewer than 3 earlier sign-ins there: an attacker's first success must not make its
      // network habitual.
      if (o.asn != 0 && prof.asns.count(o.asn) < 3) {
        auto it = ctx().org().asn_users.find(o.asn);
        org_users = it == ctx().org().asn_users.end() ? 0 : it->second;
        rare_network = static_cast<double>(org_users) <=
                       p_.network_org_max_share * static_cast<double>(ctx().org().users);
      }
      if (!new_country && !rare_network) return;
      network = new_country ? fmt::format("; {} is a new country for the user", o.country)
                            : fmt::format(
                                  "; AS{} {} is a new network for the user, used by {} of "
                                  "the organisation's {} users",
                                  o.asn, o.as_name, org_users, ctx().org().users);
    }
    std::string key = fmt::format("{}|{}|{}|{}", o.user_key, o.os, o.browser, o.device);
    if (!alerted_.insert(key).second) return;
    std::string list;
    for (std::size_t i = 0; i < what.size(); ++i) {
      if (i > 0) list += i + 1 == what.size() ? " and " : ", ";
      list += what[i];
    }
    finding f = make_finding(o, p_.level);
    f.explanation = fmt::format(
        "{} signed in at {} from {} with new {} (user agent \"{}\"){}; the user's {} earlier "
        "sign-ins since {} used OS: {}; browsers: {}; devices: {}.",
        o.user, date_time(o.time_ns), place(o), list,
        o.user_agent.size() > 160 ? std::string(o.user_agent.substr(0, 160)) + "…"
                                  : std::string(o.user_agent),
        network, prof.sign_ins, date_time(prof.first_seen).substr(0, 10), known(prof.os, pool),
        known(prof.browsers, pool), known(prof.devices, pool));
    json_object ev;
    ev.str("analytic", uid())
        .strings("new", what)
        .str("os", o.os)
        .str("browser", o.browser)
        .str("device", o.device)
        .str("user_agent", o.user_agent)
        .str("known_os", known(prof.os, pool))
        .str("known_browsers", known(prof.browsers, pool))
        .str("known_devices", known(prof.devices, pool))
        .integer("user_sign_ins", prof.sign_ins)
        .raw("events", "[" + ref_json(o.ref) + "]");
    f.evidence_json = ev.done();
    f.matched.push_back({"new", "http_request.user_agent", list});
    f.attacks = {"T1078"};
    emit(out, std::move(f));
  }

 private:
  new_device_params p_;
  std::set<std::string> alerted_;
};

}  // namespace

std::unique_ptr<analytic> make_new_device(ctx_ptr ctx, const new_device_params& p) {
  return std::make_unique<new_device>(std::move(ctx), p);
}

}  // namespace mamori::analytics
