// Google Workspace Admin SDK Reports API activities (login, drive, admin, token, ...): the
// activities.list page {"kind":"admin#reports#activities","items":[...]} (the framing layer
// splits items), NDJSON of activity resources, and the one-event-per-record form that log
// pipelines write (Panther GSuite.ActivityEvent: name/type/parameters at top level, parameters
// as an object). Field reference: Admin SDK Reports API, "Activities" resource and the
// per-application event catalogs (login, drive, admin). docs/formats/gws.md gives the mapping.

#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

struct gws_class {
  ocsf::event_class cls;
  std::uint8_t activity;
};

// CRUD class of an admin event name: CREATE_USER, CHANGE_APPLICATION_SETTING, DELETE_ROLE...
std::uint8_t verb_activity(std::string_view name) {
  for (auto p : {"CREATE", "ADD", "INSERT", "ENROLL", "AUTHORIZE", "GRANT", "UPLOAD"})
    if (istarts_with(name, p)) return ocsf::activity::create;
  for (auto p : {"GET", "LIST", "VIEW", "DOWNLOAD", "EXPORT", "ACCESS"})
    if (istarts_with(name, p)) return ocsf::activity::read;
  for (auto p : {"CHANGE", "UPDATE", "EDIT", "RENAME", "ASSIGN", "MOVE", "SET", "TOGGLE", "ENABLE",
                 "DISABLE", "SUSPEND", "UNSUSPEND", "RESET"})
    if (istarts_with(name, p)) return ocsf::activity::update;
  for (auto p : {"DELETE", "REMOVE", "REVOKE", "UNASSIGN", "TRASH", "UNENROLL"})
    if (istarts_with(name, p)) return ocsf::activity::remove;
  return ocsf::activity::other;
}

gws_class classify(std::string_view app, std::string_view type, std::string_view name) {
  using ocsf::event_class;
  // Sign-in events (login and saml applications).
  if (name == "login_success" || name == "login_failure" || name == "login_challenge" ||
      name == "login_verification") {
    return {event_class::authentication, ocsf::activity::logon};
  }
  if (name == "logout") return {event_class::authentication, ocsf::activity::logoff};
  if (app == "drive") {
    struct entry {
      std::string_view name;
      std::uint8_t activity;
    };
    static constexpr entry drive[] = {
        {"upload", file_hosting::upload},
        {"create", file_hosting::upload},
        {"download", file_hosting::download},
        {"edit", file_hosting::update},
        {"delete", file_hosting::remove},
        {"trash", file_hosting::remove},
        {"untrash", file_hosting::restore},
        {"rename", file_hosting::rename},
        {"copy", file_hosting::copy},
        {"move", file_hosting::move},
        {"preview", file_hosting::preview},
        {"view", file_hosting::open},
        {"lock", file_hosting::lock},
        {"unlock", file_hosting::unlock},
        {"sync_item_content", file_hosting::sync},
    };
    for (const auto& e : drive)
      if (e.name == name) return {event_class::file_hosting_activity, e.activity};
    if (type == "acl_change" || name.starts_with("change_document_") ||
        name.starts_with("change_user_access")) {
      return {event_class::file_hosting_activity, file_hosting::share};
    }
    return {event_class::file_hosting_activity, ocsf::activity::other};
  }
  struct entry {
    std::string_view name;
    gws_class c;
  };
  static constexpr entry named[] = {
      // admin application (Admin SDK "Admin Console" events)
      {"CREATE_USER", {event_class::account_change, account::create}},
      {"DELETE_USER", {event_class::account_change, account::remove}},
      {"SUSPEND_USER", {event_class::account_change, account::disable}},
      {"UNSUSPEND_USER", {event_class::account_change, account::enable}},
      {"UNDELETE_USER", {event_class::account_change, account::enable}},
      {"CHANGE_PASSWORD", {event_class::account_change, account::password_reset}},
      {"ENFORCE_STRONG_AUTHENTICATION", {event_class::account_change, account::mfa_enable}},
      {"GRANT_ADMIN_PRIVILEGE", {event_class::user_access, access::assign}},
      {"REVOKE_ADMIN_PRIVILEGE", {event_class::user_access, access::revoke}},
      {"ASSIGN_ROLE", {event_class::user_access, access::assign}},
      {"UNASSIGN_ROLE", {event_class::user_access, access::revoke}},
      {"ADD_GROUP_MEMBER", {event_class::group_management, group::add_user}},
      {"REMOVE_GROUP_MEMBER", {event_class::group_management, group::remove_user}},
      // user_accounts application
      {"2sv_enroll", {event_class::account_change, account::mfa_enable}},
      {"2sv_disable", {event_class::account_change, account::mfa_disable}},
      {"password_edit", {event_class::account_change, account::password_change}},
      {"titanium_enroll", {event_class::account_change, account::mfa_enable}},
      {"titanium_unenroll", {event_class::account_change, account::mfa_disable}},
      // groups_enterprise application
      {"add_member", {event_class::group_management, group::add_user}},
      {"remove_member", {event_class::group_management, group::remove_user}},
  };
  for (const auto& e : named)
    if (e.name == name) return e.c;
  return {event_class::api_activity, verb_activity(name)};
}

}  // namespace

