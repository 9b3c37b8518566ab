// YAML → authz::policy. Every mistake becomes a diagnostic with file:line and a hint; one
// bad rule does not hide the others (the loader keeps going and reports them all).

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <set>
#include <unordered_map>

#include "mamori/authz/policy.hpp"
#include "mamori/authz/timezone.hpp"

namespace mamori::authz {

std::string_view effect_name(effect e) {
  switch (e) {
    case effect::allow:
      return "allow";
    case effect::deny:
      return "deny";
    case effect::step_up:
      return "step_up";
  }
  return "?";
}

bool path_pattern::matches(std::string_view path) const {
  if (!is_prefix) return path == prefix;
  return path.substr(0, prefix.size()) == prefix;
}

bool path_pattern::covers(const path_pattern& other) const {
  if (!is_prefix) return !other.is_prefix && other.prefix == prefix;
  return other.prefix.substr(0, prefix.size()) == prefix;
}

std::uint16_t method_bit_of(std::string_view m) {
  static constexpr std::pair<std::string_view, std::uint16_t> table[] = {
      {"GET", m_get},         {"HEAD", m_head},       {"POST", m_post},
      {"PUT", m_put},         {"PATCH", m_patch},     {"DELETE", m_delete},
      {"OPTIONS", m_options}, {"CONNECT", m_connect}, {"TRACE", m_trace}};
  for (const auto& [name, bit] : table) {
    if (m.size() == name.size() && std::equal(m.begin(), m.end(), name.begin(),
                                              [](char a, char b) { return (a & ~0x20) == b; })) {
      return bit;
    }
  }
  return m_other;
}

std::optional<std::int64_t> parse_duration(std::string_view t) {
  if (t.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < t.size()) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(t.data() + i, t.data() + t.size(), n);
    if (ec != std::errc() || n < 0) return std::nullopt;
    i = static_cast<std::size_t>(p - t.data());
    std::int64_t unit = 1;
    if (i < t.size()) {
      switch (t[i]) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        case 'w':
          unit = 7 * 86400;
          break;
        default:
          return std::nullopt;
      }
      ++i;
    } else if (any) {
      return std::nullopt;  // "1h30" is ambiguous
    }
    if (n > (std::int64_t{1} << 40)) return std::nullopt;
    total += n * unit;
    any = true;
  }
  return total;
}

std::string format_duration(std::int64_t s) {
  if (s < 0) return fmt::format("-{}", format_duration(-s));
  if (s == 0) return "0s";
  std::string out;
  const std::int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  if (d != 0) out += fmt::format("{}d", d);
  if (h != 0) out += fmt::format("{}h", h);
  if (m != 0) out += fmt::format("{}m", m);
  if (sec != 0) out += fmt::format("{}s", sec);
  return out;
}

std::string normalize_path(std::string_view raw) {
  // Drop query and fragment.
  raw = raw.substr(0, std::min(raw.find('?'), raw.find('#')));
  // Absolute-form targets ("http://host/path") keep only the path.
  if (auto scheme = raw.find("://"); scheme != std::string_view::npos && scheme < 8) {
    auto slash = raw.find('/', scheme + 3);
    raw = slash == std::string_view::npos ? std::string_view("/") : raw.substr(slash);
  }
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string decoded;
  decoded.reserve(raw.size() + 1);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
      decoded += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
      i += 2;
    } else {
      decoded += raw[i] == '\\' ? '/' : raw[i];
    }
  }
  // Resolve segments.
  std::vector<std::string_view> segs;
  std::string_view d = decoded;
  std::size_t i = 0;
  while (i <= d.size()) {
    std::size_t j = d.find('/', i);
    if (j == std::string_view::npos) j = d.size();
    std::string_view s = d.substr(i, j - i);
    if (s == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!s.empty() && s != ".") {
      segs.push_back(s);
    }
    i = j + 1;
  }
  std::string out;
  out.reserve(decoded.size() + 1);
  for (auto s : segs) {
    out += '/';
    out += s;
  }
  // Keep a trailing slash ("/admin/" stays distinct from "/admin").
  const bool trailing = !d.empty() && (d.back() == '/' || d.ends_with("/.") || d.ends_with("/.."));
  if (out.empty() || trailing) out += '/';
  return out;
}

