#pragma once
// IP addresses and CIDR prefixes for `where: networks` conditions. IPv4 is stored as an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) so one comparison routine serves both families.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mamori::authz {

struct ip_address {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;

  static std::optional<ip_address> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const ip_address&) const = default;
};

struct ip_prefix {
  ip_address network;     // host bits cleared
  std::uint8_t bits = 0;  // 0..128 in the mapped space (an IPv4 /8 is stored as /104)

  // "10.0.0.0/8", "2001:db8::/32", or a single address ("10.1.2.3" = /32).
  static std::optional<ip_prefix> parse(std::string_view text);
  bool contains(const ip_address& a) const;
  bool contains(const ip_prefix& p) const;  // p is a subnet of (or equal to) this
  std::string to_string() const;
};

}  // namespace mamori::authz
