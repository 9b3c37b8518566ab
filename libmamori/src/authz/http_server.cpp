#include "mamori/authz/http_server.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>
#include <thread>
#include <vector>

#include "mamori/authz/beast_adapter.hpp"

namespace mamori::authz {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
  std::string host = "127.0.0.1";
  std::string_view port = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return fail(fmt::format("bad listen address '{}'", text));
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (colon > 0) host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p > 65535 || port.empty()) {
    return fail(fmt::format("bad listen address '{}' (expected HOST:PORT)", text));
  }
  return std::pair{host, static_cast<std::uint16_t>(p)};
}

namespace {

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, const http_server::handler& h, const http_server::options& o)
      : stream_(std::move(socket)), handler_(h), opts_(o) {}

  void start() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = ep.address().to_string();
    stream_.socket().set_option(tcp::no_delay(true), ec);
    read();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(opts_.max_body);
    stream_.expires_after(opts_.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return reply_error(ec == http::error::body_limit
                             ? http::status::payload_too_large
                             : http::status::request_header_fields_too_large);
    }
    if (ec == http::error::bad_method || ec == http::error::bad_target ||
        ec == http::error::bad_field || ec == http::error::bad_value ||
        ec == http::error::bad_version) {
      return reply_error(http::status::bad_request);
    }
    if (ec) return close();
    const auto& req = parser_->get();
    const http_in in = to_http_in(req, peer_);
    reply_.clear();
    handler_(in, reply_);
    keep_alive_ = req.keep_alive();
    // The response is serialised by hand into one buffer: a decision answer is a status
    // line and a few headers, and Beast's general field container costs more than the rest.
    out_.clear();
    const auto why = http::obsolete_reason(static_cast<http::status>(reply_.status));
    out_ += fmt::format("HTTP/1.1 {} ", reply_.status);
    out_.append(why.data(), why.size());
    out_ += "\r\nServer: mamori\r\nContent-Type: ";
    out_ += reply_.content_type;
    out_ += "\r\n";
    for (const auto& [k, v] : reply_.headers) {
      out_ += k;
      out_ += ": ";
      const std::size_t at = out_.size();
      out_ += v;
      // Never let a value end the header block (values quote user data).
      for (std::size_t i = at; i < out_.size(); ++i)
        if (out_[i] == '\r' || out_[i] == '\n') out_[i] = ' ';
      out_ += "\r\n";
    }
    out_ += fmt::format("Content-Length: {}\r\n", reply_.body.size());
    if (!keep_alive_) {
      out_ += "Connection: close\r\n";
    } else if (req.version() == 10) {
      out_ += "Connection: keep-alive\r\n";
    }
    out_ += "\r\n";
    if (req.method() != http::verb::head) out_ += reply_.body;
    asio::async_write(
        stream_, asio::buffer(out_),
        [self = shared_from_this()](beast::error_code wec, std::size_t) { self->on_write(wec); });
  }

  void reply_error(http::status s) {
    http_reply r;
    r.status = static_cast<int>(s);
    const auto why = http::obsolete_reason(s);
    r.body = fmt::format("{} {}\n", r.status, std::string_view(why.data(), why.size()));
    res_ = {};
    res_.version(11);
    to_beast_response(r, res_);
    keep_alive_ = false;
    res_.keep_alive(false);
    http::async_write(
        stream_, res_,
        [self = shared_from_this()](beast::error_code wec, std::size_t) { self->on_write(wec); });
  }

  void on_write(beast::error_code ec) {
    if (ec || !keep_alive_) return close();
    read();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;  // error replies only
  std::string out_;
  http_reply reply_;
  std::string peer_;
  bool keep_alive_ = true;
  const http_server::handler& handler_;
  const http_server::options& opts_;
};

struct worker {
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
};

}  // namespace

struct http_server::impl {
  options opts;
  handler h;
  std::string host;
  std::vector<std::unique_ptr<worker>> workers;

  void accept(worker& w) {
    w.acceptor.async_accept([this, &w](beast::error_code ec, tcp::socket s) {
      if (!w.acceptor.is_open()) return;
      if (!ec) std::make_shared<connection>(std::move(s), h, opts)->start();
      accept(w);
    });
  }
};

http_server::http_server(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

result<std::unique_ptr<http_server>> http_server::start(options o, handler h) {
  auto im = std::make_unique<impl>();
  im->opts = o;
  im->h = std::move(h);
  beast::error_code ec;
  const auto addr = asio::ip::make_address(o.host, ec);
  if (ec) return fail(fmt::format("bad listen host '{}': {}", o.host, ec.message()));
  std::uint16_t port = o.port;
  const unsigned n = std::max(1u, o.threads);
  for (unsigned k = 0; k < n; ++k) {
    auto w = std::make_unique<worker>();
    tcp::endpoint ep(addr, port);
    w->acceptor.open(ep.protocol(), ec);
    if (!ec) w->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
      w->acceptor.set_option(reuse_port(true), ec);
    }
    if (!ec) w->acceptor.bind(ep, ec);
    if (!ec) w->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fail(fmt::format("cannot listen on {}:{}: {}", o.host, port, ec.message()));
    }
    port = w->acceptor.local_endpoint().port();
    im->workers.push_back(std::move(w));
  }
  im->host = o.host;
  for (auto& w : im->workers) {
    im->accept(*w);
    w->thread = std::thread([wp = w.get()] { wp->ioc.run(); });
  }
  auto s = std::unique_ptr<http_server>(new http_server(std::move(im)));
  s->port_ = port;
  return s;
}

std::string http_server::address() const {
  const bool v6 = impl_->host.find(':') != std::string::npos;
  return v6 ? fmt::format("[{}]:{}", impl_->host, port_) : fmt::format("{}:{}", impl_->host, port_);
}

void http_server::stop() {
  if (!impl_) return;
  for (auto& w : impl_->workers) {
    asio::post(w->ioc, [wp = w.get()] {
      beast::error_code ec;
      wp->acceptor.close(ec);
    });
    w->ioc.stop();
  }
  for (auto& w : impl_->workers)
    if (w->thread.joinable()) w->thread.join();
}

http_server::~http_server() {
  stop();
}

}  // namespace mamori::authz
