#pragma once
// The access policy as written (docs/authz.md): applications with rules, each rule a set of
// conditions on who, how, the device, where, when and risk, and an effect (allow, deny,
// step_up). The loader reads YAML and reports every mistake with file:line; the compiler
// (engine.hpp) turns this model into the decision structure; lint (lint.hpp) reads it too.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/authz/address.hpp"
#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"

namespace mamori::authz {

enum class effect : std::uint8_t { deny, step_up, allow };
std::string_view effect_name(effect e);

// A condition on a boolean attribute: unset (no condition), must be true, must be false.
enum class tri : std::uint8_t { any, yes, no };

// Path scope: exact ("/health") or prefix ("/admin/*" matches "/admin/" and below, "/*" all).
struct path_pattern {
  std::string text;    // as written
  std::string prefix;  // without the trailing '*'
  bool is_prefix = false;
  bool covers(const path_pattern& other) const;  // every path `other` matches, this matches
  bool matches(std::string_view path) const;
};

// HTTP methods as a bitmask (0 = any method).
enum method_bit : std::uint16_t {
  m_get = 1,
  m_head = 2,
  m_post = 4,
  m_put = 8,
  m_patch = 16,
  m_delete = 32,
  m_options = 64,
  m_connect = 128,
  m_trace = 256,
  m_other = 512,
};
std::uint16_t method_bit_of(std::string_view method);

struct claim_condition {
  std::string name;                 // dotted path into the token claims ("realm_access.roles")
  std::vector<std::string> values;  // any of
};

struct who_condition {
  std::vector<std::string> users;       // any of (subject names)
  std::vector<std::string> groups;      // member of any
  std::vector<std::string> all_groups;  // member of every one
  std::vector<std::string> roles;       // holds any
  std::vector<claim_condition> claims;  // every listed claim has one of its values
  bool empty() const {
    return users.empty() && groups.empty() && all_groups.empty() && roles.empty() && claims.empty();
  }
};

struct how_condition {
  tri mfa = tri::any;
  std::optional<std::int64_t> max_auth_age;  // seconds since the user authenticated
  std::vector<std::string> methods;          // any of the token's amr values (otp, hwk, ...)
  bool empty() const { return mfa == tri::any && !max_auth_age && methods.empty(); }
};

struct device_condition {
  tri known = tri::any;  // posture reported to mamori
  tri managed = tri::any;
  tri compliant = tri::any;
  tri encrypted = tri::any;
  tri antivirus = tri::any;
  tri isolated = tri::any;
  std::optional<std::int64_t> max_patch_age;    // seconds since the OS was last patched
  std::optional<std::int64_t> max_last_seen;    // seconds since the device last reported
  std::vector<std::string> forbidden_software;  // none of these installed (case-insensitive)
  bool empty() const {
    return known == tri::any && managed == tri::any && compliant == tri::any &&
           encrypted == tri::any && antivirus == tri::any && isolated == tri::any &&
           !max_patch_age && !max_last_seen && forbidden_software.empty();
  }
};

struct named_prefixes {
  std::string name;  // network name or the CIDR text
  std::vector<ip_prefix> prefixes;
};

struct where_condition {
  std::vector<std::string> countries;      // ISO 3166-1 alpha-2, upper case; any of
  std::vector<std::string> not_countries;  // none of
  std::vector<named_prefixes> networks;    // source IP in any
  std::vector<named_prefixes> not_networks;
  bool empty() const {
    return countries.empty() && not_countries.empty() && networks.empty() && not_networks.empty();
  }
};

struct hour_range {
  std::uint16_t start = 0;  // minutes after local midnight, inclusive
  std::uint16_t end = 0;    // exclusive; end < start wraps past midnight
  std::string text;
};

struct when_condition {
  std::vector<hour_range> hours;  // any of; empty = all day
  std::uint8_t days = 0x7f;       // bit 0 = Monday ... bit 6 = Sunday
  std::string timezone;           // empty = the policy default
  bool empty() const { return hours.empty() && days == 0x7f; }
};

struct risk_condition {
  std::optional<double> user_max;    // holds when user risk < user_max
  std::optional<double> user_min;    // holds when user risk >= user_min
  std::optional<double> device_max;  // holds when device risk < device_max
  std::optional<double> device_min;  // holds when device risk >= device_min
  bool empty() const { return !user_max && !user_min && !device_max && !device_min; }
};

struct rule {
  std::string name;
  std::string description;
  effect eff = effect::deny;
  source_location where;
  bool is_global = false;  // from the top-level `rules:`, applies to every application
  // Scope: which requests of the application the rule is about.
  std::vector<path_pattern> paths;  // empty = every path
  std::uint16_t methods = 0;        // 0 = every method
  // A public rule also matches anonymous requests; others need an authenticated subject.
  bool is_public = false;
  who_condition who;
  how_condition how;
  device_condition device;
  where_condition source;
  when_condition when;
  risk_condition risk;
};

struct application {
  std::string name;
  std::string description;
  source_location where;
  std::vector<std::string> hosts;  // lower case; "*.example.com" and "*" allowed
  std::vector<rule> rules;
};

struct static_group {
  std::string name;
  std::vector<std::string> members;
  source_location where;
};

struct policy_defaults {
  std::string login_url;              // where unauthenticated users go; "{url}" = original URL
  std::string step_up_url;            // where step-up goes (re-authenticate with MFA)
  bool deny_isolated_devices = true;  // built-in guard before any rule
  std::string timezone = "UTC";
  std::int64_t risk_half_life = 24 * 3600;  // seconds
};

struct policy {
  std::string file;
  std::int64_t version = 1;
  policy_defaults defaults;
  std::vector<static_group> groups;
  std::vector<rule> global_rules;
  std::vector<application> applications;
};

// Reads a policy. Every problem is reported to `diag` with file:line; the result is an error
// when any problem was an error (warnings alone still give a policy).
result<policy> load_policy_file(const std::string& path, diagnostics& diag);
result<policy> load_policy_text(std::string_view text, const std::string& file_name,
                                diagnostics& diag);

// "90s", "15m", "1h30m", "7d", "2w" or a plain number of seconds.
std::optional<std::int64_t> parse_duration(std::string_view text);
std::string format_duration(std::int64_t seconds);

// Path normalisation used for scope matching: percent-decoding, "//" → "/", "." and ".."
// resolved (never above the root), query and fragment removed. The proxy forwards the raw
// URI; normalising here means "/public/../admin" is judged as "/admin".
std::string normalize_path(std::string_view raw);

}  // namespace mamori::authz
