#pragma once
// JSON Web Tokens (RFC 7519) as OIDC ID and access tokens: compact JWS parsing with our own
// base64url and simdjson, signature verification through OpenSSL (crypto.hpp), registered
// claims (iss, aud, exp, nbf, iat) with clock skew, then claims → identity (user, groups,
// roles, MFA from amr/acr, claim → group mapping). Also signs mamori's own assertions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/authz/engine.hpp"
#include "mamori/core/result.hpp"
#include "mamori/identity/crypto.hpp"

namespace mamori::identity {

struct jwt {
  std::string header_json;
  std::string payload_json;
  std::string_view signing_input;  // "header.payload" as received (view into the token)
  std::string signature;
  std::string alg, kid, typ;
};

// Splits and decodes a compact JWS; no verification.
result<jwt> decode_jwt(std::string_view token);

struct validation {
  std::vector<std::string> issuers;    // "iss" must be one of these (required)
  std::vector<std::string> audiences;  // "aud" must contain one of these (required)
  std::vector<jws_alg> algorithms = {jws_alg::rs256, jws_alg::es256, jws_alg::eddsa};
  std::int64_t clock_skew = 60;  // seconds of tolerance on exp, nbf, iat
  std::int64_t max_age = 0;      // reject tokens issued longer ago than this (0 = no limit)
};

// Verifies signature and registered claims. The error says which check failed
// ("token expired 5m ago", "audience ... not accepted", "bad signature", ...).
result<jwt> verify_jwt(std::string_view token, const key_set& keys, const validation& v,
                       std::int64_t now);

// How token claims become an identity.
struct claim_group_rule {
  std::string claim;                   // dotted path
  std::string equals, prefix, suffix;  // one of them
  std::string group;
};
struct identity_mapping {
  std::string user_claim = "sub";
  std::string email_claim = "email";
  std::string groups_claim = "groups";
  std::string roles_claim = "roles";
  std::string device_claim = "device_id";
  std::vector<std::string> mfa_acr;  // acr values that mean MFA
  std::vector<claim_group_rule> claim_groups;
};

// MFA per RFC 8176: "mfa" in amr, or methods from two factor categories (knowledge: pwd,
// pin, kba; possession: otp, hwk, swk, sms, tel, sc, pop; inherence: fpt, face, iris,
// retina, vbm), or an acr listed in mfa_acr.
bool amr_means_mfa(const std::vector<std::string>& amr);

result<authz::principal> identity_from_claims(std::string_view payload_json,
                                             const identity_mapping& m);

// Signs a JWT with the header {"alg","typ":"JWT","kid"} and the given payload JSON.
result<std::string> sign_jwt(const private_key& key, std::string_view payload_json);

}  // namespace mamori::identity
