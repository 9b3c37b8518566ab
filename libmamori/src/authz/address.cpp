#include "mamori/authz/address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace mamori::authz {

std::optional<ip_address> ip_address::parse(std::string_view text) {
  // inet_pton wants a NUL-terminated string; addresses are short.
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  ip_address a;
  if (text.find(':') == std::string_view::npos) {
    std::uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) != 1) return std::nullopt;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, v4, 4);
    a.v4 = true;
    return a;
  }
  // Strip an IPv6 zone ("fe80::1%eth0"): zones never appear in policies.
  if (auto pct = text.find('%'); pct != std::string_view::npos) buf[pct] = '\0';
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  a.v4 = std::memcmp(a.bytes.data(), mapped, 12) == 0;
  return a;
}

std::string ip_address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (v4) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

namespace {

bool prefix_equal(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                  unsigned bits) {
  const unsigned full = bits / 8;
  if (std::memcmp(a.data(), b.data(), full) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

std::optional<ip_prefix> ip_prefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = ip_address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  unsigned bits = addr->v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    std::string_view b = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || p != b.data() + b.size() || b.empty()) return std::nullopt;
    if (bits > (addr->v4 ? 32u : 128u)) return std::nullopt;
  }
  if (addr->v4) bits += 96;
  ip_prefix out;
  out.network = *addr;
  out.bits = static_cast<std::uint8_t>(bits);
  for (unsigned i = bits; i < 128; ++i) {
    out.network.bytes[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
  }
  return out;
}

bool ip_prefix::contains(const ip_address& a) const {
  return prefix_equal(network.bytes, a.bytes, bits);
}

bool ip_prefix::contains(const ip_prefix& p) const {
  return p.bits >= bits && prefix_equal(network.bytes, p.network.bytes, bits);
}

std::string ip_prefix::to_string() const {
  return fmt::format("{}/{}", network.to_string(), network.v4 ? bits - 96 : bits);
}

}  // namespace mamori::authz
