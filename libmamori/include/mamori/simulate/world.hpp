#pragma once
// The world the simulated company lives in: real cities (coordinates, time zones), real
// public address ranges of national ISPs, mobile carriers and clouds (so a GeoIP database
// resolves them to the right country), user agents, and the application catalog read from
// ../shared/data/reference. Every table is documented in docs/simulator.md.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/simulate/rng.hpp"

namespace mamori::sim {

enum class dst_rule : std::uint8_t { none, eu, us };

struct city {
  std::string_view name;
  std::string_view country;  // ISO 3166-1 alpha-2
  std::string_view region;   // state / prefecture as sign-in logs show it
  double lat, lon;
  int utc_offset_min;  // standard time
  dst_rule dst;
};

enum class network_kind : std::uint8_t { broadband, mobile, hosting, cloud, tor };

struct cidr {
  std::uint32_t base;
  int prefix;
};

struct network {
  std::string_view id;   // stable key used by generators ("jp_ocn")
  std::string_view isp;  // as sign-in logs show it
  std::uint32_t asn;
  std::string_view country;  // what the GeoIP database says for these ranges (verified)
  std::string_view city;     // the city generators associate with the range
  network_kind kind;
  std::span<const cidr> ranges;
};

std::span<const city> cities();
std::size_t city_index(std::string_view name);  // aborts on an unknown name (a table bug)
std::span<const network> networks();
const network& network_by_id(std::string_view id);
// A deterministic address of a network for a key (same key, same address).
std::uint32_t address_in(const network& n, std::uint64_t key);
// The network an address was drawn from, or nullptr (private or unknown).
const network* network_of(std::uint32_t ip);

// Offset of local time from UTC at instant ns, with the city's daylight-saving rule.
int utc_offset_minutes(const city& c, std::int64_t ns);
double distance_km(const city& a, const city& b);
// Door-to-door duration of a flight between two cities (block time at 800 km/h plus an hour
// of taxi, climb and descent), rounded to 5 minutes; 0 for the same city.
std::int64_t flight_ns(const city& a, const city& b);

// Public holidays (fixed dates) by country.
bool is_public_holiday(std::string_view country, int month, int day);

// Devices and user agents.
enum class os_family : std::uint8_t { windows, macos, ios, android, linux };
struct device_profile {
  std::string_view os_name;     // "Windows 10" as Entra shows it
  std::string_view os_version;  // "10.0.22631"
  std::string_view browser;     // "Edge 122.0.0"
  std::string_view user_agent;
  os_family family;
  bool mobile;
};
std::span<const device_profile> device_profiles();

// Applications: sanctioned SaaS and shadow IT, domains read from the reference lists.
enum class app_kind : std::uint8_t {
  sanctioned,
  shadow_storage,
  shadow_comm,
  shadow_remote,
  shadow_ai,
  web
};
struct app {
  std::string name;
  app_kind kind;
  std::vector<std::string> domains;
};

class app_catalog {
 public:
  // Reads v2fly domain-list-community and the top-500 sites below reference_dir; falls back
  // to a small built-in list (with a note in `notes`) when the directory is absent.
  static app_catalog load(const std::string& reference_dir, std::vector<std::string>& notes);

  const std::vector<app>& apps() const { return apps_; }
  std::span<const std::size_t> of_kind(app_kind k) const;
  const app* find(std::string_view name) const;
  // Tor exit addresses from the reference list (may be empty).
  const std::vector<std::uint32_t>& tor_exits() const { return tor_exits_; }
  bool from_reference() const { return from_reference_; }

 private:
  std::vector<app> apps_;
  std::vector<std::size_t> by_kind_[6];
  std::vector<std::uint32_t> tor_exits_;
  bool from_reference_ = false;
};

}  // namespace mamori::sim
