#include "mamori/authz/service.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "mamori/authz/json_io.hpp"
#include "mamori/authz/policy.hpp"
#include "mamori/event/time.hpp"
#include "mamori/identity/jwt.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::authz {

std::string_view proxy_name(proxy_style p) {
  switch (p) {
    case proxy_style::generic:
      return "generic";
    case proxy_style::nginx:
      return "nginx";
    case proxy_style::caddy:
      return "caddy";
    case proxy_style::traefik:
      return "traefik";
    case proxy_style::envoy:
      return "envoy";
  }
  return "?";
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

std::atomic<std::uint64_t> next_instance{1};

struct thread_readers {
  std::uint64_t owner = 0;
  std::optional<policy_reader> policy;
  std::optional<signal_reader> signals;
};
thread_local thread_readers tls_readers;

std::int64_t file_fingerprint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  const auto mt = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                  static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  return static_cast<std::int64_t>(mt ^
                                   (static_cast<std::uint64_t>(st.st_ino) * 0x9e3779b97f4a7c15u) ^
                                   (static_cast<std::uint64_t>(st.st_size) << 32));
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view first_of_list(std::string_view v) {
  v = v.substr(0, v.find(','));
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v;
}

std::string_view last_of_list(std::string_view v) {
  const auto comma = v.rfind(',');
  if (comma != std::string_view::npos) v = v.substr(comma + 1);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v;
}

// Header values must not carry control characters (reasons quote user data).
std::string header_safe(std::string_view s, std::size_t max = 512) {
  std::string out(s.substr(0, max));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

std::string join(const std::vector<std::string>& v, char sep = ',') {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += sep;
    out += x;
  }
  return out;
}

void json_reply(http_reply& out, int status, std::string body) {
  out.status = status;
  out.content_type = "application/json";
  out.body = std::move(body);
  out.body += '\n';
}

std::string json_error(std::string_view msg) {
  std::string s = "{\"error\":";
  json_text::append_string(s, msg);
  return s + "}";
}

}  // namespace

result<std::unique_ptr<decision_service>> decision_service::create(service_options o,
                                                                   diagnostics& diag) {
  std::unique_ptr<decision_service> s(new decision_service());
  s->opts_ = std::move(o);
  s->instance_ = next_instance.fetch_add(1);
  auto p = MAMORI_TRY(load_policy_file(s->opts_.policy_path, diag));
  const std::int64_t half_life = p.defaults.risk_half_life;
  auto compiled = MAMORI_TRY(compiled_policy::compile(std::move(p), 1));
  s->policies_ = std::make_unique<policy_store>(std::move(compiled));
  s->policy_fingerprint_ = file_fingerprint(s->opts_.policy_path);
  s->signals_.set_risk_half_life(half_life);
  auto cfg = MAMORI_TRY(mamori::identity::load_identity_config(s->opts_.policy_path, diag));
  s->auth_ = MAMORI_TRY(mamori::identity::authenticator::create(cfg));
  if (!cfg.assertion_key_file.empty()) {
    std::ifstream in(cfg.assertion_key_file, std::ios::binary);
    if (!in) return fail(fmt::format("cannot read assertion key '{}'", cfg.assertion_key_file));
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    s->assertion_key_ = MAMORI_TRY(mamori::identity::load_private_key_pem(pem));
  } else {
    s->assertion_key_ =
        MAMORI_TRY(mamori::identity::generate_private_key(mamori::identity::key_type::ed25519));
  }
  s->log_ = std::make_unique<decision_log>(s->opts_.audit, s->opts_.audit_ndjson);
  if (s->opts_.watch_interval.count() > 0) {
    s->watcher_ = std::thread([raw = s.get()] { raw->watch(); });
  }
  return s;
}

