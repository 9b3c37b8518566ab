#pragma once
// Where the behavioural analytics (issue 4) plug into the hunt pipeline and the server.
// `mamori hunt --analytics none|default|FILE` calls make_analytics(); its enrichers run on
// every batch before any detector (parse_job::add_enricher) and its detectors run in the same
// pass as the Sigma rules (hunt_job). Configuration: docs/analytics.md.

#include <memory>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/detect/detector.hpp"
#include "mamori/enrich/enricher.hpp"

namespace mamori {

struct analytics_options {
  std::string spec = "default";  // "none", "default", or a configuration file
  std::string state_dir;         // baselines kept between runs ("" = in memory only)
};

struct analytics_setup {
  std::vector<std::unique_ptr<enricher>> enrichers;  // geo, ASN, IP lists, user agents
  std::vector<std::unique_ptr<detector>> detectors;  // one per enabled analytic
  std::vector<std::string> notes;                    // what each enricher loaded, or why not
};

// Fails for an unreadable or invalid configuration file; missing enrichment data (no GeoIP
// database) is a warning on `diag` and a note, never a failure.
result<analytics_setup> make_analytics(const analytics_options& options, diagnostics& diag);

}  // namespace mamori
