#include "mamori/detect/analytics_factory.hpp"

#include <filesystem>

namespace mamori {

result<std::vector<std::unique_ptr<detector>>> make_analytics(const analytics_options& options,
                                                              diagnostics& diag) {
  (void)diag;
  std::vector<std::unique_ptr<detector>> out;
  if (options.spec == "none" || options.spec == "default") return out;
  // A configuration file: checked for existence now so a typo is a usage error, not silence.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.spec, ec)) {
    return fail("analytics configuration '" + options.spec +
                "' is not a file (use none, default or a FILE)");
  }
  // The analytics detectors are connected here by the analytics branch (issue 4).
  return out;
}

}  // namespace mamori
