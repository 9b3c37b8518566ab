#pragma once
// The CLI side of the API (`mamori search|findings|cases|token`): where the server is and
// which token to use (flags, else MAMORI_URL / MAMORI_TOKEN / MAMORI_TOKEN_FILE), one call,
// and human-readable rendering of the JSON answers.

#include <string>

#include "mamori/core/result.hpp"
#include "mamori/server/http_client.hpp"

namespace mamori::server {

struct client_options {
  std::string url;         // base URL, e.g. http://127.0.0.1:8443
  std::string token;
  http_client_options http;
};

// Fills url/token from the flags or the environment; fails with a hint when missing.
result<client_options> resolve_client(std::string url, std::string token, std::string token_file,
                                      std::string ca_file, bool insecure);

// Calls PATH (with query) on the server; a non-2xx answer becomes an error carrying the
// server's message and status.
result<std::string> api_call(const client_options& c, const std::string& method, const std::string& path,
                             const std::string& body = {});

std::string url_encode(std::string_view s);

// Renderers for terminals.
std::string render_search(const std::string& json);
std::string render_findings(const std::string& json);
std::string render_cases(const std::string& json);
std::string render_case(const std::string& json);

}  // namespace mamori::server
