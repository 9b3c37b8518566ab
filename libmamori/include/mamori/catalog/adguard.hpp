#pragma once
// AdGuard companiesdb (github.com/AdguardTeam/companiesdb, CC BY-SA 4.0) read at run time from
// its dist/ directory, never copied into mamori (share-alike would bind a shipped derivative):
//   trackers.json      trackers (advertising, analytics, CDN, ...) with their domains and
//                      company: apps of the lowest layer (layer::names), id "adguard:<tracker>"
//   vpn_services.json  consumer services (WORK, VIDEO, MESSENGERS, ...) with their domains:
//                      apps of the lowest layer, id "adguard-service:<service_id>"
//   companies.json     company names: the vendor of a catalog app whose id names a company
//                      and whose vendor is unknown
// Shipped and user catalog rules win over these for the same domain rule (higher layer).

#include <string>
#include <string_view>

#include "mamori/catalog/catalog.hpp"
#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"

namespace mamori::catalog {

inline constexpr std::string_view default_adguard_dir =
    "../shared/data/reference/adguard_companiesdb/dist";

struct adguard_stats {
  std::size_t trackers = 0;
  std::size_t tracker_domains = 0;
  std::size_t services = 0;
  std::size_t vendors_named = 0;
};

// Adds the apps to `cat` (call before finalize). Fails when the directory has no trackers.json.
result<adguard_stats> load_adguard(const std::string& dir, app_catalog& cat, diagnostics& diag);

}  // namespace mamori::catalog
