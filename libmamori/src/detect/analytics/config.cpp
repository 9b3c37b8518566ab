// analytics_config from YAML (docs/analytics.md#configuration). Every key is checked: an
// unknown key or a bad value is an error naming the file, the line and the key, because a
// typo in a threshold must not silently fall back to the default.

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "mamori/detect/analytics/analytics.hpp"
#include "mamori/enrich/ip_reputation.hpp"

namespace mamori {

analytics_config default_analytics_config() {
  return analytics_config{};
}

namespace {

struct cfg_error {
  std::string message;
};

class reader {
 public:
  reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail_at(const YAML::Node& n, const std::string& what) const {
    throw cfg_error{origin_ + ":" + std::to_string(n.Mark().line + 1) + ": " + what};
  }

  void keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
            const std::string& where) const {
    if (!map.IsMap()) fail_at(map, where + " must be a mapping");
    for (const auto& kv : map) {
      const std::string k = kv.first.as<std::string>();
      bool ok = false;
      for (auto a : allowed) ok = ok || a == k;
      if (!ok) fail_at(kv.first, "unknown key '" + k + "' in " + where);
    }
  }

  void flag(const YAML::Node& map, const char* key, bool& out) const {
    const YAML::Node n = map[key];
    if (!n) return;
    try {
      out = n.as<bool>();
    } catch (const YAML::Exception&) {
      fail_at(n, std::string(key) + ": expected true or false");
    }
  }

  template <typename T>
  void number(const YAML::Node& map, const char* key, T& out, double min = 0) const {
    const YAML::Node n = map[key];
    if (!n) return;
    double v = 0;
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      fail_at(n, std::string(key) + ": expected a number");
    }
    if (!std::isfinite(v) || v < min)
      fail_at(n, std::string(key) + ": must be at least " + std::to_string(min));
    out = static_cast<T>(v);
  }

  void text(const YAML::Node& map, const char* key, std::string& out) const {
    const YAML::Node n = map[key];
    if (!n) return;
    if (!n.IsScalar()) fail_at(n, std::string(key) + ": expected a string");
    out = n.as<std::string>();
  }

  void level(const YAML::Node& map, const char* key, std::string& out) const {
    const YAML::Node n = map[key];
    if (!n) return;
    const std::string v = n.as<std::string>("");
    static const std::set<std::string> ok = {"informational", "low", "medium", "high", "critical"};
    if (ok.count(v) == 0) {
      fail_at(n, std::string(key) + ": '" + v +
                     "' is not a level (informational, low, medium, high, critical)");
    }
    out = v;
  }

  // "500ms", "0.2s", "5m", "1h", "7d", or a number of seconds.
  void duration(const YAML::Node& map, const char* key, std::int64_t& out) const {
    const YAML::Node n = map[key];
    if (!n) return;
    if (!n.IsScalar()) fail_at(n, std::string(key) + ": expected a duration such as 5m");
    const std::string s = n.as<std::string>();
    std::size_t unit = s.find_first_not_of("0123456789.");
    double v = 0;
    auto [ptr, ec] =
        std::from_chars(s.data(), s.data() + (unit == std::string::npos ? s.size() : unit), v);
    if (ec != std::errc() || unit == 0)
      fail_at(n, std::string(key) + ": '" + s + "' is not a duration (e.g. 30s, 5m, 1h, 7d)");
    const std::string u = unit == std::string::npos ? "s" : s.substr(unit);
    double scale = 0;
    if (u == "ms")
      scale = 1e6;
    else if (u == "s")
      scale = 1e9;
    else if (u == "m" || u == "min")
      scale = 60e9;
    else if (u == "h")
      scale = 3600e9;
    else if (u == "d")
      scale = 86400e9;
    else
      fail_at(n, std::string(key) + ": unknown unit '" + u + "' (ms, s, m, h, d)");
    out = static_cast<std::int64_t>(v * scale);
  }

  void strings(const YAML::Node& map, const char* key, std::vector<std::string>& out) const {
    const YAML::Node n = map[key];
    if (!n) return;
    if (!n.IsSequence()) fail_at(n, std::string(key) + ": expected a list");
    out.clear();
    for (const auto& x : n) out.push_back(x.as<std::string>());
  }

  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
};

