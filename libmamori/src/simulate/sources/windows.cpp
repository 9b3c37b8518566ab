// Windows Security, System, Sysmon, Defender and PowerShell events forwarded to a Windows
// Event Collector and written by NXLog's im_msvistalog as JSON lines (the shape of the OTRF
// Security-Datasets: EventData fields at top level next to EventID, Channel, Hostname,
// SourceName, RecordNumber, ...), one file per UTC day. RecordNumber counts per host and
// channel like the event log's EventRecordID.

#include <array>

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace wire {

namespace {

struct channel_info {
  std::string_view channel, source, guid;
};
constexpr channel_info channels[] = {
    {"Security", "Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-A5BA-3E3B0328C30D}"},
    {"Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon",
     "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"},
    {"System", "Service Control Manager", "{555908d1-a6d7-4695-8e1e-26931d2012f4}"},
    {"Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender",
     "{11CD958A-C507-4EF3-B3F2-5FD9DFBD2C78}"},
    {"Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell",
     "{A0C1853B-5C40-4B15-8766-3CF1C58F985A}"},
};

struct event_info {
  int id;
  win_channel ch;
  std::string_view category;
  int task, version;
  std::string_view type;  // EventType
};
constexpr event_info events[] = {
    {4624, win_channel::security, "Logon", 12544, 2, "AUDIT_SUCCESS"},
    {4625, win_channel::security, "Logon", 12544, 0, "AUDIT_FAILURE"},
    {4634, win_channel::security, "Logoff", 12545, 0, "AUDIT_SUCCESS"},
    {4672, win_channel::security, "Special Logon", 12548, 0, "AUDIT_SUCCESS"},
    {4688, win_channel::security, "Process Creation", 13312, 2, "AUDIT_SUCCESS"},
    {4663, win_channel::security, "File System", 12800, 1, "AUDIT_SUCCESS"},
    {4768, win_channel::security, "Kerberos Authentication Service", 14339, 0, "AUDIT_SUCCESS"},
    {4769, win_channel::security, "Kerberos Service Ticket Operations", 14337, 0, "AUDIT_SUCCESS"},
    {5140, win_channel::security, "File Share", 12808, 1, "AUDIT_SUCCESS"},
    {1, win_channel::sysmon, "Process Create (rule: ProcessCreate)", 1, 5, "INFO"},
    {3, win_channel::sysmon, "Network connection detected (rule: NetworkConnect)", 3, 5, "INFO"},
    {11, win_channel::sysmon, "File created (rule: FileCreate)", 11, 2, "INFO"},
    {7045, win_channel::system, "None", 0, 0, "INFO"},
    {5001, win_channel::defender, "None", 0, 0, "WARNING"},
    {4104, win_channel::powershell, "Execute a Remote Command", 2, 1, "VERBOSE"},
};

const event_info& info_of(win_channel ch, int id) {
  for (const auto& e : events)
    if (e.id == id && e.ch == ch) return e;
  return events[0];
}

}  // namespace

std::uint32_t win_host_key(const sim_context& ctx, std::size_t server) {
  return static_cast<std::uint32_t>(ctx.co.people.size() + server);
}

std::string win_host_name(const sim_context& ctx, std::uint32_t host_key) {
  std::string h = host_key < ctx.co.people.size()
                      ? ctx.co.people[host_key].laptop_host
                      : ctx.co.servers[host_key - ctx.co.people.size()].name;
  return h + ".hoshino.local";
}

void win_event(emitter& out, const sim_context& ctx, std::int64_t t, std::uint32_t host_key,
               win_channel channel, int event_id, std::string_view fields, rng& r,
               std::uint32_t truth) {
  const event_info& ev = info_of(channel, event_id);
  const channel_info& ch = channels[static_cast<int>(channel)];
  std::string& o = out.begin();
  o += "{\"@timestamp\":\"";
  append_iso_utc(o, t + 1'200'000'000 + static_cast<std::int64_t>(r.below(900)) * 1'000'000, 3);
  o += "\",\"EventTime\":\"";
  append_sql_time(o, t);
  o += "\",\"Hostname\":\"";
  o += win_host_name(ctx, host_key);
  o += "\",\"Keywords\":";
  o += ev.type == "AUDIT_SUCCESS"   ? "-9214364837600034816"
       : ev.type == "AUDIT_FAILURE" ? "-9218868437227405312"
                                    : "-9223372036854775808";
  o += ",\"EventType\":\"";
  o += ev.type;
  o += "\",\"SeverityValue\":";
  o += ev.type == "AUDIT_FAILURE" ? "4,\"Severity\":\"ERROR\""
       : ev.type == "WARNING"     ? "3,\"Severity\":\"WARNING\""
                                  : "2,\"Severity\":\"INFO\"";
  o += ",\"EventID\":";
  append_int(o, event_id);
  o += ",\"SourceName\":\"";
  o += ch.source;
  o += "\",\"ProviderGuid\":\"";
  o += ch.guid;
  o += "\",\"Version\":";
  append_int(o, ev.version);
  o += ",\"Task\":";
  append_int(o, ev.task);
  o += ",\"OpcodeValue\":0,\"ExecutionProcessID\":";
  append_uint(o, channel == win_channel::security ? 708 : 3000 + r.below(3000));
  o += ",\"ThreadID\":";
  append_uint(o, 1000 + r.below(9000));
  o += ",\"Channel\":\"";
  o += ch.channel;
  o += "\",\"Category\":\"";
  o += ev.category;
  o += "\",\"Opcode\":\"Info\"";
  if (!fields.empty()) {
    o += ',';
    o += fields;
  }
  o += ",\"EventReceivedTime\":\"";
  append_sql_time(o, t + ns_per_s);
  o += "\",\"SourceModuleName\":\"eventlog\",\"SourceModuleType\":\"im_msvistalog\"}";
  out.commit(t, host_key * 8 + static_cast<std::uint32_t>(channel), truth);
}

namespace {

void kv(std::string& o, std::string_view k, std::string_view v, bool first = false) {
  if (!first) o += ',';
  append_json(o, k);
  o += ':';
  append_json(o, v);
}

std::string logon_id(rng& r) {
  std::string s = "0x";
  append_hex(s, 0x100000 + r.below(0x8000000), 7);
  return s;
}

std::string guid(rng& r) {
  std::string s = "{";
  append_uuid(s, r.next(), r.next());
  s += '}';
  return s;
}

}  // namespace

std::string win_logon_fields(const sim_context& ctx, std::string_view user, std::string_view sid,
                             int logon_type, std::string_view ip, std::string_view workstation,
                             std::string_view package, rng& r) {
  std::string o;
  kv(o, "SubjectUserSid", "S-1-0-0", true);
  kv(o, "SubjectUserName", "-");
  kv(o, "SubjectDomainName", "-");
  kv(o, "SubjectLogonId", "0x0");
  kv(o, "TargetUserSid", sid);
  kv(o, "TargetUserName", user);
  kv(o, "TargetDomainName", ctx.co.ad_domain);
  kv(o, "TargetLogonId", logon_id(r));
  std::string lt;
  append_int(lt, logon_type);
  kv(o, "LogonType", lt);
  kv(o, "LogonProcessName", package == "Kerberos" ? "Kerberos" : "NtLmSsp ");
  kv(o, "AuthenticationPackageName", package);
  kv(o, "WorkstationName", workstation);
  kv(o, "LogonGuid", package == "Kerberos" ? guid(r) : "{00000000-0000-0000-0000-000000000000}");
  kv(o, "TransmittedServices", "-");
  kv(o, "LmPackageName", package == "NTLM" ? "NTLM V2" : "-");
  kv(o, "KeyLength", package == "NTLM" ? "128" : "0");
  kv(o, "ProcessId", "0x0");
  kv(o, "ProcessName", "-");
  kv(o, "IpAddress", ip);
  kv(o, "IpPort", ip == "-" ? "-" : std::to_string(49152 + r.below(16000)));
  kv(o, "ImpersonationLevel", "%%1833");
  kv(o, "RestrictedAdminMode", "-");
  kv(o, "TargetOutboundUserName", "-");
  kv(o, "TargetOutboundDomainName", "-");
  kv(o, "VirtualAccount", "%%1843");
  kv(o, "TargetLinkedLogonId", "0x0");
  kv(o, "ElevatedToken", "%%1842");
  return o;
}

std::string win_failed_logon_fields(const sim_context& ctx, std::string_view user, int logon_type,
                                    std::string_view ip, std::string_view workstation, rng& r) {
  std::string o;
  kv(o, "SubjectUserSid", "S-1-0-0", true);
  kv(o, "SubjectUserName", "-");
  kv(o, "SubjectDomainName", "-");
  kv(o, "SubjectLogonId", "0x0");
  kv(o, "TargetUserSid", "S-1-0-0");
  kv(o, "TargetUserName", user);
  kv(o, "TargetDomainName", ctx.co.ad_domain);
  kv(o, "Status", "0xc000006d");
  kv(o, "FailureReason", "%%2313");
  kv(o, "SubStatus", "0xc000006a");
  std::string lt;
  append_int(lt, logon_type);
  kv(o, "LogonType", lt);
  kv(o, "LogonProcessName", "NtLmSsp ");
  kv(o, "AuthenticationPackageName", "NTLM");
  kv(o, "WorkstationName", workstation);
  kv(o, "TransmittedServices", "-");
  kv(o, "LmPackageName", "-");
  kv(o, "KeyLength", "0");
  kv(o, "ProcessId", "0x0");
  kv(o, "ProcessName", "-");
  kv(o, "IpAddress", ip);
  kv(o, "IpPort", std::to_string(49152 + r.below(16000)));
  return o;
}

namespace {

void sysmon_head(std::string& o, std::int64_t t, std::string_view user, std::string_view image,
                 rng& r) {
  kv(
      o, "UtcTime",
      [&] {
        std::string s;
        append_sql_time(s, t, 3);
        return s;
      }(),
      true);
  kv(o, "ProcessGuid", guid(r));
  kv(o, "ProcessId", std::to_string(1000 + r.below(12000)));
  kv(o, "Image", image);
  kv(o, "User", user);
  kv(o, "RuleName", "-");
  kv(o, "AccountName", "SYSTEM");
  kv(o, "Domain", "NT AUTHORITY");
  kv(o, "AccountType", "User");
  kv(o, "UserID", "S-1-5-18");
}

}  // namespace

std::string sysmon_process_fields(std::int64_t t, std::string_view user, std::string_view image,
                                  std::string_view command_line, std::string_view parent_image,
                                  std::string_view original_file_name, rng& r) {
  std::string o;
  sysmon_head(o, t, user, image, r);
  kv(o, "FileVersion", "-");
  kv(o, "Description", "-");
  kv(o, "Product", "-");
  kv(o, "Company", "-");
  kv(o, "OriginalFileName", original_file_name);
  kv(o, "CommandLine", command_line);
  const auto slash = image.rfind('\\');
  kv(o, "CurrentDirectory",
     slash == std::string_view::npos ? "C:\\Windows\\system32\\"
                                     : std::string(image.substr(0, slash + 1)));
  kv(o, "LogonGuid", guid(r));
  kv(o, "LogonId", logon_id(r));
  kv(o, "TerminalSessionId", "1");
  kv(o, "IntegrityLevel", user.find("SYSTEM") != std::string_view::npos ? "System" : "Medium");
  std::string hashes = "SHA1=";
  append_hex(hashes, name_hash(image), 16, true);
  append_hex(hashes, mix(name_hash(image), 1), 16, true);
  append_hex(hashes, mix(name_hash(image), 2) >> 32, 8, true);
  hashes += ",MD5=";
  append_hex(hashes, mix(name_hash(image), 3), 16, true);
  append_hex(hashes, mix(name_hash(image), 4), 16, true);
  kv(o, "Hashes", hashes);
  kv(o, "ParentProcessGuid", guid(r));
  kv(o, "ParentProcessId", std::to_string(1000 + r.below(12000)));
  kv(o, "ParentImage", parent_image);
  kv(o, "ParentCommandLine", std::string("\"") + std::string(parent_image) + "\"");
  return o;
}

std::string sysmon_file_fields(std::int64_t t, std::string_view user, std::string_view image,
                               std::string_view target, rng& r) {
  std::string o;
  sysmon_head(o, t, user, image, r);
  kv(o, "TargetFilename", target);
  std::string c;
  append_sql_time(c, t, 3);
  kv(o, "CreationUtcTime", c);
  return o;
}

std::string sysmon_network_fields(std::int64_t t, std::string_view user, std::string_view image,
                                  std::string_view src_ip, std::string_view dst_ip, int dst_port,
                                  std::string_view dst_host, rng& r) {
  std::string o;
  sysmon_head(o, t, user, image, r);
  kv(o, "Protocol", "tcp");
  kv(o, "Initiated", "true");
  kv(o, "SourceIsIpv6", "false");
  kv(o, "SourceIp", src_ip);
  kv(o, "SourceHostname", "-");
  kv(o, "SourcePort", std::to_string(49152 + r.below(16000)));
  kv(o, "SourcePortName", "-");
  kv(o, "DestinationIsIpv6", "false");
  kv(o, "DestinationIp", dst_ip);
  kv(o, "DestinationHostname", dst_host.empty() ? std::string_view("-") : dst_host);
  kv(o, "DestinationPort", std::to_string(dst_port));
  kv(o, "DestinationPortName", dst_port == 443 ? "https" : dst_port == 445 ? "microsoft-ds" : "-");
  return o;
}

}  // namespace wire

namespace {

struct program {
  std::string_view image, command, original;
};
constexpr program user_programs[] = {
    {"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
     "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=renderer",
     "msedge.exe"},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
     "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" ", "Outlook.exe"},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
     "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" /dde", "Excel.exe"},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
     "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n", "WinWord.exe"},
    {"C:\\Windows\\System32\\notepad.exe", "\"C:\\Windows\\system32\\notepad.exe\"", "NOTEPAD.EXE"},
    {"C:\\Windows\\System32\\cmd.exe", "\"C:\\Windows\\system32\\cmd.exe\" ", "Cmd.Exe"},
    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" ", "PowerShell.EXE"},
};

