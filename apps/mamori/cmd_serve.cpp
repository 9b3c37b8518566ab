// mamori serve: the continuous server (docs/server.md).
#include <fmt/format.h>
#include <signal.h>

#include <cstdio>

#include "commands.hpp"
#include "mamori/server/server.hpp"

namespace mamori::cli {

namespace {

struct serve_args {
  std::string config;
  std::string data;
  std::string listen;
  std::vector<std::string> syslog_udp;
  std::vector<std::string> syslog_tcp;
  std::string syslog_format;
  std::vector<std::string> tail;
  std::string tail_format;
};

int run_serve(const serve_args& a) {
  server::server_config cfg;
  if (!a.config.empty()) {
    auto c = server::load_config(a.config);
    if (!c) {
      fmt::print(stderr, "mamori serve: {}\n", c.error().message);
      return exit_usage;
    }
    cfg = std::move(*c);
  }
  if (!a.data.empty()) cfg.data = a.data;
  if (!a.listen.empty()) {
    if (auto hp = server::split_host_port(a.listen); !hp) {
      fmt::print(stderr, "mamori serve: --listen: {}\n", hp.error().message);
      return exit_usage;
    }
    cfg.listen = a.listen;
  }
  for (const auto& [list, proto] : {std::pair{&a.syslog_udp, "udp"}, std::pair{&a.syslog_tcp, "tcp"}}) {
    for (const auto& l : *list) {
      server::syslog_listener s;
      s.protocol = proto;
      s.listen = l;
      if (!a.syslog_format.empty()) s.format = a.syslog_format;
      cfg.syslog.push_back(s);
    }
  }
  for (const auto& t : a.tail) {
    server::tail_input ti;
    ti.path = t;
    ti.format = a.tail_format;
    cfg.tail.push_back(ti);
  }
  // Signals are taken synchronously by this thread; every other thread blocks them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto srv = server::server::create(cfg);
  if (!srv) {
    fmt::print(stderr, "mamori serve: {}\n", srv.error().message);
    return exit_usage;
  }
  if (!(*srv)->bootstrap_token_path().empty())
    fmt::print(stderr, "mamori serve: created the first admin token in {} (keep it secret)\n",
               (*srv)->bootstrap_token_path());
  auto addrs = (*srv)->start();
  if (!addrs) {
    fmt::print(stderr, "mamori serve: {}\n", addrs.error().message);
    return exit_usage;
  }
  fmt::print("mamori serve: listening on {}\n", addrs->http);
  for (const auto& s : addrs->syslog) fmt::print("mamori serve: syslog on {}\n", s);
  fmt::print("mamori serve: data in {}\n", cfg.data);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  fmt::print(stderr, "mamori serve: {} received; draining and stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*srv)->stop();
  return exit_ok;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<serve_args>();
  auto* cmd = app.add_subcommand("serve", "Run the server: continuous ingest, store, search, cases, API");
  cmd->add_option("--config", a->config, "YAML configuration file (docs/server.md)");
  cmd->add_option("--data", a->data, "Data directory (default mamori-data)");
  cmd->add_option("--listen", a->listen, "API address HOST:PORT (default 127.0.0.1:8443; port 0 picks one)");
  cmd->add_option("--syslog-udp", a->syslog_udp, "Also listen for syslog over UDP on HOST:PORT");
  cmd->add_option("--syslog-tcp", a->syslog_tcp, "Also listen for syslog over TCP on HOST:PORT");
  cmd->add_option("--syslog-format", a->syslog_format, "Decoder for syslog messages (default syslog)");
  cmd->add_option("--tail", a->tail, "Follow a file or directory of line-oriented logs");
  cmd->add_option("--tail-format", a->tail_format, "Decoder for tailed files (default: sniffed)");
  cmd->callback([a, &exit_code] { exit_code = run_serve(*a); });
}

}  // namespace mamori::cli
