#pragma once
// Where the behavioural analytics (issue 4) plug into the hunt pipeline and the server.
// `mamori hunt --analytics none|default|FILE` calls make_analytics(); the detectors it
// returns run in the same pass as the Sigma rules (hunt_job::add_detector).
//
// Today this returns no detectors: the analytics land on their own branch and the lead
// connects them here (one function to fill in, no other wiring needed).

#include <memory>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/detect/detector.hpp"

namespace mamori {

struct analytics_options {
  std::string spec = "default";  // "none", "default", or a configuration file
  std::string state_dir;         // baselines kept between runs ("" = in memory only)
};

result<std::vector<std::unique_ptr<detector>>> make_analytics(const analytics_options& options,
                                                              diagnostics& diag);

}  // namespace mamori
