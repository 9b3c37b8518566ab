// Okta System Log: the /api/v1/logs JSON array, NDJSON exports and single events.
// Field reference: Okta Developer, "System Log API" → LogEvent object (published, eventType,
// actor, client, outcome, authenticationContext, securityContext, target, debugContext).
// docs/formats/okta.md gives the mapping.

#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

struct okta_class {
  ocsf::event_class cls;
  std::uint8_t activity;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// eventType → OCSF class. Okta event types are dotted "domain.object.action" names
// (Okta Event Types catalog).
okta_class classify(std::string_view type) {
  using ocsf::event_class;
  if (type == "user.session.start") return {event_class::authentication, ocsf::activity::logon};
  if (type == "user.session.end") return {event_class::authentication, ocsf::activity::logoff};
  if (type.starts_with("user.authentication.")) {
    return {event_class::authentication, ocsf::activity::logon};
  }
  struct entry {
    std::string_view type;
    okta_class c;
  };
  static constexpr entry table[] = {
      {"user.lifecycle.create", {event_class::account_change, account::create}},
      {"user.lifecycle.activate", {event_class::account_change, account::enable}},
      {"user.lifecycle.reactivate", {event_class::account_change, account::enable}},
      {"user.lifecycle.unsuspend", {event_class::account_change, account::enable}},
      {"user.lifecycle.deactivate", {event_class::account_change, account::disable}},
      {"user.lifecycle.suspend", {event_class::account_change, account::disable}},
      {"user.lifecycle.delete.initiated", {event_class::account_change, account::remove}},
      {"user.lifecycle.delete.completed", {event_class::account_change, account::remove}},
      {"user.account.update_password", {event_class::account_change, account::password_change}},
      {"user.account.reset_password", {event_class::account_change, account::password_reset}},
      {"user.account.lock", {event_class::account_change, account::lock}},
      {"user.account.lock.limit", {event_class::account_change, account::lock}},
      {"user.mfa.factor.activate", {event_class::account_change, account::mfa_enable}},
      {"user.mfa.factor.deactivate", {event_class::account_change, account::mfa_disable}},
      {"user.mfa.factor.reset_all", {event_class::account_change, account::mfa_disable}},
      {"user.mfa.factor.suspend", {event_class::account_change, account::mfa_disable}},
      {"system.mfa.factor.deactivate", {event_class::account_change, account::mfa_disable}},
      {"user.account.privilege.grant", {event_class::user_access, access::assign}},
      {"user.account.privilege.revoke", {event_class::user_access, access::revoke}},
      {"application.user_membership.add", {event_class::user_access, access::assign}},
      {"application.user_membership.remove", {event_class::user_access, access::revoke}},
      {"group.user_membership.add", {event_class::group_management, group::add_user}},
      {"group.user_membership.remove", {event_class::group_management, group::remove_user}},
      {"group.privilege.grant", {event_class::group_management, group::assign_privileges}},
      {"group.privilege.revoke", {event_class::group_management, group::revoke_privileges}},
  };
  for (const auto& e : table)
    if (e.type == type) return e.c;
  // Everything else is an administrative or API action; its CRUD verb is the last segment.
  std::string_view verb =
      type.substr(type.rfind('.') == std::string_view::npos ? 0 : type.rfind('.') + 1);
  std::uint8_t act = ocsf::activity::other;
  if (verb == "create" || verb == "add" || verb == "grant" || verb == "activate" ||
      ends_with(verb, "_create") || ends_with(verb, "_add")) {
    act = ocsf::activity::create;
  } else if (verb == "read" || verb == "show" || verb == "list" || verb == "view" ||
             verb == "show_password" || verb == "search") {
    act = ocsf::activity::read;
  } else if (verb == "update" || verb == "change" || verb == "modify" || verb == "reset" ||
             ends_with(verb, "_update") || ends_with(verb, "_change") || verb == "enable" ||
             verb == "disable" || verb == "warning" || verb == "violation") {
    act = ocsf::activity::update;
  } else if (verb == "delete" || verb == "remove" || verb == "revoke" || verb == "deactivate" ||
             ends_with(verb, "_delete") || ends_with(verb, "_remove")) {
    act = ocsf::activity::remove;
  }
  return {event_class::api_activity, act};
}

ocsf::status_id status_of(std::string_view result) {
  if (iequals(result, "SUCCESS") || iequals(result, "ALLOW")) return ocsf::status_id::success;
  if (iequals(result, "FAILURE") || iequals(result, "DENY")) return ocsf::status_id::failure;
  if (iequals(result, "UNKNOWN")) return ocsf::status_id::unknown;
  return ocsf::status_id::other;  // CHALLENGE, SKIPPED, RATE_LIMIT, ...
}

ocsf::severity_id severity_of(std::string_view s) {
  if (iequals(s, "WARN")) return ocsf::severity_id::medium;
  if (iequals(s, "ERROR")) return ocsf::severity_id::high;
  return ocsf::severity_id::informational;  // DEBUG, INFO
}

}  // namespace

