#pragma once
// A minimal HTTP/1.1 client on Boost.Beast: one request, one response, a deadline, no
// redirects followed. Used to fetch JWKS documents (https with certificate and host name
// verification against the system CA store) and by tests and benchmarks on loopback.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mamori/core/result.hpp"

namespace mamori::authz {

struct http_response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // First header with that name (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
};

struct http_request {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query or https://...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5000};
  std::size_t max_body = 4 << 20;
};

result<http_response> http_fetch(const http_request& r);

struct parsed_url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, "/" at least
};
std::optional<parsed_url> parse_url(std::string_view url);

}  // namespace mamori::authz
