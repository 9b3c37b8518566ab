// The simulator's generators. Adding a source or a scenario: one file under sources/ or
// scenarios/ defining NAME_source_spec() / NAME_scenario_spec(), one X(NAME) line here and one
// line in libmamori/CMakeLists.txt. Order is output order in `mamori simulate --list`.

#include "mamori/simulate/engine.hpp"

#define MAMORI_SIM_SOURCES(X) \
  X(entra)                    \
  X(m365)                     \
  X(okta)                     \
  X(box)                      \
  X(cloudtrail)               \
  X(squid)                    \
  X(w3c)                      \
  X(sshd)                     \
  X(windows)                  \
  X(posture)

#define MAMORI_SIM_SCENARIOS(X) \
  X(account_takeover)           \
  X(brute_force)                \
  X(concurrent_countries)       \
  X(stolen_groupware)           \
  X(supplier_vpn)               \
  X(hospital_ransomware)        \
  X(insider_upload)             \
  X(cloud_root)                 \
  X(cloud_security_group)       \
  X(cloud_public_bucket)        \
  X(cloud_ssrf)                 \
  X(cloud_crypto_mining)

namespace mamori::sim {

#define MAMORI_DECLARE_SOURCE(name) source_spec name##_source_spec();
MAMORI_SIM_SOURCES(MAMORI_DECLARE_SOURCE)
#undef MAMORI_DECLARE_SOURCE
#define MAMORI_DECLARE_SCENARIO(name) scenario_spec name##_scenario_spec();
MAMORI_SIM_SCENARIOS(MAMORI_DECLARE_SCENARIO)
#undef MAMORI_DECLARE_SCENARIO

const std::vector<source_spec>& builtin_sources() {
#define MAMORI_LIST_SOURCE(name) name##_source_spec(),
  static const std::vector<source_spec> list = {MAMORI_SIM_SOURCES(MAMORI_LIST_SOURCE)};
#undef MAMORI_LIST_SOURCE
  return list;
}

const std::vector<scenario_spec>& builtin_scenarios() {
#define MAMORI_LIST_SCENARIO(name) name##_scenario_spec(),
  static const std::vector<scenario_spec> list = {MAMORI_SIM_SCENARIOS(MAMORI_LIST_SCENARIO)};
#undef MAMORI_LIST_SCENARIO
  return list;
}

}  // namespace mamori::sim
