#include "mamori/identity/crypto.hpp"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <simdjson.h>

#include <array>

#include "mamori/output/json_text.hpp"

namespace mamori::identity {

namespace {

constexpr char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_b64url_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& x : t) x = -1;
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(b64url_alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto b64url_table = make_b64url_table();

std::string openssl_error(std::string_view what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return std::string(what);
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return fmt::format("{}: {}", what, buf);
}

struct bn_free {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;
struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;
struct pkey_ctx_free {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_free>;

pkey_ptr wrap(EVP_PKEY* k) {
  return pkey_ptr(k, pkey_deleter{});
}

const EVP_MD* digest_for(jws_alg a) {
  switch (a) {
    case jws_alg::rs256:
    case jws_alg::es256:
      return EVP_sha256();
    case jws_alg::rs384:
    case jws_alg::es384:
      return EVP_sha384();
    case jws_alg::rs512:
      return EVP_sha512();
    case jws_alg::eddsa:
      return nullptr;
  }
  return nullptr;
}

std::size_t ec_size(key_type t) {
  return t == key_type::ec_p384 ? 48 : 32;
}

result<key_type> classify(EVP_PKEY* k) {
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA:
      return key_type::rsa;
    case EVP_PKEY_ED25519:
      return key_type::ed25519;
    case EVP_PKEY_EC: {
      char name[64] = {0};
      std::size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) !=
          1) {
        return fail("EC key without a named curve");
      }
      const std::string_view n(name, len);
      if (n == "prime256v1" || n == "P-256") return key_type::ec_p256;
      if (n == "secp384r1" || n == "P-384") return key_type::ec_p384;
      return fail(fmt::format("unsupported EC curve {}", n));
    }
    default:
      return fail("unsupported key type (RSA, EC P-256/P-384, Ed25519)");
  }
}

std::string bn_bytes(const BIGNUM* b, std::size_t pad = 0) {
  std::string out(pad != 0 ? pad : static_cast<std::size_t>(BN_num_bytes(b)), '\0');
  if (pad != 0) {
    BN_bn2binpad(b, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(pad));
  } else {
    BN_bn2bin(b, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

}  // namespace

void pkey_deleter::operator()(EVP_PKEY* k) const {
  EVP_PKEY_free(k);
}

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += b64url_alphabet[(v >> 18) & 63];
    out += b64url_alphabet[(v >> 12) & 63];
    out += b64url_alphabet[(v >> 6) & 63];
    out += b64url_alphabet[v & 63];
  }
  if (in.size() - i == 1) {
    const std::uint32_t v = byte(i) << 16;
    out += b64url_alphabet[(v >> 18) & 63];
    out += b64url_alphabet[(v >> 12) & 63];
  } else if (in.size() - i == 2) {
    const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += b64url_alphabet[(v >> 18) & 63];
    out += b64url_alphabet[(v >> 12) & 63];
    out += b64url_alphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = b64url_table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero (canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<jws_alg> parse_alg(std::string_view n) {
  if (n == "RS256") return jws_alg::rs256;
  if (n == "RS384") return jws_alg::rs384;
  if (n == "RS512") return jws_alg::rs512;
  if (n == "ES256") return jws_alg::es256;
  if (n == "ES384") return jws_alg::es384;
  if (n == "EdDSA") return jws_alg::eddsa;
  return std::nullopt;
}

std::string_view alg_name(jws_alg a) {
  switch (a) {
    case jws_alg::rs256:
      return "RS256";
    case jws_alg::rs384:
      return "RS384";
    case jws_alg::rs512:
      return "RS512";
    case jws_alg::es256:
      return "ES256";
    case jws_alg::es384:
      return "ES384";
    case jws_alg::eddsa:
      return "EdDSA";
  }
  return "?";
}

key_type key_type_for(jws_alg a) {
  switch (a) {
    case jws_alg::rs256:
    case jws_alg::rs384:
    case jws_alg::rs512:
      return key_type::rsa;
    case jws_alg::es256:
      return key_type::ec_p256;
    case jws_alg::es384:
      return key_type::ec_p384;
    case jws_alg::eddsa:
      return key_type::ed25519;
  }
  return key_type::rsa;
}

namespace {

result<public_key> jwk_from_element(simdjson::dom::element e) {
  auto field = [&](std::string_view k) -> std::string_view {
    std::string_view s;
    if (e[k].get(s) != simdjson::SUCCESS) return {};
    return s;
  };
  auto b64 = [&](std::string_view k) -> result<std::string> {
    auto v = base64url_decode(field(k));
    if (!v || v->empty()) return fail(fmt::format("JWK: \"{}\" is missing or not base64url", k));
    return *v;
  };
  public_key pk;
  pk.kid = std::string(field("kid"));
  const std::string_view kty = field("kty");
  const std::string_view use = field("use");
  if (!use.empty() && use != "sig")
    return fail(fmt::format("JWK {}: use \"{}\" is not sig", pk.kid, use));
  if (auto a = field("alg"); !a.empty()) {
    pk.alg = parse_alg(a);
    if (!pk.alg) return fail(fmt::format("JWK {}: unsupported alg \"{}\"", pk.kid, a));
  }
  if (kty == "RSA") {
    const std::string n = MAMORI_TRY(b64("n"));
    const std::string ex = MAMORI_TRY(b64("e"));
    bn_ptr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                          static_cast<int>(n.size()), nullptr));
    bn_ptr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(ex.data()),
                          static_cast<int>(ex.size()), nullptr));
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* k = nullptr;
    const bool ok = ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                    EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    if (!ok) return fail(openssl_error(fmt::format("JWK {}: bad RSA key", pk.kid)));
    pk.key = wrap(k);
    pk.type = key_type::rsa;
  } else if (kty == "EC") {
    const std::string_view crv = field("crv");
    const char* group = nullptr;
    std::size_t size = 0;
    if (crv == "P-256") {
      group = "prime256v1";
      size = 32;
      pk.type = key_type::ec_p256;
    } else if (crv == "P-384") {
      group = "secp384r1";
      size = 48;
      pk.type = key_type::ec_p384;
    } else {
      return fail(fmt::format("JWK {}: unsupported curve \"{}\"", pk.kid, crv));
    }
    const std::string x = MAMORI_TRY(b64("x"));
    const std::string y = MAMORI_TRY(b64("y"));
    if (x.size() != size || y.size() != size)
      return fail(fmt::format("JWK {}: bad EC coordinates", pk.kid));
    std::string point = "\x04" + x + y;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* k = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
      return fail(openssl_error(fmt::format("JWK {}: bad EC key", pk.kid)));
    }
    pk.key = wrap(k);
  } else if (kty == "OKP") {
    if (field("crv") != "Ed25519") {
      return fail(fmt::format("JWK {}: unsupported OKP curve \"{}\"", pk.kid, field("crv")));
    }
    const std::string x = MAMORI_TRY(b64("x"));
    if (x.size() != 32) return fail(fmt::format("JWK {}: bad Ed25519 key", pk.kid));
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
    if (k == nullptr) return fail(openssl_error(fmt::format("JWK {}: bad Ed25519 key", pk.kid)));
    pk.key = wrap(k);
    pk.type = key_type::ed25519;
  } else {
    return fail(fmt::format("JWK {}: unsupported kty \"{}\"", pk.kid, kty));
  }
  if (pk.alg && key_type_for(*pk.alg) != pk.type) {
    return fail(fmt::format("JWK {}: alg {} does not fit the key type", pk.kid, alg_name(*pk.alg)));
  }
  return pk;
}

}  // namespace

