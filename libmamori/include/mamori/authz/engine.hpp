#pragma once
// The decision point: a policy compiled into a structure indexed by application (host) and
// route (path), group and role membership as bitsets, rules pre-sorted by precedence; a
// decision is a hash lookup for the application, a few mask operations for the route, then
// the candidate rules' conditions against the request, the subject and the live signals.
//
// Precedence (docs/authz.md): built-in guards (unknown application → deny, revoked session
// → unauthenticated, isolated device → deny), then deny rules, then step_up rules, then
// allow rules; an allow rule that fails only on `how` (MFA, authentication age, method)
// turns the outcome into step_up; nothing matched → deny (unauthenticated when anonymous).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mamori/authz/address.hpp"
#include "mamori/authz/policy.hpp"
#include "mamori/authz/signals.hpp"
#include "mamori/authz/timezone.hpp"
#include "mamori/core/result.hpp"

namespace mamori::authz {

// Who made the request (the principal), as established by the identity layer (OIDC token,
// session cookie).
struct principal {
  std::string user;
  std::string email;
  std::vector<std::string> groups;
  std::vector<std::string> roles;
  // Token claims flattened to dotted paths; array elements repeat the name.
  std::vector<std::pair<std::string, std::string>> claims;
  bool mfa = false;
  std::vector<std::string> methods;  // amr values, lower case (pwd, otp, hwk, mfa, ...)
  std::int64_t auth_time = 0;        // UTC seconds when the user authenticated, 0 = unknown
  std::int64_t issued_at = 0;        // UTC seconds the credential was issued
  std::int64_t expires_at = 0;
  std::string session_id;
  std::string issuer;
  std::string device_id;  // when the credential names the device
};

struct access_request {
  std::string_view host;    // as received; port and case are ignored
  std::string_view path;    // normalised (normalize_path)
  std::string_view method;  // GET, POST, ...
  std::string_view device_id;
  std::optional<ip_address> source_ip;
  std::string_view country;        // ISO alpha-2 (upper case) when known
  std::int64_t time_ns = 0;        // UTC
  const principal* who = nullptr;  // nullptr = anonymous
};

enum class outcome : std::uint8_t { allow, deny, step_up, unauthenticated };
std::string_view outcome_name(outcome o);

// Why an outcome was reached when no rule decided it.
enum class guard : std::uint8_t {
  none,            // a rule decided
  no_application,  // no application serves the host
  session_revoked,
  device_isolated,
  default_deny,  // no rule allowed
};

// One condition of a rule; used for explanations and reasons.
enum class cond : std::uint8_t {
  none,
  authenticated,
  user,
  groups,
  all_groups,
  roles,
  claims,
  device_known,
  device_managed,
  device_compliant,
  device_encrypted,
  device_antivirus,
  device_isolated,
  patch_age,
  last_seen,
  forbidden_software,
  country,
  not_country,
  network,
  not_network,
  hours,
  days,
  user_risk_max,
  user_risk_min,
  device_risk_max,
  device_risk_min,
  mfa,  // the `how` conditions come last: failing only these means step-up
  auth_age,
  auth_method,
};
inline bool is_how(cond c) {
  return c >= cond::mfa;
}

struct decision {
  outcome result = outcome::deny;
  guard why = guard::none;
  std::int32_t app = -1;      // application index, -1 when none
  std::int32_t rule = -1;     // deciding rule (compiled index), -1 for guards/default
  cond failed = cond::none;   // step_up/default deny: the (first) failing condition
  std::int32_t closest = -1;  // default deny: first in-scope allow rule, for the reason
  std::uint64_t policy_generation = 0;
};

// 1024 groups (or roles) referenced by one policy at most.
struct group_bits {
  static constexpr unsigned max_bits = 1024;
  std::array<std::uint64_t, max_bits / 64> w{};
  void set(unsigned i) { w[i >> 6] |= std::uint64_t{1} << (i & 63); }
  bool test(unsigned i) const { return (w[i >> 6] >> (i & 63)) & 1; }
  bool intersects(const group_bits& o, unsigned nwords) const {
    for (unsigned k = 0; k < nwords; ++k)
      if (w[k] & o.w[k]) return true;
    return false;
  }
  bool contains_all(const group_bits& o, unsigned nwords) const {
    for (unsigned k = 0; k < nwords; ++k)
      if ((w[k] & o.w[k]) != o.w[k]) return false;
    return true;
  }
};

// The identity translated into the policy's ids: computed once per request.
struct subject {
  bool authenticated = false;
  std::uint32_t user_id = 0xffffffffu;  // policy user id, or none
  group_bits groups;
  group_bits roles;
  std::uint64_t methods = 0;  // amr values referenced by the policy
};

struct compiled_rule {
  const rule* src = nullptr;
  std::int32_t index = -1;
  std::int32_t app = -1;  // -1 for global rules
  effect eff = effect::deny;
  std::uint16_t methods = 0;
  bool needs_identity = true;        // allow/step_up rules that are not public
  std::vector<std::uint32_t> users;  // sorted policy user ids
  bool has_groups = false, has_all_groups = false, has_roles = false;
  group_bits groups, all_groups, roles;
  std::vector<claim_condition> claims;
  tri mfa = tri::any;
  std::int64_t max_auth_age = -1;
  std::uint64_t method_mask = 0;
  bool has_device = false;
  tri known = tri::any, managed = tri::any, compliant = tri::any, encrypted = tri::any,
      antivirus = tri::any, isolated = tri::any;
  std::int64_t max_patch_age = -1, max_last_seen = -1;
  std::vector<std::string> forbidden;
  bool has_where = false;
  std::vector<std::uint16_t> countries, not_countries;  // sorted
  std::vector<ip_prefix> networks, not_networks;
  bool has_when = false;
  std::vector<hour_range> hours;
  std::uint8_t days = 0x7f;
  std::shared_ptr<const time_zone> tz;
  bool has_risk = false;
  double user_max = -1, user_min = -1, device_max = -1, device_min = -1;  // -1 = unset
};

struct compiled_application {
  const application* src = nullptr;
  std::int32_t index = -1;
  std::vector<std::int32_t> rules;  // compiled rule indices, precedence order
  static constexpr unsigned max_rules = 512;
  using mask = std::array<std::uint64_t, max_rules / 64>;
  unsigned nwords = 0;
  mask unscoped{};  // rules without `paths`
  std::unordered_map<std::string, mask, detail::string_hash, std::equal_to<>> exact_routes;
  std::vector<std::pair<std::string, mask>> prefix_routes;  // longest first
};

// What `explain` reports for one rule.
struct rule_trace {
  std::int32_t rule = -1;
  bool in_scope = false;
  std::string scope_note;  // why the rule does not apply to this request
  bool matched = false;
  bool how_only = false;              // failed only on `how`: step-up would satisfy it
  std::vector<std::string> holds;     // conditions that held
  std::vector<std::string> failures;  // conditions that did not hold
};

struct explanation {
  decision d;
  std::string reason;
  std::vector<std::string> facts;  // what the decision saw: subject, device, source, time
  std::vector<rule_trace> rules;   // every rule of the application, in declaration order
};

class compiled_policy {
 public:
  // Compiles a loaded policy (time zones resolved, ids assigned, routes indexed).
  static result<std::shared_ptr<const compiled_policy>> compile(policy p,
                                                                std::uint64_t generation = 1);

