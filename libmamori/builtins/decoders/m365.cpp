// Microsoft 365 unified audit log: Office 365 Management Activity API content blobs (JSON
// arrays of audit records), NDJSON exports, and Sentinel's OfficeActivity table exports. The
// portal's CSV export (AuditData column) is read by m365-csv, which hands each AuditData
// record to this decoder's map(). Field reference: Microsoft Learn, "Office 365 Management
// Activity API schema" (common schema, SharePoint, Exchange admin, Azure AD schemas).
// docs/formats/m365.md gives the mapping.

#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

struct m365_class {
  ocsf::event_class cls;
  std::uint8_t activity;
};

// SharePoint / OneDrive file and sharing operations (Management Activity API, "SharePoint
// file operations" and "sharing" activities).
std::optional<std::uint8_t> file_activity(std::string_view op) {
  struct entry {
    std::string_view op;
    std::uint8_t activity;
  };
  static constexpr entry table[] = {
      {"FileUploaded", file_hosting::upload},
      {"FileSyncUploadedFull", file_hosting::upload},
      {"FileSyncUploadedPartial", file_hosting::upload},
      {"FileDownloaded", file_hosting::download},
      {"FileSyncDownloadedFull", file_hosting::download},
      {"FileSyncDownloadedPartial", file_hosting::download},
      {"FileAccessed", file_hosting::open},
      {"FileAccessedExtended", file_hosting::open},
      {"AnonymousLinkUsed", file_hosting::open},
      {"CompanyLinkUsed", file_hosting::open},
      {"SecureLinkUsed", file_hosting::open},
      {"FilePreviewed", file_hosting::preview},
      {"FileModified", file_hosting::update},
      {"FileModifiedExtended", file_hosting::update},
      {"FileDeleted", file_hosting::remove},
      {"FileDeletedFirstStageRecycleBin", file_hosting::remove},
      {"FileDeletedSecondStageRecycleBin", file_hosting::remove},
      {"FileRecycled", file_hosting::remove},
      {"FileVersionsAllDeleted", file_hosting::remove},
      {"FileRenamed", file_hosting::rename},
      {"FileCopied", file_hosting::copy},
      {"FileMoved", file_hosting::move},
      {"FileRestored", file_hosting::restore},
      {"FileCheckedOut", file_hosting::lock},
      {"FileCheckedIn", file_hosting::unlock},
      {"FileCheckOutDiscarded", file_hosting::unlock},
      {"SharingSet", file_hosting::share},
      {"SharingInvitationCreated", file_hosting::share},
      {"SharingInvitationAccepted", file_hosting::share},
      {"AnonymousLinkCreated", file_hosting::share},
      {"AnonymousLinkUpdated", file_hosting::share},
      {"CompanyLinkCreated", file_hosting::share},
      {"SecureLinkCreated", file_hosting::share},
      {"SecureLinkUpdated", file_hosting::share},
      {"AddedToSecureLink", file_hosting::share},
      {"SharingRevoked", file_hosting::unshare},
      {"SharingInvitationRevoked", file_hosting::unshare},
      {"AnonymousLinkRemoved", file_hosting::unshare},
      {"CompanyLinkRemoved", file_hosting::unshare},
      {"SecureLinkDeleted", file_hosting::unshare},
      {"RemovedFromSecureLink", file_hosting::unshare},
  };
  for (const auto& e : table)
    if (iequals(e.op, op)) return e.activity;
  if (istarts_with(op, "File") || istarts_with(op, "Folder")) return ocsf::activity::other;
  return std::nullopt;
}

// CRUD class of an operation: Exchange cmdlets ("New-InboxRule", "Set-Mailbox") and Azure AD
// directory operations ("Add user.", "Update user.", "Delete user.").
std::uint8_t verb_activity(std::string_view op) {
  for (auto p : {"New-", "Add-", "Add ", "Create", "Install-", "Register"})
    if (istarts_with(op, p)) return ocsf::activity::create;
  for (auto p :
       {"Get-", "Search-", "Export-", "Test-", "MailItemsAccessed", "SearchQuery", "Read", "View"})
    if (istarts_with(op, p)) return ocsf::activity::read;
  for (auto p :
       {"Set-", "Update", "Enable-", "Disable-", "Change", "Reset", "Set ", "Move", "Restore"})
    if (istarts_with(op, p)) return ocsf::activity::update;
  for (auto p : {"Remove-", "Delete", "Remove ", "Uninstall-", "HardDelete", "SoftDelete"})
    if (istarts_with(op, p)) return ocsf::activity::remove;
  return ocsf::activity::other;
}

