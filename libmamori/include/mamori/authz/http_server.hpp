#pragma once
// A small HTTP/1.1 server on Boost.Beast for the decision endpoint: one io_context per
// thread, each with its own acceptor on the same port (SO_REUSEPORT), so the kernel spreads
// connections and a request never crosses threads or takes a lock in the server. Keep-alive,
// bounded header (16 KiB) and body (1 MiB) sizes, idle timeout.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mamori/authz/service.hpp"
#include "mamori/core/result.hpp"

namespace mamori::authz {

class http_server {
 public:
  using handler = std::function<void(const http_in&, http_reply&)>;
  struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 9191;  // 0 = ephemeral
    unsigned threads = 1;
    std::size_t max_body = 1 << 20;
    std::chrono::seconds idle_timeout{60};
  };

  static result<std::unique_ptr<http_server>> start(options o, handler h);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:9191"
  void stop();

 private:
  struct impl;
  explicit http_server(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
  std::uint16_t port_ = 0;
};

// "127.0.0.1:9191", "[::1]:9191", ":9191" (loopback), "9191".
result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text);

}  // namespace mamori::authz
