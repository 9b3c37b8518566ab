// Microsoft Entra ID (Azure AD) sign-in and audit logs, in the three shapes they are exported:
//   Microsoft Graph       signIn (createdDateTime, userPrincipalName, status.errorCode, ...)
//                         and directoryAudit (activityDateTime, activityDisplayName, ...);
//                         {"value":[...]} pages are split by the framing layer
//   Azure Monitor         diagnostic settings to storage / Event Hubs: {time, category,
//                         operationName, resultType, properties:{<the Graph object>}}
//   Sentinel / Log        SigninLogs, AADNonInteractiveUserSignInLogs, AuditLogs tables:
//   Analytics             PascalCase columns (TimeGenerated, UserPrincipalName, IPAddress,
//                         ResultType, ...), nested objects written as JSON text
// Field reference: Microsoft Graph v1.0 "signIn" and "directoryAudit" resource types; Azure
// Monitor "Azure AD activity logs schema"; Azure Monitor Logs table reference (SigninLogs,
// AuditLogs). Keys are matched case-insensitively, so one mapping serves all three.
// docs/formats/entra.md gives the mapping.

#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

struct entra_class {
  ocsf::event_class cls;
  std::uint8_t activity;
};

bool any_prefix(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes)
    if (istarts_with(s, p)) return true;
  return false;
}

// Directory audit activity → OCSF class (activity names from the Entra audit activity
// reference; matched by prefix because names come with or without a trailing '.').
entra_class classify_audit(std::string_view activity, std::string_view category,
                           std::string_view operation_type) {
  using ocsf::event_class;
  if (any_prefix(activity, {"Add member to group", "Add members to group"})) {
    return {event_class::group_management, group::add_user};
  }
  if (any_prefix(activity, {"Remove member from group", "Remove members from group"})) {
    return {event_class::group_management, group::remove_user};
  }
  if (any_prefix(activity,
                 {"Add member to role", "Add eligible member to role", "Add scoped member to role",
                  "Add app role assignment", "Add delegated permission grant",
                  "Add owner to service principal", "Add owner to application",
                  "User has elevated their access", "Consent to application"})) {
    return {event_class::user_access, access::assign};
  }
  if (any_prefix(activity, {"Remove member from role", "Remove eligible member from role",
                            "Remove scoped member from role", "Remove app role assignment",
                            "Remove delegated permission grant", "Delete role assignment",
                            "Remove owner from service principal", "Remove owner from application",
                            "Revoke consent"})) {
    return {event_class::user_access, access::revoke};
  }
  struct entry {
    std::string_view prefix;
    std::uint8_t activity;
  };
  static constexpr entry account_ops[] = {
      {"Add user", account::create},
      {"Invite external user", account::create},
      {"Invite internal user", account::create},
      {"Delete user", account::remove},
      {"Hard delete user", account::remove},
      {"Restore user", account::enable},
      {"Enable account", account::enable},
      {"Disable account", account::disable},
      {"Change user password", account::password_change},
      {"Change password", account::password_change},
      {"Update password", account::password_change},
      {"Reset user password", account::password_reset},
      {"Reset password", account::password_reset},
      {"Set force change user password", account::password_reset},
      {"User registered security info", account::mfa_enable},
      {"User registered all required security info", account::mfa_enable},
      {"Admin registered security info", account::mfa_enable},
      {"User deleted security info", account::mfa_disable},
      {"Admin deleted security info", account::mfa_disable},
      {"Disable Strong Authentication", account::mfa_disable},
      {"Update user", ocsf::activity::other},
  };
  for (const auto& e : account_ops)
    if (istarts_with(activity, e.prefix)) return {event_class::account_change, e.activity};
  if (iequals(category, "GroupManagement")) {
    return {event_class::group_management, ocsf::activity::other};
  }
  // Everything else (applications, policies, domains, devices...): API Activity.
  std::uint8_t act = ocsf::activity::other;
  if (iequals(operation_type, "Add") || iequals(operation_type, "Create")) {
    act = ocsf::activity::create;
  } else if (iequals(operation_type, "Update") || iequals(operation_type, "Assign") ||
             iequals(operation_type, "Unassign")) {
    act = ocsf::activity::update;
  } else if (iequals(operation_type, "Delete") || iequals(operation_type, "Remove")) {
    act = ocsf::activity::remove;
  } else if (any_prefix(activity, {"Add", "Create", "Register", "Invite"})) {
    act = ocsf::activity::create;
  } else if (any_prefix(activity, {"Update", "Set", "Change", "Reset", "Enable", "Disable"})) {
    act = ocsf::activity::update;
  } else if (any_prefix(activity, {"Delete", "Remove", "Hard delete"})) {
    act = ocsf::activity::remove;
  }
  return {event_class::api_activity, act};
}

