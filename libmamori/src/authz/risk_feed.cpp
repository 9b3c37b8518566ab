#include "mamori/authz/risk_feed.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

namespace mamori::authz {

double risk_weights::of(ocsf::severity_id s) const {
  switch (s) {
    case ocsf::severity_id::low:
      return low;
    case ocsf::severity_id::medium:
      return medium;
    case ocsf::severity_id::high:
      return high;
    case ocsf::severity_id::critical:
    case ocsf::severity_id::fatal:
      return critical;
    default:
      return informational;
  }
}

finding_risk_feed::finding_risk_feed(signal_store& store, risk_weights w, clock now)
    : store_(store), w_(w), now_(std::move(now)) {
  if (!now_) {
    now_ = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

void finding_risk_feed::emit(finding f) {
  double delta = w_.of(f.severity);
  if (delta <= 0 || (f.user.empty() && f.host.empty())) return;
  const std::int64_t now = now_();
  const std::int64_t at = f.time_ns != 0 ? f.time_ns / 1'000'000'000 : now;
  const std::int64_t half_life = store_.snapshot()->risk_half_life();
  if (at < now && half_life > 0) {
    delta *= std::exp2(-static_cast<double>(now - at) / static_cast<double>(half_life));
  }
  const std::string reason = fmt::format("{} ({})", f.rule_name.empty() ? f.rule_uid : f.rule_name,
                                         f.level.empty() ? "finding" : f.level);
  auto tx = store_.begin();
  if (!f.user.empty()) tx.add_user_risk(f.user, delta, reason, now);
  if (!f.host.empty()) tx.add_device_risk(f.host, delta, reason, now);
  ++applied_;
}

}  // namespace mamori::authz
