#include "mamori/authz/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "mamori/event/time.hpp"

namespace mamori::authz {

std::string_view outcome_name(outcome o) {
  switch (o) {
    case outcome::allow:
      return "allow";
    case outcome::deny:
      return "deny";
    case outcome::step_up:
      return "step_up";
    case outcome::unauthenticated:
      return "unauthenticated";
  }
  return "?";
}

namespace {

constexpr std::uint32_t no_user = 0xffffffffu;

std::uint16_t country_code(std::string_view c) {
  if (c.size() != 2) return 0;
  auto up = [](char ch) {
    return static_cast<std::uint16_t>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
  };
  return static_cast<std::uint16_t>(up(c[0]) << 8 | up(c[1]));
}

std::string list_text(const std::vector<std::string>& v, std::size_t max = 6) {
  std::string s = "[";
  for (std::size_t k = 0; k < v.size() && k < max; ++k) s += (k ? ", " : "") + v[k];
  if (v.size() > max) s += fmt::format(", … {} more", v.size() - max);
  return s + "]";
}

std::string risk_text(double v) {
  return fmt::format("{:.0f}", v);
}

std::string_view day_name(int d) {
  static constexpr std::string_view n[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                           "Friday", "Saturday", "Sunday"};
  return n[d];
}

struct rule_result {
  bool matched = true;
  cond first_fail = cond::none;
  bool how_only = true;  // every failure was a `how` condition
};

}  // namespace

// Everything one decision looks at, computed once.
struct eval_context {
  const compiled_policy& p;
  const access_request& req;
  const subject& sub;
  const signals_snapshot& sig;
  std::int64_t now = 0;  // UTC seconds
  std::uint16_t method_bit = 0;
  std::string_view device_id;
  const device_state* dev = nullptr;
  const user_state* user = nullptr;
  double user_risk = 0;
  double device_risk = 0;
  std::uint16_t country = 0;

  eval_context(const compiled_policy& pol, const access_request& r, const subject& s,
               const signals_snapshot& g)
      : p(pol), req(r), sub(s), sig(g) {
    now = r.time_ns / 1'000'000'000;
    method_bit = method_bit_of(r.method);
    device_id = r.device_id;
    if (device_id.empty() && r.who != nullptr) device_id = r.who->device_id;
    if (!device_id.empty()) dev = g.device(device_id);
    if (r.who != nullptr && g.any_user_state()) user = g.user(r.who->user);
    if (p.uses_risk_) {
      if (user != nullptr) user_risk = user->risk.value_at(now, g.risk_half_life());
      if (dev != nullptr) device_risk = dev->risk.value_at(now, g.risk_half_life());
    }
    country = country_code(r.country);
  }

  bool device_flag(bool device_posture::*f) const {
    return dev != nullptr && dev->known && dev->posture.*f;
  }

  // Local minute of day and weekday (0 = Monday) in the rule's zone.
  void local_time(const compiled_rule& r, int& minute, int& weekday) const {
    const std::int64_t local = now + (r.tz ? r.tz->offset_at(now) : 0);
    std::int64_t days = local / 86400;
    std::int64_t secs = local % 86400;
    if (secs < 0) {
      secs += 86400;
      --days;
    }
    minute = static_cast<int>(secs / 60);
    weekday = static_cast<int>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
  }

  bool in_hours(const compiled_rule& r) const {
    int minute = 0, wd = 0;
    local_time(r, minute, wd);
    for (const auto& h : r.hours) {
      if (h.start < h.end ? (minute >= h.start && minute < h.end)
                          : (minute >= h.start || minute < h.end)) {
        return true;
      }
    }
    return false;
  }
  bool on_day(const compiled_rule& r) const {
    int minute = 0, wd = 0;
    local_time(r, minute, wd);
    // Ranges across midnight belong to the day they start on.
    if (!r.hours.empty()) {
      bool after_midnight_only = true;
      for (const auto& h : r.hours) {
        if (!(h.start > h.end && minute < h.end)) after_midnight_only = false;
      }
      if (after_midnight_only) wd = (wd + 6) % 7;
    }
    return (r.days >> wd) & 1;
  }

