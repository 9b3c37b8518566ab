#pragma once
// Helpers shared by the decoders of SaaS, identity and cloud-audit sources (m365, m365-csv,
// entra, okta, gws, box, m365defender, panther-test). Header-only and private to
// builtins/decoders: nothing outside the decoders includes it.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/decode/json_decoder.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins::saas {

// OCSF 1.3 activity ids of the classes these decoders emit (schema.ocsf.io, class pages).
namespace file_hosting {  // File Hosting Activity 6006
inline constexpr std::uint8_t upload = 1, download = 2, update = 3, remove = 4, rename = 5,
                              copy = 6, move = 7, restore = 8, preview = 9, lock = 10, unlock = 11,
                              share = 12, unshare = 13, open = 14, sync = 15, unsync = 16;
}  // namespace file_hosting
namespace account {  // Account Change 3001
inline constexpr std::uint8_t create = 1, enable = 2, password_change = 3, password_reset = 4,
                              disable = 5, remove = 6, attach_policy = 7, detach_policy = 8,
                              lock = 9, mfa_enable = 10, mfa_disable = 11;
}  // namespace account
namespace group {  // Group Management 3006
inline constexpr std::uint8_t assign_privileges = 1, revoke_privileges = 2, add_user = 3,
                              remove_user = 4;
}  // namespace group
namespace access {  // User Access Management 3005
inline constexpr std::uint8_t assign = 1, revoke = 2;
}  // namespace access

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline bool icontains(std::string_view s, std::string_view needle) {
  if (needle.size() > s.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= s.size(); ++i)
    if (iequals(s.substr(i, needle.size()), needle)) return true;
  return false;
}

// One member of an object: the exact key first, then an ASCII case-insensitive match.
// Panther rule-test fixtures and Sentinel exports spell the same field "eventType",
// "eventtype" or "EventType"; the source's own spelling wins when present.
inline std::optional<simdjson::dom::element> member(simdjson::dom::element e,
                                                    std::string_view key) {
  if (!e.is_object()) return std::nullopt;
  auto obj = e.get_object().value();
  auto exact = obj.at_key(key);
  if (!exact.error()) return exact.value();
  for (auto [k, v] : obj)
    if (iequals(k, key)) return v;
  return std::nullopt;
}

// Dotted path with case-tolerant keys ("client.userAgent.rawUserAgent").
inline std::optional<simdjson::dom::element> field(simdjson::dom::element e,
                                                   std::string_view path) {
  while (true) {
    const std::size_t dot = path.find('.');
    auto child = member(e, path.substr(0, dot));
    if (!child) return std::nullopt;
    if (dot == std::string_view::npos) return child;
    e = *child;
    path.remove_prefix(dot + 1);
  }
}

// A non-empty string at path.
inline std::optional<std::string_view> text(simdjson::dom::element e, std::string_view path) {
  auto v = field(e, path);
  if (!v || !v->is_string()) return std::nullopt;
  std::string_view s = v->get_string().value();
  if (s.empty()) return std::nullopt;
  return s;
}

// A whole number at path, written as a number or as a decimal string ("0", "50126").
inline std::optional<std::int64_t> number(simdjson::dom::element e, std::string_view path) {
  auto v = field(e, path);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64().value();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64().value());
  if (v->is_string()) return value::string(v->get_string().value()).as_integer();
  return std::nullopt;
}

// A boolean at path, written as a JSON boolean or as "true"/"false" in any case.
inline std::optional<bool> flag(simdjson::dom::element e, std::string_view path) {
  auto v = field(e, path);
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->get_bool().value();
  if (v->is_string()) {
    std::string_view s = v->get_string().value();
    if (iequals(s, "true")) return true;
    if (iequals(s, "false")) return false;
  }
  return std::nullopt;
}

// The first non-empty string among several paths.
inline std::optional<std::string_view> first_text(simdjson::dom::element e,
                                                  std::initializer_list<std::string_view> paths) {
  for (auto p : paths)
    if (auto s = text(e, p)) return s;
  return std::nullopt;
}

inline bool looks_like_ip(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  bool dot = false, colon = false;
  for (char c : s) {
    if (c == '.') {
      dot = true;
    } else if (c == ':') {
      colon = true;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return dot || colon;
}

// "1.2.3.4:5678" → "1.2.3.4"; "[2001:db8::1]:443" → "2001:db8::1"; anything else unchanged.
inline std::string_view strip_port(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close != std::string_view::npos) return s.substr(1, close - 1);
  }
  const std::size_t colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos &&
      s.find('.') != std::string_view::npos) {
    return s.substr(0, colon);
  }
  return s;
}

