// Entra ID (Azure AD) interactive sign-in log as Microsoft Graph returns it
// (GET /beta/auditLogs/signIns: {"@odata.context":..., "value":[signIn, ...]}), one file per
// UTC day. Field reference: Microsoft Graph, "signIn resource type".

#include <array>

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace wire {

std::string_view country_name(std::string_view iso2) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 20> names = {{
      {"JP", "Japan"},          {"US", "United States"}, {"DE", "Germany"},
      {"GB", "United Kingdom"}, {"FR", "France"},        {"NL", "Netherlands"},
      {"SG", "Singapore"},      {"VN", "Vietnam"},       {"NG", "Nigeria"},
      {"BR", "Brazil"},         {"RU", "Russia"},        {"CN", "China"},
      {"KR", "South Korea"},    {"IN", "India"},         {"LU", "Luxembourg"},
      {"SE", "Sweden"},         {"CH", "Switzerland"},   {"RO", "Romania"},
      {"AT", "Austria"},        {"CA", "Canada"},
  }};
  for (const auto& [k, v] : names)
    if (k == iso2) return v;
  return iso2;
}

std::span<const entra_app> entra_apps() {
  // Well-known first-party application ids of Microsoft 365.
  static constexpr entra_app apps[] = {
      {"OfficeHome", "4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome",
       "4765445b-32c6-49b0-83e6-1d93765276ca"},
      {"Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams Services",
       "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe"},
      {"Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000",
       "Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"},
      {"Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000",
       "Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"},
      {"Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c", "Office 365 Exchange Online",
       "00000002-0000-0ff1-ce00-000000000000"},
      {"Microsoft Authentication Broker", "29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Graph",
       "00000003-0000-0000-c000-000000000000"},
      {"Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
       "Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013"},
  };
  return apps;
}

namespace {

std::string_view failure_reason(int code) {
  switch (code) {
    case 0:
      return "Other.";
    case 50126:
      return "Error validating credentials due to invalid username or password.";
    case 50053:
      return "Account is locked because user tried to sign in too many times with an "
             "incorrect user ID or password.";
    case 50074:
      return "Strong Authentication is required.";
    case 50076:
      return "Due to a configuration change made by your administrator, or because you moved "
             "to a new location, you must use multi-factor authentication to access.";
    case 53003:
      return "Access has been blocked by Conditional Access policies.";
  }
  return "Other.";
}

std::string_view entra_os(const device_profile* d) {
  if (d == nullptr) return "";
  switch (d->family) {
    case os_family::windows:
      return "Windows10";
    case os_family::macos:
      return "MacOs";
    case os_family::ios:
      return "Ios";
    case os_family::android:
      return "Android";
    case os_family::linux:
      return "Linux";
  }
  return "";
}

}  // namespace

std::string entra_signin(emitter& out, const sim_context& ctx, const signin& s, rng& r,
                         std::uint32_t truth) {
  std::string& o = out.begin();
  std::string id;
  append_uuid(id, r.next(), r.next());
  const entra_app& app = s.app != nullptr ? *s.app : entra_apps()[0];
  const city& loc = cities()[s.city];
  o += "{\"id\":\"";
  o += id;
  o += "\",\"createdDateTime\":\"";
  append_iso_utc(o, s.t, 0);
  o += "\",\"userDisplayName\":";
  append_json(o, s.who->display_name);
  o += ",\"userPrincipalName\":";
  append_json(o, s.who->upn);
  o += ",\"userId\":\"";
  o += s.who->object_id;
  o += "\",\"appId\":\"";
  o += app.id;
  o += "\",\"appDisplayName\":";
  append_json(o, app.name);
  o += ",\"ipAddress\":\"";
  append_ipv4(o, s.ip);
  o += "\",\"clientAppUsed\":";
  append_json(o, s.client_app);
  o += ",\"userAgent\":";
  append_json(o, !s.user_agent.empty() ? s.user_agent
                 : s.device != nullptr ? s.device->user_agent
                                       : std::string_view{});
  o += ",\"correlationId\":\"";
  append_uuid(o, r.next(), r.next());
  o += "\",\"conditionalAccessStatus\":\"";
  o += s.error == 53003 ? "failure" : (s.error == 0 ? "success" : "notApplied");
  o += "\",\"isInteractive\":true,\"riskDetail\":\"none\",\"riskLevelAggregated\":\"none\","
       "\"riskLevelDuringSignIn\":\"none\",\"riskState\":\"none\",\"riskEventTypes\":[],"
       "\"riskEventTypes_v2\":[],\"resourceDisplayName\":";
  append_json(o, app.resource);
  o += ",\"resourceId\":\"";
  o += app.resource_id;
  o += "\",\"resourceTenantId\":\"";
  o += ctx.co.tenant_id;
  o += "\",\"homeTenantId\":\"";
  o += ctx.co.tenant_id;
  o += "\",\"authenticationRequirement\":\"";
  o += s.mfa ? "multiFactorAuthentication" : "singleFactorAuthentication";
  o += "\",\"status\":{\"errorCode\":";
  append_int(o, s.error);
  o += ",\"failureReason\":";
  append_json(o, failure_reason(s.error));
  o += ",\"additionalDetails\":";
  if (s.error == 0 && s.mfa) {
    o += "\"MFA requirement satisfied by claim in the token\"";
  } else {
    o += "null";
  }
  o += "},\"deviceDetail\":{\"deviceId\":";
  append_json(o, s.device_id);
  o += ",\"displayName\":";
  append_json(o, s.device_name);
  o += ",\"operatingSystem\":";
  append_json(o, entra_os(s.device));
  o += ",\"browser\":";
  append_json(o, s.device != nullptr ? s.device->browser : std::string_view{});
  o += ",\"isCompliant\":";
  o += s.managed ? "true" : "false";
  o += ",\"isManaged\":";
  o += s.managed ? "true" : "false";
  o += ",\"trustType\":";
  o += s.managed ? "\"Azure AD joined\"" : "\"\"";
  o += "},\"location\":{\"city\":";
  append_json(o, loc.name);
  o += ",\"state\":";
  append_json(o, loc.region);
  o += ",\"countryOrRegion\":\"";
  o += loc.country;
  o += "\",\"geoCoordinates\":{\"altitude\":null,\"latitude\":";
  append_fixed(o, loc.lat, 4);
  o += ",\"longitude\":";
  append_fixed(o, loc.lon, 4);
  o += "}},\"appliedConditionalAccessPolicies\":[]}";
  out.commit(s.t, 0, truth);
  return id;
}

}  // namespace wire

