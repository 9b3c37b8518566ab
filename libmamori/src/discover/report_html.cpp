#include "mamori/discover/report.hpp"

namespace mamori::discover {

std::string render_html(const inventory& inv, const std::vector<finding>& findings,
                        const report_options& opts) {
  (void)inv;
  (void)findings;
  (void)opts;
  return "<!doctype html><title>todo</title>\n";
}

}  // namespace mamori::discover
