#pragma once
// The Sigma engine as a detector: loads rules (reader → collector → compiler), then matches
// every event and turns matches and correlation hits into findings (OCSF Detection Finding,
// docs/findings.md). One detector per pipeline thread; the compiled ruleset is shared.

#include <memory>
#include <string>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/detect/detector.hpp"
#include "mamori/detect/sigma/compiler.hpp"
#include "mamori/detect/sigma/correlation.hpp"

namespace mamori::sigma {

struct sigma_options {
  std::vector<std::string> rule_paths;      // files or directories (recursive)
  std::vector<std::string> pipeline_files;  // extend/override the default pipeline
  bool default_pipeline = true;
  std::string placeholders_file;            // expand modifier values (YAML mapping)
  std::string min_level;                    // findings below are not emitted
  correlation_limits limits;
};

struct sigma_load {
  std::shared_ptr<const compiled_ruleset> rules;
  load_report report;
};

// Fails only for unusable configuration (a pipeline or placeholder file that cannot be
// read); every rule problem is in the report instead.
result<sigma_load> load_sigma(const sigma_options& options,
                              const std::vector<std::string>& decoder_names);

struct sigma_detector_stats {
  std::uint64_t events = 0;
  std::uint64_t matches = 0;
  std::uint64_t findings = 0;
  std::uint64_t rule_evaluations = 0;
  correlation_stats correlations;
};

class sigma_detector final : public detector {
 public:
  sigma_detector(std::shared_ptr<const compiled_ruleset> rules,
                 std::vector<std::string> decoder_names, correlation_limits limits = {});
  ~sigma_detector() override;

  std::string_view name() const override { return "sigma"; }
  void observe(const event_batch& batch, finding_sink& out) override;
  void finish(finding_sink& out) override;

  sigma_detector_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mamori::sigma
