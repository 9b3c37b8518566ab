// mamori authz serve: the decision endpoint; mamori authz session: mint a session cookie.

#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "authz_commands.hpp"
#include "commands.hpp"
#include "mamori/authz/http_server.hpp"
#include "mamori/authz/json_io.hpp"
#include "mamori/authz/service.hpp"
#include "mamori/identity/authenticator.hpp"

namespace mamori::cli {

namespace {

struct serve_args {
  std::string policy;
  std::string listen = "127.0.0.1:9191";
  unsigned threads = 0;
  std::string audit;
  std::string admin_token_file;
  std::vector<std::string> signals;
  bool no_watch = false;
  bool hide_reasons = false;
};

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

result<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("cannot read '{}'", path));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int run_serve(const serve_args& a) {
  // Signals are handled by this thread with sigwait; block them before any thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto listen = authz::parse_listen(a.listen);
  if (!listen) {
    fmt::print(stderr, "mamori authz serve: {}\n", listen.error().message);
    return exit_usage;
  }
  std::FILE* audit = nullptr;
  if (!a.audit.empty()) {
    audit = a.audit == "-" ? stdout : std::fopen(a.audit.c_str(), "a");
    if (audit == nullptr) {
      fmt::print(stderr, "mamori authz serve: cannot open audit file '{}'\n", a.audit);
      return exit_usage;
    }
  }
  authz::service_options o;
  o.policy_path = a.policy;
  o.audit_ndjson = audit;
  o.expose_reasons = !a.hide_reasons;
  if (a.no_watch) o.watch_interval = std::chrono::milliseconds(0);
  if (!a.admin_token_file.empty()) {
    auto t = slurp(a.admin_token_file);
    if (!t) {
      fmt::print(stderr, "mamori authz serve: {}\n", t.error().message);
      return exit_usage;
    }
    while (!t->empty() && (t->back() == '\n' || t->back() == '\r')) t->pop_back();
    if (t->size() < 16) {
      fmt::print(stderr, "mamori authz serve: the admin token must have at least 16 characters\n");
      return exit_usage;
    }
    o.admin_token = *t;
  }
  diagnostics diag([](const diagnostic& d) { fmt::print(stderr, "{}\n", render(d)); });
  auto svc = authz::decision_service::create(o, diag);
  if (!svc) {
    fmt::print(stderr, "mamori authz serve: {}\n", svc.error().message);
    return authz_exit_invalid;
  }
  for (const auto& f : a.signals) {
    auto text = slurp(f);
    auto n = text ? authz::apply_signals_json(*text, (*svc)->signals(), now_s())
                  : result<std::size_t>(tl::unexpected(text.error()));
    if (!n) {
      fmt::print(stderr, "{}: error: {}\n", f, n.error().message);
      return exit_usage;
    }
  }
  authz::http_server::options so;
  so.host = listen->first;
  so.port = listen->second;
  so.threads = a.threads != 0 ? a.threads : std::max(1u, std::thread::hardware_concurrency());
  auto* service = svc->get();
  auto server = authz::http_server::start(
      so,
      [service](const authz::http_in& in, authz::http_reply& out) { service->handle(in, out); });
  if (!server) {
    fmt::print(stderr, "mamori authz serve: {}\n", server.error().message);
    return exit_usage;
  }
  const auto p = (*svc)->policies().get();
  fmt::print(
      "mamori authz: listening on http://{} (policy {}, {} applications, {} rules, {} "
      "threads)\n",
      (*server)->address(), a.policy, p->app_count(), p->rule_count(), so.threads);
  std::fflush(stdout);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      auto g = (*svc)->reload(diag);
      if (g) {
        fmt::print(stderr, "mamori authz: policy reloaded (generation {})\n", *g);
      } else {
        fmt::print(stderr, "mamori authz: policy not reloaded, the running one stays: {}\n",
                   g.error().message);
      }
      continue;
    }
    break;
  }
  fmt::print(stderr, "mamori authz: stopping after {} decisions\n", (*svc)->decisions());
  (*server)->stop();
  svc->reset();  // flushes the audit queue
  if (audit != nullptr && audit != stdout) std::fclose(audit);
  return exit_ok;
}