bool is_signin_category(std::string_view category) {
  return icontains(category, "SignIn");  // SignInLogs, NonInteractiveUserSignInLogs, ...
}

}  // namespace

class entra_decoder final : public source_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one Entra ID sign-in or audit record)";
    docs_.reset();

    // Find the body (the Graph-shaped object) and which log this is.
    simdjson::dom::element body = rec;
    std::optional<std::string_view> when;
    std::string_view when_name;
    std::optional<std::string_view> category = first_text(rec, {"category", "Type"});
    bool signin = false;
    if (auto props = object_or_json(rec, "properties", docs_);
        props && props->is_object() && text(rec, "time")) {
      body = *props;  // Azure Monitor diagnostic record
      signin = category ? is_signin_category(*category)
                        : (json::has(body, "createdDateTime") && !text(body, "activityDateTime"));
      // The event's own time (sign-in or activity); "time" is when Azure Monitor wrote it.
      when_name = signin ? "properties.createdDateTime" : "properties.activityDateTime";
      when = text(body, signin ? "createdDateTime" : "activityDateTime");
      if (!when) {
        when = text(rec, "time");
        when_name = "time";
      }
      if (!signin && !text(body, "activityDisplayName") && !text(rec, "operationName")) {
        return "Azure Monitor record is neither a sign-in nor an audit entry";
      }
    } else if (auto created = text(rec, "createdDateTime")) {
      signin = true;  // Graph signIn, or a Sentinel sign-in table with its CreatedDateTime
      when = created;
      when_name = "createdDateTime";
    } else if (auto at = text(rec, "activityDateTime")) {
      when = at;  // Graph directoryAudit, or Sentinel AuditLogs
      when_name = "activityDateTime";
    } else if (auto generated = text(rec, "TimeGenerated")) {
      when = generated;
      when_name = "TimeGenerated";
      if (category && is_signin_category(*category)) {
        signin = true;
      } else if (!text(rec, "ActivityDisplayName") && !text(rec, "OperationName")) {
        return "Sentinel record is neither a sign-in (SigninLogs) nor an audit entry";
      }
    } else if (json::has(rec, "userPrincipalName") || json::has(rec, "activityDisplayName")) {
      // Neither time field: only acceptable for test fixtures (set_time_optional).
      signin = !json::has(rec, "activityDisplayName");
      when_name = signin ? "createdDateTime" : "activityDateTime";
    } else {
      return "not an Entra ID record: no createdDateTime, activityDateTime, TimeGenerated or "
             "properties";
    }
    if (auto reason = take_time(ev, when, when_name, ctx)) return reason;

    ev.set(ocsf::attr::metadata_product, value::string("Entra ID"));
    ev.set(ocsf::attr::metadata_vendor, value::string("Microsoft"));
    ev.set(ocsf::attr::cloud_provider, value::string("Azure"));
    auto tenant = first_text(body, {"tenantId", "homeTenantId", "AADTenantId"});
    if (!tenant) tenant = first_text(rec, {"tenantId", "TenantId"});
    put(ev, ocsf::attr::actor_user_tenant, tenant, ctx);
    put(ev, ocsf::attr::metadata_tenant, tenant, ctx);
    put(ev, ocsf::attr::metadata_uid, first_text(body, {"id", "Id"}), ctx);

    if (signin) {
      map_signin(rec, body, category, ev, ctx);
    } else {
      map_audit(rec, body, ev, ctx);
    }

    flatten(rec, ev, ctx);
    flatten_embedded(rec, ev, ctx, docs_);
    return std::nullopt;
  }

 private:
  void map_signin(simdjson::dom::element rec, simdjson::dom::element body,
                  std::optional<std::string_view> category, event& ev, decode_context& ctx) {
    ev.class_uid = ocsf::event_class::authentication;
    ev.activity_id = ocsf::activity::logon;
    ev.set(ocsf::attr::metadata_log_name,
           value::string(category ? ctx.store(*category) : std::string_view("signIns")));

    // Result: status.errorCode (Graph) or ResultType (Sentinel, diagnostic): 0 = success.
    std::optional<std::int64_t> code;
    std::optional<simdjson::dom::element> status = object_or_json(body, "status", docs_);
    if (status && status->is_object()) code = number(*status, "errorCode");
    std::optional<std::string_view> result_text;
    if (!code) code = number(body, "ResultType");
    if (!code) code = number(rec, "resultType");
    if (!code) result_text = first_text(rec, {"resultType", "ResultType"});
    if (code) {
      ev.status = *code == 0 ? ocsf::status_id::success : ocsf::status_id::failure;
      ev.set(ocsf::attr::status_code, value::string(ctx.store(std::to_string(*code))));
    } else if (result_text) {
      ev.status = iequals(*result_text, "Success")   ? ocsf::status_id::success
                  : iequals(*result_text, "Failure") ? ocsf::status_id::failure
                                                     : ocsf::status_id::unknown;
    }
    if (ev.status != ocsf::status_id::success) {
      std::optional<std::string_view> reason;
      if (status && status->is_object()) reason = text(*status, "failureReason");
      if (!reason) reason = text(body, "ResultDescription");
      if (!reason) reason = text(rec, "resultDescription");
      put(ev, ocsf::attr::status_detail, reason, ctx);
    }

    // Who signed in: a user, or a service principal / managed identity.
    auto upn = text(body, "userPrincipalName");
    auto uid = text(body, "userId");
    if (!upn) {
      upn = first_text(body, {"servicePrincipalName", "ServicePrincipalName"});
      uid = text(body, "servicePrincipalId");
      if (upn) ev.set(ocsf::attr::actor_user_type, value::string("ServicePrincipal"));
    } else {
      put(ev, ocsf::attr::actor_user_type, text(body, "userType"), ctx);
    }
    if (!upn) upn = text(rec, "identity");
    put(ev, ocsf::attr::user_name, upn, ctx);
    put(ev, ocsf::attr::user_uid, uid, ctx);
    put(ev, ocsf::attr::actor_user_name, upn, ctx);
    put(ev, ocsf::attr::actor_user_uid, uid, ctx);
    if (upn && upn->find('@') != std::string_view::npos) {
      put(ev, ocsf::attr::actor_user_email, upn, ctx);
    }
    put(ev, ocsf::attr::actor_session_uid, text(body, "sessionId"), ctx);
    put(ev, ocsf::attr::api_request_uid, text(body, "correlationId"), ctx);

    auto ip = text(body, "ipAddress");
    if (!ip) ip = text(rec, "callerIpAddress");
    put_source_address(ev, ip, ctx);
    // Graph: location {city, state, countryOrRegion, geoCoordinates}; Sentinel: Location is the
    // country code and LocationDetails the object.
    std::optional<simdjson::dom::element> loc = object_or_json(body, "location", docs_);
    if (!loc || !loc->is_object()) loc = object_or_json(body, "LocationDetails", docs_);
    if (loc && loc->is_object()) {
      put(ev, ocsf::attr::src_country, text(*loc, "countryOrRegion"), ctx);
      put(ev, ocsf::attr::src_city, text(*loc, "city"), ctx);
      if (auto lat = field(*loc, "geoCoordinates.latitude"); lat && lat->is_number()) {
        ev.set(ocsf::attr::src_lat, json::to_value(*lat, ctx));
      }
      if (auto lon = field(*loc, "geoCoordinates.longitude"); lon && lon->is_number()) {
        ev.set(ocsf::attr::src_long, json::to_value(*lon, ctx));
      }
    } else if (auto country = text(body, "location")) {
      put(ev, ocsf::attr::src_country, country, ctx);
    }
    put(ev, ocsf::attr::http_user_agent, text(body, "userAgent"), ctx);
    if (auto dev = object_or_json(body, "deviceDetail", docs_); dev && dev->is_object()) {
      put(ev, ocsf::attr::device_os_name, text(*dev, "operatingSystem"), ctx);
      put(ev, ocsf::attr::device_uid, text(*dev, "deviceId"), ctx);
      put(ev, ocsf::attr::device_hostname, text(*dev, "displayName"), ctx);
    }
    auto app = first_text(body, {"appDisplayName", "AppDisplayName"});
    put(ev, ocsf::attr::dst_svc_name, app, ctx);
    put(ev, ocsf::attr::auth_protocol, text(body, "authenticationProtocol"), ctx);
    if (category) {
      std::string_view type = icontains(*category, "NonInteractive")     ? "Non-interactive"
                              : icontains(*category, "ServicePrincipal") ? "Service principal"
                              : icontains(*category, "ManagedIdentity")  ? "Managed identity"
                                                                         : "Interactive";
      ev.set(ocsf::attr::logon_type, value::string(type));
    } else if (auto interactive = flag(body, "isInteractive")) {
      ev.set(ocsf::attr::logon_type,
             value::string(*interactive ? "Interactive" : "Non-interactive"));
    }

    // MFA: authenticationRequirement says what was required; authenticationDetails and
    // mfaDetail say what was performed.
    if (auto req = text(body, "authenticationRequirement")) {
      ev.set(ocsf::attr::is_mfa, value::boolean(iequals(*req, "multiFactorAuthentication")));
    } else if (auto details = object_or_json(body, "authenticationDetails", docs_);
               details && details->is_array()) {
      bool mfa = false;
      for (auto step : details->get_array()) {
        auto req_step = text(step, "authenticationStepRequirement");
        if (req_step && icontains(*req_step, "multi")) mfa = true;
      }
      ev.set(ocsf::attr::is_mfa, value::boolean(mfa));
    } else if (text(body, "mfaDetail.authMethod")) {
      ev.set(ocsf::attr::is_mfa, value::boolean(true));
    }
  }

  void map_audit(simdjson::dom::element rec, simdjson::dom::element body, event& ev,
                 decode_context& ctx) {
    auto activity = first_text(body, {"activityDisplayName", "OperationName"});
    if (!activity) activity = text(rec, "operationName");
    auto category = text(body, "category");
    if (!category) category = text(rec, "category");
    auto op_type = first_text(body, {"operationType", "AADOperationType"});
    const entra_class c =
        classify_audit(activity.value_or(""), category.value_or(""), op_type.value_or(""));
    ev.class_uid = c.cls;
    ev.activity_id = c.activity;
    put(ev, ocsf::attr::metadata_log_name, category, ctx);

    auto result = text(body, "result");
    if (!result) result = text(rec, "resultType");
    if (result) {
      ev.status = iequals(*result, "success")   ? ocsf::status_id::success
                  : iequals(*result, "failure") ? ocsf::status_id::failure
                  : iequals(*result, "timeout") ? ocsf::status_id::failure
                                                : ocsf::status_id::unknown;
    }
    auto reason = text(body, "resultReason");
    if (!reason) reason = text(rec, "resultDescription");
    put(ev, ocsf::attr::status_detail, reason, ctx);

    // Who did it: initiatedBy.user or initiatedBy.app (object, or JSON text in Sentinel).
    if (auto by = object_or_json(body, "initiatedBy", docs_); by && by->is_object()) {
      if (auto user = field(*by, "user"); user && user->is_object()) {
        auto upn = text(*user, "userPrincipalName");
        put(ev, ocsf::attr::actor_user_name, upn, ctx);
        put(ev, ocsf::attr::actor_user_uid, text(*user, "id"), ctx);
        if (upn && upn->find('@') != std::string_view::npos) {
          put(ev, ocsf::attr::actor_user_email, upn, ctx);
        }
        put_source_address(ev, text(*user, "ipAddress"), ctx);
      }
      if (auto app = field(*by, "app"); app && app->is_object()) {
        auto name = first_text(*app, {"displayName", "servicePrincipalName"});
        put(ev, ocsf::attr::actor_app_name, name, ctx);
        if (!ev.get(ocsf::attr::actor_user_name)) {
          put(ev, ocsf::attr::actor_user_name, name, ctx);
          put(ev, ocsf::attr::actor_user_uid, text(*app, "servicePrincipalId"), ctx);
          if (name) ev.set(ocsf::attr::actor_user_type, value::string("ServicePrincipal"));
        }
      }
    }
    if (!ev.get(ocsf::attr::src_ip)) put_source_address(ev, text(rec, "callerIpAddress"), ctx);

    // The user acted upon (IAM classes): the first target that is a user.
    if (c.cls != ocsf::event_class::api_activity) {
      if (auto targets = object_or_json(body, "targetResources", docs_);
          targets && targets->is_array()) {
        for (auto t : targets->get_array()) {
          auto upn = text(t, "userPrincipalName");
          auto type = text(t, "type");
          if (!upn && !(type && iequals(*type, "User"))) continue;
          put(ev, ocsf::attr::user_name, upn ? upn : text(t, "displayName"), ctx);
          put(ev, ocsf::attr::user_uid, text(t, "id"), ctx);
          break;
        }
      }
    }

    auto ua = text(body, "UserAgent");
    if (!ua) {
      if (auto details = object_or_json(body, "additionalDetails", docs_);
          details && details->is_array()) {
        for (auto d : details->get_array()) {
          auto key = text(d, "key");
          if (key && iequals(*key, "User-Agent")) ua = text(d, "value");
        }
      }
    }
    put(ev, ocsf::attr::http_user_agent, ua, ctx);
    put(ev, ocsf::attr::api_operation, activity, ctx);
    put(ev, ocsf::attr::metadata_event_code, activity, ctx);
    put(ev, ocsf::attr::api_service, text(body, "loggedByService"), ctx);
    put(ev, ocsf::attr::api_request_uid, text(body, "correlationId"), ctx);
  }

  embedded_json docs_;
};

