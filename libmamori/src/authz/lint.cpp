#include "mamori/authz/lint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace mamori::authz {

namespace {

template <typename T>
bool subset(const std::vector<T>& a, const std::vector<T>& b) {  // a ⊆ b
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) == b.end()) return false;
  return true;
}

bool requires_identity(const rule& r) {
  return (r.eff != effect::deny && !r.is_public) || !r.who.empty() || !r.how.empty();
}

std::vector<ip_prefix> flat(const std::vector<named_prefixes>& v) {
  std::vector<ip_prefix> out;
  for (const auto& n : v) out.insert(out.end(), n.prefixes.begin(), n.prefixes.end());
  return out;
}

// Every prefix of `inner` lies inside some prefix of `outer`.
bool prefixes_within(const std::vector<ip_prefix>& inner, const std::vector<ip_prefix>& outer) {
  for (const auto& i : inner) {
    bool in = false;
    for (const auto& o : outer)
      if (o.contains(i)) {
        in = true;
        break;
      }
    if (!in) return false;
  }
  return true;
}

// Minute intervals [a, b) on one day; a wrapping range becomes two.
std::vector<std::pair<int, int>> intervals(const std::vector<hour_range>& hs) {
  std::vector<std::pair<int, int>> out;
  for (const auto& h : hs) {
    if (h.start < h.end) {
      out.emplace_back(h.start, h.end);
    } else {
      out.emplace_back(h.start, 1440);
      out.emplace_back(0, h.end);
    }
  }
  return out;
}

bool hours_within(const std::vector<hour_range>& inner, const std::vector<hour_range>& outer) {
  const auto in = intervals(inner), out = intervals(outer);
  for (const auto& [a, b] : in) {
    bool ok = false;
    for (const auto& [c, d] : out)
      if (c <= a && b <= d) ok = true;
    if (!ok) return false;
  }
  return true;
}

bool tri_implied(tri general, tri specific) {
  return general == tri::any || general == specific;
}

bool max_implied(const std::optional<std::int64_t>& g, const std::optional<std::int64_t>& s) {
  return !g || (s && *s <= *g);
}

bool risk_max_implied(const std::optional<double>& g, const std::optional<double>& s) {
  return !g || (s && *s <= *g);
}
bool risk_min_implied(const std::optional<double>& g, const std::optional<double>& s) {
  return !g || (s && *s >= *g);
}

bool who_covers(const who_condition& g, const who_condition& s) {
  if (!g.users.empty() && (s.users.empty() || !subset(s.users, g.users))) return false;
  if (!g.groups.empty()) {
    const bool by_any = !s.groups.empty() && subset(s.groups, g.groups);
    bool by_all = false;
    for (const auto& x : s.all_groups)
      if (std::find(g.groups.begin(), g.groups.end(), x) != g.groups.end()) by_all = true;
    if (!by_any && !by_all) return false;
  }
  if (!subset(g.all_groups, s.all_groups)) return false;
  if (!g.roles.empty() && (s.roles.empty() || !subset(s.roles, g.roles))) return false;
  for (const auto& gc : g.claims) {
    bool ok = false;
    for (const auto& sc : s.claims)
      if (sc.name == gc.name && subset(sc.values, gc.values)) ok = true;
    if (!ok) return false;
  }
  return true;
}

bool how_covers(const how_condition& g, const how_condition& s) {
  if (!tri_implied(g.mfa, s.mfa)) return false;
  if (!max_implied(g.max_auth_age, s.max_auth_age)) return false;
  if (!g.methods.empty() && (s.methods.empty() || !subset(s.methods, g.methods))) return false;
  return true;
}

bool device_covers(const device_condition& g, const device_condition& s) {
  return tri_implied(g.known, s.known) && tri_implied(g.managed, s.managed) &&
         tri_implied(g.compliant, s.compliant) && tri_implied(g.encrypted, s.encrypted) &&
         tri_implied(g.antivirus, s.antivirus) && tri_implied(g.isolated, s.isolated) &&
         max_implied(g.max_patch_age, s.max_patch_age) &&
         max_implied(g.max_last_seen, s.max_last_seen) &&
         subset(g.forbidden_software, s.forbidden_software);
}

