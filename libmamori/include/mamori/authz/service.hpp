#pragma once
// The decision endpoint, independent of any HTTP library: a request view in, a reply out.
// `mamori authz serve` runs it on authz/http_server.hpp; `mamori serve` can mount the same
// handler (call handle() from its router) and share the signal store with its case actions.
//
// Routes (docs/authz.md, "Decision endpoint"):
//   GET  /healthz                      200 when a policy is loaded
//   ANY  /v1/authz, /v1/authz/nginx    nginx auth_request (and generic forward auth)
//   ANY  /v1/authz/caddy               Caddy forward_auth
//   ANY  /v1/authz/traefik             Traefik forwardAuth
//   ANY  /v1/authz/envoy/<path>        Envoy ext_authz (HTTP service, path_prefix)
//   GET  /.well-known/jwks.json        public key of the assertions passed upstream
//   POST /v1/signals                   device posture, isolation, revocation, risk (admin)
//   POST /v1/explain                   explain a request document (admin)
//   POST /v1/reload                    recompile the policy now (admin)
//   GET  /v1/status                    policy generation, counters (admin)

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mamori/authz/audit.hpp"
#include "mamori/authz/engine.hpp"
#include "mamori/authz/signals.hpp"
#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/identity/authenticator.hpp"
#include "mamori/identity/crypto.hpp"

namespace mamori::authz {

enum class proxy_style : std::uint8_t { generic, nginx, caddy, traefik, envoy };
std::string_view proxy_name(proxy_style p);

// A header lookup without copying: ctx is the framework's request object.
struct header_lookup {
  const void* ctx = nullptr;
  std::string_view (*fn)(const void* ctx, std::string_view name) = nullptr;
  std::string_view operator()(std::string_view name) const {
    return fn ? fn(ctx, name) : std::string_view();
  }
};

struct http_in {
  std::string_view method;
  std::string_view target;
  std::string_view body;
  std::string_view peer;  // remote address of the connection (the proxy)
  header_lookup header;
};

struct http_reply {
  int status = 200;
  std::string_view content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string_view, std::string>> headers;
  std::string body;
  void clear() {
    status = 200;
    content_type = "text/plain; charset=utf-8";
    headers.clear();
    body.clear();
  }
};

struct service_options {
  std::string policy_path;
  std::string admin_token;            // bearer token for the admin routes; empty = admin routes off
  bool expose_reasons = true;         // X-Mamori-Reason and the reason in 401/403 bodies
  event_sink* audit = nullptr;        // decision events for the pipeline (not owned)
  std::FILE* audit_ndjson = nullptr;  // audit file, one OCSF JSON line per decision (not owned)
  std::chrono::milliseconds watch_interval{1000};  // policy file poll; 0 = off (SIGHUP, /v1/reload)
  std::string route_prefix = "/v1";                // where the /authz, /signals, ... routes live
};

class decision_service {
 public:
  // Loads policy and identity configuration; problems go to `diag` with file:line.
  static result<std::unique_ptr<decision_service>> create(service_options o, diagnostics& diag);
  ~decision_service();
  decision_service(const decision_service&) = delete;
  decision_service& operator=(const decision_service&) = delete;

  // Thread-safe; never blocks on policy reloads or signal updates.
  void handle(const http_in& in, http_reply& out);

  // Recompiles the policy file; on error the running policy stays. Returns the generation.
  result<std::uint64_t> reload(diagnostics& diag);

  signal_store& signals() { return signals_; }
  const policy_store& policies() const { return *policies_; }
  mamori::identity::authenticator& auth() { return *auth_; }
  decision_log& audit() { return *log_; }
  std::string jwks_json() const;
  const mamori::identity::private_key& assertion_key() const { return assertion_key_; }
  std::string status_json() const;
  std::uint64_t decisions() const { return decisions_.load(); }

 private:
  decision_service() = default;
  void decide(const http_in& in, proxy_style style, std::string_view envoy_path, http_reply& out);
  void admin(const http_in& in, std::string_view route, http_reply& out);
  std::string assertion_for(const principal& who, const compiled_policy& p, std::int32_t app,
                            std::int64_t now);
  void watch();

  service_options opts_;
  std::uint64_t instance_ = 0;  // per-thread reader caches are keyed by this
  std::unique_ptr<policy_store> policies_;
  signal_store signals_;
  std::unique_ptr<mamori::identity::authenticator> auth_;
  std::unique_ptr<decision_log> log_;
  mamori::identity::private_key assertion_key_;
  std::atomic<std::uint64_t> generation_{1};
  std::atomic<std::uint64_t> decisions_{0};
  std::mutex reload_mutex_;
  std::int64_t policy_fingerprint_ = 0;

  struct assertion_entry {
    std::string jwt;
    std::int64_t expires = 0;
  };
  struct assertion_shard {
    std::mutex mutex;
    std::unordered_map<std::string, assertion_entry, detail::string_hash, std::equal_to<>> map;
  };
  std::array<assertion_shard, 16> assertions_;

  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool stop_ = false;
  std::thread watcher_;
};

// Percent-encodes for a query parameter value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

}  // namespace mamori::authz