void read_brute(const reader& r, const YAML::Node& n, brute_force_params& p, const char* name) {
  r.keys(n,
         {"enabled", "failures", "window", "success_within", "report_delay", "min_failure_ratio",
          "level", "escalated_level"},
         name);
  r.duration(n, "report_delay", p.report_delay);
  r.number(n, "min_failure_ratio", p.min_failure_ratio, 0);
  r.flag(n, "enabled", p.enabled);
  r.number(n, "failures", p.failures, 1);
  r.duration(n, "window", p.window);
  r.duration(n, "success_within", p.success_within);
  r.level(n, "level", p.level);
  r.level(n, "escalated_level", p.escalated_level);
}

void read_analytics(const reader& r, const YAML::Node& a, analytics_config& c) {
  r.keys(a,
         {"brute_force", "brute_force_source", "password_spray", "distributed_brute_force",
          "impossible_travel", "concurrent_countries", "new_country", "new_device",
          "unusual_service", "mass_activity", "cloud_critical", "anonymizer"},
         "analytics");
  if (auto n = a["brute_force"]) read_brute(r, n, c.brute_force, "brute_force");
  if (auto n = a["brute_force_source"])
    read_brute(r, n, c.brute_force_source, "brute_force_source");
  if (auto n = a["password_spray"]) {
    auto& p = c.password_spray;
    r.keys(n,
           {"enabled", "min_accounts", "min_accounts_asn", "max_attempts_per_account", "window",
            "by_asn", "by_user_agent", "min_accounts_user_agent", "success_within", "report_delay",
            "min_failure_ratio", "level", "escalated_level"},
           "password_spray");
    r.flag(n, "enabled", p.enabled);
    r.number(n, "min_accounts", p.min_accounts, 2);
    r.number(n, "min_accounts_asn", p.min_accounts_asn, 2);
    r.number(n, "max_attempts_per_account", p.max_attempts_per_account, 1);
    r.duration(n, "window", p.window);
    r.flag(n, "by_asn", p.by_asn);
    r.flag(n, "by_user_agent", p.by_user_agent);
    r.number(n, "min_accounts_user_agent", p.min_accounts_user_agent, 2);
    r.duration(n, "success_within", p.success_within);
    r.duration(n, "report_delay", p.report_delay);
    r.number(n, "min_failure_ratio", p.min_failure_ratio, 0);
    r.level(n, "level", p.level);
    r.level(n, "escalated_level", p.escalated_level);
  }
  if (auto n = a["distributed_brute_force"]) {
    auto& p = c.distributed_brute_force;
    r.keys(n, {"enabled", "min_sources", "min_failures", "window", "level"},
           "distributed_brute_force");
    r.flag(n, "enabled", p.enabled);
    r.number(n, "min_sources", p.min_sources, 2);
    r.number(n, "min_failures", p.min_failures, 1);
    r.duration(n, "window", p.window);
    r.level(n, "level", p.level);
  }
  if (auto n = a["impossible_travel"]) {
    auto& p = c.impossible_travel;
    r.keys(n,
           {"enabled", "max_speed_kmh", "min_distance_km", "max_gap", "suppress_known_egress",
            "suppress_same_asn_mobile", "suppress_domestic_mobile", "suppress_known_networks",
            "low_accuracy_km", "level"},
           "impossible_travel");
    r.flag(n, "enabled", p.enabled);
    r.number(n, "max_speed_kmh", p.max_speed_kmh, 1);
    r.number(n, "min_distance_km", p.min_distance_km, 0);
    r.duration(n, "max_gap", p.max_gap);
    r.flag(n, "suppress_known_egress", p.suppress_known_egress);
    r.flag(n, "suppress_same_asn_mobile", p.suppress_same_asn_mobile);
    r.flag(n, "suppress_domestic_mobile", p.suppress_domestic_mobile);
    r.flag(n, "suppress_known_networks", p.suppress_known_networks);
    r.number(n, "low_accuracy_km", p.low_accuracy_km, 0);
    r.level(n, "level", p.level);
  }
  if (auto n = a["concurrent_countries"]) {
    auto& p = c.concurrent_countries;
    r.keys(n, {"enabled", "window", "min_countries", "min_switches", "level"},
           "concurrent_countries");
    r.flag(n, "enabled", p.enabled);
    r.duration(n, "window", p.window);
    r.number(n, "min_countries", p.min_countries, 2);
    r.number(n, "min_switches", p.min_switches, 1);
    r.level(n, "level", p.level);
  }
  if (auto n = a["new_country"]) {
    auto& p = c.new_country;
    r.keys(n,
           {"enabled", "min_user_sign_ins", "user_max_share", "org_max_share", "org_min_users",
            "level"},
           "new_country");
    r.flag(n, "enabled", p.enabled);
    r.number(n, "min_user_sign_ins", p.min_user_sign_ins, 0);
    r.number(n, "user_max_share", p.user_max_share, 0);
    r.number(n, "org_max_share", p.org_max_share, 0);
    r.number(n, "org_min_users", p.org_min_users, 0);
    r.level(n, "level", p.level);
  }
  if (auto n = a["new_device"]) {
    auto& p = c.new_device;
    r.keys(n,
           {"enabled", "min_user_sign_ins", "os", "browser", "device", "network_org_max_share",
            "level"},
           "new_device");
    r.flag(n, "enabled", p.enabled);
    r.number(n, "min_user_sign_ins", p.min_user_sign_ins, 0);
    r.flag(n, "os", p.os);
    r.flag(n, "browser", p.browser);
    r.flag(n, "device", p.device);
    r.number(n, "network_org_max_share", p.network_org_max_share, -1);
    r.level(n, "level", p.level);
  }
  if (auto n = a["unusual_service"]) {
    auto& p = c.unusual_service;
    r.keys(n, {"enabled", "min_user_events", "level", "admin_level"}, "unusual_service");
    r.flag(n, "enabled", p.enabled);
    r.number(n, "min_user_events", p.min_user_events, 0);
    r.level(n, "level", p.level);
    r.level(n, "admin_level", p.admin_level);
  }
  if (auto n = a["mass_activity"]) {
    auto& p = c.mass_activity;
    r.keys(
        n,
        {"enabled", "window", "download_floor", "upload_floor", "delete_floor", "bytes_floor",
         "upload_bytes_floor", "mad_k", "min_ratio", "min_history", "no_baseline_factor", "level"},
        "mass_activity");
    r.flag(n, "enabled", p.enabled);
    r.duration(n, "window", p.window);
    r.number(n, "download_floor", p.download_floor, 1);
    r.number(n, "upload_floor", p.upload_floor, 1);
    r.number(n, "delete_floor", p.delete_floor, 1);
    r.number(n, "bytes_floor", p.bytes_floor, 1);
    r.number(n, "upload_bytes_floor", p.upload_bytes_floor, 1);
    r.number(n, "mad_k", p.mad_k, 0);
    r.number(n, "min_ratio", p.min_ratio, 0);
    r.number(n, "min_history", p.min_history, 1);
    r.number(n, "no_baseline_factor", p.no_baseline_factor, 1);
    r.level(n, "level", p.level);
  }
  if (auto n = a["cloud_critical"]) {
    auto& p = c.cloud_critical;
    r.keys(n,
           {"enabled", "root", "break_glass", "dedupe", "root_level", "change_level", "iam_level",
            "attempt_level"},
           "cloud_critical");
    r.flag(n, "enabled", p.enabled);
    r.flag(n, "root", p.root);
    r.strings(n, "break_glass", p.break_glass);
    r.duration(n, "dedupe", p.dedupe);
    r.level(n, "root_level", p.root_level);
    r.level(n, "change_level", p.change_level);
    r.level(n, "iam_level", p.iam_level);
    r.level(n, "attempt_level", p.attempt_level);
  }
  if (auto n = a["anonymizer"]) {
    auto& p = c.anonymizer;
    r.keys(n, {"enabled", "tor", "known_bad", "vpn", "hosting", "dedupe", "level", "vpn_level"},
           "anonymizer");
    r.flag(n, "enabled", p.enabled);
    r.flag(n, "tor", p.tor);
    r.flag(n, "known_bad", p.known_bad);
    r.flag(n, "vpn", p.vpn);
    r.flag(n, "hosting", p.hosting);
    r.duration(n, "dedupe", p.dedupe);
    r.level(n, "level", p.level);
    r.level(n, "vpn_level", p.vpn_level);
  }
}