  bool claims_hold(const compiled_rule& r) const {
    if (req.who == nullptr) return false;
    for (const auto& c : r.claims) {
      bool found = false;
      for (const auto& [name, value] : req.who->claims) {
        if (name == c.name &&
            std::find(c.values.begin(), c.values.end(), value) != c.values.end()) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }

  bool forbidden_absent(const compiled_rule& r) const {
    if (dev == nullptr || !dev->known) return false;
    for (const auto& s : r.forbidden)
      if (dev->posture.has_software(s)) return false;
    return true;
  }

  bool in_networks(const std::vector<ip_prefix>& nets) const {
    for (const auto& n : nets)
      if (n.contains(*req.source_ip)) return true;
    return false;
  }

  bool tri_holds(tri t, bool v) const { return t == tri::yes ? v : !v; }

  // The `how` facts.
  std::int64_t auth_age() const {
    if (req.who == nullptr || req.who->auth_time == 0) return -1;
    return std::max<std::int64_t>(0, now - req.who->auth_time);
  }

  template <bool Explain>
  rule_result check(const compiled_rule& r, rule_trace* t) const;

  bool holds(const compiled_rule& r, cond k) const;
  std::string describe(const compiled_rule& r, cond k, bool held) const;
  bool session_revoked(std::string* why) const;
};

bool eval_context::holds(const compiled_rule& r, cond k) const {
  switch (k) {
    case cond::none:
      return true;
    case cond::authenticated:
      return sub.authenticated;
    case cond::user:
      return sub.user_id != no_user &&
             std::binary_search(r.users.begin(), r.users.end(), sub.user_id);
    case cond::groups:
      return sub.groups.intersects(r.groups, p.group_words_);
    case cond::all_groups:
      return sub.groups.contains_all(r.all_groups, p.group_words_);
    case cond::roles:
      return sub.roles.intersects(r.roles, p.role_words_);
    case cond::claims:
      return claims_hold(r);
    case cond::device_known:
      return tri_holds(r.known, dev != nullptr && dev->known);
    case cond::device_managed:
      return tri_holds(r.managed, device_flag(&device_posture::managed));
    case cond::device_compliant:
      return tri_holds(r.compliant, device_flag(&device_posture::compliant));
    case cond::device_encrypted:
      return tri_holds(r.encrypted, device_flag(&device_posture::encrypted));
    case cond::device_antivirus:
      return tri_holds(r.antivirus, device_flag(&device_posture::antivirus));
    case cond::device_isolated:
      return tri_holds(r.isolated, dev != nullptr && dev->isolated);
    case cond::patch_age:
      return dev != nullptr && dev->known && dev->posture.patched_at != 0 &&
             now - dev->posture.patched_at <= r.max_patch_age;
    case cond::last_seen:
      return dev != nullptr && dev->known && dev->posture.last_seen != 0 &&
             now - dev->posture.last_seen <= r.max_last_seen;
    case cond::forbidden_software:
      return forbidden_absent(r);
    case cond::country:
      return country != 0 && std::binary_search(r.countries.begin(), r.countries.end(), country);
    case cond::not_country:
      return country != 0 &&
             !std::binary_search(r.not_countries.begin(), r.not_countries.end(), country);
    case cond::network:
      return req.source_ip.has_value() && in_networks(r.networks);
    case cond::not_network:
      return req.source_ip.has_value() && !in_networks(r.not_networks);
    case cond::hours:
      return in_hours(r);
    case cond::days:
      return on_day(r);
    case cond::user_risk_max:
      return user_risk < r.user_max;
    case cond::user_risk_min:
      return user_risk >= r.user_min;
    case cond::device_risk_max:
      return device_risk < r.device_max;
    case cond::device_risk_min:
      return device_risk >= r.device_min;
    case cond::mfa:
      return req.who != nullptr && tri_holds(r.mfa, req.who->mfa);
    case cond::auth_age: {
      const std::int64_t age = auth_age();
      return age >= 0 && age <= r.max_auth_age;
    }
    case cond::auth_method:
      return (sub.methods & r.method_mask) != 0;
  }
  return false;
}

template <bool Explain>
rule_result eval_context::check(const compiled_rule& r, rule_trace* t) const {
  rule_result res;
  // Returns true when evaluation should stop (fast path: at the first failure).
  auto test = [&](cond k) -> bool {
    const bool ok = holds(r, k);
    if constexpr (Explain) {
      (ok ? t->holds : t->failures).push_back(describe(r, k, ok));
    }
    if (ok) return false;
    if (res.matched) {
      res.matched = false;
      res.first_fail = k;
    }
    if (!is_how(k)) res.how_only = false;
    return !Explain;
  };
#define MAMORI_AUTHZ_TEST(k) \
  if (test(k)) return res;
  if (r.needs_identity) MAMORI_AUTHZ_TEST(cond::authenticated)
  if (!r.users.empty()) MAMORI_AUTHZ_TEST(cond::user)
  if (r.has_groups) MAMORI_AUTHZ_TEST(cond::groups)
  if (r.has_all_groups) MAMORI_AUTHZ_TEST(cond::all_groups)
  if (r.has_roles) MAMORI_AUTHZ_TEST(cond::roles)
  if (!r.claims.empty()) MAMORI_AUTHZ_TEST(cond::claims)
  if (r.has_device) {
    if (r.known != tri::any) MAMORI_AUTHZ_TEST(cond::device_known)
    if (r.isolated != tri::any) MAMORI_AUTHZ_TEST(cond::device_isolated)
    if (r.managed != tri::any) MAMORI_AUTHZ_TEST(cond::device_managed)
    if (r.compliant != tri::any) MAMORI_AUTHZ_TEST(cond::device_compliant)
    if (r.encrypted != tri::any) MAMORI_AUTHZ_TEST(cond::device_encrypted)
    if (r.antivirus != tri::any) MAMORI_AUTHZ_TEST(cond::device_antivirus)
    if (r.max_patch_age >= 0) MAMORI_AUTHZ_TEST(cond::patch_age)
    if (r.max_last_seen >= 0) MAMORI_AUTHZ_TEST(cond::last_seen)
    if (!r.forbidden.empty()) MAMORI_AUTHZ_TEST(cond::forbidden_software)
  }
  if (r.has_where) {
    if (!r.countries.empty()) MAMORI_AUTHZ_TEST(cond::country)
    if (!r.not_countries.empty()) MAMORI_AUTHZ_TEST(cond::not_country)
    if (!r.networks.empty()) MAMORI_AUTHZ_TEST(cond::network)
    if (!r.not_networks.empty()) MAMORI_AUTHZ_TEST(cond::not_network)
  }
  if (r.has_when) {
    if (r.days != 0x7f) MAMORI_AUTHZ_TEST(cond::days)
    if (!r.hours.empty()) MAMORI_AUTHZ_TEST(cond::hours)
  }
  if (r.has_risk) {
    if (r.user_max >= 0) MAMORI_AUTHZ_TEST(cond::user_risk_max)
    if (r.user_min >= 0) MAMORI_AUTHZ_TEST(cond::user_risk_min)
    if (r.device_max >= 0) MAMORI_AUTHZ_TEST(cond::device_risk_max)
    if (r.device_min >= 0) MAMORI_AUTHZ_TEST(cond::device_risk_min)
  }
  if (r.mfa != tri::any) MAMORI_AUTHZ_TEST(cond::mfa)
  if (r.max_auth_age >= 0) MAMORI_AUTHZ_TEST(cond::auth_age)
  if (r.method_mask != 0) MAMORI_AUTHZ_TEST(cond::auth_method)
#undef MAMORI_AUTHZ_TEST
  if (res.matched) res.how_only = false;
  return res;
}

bool eval_context::session_revoked(std::string* why) const {
  if (req.who == nullptr) return false;
  if (!req.who->session_id.empty() && sig.any_revoked_session()) {
    if (const revoked_session* s = sig.session(req.who->session_id)) {
      if (why != nullptr) {
        *why = fmt::format("session {} was revoked{}{}", req.who->session_id,
                           s->reason.empty() ? "" : ": ", s->reason);
      }
      return true;
    }
  }
  if (user != nullptr && user->revoked_before > 0 && req.who->issued_at <= user->revoked_before) {
    if (why != nullptr) {
      *why = fmt::format("sessions of {} issued before {} were revoked{}{}", req.who->user,
                         timeparse::format_rfc3339(user->revoked_before * 1'000'000'000),
                         user->revoke_reason.empty() ? "" : ": ", user->revoke_reason);
    }
    return true;
  }
  return false;
}

std::string eval_context::describe(const compiled_rule& r, cond k, bool held) const {
  const std::string who = req.who != nullptr ? req.who->user : std::string("anonymous");
  const std::string dev_name =
      device_id.empty() ? std::string("(no device id)") : fmt::format("device {}", device_id);
  auto groups_of = [&](const group_bits& bits, const group_bits& of, bool roles) {
    std::vector<std::string> names;
    if (!roles) {
      for (unsigned b = 0; b < p.group_words_ * 64; ++b)
        if (of.test(b) && bits.test(b)) names.push_back(p.group_names_[b]);
    }
    return names;
  };
  auto rule_groups = [&](const group_bits& bits) {
    std::vector<std::string> names;
    for (unsigned b = 0; b < p.group_words_ * 64; ++b)
      if (bits.test(b)) names.push_back(p.group_names_[b]);
    return names;
  };
  auto dev_state = [&](tri want, bool value, std::string_view what) {
    if (dev == nullptr || (!dev->known && k != cond::device_isolated)) {
      return fmt::format("{} has no posture report (not {})", dev_name, what);
    }
    (void)want;
    return fmt::format("{} is {}{}", dev_name, value ? "" : "not ", what);
  };
  switch (k) {
    case cond::none:
      return "";
    case cond::authenticated:
      return held ? fmt::format("signed in as {}", who)
                  : std::string("anonymous request (the rule needs a signed-in user)");
    case cond::user:
      return fmt::format("user {} is {}one of {}", who, held ? "" : "not ",
                         list_text(r.src->who.users));
    case cond::groups: {
      if (held) {
        return fmt::format("{} is in {}", who, list_text(groups_of(r.groups, sub.groups, false)));
      }
      return fmt::format("{} is in none of the groups {}", who, list_text(rule_groups(r.groups)));
    }
    case cond::all_groups: {
      if (held)
        return fmt::format("{} is in every group of {}", who, list_text(r.src->who.all_groups));
      std::vector<std::string> missing;
      for (unsigned b = 0; b < p.group_words_ * 64; ++b)
        if (r.all_groups.test(b) && !sub.groups.test(b)) missing.push_back(p.group_names_[b]);
      return fmt::format("{} is not in {}", who, list_text(missing));
    }
    case cond::roles:
      return fmt::format("{} {} any of the roles {}", who, held ? "holds" : "holds none of",
                         list_text(r.src->who.roles));
    case cond::claims: {
      std::vector<std::string> parts;
      for (const auto& c : r.claims) {
        std::string have;
        if (req.who != nullptr) {
          for (const auto& [n, v] : req.who->claims)
            if (n == c.name) have += fmt::format("{}{}", have.empty() ? "" : ",", v);
        }
        parts.push_back(fmt::format("claim {}={} (wanted one of {})", c.name,
                                    have.empty() ? "(absent)" : have, list_text(c.values)));
      }
      std::string s;
      for (const auto& x : parts) s += (s.empty() ? "" : "; ") + x;
      return s;
    }
    case cond::device_known:
      if (device_id.empty()) return "the request names no device";
      return fmt::format("{} {} posture to mamori", dev_name,
                         dev != nullptr && dev->known ? "has reported" : "has never reported");
    case cond::device_managed:
      return dev_state(r.managed, device_flag(&device_posture::managed), "managed");
    case cond::device_compliant:
      return dev_state(r.compliant, device_flag(&device_posture::compliant), "compliant");
    case cond::device_encrypted:
      return dev_state(r.encrypted, device_flag(&device_posture::encrypted), "disk-encrypted");
    case cond::device_antivirus:
      return dev_state(r.antivirus, device_flag(&device_posture::antivirus), "running antivirus");
    case cond::device_isolated:
      if (dev != nullptr && dev->isolated) {
        return fmt::format("{} is isolated{}{}", dev_name,
                           dev->isolation_reason.empty() ? "" : ": ", dev->isolation_reason);
      }
      return fmt::format("{} is not isolated", dev_name);
    case cond::patch_age:
      if (dev == nullptr || !dev->known || dev->posture.patched_at == 0) {
        return fmt::format("{}: patch date unknown (max age {})", dev_name,
                           format_duration(r.max_patch_age));
      }
      return fmt::format("{} was patched {} ago ({} {})", dev_name,
                         format_duration(now - dev->posture.patched_at), held ? "max" : "more than",
                         format_duration(r.max_patch_age));
    case cond::last_seen:
      if (dev == nullptr || !dev->known || dev->posture.last_seen == 0) {
        return fmt::format("{}: never seen", dev_name);
      }
      return fmt::format("{} last reported {} ago ({} {})", dev_name,
                         format_duration(now - dev->posture.last_seen), held ? "max" : "more than",
                         format_duration(r.max_last_seen));
    case cond::forbidden_software: {
      if (dev == nullptr || !dev->known) {
        return fmt::format("{}: installed software unknown (forbidden: {})", dev_name,
                           list_text(r.forbidden));
      }
      std::vector<std::string> found;
      for (const auto& s : r.forbidden)
        if (dev->posture.has_software(s)) found.push_back(s);
      if (found.empty()) return fmt::format("{} has none of {}", dev_name, list_text(r.forbidden));
      return fmt::format("{} has forbidden software {}", dev_name, list_text(found));
    }
    case cond::country:
      if (country == 0) return "source country unknown";
      return fmt::format("source country {} is {}in {}", req.country, held ? "" : "not ",
                         list_text(r.src->source.countries));
    case cond::not_country:
      if (country == 0) return "source country unknown";
      return fmt::format(
          "source country {} is {}", req.country,
          held ? fmt::format("not in {}", list_text(r.src->source.not_countries))
               : fmt::format("excluded by {}", list_text(r.src->source.not_countries)));
    case cond::network:
    case cond::not_network: {
      if (!req.source_ip) return "source address unknown";
      const auto& named = k == cond::network ? r.src->source.networks : r.src->source.not_networks;
      std::vector<std::string> names;
      std::vector<std::string> inside;
      for (const auto& n : named) {
        names.push_back(n.name);
        for (const auto& pf : n.prefixes)
          if (pf.contains(*req.source_ip)) {
            inside.push_back(n.name);
            break;
          }
      }
      if (!inside.empty()) {
        return fmt::format("source {} is in {}", req.source_ip->to_string(), list_text(inside));
      }
      return fmt::format("source {} is outside {}", req.source_ip->to_string(), list_text(names));
    }
    case cond::hours:
    case cond::days: {
      int minute = 0, wd = 0;
      local_time(r, minute, wd);
      const std::string zone = r.tz ? r.tz->name() : "UTC";
      if (k == cond::days) {
        return fmt::format("{} ({}) is {}an allowed day", day_name(wd), zone, held ? "" : "not ");
      }
      std::vector<std::string> ranges;
      for (const auto& h : r.hours) ranges.push_back(h.text);
      return fmt::format("local time {:02}:{:02} ({}) is {} {}", minute / 60, minute % 60, zone,
                         held ? "within" : "outside", list_text(ranges));
    }
    case cond::user_risk_max:
      return fmt::format("user risk {} is {} {}", risk_text(user_risk),
                         held ? "below the maximum" : "at or above the maximum",
                         risk_text(r.user_max));
    case cond::user_risk_min:
      return fmt::format("user risk {} is {} {}{}", risk_text(user_risk),
                         held ? "at or above" : "below", risk_text(r.user_min),
                         held && user != nullptr && !user->risk.reason.empty()
                             ? fmt::format(" ({})", user->risk.reason)
                             : std::string());
    case cond::device_risk_max:
      return fmt::format("device risk {} is {} {}", risk_text(device_risk),
                         held ? "below the maximum" : "at or above the maximum",
                         risk_text(r.device_max));
    case cond::device_risk_min:
      return fmt::format("device risk {} is {} {}{}", risk_text(device_risk),
                         held ? "at or above" : "below", risk_text(r.device_min),
                         held && dev != nullptr && !dev->risk.reason.empty()
                             ? fmt::format(" ({})", dev->risk.reason)
                             : std::string());
    case cond::mfa:
      if (req.who == nullptr) return "no sign-in (MFA unknown)";
      return req.who->mfa ? std::string("signed in with MFA")
                          : std::string("signed in without MFA");
    case cond::auth_age: {
      const std::int64_t age = auth_age();
      if (age < 0) return "authentication time unknown";
      return fmt::format("authenticated {} ago ({} {})", format_duration(age),
                         held ? "max" : "more than", format_duration(r.max_auth_age));
    }
    case cond::auth_method: {
      std::vector<std::string> have =
          req.who != nullptr ? req.who->methods : std::vector<std::string>{};
      return fmt::format("sign-in methods {} {} {}", list_text(have),
                         held ? "include one of" : "include none of",
                         list_text(r.src->how.methods));
    }
  }
  return "";
}

result<std::shared_ptr<const compiled_policy>> compiled_policy::compile(policy p,
                                                                        std::uint64_t generation) {
  auto cp = std::make_shared<compiled_policy>();
  cp->src_ = std::move(p);
  cp->generation_ = generation;
  const policy& src = cp->src_;

  auto group_id = [&](const std::string& name) -> result<std::uint32_t> {
    auto it = cp->group_ids_.find(name);
    if (it != cp->group_ids_.end()) return it->second;
    if (cp->group_names_.size() >= group_bits::max_bits) {
      return fail(fmt::format("more than {} distinct groups", group_bits::max_bits));
    }
    const auto id = static_cast<std::uint32_t>(cp->group_names_.size());
    cp->group_names_.push_back(name);
    cp->group_ids_.emplace(name, id);
    return id;
  };
  auto role_id = [&](const std::string& name) -> result<std::uint32_t> {
    auto it = cp->role_ids_.find(name);
    if (it != cp->role_ids_.end()) return it->second;
    if (cp->role_ids_.size() >= group_bits::max_bits) {
      return fail(fmt::format("more than {} distinct roles", group_bits::max_bits));
    }
    const auto id = static_cast<std::uint32_t>(cp->role_ids_.size());
    cp->role_ids_.emplace(name, id);
    return id;
  };
  auto user_id = [&](const std::string& name) -> std::uint32_t {
    auto it = cp->user_ids_.find(name);
    if (it != cp->user_ids_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(cp->user_names_.size());
    cp->user_names_.push_back(name);
    cp->user_ids_.emplace(name, id);
    cp->static_groups_.emplace_back();
    return id;
  };

  for (const auto& g : src.groups) {
    const std::uint32_t gid = MAMORI_TRY(group_id(g.name));
    for (const auto& m : g.members) {
      const std::uint32_t uid = user_id(m);
      cp->static_groups_[uid].set(gid);
    }
  }

  std::unordered_map<std::string, std::shared_ptr<const time_zone>> zones;
  auto zone = [&](const std::string& name) -> result<std::shared_ptr<const time_zone>> {
    auto it = zones.find(name);
    if (it != zones.end()) return it->second;
    auto tz = MAMORI_TRY(time_zone::load(name));
    zones.emplace(name, tz);
    return tz;
  };

  auto compile_rule = [&](const rule& r, std::int32_t app) -> result<std::int32_t> {
    compiled_rule c;
    c.src = &r;
    c.index = static_cast<std::int32_t>(cp->rules_.size());
    c.app = app;
    c.eff = r.eff;
    c.methods = r.methods;
    c.needs_identity = r.eff != effect::deny && !r.is_public;
    for (const auto& u : r.who.users) c.users.push_back(user_id(u));
    std::sort(c.users.begin(), c.users.end());
    for (const auto& g : r.who.groups) {
      c.groups.set(MAMORI_TRY(group_id(g)));
      c.has_groups = true;
    }
    for (const auto& g : r.who.all_groups) {
      c.all_groups.set(MAMORI_TRY(group_id(g)));
      c.has_all_groups = true;
    }
    for (const auto& g : r.who.roles) {
      c.roles.set(MAMORI_TRY(role_id(g)));
      c.has_roles = true;
    }
    c.claims = r.who.claims;
    c.mfa = r.how.mfa;
    c.max_auth_age = r.how.max_auth_age.value_or(-1);
    for (const auto& m : r.how.methods) {
      auto it = cp->method_ids_.find(m);
      unsigned bit = 0;
      if (it == cp->method_ids_.end()) {
        if (cp->method_ids_.size() >= 64) return fail("more than 64 distinct sign-in methods");
        bit = static_cast<unsigned>(cp->method_ids_.size());
        cp->method_ids_.emplace(m, bit);
      } else {
        bit = it->second;
      }
      c.method_mask |= std::uint64_t{1} << bit;
    }
    const auto& d = r.device;
    c.has_device = !d.empty();
    c.known = d.known;
    c.managed = d.managed;
    c.compliant = d.compliant;
    c.encrypted = d.encrypted;
    c.antivirus = d.antivirus;
    c.isolated = d.isolated;
    c.max_patch_age = d.max_patch_age.value_or(-1);
    c.max_last_seen = d.max_last_seen.value_or(-1);
    c.forbidden = d.forbidden_software;
    c.has_where = !r.source.empty();
    for (const auto& cc : r.source.countries) c.countries.push_back(country_code(cc));
    for (const auto& cc : r.source.not_countries) c.not_countries.push_back(country_code(cc));
    std::sort(c.countries.begin(), c.countries.end());
    std::sort(c.not_countries.begin(), c.not_countries.end());
    for (const auto& n : r.source.networks)
      c.networks.insert(c.networks.end(), n.prefixes.begin(), n.prefixes.end());
    for (const auto& n : r.source.not_networks)
      c.not_networks.insert(c.not_networks.end(), n.prefixes.begin(), n.prefixes.end());
    c.has_when = !r.when.empty();
    c.hours = r.when.hours;
    c.days = r.when.days;
    if (c.has_when) {
      c.tz = MAMORI_TRY(zone(r.when.timezone.empty() ? src.defaults.timezone : r.when.timezone));
    }
    c.has_risk = !r.risk.empty();
    c.user_max = r.risk.user_max.value_or(-1);
    c.user_min = r.risk.user_min.value_or(-1);
    c.device_max = r.risk.device_max.value_or(-1);
    c.device_min = r.risk.device_min.value_or(-1);
    if (c.has_risk) cp->uses_risk_ = true;
    cp->rules_.push_back(std::move(c));
    return cp->rules_.back().index;
  };

  std::vector<std::int32_t> globals;
  for (const auto& r : src.global_rules) globals.push_back(MAMORI_TRY(compile_rule(r, -1)));

  for (std::size_t a = 0; a < src.applications.size(); ++a) {
    const application& app = src.applications[a];
    compiled_application ca;
    ca.src = &app;
    ca.index = static_cast<std::int32_t>(a);
    std::vector<std::int32_t> order = globals;
    for (const auto& r : app.rules) order.push_back(MAMORI_TRY(compile_rule(r, ca.index)));
    if (order.size() > compiled_application::max_rules) {
      return fail(fmt::format("application '{}' has {} rules (global ones included); at most {}",
                              app.name, order.size(), compiled_application::max_rules));
    }
    std::stable_sort(order.begin(), order.end(), [&](std::int32_t x, std::int32_t y) {
      return cp->rules_[static_cast<std::size_t>(x)].eff <
             cp->rules_[static_cast<std::size_t>(y)].eff;
    });
    ca.rules = order;
    ca.nwords = static_cast<unsigned>((order.size() + 63) / 64);
    for (std::size_t k = 0; k < order.size(); ++k) {
      const rule& r = *cp->rules_[static_cast<std::size_t>(order[k])].src;
      const std::uint64_t bit = std::uint64_t{1} << (k % 64);
      if (r.paths.empty()) {
        ca.unscoped[k / 64] |= bit;
        continue;
      }
      for (const auto& pp : r.paths) {
        if (!pp.is_prefix) {
          ca.exact_routes[pp.prefix][k / 64] |= bit;
          continue;
        }
        auto it = std::find_if(ca.prefix_routes.begin(), ca.prefix_routes.end(),
                               [&](const auto& pr) { return pr.first == pp.prefix; });
        if (it == ca.prefix_routes.end()) {
          ca.prefix_routes.emplace_back(pp.prefix, compiled_application::mask{});
          it = ca.prefix_routes.end() - 1;
        }
        it->second[k / 64] |= bit;
      }
    }
    std::sort(ca.prefix_routes.begin(), ca.prefix_routes.end(),
              [](const auto& x, const auto& y) { return x.first.size() > y.first.size(); });
    for (const auto& h : app.hosts) {
      if (h == "*") {
        cp->catch_all_ = ca.index;
      } else {
        if (h.starts_with("*.")) cp->has_wildcards_ = true;
        cp->hosts_.emplace(h, ca.index);
      }
    }
    cp->apps_.push_back(std::move(ca));
  }
  cp->group_words_ = static_cast<unsigned>((cp->group_names_.size() + 63) / 64);
  cp->role_words_ = static_cast<unsigned>((cp->role_ids_.size() + 63) / 64);
  return std::shared_ptr<const compiled_policy>(std::move(cp));
}

std::int32_t compiled_policy::find_application(std::string_view host) const {
  char buf[256];
  std::size_t n = 0;
  std::size_t i = 0;
  if (!host.empty() && host[0] == '[') {  // IPv6 literal: keep the brackets, drop the port
    const auto close = host.find(']');
    host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // FQDN form
  if (host.size() + 1 >= sizeof buf) return catch_all_;
  buf[0] = '*';
  for (i = 0; i < host.size(); ++i) {
    const char c = host[i];
    buf[1 + i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  }
  n = host.size();
  const std::string_view lowered(buf + 1, n);
  if (auto it = hosts_.find(lowered); it != hosts_.end()) return it->second;
  if (has_wildcards_) {
    // "*.a.example.com", then "*.example.com", ...
    for (std::size_t dot = lowered.find('.'); dot != std::string_view::npos;
         dot = lowered.find('.', dot + 1)) {
      // buf[dot] is the character before lowered[dot] (= '.'): "*" + ".example.com".
      const char saved = buf[dot];
      buf[dot] = '*';
      auto it = hosts_.find(std::string_view(buf + dot, n - dot + 1));
      buf[dot] = saved;
      if (it != hosts_.end()) return it->second;
    }
  }
  return catch_all_;
}

subject compiled_policy::resolve(const principal* who) const {
  subject s;
  if (who == nullptr) return s;
  s.authenticated = true;
  if (auto it = user_ids_.find(who->user); it != user_ids_.end()) {
    s.user_id = it->second;
    s.groups = static_groups_[it->second];
  }
  for (const auto& g : who->groups) {
    if (auto it = group_ids_.find(g); it != group_ids_.end()) s.groups.set(it->second);
  }
  for (const auto& r : who->roles) {
    if (auto it = role_ids_.find(r); it != role_ids_.end()) s.roles.set(it->second);
  }
  for (const auto& m : who->methods) {
    if (auto it = method_ids_.find(m); it != method_ids_.end())
      s.methods |= std::uint64_t{1} << it->second;
  }
  return s;
}

decision compiled_policy::decide(const access_request& r, const signals_snapshot& s) const {
  const subject sub = resolve(r.who);
  return decide(r, sub, s);
}

namespace {

compiled_application::mask candidates(const compiled_application& app, std::string_view path) {
  compiled_application::mask m = app.unscoped;
  if (auto it = app.exact_routes.find(path); it != app.exact_routes.end()) {
    for (unsigned w = 0; w < app.nwords; ++w) m[w] |= it->second[w];
  }
  for (const auto& [prefix, bits] : app.prefix_routes) {
    if (path.substr(0, prefix.size()) == prefix) {
      for (unsigned w = 0; w < app.nwords; ++w) m[w] |= bits[w];
    }
  }
  return m;
}

}  // namespace

decision compiled_policy::decide(const access_request& r, const subject& sub,
                                 const signals_snapshot& s) const {
  decision d;
  d.policy_generation = generation_;
  d.app = find_application(r.host);
  if (d.app < 0) {
    d.why = guard::no_application;
    return d;
  }
  eval_context c(*this, r, sub, s);
  if (c.session_revoked(nullptr)) {
    d.result = outcome::unauthenticated;
    d.why = guard::session_revoked;
    return d;
  }
  if (src_.defaults.deny_isolated_devices && c.dev != nullptr && c.dev->isolated) {
    d.why = guard::device_isolated;
    return d;
  }
  const compiled_application& app = apps_[static_cast<std::size_t>(d.app)];
  const compiled_application::mask m = candidates(app, r.path);
  std::int32_t step = -1;
  cond step_fail = cond::none;
  for (unsigned w = 0; w < app.nwords; ++w) {
    std::uint64_t bits = m[w];
    while (bits != 0) {
      const unsigned k = w * 64 + static_cast<unsigned>(std::countr_zero(bits));
      bits &= bits - 1;
      const compiled_rule& rule = rules_[static_cast<std::size_t>(app.rules[k])];
      if (rule.methods != 0 && (rule.methods & c.method_bit) == 0) continue;
      const rule_result res = c.check<false>(rule, nullptr);
      switch (rule.eff) {
        case effect::deny:
          if (res.matched) {
            d.rule = rule.index;
            return d;
          }
          break;
        case effect::step_up:
          if (!res.matched && res.how_only) {
            d.result = outcome::step_up;
            d.rule = rule.index;
            d.failed = res.first_fail;
            return d;
          }
          break;
        case effect::allow:
          if (res.matched) {
            d.result = outcome::allow;
            d.rule = rule.index;
            return d;
          }
          if (res.how_only) {
            if (step < 0) {
              step = rule.index;
              step_fail = res.first_fail;
            }
          } else if (d.closest < 0) {
            d.closest = rule.index;
            d.failed = res.first_fail;
          }
          break;
      }
    }
  }
  if (step >= 0) {
    d.result = outcome::step_up;
    d.rule = step;
    d.failed = step_fail;
    return d;
  }
  d.why = guard::default_deny;
  d.result = sub.authenticated ? outcome::deny : outcome::unauthenticated;
  return d;
}

std::string compiled_policy::reason(const decision& d, const access_request& r,
                                    const signals_snapshot& s) const {
  const subject sub = resolve(r.who);
  eval_context c(*this, r, sub, s);
  auto rule_name = [&](std::int32_t i) { return rules_[static_cast<std::size_t>(i)].src->name; };
  switch (d.why) {
    case guard::no_application:
      return fmt::format("no application serves host '{}' (default deny)", r.host);
    case guard::session_revoked: {
      std::string why;
      c.session_revoked(&why);
      return fmt::format("sign-in required: {}", why);
    }
    case guard::device_isolated:
      return fmt::format("device {} is isolated{}{}", c.device_id,
                         c.dev != nullptr && !c.dev->isolation_reason.empty() ? ": " : "",
                         c.dev != nullptr ? c.dev->isolation_reason : std::string());
    case guard::default_deny: {
      std::string s = r.who == nullptr ? "sign-in required: no rule allows anonymous access"
                                       : "no rule allows this request (default deny)";
      if (d.closest >= 0 && d.failed != cond::authenticated) {
        const compiled_rule& cr = rules_[static_cast<std::size_t>(d.closest)];
        s += fmt::format("; closest rule '{}': {}", cr.src->name, c.describe(cr, d.failed, false));
      }
      return s;
    }
    case guard::none:
      break;
  }
  const compiled_rule& cr = rules_[static_cast<std::size_t>(d.rule)];
  switch (d.result) {
    case outcome::allow:
      return fmt::format("allowed by rule '{}'", rule_name(d.rule));
    case outcome::step_up:
      return fmt::format("step-up required by rule '{}': {}", rule_name(d.rule),
                         c.describe(cr, d.failed, false));
    case outcome::deny: {
      // Say which conditions made the deny rule match.
      rule_trace t;
      c.check<true>(cr, &t);
      std::string facts;
      for (const auto& h : t.holds) {
        if (h.starts_with("signed in as")) continue;
        facts += (facts.empty() ? "" : "; ") + h;
      }
      return fmt::format("denied by rule '{}'{}{}", rule_name(d.rule), facts.empty() ? "" : ": ",
                         facts);
    }
    case outcome::unauthenticated:
      return "sign-in required";
  }
  return "";
}

explanation compiled_policy::explain(const access_request& r, const signals_snapshot& s) const {
  explanation e;
  const subject sub = resolve(r.who);
  e.d = decide(r, sub, s);
  e.reason = reason(e.d, r, s);
  eval_context c(*this, r, sub, s);
  // Facts.
  if (r.who == nullptr) {
    e.facts.push_back("subject: anonymous");
  } else {
    std::vector<std::string> groups;
    for (unsigned b = 0; b < group_words_ * 64; ++b)
      if (sub.groups.test(b)) groups.push_back(group_names_[b]);
    const std::int64_t age = c.auth_age();
    e.facts.push_back(fmt::format(
        "subject: {} (policy groups {}, roles {}, mfa {}, methods {}, authenticated {}{})",
        r.who->user, list_text(groups, 20), list_text(r.who->roles), r.who->mfa ? "yes" : "no",
        list_text(r.who->methods), age < 0 ? "at an unknown time" : format_duration(age),
        age < 0 ? "" : " ago"));
    if (c.user != nullptr) {
      e.facts.push_back(fmt::format(
          "user risk: {}{}", risk_text(c.user->risk.value_at(c.now, s.risk_half_life())),
          c.user->risk.reason.empty() ? "" : " (" + c.user->risk.reason + ")"));
    }
  }
  if (c.device_id.empty()) {
    e.facts.push_back("device: none named in the request");
  } else if (c.dev == nullptr) {
    e.facts.push_back(fmt::format("device: {} (unknown to mamori)", c.device_id));
  } else {
    const auto& p = c.dev->posture;
    e.facts.push_back(fmt::format(
        "device: {} (posture {}, managed {}, compliant {}, encrypted {}, antivirus {}, isolated "
        "{}, risk {})",
        c.device_id, c.dev->known ? "reported" : "not reported", p.managed ? "yes" : "no",
        p.compliant ? "yes" : "no", p.encrypted ? "yes" : "no", p.antivirus ? "yes" : "no",
        c.dev->isolated ? "yes" : "no",
        risk_text(c.dev->risk.value_at(c.now, s.risk_half_life()))));
  }
  e.facts.push_back(fmt::format("source: {}{}", r.source_ip ? r.source_ip->to_string() : "unknown",
                                r.country.empty() ? "" : fmt::format(" ({})", r.country)));
  e.facts.push_back(fmt::format("request: {} {}{} at {}", r.method, r.host, r.path,
                                timeparse::format_rfc3339(r.time_ns)));
  if (e.d.app < 0) return e;
  const compiled_application& app = apps_[static_cast<std::size_t>(e.d.app)];
  e.facts.push_back(fmt::format("application: {}", app.src->name));
  // Rules in declaration order: global first, then the application's.
  std::vector<std::int32_t> declared = app.rules;
  std::sort(declared.begin(), declared.end());
  const compiled_application::mask m = candidates(app, r.path);
  for (std::int32_t ri : declared) {
    const compiled_rule& rule = rules_[static_cast<std::size_t>(ri)];
    rule_trace t;
    t.rule = ri;
    const auto pos = static_cast<std::size_t>(std::find(app.rules.begin(), app.rules.end(), ri) -
                                              app.rules.begin());
    const bool path_ok = (m[pos / 64] >> (pos % 64)) & 1;
    const bool method_ok = rule.methods == 0 || (rule.methods & c.method_bit) != 0;
    t.in_scope = path_ok && method_ok;
    if (!path_ok) {
      std::vector<std::string> paths;
      for (const auto& pp : rule.src->paths) paths.push_back(pp.text);
      t.scope_note = fmt::format("path {} is not in {}", r.path, list_text(paths));
    } else if (!method_ok) {
      t.scope_note = fmt::format("method {} is not one of the rule's methods", r.method);
    }
    const rule_result res = c.check<true>(rule, &t);
    t.matched = res.matched;
    t.how_only = !res.matched && res.how_only;
    e.rules.push_back(std::move(t));
  }
  return e;
}

}  // namespace mamori::authz
