// Brute force on one account from many countries: a storm of failed Okta and Entra ID
// sign-ins against one user from addresses in ten countries (residential proxies and
// hosting), ending in an account lock-out. Never succeeds.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  rng r = stream(sc.seed(), name_hash("scenario:brute_force"));
  const person* victim = scn::pick_person(
      co, r, [](const person& p) { return p.job == role::sales || p.job == role::executive; });
  if (victim == nullptr) victim = &co.people[co.people.size() - 1];
  constexpr std::string_view nets[] = {"vn_vnpt",       "ng_airtel", "br_claro", "ru_beeline",
                                       "cn_telecom_gd", "in_airtel", "kr_kt",    "nl_kpn",
                                       "fr_orange",     "gb_bt"};
  const std::size_t attempts = 240, addresses = 24;
  std::vector<std::uint32_t> ips;
  for (std::size_t k = 0; k < addresses; ++k)
    ips.push_back(scn::attacker_ip(sc.seed() ^ 0xb7u, nets[k % std::size(nets)], k));
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.6), 22, 40);

  truth_campaign c;
  c.campaign_id = "c02";
  c.scenario = "brute_force_many_countries";
  c.description = std::to_string(attempts) + " failed sign-ins against " + victim->upn + " from " +
                  std::to_string(addresses) + " addresses in 10 countries in 40 minutes";
  c.parameters = {{"attempts", std::to_string(attempts)},
                  {"addresses", std::to_string(addresses)},
                  {"countries", "VN,NG,BR,RU,CN,IN,KR,NL,FR,GB"},
                  {"duration_min", "40"}};
  c.users = {victim->upn};
  for (auto ip : ips) c.src_ips.push_back(ipv4_string(ip));
  c.expected = {{{"mamori.brute_force*"}, "user", victim->upn, false, 0},
                {{"mamori.new_country"}, "user", victim->upn, true, 0},
                {{"mamori.anonymizer"}, "", "", true, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));

  for (std::size_t k = 0; k < attempts; ++k) {
    const std::int64_t t =
        t0 + static_cast<std::int64_t>(k) * 10 * ns_per_s + r.range(0, 9) * ns_per_s;
    const std::uint32_t ip = ips[r.below(ips.size())];
    const bool okta = k % 3 != 0;
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("brute_force:attempt"), k);
      if (okta) {
        scn::emit(io, id, "failed_signin", "okta", [&](emitter& out, std::uint32_t tag) {
          wire::okta_event e;
          e.t = t;
          e.who = victim;
          e.ip = ip;
          e.event_type = "user.session.start";
          e.success = false;
          e.reason = "INVALID_CREDENTIALS";
          e.user_agent = "python-requests/2.31.0";
          return wire::okta(out, io.sim(), e, g, tag);
        });
      } else {
        scn::emit(io, id, "failed_signin", "entra_signin", [&](emitter& out, std::uint32_t tag) {
          wire::signin s;
          s.t = t;
          s.who = victim;
          s.ip = ip;
          s.city = city_index(network_of(ip)->city);
          s.app = &wire::entra_apps()[2];
          s.user_agent = "python-requests/2.31.0";
          s.client_app = "Other clients";
          s.error = k > 200 ? 50053 : 50126;
          s.mfa = false;
          return wire::entra_signin(out, io.sim(), s, g, tag);
        });
      }
    });
  }
  const std::int64_t t_lock =
      t0 + static_cast<std::int64_t>(attempts) * 10 * ns_per_s + 5 * ns_per_s;
  sc.at(t_lock, [=](sim_io& io) {
    rng g = stream(io.sim().seed(), name_hash("brute_force:lock"));
    scn::emit(io, id, "account_locked", "okta", [&](emitter& out, std::uint32_t tag) {
      wire::okta_event e;
      e.t = t_lock;
      e.who = victim;
      e.ip = ips[0];
      e.event_type = "user.account.lock";
      e.success = true;
      e.user_agent = "python-requests/2.31.0";
      return wire::okta(out, io.sim(), e, g, tag);
    });
  });
}

}  // namespace

scenario_spec brute_force_scenario_spec() {
  return {"brute_force_many_countries", "Brute force on one account from many countries",
          "A storm of failed Okta and Entra ID sign-ins against one sales account from 24 "
          "addresses in 10 countries, ending in a lock-out.",
          plan};
}

}  // namespace mamori::sim