class okta_decoder final : public source_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one Okta LogEvent)";
    auto type = text(rec, "eventType");
    if (!type) return "not an Okta System Log event: eventType missing";
    if (auto reason = take_time(ev, text(rec, "published"), "published", ctx)) return reason;

    const okta_class c = classify(*type);
    ev.class_uid = c.cls;
    ev.activity_id = c.activity;
    if (auto result = text(rec, "outcome.result")) ev.status = status_of(*result);
    put(ev, ocsf::attr::status_detail, text(rec, "outcome.reason"), ctx);
    if (auto sev = text(rec, "severity")) ev.severity = severity_of(*sev);
    put(ev, ocsf::attr::message, text(rec, "displayMessage"), ctx);

    // The actor: the principal that did it. For sign-ins it is also the user authenticated.
    auto actor_name = text(rec, "actor.alternateId");
    put(ev, ocsf::attr::actor_user_name, actor_name, ctx);
    put(ev, ocsf::attr::actor_user_uid, text(rec, "actor.id"), ctx);
    put(ev, ocsf::attr::actor_user_type, text(rec, "actor.type"), ctx);
    if (actor_name && actor_name->find('@') != std::string_view::npos) {
      put(ev, ocsf::attr::actor_user_email, actor_name, ctx);
    }
    put(ev, ocsf::attr::actor_session_uid, text(rec, "authenticationContext.externalSessionId"),
        ctx);
    if (c.cls == ocsf::event_class::authentication) {
      put(ev, ocsf::attr::user_name, actor_name, ctx);
      put(ev, ocsf::attr::user_uid, text(rec, "actor.id"), ctx);
      put(ev, ocsf::attr::auth_protocol, text(rec, "authenticationContext.authenticationProvider"),
          ctx);
      if (*type == "user.authentication.auth_via_mfa")
        ev.set(ocsf::attr::is_mfa, value::boolean(true));
    } else if (c.cls != ocsf::event_class::api_activity) {
      // IAM classes: the user acted upon is the first target of type User.
      if (auto targets = field(rec, "target"); targets && targets->is_array()) {
        for (auto t : targets->get_array()) {
          auto ttype = text(t, "type");
          if (!ttype || !iequals(*ttype, "User")) continue;
          put(ev, ocsf::attr::user_name, text(t, "alternateId"), ctx);
          put(ev, ocsf::attr::user_uid, text(t, "id"), ctx);
          break;
        }
      }
    }

    put_source_address(ev, text(rec, "client.ipAddress"), ctx);
    put(ev, ocsf::attr::src_country, text(rec, "client.geographicalContext.country"), ctx);
    put(ev, ocsf::attr::src_city, text(rec, "client.geographicalContext.city"), ctx);
    if (auto lat = field(rec, "client.geographicalContext.geolocation.lat");
        lat && lat->is_number()) {
      ev.set(ocsf::attr::src_lat, json::to_value(*lat, ctx));
    }
    if (auto lon = field(rec, "client.geographicalContext.geolocation.lon");
        lon && lon->is_number()) {
      ev.set(ocsf::attr::src_long, json::to_value(*lon, ctx));
    }
    put(ev, ocsf::attr::http_user_agent, text(rec, "client.userAgent.rawUserAgent"), ctx);
    put(ev, ocsf::attr::device_os_name, text(rec, "client.userAgent.os"), ctx);
    put(ev, ocsf::attr::device_type, text(rec, "client.device"), ctx);

    ev.set(ocsf::attr::api_operation, value::string(ctx.store(*type)));
    ev.set(ocsf::attr::api_service, value::string("Okta"));
    put(ev, ocsf::attr::api_request_uid, text(rec, "debugContext.debugData.requestId"), ctx);
    put(ev, ocsf::attr::metadata_uid, text(rec, "uuid"), ctx);
    ev.set(ocsf::attr::metadata_event_code, value::string(ctx.store(*type)));
    ev.set(ocsf::attr::metadata_log_name, value::string("System Log"));
    ev.set(ocsf::attr::metadata_product, value::string("Okta System Log"));
    ev.set(ocsf::attr::metadata_vendor, value::string("Okta"));

    flatten(rec, ev, ctx);
    return std::nullopt;
  }
};

decoder_spec okta_spec() {
  return {
      .name = "okta",
      .title = "Okta System Log",
      .reads = "System Log API LogEvents (JSON array, NDJSON, single events)",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first || !p.first->is_object()) return 0;
            auto e = *p.first;
            if (!json::has(e, "eventType") || !json::has(e, "published")) return 0;
            if (json::has(e, "actor") &&
                (json::has(e, "uuid") || json::has(e, "outcome") || json::has(e, "client"))) {
              return 95;
            }
            return 0;
          },
      .make = [] { return std::make_unique<okta_decoder>(); },
  };
}

}  // namespace mamori::builtins
