#pragma once
// Host names as the app catalog compares them. Whatever a log or a proxy hands over (a URL with
// userinfo and port, `host:port` of a CONNECT, `[v6]:port`, a DNS name with a trailing dot, an
// internationalized name in Unicode) becomes one canonical form: lower-case ASCII with IDN
// labels in punycode (IDNA2008 + UTS #46 through libidn2), no port, no trailing dot; IP
// literals in their canonical text form (inet_ntop), so they never match a domain suffix.

#include <cstdint>
#include <string>
#include <string_view>

namespace mamori::catalog {

enum class host_kind : std::uint8_t { invalid, name, ipv4, ipv6 };

std::string_view host_kind_name(host_kind k);

// The parts of a URL or authority, as views into the input (no decoding).
struct url_parts {
  std::string_view scheme;  // "http", "" when absent
  std::string_view host;    // without brackets, userinfo and port
  std::string_view port;    // digits, "" when absent
  std::string_view path;    // from the first '/' of the path to before '?' or '#', "" when absent
  std::string_view query;   // after '?', before '#'
};

// Splits "scheme://user:pass@host:port/path?query#frag", "host:port", "[::1]:443",
// "host/path", a bare host or a bare IPv6 address. Never fails: garbage yields garbage parts.
url_parts split_url(std::string_view input);

// Normalizes a host name (no URL syntax) into `out`: trailing dots and surrounding white space
// removed, ASCII lower-cased, non-ASCII names converted to punycode, IP literals (v4, v6 with
// or without brackets and zone) canonicalized. Returns the kind; `out` is empty when invalid.
host_kind normalize_host(std::string_view host, std::string& out);

// split_url + normalize_host: the host of anything a log may call a destination.
host_kind normalize_destination(std::string_view url_or_host, std::string& out);

// Decodes %XX escapes (Squid's external ACL helper protocol escapes every field); invalid
// escapes are kept as written.
std::string percent_decode(std::string_view s);

}  // namespace mamori::catalog
