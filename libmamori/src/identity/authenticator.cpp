#include "mamori/identity/authenticator.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "mamori/authz/policy.hpp"

namespace mamori::identity {

namespace {

std::string resolve(const std::string& base, const std::string& p) {
  if (p.empty() || p[0] == '/' || base.empty()) return p;
  return (std::filesystem::path(base) / p).string();
}

class cfg_reader {
 public:
  cfg_reader(std::string file, diagnostics& d) : file_(std::move(file)), diag_(d) {}
  void error(const YAML::Node& n, std::string msg, std::string hint = {}) {
    source_location l;
    l.file = file_;
    l.line = n.Mark().line >= 0 ? static_cast<std::uint64_t>(n.Mark().line) + 1 : 0;
    diag_.report(severity_level::error, l, std::move(msg), std::move(hint));
    ++errors_;
  }
  void keys(const YAML::Node& n, std::initializer_list<std::string_view> allowed,
            std::string_view what) {
    if (!n.IsMap()) {
      error(n, fmt::format("{} must be a mapping", what));
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
        error(it->first, fmt::format("unknown key '{}' in {}", k, what),
              fmt::format("expected one of: {}", list));
      }
    }
  }
  std::string str(const YAML::Node& n, std::string_view what) {
    if (!n.IsScalar()) {
      error(n, fmt::format("{} must be a string", what));
      return {};
    }
    return n.Scalar();
  }
  std::vector<std::string> strs(const YAML::Node& n, std::string_view what) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
      for (const auto& e : n) out.push_back(str(e, what));
    } else {
      error(n, fmt::format("{} must be a string or a list", what));
    }
    return out;
  }
  std::int64_t duration(const YAML::Node& n, std::string_view what, std::int64_t dflt) {
    if (n.IsScalar()) {
      if (auto d = authz::parse_duration(n.Scalar())) return *d;
    }
    error(n, fmt::format("{} must be a duration", what), "e.g. 60s, 15m, 8h");
    return dflt;
  }
  std::size_t errors() const { return errors_; }

 private:
  std::string file_;
  diagnostics& diag_;
  std::size_t errors_ = 0;
};

}  // namespace

