// Microsoft Defender XDR (Microsoft 365 Defender) advanced hunting rows: table exports
// (Sentinel / Log Analytics, the advanced hunting "Export" button) with Timestamp, ActionType,
// DeviceName and the InitiatingProcess* columns, and the Streaming API form sent to Event Hubs
// or storage: {time, category:"AdvancedHunting-<Table>", properties:{<row>}}. Field
// reference: Microsoft Learn, "Advanced hunting schema" table pages (DeviceProcessEvents,
// DeviceFileEvents, DeviceNetworkEvents, DeviceLogonEvents, IdentityQueryEvents,
// CloudAppEvents, AlertInfo, AlertEvidence) and "Streaming API". docs/formats/m365defender.md.

#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

ocsf::severity_id severity_of(std::string_view s) {
  if (iequals(s, "Informational")) return ocsf::severity_id::informational;
  if (iequals(s, "Low")) return ocsf::severity_id::low;
  if (iequals(s, "Medium")) return ocsf::severity_id::medium;
  if (iequals(s, "High")) return ocsf::severity_id::high;
  return ocsf::severity_id::unknown;
}

// File System Activity (1001) activity ids (OCSF 1.3).
constexpr std::uint8_t file_create = 1, file_update = 3, file_delete = 4, file_rename = 5;

}  // namespace

