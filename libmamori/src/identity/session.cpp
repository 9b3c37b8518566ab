#include "mamori/identity/session.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <fstream>
#include <iterator>

#include "mamori/identity/crypto.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::identity {

namespace dom = simdjson::dom;

result<session_codec> session_codec::create(std::vector<std::string> keys) {
  if (keys.empty()) return fail("session cookies need at least one key");
  for (const auto& k : keys) {
    if (k.size() < 32) return fail("a session key must have at least 32 bytes");
  }
  session_codec c;
  c.keys_ = std::move(keys);
  return c;
}

result<std::string> session_codec::read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("cannot read session key '{}'", path));
  std::string k((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!k.empty() && (k.back() == '\n' || k.back() == '\r')) k.pop_back();
  if (k.size() < 32) {
    return fail(fmt::format("session key '{}' has {} bytes; at least 32 needed", path, k.size()));
  }
  return k;
}

namespace {

void append_list(std::string& out, std::string_view key, const std::vector<std::string>& v) {
  out += ',';
  json_text::append_string(out, key);
  out += ":[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    json_text::append_string(out, v[i]);
  }
  out += ']';
}

std::vector<std::string> read_list(dom::element p, std::string_view key) {
  std::vector<std::string> out;
  dom::array a;
  if (p[key].get(a) != simdjson::SUCCESS) return out;
  for (dom::element x : a)
    if (std::string_view s; x.get(s) == simdjson::SUCCESS) out.emplace_back(s);
  return out;
}

}  // namespace

std::string session_codec::issue(authz::principal who, std::int64_t now, std::int64_t ttl) const {
  if (who.session_id.empty()) who.session_id = base64url_encode(random_bytes(18));
  std::string p = "{\"sub\":";
  json_text::append_string(p, who.user);
  if (!who.email.empty()) {
    p += ",\"email\":";
    json_text::append_string(p, who.email);
  }
  append_list(p, "grp", who.groups);
  append_list(p, "rol", who.roles);
  append_list(p, "amr", who.methods);
  p += fmt::format(",\"mfa\":{},\"iat\":{},\"auth_time\":{},\"exp\":{}", who.mfa, now,
                   who.auth_time != 0 ? who.auth_time : now, now + ttl);
  p += ",\"sid\":";
  json_text::append_string(p, who.session_id);
  if (!who.device_id.empty()) {
    p += ",\"dev\":";
    json_text::append_string(p, who.device_id);
  }
  if (!who.issuer.empty()) {
    p += ",\"iss\":";
    json_text::append_string(p, who.issuer);
  }
  p += '}';
  std::string input = "v1." + base64url_encode(p);
  return input + "." + base64url_encode(hmac_sha256(keys_.front(), input));
}

result<authz::principal> session_codec::verify(std::string_view cookie, std::int64_t now,
                                              std::int64_t skew) const {
  if (cookie.size() > 8192) return fail("session cookie too long");
  if (!cookie.starts_with("v1.")) return fail("not a mamori session cookie");
  const auto dot = cookie.rfind('.');
  if (dot <= 3) return fail("malformed session cookie");
  const std::string_view input = cookie.substr(0, dot);
  const auto mac = base64url_decode(cookie.substr(dot + 1));
  if (!mac) return fail("malformed session cookie");
  bool ok = false;
  for (const auto& k : keys_) {
    if (constant_time_equal(hmac_sha256(k, input), *mac)) {
      ok = true;
      break;
    }
  }
  if (!ok) return fail("session cookie signature does not verify");
  const auto payload = base64url_decode(input.substr(3));
  if (!payload) return fail("malformed session cookie");
  dom::parser parser;
  dom::element p;
  if (parser.parse(*payload).get(p) != simdjson::SUCCESS || !p.is_object()) {
    return fail("malformed session cookie payload");
  }
  authz::principal id;
  std::string_view s;
  if (p["sub"].get(s) != simdjson::SUCCESS || s.empty()) return fail("session cookie has no user");
  id.user = std::string(s);
  if (p["email"].get(s) == simdjson::SUCCESS) id.email = std::string(s);
  if (p["sid"].get(s) == simdjson::SUCCESS) id.session_id = std::string(s);
  if (p["dev"].get(s) == simdjson::SUCCESS) id.device_id = std::string(s);
  if (p["iss"].get(s) == simdjson::SUCCESS) id.issuer = std::string(s);
  id.groups = read_list(p, "grp");
  id.roles = read_list(p, "rol");
  id.methods = read_list(p, "amr");
  bool mfa = false;
  if (p["mfa"].get(mfa) == simdjson::SUCCESS) id.mfa = mfa;
  std::int64_t v = 0;
  if (p["iat"].get(v) == simdjson::SUCCESS) id.issued_at = v;
  if (p["auth_time"].get(v) == simdjson::SUCCESS) id.auth_time = v;
  if (p["exp"].get(v) != simdjson::SUCCESS) return fail("session cookie has no expiry");
  id.expires_at = v;
  if (now > id.expires_at + skew) {
    return fail(fmt::format("session expired {} ago", authz::format_duration(now - id.expires_at)));
  }
  if (id.issued_at > now + skew) return fail("session cookie issued in the future");
  return id;
}

}  // namespace mamori::identity