class gws_decoder final : public source_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one Admin SDK activity)";
    auto app = text(rec, "id.applicationName");
    // The event: events[0] of an Admin SDK activity, or the record itself when a pipeline
    // wrote one event per record.
    std::optional<simdjson::dom::element> first_event;
    if (auto events = field(rec, "events"); events && events->is_array()) {
      for (auto e : events->get_array()) {
        first_event = e;
        break;
      }
    }
    const simdjson::dom::element evt = first_event ? *first_event : rec;
    auto name = text(evt, "name");
    if (!app && !name) {
      return "not a Google Workspace activity: id.applicationName and the event name missing";
    }
    if (auto reason = take_time(ev, text(rec, "id.time"), "id.time", ctx)) return reason;
    auto type = text(evt, "type");

    const gws_class c = classify(app.value_or(""), type.value_or(""), name.value_or(""));
    ev.class_uid = c.cls;
    ev.activity_id = c.activity;
    ev.status = ocsf::status_id::success;  // the Reports API records actions that happened

    auto actor = text(rec, "actor.email");
    put(ev, ocsf::attr::actor_user_name, actor, ctx);
    put(ev, ocsf::attr::actor_user_email, actor, ctx);
    put(ev, ocsf::attr::actor_user_uid, text(rec, "actor.profileId"), ctx);
    put(ev, ocsf::attr::actor_user_type, text(rec, "actor.callerType"), ctx);
    put(ev, ocsf::attr::actor_user_tenant, text(rec, "id.customerId"), ctx);
    put(ev, ocsf::attr::metadata_tenant, text(rec, "id.customerId"), ctx);
    put_source_address(ev, text(rec, "ipAddress"), ctx);

    if (c.cls == ocsf::event_class::authentication) {
      put(ev, ocsf::attr::user_name, actor, ctx);
      put(ev, ocsf::attr::user_uid, text(rec, "actor.profileId"), ctx);
      if (name == "login_failure") {
        ev.status = ocsf::status_id::failure;
        put(ev, ocsf::attr::status_detail, param_text(evt, "login_failure_type"), ctx);
      } else if (name == "login_challenge" || name == "login_verification") {
        auto st = param_text(evt, "login_challenge_status");
        if (!st) st = param_text(evt, "login_verification_status");
        ev.status = !st                        ? ocsf::status_id::unknown
                    : icontains(*st, "passed") ? ocsf::status_id::success
                    : icontains(*st, "fail")   ? ocsf::status_id::failure
                                               : ocsf::status_id::other;
        put(ev, ocsf::attr::status_detail, st, ctx);
      }
      put(ev, ocsf::attr::logon_type, param_text(evt, "login_type"), ctx);
      // login_challenge_method lists the factors used: anything beyond a password is MFA.
      if (auto methods = param(evt, "login_challenge_method")) {
        bool any = false, mfa = false;
        auto check = [&](std::string_view m) {
          any = true;
          if (!m.empty() && !iequals(m, "password") && !iequals(m, "none")) mfa = true;
        };
        if (methods->is_string()) check(methods->get_string().value());
        if (methods->is_array()) {
          for (auto m : methods->get_array())
            if (m.is_string()) check(m.get_string().value());
        }
        if (any) ev.set(ocsf::attr::is_mfa, value::boolean(mfa));
      }
    } else if (c.cls == ocsf::event_class::file_hosting_activity) {
      put(ev, ocsf::attr::file_name, param_text(evt, "doc_title"), ctx);
    } else if (c.cls != ocsf::event_class::api_activity) {
      auto target = param_text(evt, "USER_EMAIL");
      if (!target) target = param_text(evt, "member");
      if (!target) target = param_text(evt, "affected_email_address");
      if (!target && c.cls == ocsf::event_class::account_change) target = actor;
      put(ev, ocsf::attr::user_name, target, ctx);
    }
    if (name == "FAILED_PASSWORD_ATTEMPTS_EVENT") ev.status = ocsf::status_id::failure;

    put(ev, ocsf::attr::api_operation, name, ctx);
    put(ev, ocsf::attr::api_service, app, ctx);
    put(ev, ocsf::attr::metadata_event_code, name, ctx);
    put(ev, ocsf::attr::metadata_log_name, app, ctx);
    put(ev, ocsf::attr::metadata_uid, text(rec, "id.uniqueQualifier"), ctx);
    ev.set(ocsf::attr::metadata_product, value::string("Google Workspace"));
    ev.set(ocsf::attr::metadata_vendor, value::string("Google"));

    flatten(rec, ev, ctx);
    // Admin SDK parameters are [{name, value|intValue|boolValue|multiValue|...}]: also give each
    // value its own name, events.parameters.<name>, so rules can address a parameter directly.
    if (first_event) {
      for (auto e : field(rec, "events")->get_array()) {
        auto params = field(e, "parameters");
        if (!params || !params->is_array()) continue;
        for (auto p : params->get_array()) add_parameter(p, "events.parameters.", ev, ctx);
      }
    }
    return std::nullopt;
  }

 private:
  // A parameter's value element, for both shapes (list of {name, value...} or object).
  static std::optional<simdjson::dom::element> param(simdjson::dom::element evt,
                                                     std::string_view pname) {
    auto params = field(evt, "parameters");
    if (!params) return std::nullopt;
    if (params->is_object()) return member(*params, pname);
    if (!params->is_array()) return std::nullopt;
    for (auto p : params->get_array()) {
      if (json::str(p, "name") != pname) continue;
      for (auto k : {"value", "multiValue", "intValue", "boolValue", "multiIntValue"}) {
        if (auto v = json::at(p, k)) return v;
      }
      return std::nullopt;
    }
    return std::nullopt;
  }

  static std::optional<std::string_view> param_text(simdjson::dom::element evt,
                                                    std::string_view pname) {
    auto v = param(evt, pname);
    if (v && v->is_string() && !v->get_string().value().empty()) {
      return std::string_view(v->get_string().value());
    }
    return std::nullopt;
  }

  void add_parameter(simdjson::dom::element p, std::string prefix, event& ev, decode_context& ctx) {
    auto pname = json::str(p, "name");
    if (!pname || !p.is_object()) return;
    prefix.append(*pname);
    const field_id id = fields_.get(prefix);
    for (auto [key, v] : p.get_object()) {
      if (key == "name") continue;
      if (key == "intValue") {
        std::optional<std::int64_t> i;
        if (v.is_string()) i = value::string(v.get_string().value()).as_integer();
        ev.add_raw(id, i ? value::integer(*i) : json::to_value(v, ctx));
      } else if (key == "multiValue" || key == "multiIntValue") {
        if (!v.is_array()) continue;
        for (auto item : v.get_array()) {
          auto i = item.is_string() && key == "multiIntValue"
                       ? value::string(item.get_string().value()).as_integer()
                       : std::nullopt;
          ev.add_raw(id, i ? value::integer(*i) : json::to_value(item, ctx));
        }
      } else if (key == "messageValue") {
        // {"parameter":[{name, value...}]}: nested parameters below this one's name.
        if (auto inner = json::at(v, "parameter"); inner && inner->is_array()) {
          for (auto q : inner->get_array()) add_parameter(q, prefix + ".", ev, ctx);
        }
      } else if (key == "multiMessageValue") {
        if (!v.is_array()) continue;
        for (auto m : v.get_array()) {
          if (auto inner = json::at(m, "parameter"); inner && inner->is_array()) {
            for (auto q : inner->get_array()) add_parameter(q, prefix + ".", ev, ctx);
          }
        }
      } else {
        ev.add_raw(id, json::to_value(v, ctx));
      }
    }
  }
};

decoder_spec gws_spec() {
  return {
      .name = "gws",
      .title = "Google Workspace Admin SDK activities",
      .reads =
          "Reports API activities (login, drive, admin, token, ...): activities.list pages, "
          "NDJSON, one-event-per-record exports",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first || !p.first->is_object()) return 0;
            auto e = *p.first;
            auto kind = json::str(e, "kind");
            if (kind == "admin#reports#activity") return 95;
            if (!json::str(e, "id.applicationName")) return 0;
            if (json::has(e, "events") || json::has(e, "name")) return 90;
            return 0;
          },
      .make = [] { return std::make_unique<gws_decoder>(); },
  };
}

}  // namespace mamori::builtins
