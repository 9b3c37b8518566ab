#include "mamori/authz/http_client.hpp"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

namespace mamori::authz {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string http_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return v;
    }
  }
  return {};
}

std::optional<parsed_url> parse_url(std::string_view url) {
  parsed_url u;
  if (url.starts_with("https://")) {
    u.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return std::nullopt;
    u.port = authority.empty() ? "" : std::string(authority.substr(1));
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  if (u.host.empty()) return std::nullopt;
  return u;
}

namespace {

std::string describe(const beast::error_code& ec) {
  return ec == beast::error::timeout ? std::string("timed out") : ec.message();
}

// Write the request, read the response; callbacks run on the caller's io_context. (No C++20
// coroutines: Boost 1.74 only enables them for g++, and the fuzz build uses clang.)
template <typename Stream>
void exchange(Stream& stream, http::request<http::string_body>& req, beast::flat_buffer& buffer,
              http::response_parser<http::string_body>& parser, std::string& error) {
  http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
    if (ec) {
      error = describe(ec);
      return;
    }
    http::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
      if (rec) error = describe(rec);
    });
  });
}

}  // namespace

result<http_response> http_fetch(const http_request& r) {
  auto u = parse_url(r.url);
  if (!u) return fail(fmt::format("not an http(s) URL: '{}'", r.url));
  asio::io_context ioc;
  http_response out;
  std::string error;
  try {
    asio::ip::tcp::resolver resolver(ioc);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(u->host, u->port, ec);
    if (ec) return fail(fmt::format("{} {}: {}", r.method, r.url, ec.message()));
    http::request<http::string_body> req{http::string_to_verb(r.method), u->target, 11};
    req.set(http::field::host,
            u->port == (u->tls ? "443" : "80") ? u->host : u->host + ":" + u->port);
    req.set(http::field::user_agent, "mamori/0.1");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT") {
      req.body() = r.body;
      req.prepare_payload();
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(r.max_body);
    parser.skip(r.method == "HEAD");
    if (u->tls) {
      asio::ssl::context tls_ctx(asio::ssl::context::tls_client);
      tls_ctx.set_default_verify_paths();
      tls_ctx.set_verify_mode(asio::ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(ioc, tls_ctx);
      if (!SSL_set_tlsext_host_name(stream.native_handle(), u->host.c_str())) {
        return fail(fmt::format("{} {}: cannot set TLS server name", r.method, r.url));
      }
      stream.set_verify_callback(asio::ssl::host_name_verification(u->host));
      beast::get_lowest_layer(stream).expires_after(r.timeout);
      beast::get_lowest_layer(stream).async_connect(
          endpoints, [&](beast::error_code cec, const asio::ip::tcp::endpoint&) {
            if (cec) {
              error = describe(cec);
              return;
            }
            stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code hec) {
              if (hec) {
                error = describe(hec);
                return;
              }
              exchange(stream, req, buffer, parser, error);
            });
          });
      ioc.run();
    } else {
      beast::tcp_stream stream(ioc);
      stream.expires_after(r.timeout);
      stream.async_connect(endpoints, [&](beast::error_code cec, const asio::ip::tcp::endpoint&) {
        if (cec) {
          error = describe(cec);
          return;
        }
        exchange(stream, req, buffer, parser, error);
      });
      ioc.run();
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    }
    if (error.empty()) {
      const auto& res = parser.get();
      out.status = static_cast<int>(res.result_int());
      for (const auto& f : res)
        out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      out.body = res.body();
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!error.empty()) return fail(fmt::format("{} {}: {}", r.method, r.url, error));
  return out;
}

}  // namespace mamori::authz
