#pragma once
// Per-user and per-organisation baselines for the behavioural analytics: compact, bounded
// structures (fixed-capacity counters, a 24-hour histogram, a short history of volumes) so
// an active user costs well under 2 KB in memory and in the store. Low-cardinality strings
// (countries, cities, OS, browsers, services) are interned once per process.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mamori/enrich/ip_address.hpp"

namespace mamori::analytics {

// Interned strings; id 0 is "".
class string_pool {
 public:
  string_pool();
  std::uint32_t intern(std::string_view s);
  std::string_view get(std::uint32_t id) const {
    return id < strings_.size() ? std::string_view(strings_[id]) : std::string_view();
  }
  std::size_t size() const { return strings_.size(); }

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::deque<std::string> strings_;  // deque: stable addresses for the index's views
  std::unordered_map<std::string_view, std::uint32_t, hash, std::equal_to<>> index_;
};

// The N most frequent keys with their counts. When full, a new key replaces the least
// frequent one (that key then counts as unseen again): the profile stays bounded and keeps
// what characterises the user.
template <std::size_t N>
struct top_counts {
  std::array<std::uint32_t, N> keys{};
  std::array<std::uint32_t, N> counts{};
  std::uint8_t size = 0;

  std::uint32_t count(std::uint32_t key) const {
    for (std::uint8_t k = 0; k < size; ++k)
      if (keys[k] == key) return counts[k];
    return 0;
  }
  // Adds n occurrences; returns the count before.
  std::uint32_t add(std::uint32_t key, std::uint32_t n = 1) {
    for (std::uint8_t k = 0; k < size; ++k) {
      if (keys[k] == key) {
        const std::uint32_t before = counts[k];
        counts[k] += n;
        return before;
      }
    }
    if (size < N) {
      keys[size] = key;
      counts[size] = n;
      ++size;
      return 0;
    }
    std::size_t min = 0;
    for (std::size_t k = 1; k < N; ++k)
      if (counts[k] < counts[min]) min = k;
    keys[min] = key;
    counts[min] = n;
    return 0;
  }
  std::uint64_t total() const {
    std::uint64_t t = 0;
    for (std::uint8_t k = 0; k < size; ++k) t += counts[k];
    return t;
  }
};

// Volume per fixed window (e.g. files downloaded per hour) and the recent history of the
// windows in which the user was active, for robust baselines (median, MAD).
struct volume_series {
  static constexpr std::size_t history_size = 16;
  std::array<std::uint32_t, history_size> counts{};
  std::array<std::uint32_t, history_size> kbytes{};
  std::uint8_t n = 0;             // valid history entries
  std::uint8_t pos = 0;           // next slot
  std::int64_t window_start = 0;  // current window (event time, ns); 0 = none open
  std::uint32_t count = 0;
  std::uint64_t bytes = 0;

  void push(std::uint32_t c, std::uint32_t kb) {
    counts[pos] = c;
    kbytes[pos] = kb;
    pos = static_cast<std::uint8_t>((pos + 1) % history_size);
    if (n < history_size) ++n;
  }
};

// The last successful sign-in with a location: the other end of an impossible travel.
struct last_location {
  std::int64_t time_ns = 0;
  double lat = 0;
  double lon = 0;
  std::uint32_t country = 0;  // pool ids
  std::uint32_t city = 0;
  std::uint32_t asn = 0;
  std::uint32_t accuracy_km = 0;
  std::uint32_t flags = 0;  // ip_flag bits
  bool mobile = false;      // the user agent was a phone or tablet
  ip_address ip;
  std::string event_ref;  // "source:line" or the event uid, for the evidence
};

struct user_profile {
  std::string name;  // as first seen (the key is lowercased)
  std::int64_t first_seen = 0;
  std::int64_t last_seen = 0;
  std::uint32_t sign_ins = 0;
  std::uint32_t failures = 0;
  std::uint32_t api_calls = 0;
  std::uint32_t admin_ops = 0;
  std::uint32_t egress = 0;  // ip_flag bits seen on the user's successful sign-ins (VPN, relay…)
  top_counts<8> countries;   // successful sign-ins per country
  top_counts<8> asns;
  top_counts<6> os;
  top_counts<6> browsers;
  top_counts<6> devices;
  top_counts<16> services;                // API services used
  std::array<std::uint16_t, 24> hours{};  // activity per UTC hour of day
  std::array<volume_series, 3> volume;    // download, upload, delete
  std::optional<last_location> last;
  bool dirty = false;
};

struct org_profile {
  std::int64_t first_seen = 0;
  std::uint32_t users = 0;
  std::unordered_map<std::uint32_t, std::uint32_t> country_users;  // country → users seen there
  std::unordered_map<std::uint32_t, std::uint32_t> asn_users;      // ASN → users seen there
  bool dirty = false;
};

// Serialized forms for the store (versioned, compact: varints, strings inline).
std::string serialize(const user_profile& p, const string_pool& pool);
bool deserialize(std::string_view bytes, user_profile& p, string_pool& pool);
std::string serialize(const org_profile& o, const string_pool& pool);
bool deserialize(std::string_view bytes, org_profile& o, string_pool& pool);

// Approximate memory a profile holds (struct + heap strings).
std::size_t memory_bytes(const user_profile& p);

}  // namespace mamori::analytics