// Sets a normalized string attribute when the value is present and not empty.
inline void put(event& ev, ocsf::attr a, std::optional<std::string_view> s, decode_context& ctx) {
  if (s && !s->empty()) ev.set(a, value::string(ctx.store(*s)));
}

// Sets src_endpoint.ip when the text is an address (port stripped), hostname otherwise.
inline void put_source_address(event& ev, std::optional<std::string_view> s, decode_context& ctx) {
  if (!s || s->empty()) return;
  std::string_view a = strip_port(*s);
  ev.set(looks_like_ip(a) ? ocsf::attr::src_ip : ocsf::attr::src_hostname,
         value::string(ctx.store(a)));
}

// Parses JSON held in string fields (Sentinel exports write nested objects as strings). Each
// parse uses its own parser so several documents stay valid while one record is mapped;
// reset() makes them reusable for the next record.
class embedded_json {
 public:
  std::optional<simdjson::dom::element> parse(std::string_view s) {
    std::size_t a = 0;
    while (a < s.size() && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n')) ++a;
    if (a == s.size() || (s[a] != '{' && s[a] != '[')) return std::nullopt;
    if (used_ == parsers_.size()) parsers_.push_back(std::make_unique<simdjson::dom::parser>());
    auto doc = parsers_[used_]->parse(s.data(), s.size(), true);
    if (doc.error()) return std::nullopt;
    ++used_;
    return doc.value();
  }
  void reset() { used_ = 0; }

 private:
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
  std::size_t used_ = 0;
};

// An object member that may be an object or JSON text of one (Sentinel "DeviceDetail").
inline std::optional<simdjson::dom::element> object_or_json(simdjson::dom::element e,
                                                            std::string_view path,
                                                            embedded_json& docs) {
  auto v = field(e, path);
  if (!v) return std::nullopt;
  if (v->is_object() || v->is_array()) return v;
  if (v->is_string()) return docs.parse(v->get_string().value());
  return std::nullopt;
}

// Base of the decoders here. Adds what SaaS sources share: the time policy, and flattening of
// JSON text held in string members.
class source_decoder : public json_decoder {
 public:
  // Hand-written test fixtures (Panther rule tests) often omit or redact the time; a wrapper
  // decoder turns this on so such records are kept with no time instead of rejected.
  void set_time_optional(bool on) { time_optional_ = on; }

 protected:
  // Sets ev.time_ns from a timestamp text (ISO 8601 / RFC 3339 variants, or epoch seconds).
  // Returns the reason to reject the record when the time is missing or unreadable and the
  // time is required.
  std::optional<std::string> take_time(event& ev, std::optional<std::string_view> s,
                                       std::string_view name, decode_context& ctx) const {
    if (!s) {
      if (time_optional_) return std::nullopt;
      return std::string("record has no time (").append(name).append(")");
    }
    auto t = timeparse::iso8601(*s);
    if (!t) t = timeparse::epoch_seconds(*s);
    if (!t) {
      if (time_optional_) return std::nullopt;
      return std::string(name).append(" is not a timestamp: \"").append(s->substr(0, 64)) + "\"";
    }
    ev.time_ns = *t;
    ev.set(ocsf::attr::metadata_original_time, value::string(ctx.store(*s)));
    return std::nullopt;
  }

  // For every top-level member of rec whose value is a string holding a JSON object or array,
  // flattens the parsed value under the member's name, so "InitiatedBy.user.userPrincipalName"
  // is addressable although the export wrote InitiatedBy as text. The string stays as well.
  void flatten_embedded(simdjson::dom::element rec, event& ev, decode_context& ctx,
                        embedded_json& docs, std::string_view prefix = {}) {
    if (!rec.is_object()) return;
    std::string name;
    for (auto [key, v] : rec.get_object()) {
      if (!v.is_string()) continue;
      std::string_view s = v.get_string().value();
      if (s.size() < 2) continue;
      if (auto doc = docs.parse(s)) {
        name.assign(prefix).append(key);
        flatten(*doc, ev, ctx, name);
      }
    }
  }

  bool time_optional_ = false;
};

}  // namespace mamori::builtins::saas
