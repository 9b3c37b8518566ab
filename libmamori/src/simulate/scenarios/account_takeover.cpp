// Password spraying against the Entra ID tenant from hosting addresses, one success on an
// account without MFA, then an inbox rule forwarding mail outside and deleting it, and a
// mass download from SharePoint (the classic business-e-mail-compromise takeover).

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  rng r = stream(sc.seed(), name_hash("scenario:account_takeover"));
  const std::size_t targets = std::min<std::size_t>(co.people.size(), 60);
  const person* victim = nullptr;
  for (const person& p : co.people)
    if (!p.mfa) victim = victim == nullptr ? &p : victim;
  if (victim == nullptr) victim = &co.people[0];
  const std::uint32_t spray_ips[] = {scn::attacker_ip(sc.seed(), "hetzner", 1),
                                     scn::attacker_ip(sc.seed(), "hetzner", 2),
                                     scn::attacker_ip(sc.seed(), "frantech", 3)};
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.72), 3, 10);
  const std::string forward_to = "invoice.desk.ops@protonmail.com";
  const std::size_t downloads = 400;

  truth_campaign c;
  c.campaign_id = "c01";
  c.scenario = "account_takeover";
  c.description = "password spray against " + std::to_string(targets) +
                  " accounts from hosting addresses, success on " + victim->upn +
                  " (no MFA), inbox rule forwarding to " + forward_to + ", " +
                  std::to_string(downloads) + " SharePoint downloads";
  c.parameters = {{"targets", std::to_string(targets)},
                  {"spray_interval_s", "20-40"},
                  {"downloads", std::to_string(downloads)},
                  {"forward_to", forward_to}};
  c.users = {victim->upn};
  for (auto ip : spray_ips) c.src_ips.push_back(ipv4_string(ip));
  c.expected = {
      {{"mamori.password_spray"}, "src_ip", ipv4_string(spray_ips[0]), false, 0},
      {{"mamori.new_country"}, "user", victim->upn, false, 0},
      {{"mamori.new_device"}, "user", victim->upn, true, 0},
      {{"mamori.mass_download"}, "user", victim->upn, false, 0},
      {{"mamori.anonymizer"}, "", "", true, 0},
      {{"mamori.brute_force"}, "", "", true, 0},
  };
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));

  // 1. The spray: one attempt per account, rotating addresses, legacy client (ROPC).
  std::vector<const person*> order;
  for (std::size_t k = 0; k < co.people.size() && order.size() < targets; ++k) {
    const person& p = co.people[(k * 7 + 3) % co.people.size()];
    if (std::find(order.begin(), order.end(), &p) == order.end()) order.push_back(&p);
  }
  if (std::find(order.begin(), order.end(), victim) == order.end()) order.back() = victim;
  std::int64_t t = t0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const person* who = order[k];
    const std::uint32_t ip = spray_ips[k % 3];
    const bool hit = who == victim;
    t += r.range(20, 40) * ns_per_s;
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("account_takeover:spray"), k);
      scn::emit(io, id, hit ? "spray_success" : "spray", "entra_signin",
                [&](emitter& out, std::uint32_t tag) {
                  wire::signin s;
                  s.t = t;
                  s.who = who;
                  s.ip = ip;
                  s.city = city_index(network_of(ip)->city);
                  s.app = &wire::entra_apps()[2];
                  s.user_agent = "BAV2ROPC";
                  s.client_app = "Other clients";
                  s.error = hit ? 0 : 50126;
                  s.mfa = false;
                  return wire::entra_signin(out, io.sim(), s, g, tag);
                });
    });
  }
  const std::uint32_t ip = spray_ips[0];
  // 2. Interactive sign-in from the attacker's browser (new device, new country).
  const std::int64_t t_login = t + 12 * ns_per_min;
  sc.at(t_login, [=](sim_io& io) {
    rng g = stream(io.sim().seed(), name_hash("account_takeover:login"));
    scn::emit(io, id, "attacker_signin", "entra_signin", [&](emitter& out, std::uint32_t tag) {
      wire::signin s;
      s.t = t_login;
      s.who = victim;
      s.ip = ip;
      s.city = city_index(network_of(ip)->city);
      s.app = &wire::entra_apps()[0];
      s.device = &device_profiles()[8];  // Linux Firefox: never used by the victim
      s.mfa = false;
      return wire::entra_signin(out, io.sim(), s, g, tag);
    });
  });
  // 3. Inbox rule: forward everything outside, mark read, delete.
  const std::int64_t t_rule = t_login + 6 * ns_per_min;
  sc.at(t_rule, [=](sim_io& io) {
    rng g = stream(io.sim().seed(), name_hash("account_takeover:rule"));
    scn::emit(io, id, "inbox_forwarding_rule", "m365_audit", [&](emitter& out, std::uint32_t tag) {
      static const std::string params =
          R"([{"Name":"AlwaysDeleteOutlookRulesBlob","Value":"False"},{"Name":"Force","Value":"False"},)"
          R"({"Name":"ForwardTo","Value":"invoice.desk.ops@protonmail.com"},{"Name":"Name","Value":"."},)"
          R"({"Name":"MarkAsRead","Value":"True"},{"Name":"DeleteMessage","Value":"True"},)"
          R"({"Name":"StopProcessingRules","Value":"True"}])";
      const std::string object = victim->upn + "\\.";
      wire::mail_op m;
      m.t = t_rule;
      m.who = victim;
      m.ip = ip;
      m.operation = "New-InboxRule";
      m.parameters_json = params;
      m.object_id = object;
      return wire::m365_mail(out, io.sim(), m, g, tag);
    });
  });
  // 4. Mass download from the finance and sales sites.
  std::int64_t td = t_rule + 7 * ns_per_min;
  for (std::size_t k = 0; k < downloads; ++k) {
    td += r.range(2, 8) * ns_per_s;
    const std::size_t file = (k * 37 + 11) % co.files.size();
    sc.at(td, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("account_takeover:download"), k);
      scn::emit(io, id, "mass_download", "m365_audit", [&](emitter& out, std::uint32_t tag) {
        wire::file_op f;
        f.t = td;
        f.who = victim;
        f.ip = ip;
        f.operation = "FileDownloaded";
        f.file = &io.sim().co.files[file];
        f.user_agent = device_profiles()[8].user_agent;
        return wire::m365_file(out, io.sim(), f, g, tag);
      });
    });
  }
}

}  // namespace

scenario_spec account_takeover_scenario_spec() {
  return {"account_takeover", "Password spray → takeover → inbox forwarding → mass download",
          "A password spray from hosting addresses hits one account without MFA; the attacker "
          "signs in from a new device and country, adds an inbox rule that forwards and "
          "deletes mail, and downloads hundreds of SharePoint files.",
          plan};
}

}  // namespace mamori::sim
