#pragma once
// Who is asking: the identity layer of the decision endpoint. Reads the `identity:` section
// of the policy file (docs/authz.md), verifies OIDC bearer tokens against each issuer's
// JWKS and mamori session cookies, maps claims to groups, and caches verified credentials
// until they expire so a request pays for a signature check once per token, not per request.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mamori/authz/engine.hpp"
#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/identity/jwks.hpp"
#include "mamori/identity/jwt.hpp"
#include "mamori/identity/session.hpp"

namespace mamori::identity {

struct oidc_issuer {
  std::string issuer;
  std::vector<std::string> audiences;
  std::string jwks_file;  // absolute, or relative to the policy file
  std::string jwks_url;
  std::int64_t refresh = 900;
  std::vector<jws_alg> algorithms = {jws_alg::rs256, jws_alg::es256, jws_alg::eddsa};
};

struct identity_config {
  std::vector<oidc_issuer> oidc;
  std::int64_t clock_skew = 60;
  identity_mapping mapping;
  std::string session_cookie = "mamori_session";
  std::vector<std::string> session_key_files;  // first signs, all verify
  std::int64_t session_ttl = 8 * 3600;
  std::string assertion_key_file;  // PEM; an Ed25519 key is generated when empty
  std::int64_t assertion_ttl = 60;
  std::string assertion_issuer = "mamori";
  std::string device_header = "X-Mamori-Device";
  std::string country_header = "X-Mamori-Country";
};

// Reads `identity:` from a policy file (absent → defaults). Relative paths are resolved
// against the policy file's directory. Problems are reported with file:line.
result<identity_config> load_identity_config(const std::string& policy_path, diagnostics& diag);
result<identity_config> load_identity_config_text(std::string_view yaml, const std::string& file,
                                                  const std::string& base_dir, diagnostics& diag);

// Value of one cookie in a Cookie header ("a=1; mamori_session=v1...; b=2").
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

class authenticator {
 public:
  static result<std::unique_ptr<authenticator>> create(const identity_config& cfg);

  struct outcome {
    std::shared_ptr<const authz::principal> who;  // nullptr = anonymous
    std::string error;                           // a credential was presented but rejected (why)
  };
  // `authorization`: the Authorization header; `cookies`: the Cookie header.
  outcome authenticate(std::string_view authorization, std::string_view cookies, std::int64_t now);

  const session_codec* sessions() const { return sessions_ ? &*sessions_ : nullptr; }
  const identity_config& config() const { return cfg_; }
  std::size_t cache_size() const;

 private:
  struct issuer_state {
    oidc_issuer cfg;
    std::shared_ptr<jwks_source> keys;
  };
  struct cache_entry {
    std::shared_ptr<const authz::principal> who;
    std::int64_t expires = 0;
  };
  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, cache_entry, authz::detail::string_hash, std::equal_to<>> map;
  };
  static constexpr std::size_t shards = 16;
  static constexpr std::size_t shard_capacity = 8192;

  std::shared_ptr<const authz::principal> cached(std::string_view credential, std::int64_t now);
  void remember(std::string_view credential, std::shared_ptr<const authz::principal> who,
                std::int64_t now);
  outcome bearer(std::string_view token, std::int64_t now);

  identity_config cfg_;
  std::vector<issuer_state> issuers_;
  std::optional<session_codec> sessions_;
  std::array<shard, shards> cache_;
};

}  // namespace mamori::identity
