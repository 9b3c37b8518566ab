#pragma once
// A small HTTP(S) client for the CLI (talking to `mamori serve`) and the webhook action.
// TLS verifies the peer against the system CAs (or a given CA file) and the host name.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mamori/core/result.hpp"

namespace mamori::server {

struct parsed_url {
  std::string scheme;  // http | https
  std::string host;
  std::string port;
  std::string target;  // path and query, "/" at least
};

result<parsed_url> parse_url(std::string_view url);

struct http_client_options {
  double timeout_s = 30;
  std::string ca_file;    // PEM bundle; empty = system default
  bool insecure = false;  // skip certificate verification (tests with self-signed certs)
};

struct http_client_response {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

result<http_client_response> http_call(const std::string& method, const std::string& url,
                                       const std::vector<std::pair<std::string, std::string>>& headers,
                                       const std::string& body, const http_client_options& options);

// Sends one mail through an SMTP relay (RFC 5321, no authentication, no TLS: a local relay).
result<void> smtp_send(const std::string& relay_host_port, const std::string& from,
                       const std::vector<std::string>& to, const std::string& subject,
                       const std::string& body, double timeout_s);

}  // namespace mamori::server
