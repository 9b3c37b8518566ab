// Concurrent sessions from several countries: while a user works in the office, the same
// account signs in successfully from the United States and the Netherlands within the hour
// (a shared or stolen password used by others at the same time).

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  rng r = stream(sc.seed(), name_hash("scenario:concurrent_countries"));
  const std::int64_t day = sc.day_start(0.5);
  session own{};
  const person* victim = scn::pick_worker(
      sc.sim(), r, day,
      [](const person& p) {
        return p.job == role::engineer && cities()[p.home_city].country == "JP";
      },
      &own);
  if (victim == nullptr)
    victim = scn::pick_worker(
        sc.sim(), r, day, [](const person&) { return true; }, &own);
  if (victim == nullptr) return;
  const std::uint32_t us = scn::attacker_ip(sc.seed(), "us_comcast", 77);
  const std::uint32_t nl = scn::attacker_ip(sc.seed(), "nl_kpn", 78);
  const std::int64_t t1 = own.start + 70 * ns_per_min;
  const std::int64_t t2 = t1 + 23 * ns_per_min;

  truth_campaign c;
  c.campaign_id = "c03";
  c.scenario = "concurrent_countries";
  c.description = victim->upn + " works from " + std::string(cities()[own.city].name) +
                  " while the account signs in from the US and the Netherlands within 25 minutes";
  c.parameters = {{"countries", "US,NL"}, {"gap_min", "23"}};
  c.users = {victim->upn};
  c.src_ips = {ipv4_string(us), ipv4_string(nl)};
  c.expected = {{{"mamori.concurrent_countries"}, "user", victim->upn, false, 0},
                {{"mamori.impossible_travel"}, "user", victim->upn, false, 0},
                {{"mamori.new_country"}, "user", victim->upn, true, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  const std::pair<std::int64_t, std::uint32_t> signins[] = {{t1, us}, {t2, nl}};
  for (std::size_t k = 0; k < 2; ++k) {
    // Named copies, not a structured binding: clang 14 cannot capture bindings in lambdas.
    const std::int64_t t = signins[k].first;
    const std::uint32_t ip = signins[k].second;
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("concurrent:signin"), k);
      scn::emit(io, id, "foreign_signin", "entra_signin", [&](emitter& out, std::uint32_t tag) {
        wire::signin s;
        s.t = t;
        s.who = victim;
        s.ip = ip;
        s.city = city_index(network_of(ip)->city);
        s.app = &wire::entra_apps()[1];
        s.device = &device_profiles()[k == 0 ? 4 : 1];
        s.mfa = true;
        return wire::entra_signin(out, io.sim(), s, g, tag);
      });
      scn::emit(io, id, "foreign_signin", "okta", [&](emitter& out, std::uint32_t tag) {
        wire::okta_event e;
        e.t = t + 40 * ns_per_s;
        e.who = victim;
        e.ip = ip;
        e.event_type = "user.session.start";
        e.device = &device_profiles()[k == 0 ? 4 : 1];
        return wire::okta(out, io.sim(), e, g, tag);
      });
    });
  }
  (void)co;
}

}  // namespace

scenario_spec concurrent_countries_scenario_spec() {
  return {"concurrent_countries", "Concurrent sessions from several countries",
          "While an engineer works in Japan, the same account signs in from the United States "
          "and the Netherlands within 25 minutes.",
          plan};
}

}  // namespace mamori::sim
