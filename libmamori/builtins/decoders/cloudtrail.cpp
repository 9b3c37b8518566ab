// AWS CloudTrail: S3-delivered {"Records":[...]} files (also .json.gz), NDJSON exports and
// single events. Field reference: AWS CloudTrail User Guide, "CloudTrail record contents".

#include "mamori/decode/json_decoder.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes)
    if (s.starts_with(p)) return true;
  return false;
}

// CRUD class of an API call from its verb, the convention every AWS service follows.
std::uint8_t activity_of(std::string_view name) {
  if (starts_with_any(name, {"Create", "Put", "Run", "Add", "Start", "Register", "Import",
                             "Allocate", "Associate", "Authorize", "Enable", "Copy", "Upload"})) {
    return ocsf::activity::create;
  }
  if (starts_with_any(name, {"Get", "List", "Describe", "Head", "Lookup", "Search", "Select",
                             "Scan", "Query", "BatchGet", "Decrypt", "Generate"})) {
    return ocsf::activity::read;
  }
  if (starts_with_any(name, {"Update", "Modify", "Set", "Attach", "Change", "Replace", "Reset",
                             "Tag", "Untag", "Stop", "Reboot", "Restore", "Apply"})) {
    return ocsf::activity::update;
  }
  if (starts_with_any(name, {"Delete", "Remove", "Terminate", "Detach", "Disable", "Revoke",
                             "Deregister", "Disassociate", "Release", "Cancel"})) {
    return ocsf::activity::remove;
  }
  return ocsf::activity::other;
}

bool looks_like_ip(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '.' || c == ':' || (c >= 'a' && c <= 'f') ||
          (c >= 'A' && c <= 'F'))) {
      return false;
    }
  return s.find('.') != std::string_view::npos || s.find(':') != std::string_view::npos;
}

}  // namespace

class cloudtrail_decoder final : public json_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one CloudTrail event)";
    // CloudTrail Lake exports may carry the event as a JSON string in eventJson.
    if (auto inner = json::str(rec, "eventJson")) {
      auto doc = lake_parser_.parse(std::string(*inner));
      if (doc.error()) return "eventJson is not valid JSON";
      return map(doc.value(), ev, ctx);
    }
    auto event_time = json::str(rec, "eventTime");
    auto event_name = json::str(rec, "eventName");
    auto event_source = json::str(rec, "eventSource");
    if (!event_time || !event_name || !event_source) {
      return "not a CloudTrail event: eventTime, eventName or eventSource missing";
    }
    auto t = timeparse::iso8601(*event_time);
    if (!t) return "eventTime is not an ISO 8601 timestamp";
    ev.time_ns = *t;
    ev.set(ocsf::attr::metadata_original_time, value::string(ctx.store(*event_time)));

    const bool console_login =
        *event_name == "ConsoleLogin" || json::str(rec, "eventType") == "AwsConsoleSignIn";
    if (console_login) {
      ev.class_uid = ocsf::event_class::authentication;
      ev.activity_id = ocsf::activity::logon;
      auto outcome = json::str(rec, "responseElements.ConsoleLogin");
      ev.status = outcome == "Success"   ? ocsf::status_id::success
                  : outcome == "Failure" ? ocsf::status_id::failure
                                         : ocsf::status_id::unknown;
      if (auto mfa = json::str(rec, "additionalEventData.MFAUsed")) {
        ev.set(ocsf::attr::is_mfa, value::boolean(*mfa == "Yes"));
      }
    } else {
      ev.class_uid = ocsf::event_class::api_activity;
      ev.activity_id = activity_of(*event_name);
      ev.status = json::has(rec, "errorCode") ? ocsf::status_id::failure : ocsf::status_id::success;
    }
    set_from(ev, ocsf::attr::api_error, rec, "errorCode", ctx);
    set_from(ev, ocsf::attr::api_error_message, rec, "errorMessage", ctx);
    if (auto err = json::str(rec, "errorMessage")) {
      ev.set(ocsf::attr::status_detail, value::string(ctx.store(*err)));
    }

    ev.set(ocsf::attr::api_service, value::string(ctx.store(*event_source)));
    ev.set(ocsf::attr::api_operation, value::string(ctx.store(*event_name)));
    set_from(ev, ocsf::attr::api_request_uid, rec, "requestID", ctx);
    set_from(ev, ocsf::attr::metadata_uid, rec, "eventID", ctx);
    set_from(ev, ocsf::attr::metadata_log_name, rec, "eventType", ctx);
    ev.set(ocsf::attr::metadata_product, value::string("CloudTrail"));
    ev.set(ocsf::attr::metadata_vendor, value::string("AWS"));
    ev.set(ocsf::attr::cloud_provider, value::string("AWS"));
    set_from(ev, ocsf::attr::cloud_region, rec, "awsRegion", ctx);
    set_from(ev, ocsf::attr::cloud_account, rec, "recipientAccountId", ctx);
    set_from(ev, ocsf::attr::http_user_agent, rec, "userAgent", ctx);

    if (auto src = json::str(rec, "sourceIPAddress")) {
      ev.set(looks_like_ip(*src) ? ocsf::attr::src_ip : ocsf::attr::src_hostname,
             value::string(ctx.store(*src)));
    }

    // Identity: the name an analyst recognises, per identity type.
    auto type = json::str(rec, "userIdentity.type");
    if (type) ev.set(ocsf::attr::actor_user_type, value::string(ctx.store(*type)));
    std::optional<std::string_view> name = json::str(rec, "userIdentity.userName");
    if (!name && type == "Root") name = "root";
    if (!name) name = json::str(rec, "userIdentity.sessionContext.sessionIssuer.userName");
    if (!name) {
      if (auto arn = json::str(rec, "userIdentity.arn")) {
        name = arn->substr(arn->rfind('/') == std::string_view::npos ? 0 : arn->rfind('/') + 1);
      }
    }
    if (!name) name = json::str(rec, "userIdentity.invokedBy");
    if (name && !name->empty())
      ev.set(ocsf::attr::actor_user_name, value::string(ctx.store(*name)));
    if (auto arn = json::str(rec, "userIdentity.arn")) {
      ev.set(ocsf::attr::actor_user_uid, value::string(ctx.store(*arn)));
    } else {
      set_from(ev, ocsf::attr::actor_user_uid, rec, "userIdentity.principalId", ctx);
    }
    set_from(ev, ocsf::attr::actor_user_tenant, rec, "userIdentity.accountId", ctx);
    set_from(ev, ocsf::attr::actor_session_uid, rec, "userIdentity.accessKeyId", ctx);

    flatten(rec, ev, ctx);
    return std::nullopt;
  }

 private:
  simdjson::dom::parser lake_parser_;
};

decoder_spec cloudtrail_spec() {
  return {
      .name = "cloudtrail",
      .title = "AWS CloudTrail",
      .reads =
          "S3-delivered {\"Records\":[...]} files (.json, .json.gz), NDJSON, CloudTrail "
          "Lake exports (eventJson)",
      .level = maturity::stable,
      .hardened = true,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first) return 0;
            auto e = *p.first;
            if (json::has(e, "eventJson")) return 80;
            if (json::has(e, "eventVersion") && json::has(e, "eventSource") &&
                json::has(e, "eventName")) {
              return 95;
            }
            return 0;
          },
      .make = [] { return std::make_unique<cloudtrail_decoder>(); },
  };
}

}  // namespace mamori::builtins
