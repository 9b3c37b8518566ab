// libFuzzer target for the access-decision inputs that come from outside: tokens, session
// cookies, Cookie headers, request paths, JWKS documents, signals and request documents,
// and policy YAML. The first byte picks the parser. Properties: no crash, no sanitizer
// report, no hang; normalised paths are absolute, with no empty, "." or ".." segment.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mamori/authz/engine.hpp"
#include "mamori/authz/json_io.hpp"
#include "mamori/authz/lint.hpp"
#include "mamori/identity/authenticator.hpp"
#include "mamori/identity/jwt.hpp"
#include "mamori/identity/session.hpp"

namespace {

using namespace mamori;

struct fixture {
  identity::private_key key = *identity::generate_private_key(identity::key_type::ec_p256);
  identity::key_set keys = *identity::parse_jwks("{\"keys\":[" + key.public_jwk() + "]}");
  identity::session_codec sessions = *identity::session_codec::create({std::string(32, 'k')});
  std::shared_ptr<const authz::compiled_policy> policy;
  fixture() {
    diagnostics diag;
    auto p = authz::load_policy_text(R"(
applications:
  - name: a
    hosts: ["*.example.com", "*"]
    rules:
      - {name: d, effect: deny, paths: [/admin/*], who: {groups: [x]}}
      - {name: s, effect: step_up, paths: [/admin/*], how: {mfa: true}}
      - {name: p, effect: allow, public: true, paths: [/public/*]}
      - {name: w, effect: allow, when: {hours: "22:00-06:00", timezone: "+09:00"}, where: {networks: [10.0.0.0/8]}}
)",
                                     "fuzz.yaml", diag);
    policy = *authz::compiled_policy::compile(std::move(*p));
  }
};

void check_path(std::string_view in) {
  const std::string p = authz::normalize_path(in);
  if (p.empty() || p[0] != '/') std::abort();
  if (p.find("//") != std::string::npos) std::abort();
  if (p.find("/./") != std::string::npos || p.find("/../") != std::string::npos) std::abort();
  if (p.ends_with("/.") || p.ends_with("/..")) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fixture f;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::int64_t now = 1'790'000'000;
  switch (data[0] % 8) {
    case 0: {
      identity::validation v;
      v.issuers = {"https://idp"};
      v.audiences = {"a"};
      (void)identity::verify_jwt(in, f.keys, v, now);
      if (auto t = identity::decode_jwt(in))
        (void)identity::identity_from_claims(t->payload_json, {});
      break;
    }
    case 1:
      (void)f.sessions.verify(in, now);
      break;
    case 2:
      (void)identity::cookie_value(in, "mamori_session");
      break;
    case 3: {
      check_path(in);
      authz::signal_store store;
      authz::principal who;
      who.user = "u";
      authz::access_request r;
      const std::string path = authz::normalize_path(in);
      r.host = in.substr(0, in.find('/'));
      r.path = path;
      r.method = "GET";
      r.time_ns = now * 1'000'000'000;
      r.who = (size & 1) ? &who : nullptr;
      auto snap = store.snapshot();
      const auto d = f.policy->decide(r, *snap);
      (void)f.policy->reason(d, r, *snap);
      break;
    }
    case 4: {
      if (auto k = identity::parse_jwks(in)) {
        for (const auto& key : k->keys)
          (void)identity::verify_signature(key, identity::jws_alg::es256, in, in);
      }
      break;
    }
    case 5: {
      authz::signal_store store;
      (void)authz::apply_signals_json(in, store, now);
      break;
    }
    case 6: {
      authz::signal_store store;
      if (auto doc = authz::parse_request_json(in, store, now * 1'000'000'000)) {
        auto snap = store.snapshot();
        (void)f.policy->explain(doc->view(), *snap);
      }
      break;
    }
    case 7: {
      if (in.size() > 4096) break;
      diagnostics diag;
      if (auto p = authz::load_policy_text(in, "fuzz.yaml", diag)) {
        (void)authz::lint_policy(*p);
        (void)authz::compiled_policy::compile(std::move(*p));
      }
      break;
    }
  }
  return 0;
}
