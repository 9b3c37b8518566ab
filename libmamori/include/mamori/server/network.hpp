#pragma once
// The server's network side on Boost.Asio/Beast: the HTTP(S) API listener and the syslog
// listeners (UDP, TCP with RFC 6587 framing), run by a fixed set of I/O threads, plus the
// worker pool that runs blocking work (WAL appends, SQLite). Boost stays inside
// network.cpp: nothing else in mamori includes it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mamori/core/result.hpp"
#include "mamori/server/api.hpp"
#include "mamori/server/config.hpp"
#include "mamori/server/pipeline.hpp"

namespace mamori::server {

class network {
 public:
  network(const server_config& config, api& handler, pipeline& pipe,
          std::atomic<std::uint64_t>& udp_dropped);
  ~network();
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  // Binds the API listener; returns its URL with the real port (port 0 picks one).
  result<std::string> listen_http(const std::string& host_port);
  // Binds a syslog listener; returns "udp://host:port" or "tcp://host:port".
  result<std::string> listen_syslog(const syslog_listener& l);
  // Runs blocking work on the ingest worker pool (WAL appends).
  void run_blocking(std::function<void()> fn);
  // Runs analyst work (searches, cases) on its own pool, so a slow search never delays ingest.
  void run_query(std::function<void()> fn);
  // Starts the I/O threads.
  void start();
  // Stops accepting, flushes pending syslog batches, joins the threads.
  void stop();
  // Calls fn every `seconds` on an I/O thread (housekeeping).
  void every(double seconds, std::function<void()> fn);

  struct impl;  // public so the session types in network.cpp can name it

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace mamori::server
