#pragma once
// Small scanning helpers shared by the text decoders (syslog, Squid, W3C, Zeek, Proxifier) and
// their sniffers. Header-only and allocation-free: they run once or more per input line.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mamori/decode/decoder.hpp"

namespace mamori::text {

// Appends a normalized attribute that the event does not have yet. event::set() looks for an
// existing value first; a decoder filling a fresh event attribute by attribute skips that scan
// (the text decoders' hot path). Never use it for an attribute that may already be set.
inline void put(event& ev, ocsf::attr a, value v) {
  ev.fields.push_back({ocsf::id(a), field_origin::normalized, v});
}

// Removes `prefix` from the front of s when present.
inline bool consume(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Removes `suffix` from the back of s when present.
inline bool consume_back(std::string_view& s, std::string_view suffix) {
  if (!s.ends_with(suffix)) return false;
  s.remove_suffix(suffix.size());
  return true;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Everything before the first `delim` (all of s when absent); s keeps what follows it.
inline std::string_view take_until(std::string_view& s, char delim) {
  const std::size_t p = s.find(delim);
  std::string_view out = s.substr(0, p);
  s.remove_prefix(p == std::string_view::npos ? s.size() : p + 1);
  return out;
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

inline bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// A whole unsigned decimal number, nothing else.
inline std::optional<std::int64_t> to_int(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Dotted-quad IPv4 with each part in 0..255.
inline bool is_ipv4(std::string_view s) {
  int parts = 0;
  while (true) {
    std::size_t n = 0;
    unsigned v = 0;
    while (n < s.size() && is_digit(s[n]) && n < 3)
      v = v * 10 + static_cast<unsigned>(s[n++] - '0');
    if (n == 0 || v > 255) return false;
    ++parts;
    s.remove_prefix(n);
    if (s.empty()) return parts == 4;
    if (s.front() != '.' || parts == 4) return false;
    s.remove_prefix(1);
  }
}

// IPv6 text form (RFC 4291 section 2.2, including "::" and an embedded IPv4 tail, with an
// optional %zone). Checked for shape, not canonical form.
inline bool is_ipv6(std::string_view s) {
  if (const std::size_t pct = s.find('%'); pct != std::string_view::npos) s = s.substr(0, pct);
  if (s.size() < 2 || s.size() > 45) return false;
  int colons = 0;
  int group_len = 0;
  bool double_colon = false;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (c == ':') {
      ++colons;
      if (k + 1 < s.size() && s[k + 1] == ':') {
        if (double_colon) return false;
        double_colon = true;
      }
      group_len = 0;
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      if (++group_len > 4) return false;
    } else if (c == '.') {
      // IPv4 tail: the rest from the start of this group.
      const std::size_t start = s.rfind(':', k);
      return colons >= 2 && start != std::string_view::npos && is_ipv4(s.substr(start + 1));
    } else {
      return false;
    }
  }
  return colons >= 2 && colons <= 7 && (double_colon || colons == 7);
}

inline bool is_ip(std::string_view s) {
  return is_ipv4(s) || is_ipv6(s);
}

// An address field as some writers fill it: a valid IP, or hex groups and colons that are not
// a complete IPv6 text form ("2001:db8:2ce:1" in documentation fixtures). For fields that
// always hold an address (Squid's client), never a host name.
inline bool is_ip_lenient(std::string_view s) {
  if (is_ip(s)) return true;
  int colons = 0;
  for (char c : s) {
    if (c == ':') {
      ++colons;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return colons >= 2;
}

// Iterates over the complete lines of a sniff sample's head (the last, possibly cut, line is
// left out unless the head is the whole input), calling f(line) until it returns false.
template <typename F>
void for_each_head_line(const sniff_sample& sample, std::size_t max_lines, F&& f) {
  std::string_view head = sample.head;
  std::size_t seen = 0;
  while (!head.empty() && seen < max_lines) {
    const std::size_t nl = head.find('\n');
    if (nl == std::string_view::npos && head.size() >= 64 * 1024) return;  // cut line
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    ++seen;
    if (!f(line)) return;
  }
}

// Sniff score from how many of the first lines a strict line check accepts: 0 unless at least
// half of them (and at least one) do; then `base` plus up to 10 for a clean head.
template <typename F>
int score_head_lines(const sniff_sample& sample, std::size_t max_lines, int base, F&& accepts) {
  std::size_t checked = 0;
  std::size_t good = 0;
  for_each_head_line(sample, max_lines, [&](std::string_view line) {
    ++checked;
    if (accepts(line)) ++good;
    return true;
  });
  if (good == 0 || good * 2 < checked) return 0;
  return base + static_cast<int>(10 * good / checked);
}

// The parts of a URL as proxies and web servers log it: absolute ("http://h:8080/p?q"),
// authority only (CONNECT "h:443"), or a path ("/p?q"). Views into the input.
struct url_parts {
  std::string_view scheme, host, path, query;
  std::optional<std::int64_t> port;
};

inline url_parts parse_url(std::string_view url) {
  url_parts u;
  std::string_view rest = url;
  const std::size_t scheme_end = rest.find("://");
  bool has_authority = false;
  if (scheme_end != std::string_view::npos && scheme_end > 0 &&
      rest.find_first_of("/?#") > scheme_end) {
    u.scheme = rest.substr(0, scheme_end);
    rest.remove_prefix(scheme_end + 3);
    has_authority = true;
  } else if (!rest.empty() && rest.front() != '/') {
    // "host:port" (CONNECT) or "host/path"; anything else ("error:invalid-request") is not a URL.
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    const std::size_t colon = authority.find(':');
    for (char c : authority.substr(0, colon)) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
            c == '-' || c == '_')) {
        return u;
      }
    }
    if (colon != std::string_view::npos && !all_digits(authority.substr(colon + 1))) return u;
    has_authority = true;
  }
  if (has_authority) {
    const std::size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      authority.remove_prefix(at + 1);
    }
    if (!authority.empty() && authority.front() == '[') {
      const std::size_t close = authority.find(']');
      u.host =
          authority.substr(1, close == std::string_view::npos ? authority.size() - 1 : close - 1);
      authority.remove_prefix(close == std::string_view::npos ? authority.size() : close + 1);
      if (!authority.empty() && authority.front() == ':') u.port = to_int(authority.substr(1));
    } else {
      const std::size_t colon = authority.rfind(':');
      if (colon != std::string_view::npos && authority.find(':') == colon) {
        u.port = to_int(authority.substr(colon + 1));
        u.host = authority.substr(0, colon);
      } else {
        u.host = authority;
      }
    }
  }
  const std::size_t q = rest.find('?');
  u.path = rest.substr(0, q);
  if (q != std::string_view::npos) u.query = rest.substr(q + 1);
  if (const std::size_t hash = u.query.find('#'); hash != std::string_view::npos) {
    u.query = u.query.substr(0, hash);
  }
  return u;
}

// OCSF 1.3 HTTP Activity (4002) activity_id from the request method.
inline std::uint8_t http_activity(std::string_view method) {
  if (method == "GET") return 3;
  if (method == "POST") return 6;
  if (method == "CONNECT") return 1;
  if (method == "HEAD") return 4;
  if (method == "PUT") return 7;
  if (method == "DELETE") return 2;
  if (method == "OPTIONS") return 5;
  if (method == "TRACE") return 8;
  return method.empty() ? 0 : 99;
}

}  // namespace mamori::text
