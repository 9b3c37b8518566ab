#pragma once
// The cryptography identity needs, all through OpenSSL 3 (Debian libssl-dev), none of it
// hand-written: base64url, JWK ↔ EVP_PKEY, JWS signature verification and signing (RS256,
// RS384, RS512, ES256, ES384, EdDSA/Ed25519), HMAC-SHA256 for session cookies, SHA-256.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace mamori::identity {

std::string base64url_encode(std::string_view bytes);
// Accepts unpadded base64url (RFC 7515 §2); rejects padding, whitespace and other alphabets.
std::optional<std::string> base64url_decode(std::string_view text);

struct pkey_deleter {
  void operator()(EVP_PKEY* k) const;
};
using pkey_ptr = std::shared_ptr<EVP_PKEY>;

enum class key_type : std::uint8_t { rsa, ec_p256, ec_p384, ed25519 };

// JWS algorithms mamori accepts (RFC 7518 §3.1, RFC 8037). "none" and HMAC algorithms are
// never accepted for tokens verified with public keys (algorithm-confusion attacks).
enum class jws_alg : std::uint8_t { rs256, rs384, rs512, es256, es384, eddsa };
std::optional<jws_alg> parse_alg(std::string_view name);
std::string_view alg_name(jws_alg a);
key_type key_type_for(jws_alg a);

struct public_key {
  std::string kid;
  key_type type = key_type::rsa;
  std::optional<jws_alg> alg;  // the JWK's "alg", when it pins one
  pkey_ptr key;
};

// One JWK (RFC 7517) → key; only keys with "use" absent or "sig" are accepted.
result<public_key> parse_jwk(std::string_view json);
// A JWK Set: {"keys":[...]}; keys of unsupported types are skipped (listed in `skipped`).
struct key_set {
  std::vector<public_key> keys;
  std::vector<std::string> skipped;
  // The key for a token header: by kid when given, otherwise the single key of the right type.
  const public_key* find(std::string_view kid, jws_alg alg) const;
};
result<key_set> parse_jwks(std::string_view json);

// Verifies a JWS signature: `alg` must fit the key type (an RSA key never verifies ES256,
// an RSA key under 2048 bits never verifies at all).
result<void> verify_signature(const public_key& key, jws_alg alg, std::string_view signing_input,
                              std::string_view signature);

struct private_key {
  std::string kid;
  key_type type = key_type::ed25519;
  pkey_ptr key;
  jws_alg alg() const;
  // The public half as a JWK JSON object (for /.well-known/jwks.json).
  std::string public_jwk() const;
};
// PEM (PKCS#8 or traditional) private key file.
result<private_key> load_private_key_pem(std::string_view pem);
result<private_key> generate_private_key(key_type type);
std::string private_key_pem(const private_key& k);
result<std::string> sign(const private_key& key, std::string_view signing_input);

std::string hmac_sha256(std::string_view key, std::string_view data);
std::string sha256(std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);
std::string random_bytes(std::size_t n);

}  // namespace mamori::identity