namespace {

class reader {
 public:
  reader(std::string file, diagnostics& diag) : file_(std::move(file)), diag_(diag) {}

  source_location at(const YAML::Node& n) const {
    source_location l;
    l.file = file_;
    l.line = n.Mark().line >= 0 ? static_cast<std::uint64_t>(n.Mark().line) + 1 : 0;
    return l;
  }
  void error(const YAML::Node& n, std::string msg, std::string hint = {}) {
    ++errors_;
    diag_.report(severity_level::error, at(n), std::move(msg), std::move(hint));
  }
  void warning(const YAML::Node& n, std::string msg, std::string hint = {}) {
    diag_.report(severity_level::warning, at(n), std::move(msg), std::move(hint));
  }
  std::size_t errors() const { return errors_; }

  bool expect_map(const YAML::Node& n, std::string_view what) {
    if (n.IsMap()) return true;
    error(n, fmt::format("{} must be a mapping", what));
    return false;
  }

  // Reports keys outside `allowed`.
  void check_keys(const YAML::Node& n, std::initializer_list<std::string_view> allowed,
                  std::string_view what) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
        error(it->first, fmt::format("unknown key '{}' in {}", key, what),
              fmt::format("expected one of: {}", list));
      }
    }
  }

  std::optional<std::string> str(const YAML::Node& n, std::string_view what) {
    if (!n.IsScalar()) {
      error(n, fmt::format("{} must be a string", what));
      return std::nullopt;
    }
    return n.Scalar();
  }

  // A string or a list of strings.
  std::vector<std::string> strings(const YAML::Node& n, std::string_view what) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
      for (const auto& e : n) {
        if (e.IsScalar()) {
          out.push_back(e.Scalar());
        } else {
          error(e, fmt::format("{}: each entry must be a string", what));
        }
      }
    } else if (!n.IsNull()) {
      error(n, fmt::format("{} must be a string or a list of strings", what));
    }
    return out;
  }

  std::optional<bool> boolean(const YAML::Node& n, std::string_view what) {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      if (s == "true" || s == "yes" || s == "on") return true;
      if (s == "false" || s == "no" || s == "off") return false;
    }
    error(n, fmt::format("{} must be true or false", what));
    return std::nullopt;
  }

  tri tristate(const YAML::Node& n, std::string_view what) {
    auto b = boolean(n, what);
    if (!b) return tri::any;
    return *b ? tri::yes : tri::no;
  }

  std::optional<std::int64_t> duration(const YAML::Node& n, std::string_view what) {
    if (n.IsScalar()) {
      if (auto d = parse_duration(n.Scalar())) return d;
    }
    error(n, fmt::format("{} must be a duration", what), "e.g. 90s, 15m, 12h, 30d, 1h30m");
    return std::nullopt;
  }

  std::optional<double> number(const YAML::Node& n, std::string_view what, double lo, double hi) {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      double v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && p == s.data() + s.size() && v >= lo && v <= hi) return v;
    }
    error(n, fmt::format("{} must be a number from {} to {}", what, lo, hi));
    return std::nullopt;
  }

 private:
  std::string file_;
  diagnostics& diag_;
  std::size_t errors_ = 0;
};

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

std::optional<std::uint16_t> parse_hhmm(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  unsigned h = 0, m = 0;
  auto r1 = std::from_chars(s.data(), s.data() + colon, h);
  auto r2 = std::from_chars(s.data() + colon + 1, s.data() + s.size(), m);
  if (r1.ec != std::errc() || r1.ptr != s.data() + colon || r2.ec != std::errc() ||
      r2.ptr != s.data() + s.size() || colon == 0 || colon + 1 == s.size()) {
    return std::nullopt;
  }
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return static_cast<std::uint16_t>(h * 60 + m);
}

