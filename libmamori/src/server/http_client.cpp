#include "mamori/server/http_client.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>

#include "mamori/server/config.hpp"
#include "mamori/store/check.hpp"

namespace mamori::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

result<parsed_url> parse_url(std::string_view url) {
  parsed_url u;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return fail(fmt::format("'{}' is not a URL (http://host:port/...)", url));
  u.scheme = std::string(url.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return fail(fmt::format("unsupported scheme '{}'", u.scheme));
  url.remove_prefix(sep + 3);
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.find('@') != std::string_view::npos) return fail("credentials in URLs are not supported");
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("bad IPv6 address in URL");
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') u.port = std::string(authority.substr(close + 2));
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.host.empty()) return fail("URL without a host");
  if (u.port.empty()) u.port = u.scheme == "https" ? "443" : "80";
  return u;
}

namespace {

template <typename Stream>
result<http_client_response> exchange(net::io_context& ioc, Stream& stream, const parsed_url& u,
                                      const std::string& method,
                                      const std::vector<std::pair<std::string, std::string>>& headers,
                                      const std::string& body, double timeout_s,
                                      std::function<void(std::function<void(beast::error_code)>)> handshake) {
  beast::error_code failure;
  const char* stage = "resolve";
  http::request<http::string_body> req{http::string_to_verb(method), u.target, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "mamori");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  beast::flat_buffer buffer;
  tcp::resolver resolver(ioc);
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout_s)));
  resolver.async_resolve(u.host, u.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      failure = ec;
      return;
    }
    stage = "connect";
    lowest.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
      if (ec2) {
        failure = ec2;
        return;
      }
      stage = "TLS handshake";
      handshake([&](beast::error_code ec3) {
        if (ec3) {
          failure = ec3;
          return;
        }
        stage = "send";
        http::async_write(stream, req, [&](beast::error_code ec4, std::size_t) {
          if (ec4) {
            failure = ec4;
            return;
          }
          stage = "receive";
          http::async_read(stream, buffer, parser, [&](beast::error_code ec5, std::size_t) {
            if (ec5) failure = ec5;
            else stage = "done";
          });
        });
      });
    });
  });
  ioc.run();
  if (failure || std::string_view(stage) != "done")
    return fail(fmt::format("{} {}:{}: {} failed: {}", method, u.host, u.port, stage,
                            failure ? failure.message() : "timeout"));
  http_client_response out;
  auto res = parser.release();
  out.status = res.result_int();
  out.body = std::move(res.body());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    out.headers[name] = std::string(f.value());
  }
  return out;
}

}  // namespace

result<http_client_response> http_call(const std::string& method, const std::string& url,
                                       const std::vector<std::pair<std::string, std::string>>& headers,
                                       const std::string& body, const http_client_options& options) {
  auto u = MAMORI_TRY(parse_url(url));
  try {
    net::io_context ioc;
    if (u.scheme == "http") {
      beast::tcp_stream stream(ioc);
      auto r = exchange(ioc, stream, u, method, headers, body, options.timeout_s,
                        [](std::function<void(beast::error_code)> next) { next({}); });
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      return r;
    }
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.set_options(net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 |
                    net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    if (options.insecure) {
      ctx.set_verify_mode(net::ssl::verify_none);
    } else {
      if (options.ca_file.empty()) ctx.set_default_verify_paths();
      else ctx.load_verify_file(options.ca_file);
      ctx.set_verify_mode(net::ssl::verify_peer);
    }
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    if (!options.insecure) stream.set_verify_callback(net::ssl::host_name_verification(u.host));
    SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str());
    return exchange(ioc, stream, u, method, headers, body, options.timeout_s,
                    [&stream](std::function<void(beast::error_code)> next) {
                      stream.async_handshake(net::ssl::stream_base::client,
                                             [next](beast::error_code ec) { next(ec); });
                    });
  } catch (const std::exception& e) {
    return fail(fmt::format("{} {}: {}", method, url, e.what()));
  }
}

namespace {

class smtp_session {
 public:
  smtp_session(net::io_context& ioc, double timeout_s) : sock_(ioc), timeout_s_(timeout_s) {}