result<public_key> parse_jwk(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::padded_string padded(json);
  if (parser.parse(padded).get(e) != simdjson::SUCCESS || !e.is_object()) {
    return fail("JWK: not a JSON object");
  }
  return jwk_from_element(e);
}

result<key_set> parse_jwks(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::padded_string padded(json);
  if (auto err = parser.parse(padded).get(e); err) {
    return fail(fmt::format("JWKS: invalid JSON: {}", simdjson::error_message(err)));
  }
  simdjson::dom::array keys;
  if (e["keys"].get(keys) != simdjson::SUCCESS) return fail("JWKS: no \"keys\" array");
  key_set out;
  for (simdjson::dom::element k : keys) {
    if (!k.is_object()) {
      out.skipped.push_back("a key that is not an object");
      continue;
    }
    auto pk = jwk_from_element(k);
    if (!pk) {
      out.skipped.push_back(pk.error().message);
      continue;
    }
    out.keys.push_back(std::move(*pk));
  }
  if (out.keys.empty()) {
    return fail(fmt::format("JWKS: no usable key{}{}", out.skipped.empty() ? "" : ": ",
                            out.skipped.empty() ? "" : out.skipped.front()));
  }
  return out;
}

const public_key* key_set::find(std::string_view kid, jws_alg alg) const {
  const key_type want = key_type_for(alg);
  const public_key* only = nullptr;
  std::size_t candidates = 0;
  for (const auto& k : keys) {
    if (k.type != want) continue;
    if (k.alg && *k.alg != alg) continue;
    if (!kid.empty()) {
      if (k.kid == kid) return &k;
      continue;
    }
    only = &k;
    ++candidates;
  }
  return kid.empty() && candidates == 1 ? only : nullptr;
}