int day_index(std::string_view d) {
  static constexpr std::string_view names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  std::string l = lower(std::string(d.substr(0, 3)));
  if (d.size() < 3) return -1;
  for (int k = 0; k < 7; ++k)
    if (names[k] == l) return k;
  return -1;
}

class policy_reader {
 public:
  policy_reader(reader& r, policy& p) : r_(r), p_(p) {}

  void read(const YAML::Node& root) {
    if (!root.IsMap()) {
      r_.error(root, "a policy must be a mapping with `applications:`",
               "see docs/authz.md for an example");
      return;
    }
    r_.check_keys(root,
                  {"version", "defaults", "groups", "networks", "rules", "applications", "identity",
                   "server"},
                  "the policy");
    if (auto v = root["version"]) {
      if (auto n = r_.number(v, "version", 1, 1)) p_.version = static_cast<std::int64_t>(*n);
    }
    if (auto d = root["defaults"]) read_defaults(d);
    if (auto g = root["groups"]) read_groups(g);
    if (auto n = root["networks"]) read_networks(n);
    std::set<std::string> global_names;
    if (auto rules = root["rules"]) {
      if (!rules.IsSequence()) {
        r_.error(rules, "`rules` must be a list of rules");
      } else {
        for (const auto& rn : rules) {
          rule ru;
          if (read_rule(rn, ru, global_names)) {
            ru.is_global = true;
            p_.global_rules.push_back(std::move(ru));
          }
        }
      }
    }
    auto apps = root["applications"];
    if (!apps) {
      r_.error(root, "the policy has no `applications:`",
               "every request is matched to an application by its host");
      return;
    }
    if (!apps.IsSequence()) {
      r_.error(apps, "`applications` must be a list");
      return;
    }
    std::unordered_map<std::string, std::string> host_owner;
    std::set<std::string> app_names;
    for (const auto& an : apps) {
      application app;
      if (!read_application(an, app, global_names)) continue;
      if (!app_names.insert(app.name).second) {
        r_.error(an, fmt::format("application '{}' is defined twice", app.name));
        continue;
      }
      for (const auto& h : app.hosts) {
        auto [it, fresh] = host_owner.emplace(h, app.name);
        if (!fresh) {
          r_.error(an["hosts"],
                   fmt::format("host '{}' already belongs to application '{}'", h, it->second),
                   "a host selects exactly one application");
        }
      }
      p_.applications.push_back(std::move(app));
    }
  }

 private:
  void read_defaults(const YAML::Node& n) {
    if (!r_.expect_map(n, "`defaults`")) return;
    r_.check_keys(
        n, {"login_url", "step_up_url", "deny_isolated_devices", "timezone", "risk_half_life"},
        "`defaults`");
    if (auto v = n["login_url"]) {
      if (auto s = r_.str(v, "login_url")) p_.defaults.login_url = *s;
    }
    if (auto v = n["step_up_url"]) {
      if (auto s = r_.str(v, "step_up_url")) p_.defaults.step_up_url = *s;
    }
    if (auto v = n["deny_isolated_devices"]) {
      if (auto b = r_.boolean(v, "deny_isolated_devices")) p_.defaults.deny_isolated_devices = *b;
    }
    if (auto v = n["timezone"]) {
      if (auto s = r_.str(v, "timezone")) {
        if (auto tz = time_zone::load(*s); !tz) {
          r_.error(v, tz.error().message);
        } else {
          p_.defaults.timezone = *s;
        }
      }
    }
    if (auto v = n["risk_half_life"]) {
      if (auto d = r_.duration(v, "risk_half_life")) {
        if (*d <= 0) {
          r_.error(v, "risk_half_life must be positive");
        } else {
          p_.defaults.risk_half_life = *d;
        }
      }
    }
  }

