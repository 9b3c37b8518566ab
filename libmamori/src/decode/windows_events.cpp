#include "mamori/decode/windows_events.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <charconv>

#include "mamori/event/time.hpp"

namespace mamori::windows {

namespace {

using S = normalizer::slot;
constexpr std::size_t slot_count = static_cast<std::size_t>(S::count_);

constexpr std::string_view slot_names[] = {
#define MAMORI_WINDOWS_NAME(name) #name,
    MAMORI_WINDOWS_FIELDS(MAMORI_WINDOWS_NAME)
#undef MAMORI_WINDOWS_NAME
};
static_assert(std::size(slot_names) == slot_count);

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// Activity ids not named in ocsf.hpp (schema.ocsf.io class pages, OCSF 1.3).
namespace act {
inline constexpr std::uint8_t auth_preauth = 6;  // Authentication: Preauth
inline constexpr std::uint8_t account_create = 1, account_enable = 2, account_password_change = 3,
                              account_password_reset = 4, account_disable = 5, account_delete = 6,
                              account_lock = 9;
inline constexpr std::uint8_t group_add_user = 3, group_remove_user = 4, group_delete = 5,
                              group_create = 6;
inline constexpr std::uint8_t file_create = 1, file_delete = 4;
inline constexpr std::uint8_t log_clear = 1;
}  // namespace act

// The raw values of one event the normalizer reads (copied: setting attributes may grow the
// event's field vector).
class fields_view {
 public:
  fields_view(const event& ev, const std::vector<std::int8_t>& slot_of, decode_context& ctx)
      : ctx_(ctx) {
    for (const field& f : ev.fields) {
      if (f.origin == field_origin::normalized) {
        if (f.id < normalized_.size()) normalized_.set(f.id);
        continue;
      }
      if (f.id >= slot_of.size()) continue;
      const int s = slot_of[f.id];
      if (s < 0 || present_[static_cast<std::size_t>(s)]) continue;
      present_[static_cast<std::size_t>(s)] = true;
      values_[static_cast<std::size_t>(s)] = f.v;
    }
  }

  bool has(S s) const { return present_[idx(s)]; }

  // Normalized attributes the decoder set before normalization (set() must replace those).
  std::bitset<static_cast<std::size_t>(ocsf::attr::attribute_count)> normalized_;

  // Text of a field; empty when absent, null, empty or "-" (Windows' placeholder for none).
  std::string_view text(S s) {
    if (!has(s)) return {};
    const value& v = values_[idx(s)];
    std::string_view out;
    if (v.is_string()) {
      out = v.s;
    } else if (v.is_null()) {
      return {};
    } else {
      out = ctx_.store(v.to_string());
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.remove_suffix(1);
    return out == "-" ? std::string_view() : out;
  }

  std::optional<std::int64_t> integer(S s) const {
    if (!has(s)) return std::nullopt;
    const value& v = values_[idx(s)];
    if (v.is_string()) return parse_windows_integer(v.s);
    return v.as_integer();
  }

 private:
  static std::size_t idx(S s) { return static_cast<std::size_t>(s); }
  decode_context& ctx_;
  std::array<value, slot_count> values_{};
  std::array<bool, slot_count> present_{};
};

class mapper {
 public:
  mapper(event& ev, fields_view& f) : ev_(ev), f_(f) {}

  // Sets a normalized attribute; appends without scanning the event when it is not set yet
  // (event::set looks for an existing value first).
  void put(ocsf::attr a, value v) {
    const auto k = static_cast<std::size_t>(a);
    if (f_.normalized_.test(k)) {
      ev_.set(a, v);
      return;
    }
    f_.normalized_.set(k);
    ev_.fields.push_back({ocsf::id(a), field_origin::normalized, v});
  }

