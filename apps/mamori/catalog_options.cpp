#include "catalog_options.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace mamori::cli {

void add_catalog_options(CLI::App* cmd, catalog_cli& opts) {
  cmd->add_option("--catalog", opts.catalogs,
                  "Add a catalog file (JSONL, docs/catalog.md) on top of the shipped one; "
                  "repeatable, later files win");
  cmd->add_flag("--no-builtin-catalog", opts.no_builtin,
                "Do not load the shipped catalog (data/catalog/catalog.jsonl)");
  cmd->add_option("--weights", opts.weights,
                  "Score weights YAML (default data/catalog/weights.yaml)");
  cmd->add_option("--adguard", opts.adguard,
                  "AdGuard companiesdb dist/ directory read at run time for tracker and service "
                  "names, or 'none' (default: the shared data copy when present)");
  cmd->add_option("--shared-data", opts.shared_data,
                  "Shared public datasets directory (default $MAMORI_SHARED_DATA or "
                  "../shared/data next to the repository)");
}

std::string find_data_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv("MAMORI_DATA_DIR"); env != nullptr && *env != '\0') return env;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& cand : {exe.parent_path() / ".." / ".." / "data",
                                 exe.parent_path() / ".." / "share" / "mamori"}) {
      if (fs::is_regular_file(cand / "catalog" / "catalog.jsonl", ec))
        return fs::weakly_canonical(cand, ec).string();
    }
  }
#ifdef MAMORI_SOURCE_DATA_DIR
  return MAMORI_SOURCE_DATA_DIR;
#else
  return "data";
#endif
}

catalog::catalog_setup make_setup(const catalog_cli& opts) {
  catalog::catalog_setup s;
  s.data_dir = find_data_dir();
  s.builtin = !opts.no_builtin;
  s.files = opts.catalogs;
  s.weights = opts.weights;
  s.adguard_dir = opts.adguard;
  s.shared_data = opts.shared_data;
  return s;
}

}  // namespace mamori::cli
