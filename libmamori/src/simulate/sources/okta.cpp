// Okta System Log as the API returns it (GET /api/v1/logs: a JSON array of LogEvent
// objects), one file per UTC day. Field reference: Okta developer docs, "System Log API,
// LogEvent object".

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace wire {

namespace {

std::string_view okta_browser(const device_profile* d) {
  if (d == nullptr) return "UNKNOWN";
  const auto b = d->browser;
  if (b.starts_with("Edge")) return "EDGE_CHROMIUM";
  if (b.starts_with("Chrome Mobile")) return "CHROME";
  if (b.starts_with("Chrome")) return "CHROME";
  if (b.starts_with("Firefox")) return "FIREFOX";
  if (b.starts_with("Mobile Safari")) return "SAFARI";
  if (b.starts_with("Safari")) return "SAFARI";
  return "UNKNOWN";
}

std::string_view okta_os(const device_profile* d) {
  if (d == nullptr) return "Unknown";
  switch (d->family) {
    case os_family::windows:
      return "Windows 10";
    case os_family::macos:
      return "Mac OS X";
    case os_family::ios:
      return "iOS";
    case os_family::android:
      return "Android";
    case os_family::linux:
      return "Linux";
  }
  return "Unknown";
}

std::string_view display_message(std::string_view type) {
  if (type == "user.session.start") return "User login to Okta";
  if (type == "user.authentication.sso") return "User single sign on to app";
  if (type == "user.authentication.auth_via_mfa") return "Authentication of user via MFA";
  if (type == "user.session.end") return "User logout from Okta";
  if (type == "user.account.lock") return "Max sign in attempts exceeded";
  if (type == "policy.evaluate_sign_on") return "Evaluation of sign-on policy";
  return "Okta event";
}

void geo(std::string& o, std::uint32_t ip) {
  const network* n = network_of(ip);
  if (n == nullptr) {
    o += "null";
    return;
  }
  const city& c = cities()[city_index(n->city)];
  o += "{\"city\":";
  append_json(o, c.name);
  o += ",\"state\":";
  append_json(o, c.region);
  o += ",\"country\":";
  append_json(o, country_name(c.country));
  o += ",\"postalCode\":null,\"geolocation\":{\"lat\":";
  append_fixed(o, c.lat, 4);
  o += ",\"lon\":";
  append_fixed(o, c.lon, 4);
  o += "}}";
}

}  // namespace

std::string okta(emitter& out, const sim_context& /*ctx*/, const okta_event& e, rng& r,
                 std::uint32_t truth) {
  std::string id;
  append_uuid(id, r.next(), r.next());
  std::string& o = out.begin();
  o += "{\"actor\":{\"id\":\"";
  o += e.who->okta_id;
  o += "\",\"type\":\"User\",\"alternateId\":";
  append_json(o, e.who->upn);
  o += ",\"displayName\":";
  append_json(o, e.who->display_name);
  o += ",\"detailEntry\":null},\"client\":{\"userAgent\":{\"rawUserAgent\":";
  append_json(o, !e.user_agent.empty() ? e.user_agent
                 : e.device != nullptr ? e.device->user_agent
                                       : std::string_view{});
  o += ",\"os\":";
  append_json(o, okta_os(e.device));
  o += ",\"browser\":\"";
  o += okta_browser(e.device);
  o += "\"},\"zone\":\"null\",\"device\":\"";
  o += (e.device != nullptr && e.device->mobile) ? "Mobile" : "Computer";
  o += "\",\"id\":null,\"ipAddress\":\"";
  append_ipv4(o, e.ip);
  o += "\",\"geographicalContext\":";
  geo(o, e.ip);
  o += "},\"device\":null,\"authenticationContext\":{\"authenticationProvider\":";
  o += e.event_type == "user.session.start" ? "\"OKTA_AUTHENTICATION_PROVIDER\"" : "null";
  o += ",\"credentialProvider\":null,\"credentialType\":";
  o += e.event_type == "user.session.start" ? "\"PASSWORD\"" : "null";
  o += ",\"issuer\":null,\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":\"102";
  append_hex(o, mix(e.who->index, static_cast<std::uint64_t>(e.t / ns_per_hour)), 16);
  o += "\"},\"displayMessage\":";
  append_json(o, display_message(e.event_type));
  o += ",\"eventType\":";
  append_json(o, e.event_type);
  o += ",\"outcome\":{\"result\":\"";
  o += e.success ? "SUCCESS" : "FAILURE";
  o += "\",\"reason\":";
  if (e.reason.empty()) {
    o += "null";
  } else {
    append_json(o, e.reason);
  }
  o += "},\"published\":\"";
  append_iso_utc(o, e.t, 3);
  o += "\",\"securityContext\":{";
  if (const network* n = network_of(e.ip)) {
    o += "\"asNumber\":";
    append_uint(o, n->asn);
    o += ",\"asOrg\":";
    append_json(o, n->isp);
    o += ",\"isp\":";
    append_json(o, n->isp);
    o += ",\"domain\":null,\"isProxy\":false";
  } else {
    o += "\"asNumber\":null,\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null";
  }
  o += "},\"severity\":\"";
  o += e.success ? "INFO" : "WARN";
  o += "\",\"debugContext\":{\"debugData\":{\"requestId\":\"";
  append_hex(o, r.next(), 16);
  append_hex(o, r.next() & 0xffff, 4);
  o += "\",\"requestUri\":\"";
  o += e.event_type == "user.authentication.sso" ? "/app/sso/saml" : "/api/v1/authn";
  o += "\",\"url\":\"";
  o += e.event_type == "user.authentication.sso" ? "/app/sso/saml?" : "/api/v1/authn?";
  o += "\"}},\"legacyEventType\":";
  if (e.event_type == "user.session.start") {
    o += e.success ? "\"core.user_auth.login_success\"" : "\"core.user_auth.login_failed\"";
  } else {
    o += "null";
  }
  o += ",\"transaction\":{\"type\":\"WEB\",\"id\":\"";
  append_hex(o, r.next(), 16);
  o += "\",\"detail\":{}},\"uuid\":\"";
  o += id;
  o += "\",\"version\":\"0\",\"request\":{\"ipChain\":[{\"ip\":\"";
  append_ipv4(o, e.ip);
  o += "\",\"geographicalContext\":";
  geo(o, e.ip);
  o += ",\"version\":\"V4\",\"source\":null}]},\"target\":";
  if (!e.target_app.empty()) {
    o += "[{\"id\":\"0oa";
    append_hex(o, name_hash(e.target_app), 16);
    o += "\",\"type\":\"AppInstance\",\"alternateId\":";
    append_json(o, e.target_app);
    o += ",\"displayName\":";
    append_json(o, e.target_app);
    o += ",\"detailEntry\":{\"signOnModeType\":\"SAML_2_0\"}}]";
  } else {
    o += "null";
  }
  o += '}';
  out.commit(e.t, 0, truth);
  return id;
}

}  // namespace wire

