// mamori.impossible_travel: consecutive successful sign-ins of one user whose great-circle
// distance over the elapsed time exceeds a travel speed (default 900 km/h, a airliner's
// cruise) with a minimum distance (default 500 km, above city-level geolocation error).
// Suppressed when either address is known egress (VPN, hosting, Apple Private Relay,
// corporate ranges), when a phone or tablet stays on one carrier ASN (carrier gateways move
// geolocation), or when either location is imprecise (no city, or an accuracy radius above
// the limit) — but never when the new country is new both for the user and for the
// organisation. docs/analytics.md#impossible-travel

#include <fmt/format.h>

#include <cmath>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"
#include "mamori/enrich/ip_reputation.hpp"

namespace mamori::analytics {

namespace {

constexpr std::uint32_t egress_flags =
    ip_flag::vpn | ip_flag::hosting | ip_flag::relay | ip_flag::corporate;

std::string egress_words(std::uint32_t flags) {
  std::vector<std::string> w;
  if (flags & ip_flag::vpn) w.emplace_back("a known VPN");
  if (flags & ip_flag::relay) w.emplace_back("Apple iCloud Private Relay");
  if (flags & ip_flag::hosting) w.emplace_back("a hosting/datacenter range");
  if (flags & ip_flag::corporate) w.emplace_back("corporate egress");
  std::string out;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (i > 0) out += i + 1 == w.size() ? " and " : ", ";
    out += w[i];
  }
  return out;
}

class impossible_travel final : public analytic {
 public:
  impossible_travel(ctx_ptr ctx, const impossible_travel_params& p)
      : analytic(std::move(ctx), "mamori.impossible_travel", "Impossible travel"), p_(p) {}

  std::uint32_t wants() const override { return want(obs_kind::sign_in); }

