#include "mamori/detect/analytics_factory.hpp"

#include "mamori/detect/analytics/analytics.hpp"

namespace mamori {

result<analytics_setup> make_analytics(const analytics_options& options, diagnostics& diag) {
  analytics_setup out;
  if (options.spec == "none") return out;
  auto bundle = load_analytics(options.spec, options.state_dir, diag);
  if (!bundle) return tl::unexpected(bundle.error());
  out.enrichers = std::move(bundle->enrich.enrichers);
  out.detectors = std::move(bundle->detectors);
  out.notes = std::move(bundle->enrich.notes);
  return out;
}

}  // namespace mamori
