#include "mamori/catalog/setup.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "mamori/catalog/adguard.hpp"

namespace mamori::catalog {

std::string find_shared_data(const std::string& explicit_dir, const std::string& data_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!explicit_dir.empty()) return explicit_dir;
  if (const char* env = std::getenv("MAMORI_SHARED_DATA"); env != nullptr && *env != '\0')
    return env;
  if (!data_dir.empty()) {
    fs::path p = fs::path(data_dir) / ".." / ".." / "shared" / "data";
    if (fs::is_directory(p, ec)) return fs::weakly_canonical(p, ec).string();
  }
  if (fs::is_directory("../shared/data", ec)) return "../shared/data";
  return {};
}

result<app_catalog> load_catalog(const catalog_setup& setup, diagnostics& diag,
                                 catalog_load_report* report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  catalog_load_report local;
  catalog_load_report& rep = report != nullptr ? *report : local;
  app_catalog cat;
  if (setup.builtin) {
    const fs::path shipped = fs::path(setup.data_dir) / "catalog" / "catalog.jsonl";
    auto n = cat.load_file(shipped.string(), layer::shipped, diag);
    if (!n)
      return fail(
          fmt::format("{} (the shipped catalog; set MAMORI_DATA_DIR or use "
                      "--no-builtin-catalog with --catalog)",
                      n.error().message));
    rep.shipped_apps = *n;
  }
  if (setup.adguard_dir != "none") {
    std::string dir = setup.adguard_dir;
    if (dir.empty()) {
      const std::string shared = find_shared_data(setup.shared_data, setup.data_dir);
      if (!shared.empty())
        dir = (fs::path(shared) / "reference" / "adguard_companiesdb" / "dist").string();
    }
    if (!dir.empty() && fs::is_directory(dir, ec)) {
      auto st = load_adguard(dir, cat, diag);
      if (!st) {
        diag.report(severity_level::warning, {dir, 0, 0}, st.error().message);
      } else {
        rep.adguard_apps = st->trackers + st->services;
        rep.adguard_dir = dir;
      }
    } else if (!setup.adguard_dir.empty()) {
      return fail(fmt::format("{}: AdGuard companiesdb directory not found", setup.adguard_dir));
    }
  }
  for (const auto& f : setup.files) {
    auto n = cat.load_file(f, layer::user, diag);
    if (!n) return tl::unexpected(n.error());
    rep.user_apps += *n;
  }
  score_weights w = score_weights::defaults();
  std::string weights = setup.weights;
  if (weights.empty()) {
    const fs::path p = fs::path(setup.data_dir) / "catalog" / "weights.yaml";
    if (!setup.data_dir.empty() && fs::is_regular_file(p, ec)) weights = p.string();
  }
  if (!weights.empty()) {
    w = MAMORI_TRY(load_weights(weights));
    rep.weights_file = weights;
  }
  cat.finalize(w);
  return cat;
}

}  // namespace mamori::catalog