result<void> verify_signature(const public_key& key, jws_alg alg, std::string_view input,
                              std::string_view sig) {
  if (key_type_for(alg) != key.type) {
    return fail(fmt::format("algorithm {} does not fit key {}", alg_name(alg), key.kid));
  }
  if (key.type == key_type::rsa && EVP_PKEY_get_bits(key.key.get()) < 2048) {
    return fail(fmt::format("RSA key {} is shorter than 2048 bits", key.kid));
  }
  std::string der;
  std::string_view to_verify = sig;
  if (key.type == key_type::ec_p256 || key.type == key_type::ec_p384) {
    // JWS carries R || S (RFC 7518 §3.4); OpenSSL wants a DER ECDSA-Sig-Value.
    const std::size_t n = ec_size(key.type);
    if (sig.size() != 2 * n) return fail("ECDSA signature has the wrong length");
    ECDSA_SIG* es = ECDSA_SIG_new();
    BIGNUM* r =
        BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), static_cast<int>(n), nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data() + n),
                          static_cast<int>(n), nullptr);
    ECDSA_SIG_set0(es, r, s);
    unsigned char* p = nullptr;
    const int len = i2d_ECDSA_SIG(es, &p);
    ECDSA_SIG_free(es);
    if (len <= 0) return fail("ECDSA signature cannot be encoded");
    der.assign(reinterpret_cast<char*>(p), static_cast<std::size_t>(len));
    OPENSSL_free(p);
    to_verify = der;
  }
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(alg), nullptr, key.key.get()) != 1) {
    return fail(openssl_error("signature verification setup failed"));
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(to_verify.data()), to_verify.size(),
      reinterpret_cast<const unsigned char*>(input.data()), input.size());
  ERR_clear_error();
  if (rc != 1) return fail("bad signature");
  return {};
}

jws_alg private_key::alg() const {
  switch (type) {
    case key_type::rsa:
      return jws_alg::rs256;
    case key_type::ec_p256:
      return jws_alg::es256;
    case key_type::ec_p384:
      return jws_alg::es384;
    case key_type::ed25519:
      return jws_alg::eddsa;
  }
  return jws_alg::eddsa;
}

std::string private_key::public_jwk() const {
  std::string out = "{";
  auto add = [&](std::string_view k, std::string_view v) {
    if (out.size() > 1) out += ',';
    json_text::append_string(out, k);
    out += ':';
    json_text::append_string(out, v);
  };
  EVP_PKEY* k = key.get();
  if (type == key_type::rsa) {
    BIGNUM *n = nullptr, *e = nullptr;
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e);
    add("kty", "RSA");
    add("n", base64url_encode(bn_bytes(n)));
    add("e", base64url_encode(bn_bytes(e)));
    BN_free(n);
    BN_free(e);
  } else if (type == key_type::ed25519) {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(k, raw, &len);
    add("kty", "OKP");
    add("crv", "Ed25519");
    add("x", base64url_encode(std::string_view(reinterpret_cast<char*>(raw), len)));
  } else {
    BIGNUM *x = nullptr, *y = nullptr;
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    add("kty", "EC");
    add("crv", type == key_type::ec_p256 ? "P-256" : "P-384");
    add("x", base64url_encode(bn_bytes(x, ec_size(type))));
    add("y", base64url_encode(bn_bytes(y, ec_size(type))));
    BN_free(x);
    BN_free(y);
  }
  add("use", "sig");
  add("alg", alg_name(alg()));
  add("kid", kid);
  return out + "}";
}

namespace {

result<private_key> finish_private(EVP_PKEY* k) {
  private_key pk;
  pk.key = wrap(k);
  pk.type = MAMORI_TRY(classify(k));
  // kid: a SHA-256 thumbprint of the public JWK, stable for the key.
  std::string jwk = pk.public_jwk();
  pk.kid = base64url_encode(sha256(jwk)).substr(0, 16);
  return pk;
}

}  // namespace

result<private_key> load_private_key_pem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (k == nullptr) return fail(openssl_error("not a PEM private key"));
  return finish_private(k);
}

result<private_key> generate_private_key(key_type type) {
  EVP_PKEY* k = nullptr;
  switch (type) {
    case key_type::rsa:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
      break;
    case key_type::ec_p256:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case key_type::ec_p384:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case key_type::ed25519:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (k == nullptr) return fail(openssl_error("key generation failed"));
  return finish_private(k);
}

std::string private_key_pem(const private_key& k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, k.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

result<std::string> sign(const private_key& key, std::string_view input) {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  const jws_alg alg = key.alg();
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, digest_for(alg), nullptr, key.key.get()) != 1) {
    return fail(openssl_error("signing setup failed"));
  }
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1)
    return fail(openssl_error("sign"));
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1) {
    return fail(openssl_error("sign"));
  }
  sig.resize(len);
  if (key.type == key_type::ec_p256 || key.type == key_type::ec_p384) {
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    if (es == nullptr) return fail("ECDSA signature cannot be decoded");
    const BIGNUM *r = nullptr, *s = nullptr;
    ECDSA_SIG_get0(es, &r, &s);
    const std::size_t n = ec_size(key.type);
    std::string raw = bn_bytes(r, n) + bn_bytes(s, n);
    ECDSA_SIG_free(es);
    return raw;
  }
  return sig;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}

}  // namespace mamori::identity