  void str(ocsf::attr a, S s) {
    std::string_view t = f_.text(s);
    if (!t.empty()) put(a, value::string(t));
  }
  void str(ocsf::attr a, std::string_view t) {
    if (!t.empty() && t != "-") put(a, value::string(t));
  }
  // A SID, unless it is the NULL SID Windows writes when there is no account.
  void sid(ocsf::attr a, S s) {
    std::string_view t = f_.text(s);
    if (!t.empty() && t != "S-1-0-0") put(a, value::string(t));
  }
  void num(ocsf::attr a, S s) {
    if (auto n = f_.integer(s)) put(a, value::integer(*n));
  }
  void ip(ocsf::attr a, S s) {
    std::string_view t = f_.text(s);
    // IPv4-mapped IPv6 as Kerberos and logon events write it: "::ffff:10.0.0.5".
    if (t.starts_with("::ffff:") && t.find('.') != std::string_view::npos) t.remove_prefix(7);
    if (!t.empty()) put(a, value::string(t));
  }
  void port(ocsf::attr a, S s) {
    if (auto n = f_.integer(s); n && *n > 0) put(a, value::integer(*n));
  }
  // "DOMAIN\user" into name and domain attributes.
  void account(ocsf::attr name, ocsf::attr domain, S s) {
    auto [d, n] = split_account(f_.text(s));
    str(name, n);
    str(domain, d);
  }
  void path_and_name(ocsf::attr path, ocsf::attr name, S s) {
    std::string_view t = f_.text(s);
    if (t.empty()) return;
    put(path, value::string(t));
    str(name, base_name(t));
  }
  // Sysmon "SHA1=...,MD5=...,SHA256=...,IMPHASH=..." into the file hash attributes.
  void hashes(S s) {
    std::string_view t = f_.text(s);
    while (!t.empty()) {
      const std::size_t comma = t.find(',');
      std::string_view item = t.substr(0, comma);
      t = comma == std::string_view::npos ? std::string_view() : t.substr(comma + 1);
      const std::size_t eq = item.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view alg = item.substr(0, eq);
      std::string_view hex = item.substr(eq + 1);
      if (hex.empty()) continue;
      if (iequals(alg, "MD5")) {
        put(ocsf::attr::file_md5, value::string(hex));
      } else if (iequals(alg, "SHA1")) {
        put(ocsf::attr::file_sha1, value::string(hex));
      } else if (iequals(alg, "SHA256")) {
        put(ocsf::attr::file_sha256, value::string(hex));
      }
    }
  }