decision_service::~decision_service() {
  {
    std::lock_guard lock(watch_mutex_);
    stop_ = true;
  }
  watch_wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

result<std::uint64_t> decision_service::reload(diagnostics& diag) {
  std::lock_guard lock(reload_mutex_);
  const std::int64_t fp = file_fingerprint(opts_.policy_path);
  auto p = load_policy_file(opts_.policy_path, diag);
  if (!p) return tl::unexpected(p.error());
  const std::int64_t half_life = p->defaults.risk_half_life;
  const std::uint64_t gen = generation_.fetch_add(1) + 1;
  auto compiled = compiled_policy::compile(std::move(*p), gen);
  if (!compiled) return tl::unexpected(compiled.error());
  policies_->replace(std::move(*compiled));
  policy_fingerprint_ = fp;
  if (half_life != signals_.snapshot()->risk_half_life()) signals_.set_risk_half_life(half_life);
  return gen;
}

void decision_service::watch() {
  std::unique_lock lock(watch_mutex_);
  while (!stop_) {
    watch_wake_.wait_for(lock, opts_.watch_interval, [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    const std::int64_t fp = file_fingerprint(opts_.policy_path);
    bool changed = false;
    {
      std::lock_guard rl(reload_mutex_);
      changed = fp != 0 && fp != policy_fingerprint_;
    }
    if (changed) {
      diagnostics diag([](const diagnostic& d) { fmt::print(stderr, "{}\n", render(d)); });
      auto g = reload(diag);
      if (g) {
        fmt::print(stderr, "mamori authz: policy reloaded (generation {})\n", *g);
      } else {
        fmt::print(stderr, "mamori authz: policy not reloaded, the running one stays: {}\n",
                   g.error().message);
        std::lock_guard rl(reload_mutex_);
        policy_fingerprint_ = fp;  // do not retry the same broken file every second
      }
    }
    lock.lock();
  }
}

std::string decision_service::jwks_json() const {
  return "{\"keys\":[" + assertion_key_.public_jwk() + "]}";
}

std::string decision_service::status_json() const {
  auto p = policies_->get();
  auto s = signals_.snapshot();
  std::string out = "{\"policy\":";
  json_text::append_string(out, opts_.policy_path);
  out += fmt::format(
      ",\"generation\":{},\"applications\":{},\"rules\":{},\"signals_version\":{},\"devices\":{},"
      "\"users\":{},\"revoked_sessions\":{},\"decisions\":{},\"audit_dropped\":{},"
      "\"credential_cache\":{}}}",
      p->generation(), p->app_count(), p->rule_count(), s->version(), s->devices(), s->users(),
      s->revoked_sessions(), decisions_.load(), log_->dropped(), auth_->cache_size());
  return out;
}

std::string decision_service::assertion_for(const principal& who, const compiled_policy& p,
                                            std::int32_t app, std::int64_t now) {
  const std::string_view app_name = p.app_at(app).src->name;
  std::string key;
  key.reserve(who.user.size() + who.session_id.size() + app_name.size() + 2);
  key += who.user;
  key += '\x1f';
  key += who.session_id;
  key += '\x1f';
  key += app_name;
  assertion_shard& shard = assertions_[detail::string_hash{}(key) % assertions_.size()];
  const std::int64_t ttl = auth_->config().assertion_ttl;
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it != shard.map.end() && it->second.expires - now > ttl / 2) return it->second.jwt;
  }
  std::string payload = "{\"iss\":";
  json_text::append_string(payload, auth_->config().assertion_issuer);
  payload += ",\"sub\":";
  json_text::append_string(payload, who.user);
  payload += ",\"aud\":";
  json_text::append_string(payload, app_name);
  payload += fmt::format(",\"iat\":{},\"exp\":{},\"mfa\":{}", now, now + ttl, who.mfa);
  if (!who.email.empty()) {
    payload += ",\"email\":";
    json_text::append_string(payload, who.email);
  }
  payload += ",\"groups\":[";
  for (std::size_t i = 0; i < who.groups.size(); ++i) {
    if (i) payload += ',';
    json_text::append_string(payload, who.groups[i]);
  }
  payload += "],\"amr\":[";
  for (std::size_t i = 0; i < who.methods.size(); ++i) {
    if (i) payload += ',';
    json_text::append_string(payload, who.methods[i]);
  }
  payload += ']';
  if (!who.session_id.empty()) {
    payload += ",\"sid\":";
    json_text::append_string(payload, who.session_id);
  }
  payload += '}';
  auto jwt = mamori::identity::sign_jwt(assertion_key_, payload);
  if (!jwt) return {};
  std::lock_guard lock(shard.mutex);
  if (shard.map.size() > 50000) shard.map.clear();
  shard.map.insert_or_assign(std::move(key), assertion_entry{*jwt, now + ttl});
  return *jwt;
}

void decision_service::handle(const http_in& in, http_reply& out) {
  out.clear();
  const std::string_view target = in.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") {
    out.body = "ok\n";
    return;
  }
  if (path == "/.well-known/jwks.json") {
    json_reply(out, 200, jwks_json());
    return;
  }
  const std::string& pre = opts_.route_prefix;
  if (path.substr(0, pre.size()) == pre) {
    const std::string_view rest = path.substr(pre.size());
    if (rest == "/authz" || rest == "/authz/nginx") return decide(in, proxy_style::nginx, {}, out);
    if (rest == "/authz/caddy") return decide(in, proxy_style::caddy, {}, out);
    if (rest == "/authz/traefik") return decide(in, proxy_style::traefik, {}, out);
    if (rest == "/authz/forward") return decide(in, proxy_style::generic, {}, out);
    const std::string envoy_prefix = pre + "/authz/envoy";
    if (target.substr(0, envoy_prefix.size()) == envoy_prefix) {
      std::string_view original = target.substr(envoy_prefix.size());
      if (original.empty()) original = "/";
      return decide(in, proxy_style::envoy, original, out);
    }
    return admin(in, rest, out);
  }
  out.status = 404;
  out.body = "not found\n";
}