  const policy& source() const { return src_; }
  std::uint64_t generation() const { return generation_; }

  subject resolve(const principal* who) const;
  decision decide(const access_request& r, const signals_snapshot& s) const;
  decision decide(const access_request& r, const subject& sub, const signals_snapshot& s) const;
  explanation explain(const access_request& r, const signals_snapshot& s) const;
  // One sentence for logs, headers and audit events.
  std::string reason(const decision& d, const access_request& r, const signals_snapshot& s) const;

  std::int32_t find_application(std::string_view host) const;
  const compiled_rule& rule_at(std::int32_t i) const { return rules_[static_cast<std::size_t>(i)]; }
  const compiled_application& app_at(std::int32_t i) const {
    return apps_[static_cast<std::size_t>(i)];
  }
  std::size_t rule_count() const { return rules_.size(); }
  std::size_t app_count() const { return apps_.size(); }
  std::string_view group_name(unsigned bit) const { return group_names_[bit]; }

 private:
  friend struct eval_context;
  policy src_;
  std::uint64_t generation_ = 0;
  std::vector<compiled_rule> rules_;
  std::vector<compiled_application> apps_;
  std::unordered_map<std::string, std::int32_t, detail::string_hash, std::equal_to<>> hosts_;
  std::int32_t catch_all_ = -1;  // application with host "*"
  bool has_wildcards_ = false;
  std::unordered_map<std::string, std::uint32_t, detail::string_hash, std::equal_to<>> group_ids_;
  std::vector<std::string> group_names_;
  std::unordered_map<std::string, std::uint32_t, detail::string_hash, std::equal_to<>> role_ids_;
  std::unordered_map<std::string, std::uint32_t, detail::string_hash, std::equal_to<>> user_ids_;
  std::vector<std::string> user_names_;
  std::vector<group_bits> static_groups_;  // by user id
  std::unordered_map<std::string, unsigned, detail::string_hash, std::equal_to<>> method_ids_;
  unsigned group_words_ = 0, role_words_ = 0;
  bool uses_risk_ = false;
};

// The current policy, swapped atomically on reload: a decision holds the policy it started
// with (shared_ptr), so a reload never drops or half-applies a request. Readers cache the
// pointer per thread (policy_reader) and reload only when the generation changed.
class policy_store {
 public:
  explicit policy_store(std::shared_ptr<const compiled_policy> p) : current_(std::move(p)) {
    generation_.store(current_.load()->generation(), std::memory_order_release);
  }
  std::shared_ptr<const compiled_policy> get() const { return current_.load(); }
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  void replace(std::shared_ptr<const compiled_policy> p) {
    const std::uint64_t g = p->generation();
    current_.store(std::move(p));
    generation_.store(g, std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const compiled_policy>> current_;
  std::atomic<std::uint64_t> generation_{0};
};

class policy_reader {
 public:
  explicit policy_reader(const policy_store& s) : store_(&s) {}
  const std::shared_ptr<const compiled_policy>& get() {
    const std::uint64_t g = store_->generation();
    if (!cached_ || g != seen_) {
      cached_ = store_->get();
      seen_ = cached_->generation();
    }
    return cached_;
  }

 private:
  const policy_store* store_;
  std::uint64_t seen_ = 0;
  std::shared_ptr<const compiled_policy> cached_;
};

}  // namespace mamori::authz