decoder_spec entra_spec() {
  return {
      .name = "entra",
      .title = "Microsoft Entra ID (Azure AD) sign-in and audit logs",
      .reads =
          "Graph signIns / directoryAudits, Azure Monitor diagnostic exports (SignInLogs, "
          "AuditLogs), Sentinel SigninLogs / AuditLogs table exports",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first || !p.first->is_object()) return 0;
            auto e = *p.first;
            // Graph signIn / directoryAudit
            if (json::has(e, "createdDateTime") &&
                (json::has(e, "userPrincipalName") || json::has(e, "appDisplayName")) &&
                (json::has(e, "status") || json::has(e, "conditionalAccessStatus") ||
                 json::has(e, "ipAddress"))) {
              return 90;
            }
            if (json::has(e, "activityDateTime") && json::has(e, "activityDisplayName")) return 90;
            // Azure Monitor diagnostic record
            if (json::has(e, "time") && json::has(e, "properties")) {
              auto cat = json::str(e, "category");
              if (cat && (is_signin_category(*cat) || *cat == "AuditLogs")) return 90;
              auto rid = json::str(e, "resourceId");
              if (rid && icontains(*rid, "Microsoft.aadiam")) return 85;
              return 0;
            }
            // Sentinel / Log Analytics tables
            if (json::has(e, "TimeGenerated")) {
              auto type = json::str(e, "Type");
              if (type && (*type == "SigninLogs" || *type == "AuditLogs" ||
                           (type->starts_with("AAD") && is_signin_category(*type)))) {
                return 90;
              }
              if (json::has(e, "ActivityDisplayName") &&
                  (json::has(e, "InitiatedBy") || json::has(e, "TargetResources"))) {
                return 90;
              }
              if (json::str(e, "SourceSystem") == "Azure AD" && json::has(e, "OperationName")) {
                return 85;
              }
            }
            return 0;
          },
      .make = [] { return std::make_unique<entra_decoder>(); },
  };
}

}  // namespace mamori::builtins
