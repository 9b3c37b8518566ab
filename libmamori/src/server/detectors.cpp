// What `mamori serve` detects with: the same engines as `mamori hunt` (Sigma rules through
// load_sigma + sigma_detector, the behavioural analytics through load_analytics), fed the
// same batches through the same detector interface; analytics baselines persist in DATA/state.
#include <fmt/format.h>

#include <filesystem>

#include "mamori/detect/analytics/analytics.hpp"
#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/pipeline/hunt_job.hpp"
#include "mamori/server/server.hpp"

namespace mamori::server {

result<server_detection> make_server_detection(const server_config& config, diagnostics& diag) {
  server_detection out;
  if (!config.rules.empty()) {
    sigma::sigma_options so;
    so.rule_paths = config.rules;
    const auto names = decoder_names(decoder_registry::builtin());
    auto loaded = sigma::load_sigma(so, names);
    if (!loaded) return tl::unexpected(loaded.error());
    if (loaded->report.loaded == 0)
      return fail(fmt::format("detection.rules: no rule could be loaded ({} invalid, {} unsupported; "
                              "see `mamori rules check`)",
                              loaded->report.invalid, loaded->report.unsupported));
    out.notes.push_back(fmt::format("{} Sigma rules loaded in {:.0f} ms ({} unsupported, {} invalid)",
                                    loaded->report.loaded, loaded->report.load_ms,
                                    loaded->report.unsupported, loaded->report.invalid));
    out.detectors.push_back(std::make_unique<sigma::sigma_detector>(loaded->rules, names, so.limits));
  }
  if (config.analytics != "none") {
    const std::string state = config.data + "/state";
    std::error_code ec;
    std::filesystem::create_directories(state, ec);
    auto bundle = load_analytics(config.analytics, state, diag);
    if (!bundle) return tl::unexpected(bundle.error());
    for (const auto& n : bundle->enrich.notes) out.notes.push_back("enrich: " + n);
    out.notes.push_back(fmt::format("{} analytics detectors (baselines in {})", bundle->detectors.size(), state));
    for (auto& e : bundle->enrich.enrichers) out.enrichers.push_back(std::move(e));
    for (auto& d : bundle->detectors) out.detectors.push_back(std::move(d));
  }
  return out;
}

}  // namespace mamori::server