result<identity_config> load_identity_config_text(std::string_view yaml, const std::string& file,
                                                  const std::string& base, diagnostics& diag) {
  identity_config c;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("{}:{}: invalid YAML: {}", file, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap() || !root["identity"]) return c;
  cfg_reader r(file, diag);
  try {
    const YAML::Node id = root["identity"];
    r.keys(id, {"clock_skew", "oidc", "claims", "session", "assertion", "headers"}, "`identity`");
    if (!id.IsMap()) return fail(fmt::format("{}: invalid identity configuration", file));
    if (auto v = id["clock_skew"]) c.clock_skew = r.duration(v, "clock_skew", 60);
    if (auto o = id["oidc"]) {
      if (!o.IsSequence()) {
        r.error(o, "`oidc` must be a list of issuers");
      } else {
        for (const auto& n : o) {
          r.keys(n, {"issuer", "audiences", "jwks_file", "jwks_url", "refresh", "algorithms"},
                 "an OIDC issuer");
          if (!n.IsMap()) continue;
          oidc_issuer is;
          if (auto v = n["issuer"]) is.issuer = r.str(v, "issuer");
          if (auto v = n["audiences"]) is.audiences = r.strs(v, "audiences");
          if (auto v = n["jwks_file"]) is.jwks_file = resolve(base, r.str(v, "jwks_file"));
          if (auto v = n["jwks_url"]) is.jwks_url = r.str(v, "jwks_url");
          if (auto v = n["refresh"]) is.refresh = r.duration(v, "refresh", 900);
          if (auto v = n["algorithms"]) {
            is.algorithms.clear();
            for (const auto& a : r.strs(v, "algorithms")) {
              if (auto alg = parse_alg(a)) {
                is.algorithms.push_back(*alg);
              } else {
                r.error(v, fmt::format("algorithm '{}' is not supported", a),
                        "RS256, RS384, RS512, ES256, ES384, EdDSA (never none or HS*)");
              }
            }
          }
          if (is.issuer.empty()) r.error(n, "an OIDC issuer needs `issuer`");
          if (is.audiences.empty())
            r.error(n, "an OIDC issuer needs `audiences`",
                    "tokens for other audiences are refused");
          if (is.jwks_file.empty() == is.jwks_url.empty())
            r.error(n, "an OIDC issuer needs one of `jwks_file` or `jwks_url`");
          c.oidc.push_back(std::move(is));
        }
      }
    }
    if (auto m = id["claims"]) {
      r.keys(m, {"user", "email", "groups", "roles", "device", "mfa_acr", "groups_from"},
             "`claims`");
      if (m.IsMap()) {
        if (auto v = m["user"]) c.mapping.user_claim = r.str(v, "user");
        if (auto v = m["email"]) c.mapping.email_claim = r.str(v, "email");
        if (auto v = m["groups"]) c.mapping.groups_claim = r.str(v, "groups");
        if (auto v = m["roles"]) c.mapping.roles_claim = r.str(v, "roles");
        if (auto v = m["device"]) c.mapping.device_claim = r.str(v, "device");
        if (auto v = m["mfa_acr"]) c.mapping.mfa_acr = r.strs(v, "mfa_acr");
        if (auto g = m["groups_from"]) {
          if (!g.IsSequence()) {
            r.error(g, "`groups_from` must be a list");
          } else {
            for (const auto& n : g) {
              r.keys(n, {"claim", "equals", "prefix", "suffix", "group"}, "a groups_from rule");
              if (!n.IsMap()) continue;
              claim_group_rule cg;
              if (auto v = n["claim"]) cg.claim = r.str(v, "claim");
              if (auto v = n["equals"]) cg.equals = r.str(v, "equals");
              if (auto v = n["prefix"]) cg.prefix = r.str(v, "prefix");
              if (auto v = n["suffix"]) cg.suffix = r.str(v, "suffix");
              if (auto v = n["group"]) cg.group = r.str(v, "group");
              const int how = !cg.equals.empty() + !cg.prefix.empty() + !cg.suffix.empty();
              if (cg.claim.empty() || cg.group.empty() || how != 1) {
                r.error(
                    n, "a groups_from rule needs `claim`, `group` and one of equals/prefix/suffix");
              }
              c.mapping.claim_groups.push_back(std::move(cg));
            }
          }
        }
      }
    }
    if (auto s = id["session"]) {
      r.keys(s, {"cookie", "keys", "ttl"}, "`session`");
      if (s.IsMap()) {
        if (auto v = s["cookie"]) c.session_cookie = r.str(v, "cookie");
        if (auto v = s["keys"]) {
          for (const auto& k : r.strs(v, "keys")) c.session_key_files.push_back(resolve(base, k));
        }
        if (auto v = s["ttl"]) c.session_ttl = r.duration(v, "ttl", c.session_ttl);
      }
    }
    if (auto a = id["assertion"]) {
      r.keys(a, {"key", "ttl", "issuer"}, "`assertion`");
      if (a.IsMap()) {
        if (auto v = a["key"]) c.assertion_key_file = resolve(base, r.str(v, "key"));
        if (auto v = a["ttl"]) c.assertion_ttl = r.duration(v, "ttl", 60);
        if (auto v = a["issuer"]) c.assertion_issuer = r.str(v, "issuer");
      }
    }
    if (auto h = id["headers"]) {
      r.keys(h, {"device", "country"}, "`headers`");
      if (h.IsMap()) {
        if (auto v = h["device"]) c.device_header = r.str(v, "device");
        if (auto v = h["country"]) c.country_header = r.str(v, "country");
      }
    }
  } catch (const YAML::Exception& e) {
    return fail(
        fmt::format("{}:{}: invalid identity configuration: {}", file, e.mark.line + 1, e.msg));
  }
  if (r.errors() > 0) return fail(fmt::format("{}: {} error(s) in `identity`", file, r.errors()));
  return c;
}

