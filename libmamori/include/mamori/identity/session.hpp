#pragma once
// mamori's own session cookies: "v1.<base64url(payload JSON)>.<base64url(HMAC-SHA256)>".
// The payload carries the identity a decision needs (user, groups, roles, amr, mfa,
// auth_time, session id, device) so a request costs one HMAC and no lookup. Several keys
// may verify (rotation); the first one signs. Revocation is by session id or by user
// (signals), so a stolen cookie dies with `revoke`, not with its expiry.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/authz/engine.hpp"
#include "mamori/core/result.hpp"

namespace mamori::identity {

class session_codec {
 public:
  // Keys of at least 32 bytes; keys[0] signs, all verify.
  static result<session_codec> create(std::vector<std::string> keys);
  // Reads a key file: its bytes (trailing newline dropped), at least 32 of them.
  static result<std::string> read_key_file(const std::string& path);

  // Issues a cookie value for `who`; sets issued_at = now, expires_at = now + ttl, and a
  // random session id when `who` has none.
  std::string issue(authz::principal who, std::int64_t now, std::int64_t ttl) const;
  result<authz::principal> verify(std::string_view cookie, std::int64_t now,
                                 std::int64_t clock_skew = 60) const;

 private:
  std::vector<std::string> keys_;
};

}  // namespace mamori::identity
