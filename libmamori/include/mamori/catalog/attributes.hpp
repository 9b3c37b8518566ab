#pragma once
// The risk attributes of a cloud app, in four groups (general, security, compliance, legal),
// declared once here: the catalog loader, the score, the outputs and docs/catalog.md all
// follow this list. A value is unknown (JSON null or absent) unless a curator recorded it.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::catalog {

enum class attr_group : std::uint8_t { general, security, compliance, legal };
inline constexpr std::size_t group_count = 4;

// How a value is written and scored (docs/catalog.md, "Score").
enum class attr_type : std::uint8_t {
  text,       // free text, not scored (vendor)
  country,    // ISO 3166-1 alpha-2; scored through the weights' jurisdiction table
  year,       // a year (founded): maturity
  tier,       // 1..5 (popularity)
  boolean,    // true / false
  ownership,  // "customer" | "shared" | "vendor": who owns the data under the terms
  years,      // list of years of publicly disclosed breaches; [] = none known
};

// X(identifier, group, type)
#define MAMORI_APP_ATTRIBUTES(X)              \
  X(vendor, general, text)                    \
  X(hq_country, general, country)             \
  X(founded, general, year)                   \
  X(popularity, general, tier)                \
  X(encryption_at_rest, security, boolean)    \
  X(encryption_in_transit, security, boolean) \
  X(mfa, security, boolean)                   \
  X(sso_saml, security, boolean)              \
  X(audit_logs, security, boolean)            \
  X(admin_roles, security, boolean)           \
  X(data_residency, security, boolean)        \
  X(iso27001, compliance, boolean)            \
  X(soc2, compliance, boolean)                \
  X(hipaa, compliance, boolean)               \
  X(pci_dss, compliance, boolean)             \
  X(gdpr, compliance, boolean)                \
  X(csa_star, compliance, boolean)            \
  X(data_ownership, legal, ownership)         \
  X(breaches, legal, years)                   \
  X(gov_access_jurisdiction, legal, country)

enum class attr : std::uint8_t {
#define MAMORI_ATTR_ENUM(id, group, type) id,
  MAMORI_APP_ATTRIBUTES(MAMORI_ATTR_ENUM)
#undef MAMORI_ATTR_ENUM
      count
};
inline constexpr std::size_t attribute_count = static_cast<std::size_t>(attr::count);

struct attr_spec {
  std::string_view name;
  attr_group group;
  attr_type type;
};

inline constexpr std::array<attr_spec, attribute_count> attribute_specs = {{
#define MAMORI_ATTR_SPEC(id, group, type) {#id, attr_group::group, attr_type::type},
    MAMORI_APP_ATTRIBUTES(MAMORI_ATTR_SPEC)
#undef MAMORI_ATTR_SPEC
}};

inline constexpr std::array<std::string_view, group_count> group_names = {"general", "security",
                                                                          "compliance", "legal"};

constexpr const attr_spec& spec(attr a) {
  return attribute_specs[static_cast<std::size_t>(a)];
}

// One attribute value. `known` false = null (not recorded).
struct attr_value {
  bool known = false;
  bool b = false;
  std::int64_t i = 0;      // year, tier
  std::string text;        // text, country, ownership
  std::vector<int> years;  // breaches
};

using attr_values = std::array<attr_value, attribute_count>;

}  // namespace mamori::catalog
