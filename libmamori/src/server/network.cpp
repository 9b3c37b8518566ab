#include "mamori/server/network.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <thread>

#include "mamori/source/syslog_framing.hpp"

namespace mamori::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using udp = net::ip::udp;

namespace {

constexpr std::size_t syslog_batch_bytes = 1 << 20;
constexpr std::size_t syslog_batch_messages = 20000;
constexpr auto syslog_flush_delay = std::chrono::milliseconds(100);
constexpr int max_http_connections = 1024;

std::string endpoint_text(const net::ip::address& a, std::uint16_t port) {
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port) : fmt::format("{}:{}", a.to_string(), port);
}

}  // namespace

struct network::impl {
  impl(const server_config& c, api& h, pipeline& p, std::atomic<std::uint64_t>& d)
      : config(c), handler(h), pipe(p), udp_dropped(d), work(net::make_work_guard(ioc)),
        workers(static_cast<std::size_t>(c.worker_threads)),
        queries(static_cast<std::size_t>(c.query_threads)) {}

  const server_config& config;
  api& handler;
  pipeline& pipe;
  std::atomic<std::uint64_t>& udp_dropped;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work;
  net::thread_pool workers;
  net::thread_pool queries;
  std::vector<std::thread> threads;
  std::unique_ptr<net::ssl::context> ssl;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  std::vector<std::shared_ptr<udp::socket>> udp_sockets;
  std::vector<std::shared_ptr<net::steady_timer>> timers;
  std::vector<std::function<void()>> on_stop;  // final syslog flushes
  std::atomic<int> connections{0};
  std::atomic<bool> stopping{false};

  template <typename F>
  void blocking(F&& f) {
    net::post(workers, std::forward<F>(f));
  }
};

// ---------------------------------------------------------------------------------------
// HTTP

namespace {

template <typename Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
 public:
  template <typename... Args>
  http_session(network::impl& ctx, std::string remote, Args&&... args)
      : ctx_(ctx), remote_(std::move(remote)), stream_(std::forward<Args>(args)...) {
    ++ctx_.connections;
  }
  ~http_session() { --ctx_.connections; }

  void run() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->do_read();
                              });
    } else {
      do_read();
    }
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(ctx_.config.max_body_bytes);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof) return close();
    if (ec == http::error::body_limit) {
      return send(error_response(413, fmt::format("request body larger than {} bytes",
                                                  ctx_.config.max_body_bytes)),
                  11, false);
    }
    if (ec == http::error::header_limit) return send(error_response(431, "request headers too large"), 11, false);
    if (ec == beast::error::timeout || ec == net::error::operation_aborted) return close();
    if (ec) {
      if (ec.category() == beast::error_code(http::error::end_of_stream).category())  // HTTP parse error
        return send(error_response(400, fmt::format("malformed HTTP request: {}", ec.message())), 11, false);
      return close();
    }
    auto req = parser_->release();
    http_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.authorization = std::string(req[http::field::authorization]);
    r.content_type = std::string(req[http::field::content_type]);
    r.content_encoding = std::string(req[http::field::content_encoding]);
    r.body = std::move(req.body());
    r.remote = remote_;
    const bool keep = req.keep_alive();
    const unsigned version = req.version();
    if (r.method != "GET" && r.method != "POST" && r.method != "DELETE")
      return send(error_response(405, "method not allowed"), version, keep);
    ctx_.handler.handle(std::move(r), [self = this->shared_from_this(), version, keep](http_response resp) {
      net::post(self->stream_.get_executor(), [self, resp = std::move(resp), version, keep]() mutable {
        self->send(std::move(resp), version, keep);
      });
    });
  }

  void send(http_response resp, unsigned version, bool keep) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(resp.status), version);
    res->set(http::field::server, "mamori");
    res->set(http::field::content_type, resp.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    for (const auto& [k, v] : resp.headers) res->set(k, v);
    res->keep_alive(keep);
    res->body() = std::move(resp.body);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    http::async_write(stream_, *res, [self = this->shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
      if (ec || !keep) return self->close();
      self->do_read();
    });
  }

  void close() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code e;
        beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, e);
      });
    } else {
      // Lingering close: stop sending, then read and discard what the client still sends
      // (the rest of an oversized body) for a few seconds, so it reads our answer instead of
      // failing with a reset.
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream_.expires_after(std::chrono::seconds(5));
      discard();
    }
  }

  void discard() {
    if constexpr (!std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      if (discarded_ > (64u << 20)) return;
      stream_.async_read_some(net::buffer(sink_), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
        self->discarded_ += n;
        if (!ec) self->discard();
      });
    }
  }

  network::impl& ctx_;
  std::string remote_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 16384> sink_{};
  std::size_t discarded_ = 0;
};

