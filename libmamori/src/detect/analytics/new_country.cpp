// mamori.new_country: successful activity from a country that is new (or rare) for the user
// (default: never seen in the user's baseline) and for the organisation (default: at most 1%
// of its users were ever seen there). Both baselines must be past the learning period and
// large enough. Known VPN/hosting egress is skipped (its country says where the provider is).
// docs/analytics.md#new-country

#include <fmt/format.h>

#include <set>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"
#include "mamori/enrich/ip_reputation.hpp"

namespace mamori::analytics {

namespace {

class new_country final : public analytic {
 public:
  new_country(ctx_ptr ctx, const new_country_params& p)
      : analytic(std::move(ctx), "mamori.new_country",
                 "Activity from a country new for the user and rare for the organisation"),
        p_(p) {}

  std::uint32_t wants() const override {
    return want(obs_kind::sign_in) | want(obs_kind::api_call) | want(obs_kind::file_op);
  }

  void on_observation(const observation& o, user_profile& prof, finding_sink& out) override {
    if (o.status == ocsf::status_id::failure || o.country.empty()) return;
    // A commercial VPN or the organisation's own egress says where the provider is, not the
    // user. Hosting ranges stay in: attackers rent servers abroad.
    if (o.flags & (ip_flag::vpn | ip_flag::corporate)) return;
    const std::uint64_t user_total = prof.countries.total();
    if (!ctx().user_mature(prof, o.time_ns) ||
        user_total < static_cast<std::uint64_t>(p_.min_user_sign_ins)) {
      return;
    }
    const org_profile& org = ctx().org();
    if (!ctx().org_mature(o.time_ns) || org.users < static_cast<std::uint32_t>(p_.org_min_users)) {
      return;
    }
    const std::uint32_t c = ctx().pool().intern(o.country);
    const std::uint32_t user_count = prof.countries.count(c);
    const double user_share = static_cast<double>(user_count) / static_cast<double>(user_total);
    if (user_share > p_.user_max_share) return;
    auto it = org.country_users.find(c);
    const std::uint32_t org_users = it == org.country_users.end() ? 0 : it->second;
    const double org_share = static_cast<double>(org_users) / static_cast<double>(org.users);
    if (org_share > p_.org_max_share) return;
    if (!alerted_.insert(fmt::format("{}|{}", o.user_key, o.country)).second) return;

    finding f = make_finding(o, p_.level);
    std::string usual;
    for (std::uint8_t k = 0; k < prof.countries.size && k < 5; ++k) {
      if (!usual.empty()) usual += ", ";
      usual +=
          fmt::format("{} ×{}", ctx().pool().get(prof.countries.keys[k]), prof.countries.counts[k]);
    }
    f.explanation = fmt::format(
        "{} {} from {} at {} ({}{}); {} was seen in {} of {} of the user's located events "
        "(usually: {}) and for {} of the organisation's {} users ({:.1f}%); thresholds: user "
        "share ≤ {:.0f}%, organisation share ≤ {:.1f}%, after a {}-day learning period.{}",
        o.user, o.kind == obs_kind::sign_in ? "signed in" : "was active", place(o),
        date_time(o.time_ns), o.ip,
        o.flags == 0 ? std::string() : ", listed as " + ip_flag_names(o.flags), o.country,
        user_count, user_total, usual, org_users, org.users, org_share * 100,
        p_.user_max_share * 100, p_.org_max_share * 100, ctx().config().learning_period / days_ns,
        geo_footer(o.geo_provider));
    json_object ev;
    ev.str("analytic", uid())
        .str("country", o.country)
        .str("city", o.city)
        .str("ip", o.ip)
        .integer("user_events_in_country", user_count)
        .integer("user_located_events", static_cast<std::int64_t>(user_total))
        .str("user_usual_countries", usual)
        .integer("org_users_in_country", org_users)
        .integer("org_users", org.users)
        .num("org_share", org_share)
        .str("user_first_seen", date_time(prof.first_seen))
        .raw("events", "[" + ref_json(o.ref) + "]");
    f.evidence_json = ev.done();
    f.matched.push_back({"country", "src_endpoint.location.country", std::string(o.country)});
    f.attacks = {"T1078"};
    emit(out, std::move(f));
  }

 private:
  new_country_params p_;
  std::set<std::string> alerted_;
};

}  // namespace

std::unique_ptr<analytic> make_new_country(ctx_ptr ctx, const new_country_params& p) {
  return std::make_unique<new_country>(std::move(ctx), p);
}

}  // namespace mamori::analytics
