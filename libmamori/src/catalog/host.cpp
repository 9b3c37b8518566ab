#include "mamori/catalog/host.hpp"

#include <arpa/inet.h>
#include <idn2.h>

#include <cstdlib>

namespace mamori::catalog {

namespace {

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

constexpr bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

constexpr char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Letters, digits, '-' and '_' (underscores appear in real DNS names: _dmarc, SRV owners).
constexpr bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool valid_ascii_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
    } else if (is_label_char(c)) {
      ++label;
    } else {
      return false;
    }
  }
  return label > 0 && label <= 63;
}

bool all_digits_and_dots(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  return true;
}

host_kind ipv6_literal(std::string_view s, std::string& out) {
  // Drop a zone ("fe80::1%eth0", "%25eth0" in URLs): it does not name a destination.
  if (auto pct = s.find('%'); pct != std::string_view::npos) s = s.substr(0, pct);
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return host_kind::invalid;
  char buf[INET6_ADDRSTRLEN];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  in6_addr addr{};
  if (inet_pton(AF_INET6, buf, &addr) != 1) return host_kind::invalid;
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &addr, text, sizeof text) == nullptr) return host_kind::invalid;
  out = text;
  return host_kind::ipv6;
}

host_kind ipv4_literal(std::string_view s, std::string& out) {
  if (s.size() >= INET_ADDRSTRLEN) return host_kind::invalid;
  char buf[INET_ADDRSTRLEN];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  in_addr addr{};
  if (inet_pton(AF_INET, buf, &addr) != 1) return host_kind::invalid;
  char text[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, &addr, text, sizeof text) == nullptr) return host_kind::invalid;
  out = text;
  return host_kind::ipv4;
}

}  // namespace

std::string_view host_kind_name(host_kind k) {
  switch (k) {
    case host_kind::name:
      return "name";
    case host_kind::ipv4:
      return "ipv4";
    case host_kind::ipv6:
      return "ipv6";
    case host_kind::invalid:
      break;
  }
  return "invalid";
}

url_parts split_url(std::string_view input) {
  url_parts p;
  std::string_view s = trim(input);
  if (auto sep = s.find("://"); sep != std::string_view::npos && sep > 0) {
    bool scheme_ok = true;
    for (char c : s.substr(0, sep)) scheme_ok = scheme_ok && is_scheme_char(c);
    if (scheme_ok) {
      p.scheme = s.substr(0, sep);
      s.remove_prefix(sep + 3);
    }
  } else if (s.starts_with("//")) {
    s.remove_prefix(2);
  }
  const std::size_t end = s.find_first_of("/?#");
  std::string_view authority = s.substr(0, end);
  if (end != std::string_view::npos) {
    std::string_view rest = s.substr(end);
    const std::size_t frag = rest.find('#');
    if (frag != std::string_view::npos) rest = rest.substr(0, frag);
    const std::size_t q = rest.find('?');
    if (q != std::string_view::npos) {
      p.query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    p.path = rest;
  }
  // Userinfo ends at the last '@' of the authority ("http://a.com@b.com/" goes to b.com).
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      p.host = authority.substr(1);
      return p;
    }
    p.host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(':')) p.port = after.substr(1);
    return p;
  }
  const std::size_t colon = authority.find(':');
  // No colon: no port. Two or more: a bare IPv6 address, no port can be told apart.
  if (colon == std::string_view::npos ||
      authority.find(':', colon + 1) != std::string_view::npos) {
    p.host = authority;
  } else {
    p.host = authority.substr(0, colon);
    p.port = authority.substr(colon + 1);
  }
  return p;
}

host_kind normalize_host(std::string_view host, std::string& out) {
  out.clear();
  std::string_view s = trim(host);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.find(':') != std::string_view::npos) return ipv6_literal(s, out);
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  while (!s.empty() && s.front() == '.') s.remove_prefix(1);
  if (s.empty()) return host_kind::invalid;
  if (all_digits_and_dots(s)) return ipv4_literal(s, out);

  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    out.resize(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) out[i] = lower(s[i]);
  } else {
    // IDNA2008 with UTS #46 mapping (case folding, full-width dots): what browsers resolve.
    // Non-transitional first (ß stays ß); transitional for names it refuses.
    std::string input(s);
    char* converted = nullptr;
    int rc = idn2_to_ascii_8z(input.c_str(), &converted, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
      std::free(converted);
      converted = nullptr;
      rc = idn2_to_ascii_8z(input.c_str(), &converted, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    }
    if (rc != IDN2_OK || converted == nullptr) {
      std::free(converted);
      return host_kind::invalid;
    }
    out = converted;
    std::free(converted);
    for (char& c : out) c = lower(c);
    while (!out.empty() && out.back() == '.') out.pop_back();
  }
  if (!valid_ascii_name(out)) {
    out.clear();
    return host_kind::invalid;
  }
  return host_kind::name;
}

host_kind normalize_destination(std::string_view url_or_host, std::string& out) {
  return normalize_host(split_url(url_or_host).host, out);
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex(s[i + 1]);
      const int lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace mamori::catalog