m365_class classify(std::string_view op) {
  using ocsf::event_class;
  if (iequals(op, "UserLoggedIn") || iequals(op, "UserLoginFailed")) {
    return {event_class::authentication, ocsf::activity::logon};
  }
  if (iequals(op, "UserLoggedOut")) return {event_class::authentication, ocsf::activity::logoff};
  if (auto a = file_activity(op)) return {event_class::file_hosting_activity, *a};
  // Mail rules and forwarding (New-InboxRule, Set-InboxRule, UpdateInboxRules, Set-Mailbox
  // with ForwardingSmtpAddress, ...) and every other operation: API Activity.
  return {event_class::api_activity, verb_activity(op)};
}

ocsf::status_id status_of(std::string_view s) {
  for (auto ok : {"Succeeded", "Success", "True", "PartiallySucceeded"})
    if (iequals(s, ok)) return ocsf::status_id::success;
  for (auto bad : {"Failed", "Failure", "False"})
    if (iequals(s, bad)) return ocsf::status_id::failure;
  return ocsf::status_id::unknown;
}

// UserType enumeration of the common schema.
std::string_view user_type_name(std::int64_t t) {
  switch (t) {
    case 0:
      return "Regular";
    case 1:
      return "Reserved";
    case 2:
      return "Admin";
    case 3:
      return "DcAdmin";
    case 4:
      return "System";
    case 5:
      return "Application";
    case 6:
      return "ServicePrincipal";
    case 7:
      return "CustomPolicy";
    case 8:
      return "SystemPolicy";
    default:
      return {};
  }
}

// Arrays of {"Name": ..., "Value": ...} pairs that also get one field per name.
constexpr std::string_view named_lists[] = {"ExtendedProperties", "Parameters",
                                            "ModifiedProperties", "DeviceProperties",
                                            "OperationProperties"};

}  // namespace

