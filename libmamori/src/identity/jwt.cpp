#include "mamori/identity/jwt.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "mamori/authz/json_io.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::identity {

namespace dom = simdjson::dom;

result<jwt> decode_jwt(std::string_view token) {
  if (token.size() > 16384) return fail("token longer than 16 KiB");
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return fail("not a compact JWS (three base64url parts)");
  }
  jwt t;
  auto header = base64url_decode(token.substr(0, d1));
  auto payload = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64url_decode(token.substr(d2 + 1));
  if (!header || !payload || !sig) return fail("token part is not base64url");
  t.header_json = std::move(*header);
  t.payload_json = std::move(*payload);
  t.signature = std::move(*sig);
  t.signing_input = token.substr(0, d2);
  dom::parser parser;
  dom::element h;
  if (parser.parse(t.header_json).get(h) != simdjson::SUCCESS || !h.is_object()) {
    return fail("token header is not a JSON object");
  }
  std::string_view s;
  if (h["alg"].get(s) == simdjson::SUCCESS) t.alg = std::string(s);
  if (h["kid"].get(s) == simdjson::SUCCESS) t.kid = std::string(s);
  if (h["typ"].get(s) == simdjson::SUCCESS) t.typ = std::string(s);
  // "crit" names extensions we would have to understand (RFC 7515 §4.1.11): we know none.
  if (dom::element crit; h["crit"].get(crit) == simdjson::SUCCESS) {
    return fail("token header has \"crit\" extensions");
  }
  return t;
}

namespace {

std::optional<std::int64_t> int_claim(dom::element payload, std::string_view key) {
  dom::element v;
  if (payload[key].get(v) != simdjson::SUCCESS) return std::nullopt;
  std::int64_t i = 0;
  double d = 0;
  if (v.get(i) == simdjson::SUCCESS) return i;
  if (v.get(d) == simdjson::SUCCESS) return static_cast<std::int64_t>(d);
  return std::nullopt;
}

bool has_claim(dom::element payload, std::string_view key) {
  dom::element v;
  return payload[key].get(v) == simdjson::SUCCESS;
}

}  // namespace

result<jwt> verify_jwt(std::string_view token, const key_set& keys, const validation& v,
                       std::int64_t now) {
  jwt t = MAMORI_TRY(decode_jwt(token));
  if (t.alg.empty()) return fail("token has no \"alg\"");
  if (t.alg == "none") return fail("unsigned tokens (alg \"none\") are never accepted");
  const auto alg = parse_alg(t.alg);
  if (!alg || std::find(v.algorithms.begin(), v.algorithms.end(), *alg) == v.algorithms.end()) {
    return fail(fmt::format("algorithm \"{}\" is not accepted", t.alg));
  }
  const public_key* key = keys.find(t.kid, *alg);
  if (key == nullptr) {
    return fail(t.kid.empty() ? fmt::format("no single {} key to verify a token without kid", t.alg)
                              : fmt::format("unknown key id \"{}\" for {}", t.kid, t.alg));
  }
  if (auto ok = verify_signature(*key, *alg, t.signing_input, t.signature); !ok) {
    return tl::unexpected(ok.error());
  }
  dom::parser parser;
  dom::element p;
  if (parser.parse(t.payload_json).get(p) != simdjson::SUCCESS || !p.is_object()) {
    return fail("token payload is not a JSON object");
  }
  // Issuer.
  std::string_view iss;
  if (p["iss"].get(iss) != simdjson::SUCCESS) return fail("token has no \"iss\"");
  if (std::find(v.issuers.begin(), v.issuers.end(), iss) == v.issuers.end()) {
    return fail(fmt::format("issuer \"{}\" is not accepted", iss));
  }
  // Audience: a string or an array of strings (RFC 7519 §4.1.3).
  bool aud_ok = false;
  std::string aud_text;
  dom::element aud;
  if (p["aud"].get(aud) != simdjson::SUCCESS) return fail("token has no \"aud\"");
  auto check_aud = [&](std::string_view a) {
    aud_text += fmt::format("{}{}", aud_text.empty() ? "" : ",", a);
    if (std::find(v.audiences.begin(), v.audiences.end(), a) != v.audiences.end()) aud_ok = true;
  };
  if (std::string_view a; aud.get(a) == simdjson::SUCCESS) {
    check_aud(a);
  } else if (dom::array arr; aud.get(arr) == simdjson::SUCCESS) {
    for (dom::element x : arr)
      if (std::string_view a2; x.get(a2) == simdjson::SUCCESS) check_aud(a2);
  }
  if (!aud_ok) return fail(fmt::format("audience \"{}\" is not accepted", aud_text));
  // Times.
  const auto exp = int_claim(p, "exp");
  if (!exp) return fail(has_claim(p, "exp") ? "\"exp\" is not a number" : "token has no \"exp\"");
  if (now > *exp + v.clock_skew) {
    return fail(fmt::format("token expired {} ago", authz::format_duration(now - *exp)));
  }
  if (has_claim(p, "nbf")) {
    const auto nbf = int_claim(p, "nbf");
    if (!nbf) return fail("\"nbf\" is not a number");
    if (now + v.clock_skew < *nbf) {
      return fail(
          fmt::format("token not valid for another {}", authz::format_duration(*nbf - now)));
    }
  }
  if (has_claim(p, "iat")) {
    const auto iat = int_claim(p, "iat");
    if (!iat) return fail("\"iat\" is not a number");
    if (*iat > now + v.clock_skew) return fail("token issued in the future");
    if (v.max_age > 0 && now - *iat > v.max_age) {
      return fail(fmt::format("token issued {} ago (max {})", authz::format_duration(now - *iat),
                              authz::format_duration(v.max_age)));
    }
  }
  return t;
}

