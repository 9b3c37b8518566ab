#pragma once
// Configuration of `mamori serve` (docs/server.md, "Configuration"): a YAML file, every key
// optional, command-line flags override the file. Secure defaults: loopback only, TLS off
// only because no certificate is given, every API call authenticated.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mamori/core/result.hpp"

namespace mamori::server {

struct syslog_listener {
  std::string protocol = "udp";  // udp | tcp
  std::string listen = "127.0.0.1:5514";
  std::string format = "syslog";  // decoder for the messages ("" = sniff each batch)
  std::string source = "syslog";  // source name stored with the events
};

struct tail_input {
  std::string path;          // a file, or a directory (every regular file in it)
  std::string pattern = "*"; // file name glob inside a directory
  std::string format;        // "" = sniff
  std::string source;        // default: "tail:<path>"
};

struct webhook_config {
  std::string url;          // http:// or https://
  std::string secret_env;   // environment variable holding the HMAC key
  std::string secret_file;  // or a file holding it (mode 0600)
  double timeout_s = 10;
};

struct block_ip_config {
  std::string mode = "file";  // file | nft
  std::string file;           // default DATA/blocklist.txt
  std::string nft_family = "inet";
  std::string nft_table = "filter";
  std::string nft_set = "mamori_block";
};

struct email_config {
  std::string relay;  // host:port of an SMTP relay (plain SMTP, no authentication)
  std::string from = "mamori@localhost";
  std::vector<std::string> to;
  double timeout_s = 10;
};

struct server_config {
  std::string listen = "127.0.0.1:8443";
  std::string data = "mamori-data";
  std::string tls_cert;  // PEM; TLS is on when both are set
  std::string tls_key;

  // Limits.
  std::uint64_t max_body_bytes = 32u << 20;          // compressed request body
  std::uint64_t max_decompressed_bytes = 256u << 20; // after gzip/zstd
  std::uint64_t queue_bytes = 256u << 20;            // ingested, not yet stored
  double requests_per_second = 100;                  // per token
  double burst = 200;
  int io_threads = 1;
  int worker_threads = 2;  // ingest: decompression and WAL appends (fsync)
  int query_threads = 2;   // searches, findings, cases, actions

  // Storage.
  int retention_days = 0;             // 0 = keep
  std::uint64_t retention_bytes = 0;  // 0 = unlimited
  bool wal_sync = true;

  // Detection.
  std::vector<std::string> rules;   // Sigma rule paths (when the Sigma engine is built in)
  std::string analytics = "default";

  // Cases.
  std::string case_templates;  // directory of scenario templates (default: shipped data/cases)
  double case_window_s = 3600; // findings of one entity within this window join one case
  std::vector<std::string> case_entities = {"user", "src_ip", "host"};  // grouping priority

  std::vector<syslog_listener> syslog;
  std::vector<tail_input> tail;
  double tail_interval_s = 1;

  webhook_config webhook;
  block_ip_config block_ip;
  email_config email;
};

// Reads a YAML configuration; unknown keys are errors (a typo must not silently disable a
// setting). Sizes accept suffixes (64MiB, 1GiB), durations 30s/15m/24h.
result<server_config> load_config(const std::string& path);

// "host:port" → (host, port); IPv6 as "[::1]:8443".
result<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& s);

}  // namespace mamori::server