namespace {

constexpr std::string_view okta_apps[] = {"Box",  "Salesforce", "Slack",
                                          "Zoom", "GitHub",     "Atlassian Cloud"};

class okta_source final : public source_generator {
 public:
  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    for (const person& p : ctx.co.people) {
      const auto& day = ctx.today[p.index];
      if (day.sessions.empty()) continue;
      rng r = stream(ctx.seed(), name_hash("okta"), p.index, static_cast<std::uint64_t>(w.index));
      for (const session& s : day.sessions) {
        if (s.end <= w.start || s.start >= w.end || !s.laptop) continue;
        wire::okta_event e;
        e.who = &p;
        e.ip = s.ip;
        e.device = &device_profiles()[p.laptop_profile];
        if (s.start >= w.start && s.start < w.end) {
          e.t = s.start + r.range(30, 240) * ns_per_s;
          if (r.chance(0.02)) {
            wire::okta_event bad = e;
            bad.t = e.t - r.range(10, 50) * ns_per_s;
            bad.success = false;
            bad.reason = "INVALID_CREDENTIALS";
            if (bad.t >= w.start) wire::okta(out, ctx, bad, r);
          }
          e.event_type = "user.session.start";
          wire::okta(out, ctx, e, r);
          e.t += r.range(3, 20) * ns_per_s;
          e.event_type = "user.authentication.auth_via_mfa";
          wire::okta(out, ctx, e, r);
        }
        const std::int64_t a = std::max(s.start + 5 * ns_per_min, w.start);
        const std::int64_t b = std::min(s.end, w.end);
        for_each_arrival(r, a, b, 0.5 * p.activity, [&](std::int64_t t) {
          e.t = t;
          e.event_type = "user.authentication.sso";
          e.target_app = okta_apps[r.below(std::size(okta_apps))];
          wire::okta(out, ctx, e, r);
          e.target_app = {};
        });
      }
    }
  }

  std::string path(const sim_context&, const record& r) const override {
    std::string p = "okta/system-log-";
    append_iso_utc(p, r.t, 0, false);
    p.resize(p.size() - 9);
    p += ".json";
    return p;
  }
  void prologue(std::string& out, const sim_context&, const record&) const override {
    out += "[\n";
  }
  std::string_view separator() const override { return ",\n"; }
  void epilogue(std::string& out, std::uint64_t) const override { out += "\n]\n"; }
};

}  // namespace

source_spec okta_source_spec() {
  return {"okta", "Okta System Log (API JSON)", "okta", "okta/system-log-YYYY-MM-DD.json",
          [](const sim_context&) { return std::make_unique<okta_source>(); }};
}

}  // namespace mamori::sim