void read_enrichment(const reader& r, const YAML::Node& n, enrich_config& e) {
  r.keys(n,
         {"country_codes", "geoip", "geoip_dir", "asn", "asn_dir", "ip_lists", "shared_data_dir",
          "default_lists", "lists", "corporate_egress", "known_bad", "user_agent", "uap_regexes"},
         "enrichment");
  r.flag(n, "country_codes", e.country_codes);
  r.flag(n, "geoip", e.geoip);
  r.text(n, "geoip_dir", e.geoip_dir);
  r.flag(n, "asn", e.asn);
  r.text(n, "asn_dir", e.asn_dir);
  r.flag(n, "ip_lists", e.ip_lists);
  r.text(n, "shared_data_dir", e.shared_data_dir);
  r.flag(n, "default_lists", e.default_lists);
  r.strings(n, "corporate_egress", e.corporate_egress);
  r.strings(n, "known_bad", e.known_bad);
  for (const auto* key : {"corporate_egress", "known_bad"}) {
    const auto& list = std::string(key) == "corporate_egress" ? e.corporate_egress : e.known_bad;
    for (std::size_t i = 0; i < list.size(); ++i)
      if (!ip_cidr::parse(list[i]))
        r.fail_at(n[key][i], std::string(key) + ": '" + list[i] + "' is not an address or CIDR");
  }
  r.flag(n, "user_agent", e.user_agent);
  r.text(n, "uap_regexes", e.uap_regexes);
  if (auto lists = n["lists"]) {
    if (!lists.IsSequence()) r.fail_at(lists, "lists: expected a list of {path, flag}");
    for (const auto& l : lists) {
      r.keys(l, {"path", "flag", "label"}, "lists entry");
      ip_list_spec spec;
      r.text(l, "path", spec.path);
      std::string flag;
      r.text(l, "flag", flag);
      spec.flag = ip_flag_from_name(flag);
      if (spec.path.empty()) r.fail_at(l, "lists entry without path");
      if (spec.flag == 0)
        r.fail_at(l, "lists entry flag '" + flag +
                         "' is not one of vpn, hosting, tor, relay, corporate, known_bad");
      r.text(l, "label", spec.label);
      e.extra_lists.push_back(spec);
    }
  }
}

}  // namespace

