#pragma once
// ASN: fills src_endpoint.autonomous_system.{number, name} from the range CSVs of the npm
// package @ip-location-db/asn (ip_range_start, ip_range_end, autonomous_system_number,
// autonomous_system_organization; RouteViews + RIR data + DB-IP ASN Lite, CC BY 4.0), fetched
// by scripts/bootstrap next to the GeoIP databases. An ASN the source already gives (Entra's
// autonomousSystemNumber, Okta's securityContext.asNumber) is kept.

#include <memory>
#include <string>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/enrich/enricher.hpp"
#include "mamori/enrich/ip_cache.hpp"
#include "mamori/enrich/ip_ranges.hpp"

namespace mamori {

struct asn_info {
  std::uint32_t number = 0;
  std::string_view name;  // owned by the asn_database
};

class asn_database {
 public:
  // Loads every asn-ipv4.csv / asn-ipv6.csv (or any *asn*.csv with textual addresses) in dir.
  static result<std::unique_ptr<asn_database>> open_dir(const std::string& dir);
  result<void> add_csv(const std::string& path);
  void build() { table_.build(); }

  std::optional<asn_info> lookup(const ip_address& a) const;
  std::size_t ranges() const { return table_.size(); }
  std::size_t bad_lines() const { return bad_lines_; }

 private:
  struct entry {
    std::uint32_t number = 0;
    std::uint32_t name = 0;  // index into names_
  };
  ip_range_table<entry> table_;
  std::vector<std::string> names_;
  std::size_t bad_lines_ = 0;
};

class asn_enricher final : public enricher {
 public:
  explicit asn_enricher(std::unique_ptr<asn_database> db) : db_(std::move(db)) {}
  std::string_view name() const override { return "asn"; }
  void enrich(event_batch& batch) override;

 private:
  std::unique_ptr<asn_database> db_;
  ip_cache<std::optional<asn_info>> cache_;
};

}  // namespace mamori