void accept_loop(network::impl& ctx, std::shared_ptr<tcp::acceptor> acc) {
  acc->async_accept(net::make_strand(ctx.ioc), [&ctx, acc](beast::error_code ec, tcp::socket sock) {
    if (ec) {
      if (acc->is_open() && !ctx.stopping) accept_loop(ctx, acc);
      return;
    }
    if (ctx.connections.load() >= max_http_connections) {
      beast::error_code e;
      sock.close(e);
    } else {
      beast::error_code e;
      auto ep = sock.remote_endpoint(e);
      std::string remote = e ? std::string("?") : ep.address().to_string();
      if (ctx.ssl) {
        std::make_shared<http_session<beast::ssl_stream<beast::tcp_stream>>>(ctx, remote, std::move(sock), *ctx.ssl)->run();
      } else {
        std::make_shared<http_session<beast::tcp_stream>>(ctx, remote, std::move(sock))->run();
      }
    }
    if (acc->is_open() && !ctx.stopping) accept_loop(ctx, acc);
  });
}

// ---------------------------------------------------------------------------------------
// Syslog

// Collects framed messages into newline-separated batches and hands each batch to the
// pipeline (on the worker pool: the WAL append waits for fsync).
class syslog_batcher : public std::enable_shared_from_this<syslog_batcher> {
 public:
  syslog_batcher(network::impl& ctx, net::any_io_executor ex, const syslog_listener& cfg, bool drop_when_full)
      : ctx_(ctx), ex_(ex), timer_(ex), cfg_(cfg), drop_(drop_when_full) {}

  void add(std::string_view msg) {
    batch_.append(msg);
    batch_ += '\n';
    ++messages_;
  }
  bool full() const { return batch_.size() >= syslog_batch_bytes || messages_ >= syslog_batch_messages; }
  bool empty() const { return batch_.empty(); }
  bool flushing() const { return flushing_; }

  // Flushes after a short delay unless a flush happens first.
  void schedule() {
    if (armed_ || batch_.empty()) return;
    armed_ = true;
    timer_.expires_after(syslog_flush_delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->armed_ = false;
      if (!ec && !self->flushing_ && !self->batch_.empty()) self->flush({});
    });
  }

  // Hands the batch over; `done` runs (on the strand) when it is durable or dropped.
  void flush(std::function<void()> done) {
    if (batch_.empty()) {
      if (done) done();
      return;
    }
    if (flushing_) {
      if (done) pending_done_.push_back(std::move(done));
      return;
    }
    const std::uint64_t size = batch_.size();
    if (!ctx_.pipe.try_reserve(size)) {
      ctx_.pipe.note_throttled();
      if (drop_) {
        // UDP cannot slow its senders: the batch is dropped and counted (GET /api/v1/stats).
        const auto n = ctx_.udp_dropped.fetch_add(messages_) + messages_;
        if (n == messages_ || n % 10000 < messages_)
          fmt::print(stderr, "mamori serve: ingest queue full: {} UDP syslog messages dropped so far\n", n);
        batch_.clear();
        messages_ = 0;
        if (done) done();
        return;
      }
      // TCP: reading stays paused; retry shortly.
      flushing_ = true;
      timer_.expires_after(std::chrono::milliseconds(50));
      timer_.async_wait([self = shared_from_this(), done = std::move(done)](beast::error_code) mutable {
        self->flushing_ = false;
        self->flush(std::move(done));
      });
      return;
    }
    flushing_ = true;
    store::wal_entry e;
    e.source = cfg_.source;
    e.format = cfg_.format;
    e.body = std::move(batch_);
    batch_.clear();
    messages_ = 0;
    if (done) pending_done_.push_back(std::move(done));
    ctx_.blocking([self = shared_from_this(), e = std::move(e), size]() mutable {
      auto r = self->ctx_.pipe.ingest(std::move(e));
      if (!r) {
        self->ctx_.pipe.unreserve(size);
        fmt::print(stderr, "mamori serve: syslog batch not written ahead: {}\n", r.error().message);
      }
      net::post(self->ex_, [self] {
        self->flushing_ = false;
        auto waiting = std::move(self->pending_done_);
        self->pending_done_.clear();
        for (auto& d : waiting) d();
        if (self->full()) self->flush({});
        else self->schedule();
      });
    });
  }

 private:
  network::impl& ctx_;
  net::any_io_executor ex_;
  net::steady_timer timer_;
  syslog_listener cfg_;
  bool drop_;
  std::string batch_;
  std::size_t messages_ = 0;
  bool armed_ = false;
  bool flushing_ = false;
  std::vector<std::function<void()>> pending_done_;
};

