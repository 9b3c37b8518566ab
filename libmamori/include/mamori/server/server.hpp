#pragma once
// `mamori serve` as a library object: opens the data directory, replays the write-ahead log,
// binds the listeners and runs until stopped. Tests run it in-process (port 0, temp dirs);
// the CLI wraps it with signal handling.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/detect/detector.hpp"
#include "mamori/enrich/enricher.hpp"
#include "mamori/respond/signals.hpp"
#include "mamori/server/config.hpp"

namespace mamori::server {

struct server_addresses {
  std::string http;                 // "http://127.0.0.1:41234"
  std::vector<std::string> syslog;  // "udp://127.0.0.1:5514", ...
};

class server {
 public:
  // Opens DATA (creating it), the WAL, the stores. Nothing listens yet.
  static result<std::unique_ptr<server>> create(server_config config);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Before start(): extra detectors and enrichers (tests, embedding).
  void add_detector(std::unique_ptr<detector> d);
  void add_enricher(std::unique_ptr<enricher> e);

  // Replays the WAL, binds the listeners, starts the threads. Returns the bound addresses.
  result<server_addresses> start();
  // Stops listeners, drains the pipeline (everything acknowledged is stored), joins.
  void stop();

  const server_config& config() const;
  respond::signal_bus& signals();
  // The admin token created at first start (empty afterwards): written to DATA/admin.token.
  const std::string& bootstrap_token_path() const;

  struct impl;

 private:
  explicit server(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

// What `mamori serve` runs on every batch: the enrichers the analytics need (GeoIP, ASN, IP
// lists, user agents), then the Sigma rules of detection.rules and the behavioural analytics
// of detection.analytics, with their baselines under DATA/state (docs/server.md, Detection).
struct server_detection {
  std::vector<std::unique_ptr<enricher>> enrichers;
  std::vector<std::unique_ptr<detector>> detectors;
  std::vector<std::string> notes;  // one line per part: what was loaded
};
result<server_detection> make_server_detection(const server_config& config, diagnostics& diag);

}  // namespace mamori::server
