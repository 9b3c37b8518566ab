// Supplier VPN compromise → lateral movement → file server → order system (the automotive
// supply-chain case): an attacker comes in at night through a supplier's VPN with the
// supplier's remote-desktop account, discovers the domain, uses a stolen administrator
// password with PsExec to reach the file server, reads hundreds of files there, then runs
// an export on the order management server.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  rng r = stream(sc.seed(), name_hash("scenario:supplier_vpn"));
  const std::uint32_t rds = wire::win_host_key(sc.sim(), co.server_index("RDS01"));
  const std::uint32_t fs = wire::win_host_key(sc.sim(), co.server_index("FS01"));
  const std::uint32_t order = wire::win_host_key(sc.sim(), co.server_index("ORDER01"));
  const std::string rds_ip = ipv4_string(co.server_by_name("RDS01").ip);
  const std::string fs_ip = ipv4_string(co.server_by_name("FS01").ip);
  const std::string vpn_ip = "10.99.0.77";  // an address of the supplier VPN pool never seen
  const std::string supplier = "sup-kobayashi-parts";
  const std::string supplier_sid = co.domain_sid + "-2301";
  const person* admin =
      scn::pick_person(co, r, [](const person& p) { return p.job == role::it_admin; });
  if (admin == nullptr) admin = &co.people[co.people.size() > 1 ? 1 : 0];
  const std::string admin_user = admin->sam;
  const std::size_t files = 300;
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.62), 2, 5);

  truth_campaign c;
  c.campaign_id = "c05";
  c.scenario = "supplier_vpn_lateral_movement";
  c.description = "night-time RDP with supplier account " + supplier + " from " + vpn_ip +
                  ", discovery, PsExec with " + admin_user + " to FS01, " + std::to_string(files) +
                  " files read, export on ORDER01";
  c.parameters = {{"supplier_account", supplier},
                  {"vpn_address", vpn_ip},
                  {"files_read", std::to_string(files)},
                  {"admin_account", admin_user}};
  c.users = {supplier, admin_user, co.ad_domain + "\\" + admin_user};
  c.src_ips = {vpn_ip, rds_ip};
  c.hosts = {"RDS01",
             "FS01",
             "ORDER01",
             "RDS01.hoshino.local",
             "FS01.hoshino.local",
             "ORDER01.hoshino.local"};
  c.expected = {
      {{"c248c896-e412-4279-8c15-1c558067b6fa"},
       "host",
       "RDS01.hoshino.local",
       false,
       0},  // whoami /all
      {{"5cc90652-4cbd-4241-aa3b-4b462fa5a248"},
       "host",
       "RDS01.hoshino.local",
       false,
       0},  // nltest recon
      {{"fdfcbd78-48f1-4a4b-90ac-d82241e368c5"},
       "host",
       "FS01.hoshino.local",
       false,
       0},  // PSEXESVC
      {{"7c0dcd3d-acf8-4f71-9570-f448b0034f94"},
       "host",
       "FS01.hoshino.local",
       false,
       0},  // child as SYSTEM
      {{"42c575ea-e41e-41f1-b248-8093c3e82a28"},
       "host",
       "FS01.hoshino.local",
       false,
       0},  // 7045 PSEXESVC
      {{"mamori.new_device", "mamori.unusual_service", "mamori.mass_*"}, "user", supplier, true, 0},
  };
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  const std::string rds_user = co.ad_domain + "\\" + supplier;
  const std::string admin_full = co.ad_domain + "\\" + admin_user;
  const std::string admin_sid = admin->sid;
  auto proc = [](std::int64_t t, const std::string& user, std::string_view image,
                 std::string_view cmd, std::string_view parent, std::string_view original,
                 std::uint64_t salt) {
    rng g = stream(salt, name_hash(image), static_cast<std::uint64_t>(t));
    return wire::sysmon_process_fields(t, user, image, cmd, parent, original, g);
  };

  std::int64_t t = t0;
  sc.at(t, [=](sim_io& io) {
    rng g = stream(io.sim().seed(), name_hash("supplier:logon"));
    scn::win(io, id, "supplier_rdp_logon", t, rds, wire::win_channel::security, 4624,
             wire::win_logon_fields(io.sim(), supplier, supplier_sid, 10, vpn_ip, "DESKTOP-8F3K2QL",
                                    "Negotiate", g),
             1);
  });
  const std::pair<std::string_view, std::string_view> recon[] = {
      {"C:\\Windows\\System32\\whoami.exe", "whoami /all"},
      {"C:\\Windows\\System32\\net.exe", "net group \"Domain Admins\" /domain"},
      {"C:\\Windows\\System32\\nltest.exe", "nltest /dclist:hoshino.local"},
      {"C:\\Windows\\System32\\net.exe", "net view \\\\FS01"},
  };
  for (std::size_t k = 0; k < std::size(recon); ++k) {
    t += r.range(20, 90) * ns_per_s;
    // Named copies, not a structured binding: clang 14 cannot capture bindings in lambdas.
    const std::string_view image = recon[k].first;
    const std::string_view cmd = recon[k].second;
    const std::string original = std::string(image.substr(image.rfind('\\') + 1));
    sc.at(t, [=](sim_io& io) {
      scn::win(io, id, "discovery", t, rds, wire::win_channel::sysmon, 1,
               proc(t, rds_user, image, cmd, "C:\\Windows\\System32\\cmd.exe",
                    original == "nltest.exe" ? "nltestrk.exe" : original, io.sim().seed()),
               k);
    });
  }
  // PsExec from RDS01 to FS01 with the administrator's password.
  t += 6 * ns_per_min;
  sc.at(t, [=](sim_io& io) {
    rng g = stream(io.sim().seed(), name_hash("supplier:psexec"));
    scn::win(io, id, "psexec", t, rds, wire::win_channel::sysmon, 1,
             proc(t, rds_user, "C:\\Users\\sup-kobayashi-parts\\Downloads\\PsExec64.exe",
                  "PsExec64.exe \\\\FS01 -u HOSHINO\\" + admin_user + " -p ******** -s cmd.exe",
                  "C:\\Windows\\System32\\cmd.exe", "psexec.c", io.sim().seed()),
             10);
    scn::win(io, id, "lateral_logon", t + ns_per_s, fs, wire::win_channel::security, 4624,
             wire::win_logon_fields(io.sim(), admin_user, admin_sid, 3, rds_ip, "RDS01", "NTLM", g),
             11);
    const std::string svc =
        "\"ServiceName\":\"PSEXESVC\",\"ImagePath\":\"%SystemRoot%\\\\PSEXESVC.exe\","
        "\"ServiceType\":\"user mode service\",\"StartType\":\"demand start\","
        "\"AccountName\":\"LocalSystem\"";
    scn::win(io, id, "psexec_service", t + 2 * ns_per_s, fs, wire::win_channel::system, 7045, svc,
             12);
    scn::win(io, id, "psexec_service", t + 3 * ns_per_s, fs, wire::win_channel::sysmon, 1,
             proc(t + 3 * ns_per_s, "NT AUTHORITY\\SYSTEM", "C:\\Windows\\PSEXESVC.exe",
                  "C:\\Windows\\PSEXESVC.exe", "C:\\Windows\\System32\\services.exe",
                  "psexesvc.exe", io.sim().seed()),
             13);
    scn::win(io, id, "remote_shell", t + 4 * ns_per_s, fs, wire::win_channel::sysmon, 1,
             proc(t + 4 * ns_per_s, "NT AUTHORITY\\SYSTEM", "C:\\Windows\\System32\\cmd.exe",
                  "\"cmd.exe\"", "C:\\Windows\\PSEXESVC.exe", "Cmd.Exe", io.sim().seed()),
             14);
  });
  // Collection on the file server: share access and hundreds of reads over SMB.
  t += 3 * ns_per_min;
  for (std::size_t k = 0; k < files; ++k) {
    t += r.range(1, 4) * ns_per_s;
    const std::size_t f = (k * 53 + 7) % co.files.size();
    sc.at(t, [=](sim_io& io) {
      const site_file& file = io.sim().co.files[f];
      std::string o = "\"SubjectUserSid\":\"" + admin_sid + "\",\"SubjectUserName\":\"" +
                      admin_user + "\",\"SubjectDomainName\":\"" + io.sim().co.ad_domain +
                      "\",\"SubjectLogonId\":\"0x3e7\",\"ObjectServer\":\"Security\","
                      "\"ObjectType\":\"File\",\"ObjectName\":";
      append_json(o, "D:\\Shared\\" + io.sim().co.sites[file.site] + "\\" + file.name);
      o += ",\"HandleId\":\"0x2a8\",\"AccessList\":\"%%4416\",\"AccessMask\":\"0x1\","
           "\"ProcessId\":\"0x4\",\"ProcessName\":\"\",\"IpAddress\":\"" +
           rds_ip + "\"";
      scn::win(io, id, "file_server_collection", t, fs, wire::win_channel::security, 4663, o,
               100 + k);
    });
  }
  // The order system: logon from the file server and a database export.
  t += 9 * ns_per_min;
  sc.at(t, [=](sim_io& io) {
    rng g = stream(io.sim().seed(), name_hash("supplier:order"));
    scn::win(io, id, "order_system_logon", t, order, wire::win_channel::security, 4624,
             wire::win_logon_fields(io.sim(), admin_user, admin_sid, 3, fs_ip, "FS01", "NTLM", g),
             20);
    scn::win(io, id, "order_export", t + 40 * ns_per_s, order, wire::win_channel::sysmon, 1,
             proc(t + 40 * ns_per_s, admin_full,
                  "C:\\Program Files\\Microsoft SQL Server\\Client "
                  "SDK\\ODBC\\170\\Tools\\Binn\\SQLCMD.EXE",
                  "sqlcmd -S localhost -E -Q \"SELECT * FROM OrderDB.dbo.Orders\" -o "
                  "C:\\Users\\Public\\o.csv",
                  "C:\\Windows\\System32\\cmd.exe", "sqlcmd.exe", io.sim().seed()),
             21);
  });
}

}  // namespace

scenario_spec supplier_vpn_scenario_spec() {
  return {"supplier_vpn_lateral_movement",
          "Supplier VPN compromise → lateral movement → file server → order system",
          "At night an attacker uses a supplier's remote-desktop account through the supplier "
          "VPN, runs discovery, moves to the file server with PsExec and a stolen administrator "
          "password, reads hundreds of files and exports the order database.",
          plan};
}

}  // namespace mamori::sim