class syslog_tcp_session : public std::enable_shared_from_this<syslog_tcp_session> {
 public:
  syslog_tcp_session(network::impl& ctx, tcp::socket sock, const syslog_listener& cfg)
      : ctx_(ctx), sock_(std::move(sock)), cfg_(cfg) {}

  void run() {
    batcher_ = std::make_shared<syslog_batcher>(ctx_, sock_.get_executor(), cfg_, false);
    do_read();
  }

 private:
  void do_read() {
    sock_.async_read_some(net::buffer(buf_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->on_read(ec, n);
    });
  }

  void on_read(beast::error_code ec, std::size_t n) {
    auto add = [this](std::string_view m) { batcher_->add(m); };
    if (n > 0) framer_.feed(std::string_view(buf_.data(), n), add);
    if (ec) {
      framer_.finish(add);
      batcher_->flush([self = shared_from_this()] {
        beast::error_code e;
        self->sock_.close(e);
      });
      return;
    }
    if (batcher_->full()) {
      // Back-pressure: the next read waits until this batch is durable.
      batcher_->flush([self = shared_from_this()] { self->do_read(); });
      return;
    }
    batcher_->schedule();
    do_read();
  }

  network::impl& ctx_;
  tcp::socket sock_;
  syslog_listener cfg_;
  std::array<char, 64 * 1024> buf_{};
  source::syslog_framer framer_;
  std::shared_ptr<syslog_batcher> batcher_;
};

void syslog_accept_loop(network::impl& ctx, std::shared_ptr<tcp::acceptor> acc, syslog_listener cfg) {
  acc->async_accept(net::make_strand(ctx.ioc), [&ctx, acc, cfg](beast::error_code ec, tcp::socket sock) {
    if (!ec) std::make_shared<syslog_tcp_session>(ctx, std::move(sock), cfg)->run();
    if (acc->is_open() && !ctx.stopping) syslog_accept_loop(ctx, acc, cfg);
  });
}

class syslog_udp_receiver : public std::enable_shared_from_this<syslog_udp_receiver> {
 public:
  syslog_udp_receiver(network::impl& ctx, std::shared_ptr<udp::socket> sock, const syslog_listener& cfg)
      : ctx_(ctx), sock_(std::move(sock)), cfg_(cfg) {}

  void run() {
    batcher_ = std::make_shared<syslog_batcher>(ctx_, sock_->get_executor(), cfg_, true);
    ctx_.on_stop.push_back([b = batcher_, ex = sock_->get_executor()] {
      net::post(ex, [b] { b->flush({}); });
    });
    do_receive();
  }

 private:
  void do_receive() {
    sock_->async_receive_from(net::buffer(buf_), from_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) {
        if (ec == net::error::operation_aborted) return;
      } else {
        source::syslog_framer f(self->buf_.size());
        auto add = [&](std::string_view m) { self->batcher_->add(m); };
        f.feed(std::string_view(self->buf_.data(), n), add);
        f.finish(add);
        if (self->batcher_->full() && !self->batcher_->flushing()) self->batcher_->flush({});
        else if (self->batcher_->full() && self->batcher_->flushing()) {
          // One batch in flight and the next one full: hand it over too (it will drop and
          // count if the pipeline is full).
          self->batcher_->flush({});
        } else {
          self->batcher_->schedule();
        }
      }
      self->do_receive();
    });
  }

  network::impl& ctx_;
  std::shared_ptr<udp::socket> sock_;
  syslog_listener cfg_;
  std::array<char, 65536> buf_{};
  udp::endpoint from_;
  std::shared_ptr<syslog_batcher> batcher_;
};

result<tcp::endpoint> resolve_tcp(net::io_context& ioc, const std::string& host_port) {
  auto hp = MAMORI_TRY(split_host_port(host_port));
  beast::error_code ec;
  auto addr = net::ip::make_address(hp.first, ec);
  if (ec) {
    tcp::resolver r(ioc);
    auto res = r.resolve(hp.first, std::to_string(hp.second), ec);
    if (ec || res.empty()) return fail(fmt::format("cannot resolve '{}': {}", hp.first, ec.message()));
    return res.begin()->endpoint();
  }
  return tcp::endpoint(addr, hp.second);
}

}  // namespace