 private:
  event& ev_;
  fields_view& f_;
};

void authentication(event& ev, fields_view& f, mapper& m, std::int64_t id) {
  ev.class_uid = ocsf::event_class::authentication;
  const bool ok_status = f.integer(S::Status).value_or(0) == 0;
  switch (id) {
    case 4624:
    case 4648:
      ev.activity_id = ocsf::activity::logon;
      ev.status = ocsf::status_id::success;
      break;
    case 4625:
      ev.activity_id = ocsf::activity::logon;
      ev.status = ocsf::status_id::failure;
      break;
    case 4634:
    case 4647:
      ev.activity_id = ocsf::activity::logoff;
      ev.status = ocsf::status_id::success;
      break;
    case 4768:
      ev.activity_id = ocsf::activity::authentication_ticket;
      ev.status = ok_status ? ocsf::status_id::success : ocsf::status_id::failure;
      break;
    case 4769:
      ev.activity_id = ocsf::activity::service_ticket;
      ev.status = ok_status ? ocsf::status_id::success : ocsf::status_id::failure;
      break;
    case 4771:
      ev.activity_id = act::auth_preauth;
      ev.status = ocsf::status_id::failure;
      break;
    case 4776:
      ev.activity_id = ocsf::activity::logon;
      ev.status = ok_status ? ocsf::status_id::success : ocsf::status_id::failure;
      break;
    default:
      break;
  }
  m.str(ocsf::attr::actor_user_name, S::TargetUserName);
  m.str(ocsf::attr::actor_user_domain, S::TargetDomainName);
  if (f.has(S::TargetUserSid)) {
    m.sid(ocsf::attr::actor_user_uid, S::TargetUserSid);
  } else {
    m.sid(ocsf::attr::actor_user_uid, S::TargetSid);
  }
  m.ip(ocsf::attr::src_ip, S::IpAddress);
  m.port(ocsf::attr::src_port, S::IpPort);
  if (f.has(S::WorkstationName)) {
    m.str(ocsf::attr::src_hostname, S::WorkstationName);
  } else {
    m.str(ocsf::attr::src_hostname, S::Workstation);
  }
  m.num(ocsf::attr::logon_type, S::LogonType);
  m.str(ocsf::attr::session_uid, S::TargetLogonId);
  if (id == 4768 || id == 4769 || id == 4771) {
    m.str(ocsf::attr::auth_protocol, std::string_view("Kerberos"));
    m.str(ocsf::attr::dst_svc_name, S::ServiceName);
  } else if (id == 4776) {
    m.str(ocsf::attr::auth_protocol, std::string_view("NTLM"));
  } else {
    // MSV1_0 is the NTLM package (4625 names it by its full name).
    std::string_view package = f.text(S::AuthenticationPackageName);
    m.str(ocsf::attr::auth_protocol,
          package == "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0" ? std::string_view("NTLM") : package);
  }
  if (id == 4648) m.str(ocsf::attr::dst_hostname, S::TargetServerName);
  // Status codes: the NTSTATUS (or Kerberos result code) and its sub-status.
  std::string_view status = f.text(S::Status);
  std::string_view sub = f.text(S::SubStatus);
  if (!status.empty()) m.put(ocsf::attr::status_code, value::string(status));
  if (!sub.empty() && f.integer(S::SubStatus).value_or(0) != 0) {
    m.put(ocsf::attr::status_detail, value::string(sub));
  } else if (!status.empty() && !ok_status) {
    m.put(ocsf::attr::status_detail, value::string(status));
  }
}

void actor_from_subject(mapper& m) {
  m.str(ocsf::attr::actor_user_name, S::SubjectUserName);
  m.str(ocsf::attr::actor_user_domain, S::SubjectDomainName);
  m.sid(ocsf::attr::actor_user_uid, S::SubjectUserSid);
}

bool security_event(event& ev, fields_view& f, mapper& m, std::int64_t id) {
  switch (id) {
    case 4624:
    case 4625:
    case 4634:
    case 4647:
    case 4648:
    case 4768:
    case 4769:
    case 4771:
    case 4776:
      authentication(ev, f, m, id);
      return true;
    case 4688:
    case 4689: {
      ev.class_uid = ocsf::event_class::process_activity;
      ev.status = ocsf::status_id::success;
      actor_from_subject(m);
      if (id == 4688) {
        ev.activity_id = ocsf::activity::launch;
        m.path_and_name(ocsf::attr::process_path, ocsf::attr::process_name, S::NewProcessName);
        m.num(ocsf::attr::process_pid, S::NewProcessId);
        m.num(ocsf::attr::parent_pid, S::ProcessId);
        m.path_and_name(ocsf::attr::parent_path, ocsf::attr::parent_name, S::ParentProcessName);
        m.str(ocsf::attr::process_cmd_line, S::CommandLine);
        // The new process runs as the target account when one is given (Windows 10+).
        std::string_view target = f.text(S::TargetUserName);
        m.str(ocsf::attr::process_user, target.empty() ? f.text(S::SubjectUserName) : target);
      } else {
        ev.activity_id = ocsf::activity::terminate;
        m.path_and_name(ocsf::attr::process_path, ocsf::attr::process_name, S::ProcessName);
        m.num(ocsf::attr::process_pid, S::ProcessId);
        m.str(ocsf::attr::process_user, S::SubjectUserName);
      }
      return true;
    }
    case 4720:
    case 4722:
    case 4723:
    case 4724:
    case 4725:
    case 4726:
    case 4738:
    case 4740:
    case 4767: {
      ev.class_uid = ocsf::event_class::account_change;
      ev.activity_id = id == 4720   ? act::account_create
                       : id == 4722 ? act::account_enable
                       : id == 4723 ? act::account_password_change
                       : id == 4724 ? act::account_password_reset
                       : id == 4725 ? act::account_disable
                       : id == 4726 ? act::account_delete
                       : id == 4740 ? act::account_lock
                                    : ocsf::activity::other;
      if (ev.status == ocsf::status_id::unknown) ev.status = ocsf::status_id::success;
      m.str(ocsf::attr::user_name, S::TargetUserName);
      m.str(ocsf::attr::user_domain, S::TargetDomainName);
      m.sid(ocsf::attr::user_uid, S::TargetSid);
      actor_from_subject(m);
      return true;
    }
    // Security groups (global 4727-4730, 4737; local 4731-4735; universal 4754-4758) and
    // distribution groups (4744-4753, 4759-4763).
    case 4727:
    case 4731:
    case 4744:
    case 4749:
    case 4754:
    case 4759:
    case 4728:
    case 4732:
    case 4746:
    case 4751:
    case 4756:
    case 4761:
    case 4729:
    case 4733:
    case 4747:
    case 4752:
    case 4757:
    case 4762:
    case 4730:
    case 4734:
    case 4748:
    case 4753:
    case 4758:
    case 4763:
    case 4735:
    case 4737:
    case 4745:
    case 4750:
    case 4755:
    case 4760:
    case 4764: {
      ev.class_uid = ocsf::event_class::group_management;
      switch (id) {
        case 4727:
        case 4731:
        case 4744:
        case 4749:
        case 4754:
        case 4759:
          ev.activity_id = act::group_create;
          break;
        case 4728:
        case 4732:
        case 4746:
        case 4751:
        case 4756:
        case 4761:
          ev.activity_id = act::group_add_user;
          break;
        case 4729:
        case 4733:
        case 4747:
        case 4752:
        case 4757:
        case 4762:
          ev.activity_id = act::group_remove_user;
          break;
        case 4730:
        case 4734:
        case 4748:
        case 4753:
        case 4758:
        case 4763:
          ev.activity_id = act::group_delete;
          break;
        default:
          ev.activity_id = ocsf::activity::other;
      }
      if (ev.status == ocsf::status_id::unknown) ev.status = ocsf::status_id::success;
      m.str(ocsf::attr::group_name, S::TargetUserName);
      m.sid(ocsf::attr::group_uid, S::TargetSid);
      m.str(ocsf::attr::user_name, S::MemberName);
      m.sid(ocsf::attr::user_uid, S::MemberSid);
      actor_from_subject(m);
      return true;
    }
    case 1102:
      ev.class_uid = ocsf::event_class::event_log_activity;
      ev.activity_id = act::log_clear;
      ev.status = ocsf::status_id::success;
      actor_from_subject(m);
      return true;
    default:
      return false;
  }
}

bool sysmon_event(event& ev, fields_view& f, mapper& m, std::int64_t id) {
  auto process = [&] {
    m.path_and_name(ocsf::attr::process_path, ocsf::attr::process_name, S::Image);
    m.num(ocsf::attr::process_pid, S::ProcessId);
    m.str(ocsf::attr::process_uid, S::ProcessGuid);
  };
  auto actor = [&] {
    m.account(ocsf::attr::actor_user_name, ocsf::attr::actor_user_domain, S::User);
  };
  switch (id) {
    case 1:
    case 5:
      ev.class_uid = ocsf::event_class::process_activity;
      ev.activity_id = id == 1 ? ocsf::activity::launch : ocsf::activity::terminate;
      ev.status = ocsf::status_id::success;
      process();
      m.str(ocsf::attr::process_cmd_line, S::CommandLine);
      m.str(ocsf::attr::process_user, S::User);
      m.num(ocsf::attr::parent_pid, S::ParentProcessId);
      m.str(ocsf::attr::parent_uid, S::ParentProcessGuid);
      m.path_and_name(ocsf::attr::parent_path, ocsf::attr::parent_name, S::ParentImage);
      m.str(ocsf::attr::parent_cmd_line, S::ParentCommandLine);
      m.hashes(S::Hashes);
      actor();
      return true;
    case 3:
      ev.class_uid = ocsf::event_class::network_activity;
      ev.activity_id = ocsf::activity::open;
      ev.status = ocsf::status_id::success;
      m.ip(ocsf::attr::src_ip, S::SourceIp);
      m.port(ocsf::attr::src_port, S::SourcePort);
      m.str(ocsf::attr::src_hostname, S::SourceHostname);
      m.ip(ocsf::attr::dst_ip, S::DestinationIp);
      m.port(ocsf::attr::dst_port, S::DestinationPort);
      m.str(ocsf::attr::dst_hostname, S::DestinationHostname);
      m.str(ocsf::attr::protocol_name, S::Protocol);
      process();
      actor();
      return true;
    case 11:
    case 23:
    case 26:
      ev.class_uid = ocsf::event_class::file_activity;
      ev.activity_id = id == 11 ? act::file_create : act::file_delete;
      ev.status = ocsf::status_id::success;
      m.path_and_name(ocsf::attr::file_path, ocsf::attr::file_name, S::TargetFilename);
      m.hashes(S::Hashes);
      process();
      actor();
      return true;
    case 22: {
      ev.class_uid = ocsf::event_class::dns_activity;
      ev.activity_id = ocsf::activity::query;
      m.str(ocsf::attr::query_hostname, S::QueryName);
      auto rc = f.integer(S::QueryStatus);
      if (rc) {
        m.put(ocsf::attr::dns_rcode, value::integer(*rc));
        ev.status = *rc == 0 ? ocsf::status_id::success : ocsf::status_id::failure;
      }
      process();
      actor();
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

name_ids& name_ids::local() {
  thread_local name_ids cache;
  return cache;
}

std::pair<std::string_view, std::string_view> split_account(std::string_view s) {
  const std::size_t bs = s.find('\\');
  if (bs == std::string_view::npos) return {{}, s};
  return {s.substr(0, bs), s.substr(bs + 1)};
}

std::string_view base_name(std::string_view path) {
  const std::size_t sep = path.find_last_of("\\/");
  return sep == std::string_view::npos ? path : path.substr(sep + 1);
}

std::optional<std::int64_t> parse_windows_integer(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  int base = 10;
  bool negative = false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  // Hex values are bit patterns (0xc000006d): keep the low 64 bits as a signed number.
  if (negative) return -static_cast<std::int64_t>(v);
  return static_cast<std::int64_t>(v);
}

normalizer::normalizer() {
  // Field ids are global and stable: the table is built once per process.
  static const std::vector<std::int8_t> table = [] {
    std::array<field_id, slot_count> ids{};
    field_id max_id = 0;
    for (std::size_t k = 0; k < slot_count; ++k) {
      ids[k] = intern_field(slot_names[k]);
      max_id = std::max(max_id, ids[k]);
    }
    std::vector<std::int8_t> t(static_cast<std::size_t>(max_id) + 1, -1);
    for (std::size_t k = 0; k < slot_count; ++k) t[ids[k]] = static_cast<std::int8_t>(k);
    return t;
  }();
  slot_of_ = &table;
}

void normalizer::apply(event& ev, decode_context& ctx) const {
  fields_view f(ev, *slot_of_, ctx);
  mapper m(ev, f);

  const std::string_view channel = f.text(S::Channel);
  const std::string_view provider = f.text(S::Provider_Name);
  const auto id = f.integer(S::EventID);
  const bool sysmon = iequals(channel, "Microsoft-Windows-Sysmon/Operational") ||
                      iequals(provider, "Microsoft-Windows-Sysmon");

  // Time: the record's SystemTime, else Sysmon's UtcTime (UTC without a zone designator).
  std::string_view created = f.text(S::TimeCreated);
  if (ev.time_ns == 0) {
    if (auto t = timeparse::iso8601(created)) {
      ev.time_ns = *t;
    } else if (auto u = timeparse::iso8601(f.text(S::UtcTime))) {
      ev.time_ns = *u;
    }
  }
  m.str(ocsf::attr::metadata_original_time, created);

  m.str(ocsf::attr::metadata_product, std::string_view(sysmon ? "Sysmon" : "Windows"));
  m.str(ocsf::attr::metadata_vendor, std::string_view("Microsoft"));
  m.str(ocsf::attr::metadata_log_name, channel);
  m.str(ocsf::attr::metadata_log_provider, provider);
  m.str(ocsf::attr::metadata_event_code, S::EventID);
  m.str(ocsf::attr::metadata_uid, S::EventRecordID);
  m.str(ocsf::attr::device_hostname, S::Computer);
  m.str(ocsf::attr::device_os_name, std::string_view("Windows"));
  m.str(ocsf::attr::message, S::Message);

  // Severity from Level (winmeta.xml: 1 critical, 2 error, 3 warning, 4 information, 5 verbose).
  switch (f.integer(S::Level).value_or(0)) {
    case 1:
      ev.severity = ocsf::severity_id::critical;
      break;
    case 2:
      ev.severity = ocsf::severity_id::high;
      break;
    case 3:
      ev.severity = ocsf::severity_id::medium;
      break;
    default:
      ev.severity = ocsf::severity_id::informational;
  }
  // Audit outcome from Keywords (0x0020000000000000 audit success, 0x0010... audit failure).
  if (auto kw = f.integer(S::Keywords)) {
    const auto bits = static_cast<std::uint64_t>(*kw);
    if (bits & 0x0020000000000000ull) ev.status = ocsf::status_id::success;
    if (bits & 0x0010000000000000ull) ev.status = ocsf::status_id::failure;
  }

  if (!id) return;
  if (sysmon) {
    sysmon_event(ev, f, m, *id);
  } else if (iequals(channel, "Security")) {
    security_event(ev, f, m, *id);
  } else if (iequals(channel, "System") && *id == 104 &&
             iequals(provider, "Microsoft-Windows-Eventlog")) {
    ev.class_uid = ocsf::event_class::event_log_activity;
    ev.activity_id = act::log_clear;
    ev.status = ocsf::status_id::success;
    actor_from_subject(m);
  }
}

}  // namespace mamori::windows
