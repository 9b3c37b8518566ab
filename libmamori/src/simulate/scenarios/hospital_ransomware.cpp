// Vendor remote-maintenance account → disabling antivirus → mass file modification (the
// hospital ransomware case): the maintenance vendor's account on the production management
// server is guessed over RDP at night, Defender is switched off, shadow copies deleted, and
// an encryptor rewrites thousands of files locally and on the file server share.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  rng r = stream(sc.seed(), name_hash("scenario:hospital_ransomware"));
  const std::uint32_t pms = wire::win_host_key(sc.sim(), co.server_index("PMS01"));
  const std::uint32_t fs = wire::win_host_key(sc.sim(), co.server_index("FS01"));
  const std::string vpn_ip = "10.99.0.88";
  const std::string account = "maint-vendor";
  const std::string user = "PMS01\\maint-vendor";
  const std::string sid = "S-1-5-21-1180699209-877415012-3182924384-1004";
  const std::size_t failures = 25, encrypted = 1500;
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.93), 1, 30);

  truth_campaign c;
  c.campaign_id = "c06";
  c.scenario = "vendor_maintenance_ransomware";
  c.description = "RDP password guessing on vendor account " + account +
                  " on PMS01, Defender "
                  "disabled, shadow copies deleted, " +
                  std::to_string(encrypted) + " files encrypted on PMS01 and the FS01 share";
  c.parameters = {{"account", account},
                  {"failed_logons", std::to_string(failures)},
                  {"files_encrypted", std::to_string(encrypted)},
                  {"extension", ".lockbit"}};
  c.users = {account, user};
  c.src_ips = {vpn_ip};
  c.hosts = {"PMS01", "FS01", "PMS01.hoshino.local", "FS01.hoshino.local"};
  c.expected = {
      {{"1ec65a5f-9473-4f12-97da-622044d6df21"},
       "host",
       "PMS01.hoshino.local",
       false,
       0},  // Set-MpPreference
      {{"14c71865-6cd3-44ae-adaa-1db923fae5f2"},
       "host",
       "PMS01.hoshino.local",
       true,
       0},  // script block
      {{"b28e58e4-2a72-4fae-bdee-0fbe904db642"},
       "host",
       "PMS01.hoshino.local",
       true,
       0},  // Defender 5001
      {{"c947b146-0abc-4c87-9c64-b17e9d7274a2"},
       "host",
       "PMS01.hoshino.local",
       false,
       0},  // vssadmin
      {{"mamori.brute_force*"}, "user", account, true, 0},
      {{"mamori.mass_*"}, "host", "PMS01.hoshino.local", true, 0},
  };
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  auto proc = [](std::int64_t t, const std::string& u, std::string_view image, std::string_view cmd,
                 std::string_view parent, std::string_view original, std::uint64_t salt) {
    rng g = stream(salt, name_hash(image), static_cast<std::uint64_t>(t));
    return wire::sysmon_process_fields(t, u, image, cmd, parent, original, g);
  };

  std::int64_t t = t0;
  for (std::size_t k = 0; k < failures; ++k) {
    t += r.range(2, 6) * ns_per_s;
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("ransom:fail"), k);
      scn::win(io, id, "rdp_password_guessing", t, pms, wire::win_channel::security, 4625,
               wire::win_failed_logon_fields(io.sim(), account, 3, vpn_ip, "-", g), k);
    });
  }
  t += 40 * ns_per_s;
  sc.at(t, [=](sim_io& io) {
    rng g = stream(io.sim().seed(), name_hash("ransom:logon"));
    scn::win(io, id, "vendor_rdp_logon", t, pms, wire::win_channel::security, 4624,
             wire::win_logon_fields(io.sim(), account, sid, 10, vpn_ip, "-", "Negotiate", g), 100);
  });
  t += 4 * ns_per_min;
  sc.at(t, [=](sim_io& io) {
    const std::string ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    scn::win(io, id, "disable_antivirus", t, pms, wire::win_channel::sysmon, 1,
             proc(t, user, ps,
                  "powershell.exe -ExecutionPolicy Bypass -Command \"Set-MpPreference "
                  "-DisableRealtimeMonitoring $true -DisableBehaviorMonitoring $true\"",
                  "C:\\Windows\\System32\\cmd.exe", "PowerShell.EXE", io.sim().seed()),
             101);
    scn::win(
        io, id, "disable_antivirus", t + ns_per_s, pms, wire::win_channel::powershell, 4104,
        "\"MessageNumber\":\"1\",\"MessageTotal\":\"1\",\"ScriptBlockText\":\"Set-MpPreference "
        "-DisableRealtimeMonitoring $true -DisableBehaviorMonitoring $true\",\"ScriptBlockId\":"
        "\"5d2b7f0e-3c1a-4b8e-9f6d-2a4c8e1b0d37\",\"Path\":\"\"",
        102);
    scn::win(
        io, id, "antivirus_disabled", t + 2 * ns_per_s, pms, wire::win_channel::defender, 5001,
        "\"Product Name\":\"Microsoft Defender Antivirus\",\"Product Version\":\"4.18.24010.12\"",
        103);
  });
  t += 90 * ns_per_s;
  sc.at(t, [=](sim_io& io) {
    scn::win(io, id, "delete_shadow_copies", t, pms, wire::win_channel::sysmon, 1,
             proc(t, user, "C:\\Windows\\System32\\vssadmin.exe",
                  "vssadmin.exe delete shadows /all /quiet", "C:\\Users\\Public\\svchost64.exe",
                  "VSSADMIN.EXE", io.sim().seed()),
             104);
    scn::win(io, id, "encryptor_start", t + 5 * ns_per_s, pms, wire::win_channel::sysmon, 1,
             proc(t + 5 * ns_per_s, user, "C:\\Users\\Public\\svchost64.exe",
                  "C:\\Users\\Public\\svchost64.exe -path D:\\ -pass 6f1c2e9a",
                  "C:\\Windows\\explorer.exe", "svchost64.exe", io.sim().seed()),
             105);
  });
  t += 20 * ns_per_s;
  for (std::size_t k = 0; k < encrypted; ++k) {
    t += 150 * 1'000'000 + static_cast<std::int64_t>(r.below(400)) * 1'000'000;
    const std::size_t f = (k * 31 + 5) % co.files.size();
    const bool remote = k % 3 == 2;
    sc.at(t, [=](sim_io& io) {
      const site_file& file = io.sim().co.files[f];
      const std::string folder = io.sim().co.sites[file.site];
      const std::string target = remote
                                     ? "D:\\Shared\\" + folder + "\\" + file.name + ".lockbit"
                                     : "D:\\Production\\" + folder + "\\" + file.name + ".lockbit";
      rng g = stream(io.sim().seed(), name_hash("ransom:file"), k);
      scn::win(io, id, "files_encrypted", t, remote ? fs : pms, wire::win_channel::sysmon, 11,
               wire::sysmon_file_fields(t, remote ? "NT AUTHORITY\\SYSTEM" : user,
                                        remote ? "System" : "C:\\Users\\Public\\svchost64.exe",
                                        target, g),
               1000 + k);
      if (k % 100 == 0) {
        scn::win(io, id, "ransom_note", t + 1'000'000, remote ? fs : pms, wire::win_channel::sysmon,
                 11,
                 wire::sysmon_file_fields(t, remote ? "NT AUTHORITY\\SYSTEM" : user,
                                          remote ? "System" : "C:\\Users\\Public\\svchost64.exe",
                                          (remote ? "D:\\Shared\\" : "D:\\Production\\") + folder +
                                              "\\Restore-My-Files.txt",
                                          g),
                 5000 + k);
      }
    });
  }
}

}  // namespace

scenario_spec hospital_ransomware_scenario_spec() {
  return {"vendor_maintenance_ransomware",
          "Vendor remote-maintenance account → antivirus disabled → mass file modification",
          "The maintenance vendor's account on the production management server is guessed "
          "over RDP at night; Defender is disabled, shadow copies deleted and thousands of files "
          "encrypted locally and on the file server share.",
          plan};
}

}  // namespace mamori::sim
