#pragma once
// The hunt pipeline: inputs → decoders (parse_job) → detectors (Sigma rules, correlations,
// analytics) in one pass → findings. Used by `mamori hunt`, and by the server's file ingest.
// Extra detectors (the behavioural analytics of make_analytics(), or any other) are added
// with add_detector() and see the same batches after the Sigma engine.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/detect/analytics/analytics.hpp"
#include "mamori/detect/detector.hpp"
#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace mamori {

// `mamori hunt --analytics none|default|FILE --state DIR` (docs/analytics.md).
struct analytics_options {
  std::string spec = "default";  // "none", "default", or a configuration file
  std::string state_dir;         // baselines kept between runs ("" = in memory only)
};

struct hunt_options {
  parse_options parse;
  sigma::sigma_options sigma;
  analytics_options analytics;
  bool sigma_enabled = true;  // false: analytics only
};

struct hunt_stats {
  parse_stats parse;
  std::uint64_t findings = 0;
  std::map<std::string, std::uint64_t> findings_by_level;
  std::map<std::string, std::uint64_t> findings_by_source;  // sigma, correlation, analytics
  std::size_t rules_loaded = 0;
  std::size_t rules_unsupported = 0;
  std::size_t rules_invalid = 0;
  double load_ms = 0;     // reading and compiling the rules
  double compile_ms = 0;  // compiling alone
  double seconds = 0;     // decoding + detection
  double events_per_second = 0;
  std::size_t detectors = 0;
  sigma::sigma_detector_stats sigma;

  std::string to_json() const;
};

class hunt_job {
 public:
  // Loads the rules and the analytics; fails only for unusable configuration (unreadable
  // pipeline, placeholder or analytics file). Rule problems are in rules_report().
  static result<std::unique_ptr<hunt_job>> create(const decoder_registry& registry,
                                                   hunt_options options, diagnostics& diag);

  const sigma::load_report& rules_report() const { return report_; }
  std::shared_ptr<const sigma::compiled_ruleset> ruleset() const { return rules_; }

  void add_detector(std::unique_ptr<detector> d);

  // What the analytics' enrichers loaded (GeoIP, ASN, IP lists, user agents), one line each.
  const std::vector<std::string>& enrichment_notes() const { return enrichment_notes_; }

  // Decodes every file and runs every detector over it; findings go to `out`.
  hunt_stats run(const std::vector<std::string>& files, finding_sink& out);

 private:
  hunt_job(const decoder_registry& registry, hunt_options options, diagnostics& diag)
      : registry_(registry), options_(std::move(options)), diag_(diag) {}

  const decoder_registry& registry_;
  hunt_options options_;
  diagnostics& diag_;
  sigma::load_report report_;
  std::shared_ptr<const sigma::compiled_ruleset> rules_;
  sigma::sigma_detector* sigma_ = nullptr;  // owned by detectors_
  std::vector<std::unique_ptr<enricher>> enrichers_;  // run on every batch before detectors
  std::vector<std::string> enrichment_notes_;
  std::vector<std::unique_ptr<detector>> detectors_;
};

std::vector<std::string> decoder_names(const decoder_registry& registry);

}  // namespace mamori
