#pragma once
// The REST/JSON API (docs/openapi.yaml), independent of the HTTP transport: the server hands
// each parsed request to api::handle, which authenticates, authorizes, validates and answers
// through `reply` (possibly later, from a worker thread). Secrets never reach a log: tokens
// are compared as SHA-256 hashes, errors name the token, never its text.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "mamori/decode/decoder.hpp"
#include "mamori/respond/signals.hpp"
#include "mamori/server/config.hpp"
#include "mamori/server/pipeline.hpp"
#include "mamori/server/state.hpp"

namespace mamori::server {

class case_service;
class action_service;

struct http_request {
  std::string method;
  std::string target;  // path and query, as sent
  std::string authorization;
  std::string content_type;
  std::string content_encoding;
  std::string body;
  std::string remote;  // client address
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using reply_fn = std::function<void(http_response)>;

// Active tokens by hash, in memory (a request never waits for SQLite to authenticate).
class token_cache {
 public:
  void load(std::vector<token_info> tokens);
  std::optional<token_info> find(std::string_view secret) const;
  void add(token_info t);
  void remove(const std::string& name);

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, token_info, std::less<>> by_hash_;
};

// Token buckets per key (token name, or client address for failed authentication).
class rate_limiter {
 public:
  rate_limiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}
  // Takes one request; returns 0 when allowed, else the seconds to wait.
  double take(const std::string& key);

 private:
  struct bucket {
    double tokens;
    std::int64_t last_ns;
  };
  double rate_, burst_;
  std::mutex mutex_;
  std::map<std::string, bucket> buckets_;
};

struct api_context {
  const server_config* config = nullptr;
  pipeline* pipe = nullptr;
  state_pool* states = nullptr;
  std::string events_dir;
  const decoder_registry* registry = nullptr;
  respond::signal_bus* signals = nullptr;
  case_service* cases = nullptr;
  action_service* actions = nullptr;
  token_cache* tokens = nullptr;
  // Runs blocking work off the I/O threads: ingest (WAL fsync) and analyst queries (SQLite).
  std::function<void(std::function<void()>)> run_blocking;
  std::function<void(std::function<void()>)> run_query;
  std::atomic<bool>* ready = nullptr;
  std::atomic<std::uint64_t>* udp_dropped = nullptr;
  std::function<std::string()> extra_stats;  // JSON members appended to /api/v1/stats
};

class api {
 public:
  explicit api(api_context ctx);
  void handle(http_request req, reply_fn reply);

 private:
  void ingest(const token_info& who, const http_request& req, const std::string& source,
              const std::map<std::string, std::string>& query, reply_fn reply);
  api_context ctx_;
  rate_limiter limiter_;
  rate_limiter auth_failures_;
};

// Helpers shared with the case and action endpoints.
http_response json_response(unsigned status, std::string body);
http_response error_response(unsigned status, std::string_view message);
std::map<std::string, std::string> parse_query_string(std::string_view q);
std::string url_decode(std::string_view s);
bool valid_name(std::string_view s);  // [A-Za-z0-9._:-]{1,64}
// An ingest body as received: gzip or zstd (by magic bytes; Content-Encoding must agree when
// given) is decompressed up to `limit` bytes ("body too large" beyond).
result<std::string> decompress_body(std::string body, const std::string& encoding, std::uint64_t limit);

}  // namespace mamori::server