network::network(const server_config& config, api& handler, pipeline& pipe,
                 std::atomic<std::uint64_t>& udp_dropped)
    : impl_(std::make_unique<impl>(config, handler, pipe, udp_dropped)) {
  if (!config.tls_cert.empty()) {
    impl_->ssl = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    impl_->ssl->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                            net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                            net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  }
}

network::~network() { stop(); }

result<std::string> network::listen_http(const std::string& host_port) {
  if (impl_->ssl) {
    beast::error_code ec;
    impl_->ssl->use_certificate_chain_file(impl_->config.tls_cert, ec);
    if (ec) return fail(fmt::format("{}: cannot load TLS certificate: {}", impl_->config.tls_cert, ec.message()));
    impl_->ssl->use_private_key_file(impl_->config.tls_key, net::ssl::context::pem, ec);
    if (ec) return fail(fmt::format("{}: cannot load TLS key: {}", impl_->config.tls_key, ec.message()));
  }
  auto ep = MAMORI_TRY(resolve_tcp(impl_->ioc, host_port));
  auto acc = std::make_shared<tcp::acceptor>(net::make_strand(impl_->ioc));
  beast::error_code ec;
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail(fmt::format("cannot listen on {}: {}", host_port, ec.message()));
  const auto local = acc->local_endpoint();
  impl_->acceptors.push_back(acc);
  accept_loop(*impl_, acc);
  return fmt::format("{}://{}", impl_->ssl ? "https" : "http", endpoint_text(local.address(), local.port()));
}

result<std::string> network::listen_syslog(const syslog_listener& l) {
  auto ep = MAMORI_TRY(resolve_tcp(impl_->ioc, l.listen));
  beast::error_code ec;
  if (l.protocol == "tcp") {
    auto acc = std::make_shared<tcp::acceptor>(net::make_strand(impl_->ioc));
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fail(fmt::format("cannot listen on tcp {}: {}", l.listen, ec.message()));
    const auto local = acc->local_endpoint();
    impl_->acceptors.push_back(acc);
    syslog_accept_loop(*impl_, acc, l);
    return fmt::format("tcp://{}", endpoint_text(local.address(), local.port()));
  }
  auto sock = std::make_shared<udp::socket>(net::make_strand(impl_->ioc));
  udp::endpoint uep(ep.address(), ep.port());
  sock->open(uep.protocol(), ec);
  if (!ec) sock->set_option(net::socket_base::receive_buffer_size(8 << 20), ec);
  ec.clear();
  sock->bind(uep, ec);
  if (ec) return fail(fmt::format("cannot listen on udp {}: {}", l.listen, ec.message()));
  const auto local = sock->local_endpoint();
  impl_->udp_sockets.push_back(sock);
  std::make_shared<syslog_udp_receiver>(*impl_, sock, l)->run();
  return fmt::format("udp://{}", endpoint_text(local.address(), local.port()));
}

void network::run_blocking(std::function<void()> fn) { net::post(impl_->workers, std::move(fn)); }
void network::run_query(std::function<void()> fn) { net::post(impl_->queries, std::move(fn)); }

void network::start() {
  for (int i = 0; i < impl_->config.io_threads; ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void network::every(double seconds, std::function<void()> fn) {
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc);
  impl_->timers.push_back(timer);
  auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  auto tick = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> weak = tick;
  *tick = [this, timer, period, fn, weak] {
    timer->expires_after(period);
    timer->async_wait([this, fn, weak](beast::error_code ec) {
      if (ec || impl_->stopping) return;
      fn();
      if (auto t = weak.lock()) (*t)();
    });
  };
  impl_->on_stop.push_back([tick] { (void)tick; });  // keeps the closure alive until stop
  (*tick)();
}

void network::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  beast::error_code ec;
  for (auto& a : impl_->acceptors) a->close(ec);
  for (auto& t : impl_->timers) t->cancel();
  for (auto& f : impl_->on_stop) f();
  for (auto& s : impl_->udp_sockets) net::post(s->get_executor(), [s] {
      beast::error_code e;
      s->close(e);
    });
  // Let in-flight requests and syslog flushes finish (bounded), then stop the loop.
  for (int i = 0; i < 50 && impl_->connections.load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  impl_->workers.join();
  impl_->queries.join();
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
}

}  // namespace mamori::server
