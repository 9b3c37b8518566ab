// A stolen groupware password used from a new device and country (the municipality and
// university cases): the password, phished or reused, is used from Vietnam on an Android
// phone the user never had, while the user is at work in Japan; the mailbox then sends
// hundreds of spam messages.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  rng r = stream(sc.seed(), name_hash("scenario:stolen_groupware"));
  const std::int64_t day = sc.day_start(0.86);
  session own{};
  const person* victim = scn::pick_worker(
      sc.sim(), r, day,
      [](const person& p) {
        return (p.job == role::staff || p.job == role::hr) &&
               cities()[p.home_city].country == "JP" && p.mfa &&
               device_profiles()[p.phone_profile].family == os_family::ios;
      },
      &own);
  if (victim == nullptr)
    victim = scn::pick_worker(
        sc.sim(), r, day, [](const person&) { return true; }, &own);
  if (victim == nullptr) return;
  const std::uint32_t ip = scn::attacker_ip(sc.seed(), "vn_viettel", 5);
  const std::int64_t t_login = own.start + 3 * ns_per_hour + 12 * ns_per_min;
  const std::size_t spam = 300;

  truth_campaign c;
  c.campaign_id = "c04";
  c.scenario = "stolen_groupware_password";
  c.description = victim->upn +
                  "'s password used from Vietnam on a new Android device while "
                  "the user works in Japan, then " +
                  std::to_string(spam) + " spam e-mails sent";
  c.parameters = {{"country", "VN"},
                  {"device", "Android / Samsung Browser"},
                  {"messages", std::to_string(spam)}};
  c.users = {victim->upn};
  c.src_ips = {ipv4_string(ip)};
  c.expected = {{{"mamori.new_country"}, "user", victim->upn, false, 0},
                {{"mamori.new_device"}, "user", victim->upn, false, 0},
                {{"mamori.impossible_travel"}, "user", victim->upn, false, 0},
                {{"mamori.unusual_service", "mamori.mass_*"}, "user", victim->upn, true, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  const device_profile* phone = &device_profiles()[7];
  sc.at(t_login, [=](sim_io& io) {
    rng g = stream(io.sim().seed(), name_hash("stolen:login"));
    scn::emit(io, id, "stolen_password_signin", "entra_signin",
              [&](emitter& out, std::uint32_t tag) {
                wire::signin s;
                s.t = t_login;
                s.who = victim;
                s.ip = ip;
                s.city = city_index(network_of(ip)->city);
                s.app = &wire::entra_apps()[2];
                s.device = phone;
                s.client_app = "Mobile Apps and Desktop clients";
                s.mfa = false;  // the account was exempted from MFA for a legacy mail client
                return wire::entra_signin(out, io.sim(), s, g, tag);
              });
  });
  std::int64_t t = t_login + 4 * ns_per_min;
  for (std::size_t k = 0; k < spam; ++k) {
    t += r.range(3, 15) * ns_per_s;
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("stolen:spam"), k);
      scn::emit(io, id, "spam_sent", "m365_audit", [&](emitter& out, std::uint32_t tag) {
        wire::mail_op m;
        m.t = t;
        m.who = victim;
        m.ip = ip;
        m.operation = "Send";
        m.subject = "Urgent: unpaid invoice - please confirm payment";
        m.client_info = "Client=OutlookService;Outlook-Android/2.0";
        return wire::m365_mail(out, io.sim(), m, g, tag);
      });
    });
  }
}

}  // namespace

scenario_spec stolen_groupware_scenario_spec() {
  return {"stolen_groupware_password", "Stolen groupware password from a new device and country",
          "A staff member's password is used from Vietnam on an Android phone they never had, "
          "while they work in Japan; the mailbox then sends hundreds of spam messages.",
          plan};
}

}  // namespace mamori::sim