  void read_groups(const YAML::Node& n) {
    if (!r_.expect_map(n, "`groups`")) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      static_group g;
      g.name = it->first.Scalar();
      g.where = r_.at(it->first);
      const YAML::Node v = it->second;  // a copy: it-> yields a temporary proxy
      if (v.IsMap()) {
        r_.check_keys(v, {"members", "description"}, fmt::format("group '{}'", g.name));
        if (auto m = v["members"]) g.members = r_.strings(m, "members");
      } else {
        g.members = r_.strings(v, fmt::format("group '{}'", g.name));
      }
      p_.groups.push_back(std::move(g));
    }
  }

  void read_networks(const YAML::Node& n) {
    if (!r_.expect_map(n, "`networks`")) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      named_prefixes np;
      np.name = it->first.Scalar();
      for (const auto& text : r_.strings(it->second, fmt::format("network '{}'", np.name))) {
        if (auto p = ip_prefix::parse(text)) {
          np.prefixes.push_back(*p);
        } else {
          r_.error(it->second, fmt::format("network '{}': '{}' is not an IP prefix", np.name, text),
                   "e.g. 10.0.0.0/8 or 2001:db8::/32");
        }
      }
      networks_.push_back(std::move(np));
    }
  }

  // A network reference: a name from `networks:` or an inline CIDR.
  void resolve_networks(const YAML::Node& n, std::vector<named_prefixes>& out,
                        std::string_view what) {
    for (const auto& text : r_.strings(n, what)) {
      auto named = std::find_if(networks_.begin(), networks_.end(),
                                [&](const named_prefixes& np) { return np.name == text; });
      if (named != networks_.end()) {
        out.push_back(*named);
      } else if (auto p = ip_prefix::parse(text)) {
        out.push_back({text, {*p}});
      } else {
        r_.error(n, fmt::format("{}: '{}' is neither a network name nor an IP prefix", what, text),
                 networks_.empty() ? std::string("define names under top-level `networks:`")
                                   : fmt::format("known networks: {}", network_names()));
      }
    }
  }

  std::string network_names() const {
    std::string s;
    for (const auto& n : networks_) s += fmt::format("{}{}", s.empty() ? "" : ", ", n.name);
    return s;
  }

  bool read_application(const YAML::Node& n, application& app,
                        const std::set<std::string>& global) {
    if (!r_.expect_map(n, "an application")) return false;
    r_.check_keys(n, {"name", "description", "hosts", "rules"}, "an application");
    app.where = r_.at(n);
    const std::size_t errors_before = r_.errors();
    if (auto v = n["name"]) {
      if (auto s = r_.str(v, "name")) app.name = *s;
    }
    if (app.name.empty()) {
      r_.error(n, "an application needs a `name`");
      return false;
    }
    if (auto d = n["description"]) {
      if (auto s = r_.str(d, "description")) app.description = *s;
    }
    if (auto h = n["hosts"]) {
      for (auto& host : r_.strings(h, "hosts")) {
        host = lower(host);
        if (host.empty() || (host.find('*') != std::string::npos && host != "*" &&
                             !(host.starts_with("*.") && host.find('*', 1) == std::string::npos))) {
          r_.error(h, fmt::format("host '{}' is not a host name", host),
                   "use an exact name, '*.example.com' or '*'");
          continue;
        }
        app.hosts.push_back(host);
      }
    }
    if (app.hosts.empty()) {
      r_.error(n, fmt::format("application '{}' has no `hosts`", app.name),
               "requests are matched to applications by Host");
    }
    std::set<std::string> names = global;
    if (auto rules = n["rules"]) {
      if (!rules.IsSequence()) {
        r_.error(rules, "`rules` must be a list of rules");
      } else {
        for (const auto& rn : rules) {
          rule ru;
          if (read_rule(rn, ru, names)) app.rules.push_back(std::move(ru));
        }
      }
    }
    return r_.errors() == errors_before;
  }

  bool read_rule(const YAML::Node& n, rule& ru, std::set<std::string>& names) {
    if (!r_.expect_map(n, "a rule")) return false;
    r_.check_keys(n,
                  {"name", "description", "effect", "paths", "methods", "public", "who", "how",
                   "device", "where", "when", "risk"},
                  "a rule");
    const std::size_t errors_before = r_.errors();
    ru.where = r_.at(n);
    if (auto v = n["name"]) {
      if (auto s = r_.str(v, "name")) ru.name = *s;
    }
    if (ru.name.empty()) {
      r_.error(n, "a rule needs a `name`", "explanations cite rules by name");
      return false;
    }
    if (!names.insert(ru.name).second) {
      r_.error(n["name"], fmt::format("rule name '{}' is used twice", ru.name),
               "names are unique per application, global rules included");
    }
    if (auto d = n["description"]) {
      if (auto s = r_.str(d, "description")) ru.description = *s;
    }
    if (auto e = n["effect"]) {
      auto s = r_.str(e, "effect");
      if (s == "allow") {
        ru.eff = effect::allow;
      } else if (s == "deny") {
        ru.eff = effect::deny;
      } else if (s == "step_up" || s == "step-up") {
        ru.eff = effect::step_up;
      } else if (s) {
        r_.error(e, fmt::format("unknown effect '{}'", *s), "allow, deny or step_up");
      }
    } else {
      r_.error(n, fmt::format("rule '{}' needs an `effect`", ru.name), "allow, deny or step_up");
    }
    if (auto p = n["paths"]) {
      for (const auto& text : r_.strings(p, "paths")) {
        path_pattern pp;
        pp.text = text;
        if (text.empty() || text[0] != '/') {
          r_.error(p, fmt::format("path '{}' must start with '/'", text), "e.g. /admin/*");
          continue;
        }
        if (text.back() == '*') {
          pp.is_prefix = true;
          pp.prefix = text.substr(0, text.size() - 1);
        } else {
          pp.prefix = text;
        }
        if (pp.prefix.find('*') != std::string::npos) {
          r_.error(p, fmt::format("path '{}': '*' is only allowed at the end", text));
          continue;
        }
        if (pp.prefix != normalize_path(pp.prefix) && !(pp.is_prefix && pp.prefix == "/")) {
          r_.warning(p, fmt::format("path '{}' is not normalised; requests are matched after "
                                    "normalisation ({})",
                                    text, normalize_path(pp.prefix)));
        }
        ru.paths.push_back(std::move(pp));
      }
    }
    if (auto m = n["methods"]) {
      for (const auto& text : r_.strings(m, "methods")) {
        const std::uint16_t bit = method_bit_of(text);
        if (bit == m_other) {
          r_.error(m, fmt::format("unknown HTTP method '{}'", text));
        } else {
          ru.methods |= bit;
        }
      }
    }
    if (auto v = n["public"]) {
      if (auto b = r_.boolean(v, "public")) ru.is_public = *b;
    }
    if (auto w = n["who"]) read_who(w, ru.who);
    if (auto h = n["how"]) read_how(h, ru.how);
    if (auto d = n["device"]) read_device(d, ru.device);
    if (auto w = n["where"]) read_where(w, ru.source);
    if (auto w = n["when"]) read_when(w, ru.when);
    if (auto r = n["risk"]) read_risk(r, ru.risk);
    if (ru.eff == effect::step_up && ru.how.empty()) {
      r_.error(n, fmt::format("step_up rule '{}' needs a `how:` block", ru.name),
               "step_up fires when the session does not meet `how` (e.g. mfa: true, "
               "max_auth_age: 15m)");
    }
    if (ru.is_public && !ru.who.empty()) {
      r_.error(n, fmt::format("rule '{}' is public but has `who:` conditions", ru.name),
               "public rules match anonymous requests; drop `public` or `who`");
    }
    if (ru.is_public && !ru.how.empty()) {
      r_.error(n, fmt::format("rule '{}' is public but has `how:` conditions", ru.name),
               "an anonymous request has no authentication to check");
    }
    return r_.errors() == errors_before;
  }

  void read_who(const YAML::Node& n, who_condition& w) {
    if (!r_.expect_map(n, "`who`")) return;
    r_.check_keys(n, {"users", "groups", "all_groups", "roles", "claims"}, "`who`");
    if (auto v = n["users"]) w.users = r_.strings(v, "users");
    if (auto v = n["groups"]) w.groups = r_.strings(v, "groups");
    if (auto v = n["all_groups"]) w.all_groups = r_.strings(v, "all_groups");
    if (auto v = n["roles"]) w.roles = r_.strings(v, "roles");
    if (auto v = n["claims"]) {
      if (r_.expect_map(v, "`claims`")) {
        for (auto it = v.begin(); it != v.end(); ++it) {
          claim_condition c;
          c.name = it->first.Scalar();
          c.values = r_.strings(it->second, fmt::format("claim '{}'", c.name));
          if (c.values.empty()) {
            r_.error(it->second, fmt::format("claim '{}' needs at least one value", c.name));
          }
          w.claims.push_back(std::move(c));
        }
      }
    }
    if (n["users"] && w.users.empty()) r_.error(n["users"], "`users` is empty");
    if (n["groups"] && w.groups.empty()) r_.error(n["groups"], "`groups` is empty");
  }

  void read_how(const YAML::Node& n, how_condition& h) {
    if (!r_.expect_map(n, "`how`")) return;
    r_.check_keys(n, {"mfa", "max_auth_age", "methods"}, "`how`");
    if (auto v = n["mfa"]) h.mfa = r_.tristate(v, "mfa");
    if (auto v = n["max_auth_age"]) h.max_auth_age = r_.duration(v, "max_auth_age");
    if (auto v = n["methods"]) {
      h.methods = r_.strings(v, "methods");
      for (auto& m : h.methods) m = lower(m);
    }
  }

  void read_device(const YAML::Node& n, device_condition& d) {
    if (!r_.expect_map(n, "`device`")) return;
    r_.check_keys(n,
                  {"known", "managed", "compliant", "encrypted", "antivirus", "isolated",
                   "max_patch_age", "max_last_seen", "forbidden_software"},
                  "`device`");
    if (auto v = n["known"]) d.known = r_.tristate(v, "known");
    if (auto v = n["managed"]) d.managed = r_.tristate(v, "managed");
    if (auto v = n["compliant"]) d.compliant = r_.tristate(v, "compliant");
    if (auto v = n["encrypted"]) d.encrypted = r_.tristate(v, "encrypted");
    if (auto v = n["antivirus"]) d.antivirus = r_.tristate(v, "antivirus");
    if (auto v = n["isolated"]) d.isolated = r_.tristate(v, "isolated");
    if (auto v = n["max_patch_age"]) d.max_patch_age = r_.duration(v, "max_patch_age");
    if (auto v = n["max_last_seen"]) d.max_last_seen = r_.duration(v, "max_last_seen");
    if (auto v = n["forbidden_software"]) {
      d.forbidden_software = r_.strings(v, "forbidden_software");
      for (auto& s : d.forbidden_software) s = lower(s);
    }
  }

  void read_where(const YAML::Node& n, where_condition& w) {
    if (!r_.expect_map(n, "`where`")) return;
    r_.check_keys(n, {"countries", "not_countries", "networks", "not_networks"}, "`where`");
    auto countries = [&](const YAML::Node& v, std::vector<std::string>& out,
                         std::string_view what) {
      for (auto c : r_.strings(v, what)) {
        for (char& ch : c)
          if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
        if (c.size() != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z') {
          r_.error(v, fmt::format("{}: '{}' is not an ISO 3166-1 alpha-2 code", what, c),
                   "e.g. JP, DE, US");
          continue;
        }
        out.push_back(c);
      }
    };
    if (auto v = n["countries"]) countries(v, w.countries, "countries");
    if (auto v = n["not_countries"]) countries(v, w.not_countries, "not_countries");
    if (auto v = n["networks"]) resolve_networks(v, w.networks, "networks");
    if (auto v = n["not_networks"]) resolve_networks(v, w.not_networks, "not_networks");
  }

  void read_when(const YAML::Node& n, when_condition& w) {
    if (!r_.expect_map(n, "`when`")) return;
    r_.check_keys(n, {"hours", "days", "timezone"}, "`when`");
    if (auto v = n["hours"]) {
      for (const auto& text : r_.strings(v, "hours")) {
        auto dash = text.find('-');
        std::optional<std::uint16_t> a, b;
        if (dash != std::string::npos) {
          a = parse_hhmm(std::string_view(text).substr(0, dash));
          b = parse_hhmm(std::string_view(text).substr(dash + 1));
        }
        if (!a || !b || *a == 24 * 60) {
          r_.error(v, fmt::format("hours '{}' is not a range HH:MM-HH:MM", text),
                   "e.g. 08:00-18:30, or 22:00-06:00 across midnight");
          continue;
        }
        if (*a == *b) {
          r_.error(v, fmt::format("hours '{}' is an empty range", text));
          continue;
        }
        w.hours.push_back({*a, *b, text});
      }
    }
    if (auto v = n["days"]) {
      std::uint8_t mask = 0;
      for (const auto& text : r_.strings(v, "days")) {
        std::string l = lower(text);
        if (l == "weekdays") {
          mask |= 0x1f;
          continue;
        }
        if (l == "weekends") {
          mask |= 0x60;
          continue;
        }
        auto dash = l.find('-');
        int a = day_index(l.substr(0, dash));
        int b = dash == std::string::npos ? a : day_index(l.substr(dash + 1));
        if (a < 0 || b < 0) {
          r_.error(v, fmt::format("days: '{}' is not a day or range of days", text),
                   "mon..sun, ranges like mon-fri, weekdays, weekends");
          continue;
        }
        for (int d = a;; d = (d + 1) % 7) {
          mask |= static_cast<std::uint8_t>(1u << d);
          if (d == b) break;
        }
      }
      if (mask != 0) w.days = mask;
    }
    if (auto v = n["timezone"]) {
      if (auto s = r_.str(v, "timezone")) {
        if (auto tz = time_zone::load(*s); !tz) {
          r_.error(v, tz.error().message);
        } else {
          w.timezone = *s;
        }
      }
    }
  }

  void read_risk(const YAML::Node& n, risk_condition& rc) {
    if (!r_.expect_map(n, "`risk`")) return;
    r_.check_keys(n, {"user_max", "user_min", "device_max", "device_min"}, "`risk`");
    if (auto v = n["user_max"]) rc.user_max = r_.number(v, "user_max", 0, 100);
    if (auto v = n["user_min"]) rc.user_min = r_.number(v, "user_min", 0, 100);
    if (auto v = n["device_max"]) rc.device_max = r_.number(v, "device_max", 0, 100);
    if (auto v = n["device_min"]) rc.device_min = r_.number(v, "device_min", 0, 100);
  }

  reader& r_;
  policy& p_;
  std::vector<named_prefixes> networks_;
};

}  // namespace

