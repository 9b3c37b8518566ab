#pragma once
// Loading the catalog the way every command does: the shipped catalog, the AdGuard names
// (run-time, optional), the user's catalog files on top, then the weights.

#include <string>
#include <vector>

#include "mamori/catalog/catalog.hpp"
#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"

namespace mamori::catalog {

struct catalog_setup {
  std::string data_dir;            // the repository's data/ (or the installed share/mamori)
  bool builtin = true;             // load <data_dir>/catalog/catalog.jsonl
  std::vector<std::string> files;  // user catalog files, in order (layer::user)
  std::string weights;             // "" = <data_dir>/catalog/weights.yaml, else built-in
  std::string adguard_dir;         // "" = the default shared path when present; "none" = off
  std::string shared_data;         // "" = found next to the repository (docs/catalog.md)
};

// What was loaded, for the command's summary line.
struct catalog_load_report {
  std::size_t shipped_apps = 0;
  std::size_t user_apps = 0;
  std::size_t adguard_apps = 0;
  std::string adguard_dir;   // empty when not loaded
  std::string weights_file;  // empty = built-in defaults
};

result<app_catalog> load_catalog(const catalog_setup& setup, diagnostics& diag,
                                 catalog_load_report* report = nullptr);

// The shared data directory (public datasets): `explicit_dir` when given, else
// $MAMORI_SHARED_DATA, else <data_dir>/../../shared/data, else ../shared/data; "" if none.
std::string find_shared_data(const std::string& explicit_dir, const std::string& data_dir);

}  // namespace mamori::catalog