void decision_service::admin(const http_in& in, std::string_view route, http_reply& out) {
  if (opts_.admin_token.empty()) {
    out.status = 404;
    out.body = "admin API disabled (start with --admin-token-file)\n";
    return;
  }
  const std::string_view auth = in.header("Authorization");
  if (auth.size() < 8 || auth.substr(0, 7) != "Bearer " ||
      !mamori::identity::constant_time_equal(mamori::identity::sha256(auth.substr(7)),
                                             mamori::identity::sha256(opts_.admin_token))) {
    json_reply(out, 401, json_error("admin token required"));
    out.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"mamori-admin\"");
    return;
  }
  const std::int64_t now = now_ns();
  if (route == "/signals" && in.method == "POST") {
    auto n = apply_signals_json(in.body, signals_, now / 1'000'000'000);
    if (!n) return json_reply(out, 400, json_error(n.error().message));
    return json_reply(out, 200,
                      fmt::format("{{\"applied\":{},\"version\":{}}}", *n, signals_.version()));
  }
  if (route == "/explain" && in.method == "POST") {
    signal_store scratch;
    auto doc = parse_request_json(in.body, scratch, now);
    if (!doc) return json_reply(out, 400, json_error(doc.error().message));
    if (scratch.version() != 0) {
      return json_reply(out, 400,
                        json_error("inline device, risk or revocation data is for offline "
                                   "`mamori authz eval`; POST /v1/signals instead"));
    }
    auto p = policies_->get();
    auto s = signals_.snapshot();
    const access_request r = doc->view();
    return json_reply(out, 200, explanation_json(*p, p->explain(r, *s)));
  }
  if (route == "/reload" && in.method == "POST") {
    std::string errors;
    diagnostics diag([&](const diagnostic& d) { errors += render(d) + "\n"; });
    auto g = reload(diag);
    if (!g) {
      std::string body = "{\"error\":";
      json_text::append_string(body, g.error().message);
      body += ",\"diagnostics\":";
      json_text::append_string(body, errors);
      return json_reply(out, 422, body + "}");
    }
    return json_reply(out, 200, fmt::format("{{\"generation\":{}}}", *g));
  }
  if (route == "/status" && in.method == "GET") return json_reply(out, 200, status_json());
  out.status = 404;
  out.body = "not found\n";
}

