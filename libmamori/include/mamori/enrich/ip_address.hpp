#pragma once
// An IPv4 or IPv6 address as one 128-bit number (IPv4 as the IPv4-mapped ::ffff:a.b.c.d), so
// one range table serves both families. Parsing is lenient about the decorations logs add
// ("[2001:db8::1]", "1.2.3.4:5678", "fe80::1%eth0") and strict about the address itself.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mamori {

__extension__ typedef unsigned __int128 uint128;

struct ip_address {
  uint128 value = 0;
  bool v4 = false;

  static std::optional<ip_address> parse(std::string_view text);
  static ip_address from_v4(std::uint32_t v4_value);

  std::uint32_t v4_value() const { return static_cast<std::uint32_t>(value); }
  // Loopback, RFC 1918, link-local, carrier-grade NAT (100.64/10), unique local (fc00::/7),
  // unspecified: addresses that say nothing about where a person is.
  bool is_internal() const;
  std::string to_string() const;
  // The network an address most likely shares with its neighbours: /24 for IPv4, /48 for IPv6.
  uint128 network_key() const;

  friend bool operator==(const ip_address&, const ip_address&) = default;
};

struct ip_address_hash {
  std::size_t operator()(const ip_address& a) const noexcept {
    auto lo = static_cast<std::uint64_t>(a.value);
    auto hi = static_cast<std::uint64_t>(a.value >> 64);
    return static_cast<std::size_t>((lo * 0x9E3779B97F4A7C15ull) ^ (hi + (lo >> 29)));
  }
};

// "10.0.0.0/8", "2001:db8::/32", or a single address ("192.0.2.1" = /32).
struct ip_cidr {
  uint128 first = 0;
  uint128 last = 0;
  static std::optional<ip_cidr> parse(std::string_view text);
};

struct event;
// The source address of an event (src_endpoint.ip), parsed; nullopt when absent or not an IP.
std::optional<ip_address> event_src_ip(const event& e);

}  // namespace mamori
