// Device posture reports (schema mamori.device_posture/1, docs/device-posture.md): what an
// MDM or endpoint agent reports about each device when it checks in, one NDJSON file per
// UTC day. Input of the later zero-trust access decisions.

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace {

struct os_release {
  std::string_view name, version, build;
};

os_release release_of(const device_profile& d) {
  switch (d.family) {
    case os_family::windows:
      return d.os_version == "10.0.19045"
                 ? os_release{"Windows 10 Enterprise", "10.0.19045", "19045.4170"}
                 : os_release{"Windows 11 Enterprise", "10.0.22631", "22631.3296"};
    case os_family::macos:
      return {"macOS Sonoma", "14.3.1", "23D60"};
    case os_family::ios:
      return {"iOS", "17.3.1", "21D61"};
    case os_family::android:
      return {"Android", std::string(d.os_version) == "14" ? "14" : "13", "UQ1A.240205.004"};
    case os_family::linux:
      return {"Debian GNU/Linux", "12", "12.5"};
  }
  return {"unknown", "", ""};
}

void append_date(std::string& o, std::int64_t ns) {
  std::string s;
  append_iso_utc(s, ns, 0, false);
  o += std::string_view(s).substr(0, 10);
}

class posture_source final : public source_generator {
 public:
  void generate(const sim_context& ctx, const window& w, emitter& out) override {
    for (const person& p : ctx.co.people) {
      const auto& day = ctx.today[p.index];
      bool laptop_done = false, phone_done = false;
      for (const session& s : day.sessions) {
        const bool laptop = s.laptop;
        if ((laptop && laptop_done) || (!laptop && phone_done)) continue;
        if (laptop)
          laptop_done = true;
        else
          phone_done = true;
        // The first session of the UTC day of each device carries its daily check-in.
        const std::int64_t t = std::max(s.start, w.start - w.start % ns_per_day) + 2 * ns_per_min;
        if (t < w.start || t >= w.end || t >= s.end) continue;
        rng r = stream(ctx.seed(), name_hash("posture"), p.index * 2 + (laptop ? 0 : 1),
                       static_cast<std::uint64_t>(w.utc_day));
        emit(ctx, out, p, laptop, t, s, r);
      }
    }
  }

  static void emit(const sim_context& ctx, emitter& out, const person& p, bool laptop,
                   std::int64_t t, const session& s, rng& r) {
    const device_profile& d = device_profiles()[laptop ? p.laptop_profile : p.phone_profile];
    const os_release rel = release_of(d);
    // Stable per device: how far behind on patches it is and what it runs.
    rng dev = stream(ctx.seed(), name_hash("posture-device"), p.index * 2 + (laptop ? 0 : 1));
    const bool managed = laptop ? p.laptop_managed : dev.chance(0.6);
    const int patch_age_days = static_cast<int>(dev.below(managed ? 40 : 200));
    const bool encrypted = managed || dev.chance(0.5);
    const bool av = d.family == os_family::windows || d.family == os_family::macos;
    const bool av_enabled = av && (managed || dev.chance(0.8));
    std::string forbidden;
    if (laptop && dev.chance(0.06)) forbidden = "\"uTorrent\"";
    if (laptop && dev.chance(0.04))
      forbidden += std::string(forbidden.empty() ? "" : ",") + "\"AnyDesk\"";
    std::string& o = out.begin();
    o += "{\"schema\":\"mamori.device_posture/1\",\"reported_at\":\"";
    append_iso_utc(o, t, 0);
    o += "\",\"device_id\":\"";
    o += laptop ? p.laptop_device_id : p.phone_device_id;
    o += "\",\"hostname\":";
    append_json(o, laptop ? p.laptop_host : "iPhone-" + p.sam);
    o += ",\"user\":";
    append_json(o, p.upn);
    o += ",\"type\":\"";
    o += laptop ? "laptop" : "phone";
    o += "\",\"os\":{\"family\":\"";
    switch (d.family) {
      case os_family::windows:
        o += "windows";
        break;
      case os_family::macos:
        o += "macos";
        break;
      case os_family::ios:
        o += "ios";
        break;
      case os_family::android:
        o += "android";
        break;
      case os_family::linux:
        o += "linux";
        break;
    }
    o += "\",\"name\":";
    append_json(o, rel.name);
    o += ",\"version\":";
    append_json(o, rel.version);
    o += ",\"build\":";
    append_json(o, rel.build);
    o += "},\"patch\":{\"last_installed\":\"";
    append_date(o, t - static_cast<std::int64_t>(patch_age_days) * ns_per_day);
    o += "\",\"missing_critical\":";
    append_uint(o, patch_age_days > 35 ? 1 + static_cast<std::uint64_t>(patch_age_days / 60) : 0);
    o += "},\"managed\":";
    o += managed ? "true" : "false";
    o += ",\"mdm\":";
    o += managed ? "\"Microsoft Intune\"" : "null";
    o += ",\"encrypted\":";
    o += encrypted ? "true" : "false";
    o += ",\"antivirus\":{\"product\":";
    o += av ? (d.family == os_family::windows ? "\"Microsoft Defender Antivirus\""
                                              : "\"Microsoft Defender for Endpoint\"")
            : "null";
    o += ",\"enabled\":";
    o += av_enabled ? "true" : "false";
    o += ",\"signatures_updated\":";
    if (av_enabled) {
      o += '"';
      append_iso_utc(o, t - static_cast<std::int64_t>(r.below(20)) * ns_per_hour, 0);
      o += '"';
    } else {
      o += "null";
    }
    o += "},\"firewall\":{\"enabled\":";
    o += (managed || dev.chance(0.7)) ? "true" : "false";
    o += "},\"screen_lock\":";
    o += (managed || dev.chance(0.8)) ? "true" : "false";
    o += ",\"forbidden_software\":[";
    o += forbidden;
    o += "],\"ip\":\"";
    append_ipv4(o, laptop && s.proxied ? p.laptop_ip : s.ip);
    o += "\",\"last_seen\":\"";
    append_iso_utc(o, t, 0);
    o += "\"}";
    out.commit(t, 0);
  }

  std::string path(const sim_context&, const record& r) const override {
    std::string p = "posture/";
    append_date(p, r.t);
    p += ".ndjson";
    return p;
  }
  void epilogue(std::string& out, std::uint64_t records) const override {
    if (records > 0) out += '\n';
  }
};

}  // namespace

source_spec posture_source_spec() {
  return {"posture", "Device posture reports (mamori.device_posture/1 NDJSON)", "posture",
          "posture/YYYY-MM-DD.ndjson",
          [](const sim_context&) { return std::make_unique<posture_source>(); }};
}

}  // namespace mamori::sim
