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
    // Flatten first, then read the normalized attributes back from the raw fields by id:
    // one pass over the JSON instead of a key search per attribute.
    flatten(rec, ev, ctx);
    // Logstash-shipped CloudTrail replaces eventTime with @timestamp.
    std::string_view event_time = ev.raw_string(f_.event_time);
    if (event_time.empty()) event_time = ev.raw_string(f_.logstash_time);
    const std::string_view event_name = ev.raw_string(f_.event_name);
    const std::string_view event_source = ev.raw_string(f_.event_source);
    if (event_time.empty() || event_name.empty() || event_source.empty()) {
      return "not a CloudTrail event: eventTime (or @timestamp), eventName or eventSource missing";
    }
    auto t = timeparse::iso8601(event_time);
    if (!t) return "eventTime is not an ISO 8601 timestamp";
    ev.time_ns = *t;
    auto copy = [&](ocsf::attr a, field_id id) {
      const value* v = ev.raw(id);
      if (v != nullptr && !v->is_null() && !(v->is_string() && v->s.empty())) ev.set(a, *v);
    };
    ev.set(ocsf::attr::metadata_original_time, value::string(event_time));

    const std::string_view event_type = ev.raw_string(f_.event_type);
    if (event_name == "ConsoleLogin" || event_type == "AwsConsoleSignIn") {
      ev.class_uid = ocsf::event_class::authentication;
      ev.activity_id = ocsf::activity::logon;
      const std::string_view outcome = ev.raw_string(f_.console_login);
      ev.status = outcome == "Success"   ? ocsf::status_id::success
                  : outcome == "Failure" ? ocsf::status_id::failure
                                         : ocsf::status_id::unknown;
      const std::string_view mfa = ev.raw_string(f_.mfa_used);
      if (!mfa.empty()) ev.set(ocsf::attr::is_mfa, value::boolean(mfa == "Yes"));
    } else {
      ev.class_uid = ocsf::event_class::api_activity;
      ev.activity_id = activity_of(event_name);
      ev.status =
          ev.raw(f_.error_code) != nullptr ? ocsf::status_id::failure : ocsf::status_id::success;
    }
    copy(ocsf::attr::api_error, f_.error_code);
    copy(ocsf::attr::api_error_message, f_.error_message);
    copy(ocsf::attr::status_detail, f_.error_message);
    copy(ocsf::attr::api_service, f_.event_source);
    copy(ocsf::attr::api_operation, f_.event_name);
    copy(ocsf::attr::api_request_uid, f_.request_id);
    copy(ocsf::attr::metadata_uid, f_.event_id);
    copy(ocsf::attr::metadata_log_name, f_.event_type);
    ev.set(ocsf::attr::metadata_product, value::string("CloudTrail"));
    ev.set(ocsf::attr::metadata_vendor, value::string("AWS"));
    ev.set(ocsf::attr::cloud_provider, value::string("AWS"));
    copy(ocsf::attr::cloud_region, f_.region);
    copy(ocsf::attr::cloud_account, f_.recipient_account);
    copy(ocsf::attr::http_user_agent, f_.user_agent);

    const std::string_view src = ev.raw_string(f_.source_ip);
    if (!src.empty()) {
      ev.set(looks_like_ip(src) ? ocsf::attr::src_ip : ocsf::attr::src_hostname,
             value::string(src));
    }

    // Identity: the name an analyst recognises, per identity type.
    const std::string_view type = ev.raw_string(f_.identity_type);
    if (!type.empty()) ev.set(ocsf::attr::actor_user_type, value::string(type));
    const std::string_view arn = ev.raw_string(f_.identity_arn);
    std::string_view name = ev.raw_string(f_.identity_user_name);
    if (name.empty() && type == "Root") name = "root";
    if (name.empty()) name = ev.raw_string(f_.issuer_user_name);
    if (name.empty() && !arn.empty()) {
      const std::size_t slash = arn.rfind('/');
      name = slash == std::string_view::npos ? arn : arn.substr(slash + 1);
    }
    if (name.empty()) name = ev.raw_string(f_.invoked_by);
    if (!name.empty()) ev.set(ocsf::attr::actor_user_name, value::string(name));
    if (!arn.empty()) {
      ev.set(ocsf::attr::actor_user_uid, value::string(arn));
    } else {
      copy(ocsf::attr::actor_user_uid, f_.principal_id);
    }
    copy(ocsf::attr::actor_user_tenant, f_.account_id);
    copy(ocsf::attr::actor_session_uid, f_.access_key_id);
    return std::nullopt;
  }

 private:
  struct field_ids {
    field_id event_time = intern_field("eventTime");
    field_id logstash_time = intern_field("@timestamp");
    field_id event_name = intern_field("eventName");
    field_id event_source = intern_field("eventSource");
    field_id event_type = intern_field("eventType");
    field_id event_id = intern_field("eventID");
    field_id request_id = intern_field("requestID");
    field_id error_code = intern_field("errorCode");
    field_id error_message = intern_field("errorMessage");
    field_id region = intern_field("awsRegion");
    field_id recipient_account = intern_field("recipientAccountId");
    field_id user_agent = intern_field("userAgent");
    field_id source_ip = intern_field("sourceIPAddress");
    field_id console_login = intern_field("responseElements.ConsoleLogin");
    field_id mfa_used = intern_field("additionalEventData.MFAUsed");
    field_id identity_type = intern_field("userIdentity.type");
    field_id identity_arn = intern_field("userIdentity.arn");
    field_id identity_user_name = intern_field("userIdentity.userName");
    field_id issuer_user_name = intern_field("userIdentity.sessionContext.sessionIssuer.userName");
    field_id invoked_by = intern_field("userIdentity.invokedBy");
    field_id principal_id = intern_field("userIdentity.principalId");
    field_id account_id = intern_field("userIdentity.accountId");
    field_id access_key_id = intern_field("userIdentity.accessKeyId");
  };
  field_ids f_;
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
