#include "mamori/enrich/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "mamori/event/event.hpp"

namespace mamori {

namespace {

constexpr uint128 v4_mapped_prefix = static_cast<uint128>(0xffff) << 32;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"' ||
                        s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool in(uint128 v, uint128 base, int prefix_len) {
  if (prefix_len == 0) return true;
  const uint128 mask = ~static_cast<uint128>(0) << (128 - prefix_len);
  return (v & mask) == (base & mask);
}

uint128 v6_literal(std::uint64_t hi, std::uint64_t lo) {
  return (static_cast<uint128>(hi) << 64) | lo;
}

}  // namespace

ip_address ip_address::from_v4(std::uint32_t v4_value) {
  ip_address a;
  a.value = v4_mapped_prefix | v4_value;
  a.v4 = true;
  return a;
}

std::optional<ip_address> ip_address::parse(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty() || s.size() > 64) return std::nullopt;
  if (s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    s = s.substr(1, close - 1);
  }
  if (const auto pct = s.find('%'); pct != std::string_view::npos) s = s.substr(0, pct);
  const auto colons = std::count(s.begin(), s.end(), ':');
  const bool has_dot = s.find('.') != std::string_view::npos;
  if (colons == 1 && has_dot) s = s.substr(0, s.find(':'));  // "1.2.3.4:5678"
  char buf[65];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (colons == 0 || (colons == 1 && has_dot)) {
    in_addr a4{};
    if (inet_pton(AF_INET, buf, &a4) != 1) return std::nullopt;
    return from_v4(ntohl(a4.s_addr));
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, buf, &a6) != 1) return std::nullopt;
  ip_address a;
  for (unsigned char byte : a6.s6_addr) a.value = (a.value << 8) | byte;
  a.v4 = (a.value >> 32) == 0xffff;  // ::ffff:1.2.3.4 is an IPv4 address
  return a;
}

bool ip_address::is_internal() const {
  if (v4) {
    const uint128 v = value;
    const auto v4net = [](std::uint32_t base) { return v4_mapped_prefix | base; };
    return in(v, v4net(0x0A000000), 96 + 8) ||   // 10/8
           in(v, v4net(0xAC100000), 96 + 12) ||  // 172.16/12
           in(v, v4net(0xC0A80000), 96 + 16) ||  // 192.168/16
           in(v, v4net(0x7F000000), 96 + 8) ||   // 127/8
           in(v, v4net(0xA9FE0000), 96 + 16) ||  // 169.254/16
           in(v, v4net(0x64400000), 96 + 10) ||  // 100.64/10
           in(v, v4net(0x00000000), 96 + 8);     // 0/8
  }
  return value == 0 || value == 1 ||                      // :: and ::1
         in(value, v6_literal(0xfc00ull << 48, 0), 7) ||  // fc00::/7
         in(value, v6_literal(0xfe80ull << 48, 0), 10);   // fe80::/10
}

std::string ip_address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4) {
    in_addr a4{};
    a4.s_addr = htonl(v4_value());
    inet_ntop(AF_INET, &a4, buf, sizeof buf);
    return buf;
  }
  in6_addr a6{};
  uint128 v = value;
  for (int k = 15; k >= 0; --k) {
    a6.s6_addr[k] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
  inet_ntop(AF_INET6, &a6, buf, sizeof buf);
  return buf;
}

uint128 ip_address::network_key() const {
  const int keep = v4 ? 96 + 24 : 48;
  return value & (~static_cast<uint128>(0) << (128 - keep));
}

std::optional<ip_cidr> ip_cidr::parse(std::string_view text) {
  std::string_view s = trim(text);
  int prefix = -1;
  if (const auto slash = s.find('/'); slash != std::string_view::npos) {
    std::string_view p = s.substr(slash + 1);
    int n = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (ec != std::errc() || ptr != p.data() + p.size()) return std::nullopt;
    prefix = n;
    s = s.substr(0, slash);
  }
  auto addr = ip_address::parse(s);
  if (!addr) return std::nullopt;
  if (prefix < 0) prefix = addr->v4 ? 32 : 128;
  if (addr->v4) {
    if (prefix > 32) return std::nullopt;
    prefix += 96;
  } else if (prefix > 128) {
    return std::nullopt;
  }
  const uint128 host_mask = prefix == 128 ? 0 : (~static_cast<uint128>(0) >> prefix);
  ip_cidr c;
  c.first = addr->value & ~host_mask;
  c.last = c.first | host_mask;
  return c;
}

std::optional<ip_address> event_src_ip(const event& e) {
  std::string_view s = e.get_string(ocsf::attr::src_ip);
  if (s.empty()) return std::nullopt;
  return ip_address::parse(s);
}

}  // namespace mamori