class m365defender_decoder final : public source_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one advanced hunting row)";
    docs_.reset();
    simdjson::dom::element row = rec;
    bool streaming = false;
    std::optional<std::string_view> table = text(rec, "Type");
    if (auto cat = text(rec, "category"); cat && istarts_with(*cat, "AdvancedHunting-")) {
      auto props = object_or_json(rec, "properties", docs_);
      if (!props || !props->is_object()) return "streaming record without a properties object";
      row = *props;
      streaming = true;
      table = cat->substr(std::string_view("AdvancedHunting-").size());
    }
    auto when = text(row, "Timestamp");
    std::string_view when_name = "Timestamp";
    if (!when) {
      when = first_text(rec, {"time", "TimeGenerated"});
      when_name = "time";
    }
    if (auto reason = take_time(ev, when, when_name, ctx)) return reason;
    auto action = text(row, "ActionType");

    put(ev, ocsf::attr::device_hostname, text(row, "DeviceName"), ctx);
    put(ev, ocsf::attr::device_uid, text(row, "DeviceId"), ctx);
    put(ev, ocsf::attr::metadata_log_name, table, ctx);
    put(ev, ocsf::attr::metadata_event_code, action, ctx);
    put(ev, ocsf::attr::metadata_uid, first_text(row, {"ReportId", "AlertId"}), ctx);
    put(ev, ocsf::attr::metadata_tenant, first_text(rec, {"tenantId", "TenantId"}), ctx);
    ev.set(ocsf::attr::metadata_product, value::string("Microsoft Defender XDR"));
    ev.set(ocsf::attr::metadata_vendor, value::string("Microsoft"));
    if (auto sev = text(row, "Severity")) ev.severity = severity_of(*sev);
    put(ev, ocsf::attr::message, text(row, "Title"), ctx);

    const std::string_view act = action.value_or("");
    if (act == "ProcessCreated") {
      ev.class_uid = ocsf::event_class::process_activity;
      ev.activity_id = ocsf::activity::launch;
      ev.status = ocsf::status_id::success;
      put(ev, ocsf::attr::process_name, text(row, "FileName"), ctx);
      put(ev, ocsf::attr::process_path, joined_path(row, "FolderPath", "FileName", ctx), ctx);
      put(ev, ocsf::attr::process_cmd_line, text(row, "ProcessCommandLine"), ctx);
      set_int(ev, ocsf::attr::process_pid, row, "ProcessId", ctx);
      set_int(ev, ocsf::attr::parent_pid, row, "InitiatingProcessId", ctx);
      put(ev, ocsf::attr::parent_cmd_line, text(row, "InitiatingProcessCommandLine"), ctx);
      put(ev, ocsf::attr::parent_path, text(row, "InitiatingProcessFolderPath"), ctx);
      put(ev, ocsf::attr::process_user, text(row, "AccountName"), ctx);
      set_account(ev, row, "AccountName", "AccountDomain", ctx);
    } else {
      // The initiating process is the one that acted.
      if (text(row, "InitiatingProcessFileName")) {
        put(ev, ocsf::attr::process_name, text(row, "InitiatingProcessFileName"), ctx);
        put(ev, ocsf::attr::process_path, text(row, "InitiatingProcessFolderPath"), ctx);
        put(ev, ocsf::attr::process_cmd_line, text(row, "InitiatingProcessCommandLine"), ctx);
        set_int(ev, ocsf::attr::process_pid, row, "InitiatingProcessId", ctx);
        set_int(ev, ocsf::attr::parent_pid, row, "InitiatingProcessParentId", ctx);
        put(ev, ocsf::attr::process_user, text(row, "InitiatingProcessAccountName"), ctx);
      }
      if (act == "LogonSuccess" || act == "LogonFailed" || act == "LogonAttempted") {
        ev.class_uid = ocsf::event_class::authentication;
        ev.activity_id = ocsf::activity::logon;
        ev.status = act == "LogonSuccess"  ? ocsf::status_id::success
                    : act == "LogonFailed" ? ocsf::status_id::failure
                                           : ocsf::status_id::unknown;
        put(ev, ocsf::attr::user_name, text(row, "AccountName"), ctx);
        put(ev, ocsf::attr::user_domain, text(row, "AccountDomain"), ctx);
        put(ev, ocsf::attr::logon_type, text(row, "LogonType"), ctx);
        put(ev, ocsf::attr::auth_protocol, text(row, "Protocol"), ctx);
        put(ev, ocsf::attr::status_detail, text(row, "FailureReason"), ctx);
        put_source_address(ev, text(row, "RemoteIP"), ctx);
        put(ev, ocsf::attr::src_hostname, text(row, "RemoteDeviceName"), ctx);
      } else if (act == "FileCreated" || act == "FileModified" || act == "FileDeleted" ||
                 act == "FileRenamed") {
        ev.class_uid = ocsf::event_class::file_activity;
        ev.activity_id = act == "FileCreated"    ? file_create
                         : act == "FileModified" ? file_update
                         : act == "FileDeleted"  ? file_delete
                                                 : file_rename;
        ev.status = ocsf::status_id::success;
        put(ev, ocsf::attr::file_name, text(row, "FileName"), ctx);
        put(ev, ocsf::attr::file_path, joined_path(row, "FolderPath", "FileName", ctx), ctx);
        put(ev, ocsf::attr::file_sha1, text(row, "SHA1"), ctx);
        put(ev, ocsf::attr::file_sha256, text(row, "SHA256"), ctx);
        put(ev, ocsf::attr::file_md5, text(row, "MD5"), ctx);
        set_int(ev, ocsf::attr::file_size, row, "FileSize", ctx);
      } else if (act.starts_with("Connection") || act == "InboundConnectionAccepted" ||
                 act == "ListeningConnectionCreated") {
        ev.class_uid = ocsf::event_class::network_activity;
        ev.activity_id = ocsf::activity::open;
        ev.status = act == "ConnectionFailed" ? ocsf::status_id::failure : ocsf::status_id::success;
        put_source_address(ev, text(row, "LocalIP"), ctx);
        set_int(ev, ocsf::attr::src_port, row, "LocalPort", ctx);
        put(ev, ocsf::attr::dst_ip, text(row, "RemoteIP"), ctx);
        set_int(ev, ocsf::attr::dst_port, row, "RemotePort", ctx);
        put(ev, ocsf::attr::dst_hostname, text(row, "RemoteUrl"), ctx);
        put(ev, ocsf::attr::protocol_name, text(row, "Protocol"), ctx);
      } else {
        // Identity, cloud app and alert rows: Base Event with what they share.
        put_source_address(ev, first_text(row, {"IPAddress", "RemoteIP"}), ctx);
        put(ev, ocsf::attr::src_country, text(row, "CountryCode"), ctx);
        put(ev, ocsf::attr::src_city, text(row, "City"), ctx);
        put(ev, ocsf::attr::http_user_agent, text(row, "UserAgent"), ctx);
        put(ev, ocsf::attr::dst_svc_name, text(row, "Application"), ctx);
        put(ev, ocsf::attr::dst_hostname, text(row, "DestinationDeviceName"), ctx);
        put(ev, ocsf::attr::dst_ip, text(row, "DestinationIPAddress"), ctx);
        put(ev, ocsf::attr::user_name, text(row, "TargetAccountUpn"), ctx);
      }
      auto actor = first_text(row, {"AccountUpn", "InitiatingProcessAccountUpn"});
      put(ev, ocsf::attr::actor_user_name, actor, ctx);
      if (!actor)
        set_account(ev, row, "InitiatingProcessAccountName", "InitiatingProcessAccountDomain", ctx);
    }

    flatten(rec, ev, ctx);
    flatten_embedded(row, ev, ctx, docs_, streaming ? "properties." : "");
    return std::nullopt;
  }

 private:
  static void set_int(event& ev, ocsf::attr a, simdjson::dom::element row, std::string_view key,
                      decode_context&) {
    if (auto n = number(row, key)) ev.set(a, value::integer(*n));
  }

  static void set_account(event& ev, simdjson::dom::element row, std::string_view name,
                          std::string_view domain, decode_context& ctx) {
    put(ev, ocsf::attr::actor_user_name, text(row, name), ctx);
    put(ev, ocsf::attr::actor_user_domain, text(row, domain), ctx);
  }

  // FolderPath is the full path of the file in DeviceProcessEvents/DeviceFileEvents; older
  // exports give the directory only, then the file name is appended.
  static std::optional<std::string_view> joined_path(simdjson::dom::element row,
                                                     std::string_view dir_key,
                                                     std::string_view name_key,
                                                     decode_context& ctx) {
    auto dir = text(row, dir_key);
    auto name = text(row, name_key);
    if (!dir) return std::nullopt;
    if (!name ||
        (dir->size() >= name->size() && iequals(dir->substr(dir->size() - name->size()), *name))) {
      return dir;
    }
    std::string path(*dir);
    if (path.back() != '\\' && path.back() != '/') path += '\\';
    path.append(*name);
    return ctx.store(path);
  }

  embedded_json docs_;
};

decoder_spec m365defender_spec() {
  return {
      .name = "m365defender",
      .title = "Microsoft Defender XDR advanced hunting",
      .reads =
          "advanced hunting table exports (Device*, Identity*, CloudAppEvents, Alert*) and "
          "Streaming API records (category AdvancedHunting-*)",
      .level = maturity::experimental,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first || !p.first->is_object()) return 0;
            auto e = *p.first;
            auto cat = json::str(e, "category");
            if (cat && cat->starts_with("AdvancedHunting-") && json::has(e, "properties")) {
              return 90;
            }
            if (json::has(e, "Timestamp") && json::has(e, "ActionType") &&
                (json::has(e, "DeviceName") || json::has(e, "DeviceId") ||
                 json::has(e, "ReportId"))) {
              return 85;
            }
            return 0;
          },
      .make = [] { return std::make_unique<m365defender_decoder>(); },
  };
}

}  // namespace mamori::builtins