struct session_args {
  std::string policy;
  std::string user;
  std::vector<std::string> groups, roles, methods;
  bool mfa = false;
  std::string device, ttl = "";
  std::string session;
};

int run_session(const session_args& a) {
  diagnostics diag([](const diagnostic& d) { fmt::print(stderr, "{}\n", render(d)); });
  auto cfg = identity::load_identity_config(a.policy, diag);
  if (!cfg) {
    fmt::print(stderr, "mamori authz session: {}\n", cfg.error().message);
    return authz_exit_invalid;
  }
  if (cfg->session_key_files.empty()) {
    fmt::print(stderr, "mamori authz session: the policy has no identity.session.keys\n");
    return exit_usage;
  }
  std::vector<std::string> keys;
  for (const auto& f : cfg->session_key_files) {
    auto k = identity::session_codec::read_key_file(f);
    if (!k) {
      fmt::print(stderr, "mamori authz session: {}\n", k.error().message);
      return exit_usage;
    }
    keys.push_back(*k);
  }
  auto codec = identity::session_codec::create(keys);
  if (!codec) {
    fmt::print(stderr, "mamori authz session: {}\n", codec.error().message);
    return exit_usage;
  }
  std::int64_t ttl = cfg->session_ttl;
  if (!a.ttl.empty()) {
    auto d = authz::parse_duration(a.ttl);
    if (!d) {
      fmt::print(stderr, "mamori authz session: bad --ttl '{}'\n", a.ttl);
      return exit_usage;
    }
    ttl = *d;
  }
  authz::principal who;
  who.user = a.user;
  who.groups = a.groups;
  who.roles = a.roles;
  who.methods = a.methods;
  who.mfa = a.mfa || identity::amr_means_mfa(a.methods);
  who.device_id = a.device;
  who.session_id = a.session;
  who.issuer = "mamori";
  fmt::print("{}\n", codec->issue(who, now_s(), ttl));
  return exit_ok;
}

}  // namespace

void add_authz_serve_command(CLI::App& authz, int& exit_code) {
  static serve_args sa;
  auto* serve =
      authz.add_subcommand("serve", "Run the decision endpoint for nginx, Caddy, Envoy, Traefik");
  serve->add_option("--policy", sa.policy, "Policy file (hot reloaded on change and SIGHUP)")
      ->required();
  serve->add_option("--listen", sa.listen,
                    "HOST:PORT to listen on (default 127.0.0.1:9191; port 0 = any)");
  serve->add_option("--threads", sa.threads, "Worker threads (default: one per core)");
  serve->add_option("--audit", sa.audit,
                    "Append decision events (OCSF NDJSON) to FILE, - for stdout");
  serve->add_option(
      "--admin-token-file", sa.admin_token_file,
      "Enable /v1/signals, /v1/explain, /v1/reload, /v1/status with this bearer token");
  serve->add_option("--signals", sa.signals,
                    "Load signals JSON at start (device posture export, ...)");
  serve->add_flag("--no-watch", sa.no_watch, "Do not poll the policy file (reload on SIGHUP only)");
  serve->add_flag("--hide-reasons", sa.hide_reasons, "Do not tell clients why they were refused");
  serve->callback([&exit_code] { exit_code = run_serve(sa); });

  static session_args ss;
  auto* session =
      authz.add_subcommand("session", "Mint a signed mamori session cookie (tests, demos)");
  session->add_option("--policy", ss.policy, "Policy file with identity.session.keys")->required();
  session->add_option("--user", ss.user, "User name")->required();
  session->add_option("--group", ss.groups, "Group (repeatable)");
  session->add_option("--role", ss.roles, "Role (repeatable)");
  session->add_option("--method", ss.methods,
                      "Sign-in method, amr value (repeatable: pwd, otp, hwk)");
  session->add_flag("--mfa", ss.mfa, "Mark the session as multi-factor");
  session->add_option("--device", ss.device, "Device id bound to the session");
  session->add_option("--session-id", ss.session, "Session id (random by default)");
  session->add_option("--ttl", ss.ttl, "Lifetime (default identity.session.ttl)");
  session->callback([&exit_code] { exit_code = run_session(ss); });
}

}  // namespace mamori::cli
