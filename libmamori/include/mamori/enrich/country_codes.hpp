#pragma once
// Country names → ISO 3166-1 alpha-2, as OCSF's location.country expects. Some sources write
// names ("Japan", "United States": Okta's geographicalContext), others codes ("JP": Entra,
// DB-IP). The table is Debian's iso-codes (/usr/share/iso-codes/json/iso_3166-1.json: name,
// common_name, official_name, alpha_3) plus a few everyday aliases ("USA", "UK", "Russia",
// "Turkey", "Czech Republic"). The enricher rewrites src_endpoint.location.country in place.

#include <memory>
#include <string>
#include <unordered_map>

#include "mamori/core/result.hpp"
#include "mamori/enrich/enricher.hpp"

namespace mamori {

class country_codes {
 public:
  static std::string default_path() { return "/usr/share/iso-codes/json/iso_3166-1.json"; }
  static result<std::unique_ptr<country_codes>> load(const std::string& path);

  // "JP" for "Japan", "japan", "JPN", "jp"; "" when unknown.
  std::string_view code(std::string_view name) const;
  std::size_t size() const { return by_name_.size(); }

 private:
  std::unordered_map<std::string, std::string> by_name_;  // lowercased name → code
};

class country_code_enricher final : public enricher {
 public:
  explicit country_code_enricher(std::unique_ptr<country_codes> t) : table_(std::move(t)) {}
  std::string_view name() const override { return "country_code"; }
  void enrich(event_batch& batch) override;

 private:
  std::unique_ptr<country_codes> table_;
};

}  // namespace mamori
