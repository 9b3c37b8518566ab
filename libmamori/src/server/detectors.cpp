// Which detectors `mamori serve` runs. The Sigma engine (branch sigma, hunt_job) and the
// behavioural analytics (branch analytics, make_analytics) plug in here when they are merged:
// the server feeds the same detector interface with the same batches as `mamori hunt`, and
// their state lives under DATA/state.
#include <fmt/format.h>

#include "mamori/server/server.hpp"

namespace mamori::server {

result<std::vector<std::unique_ptr<detector>>> make_server_detectors(const server_config& config,
                                                                     diagnostics& diag) {
  std::vector<std::unique_ptr<detector>> out;
  if (!config.rules.empty()) {
    diag.report(severity_level::warning, {"config", 0, 0},
                "detection.rules is set but this build has no Sigma engine; rules are not loaded",
                "build with the Sigma engine (issue 3)");
  }
  return out;
}

}  // namespace mamori::server