result<analytics_config> parse_analytics_config(std::string_view yaml, std::string_view origin) {
  analytics_config c;
  const reader r{std::string(origin)};
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (!root || root.IsNull()) return c;
    r.keys(root,
           {"ordering", "lateness", "learning_period", "state_dir", "max_profiles", "max_pending",
            "max_keys", "ignore_users", "ignore_machine_accounts", "enrichment", "analytics"},
           "the configuration");
    r.duration(root, "lateness", c.lateness);
    if (auto n = root["ordering"]) {
      const std::string v = n.as<std::string>("");
      if (v != "batch" && v != "stream") r.fail_at(n, "ordering: expected batch or stream");
      c.batch = v == "batch";
    }
    r.duration(root, "learning_period", c.learning_period);
    r.text(root, "state_dir", c.state_dir);
    r.number(root, "max_profiles", c.max_profiles, 16);
    r.number(root, "max_pending", c.max_pending, 1);
    r.number(root, "max_keys", c.max_keys, 1);
    r.strings(root, "ignore_users", c.ignore_users);
    r.flag(root, "ignore_machine_accounts", c.ignore_machine_accounts);
    if (auto n = root["enrichment"]) read_enrichment(r, n, c.enrich);
    if (auto n = root["analytics"]) read_analytics(r, n, c);
  } catch (const cfg_error& e) {
    return fail(e.message);
  } catch (const YAML::Exception& e) {
    return fail(std::string(origin) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return c;
}

result<analytics_config> load_analytics_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(path + ": cannot read analytics configuration");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_analytics_config(ss.str(), path);
}

}  // namespace mamori
