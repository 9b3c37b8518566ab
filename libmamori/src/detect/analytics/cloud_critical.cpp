// mamori.root_activity: use of the AWS root user (userIdentity.type "Root", not on behalf of
// an AWS service) and of configured break-glass accounts.
// mamori.cloud_config_change: security-critical configuration changes in CloudTrail —
// trails stopped or deleted and other monitoring disabled, security groups opened to
// 0.0.0.0/0 or ::/0, buckets made public (ACL grants to AllUsers/AuthenticatedUsers, policies
// with Principal "*", public access blocks removed or weakened), snapshots/images shared with
// everyone, IAM policy changes. docs/analytics.md#root-and-critical-cloud-changes

#include <fmt/format.h>

#include <set>
#include <unordered_map>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"

namespace mamori::analytics {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class dedupe {
 public:
  // True the first time a key is seen within `window` of event time.
  bool first(const std::string& key, std::int64_t t, std::int64_t window) {
    auto [it, inserted] = seen_.emplace(key, t);
    if (inserted) return true;
    if (t - it->second >= window) {
      it->second = t;
      return true;
    }
    return false;
  }
  void sweep(std::int64_t now, std::int64_t window) {
    for (auto it = seen_.begin(); it != seen_.end();) {
      if (now - it->second > window) {
        it = seen_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  std::unordered_map<std::string, std::int64_t> seen_;
};

class root_activity final : public analytic {
 public:
  root_activity(ctx_ptr ctx, const cloud_critical_params& p)
      : analytic(std::move(ctx), "mamori.root_activity", "Root or break-glass account used"),
        p_(p) {
    for (const auto& b : p.break_glass) break_glass_.insert(lower(b));
  }

  std::uint32_t wants() const override {
    return want(obs_kind::sign_in) | want(obs_kind::api_call) | want(obs_kind::file_op);
  }

  void on_observation(const observation& o, user_profile& prof, finding_sink& out) override {
    const bool root = p_.root && o.is_root;
    const bool glass = !root && break_glass_.count(o.user_key) > 0;
    if (!root && !glass) return;
    // Failed API calls of root are noise; failed root sign-ins are worth a look.
    if (o.status == ocsf::status_id::failure && o.kind != obs_kind::sign_in) return;
    const std::string action = o.kind == obs_kind::sign_in ? "sign-in" : std::string(o.operation);
    if (!seen_.first(fmt::format("{}|{}|{}|{}", o.cloud_account, o.user_key, action, o.ip),
                     o.time_ns, p_.dedupe)) {
      return;
    }
    finding f = make_finding(o, p_.root_level);
    const std::string who = root ? fmt::format("The AWS root user of account {}",
                                               o.cloud_account.empty() ? "?" : o.cloud_account)
                                 : fmt::format("Break-glass account {}", o.user);
    std::string what;
    if (o.kind == obs_kind::sign_in) {
      what = o.status == ocsf::status_id::failure ? "failed to sign in" : "signed in";
    } else {
      what = fmt::format("called {} {}", o.service, o.operation);
    }
    f.explanation = fmt::format(
        "{} {} at {} from {}{}{}; {} events of this account in the baseline since {}.{}", who, what,
        date_time(o.time_ns), o.ip.empty() ? std::string("an unknown source") : o.ip,
        o.country.empty() ? std::string() : " in " + place(o.city, o.country, o.asn, ""),
        o.user_agent.empty() ? std::string()
                             : fmt::format(" with \"{}\"", o.user_agent.substr(0, 120)),
        prof.sign_ins + prof.api_calls, date_time(prof.first_seen).substr(0, 10),
        geo_footer(o.geo_provider));
    json_object ev;
    ev.str("analytic", uid())
        .boolean("root", root)
        .boolean("break_glass", glass)
        .str("account", o.cloud_account)
        .str("action", action)
        .integer("baseline_events", prof.sign_ins + prof.api_calls)
        .raw("events", "[" + ref_json(o.ref) + "]");
    f.evidence_json = ev.done();
    if (!o.event_json.empty()) f.evidences.push_back(o.event_json);
    f.matched.push_back({"identity", "userIdentity.type", root ? "Root" : o.user});
    f.attacks = {"T1078.004"};
    emit(out, std::move(f));
  }

  void on_time(std::int64_t now, finding_sink&) override {
    if (now - last_sweep_ < p_.dedupe) return;
    last_sweep_ = now;
    seen_.sweep(now, p_.dedupe);
  }

 private:
  cloud_critical_params p_;
  std::set<std::string> break_glass_;
  dedupe seen_;
  std::int64_t last_sweep_ = 0;
};

class critical_change final : public analytic {
 public:
  critical_change(ctx_ptr ctx, const cloud_critical_params& p)
      : analytic(std::move(ctx), "mamori.cloud_config_change",
                 "Security-critical cloud configuration change"),
        p_(p) {}

  std::uint32_t wants() const override {
    return want(obs_kind::api_call) | want(obs_kind::file_op);
  }

  void on_observation(const observation& o, user_profile& prof, finding_sink& out) override {
    if (o.critical.empty()) return;
    if (!seen_.first(o.user_key + "|" + o.critical + (o.critical_failed ? "|failed" : ""),
                     o.time_ns, p_.dedupe)) {
      return;
    }
    const bool high = o.critical_high;
    std::string level = o.critical_kind == "iam" && !high ? p_.iam_level : p_.change_level;
    if (o.critical_failed) level = p_.attempt_level;
    finding f = make_finding(o, level);
    f.explanation = fmt::format(
        "{} {} a security-critical change in AWS account {} at {} from {}: {}{}; the account "
        "made {} administrative operations in its baseline.",
        o.user, o.critical_failed ? "attempted" : "made",
        o.cloud_account.empty() ? "?" : o.cloud_account, date_time(o.time_ns),
        o.ip.empty() ? std::string("an unknown source") : o.ip, o.critical,
        o.critical_failed ? fmt::format(" (failed: {})", o.critical_error) : std::string(),
        prof.admin_ops);
    json_object ev;
    ev.str("analytic", uid())
        .str("change", o.critical)
        .str("kind", o.critical_kind)
        .str("operation", o.operation)
        .str("service", o.service)
        .boolean("high", high)
        .boolean("failed", o.critical_failed)
        .str("error", o.critical_error)
        .integer("user_admin_operations", prof.admin_ops)
        .raw("events", "[" + ref_json(o.ref) + "]");
    f.evidence_json = ev.done();
    if (!o.event_json.empty()) f.evidences.push_back(o.event_json);
    f.matched.push_back({std::string(o.critical_kind), "eventName", std::string(o.operation)});
    if (o.critical_kind == "logging") {
      f.attacks = {"T1562.008"};
    } else if (o.critical_kind == "network") {
      f.attacks = {"T1562.007"};
    } else if (o.critical_kind == "storage") {
      f.attacks = {"T1530"};
    } else {
      f.attacks = {"T1098"};
    }
    emit(out, std::move(f));
  }

  void on_time(std::int64_t now, finding_sink&) override {
    if (now - last_sweep_ < p_.dedupe) return;
    last_sweep_ = now;
    seen_.sweep(now, p_.dedupe);
  }

 private:
  cloud_critical_params p_;
  dedupe seen_;
  std::int64_t last_sweep_ = 0;
};

}  // namespace

std::unique_ptr<analytic> make_root_activity(ctx_ptr ctx, const cloud_critical_params& p) {
  return std::make_unique<root_activity>(std::move(ctx), p);
}

std::unique_ptr<analytic> make_cloud_config_change(ctx_ptr ctx, const cloud_critical_params& p) {
  return std::make_unique<critical_change>(std::move(ctx), p);
}

}  // namespace mamori::analytics
