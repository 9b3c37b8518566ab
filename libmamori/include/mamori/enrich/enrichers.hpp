#pragma once
// Builds the default enricher chain (GeoIP, ASN, IP lists, user agent) from a configuration,
// reporting each missing data source once as a warning: a missing database disables that
// enricher (and the analytics that need it skip), it never stops the run.

#include <memory>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/enrich/enricher.hpp"
#include "mamori/enrich/ip_reputation.hpp"

namespace mamori {

struct enrich_config {
  bool country_codes = true;  // country names → ISO 3166-1 alpha-2 (Debian iso-codes)
  bool geoip = true;
  std::string geoip_dir;  // "" = default_geoip_dir() (where scripts/bootstrap puts it)
  bool asn = true;
  std::string asn_dir;  // "" = the GeoIP directory
  bool ip_lists = true;
  std::string shared_data_dir;  // "" = $MAMORI_SHARED_DATA, else the build's shared data
  bool default_lists = true;    // the reference lists under shared_data_dir
  std::vector<ip_list_spec> extra_lists;
  std::vector<std::string> corporate_egress;  // CIDRs of the organisation's own egress
  std::vector<std::string> known_bad;         // CIDRs to flag as known bad
  bool user_agent = true;
  std::string uap_regexes;  // "" = /usr/share/uap-core/regexes.yaml
};

struct enrichment {
  std::vector<std::unique_ptr<enricher>> enrichers;
  bool geo = false;  // a GeoIP database is loaded
  bool asn = false;
  bool ip_lists = false;
  bool user_agent = false;
  std::vector<std::string> notes;  // one line per enricher: what it loaded
};

enrichment make_enrichers(const enrich_config& config, diagnostics& diag);

// $MAMORI_SHARED_DATA, else the shared data directory the build was configured with.
std::string default_shared_data_dir();

}  // namespace mamori