void decision_service::decide(const http_in& in, proxy_style style, std::string_view envoy_path,
                              http_reply& out) {
  const std::int64_t t_ns = now_ns();
  const std::int64_t now = t_ns / 1'000'000'000;
  thread_readers& tr = tls_readers;
  if (tr.owner != instance_) {
    tr.policy.emplace(*policies_);
    tr.signals.emplace(signals_);
    tr.owner = instance_;
  }
  const compiled_policy& policy = *tr.policy->get();
  const signals_snapshot& sig = tr.signals->get();
  const auto& cfg = auth_->config();

  const std::string_view authorization = in.header("Authorization");
  const auto who = auth_->authenticate(authorization, in.header("Cookie"), now);

  // The original request, as the proxy describes it.
  std::string_view host = first_of_list(in.header("X-Forwarded-Host"));
  if (host.empty()) host = in.header("X-Original-Host");
  if (host.empty()) host = in.header("Host");
  std::string_view uri = in.header("X-Original-URI");
  if (uri.empty()) uri = in.header("X-Forwarded-Uri");
  if (uri.empty()) uri = style == proxy_style::envoy ? envoy_path : std::string_view("/");
  std::string_view method = in.header("X-Original-Method");
  if (method.empty()) method = in.header("X-Forwarded-Method");
  if (method.empty()) method = style == proxy_style::envoy ? in.method : std::string_view("GET");
  std::string_view proto = first_of_list(in.header("X-Forwarded-Proto"));
  if (proto.empty()) proto = "http";
  std::string_view ip_text = in.header("X-Real-IP");
  if (ip_text.empty()) ip_text = last_of_list(in.header("X-Forwarded-For"));
  if (ip_text.empty()) ip_text = in.peer;
  std::string_view country = in.header(cfg.country_header);
  if (country.size() != 2) country = {};
  char country_up[2] = {0, 0};
  for (std::size_t i = 0; i < country.size(); ++i) {
    const char c = country[i];
    country_up[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
  }

  const std::string norm_path = normalize_path(uri);
  access_request req;
  req.host = host;
  req.path = norm_path;
  req.method = method;
  req.device_id = in.header(cfg.device_header);
  req.source_ip = ip_address::parse(ip_text);
  req.country = country.empty() ? std::string_view() : std::string_view(country_up, 2);
  req.time_ns = t_ns;
  req.who = who.who.get();

  const decision d = policy.decide(req, sig);
  decisions_.fetch_add(1, std::memory_order_relaxed);
  std::string reason;
  if (d.result == outcome::allow) {
    reason = fmt::format("allowed by rule '{}'", policy.rule_at(d.rule).src->name);
  } else if (d.result == outcome::unauthenticated && d.why == guard::default_deny &&
             !who.error.empty()) {
    reason = fmt::format("sign-in required: {}", who.error);
  } else {
    reason = policy.reason(d, req, sig);
  }
  const std::string_view app_name =
      d.app >= 0 ? std::string_view(policy.app_at(d.app).src->name) : "";

  out.headers.emplace_back("X-Mamori-Decision", std::string(outcome_name(d.result)));
  if (opts_.expose_reasons) out.headers.emplace_back("X-Mamori-Reason", header_safe(reason));
  switch (d.result) {
    case outcome::allow:
      out.status = 200;
      if (req.who != nullptr) {
        out.headers.emplace_back("X-Mamori-User", header_safe(req.who->user));
        if (!req.who->email.empty())
          out.headers.emplace_back("X-Mamori-Email", header_safe(req.who->email));
        out.headers.emplace_back("X-Mamori-Groups", header_safe(join(req.who->groups), 4096));
        std::string assertion = assertion_for(*req.who, policy, d.app, now);
        if (!assertion.empty())
          out.headers.emplace_back("X-Mamori-Assertion", std::move(assertion));
      } else {
        // Anonymous access (a public rule): the identity headers are present and empty, so
        // a proxy that copies them overwrites whatever the client sent (Caddy 2.6 would
        // otherwise pass its unresolved placeholder upstream).
        out.headers.emplace_back("X-Mamori-User", std::string());
        out.headers.emplace_back("X-Mamori-Groups", std::string());
        out.headers.emplace_back("X-Mamori-Assertion", std::string());
      }
      break;
    case outcome::deny:
      out.status = 403;
      out.body =
          opts_.expose_reasons ? fmt::format("403 Forbidden: {}\n", reason) : "403 Forbidden\n";
      break;
    case outcome::step_up:
    case outcome::unauthenticated: {
      const auto& defs = policy.source().defaults;
      std::string_view tmpl = d.result == outcome::step_up ? defs.step_up_url : defs.login_url;
      if (tmpl.empty()) tmpl = d.result == outcome::step_up ? defs.login_url : defs.step_up_url;
      std::string url;
      if (!tmpl.empty()) {
        std::string original = fmt::format("{}://{}{}", proto, host, uri);
        url = std::string(tmpl);
        for (auto pos = url.find("{url}"); pos != std::string::npos; pos = url.find("{url}", pos)) {
          const std::string enc = url_encode(original);
          url.replace(pos, 5, enc);
          pos += enc.size();
        }
      }
      out.body = opts_.expose_reasons ? fmt::format("401 Unauthorized: {}\n", reason)
                                      : "401 Unauthorized\n";
      const bool bearer = authorization.size() > 7 && (authorization.substr(0, 7) == "Bearer " ||
                                                       authorization.substr(0, 7) == "bearer ");
      if (bearer) {
        // API clients: RFC 6750 / RFC 9470 challenges instead of a browser redirect.
        out.status = 401;
        std::string challenge = "Bearer realm=\"mamori\"";
        if (d.result == outcome::step_up) {
          challenge += ", error=\"insufficient_user_authentication\"";
          if (d.rule >= 0 && d.failed == cond::auth_age) {
            challenge += fmt::format(", max_age=\"{}\"", policy.rule_at(d.rule).max_auth_age);
          }
        } else if (!who.error.empty() || d.why == guard::session_revoked) {
          challenge += ", error=\"invalid_token\"";
        }
        challenge += fmt::format(", error_description=\"{}\"", header_safe(reason, 200));
        for (char& c : challenge)
          if (c == '\\') c = '/';
        out.headers.emplace_back("WWW-Authenticate", std::move(challenge));
      } else if (style == proxy_style::nginx || url.empty()) {
        // nginx auth_request passes only 401/403 through: the error page follows the header.
        out.status = 401;
        if (!url.empty()) out.headers.emplace_back("X-Mamori-Redirect", std::move(url));
      } else {
        // Caddy, Traefik and Envoy pass any non-2xx response (with Location) to the client.
        out.status = 302;
        out.headers.emplace_back("Location", std::move(url));
      }
      break;
    }
  }

  decision_record rec;
  rec.time_ns = t_ns;
  rec.result = d.result;
  rec.why = d.why;
  if (req.who != nullptr) {
    rec.user = req.who->user;
    rec.session = req.who->session_id;
    rec.email = req.who->email;
    rec.groups = join(req.who->groups);
    rec.mfa = req.who->mfa;
  }
  rec.host = std::string(host);
  rec.path = norm_path;
  rec.method = std::string(method);
  rec.user_agent = std::string(in.header("User-Agent"));
  rec.source_ip = req.source_ip ? req.source_ip->to_string() : std::string();
  rec.country = std::string(req.country);
  rec.device = std::string(req.device_id.empty() && req.who ? std::string_view(req.who->device_id)
                                                            : req.device_id);
  rec.application = std::string(app_name);
  if (d.rule >= 0) rec.rule = policy.rule_at(d.rule).src->name;
  rec.reason = std::move(reason);
  rec.proxy = std::string(proxy_name(style));
  rec.policy_generation = d.policy_generation;
  log_->record(std::move(rec));
}

}  // namespace mamori::authz