class m365_decoder final : public source_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one unified audit log record)";
    docs_.reset();
    auto op = text(rec, "Operation");
    if (!op) return "not a Microsoft 365 audit record: Operation missing";
    auto when = text(rec, "CreationTime");
    std::string_view when_name = "CreationTime";
    if (!when) {
      when = text(rec, "TimeGenerated");  // Sentinel OfficeActivity
      if (when) when_name = "TimeGenerated";
    }
    if (auto reason = take_time(ev, when, when_name, ctx)) return reason;

    const m365_class c = classify(*op);
    ev.class_uid = c.cls;
    ev.activity_id = c.activity;
    if (auto rs = text(rec, "ResultStatus")) ev.status = status_of(*rs);
    auto logon_error = text(rec, "LogonError");
    if (iequals(*op, "UserLoginFailed")) ev.status = ocsf::status_id::failure;
    if (c.cls == ocsf::event_class::authentication && ev.status == ocsf::status_id::unknown) {
      ev.status =
          iequals(*op, "UserLoginFailed") ? ocsf::status_id::failure : ocsf::status_id::success;
    }
    if (c.cls == ocsf::event_class::file_hosting_activity &&
        ev.status == ocsf::status_id::unknown) {
      // SharePoint / OneDrive file records have no ResultStatus: they record completed actions.
      ev.status = ocsf::status_id::success;
    }
    if (logon_error) {
      put(ev, ocsf::attr::status_detail, logon_error, ctx);
    } else if (ev.status != ocsf::status_id::success) {
      put(ev, ocsf::attr::status_detail,
          named_value(rec, "ExtendedProperties", "ResultStatusDetail"), ctx);
    }

    auto workload = first_text(rec, {"Workload", "OfficeWorkload"});
    auto user = first_text(rec, {"UserId", "UserId_"});
    put(ev, ocsf::attr::actor_user_name, user, ctx);
    if (user && user->find('@') != std::string_view::npos) {
      put(ev, ocsf::attr::actor_user_email, user, ctx);
    }
    put(ev, ocsf::attr::actor_user_uid, text(rec, "UserKey"), ctx);
    if (auto ut = number(rec, "UserType")) {
      auto name = user_type_name(*ut);
      if (!name.empty()) ev.set(ocsf::attr::actor_user_type, value::string(name));
    } else {
      put(ev, ocsf::attr::actor_user_type, text(rec, "UserType"), ctx);
    }
    auto org = text(rec, "OrganizationId");
    put(ev, ocsf::attr::actor_user_tenant, org, ctx);
    put(ev, ocsf::attr::metadata_tenant, org, ctx);
    put(ev, ocsf::attr::cloud_account, org, ctx);
    ev.set(ocsf::attr::cloud_provider, value::string("Microsoft"));

    put_source_address(ev,
                       first_text(rec, {"ClientIP", "ActorIpAddress", "ClientIPAddress",
                                        "Client_IPAddress", "ClientIp"}),
                       ctx);
    auto ua = text(rec, "UserAgent");
    if (!ua) ua = named_value(rec, "ExtendedProperties", "UserAgent");
    put(ev, ocsf::attr::http_user_agent, ua, ctx);

    if (c.cls == ocsf::event_class::authentication) {
      put(ev, ocsf::attr::user_name, user, ctx);
      put(ev, ocsf::attr::user_uid, text(rec, "UserKey"), ctx);
      put(ev, ocsf::attr::dst_svc_name, workload, ctx);
    } else if (c.cls == ocsf::event_class::file_hosting_activity) {
      auto name = text(rec, "SourceFileName");
      put(ev, ocsf::attr::file_name, name, ctx);
      auto dir = text(rec, "SourceRelativeUrl");
      if (name && dir) {
        // SourceRelativeUrl is the folder; some producers include the file name already.
        std::string path(*dir);
        const bool has_name = path == *name || (path.size() > name->size() &&
                                                std::string_view(path).ends_with(*name) &&
                                                path[path.size() - name->size() - 1] == '/');
        if (!has_name) {
          if (!path.empty() && path.back() != '/') path += '/';
          path.append(*name);
        }
        ev.set(ocsf::attr::file_path, value::string(ctx.store(path)));
      } else {
        put(ev, ocsf::attr::file_path, text(rec, "ObjectId"), ctx);
      }
      put(ev, ocsf::attr::dst_hostname, host_of(text(rec, "SiteUrl")), ctx);
    }

    ev.set(ocsf::attr::api_operation, value::string(ctx.store(*op)));
    put(ev, ocsf::attr::api_service, workload, ctx);
    put(ev, ocsf::attr::metadata_uid, first_text(rec, {"Id", "OfficeId"}), ctx);
    ev.set(ocsf::attr::metadata_event_code, value::string(ctx.store(*op)));
    put(ev, ocsf::attr::metadata_log_name, workload, ctx);
    ev.set(ocsf::attr::metadata_product, value::string("Microsoft 365"));
    ev.set(ocsf::attr::metadata_vendor, value::string("Microsoft"));

    flatten(rec, ev, ctx);
    flatten_embedded(rec, ev, ctx, docs_);
    for (auto list : named_lists) flatten_named(rec, list, ev, ctx);
    return std::nullopt;
  }

 private:
  // The list member as an array: JSON array, or JSON text of one (Sentinel exports).
  std::optional<simdjson::dom::element> list(simdjson::dom::element rec, std::string_view key) {
    auto v = object_or_json(rec, key, docs_);
    if (!v || !v->is_array()) return std::nullopt;
    return v;
  }

  std::optional<std::string_view> named_value(simdjson::dom::element rec, std::string_view key,
                                              std::string_view name) {
    auto items = list(rec, key);
    if (!items) return std::nullopt;
    for (auto item : items->get_array()) {
      if (text(item, "Name") != name) continue;
      return text(item, "Value");
    }
    return std::nullopt;
  }

  // [{"Name":"ForwardTo","Value":"x@y"}] → Parameters.ForwardTo = "x@y"; members other than
  // Value (ModifiedProperties' NewValue/OldValue) become <list>.<Name>.<member>.
  void flatten_named(simdjson::dom::element rec, std::string_view key, event& ev,
                     decode_context& ctx) {
    auto items = list(rec, key);
    if (!items) return;
    std::string path;
    for (auto item : items->get_array()) {
      auto name = text(item, "Name");
      if (!name || !item.is_object()) continue;
      for (auto [k, v] : item.get_object()) {
        if (k == "Name") continue;
        path.assign(key).append(".").append(*name);
        if (k != "Value") path.append(".").append(k);
        if (v.is_object() || v.is_array()) {
          flatten(v, ev, ctx, path);
        } else {
          ev.add_raw(fields_.get(path), json::to_value(v, ctx));
        }
      }
    }
  }

  static std::optional<std::string_view> host_of(std::optional<std::string_view> url) {
    if (!url) return std::nullopt;
    std::string_view u = *url;
    const std::size_t scheme = u.find("://");
    if (scheme == std::string_view::npos) return std::nullopt;
    u.remove_prefix(scheme + 3);
    return u.substr(0, u.find('/'));
  }

  embedded_json docs_;
};

decoder_spec m365_spec() {
  return {
      .name = "m365",
      .title = "Microsoft 365 unified audit log",
      .reads =
          "Management Activity API records (JSON array, NDJSON), Sentinel OfficeActivity "
          "exports",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first || !p.first->is_object()) return 0;
            auto e = *p.first;
            if (!json::has(e, "Operation")) return 0;
            if (json::has(e, "CreationTime") &&
                (json::has(e, "Workload") || json::has(e, "RecordType"))) {
              return 90;
            }
            if (json::str(e, "Type") == "OfficeActivity" ||
                (json::has(e, "OfficeWorkload") && json::has(e, "TimeGenerated"))) {
              return 90;
            }
            return 0;
          },
      .make = [] { return std::make_unique<m365_decoder>(); },
  };
}

}  // namespace mamori::builtins