  result<void> connect(const std::string& host, const std::string& port) {
    beast::error_code ec;
    tcp::resolver r(sock_.get_executor());
    auto res = r.resolve(host, port, ec);
    if (ec) return fail(fmt::format("SMTP relay {}:{}: {}", host, port, ec.message()));
    net::connect(sock_, res, ec);
    if (ec) return fail(fmt::format("SMTP relay {}:{}: {}", host, port, ec.message()));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_s_);
    tv.tv_usec = static_cast<suseconds_t>((timeout_s_ - static_cast<double>(tv.tv_sec)) * 1e6);
    ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return {};
  }

  // Reads one (possibly multi-line) reply; returns its code.
  result<int> reply() {
    for (;;) {
      auto nl = buf_.find("\r\n");
      while (nl == std::string::npos) {
        char tmp[4096];
        beast::error_code ec;
        std::size_t n = sock_.read_some(net::buffer(tmp), ec);
        if (ec) return fail(fmt::format("SMTP: reading the reply: {}", ec.message()));
        buf_.append(tmp, n);
        if (buf_.size() > 65536) return fail("SMTP: reply too long");
        nl = buf_.find("\r\n");
      }
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 2);
      if (line.size() < 3) return fail(fmt::format("SMTP: malformed reply '{}'", line));
      last_ = line;
      if (line.size() == 3 || line[3] == ' ') return std::stoi(line.substr(0, 3));
    }
  }

  result<int> command(const std::string& text) {
    beast::error_code ec;
    net::write(sock_, net::buffer(text + "\r\n"), ec);
    if (ec) return fail(fmt::format("SMTP: sending: {}", ec.message()));
    return reply();
  }

  result<void> expect(int got, int want_lo, int want_hi, std::string_view what) {
    if (got < want_lo || got > want_hi) return fail(fmt::format("SMTP {} refused: {}", what, last_));
    return {};
  }

  result<void> raw(const std::string& data) {
    beast::error_code ec;
    net::write(sock_, net::buffer(data), ec);
    if (ec) return fail(fmt::format("SMTP: sending: {}", ec.message()));
    return {};
  }

 private:
  tcp::socket sock_;
  double timeout_s_;
  std::string buf_;
  std::string last_;
};

bool header_safe(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

}  // namespace

result<void> smtp_send(const std::string& relay, const std::string& from,
                       const std::vector<std::string>& to, const std::string& subject,
                       const std::string& body, double timeout_s) {
  auto hp = MAMORI_TRY(split_host_port(relay));
  if (to.empty()) return fail("no recipients");
  for (const auto& a : to)
    if (!header_safe(a) || a.find('<') != std::string::npos || a.find('>') != std::string::npos)
      return fail(fmt::format("invalid recipient '{}'", a));
  if (!header_safe(from) || !header_safe(subject)) return fail("line breaks in a mail header");
  try {
    net::io_context ioc;
    smtp_session s(ioc, timeout_s);
    MAMORI_CHECK(s.connect(hp.first, std::to_string(hp.second)));
    MAMORI_CHECK(s.expect(MAMORI_TRY(s.reply()), 220, 220, "greeting"));
    MAMORI_CHECK(s.expect(MAMORI_TRY(s.command("EHLO mamori")), 250, 250, "EHLO"));
    MAMORI_CHECK(s.expect(MAMORI_TRY(s.command("MAIL FROM:<" + from + ">")), 250, 250, "MAIL FROM"));
    for (const auto& a : to) MAMORI_CHECK(s.expect(MAMORI_TRY(s.command("RCPT TO:<" + a + ">")), 250, 251, "RCPT TO"));
    MAMORI_CHECK(s.expect(MAMORI_TRY(s.command("DATA")), 354, 354, "DATA"));
    std::string msg = fmt::format("From: <{}>\r\nTo: ", from);
    for (std::size_t i = 0; i < to.size(); ++i) msg += (i > 0 ? ", <" : "<") + to[i] + ">";
    msg += fmt::format("\r\nSubject: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", subject);
    // Body lines: CRLF line ends, leading dots doubled (RFC 5321 4.5.2).
    std::size_t start = 0;
    while (start <= body.size()) {
      auto nl = body.find('\n', start);
      std::string line = body.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty() && line[0] == '.') line.insert(line.begin(), '.');
      msg += line + "\r\n";
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    msg += ".\r\n";
    MAMORI_CHECK(s.raw(msg));
    MAMORI_CHECK(s.expect(MAMORI_TRY(s.reply()), 250, 250, "message"));
    (void)s.command("QUIT");
  } catch (const std::exception& e) {
    return fail(fmt::format("SMTP: {}", e.what()));
  }
  return {};
}

}  // namespace mamori::server