result<policy> load_policy_text(std::string_view text, const std::string& file_name,
                                diagnostics& diag) {
  reader r(file_name, diag);
  policy p;
  p.file = file_name;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    source_location l;
    l.file = file_name;
    l.line = e.mark.line >= 0 ? static_cast<std::uint64_t>(e.mark.line) + 1 : 0;
    diag.report(severity_level::error, l, fmt::format("invalid YAML: {}", e.msg));
    return fail(fmt::format("{}: invalid YAML", file_name));
  }
  try {
    policy_reader(r, p).read(root);
  } catch (const YAML::Exception& e) {
    source_location l;
    l.file = file_name;
    l.line = e.mark.line >= 0 ? static_cast<std::uint64_t>(e.mark.line) + 1 : 0;
    diag.report(severity_level::error, l, fmt::format("invalid policy: {}", e.msg));
    return fail(fmt::format("{}: invalid policy", file_name));
  }
  if (r.errors() > 0) {
    return fail(fmt::format("{}: {} error{} in the policy", file_name, r.errors(),
                            r.errors() == 1 ? "" : "s"));
  }
  return p;
}

result<policy> load_policy_file(const std::string& path, diagnostics& diag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("cannot read policy '{}'", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return load_policy_text(text, path, diag);
}

}  // namespace mamori::authz