result<identity_config> load_identity_config(const std::string& path, diagnostics& diag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("cannot read '{}'", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return load_identity_config_text(text, path, std::filesystem::path(path).parent_path().string(),
                                   diag);
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) {
      std::string_view v = part.substr(eq + 1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

result<std::unique_ptr<authenticator>> authenticator::create(const identity_config& cfg) {
  auto a = std::unique_ptr<authenticator>(new authenticator());
  a->cfg_ = cfg;
  for (const auto& is : cfg.oidc) {
    jwks_source::options o;
    o.file = is.jwks_file;
    o.url = is.jwks_url;
    o.refresh = std::chrono::seconds(is.refresh);
    auto src = jwks_source::open(o);
    if (!src) return fail(fmt::format("issuer {}: {}", is.issuer, src.error().message));
    a->issuers_.push_back({is, std::move(*src)});
  }
  if (!cfg.session_key_files.empty()) {
    std::vector<std::string> keys;
    for (const auto& f : cfg.session_key_files)
      keys.push_back(MAMORI_TRY(session_codec::read_key_file(f)));
    a->sessions_ = MAMORI_TRY(session_codec::create(std::move(keys)));
  }
  return a;
}

std::shared_ptr<const authz::principal> authenticator::cached(std::string_view credential,
                                                             std::int64_t now) {
  shard& s = cache_[authz::detail::string_hash{}(credential) % shards];
  std::lock_guard lock(s.mutex);
  auto it = s.map.find(credential);
  if (it == s.map.end()) return nullptr;
  if (now > it->second.expires + cfg_.clock_skew) {
    s.map.erase(it);
    return nullptr;
  }
  return it->second.who;
}

void authenticator::remember(std::string_view credential,
                             std::shared_ptr<const authz::principal> who, std::int64_t now) {
  shard& s = cache_[authz::detail::string_hash{}(credential) % shards];
  std::lock_guard lock(s.mutex);
  if (s.map.size() >= shard_capacity) {
    std::erase_if(s.map, [&](const auto& kv) { return now > kv.second.expires; });
    if (s.map.size() >= shard_capacity) s.map.clear();  // bounded memory beats a perfect LRU
  }
  const std::int64_t exp = who->expires_at;
  s.map.insert_or_assign(std::string(credential), cache_entry{std::move(who), exp});
}

std::size_t authenticator::cache_size() const {
  std::size_t n = 0;
  for (const auto& s : cache_) {
    std::lock_guard lock(s.mutex);
    n += s.map.size();
  }
  return n;
}

authenticator::outcome authenticator::bearer(std::string_view token, std::int64_t now) {
  if (auto hit = cached(token, now)) return {std::move(hit), {}};
  if (issuers_.empty())
    return {nullptr, "bearer tokens are not accepted (no OIDC issuer configured)"};
  // Pick the issuer from the (unverified) payload, then verify against its keys only.
  auto decoded = decode_jwt(token);
  if (!decoded) return {nullptr, decoded.error().message};
  auto claims = identity_from_claims(decoded->payload_json, cfg_.mapping);
  const std::string iss = claims ? claims->issuer : std::string();
  issuer_state* is = nullptr;
  for (auto& s : issuers_)
    if (s.cfg.issuer == iss) is = &s;
  if (is == nullptr) return {nullptr, fmt::format("issuer \"{}\" is not accepted", iss)};
  validation v;
  v.issuers = {is->cfg.issuer};
  v.audiences = is->cfg.audiences;
  v.algorithms = is->cfg.algorithms;
  v.clock_skew = cfg_.clock_skew;
  auto keys = is->keys->keys();
  auto ok = verify_jwt(token, *keys, v, now);
  if (!ok) {
    if (ok.error().message.starts_with("unknown key id")) is->keys->request_refresh();
    return {nullptr, ok.error().message};
  }
  if (!claims) return {nullptr, claims.error().message};
  auto who = std::make_shared<const authz::principal>(std::move(*claims));
  remember(token, who, now);
  return {std::move(who), {}};
}

authenticator::outcome authenticator::authenticate(std::string_view authorization,
                                                   std::string_view cookies, std::int64_t now) {
  if (authorization.size() > 7 &&
      (authorization.substr(0, 7) == "Bearer " || authorization.substr(0, 7) == "bearer ")) {
    std::string_view token = authorization.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    return bearer(token, now);
  }
  if (!cookies.empty() && sessions_) {
    const std::string_view value = cookie_value(cookies, cfg_.session_cookie);
    if (!value.empty()) {
      if (auto hit = cached(value, now)) return {std::move(hit), {}};
      auto id = sessions_->verify(value, now, cfg_.clock_skew);
      if (!id) return {nullptr, id.error().message};
      auto who = std::make_shared<const authz::principal>(std::move(*id));
      remember(value, who, now);
      return {std::move(who), {}};
    }
  }
  return {nullptr, {}};
}

}  // namespace mamori::identity