bool where_covers(const where_condition& g, const where_condition& s) {
  if (!g.countries.empty() && (s.countries.empty() || !subset(s.countries, g.countries))) {
    return false;
  }
  if (!g.not_countries.empty()) {
    bool disjoint = !s.countries.empty();
    for (const auto& c : s.countries)
      if (std::find(g.not_countries.begin(), g.not_countries.end(), c) != g.not_countries.end()) {
        disjoint = false;
      }
    if (!subset(g.not_countries, s.not_countries) && !disjoint) return false;
  }
  if (!g.networks.empty() &&
      (s.networks.empty() || !prefixes_within(flat(s.networks), flat(g.networks)))) {
    return false;
  }
  if (!g.not_networks.empty() && !prefixes_within(flat(g.not_networks), flat(s.not_networks))) {
    return false;
  }
  return true;
}

bool when_covers(const when_condition& g, const when_condition& s) {
  if (g.empty()) return true;
  if (s.empty()) return false;
  if (g.timezone != s.timezone) return false;
  if ((s.days & ~g.days) != 0) return false;
  if (!g.hours.empty() && (s.hours.empty() || !hours_within(s.hours, g.hours))) return false;
  return true;
}

bool risk_covers(const risk_condition& g, const risk_condition& s) {
  return risk_max_implied(g.user_max, s.user_max) && risk_min_implied(g.user_min, s.user_min) &&
         risk_max_implied(g.device_max, s.device_max) &&
         risk_min_implied(g.device_min, s.device_min);
}

bool scope_covers(const rule& g, const rule& s) {
  if (!g.paths.empty()) {
    if (s.paths.empty()) return false;
    for (const auto& sp : s.paths) {
      bool ok = false;
      for (const auto& gp : g.paths)
        if (gp.covers(sp)) ok = true;
      if (!ok) return false;
    }
  }
  if (g.methods != 0 && (s.methods == 0 || (s.methods & ~g.methods) != 0)) return false;
  return true;
}

// Why a single rule can never match, or "".
std::string self_contradiction(const rule& r, const policy& p) {
  const auto& w = r.source;
  if (!w.countries.empty() && subset(w.countries, w.not_countries)) {
    return "every country in `countries` is also in `not_countries`";
  }
  if (!w.networks.empty() && prefixes_within(flat(w.networks), flat(w.not_networks))) {
    return "every network in `networks` is inside `not_networks`";
  }
  const auto& k = r.risk;
  if (k.user_min && k.user_max && *k.user_min >= *k.user_max) {
    return fmt::format("user risk must be ≥ {} and < {}", *k.user_min, *k.user_max);
  }
  if (k.device_min && k.device_max && *k.device_min >= *k.device_max) {
    return fmt::format("device risk must be ≥ {} and < {}", *k.device_min, *k.device_max);
  }
  const auto& d = r.device;
  if (d.known == tri::no) {
    if (d.managed == tri::yes || d.compliant == tri::yes || d.encrypted == tri::yes ||
        d.antivirus == tri::yes) {
      return "`known: false` but a posture attribute must be true (unknown devices report none)";
    }
    if (d.max_patch_age || d.max_last_seen || !d.forbidden_software.empty()) {
      return "`known: false` with patch age, last seen or software conditions (unknown devices "
             "report none)";
    }
  }
  if (r.how.mfa == tri::no && !r.how.methods.empty() &&
      std::find(r.how.methods.begin(), r.how.methods.end(), "mfa") != r.how.methods.end() &&
      r.how.methods.size() == 1) {
    return "`mfa: false` with `methods: [mfa]`";
  }
  if (r.when.days == 0) return "no day is allowed";
  (void)p;
  return "";
}

}  // namespace

bool rule_covers(const rule& g, const rule& s, bool ignore_specific_how) {
  if (!scope_covers(g, s)) return false;
  if (requires_identity(g) && !requires_identity(s)) return false;
  if (!who_covers(g.who, s.who)) return false;
  if (ignore_specific_how) {
    if (!g.how.empty()) return false;
  } else if (!how_covers(g.how, s.how)) {
    return false;
  }
  return device_covers(g.device, s.device) && where_covers(g.source, s.source) &&
         when_covers(g.when, s.when) && risk_covers(g.risk, s.risk);
}