bool amr_means_mfa(const std::vector<std::string>& amr) {
  bool knowledge = false, possession = false, inherence = false;
  for (const auto& m : amr) {
    if (m == "mfa") return true;
    if (m == "pwd" || m == "pin" || m == "kba") knowledge = true;
    if (m == "otp" || m == "hwk" || m == "swk" || m == "sms" || m == "tel" || m == "sc" ||
        m == "pop") {
      possession = true;
    }
    if (m == "fpt" || m == "face" || m == "iris" || m == "retina" || m == "vbm") inherence = true;
  }
  return static_cast<int>(knowledge) + static_cast<int>(possession) + static_cast<int>(inherence) >=
         2;
}

result<authz::principal> identity_from_claims(std::string_view payload_json,
                                             const identity_mapping& m) {
  dom::parser parser;
  dom::element p;
  if (parser.parse(payload_json.data(), payload_json.size()).get(p) != simdjson::SUCCESS ||
      !p.is_object()) {
    return fail("claims are not a JSON object");
  }
  std::vector<std::pair<std::string, std::string>> claims;
  authz::flatten_claims(p, "", claims);
  auto first = [&](std::string_view name) -> std::string {
    for (const auto& [k, v] : claims)
      if (k == name) return v;
    return {};
  };
  auto all = [&](std::string_view name) {
    std::vector<std::string> out;
    for (const auto& [k, v] : claims)
      if (k == name) out.push_back(v);
    return out;
  };
  authz::principal id;
  id.user = first(m.user_claim);
  if (id.user.empty())
    return fail(fmt::format("token has no \"{}\" claim for the user", m.user_claim));
  id.email = first(m.email_claim);
  id.groups = all(m.groups_claim);
  id.roles = all(m.roles_claim);
  id.methods = all("amr");
  for (auto& x : id.methods)
    for (char& c : x)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  const std::string acr = first("acr");
  id.mfa = amr_means_mfa(id.methods) ||
           (!acr.empty() && std::find(m.mfa_acr.begin(), m.mfa_acr.end(), acr) != m.mfa_acr.end());
  id.auth_time = int_claim(p, "auth_time").value_or(0);
  id.issued_at = int_claim(p, "iat").value_or(0);
  id.expires_at = int_claim(p, "exp").value_or(0);
  id.session_id = first("sid");
  id.issuer = first("iss");
  id.device_id = first(m.device_claim);
  for (const auto& rule : m.claim_groups) {
    for (const auto& value : all(rule.claim)) {
      const bool hit = (!rule.equals.empty() && value == rule.equals) ||
                       (!rule.prefix.empty() && value.starts_with(rule.prefix)) ||
                       (!rule.suffix.empty() && value.ends_with(rule.suffix));
      if (hit && std::find(id.groups.begin(), id.groups.end(), rule.group) == id.groups.end()) {
        id.groups.push_back(rule.group);
      }
    }
  }
  id.claims = std::move(claims);
  return id;
}

result<std::string> sign_jwt(const private_key& key, std::string_view payload_json) {
  std::string header = "{\"alg\":";
  json_text::append_string(header, alg_name(key.alg()));
  header += ",\"typ\":\"JWT\",\"kid\":";
  json_text::append_string(header, key.kid);
  header += '}';
  std::string input = base64url_encode(header) + "." + base64url_encode(payload_json);
  const std::string sig = MAMORI_TRY(sign(key, input));
  return input + "." + base64url_encode(sig);
}

}  // namespace mamori::identity