  void on_observation(const observation& o, user_profile& prof, finding_sink& out) override {
    if (o.status != ocsf::status_id::success || !o.has_geo || !prof.last) return;
    const last_location& l = *prof.last;
    if (o.has_ip && o.addr == l.ip) return;  // one address cannot travel
    const std::int64_t dt = std::llabs(o.time_ns - l.time_ns);
    if (dt > p_.max_gap) return;
    const double km = distance_km(l.lat, l.lon, o.lat, o.lon);
    if (km < p_.min_distance_km) return;
    const double hours = static_cast<double>(dt) / 3.6e12;
    const double speed = hours > 0 ? km / hours : INFINITY;
    if (speed <= p_.max_speed_kmh) return;

    string_pool& pool = ctx().pool();
    const std::string_view prev_country = pool.get(l.country);
    const std::string_view prev_city = pool.get(l.city);
    // Why this pair might be harmless.
    std::vector<std::string> reasons;
    const std::uint32_t flags = (l.flags | o.flags) & egress_flags;
    // Egress counts as the user's own when it is corporate, when the user signed in through
    // that network before, or through that kind of egress (VPN, relay, hosting) before: an
    // attacker renting a server is not suppressed just because the server is in a datacenter.
    const bool own_egress =
        (flags & ip_flag::corporate) != 0 ||
        ((o.flags & egress_flags) != 0 && o.asn != 0 && prof.asns.count(o.asn) >= 2) ||
        ((l.flags & egress_flags) != 0 && !(o.flags & egress_flags)) ||
        (prof.egress & o.flags & egress_flags) != 0;
    if (p_.suppress_known_egress && flags != 0 && own_egress) {
      reasons.push_back(fmt::format("{} is {} the user has used before",
                                    (o.flags & egress_flags) ? o.ip : "the earlier address",
                                    egress_words(flags)));
    }
    if (p_.suppress_same_asn_mobile && o.asn != 0 && o.asn == l.asn && (o.mobile || l.mobile)) {
      reasons.push_back(fmt::format("a mobile device stayed on carrier AS{}", o.asn));
    }
    if (p_.suppress_domestic_mobile && !o.country.empty() && o.country == prev_country &&
        (o.mobile || l.mobile)) {
      reasons.push_back(fmt::format("a mobile device stayed within {}", o.country));
    }
    if (p_.suppress_known_networks && o.asn != 0 && l.asn != 0 && o.asn != l.asn &&
        prof.asns.count(o.asn) >= 2 && prof.asns.count(l.asn) >= 2) {
      reasons.push_back(
          fmt::format("AS{} and AS{} are both habitual networks of {}", l.asn, o.asn, o.user));
    }
    const bool low_accuracy = o.city.empty() || prev_city.empty() ||
                              (o.accuracy_km > 0 && o.accuracy_km > p_.low_accuracy_km) ||
                              (l.accuracy_km > 0 && l.accuracy_km > p_.low_accuracy_km);
    if (low_accuracy) reasons.emplace_back("a location is only known to country level");

    const std::uint32_t country = o.country.empty() ? 0 : pool.intern(o.country);
    const bool new_for_user = country != 0 && prof.countries.count(country) == 0;
    auto org_it = ctx().org().country_users.find(country);
    const std::uint32_t org_users = org_it == ctx().org().country_users.end() ? 0 : org_it->second;
    const bool new_for_org = country != 0 && org_users == 0;
    if (!reasons.empty() && !(new_for_user && new_for_org)) {
      ++suppressed_;
      return;
    }

    finding f = make_finding(o, p_.level);
    const std::string from = place(prev_city, prev_country, l.asn, l.ip.to_string());
    const std::string to = place(o);
    std::string why;
    if (reasons.empty()) {
      why = flags == 0 ? "neither address is a known VPN, relay, hosting or corporate range"
            : !p_.suppress_known_egress
                ? fmt::format("egress suppression is off ({})", egress_words(flags))
                : fmt::format("{} is {}, egress the user never used before", o.ip,
                              egress_words(flags));
    } else {
      why = "not suppressed although ";
      for (std::size_t i = 0; i < reasons.size(); ++i) {
        if (i > 0) why += " and ";
        why += reasons[i];
      }
      why += fmt::format(", because {} is new for {} and for the organisation", o.country, o.user);
    }
    const std::string speed_text =
        std::isfinite(speed) ? thousands(speed) + " km/h" : std::string("an instant jump");
    f.explanation = fmt::format(
        "{} signed in from {} at {} and from {} at {}: {} km in {} = {} (limit {} km/h); {}.{}",
        o.user, from, date_time(l.time_ns), to, date_time(o.time_ns), thousands(km), span_text(dt),
        speed_text, thousands(p_.max_speed_kmh), why, geo_footer(o.geo_provider, o.geo_provider));
    json_object prev;
    prev.str("time", date_time(l.time_ns))
        .str("ip", l.ip.to_string())
        .str("country", prev_country)
        .str("city", prev_city)
        .num("lat", l.lat)
        .num("lon", l.lon)
        .integer("asn", l.asn)
        .str("flags", ip_flag_names(l.flags))
        .boolean("mobile", l.mobile)
        .str("event", l.event_ref);
    json_object cur;
    cur.str("time", date_time(o.time_ns))
        .str("ip", o.ip)
        .str("country", o.country)
        .str("city", o.city)
        .num("lat", o.lat)
        .num("lon", o.lon)
        .integer("asn", o.asn)
        .str("flags", ip_flag_names(o.flags))
        .boolean("mobile", o.mobile)
        .str("os", o.os)
        .raw("event", ref_json(o.ref));
    json_object ev;
    ev.str("analytic", uid())
        .raw("previous", prev.done())
        .raw("current", cur.done())
        .num("distance_km", km)
        .num("elapsed_seconds", static_cast<double>(dt) / 1e9)
        .num("speed_kmh", std::isfinite(speed) ? speed : -1)
        .num("max_speed_kmh", p_.max_speed_kmh)
        .num("min_distance_km", p_.min_distance_km)
        .strings("suppression_reasons_overridden", reasons)
        .boolean("country_new_for_user", new_for_user)
        .integer("org_users_in_country", org_users)
        .raw("events", "[" + ref_json(o.ref) + "]");
    if (!o.geo_provider.empty()) ev.str("geo_provider", o.geo_provider);
    f.evidence_json = ev.done();
    f.matched.push_back({"distance_km", "src_endpoint.location", thousands(km)});
    f.matched.push_back({"speed_kmh", "time", speed_text});
    f.attacks = {"T1078"};
    emit(out, std::move(f));
  }

  std::uint64_t suppressed() const { return suppressed_; }

 private:
  impossible_travel_params p_;
  std::uint64_t suppressed_ = 0;
};

}  // namespace

std::unique_ptr<analytic> make_impossible_travel(ctx_ptr ctx, const impossible_travel_params& p) {
  return std::make_unique<impossible_travel>(std::move(ctx), p);
}

}  // namespace mamori::analytics
