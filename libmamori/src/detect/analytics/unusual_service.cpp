// mamori.unusual_service: an account calls a service it never used (an account that only
// ever used S3 calls IAM or EC2), or performs its first administrative operation (a write on
// an identity, key, audit or guardrail service), after its baseline is past the learning
// period and holds enough API calls. docs/analytics.md#unusual-service

#include <fmt/format.h>

#include <set>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"

namespace mamori::analytics {

namespace {

class unusual_service final : public analytic {
 public:
  unusual_service(ctx_ptr ctx, const unusual_service_params& p)
      : analytic(std::move(ctx), "mamori.unusual_service",
                 "Unusual service or administrative operation for the account"),
        p_(p) {}

  std::uint32_t wants() const override {
    return want(obs_kind::api_call) | want(obs_kind::file_op);
  }

  void on_observation(const observation& o, user_profile& prof, finding_sink& out) override {
    if (o.status == ocsf::status_id::failure || o.service.empty()) return;
    if (!ctx().user_mature(prof, o.time_ns) ||
        prof.api_calls < static_cast<std::uint32_t>(p_.min_user_events)) {
      return;
    }
    string_pool& pool = ctx().pool();
    const bool new_service = prof.services.count(pool.intern(o.service)) == 0;
    const bool first_admin = o.admin_op && prof.admin_ops == 0;
    if (!new_service && !first_admin) return;
    if (!alerted_.insert(fmt::format("{}|{}{}", o.user_key, o.service, first_admin ? "|admin" : ""))
             .second) {
      return;
    }
    std::string usual;
    for (std::uint8_t k = 0; k < prof.services.size && k < 6; ++k) {
      if (!usual.empty()) usual += ", ";
      usual += fmt::format("{} ×{}", pool.get(prof.services.keys[k]), prof.services.counts[k]);
    }
    finding f = make_finding(o, first_admin ? p_.admin_level : p_.level);
    std::string what;
    if (new_service && first_admin) {
      what = fmt::format(
          "called {} {}, a service it never used, and its first administrative "
          "operation",
          o.service, o.operation);
    } else if (new_service) {
      what = fmt::format("called {} {}, a service it never used", o.service, o.operation);
    } else {
      what = fmt::format("performed its first administrative operation, {} {}", o.service,
                         o.operation);
    }
    f.explanation = fmt::format(
        "{} {} at {} from {}; its {} earlier API calls since {} used: {} ({} administrative).",
        o.user, what, date_time(o.time_ns), o.ip.empty() ? std::string("an unknown source") : o.ip,
        prof.api_calls, date_time(prof.first_seen).substr(0, 10), usual, prof.admin_ops);
    json_object ev;
    ev.str("analytic", uid())
        .str("service", o.service)
        .str("operation", o.operation)
        .boolean("new_service", new_service)
        .boolean("first_admin_operation", first_admin)
        .str("known_services", usual)
        .integer("user_api_calls", prof.api_calls)
        .integer("user_admin_operations", prof.admin_ops)
        .raw("events", "[" + ref_json(o.ref) + "]");
    f.evidence_json = ev.done();
    f.matched.push_back({"service", "api.service.name", std::string(o.service)});
    f.matched.push_back({"operation", "api.operation", std::string(o.operation)});
    f.attacks = {"T1078.004"};
    emit(out, std::move(f));
  }

 private:
  unusual_service_params p_;
  std::set<std::string> alerted_;
};

}  // namespace

std::unique_ptr<analytic> make_unusual_service(ctx_ptr ctx, const unusual_service_params& p) {
  return std::make_unique<unusual_service>(std::move(ctx), p);
}

}  // namespace mamori::analytics