class windows_source final : public source_generator {
 public:
  explicit windows_source(const sim_context& ctx) {
    counters_.assign((ctx.co.people.size() + ctx.co.servers.size()) * 8, 0);
  }

  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    const std::uint32_t dc = wire::win_host_key(ctx, ctx.co.server_index("DC01"));
    const std::uint32_t fs = wire::win_host_key(ctx, ctx.co.server_index("FS01"));
    const std::uint32_t order = wire::win_host_key(ctx, ctx.co.server_index("ORDER01"));
    const std::string dc_ip = ipv4_string(ctx.co.server_by_name("DC01").ip);
    for (const person& p : ctx.co.people) {
      const device_profile& dev = device_profiles()[p.laptop_profile];
      if (dev.family != os_family::windows) continue;
      const auto& day = ctx.today[p.index];
      if (day.sessions.empty()) continue;
      rng r =
          stream(ctx.seed(), name_hash("windows"), p.index, static_cast<std::uint64_t>(w.index));
      const std::string user = ctx.co.ad_domain + "\\" + p.sam;
      const std::string ip = ipv4_string(p.laptop_ip);
      for (const session& s : day.sessions) {
        if (!s.laptop || s.end <= w.start || s.start >= w.end) continue;
        const bool on_network = s.proxied;  // office LAN or VPN reach the domain
        // The Windows logon comes a few minutes before the cloud sign-ins of the session.
        rng lr = stream(ctx.seed(), name_hash("windows-logon"), p.index,
                        static_cast<std::uint64_t>(s.start));
        const std::int64_t logon_t = s.start - lr.range(60, 300) * ns_per_s;
        if (logon_t >= w.start && logon_t < w.end) {
          const std::int64_t t = logon_t;
          wire::win_event(out, ctx, t, p.index, wire::win_channel::security, 4624,
                          wire::win_logon_fields(ctx, p.sam, p.sid, on_network ? 2 : 11,
                                                 "127.0.0.1", p.laptop_host, "Negotiate", r),
                          r);
          if (on_network) {
            wire::win_event(out, ctx, t + ns_per_s, dc, wire::win_channel::security, 4624,
                            wire::win_logon_fields(ctx, p.sam, p.sid, 3, ip, "-", "Kerberos", r),
                            r);
          }
        }
        if (s.end >= w.start && s.end < w.end) {
          std::string f;
          f += "\"TargetUserSid\":\"" + p.sid + "\",\"TargetUserName\":\"" + p.sam +
               "\",\"TargetDomainName\":\"" + ctx.co.ad_domain + "\",\"TargetLogonId\":\"0x" +
               std::to_string(100000 + r.below(900000)) + "\",\"LogonType\":\"2\"";
          wire::win_event(out, ctx, s.end, p.index, wire::win_channel::security, 4634, f, r);
        }
        const std::int64_t a = std::max(s.start, w.start);
        const std::int64_t b = std::min(s.end, w.end);
        for_each_arrival(r, a, b, 5.0 * p.activity, [&](std::int64_t t) {
          const program& pr = user_programs[r.below(std::size(user_programs))];
          wire::win_event(out, ctx, t, p.index, wire::win_channel::sysmon, 1,
                          wire::sysmon_process_fields(t, user, pr.image, pr.command,
                                                      "C:\\Windows\\explorer.exe", pr.original, r),
                          r);
        });
        for_each_arrival(r, a, b, 4.0 * p.activity, [&](std::int64_t t) {
          const auto& sites = ctx.apps.of_kind(app_kind::sanctioned);
          const app& ap = ctx.apps.apps()[sites[r.below(sites.size())]];
          wire::win_event(out, ctx, t, p.index, wire::win_channel::sysmon, 3,
                          wire::sysmon_network_fields(
                              t, user, user_programs[0].image, ip,
                              ipv4_string(static_cast<std::uint32_t>(
                                  (mix(name_hash(ap.domains[0]), 7) & 0x0fffffffu) | 0x14000000u)),
                              443, ap.domains[0], r),
                          r);
        });
        for_each_arrival(r, a, b, 2.0 * p.activity, [&](std::int64_t t) {
          const site_file& f = ctx.co.files[r.below(ctx.co.files.size())];
          wire::win_event(
              out, ctx, t, p.index, wire::win_channel::sysmon, 11,
              wire::sysmon_file_fields(t, user, user_programs[2].image,
                                       "C:\\Users\\" + p.sam + "\\Documents\\" + f.name, r),
              r);
        });
        if (!on_network) continue;
        // File server and order system use from the LAN or VPN.
        for_each_arrival(r, a, b, 1.0 * p.activity, [&](std::int64_t t) {
          wire::win_event(out, ctx, t, fs, wire::win_channel::security, 4624,
                          wire::win_logon_fields(ctx, p.sam, p.sid, 3, ip, "-", "Kerberos", r), r);
          const site_file& f = ctx.co.files[r.below(ctx.co.files.size())];
          std::string e = "\"SubjectUserSid\":\"" + p.sid + "\",\"SubjectUserName\":\"" + p.sam +
                          "\",\"SubjectDomainName\":\"" + ctx.co.ad_domain +
                          "\",\"SubjectLogonId\":\"0x3e7\",\"ObjectType\":\"File\","
                          "\"IpAddress\":\"" +
                          ip + "\",\"IpPort\":\"" + std::to_string(49152 + r.below(16000)) +
                          "\",\"ShareName\":\"\\\\\\\\*\\\\Shared\",\"ShareLocalPath\":\"\\\\??"
                          "\\\\D:\\\\Shared\","
                          "\"AccessMask\":\"0x1\",\"AccessList\":\"%%4416\"";
          wire::win_event(out, ctx, t + ns_per_s, fs, wire::win_channel::security, 5140, e, r);
          std::string o = "\"SubjectUserSid\":\"" + p.sid + "\",\"SubjectUserName\":\"" + p.sam +
                          "\",\"SubjectDomainName\":\"" + ctx.co.ad_domain +
                          "\",\"SubjectLogonId\":\"0x3e7\",\"ObjectServer\":\"Security\","
                          "\"ObjectType\":\"File\",\"ObjectName\":";
          append_json(o, "D:\\Shared\\" + ctx.co.sites[f.site] + "\\" + f.name);
          o += ",\"HandleId\":\"0x1f4\",\"AccessList\":\"%%4416\",\"AccessMask\":\"0x1\","
               "\"ProcessId\":\"0x4\",\"ProcessName\":\"\"";
          wire::win_event(out, ctx, t + 2 * ns_per_s, fs, wire::win_channel::security, 4663, o, r);
        });
        if (p.job == role::sales || p.job == role::finance || p.department == "Procurement") {
          for_each_arrival(r, a, b, 0.6, [&](std::int64_t t) {
            wire::win_event(out, ctx, t, order, wire::win_channel::security, 4624,
                            wire::win_logon_fields(ctx, p.sam, p.sid, 3, ip, "-", "Kerberos", r),
                            r);
          });
        }
        for_each_arrival(r, a, b, 1.0, [&](std::int64_t t) {
          std::string k =
              "\"TargetUserName\":\"" + p.sam + "@" + "HOSHINO.LOCAL" +
              "\",\"TargetDomainName\":\"HOSHINO.LOCAL\",\"ServiceName\":\"FS01$\","
              "\"ServiceSid\":\"" +
              ctx.co.domain_sid +
              "-1105\",\"TicketOptions\":"
              "\"0x40810000\",\"TicketEncryptionType\":\"0x12\",\"IpAddress\":\"::ffff:" +
              ip + "\",\"IpPort\":\"" + std::to_string(49152 + r.below(16000)) +
              "\",\"Status\":\"0x0\",\"LogonGuid\":\"{00000000-0000-0000-0000-000000000000}\","
              "\"TransmittedServices\":\"-\"";
          wire::win_event(out, ctx, t, dc, wire::win_channel::security, 4769, k, r);
        });
      }
    }
    // Supplier accounts connect to the remote desktop gateway through the supplier VPN pool
    // on working days (JST 09:00-17:00 = 00:00-08:00 UTC).
    const std::uint32_t rds = wire::win_host_key(ctx, ctx.co.server_index("RDS01"));
    const std::int64_t tod = w.start % ns_per_day;
    const auto weekday = to_civil(w.start + 9 * ns_per_hour).weekday;
    if (tod < 8 * ns_per_hour && weekday != 0 && weekday != 6) {
      rng r = stream(ctx.seed(), name_hash("windows-suppliers"), 0,
                     static_cast<std::uint64_t>(w.index));
      for (int k = 0; k < 2; ++k) {
        for_each_arrival(r, w.start, w.end, 0.25, [&](std::int64_t t) {
          const std::string user = k == 0 ? "sup-kobayashi-parts" : "sup-meiwa-logistics";
          const std::string sid = ctx.co.domain_sid + (k == 0 ? "-2301" : "-2302");
          const std::string src = k == 0 ? "10.99.0.21" : "10.99.0.34";
          wire::win_event(
              out, ctx, t, rds, wire::win_channel::security, 4624,
              wire::win_logon_fields(ctx, user, sid, 10, src, k == 0 ? "KOBA-PC07" : "MEIWA-NB2",
                                     "Negotiate", r),
              r);
        });
      }
    }
    (void)dc_ip;
  }

  std::string write_record(std::string& out, const record& r) override {
    const std::uint64_t n = ++counters_[r.file];
    out += "{\"RecordNumber\":";
    append_uint(out, n);
    out += ',';
    out.append(r.text.substr(1));
    // The truth names the record by its RecordNumber (metadata.uid of the Windows decoders).
    std::string id;
    append_uint(id, n);
    return id;
  }

  std::string path(const sim_context&, const record& r) const override {
    std::string p = "windows/wec-";
    append_iso_utc(p, r.t, 0, false);
    p.resize(p.size() - 9);
    p += ".json";
    return p;
  }

 private:
  std::vector<std::uint64_t> counters_;
};

}  // namespace

source_spec windows_source_spec() {
  return {"windows", "Windows Security/System/Sysmon/Defender events (NXLog JSON)", "windows",
          "windows/wec-YYYY-MM-DD.json",
          [](const sim_context& ctx) { return std::make_unique<windows_source>(ctx); }};
}

}  // namespace mamori::sim
