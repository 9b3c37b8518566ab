#pragma once
// Catalog options shared by `catalog`, `discover` and `squid-helper`.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "mamori/catalog/setup.hpp"

namespace mamori::cli {

struct catalog_cli {
  std::vector<std::string> catalogs;
  bool no_builtin = false;
  std::string weights;
  std::string adguard;
  std::string shared_data;
};

void add_catalog_options(CLI::App* cmd, catalog_cli& opts);

// The data directory: $MAMORI_DATA_DIR, else data/ next to the build tree of this executable
// (build/bin/mamori → data/), else ../share/mamori, else the source tree's data/.
std::string find_data_dir();

catalog::catalog_setup make_setup(const catalog_cli& opts);

}  // namespace mamori::cli
