#pragma once
// Findings raise risk: a finding_sink that adds to the user's and the device's risk score
// by the finding's severity, decayed from the finding's time (an old finding counts less),
// so `risk:` conditions react to what detection sees. Mount it wherever findings flow
// (the hunt pipeline, `mamori serve`): one writer transaction per finding.

#include <cstdint>
#include <functional>

#include "mamori/authz/signals.hpp"
#include "mamori/detect/finding.hpp"

namespace mamori::authz {

struct risk_weights {
  double informational = 0;
  double low = 5;
  double medium = 15;
  double high = 35;
  double critical = 60;
  double of(ocsf::severity_id s) const;
};

class finding_risk_feed final : public finding_sink {
 public:
  using clock = std::function<std::int64_t()>;  // UTC seconds; injectable for tests
  explicit finding_risk_feed(signal_store& store, risk_weights w = {}, clock now = {});
  void emit(finding f) override;
  std::uint64_t applied() const { return applied_; }

 private:
  signal_store& store_;
  risk_weights w_;
  clock now_;
  std::uint64_t applied_ = 0;
};

}  // namespace mamori::authz