std::vector<diagnostic> lint_policy(const policy& p) {
  std::vector<diagnostic> out;
  auto report = [&](severity_level lvl, const source_location& at, std::string msg,
                    std::string hint = {}) {
    out.push_back({lvl, at, std::move(msg), std::move(hint)});
  };
  std::set<const rule*> self_checked;
  std::set<std::pair<const rule*, const rule*>> pair_checked;
  auto self = [&](const rule& r) {
    if (!self_checked.insert(&r).second) return;
    if (auto why = self_contradiction(r, p); !why.empty()) {
      report(severity_level::error, r.where,
             fmt::format("rule '{}' can never match: {}", r.name, why));
    }
    if (r.eff != effect::deny && r.device.isolated == tri::yes &&
        p.defaults.deny_isolated_devices) {
      report(severity_level::error, r.where,
             fmt::format("rule '{}' is unreachable: it needs an isolated device, and isolated "
                         "devices are denied before any rule",
                         r.name),
             "set defaults.deny_isolated_devices: false, or drop `isolated: true`");
    }
    if (r.eff == effect::deny && !r.device.forbidden_software.empty()) {
      report(severity_level::warning, r.where,
             fmt::format("rule '{}': forbidden_software holds when none of the listed software is "
                         "installed, so this deny rule denies clean devices",
                         r.name),
             "put forbidden_software on allow rules");
    }
  };
  for (const auto& g : p.global_rules) self(g);
  for (const auto& app : p.applications) {
    std::vector<const rule*> rules;
    for (const auto& g : p.global_rules) rules.push_back(&g);
    for (const auto& r : app.rules) rules.push_back(&r);
    bool any_allow = false;
    for (const rule* r : rules) {
      self(*r);
      if (r->eff == effect::allow) any_allow = true;
    }
    if (!any_allow) {
      report(severity_level::warning, app.where,
             fmt::format("application '{}' has no allow rule: every request is denied", app.name),
             "add an allow rule, or remove the application");
    }
    const std::string in_app = fmt::format(" (application '{}')", app.name);
    for (std::size_t j = 0; j < rules.size(); ++j) {
      const rule& b = *rules[j];
      if (b.eff == effect::deny) continue;
      for (std::size_t i = 0; i < rules.size(); ++i) {
        if (i == j) continue;
        const rule& a = *rules[i];
        if (a.eff != effect::deny) continue;
        if (!pair_checked.insert({&a, &b}).second) continue;
        if (!rule_covers(a, b, b.eff == effect::step_up)) continue;
        const bool same = b.eff == effect::allow && rule_covers(b, a);
        if (same) {
          report(severity_level::error, b.where,
                 fmt::format("rules '{}' and '{}' are contradictory: same scope and conditions, "
                             "opposite effects; deny wins{}",
                             b.name, a.name, a.is_global || b.is_global ? in_app : ""),
                 "delete one of them");
        } else {
          report(
              severity_level::error, b.where,
              fmt::format("rule '{}' is unreachable: every request it matches is denied by "
                          "'{}' (line {}); deny overrides{}",
                          b.name, a.name, a.where.line, a.is_global || b.is_global ? in_app : ""),
              "narrow the deny rule or remove this one");
        }
      }
    }
    // Same effect: an earlier rule that covers a later one always decides first.
    for (std::size_t j = 0; j < rules.size(); ++j) {
      const rule& b = *rules[j];
      for (std::size_t i = 0; i < j; ++i) {
        const rule& a = *rules[i];
        if (a.eff != b.eff) continue;
        if (!pair_checked.insert({&a, &b}).second) continue;
        // step_up rules fire on failing `how`; only exact duplicates are certain shadows.
        if (a.eff == effect::step_up && !(rule_covers(a, b) && rule_covers(b, a))) continue;
        if (!rule_covers(a, b)) continue;
        report(severity_level::warning, b.where,
               fmt::format("rule '{}' is shadowed by '{}' (line {}): every request it matches "
                           "is already {} by the earlier rule{}",
                           b.name, a.name, a.where.line,
                           b.eff == effect::allow  ? "allowed"
                           : b.eff == effect::deny ? "denied"
                                                   : "stepped up",
                           a.is_global || b.is_global ? in_app : ""),
               "remove it, or make it more specific than the earlier rule");
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const diagnostic& x, const diagnostic& y) {
    return x.where.line < y.where.line;
  });
  return out;
}

}  // namespace mamori::authz