namespace {

std::size_t location_city(std::uint32_t ip, std::size_t fallback) {
  const network* n = network_of(ip);
  return n != nullptr ? city_index(n->city) : fallback;
}

class entra_source final : public source_generator {
 public:
  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    const auto apps = wire::entra_apps();
    for (const person& p : ctx.co.people) {
      const auto& day = ctx.today[p.index];
      if (day.sessions.empty()) continue;
      rng r = stream(ctx.seed(), name_hash("entra"), p.index, static_cast<std::uint64_t>(w.index));
      for (const session& s : day.sessions) {
        if (s.end <= w.start || s.start >= w.end) continue;
        wire::signin in;
        in.who = &p;
        in.ip = s.ip;
        in.city = location_city(s.ip, s.city);
        in.device = &device_profiles()[s.laptop ? p.laptop_profile : p.phone_profile];
        in.device_id = s.laptop ? p.laptop_device_id : p.phone_device_id;
        in.device_name = s.laptop ? std::string_view(p.laptop_host) : std::string_view{};
        in.managed = s.laptop && p.laptop_managed;
        in.mfa = p.mfa;
        in.client_app = s.laptop ? "Browser" : "Mobile Apps and Desktop clients";
        auto emit = [&](std::int64_t t) {
          in.t = t;
          in.app = &apps[s.laptop ? r.below(5) : 5];
          in.error = 0;
          if (r.chance(0.02)) {  // a mistyped password first
            wire::signin typo = in;
            typo.t = t - r.range(15, 60) * ns_per_s;
            typo.error = 50126;
            if (typo.t >= w.start) wire::entra_signin(out, ctx, typo, r);
          }
          wire::entra_signin(out, ctx, in, r);
        };
        if (s.start >= w.start && s.start < w.end) emit(s.start + r.range(5, 90) * ns_per_s);
        const std::int64_t a = std::max(s.start + 10 * ns_per_min, w.start);
        const std::int64_t b = std::min(s.end, w.end);
        for_each_arrival(r, a, b, 0.4 * p.activity, emit);
      }
    }
  }

  std::string path(const sim_context&, const record& r) const override {
    std::string p = "entra/signins/";
    append_iso_utc(p, r.t, 0, false);
    p.resize(p.size() - 9);  // keep the date
    p += ".json";
    return p;
  }
  void prologue(std::string& out, const sim_context&, const record&) const override {
    out +=
        "{\"@odata.context\":\"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns\","
        "\"value\":[\n";
  }
  std::string_view separator() const override { return ",\n"; }
  void epilogue(std::string& out, std::uint64_t) const override { out += "\n]}\n"; }
};

}  // namespace

source_spec entra_source_spec() {
  return {"entra_signin", "Entra ID sign-in logs (Microsoft Graph JSON)", "entra",
          "entra/signins/YYYY-MM-DD.json",
          [](const sim_context&) { return std::make_unique<entra_source>(); }};
}

}  // namespace mamori::sim
