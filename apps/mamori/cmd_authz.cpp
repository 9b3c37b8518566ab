// mamori authz: the zero-trust access decision point (docs/authz.md, docs/cli.md).
//   lint    find unreachable, shadowed and contradictory rules
//   eval    explain one decision offline
//   serve   the decision endpoint for nginx, Caddy, Envoy and Traefik
//   session mint a signed session cookie

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "authz_commands.hpp"
#include "commands.hpp"
#include "mamori/authz/engine.hpp"
#include "mamori/authz/json_io.hpp"
#include "mamori/authz/lint.hpp"

namespace mamori::cli {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

result<std::string> read_file(const std::string& path) {
  if (path == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return s;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("cannot read '{}'", path));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

diagnostics stderr_diagnostics() {
  return diagnostics([](const diagnostic& d) { fmt::print(stderr, "{}\n", render(d)); }, 200);
}

int run_lint(const std::vector<std::string>& files) {
  int rc = exit_ok;
  std::size_t errors = 0, warnings = 0;
  for (const auto& file : files) {
    auto diag = stderr_diagnostics();
    auto p = authz::load_policy_file(file, diag);
    if (!p) {
      if (diag.errors() == 0) fmt::print(stderr, "mamori authz lint: {}\n", p.error().message);
      errors += std::max<std::size_t>(1, diag.errors());
      rc = authz_exit_invalid;
      continue;
    }
    warnings += diag.warnings();
    if (auto c = authz::compiled_policy::compile(*p); !c) {
      fmt::print(stderr, "{}: error: {}\n", file, c.error().message);
      ++errors;
      rc = authz_exit_invalid;
      continue;
    }
    for (const auto& d : authz::lint_policy(*p)) {
      fmt::print(stderr, "{}\n", render(d));
      if (d.level == severity_level::error) ++errors;
      if (d.level == severity_level::warning) ++warnings;
    }
  }
  if (errors + warnings == 0) {
    fmt::print(stderr, "{} polic{} clean\n", files.size(), files.size() == 1 ? "y" : "ies");
    return exit_ok;
  }
  fmt::print(stderr, "{} error{}, {} warning{}\n", errors, errors == 1 ? "" : "s", warnings,
             warnings == 1 ? "" : "s");
  return rc != exit_ok ? rc : authz_exit_findings;
}

struct eval_args {
  std::string policy;
  std::string request;
  std::vector<std::string> signals;
  std::string format = "text";
  bool fail_on_deny = false;
};

int run_eval(const eval_args& a) {
  auto diag = stderr_diagnostics();
  auto p = authz::load_policy_file(a.policy, diag);
  if (!p) {
    if (diag.errors() == 0) fmt::print(stderr, "mamori authz eval: {}\n", p.error().message);
    return authz_exit_invalid;
  }
  auto compiled = authz::compiled_policy::compile(std::move(*p));
  if (!compiled) {
    fmt::print(stderr, "{}: error: {}\n", a.policy, compiled.error().message);
    return authz_exit_invalid;
  }
  authz::signal_store store((*compiled)->source().defaults.risk_half_life);
  const std::int64_t now = now_ns();
  for (const auto& f : a.signals) {
    auto text = read_file(f);
    if (!text) {
      fmt::print(stderr, "mamori authz eval: {}\n", text.error().message);
      return exit_usage;
    }
    if (auto n = authz::apply_signals_json(*text, store, now / 1'000'000'000); !n) {
      fmt::print(stderr, "{}: error: {}\n", f, n.error().message);
      return exit_usage;
    }
  }
  auto text = read_file(a.request);
  if (!text) {
    fmt::print(stderr, "mamori authz eval: {}\n", text.error().message);
    return exit_usage;
  }
  auto req = authz::parse_request_json(*text, store, now);
  if (!req) {
    fmt::print(stderr, "{}: error: {}\n", a.request, req.error().message);
    return exit_usage;
  }
  auto snap = store.snapshot();
  const authz::access_request view = req->view();
  const authz::explanation e = (*compiled)->explain(view, *snap);
  if (a.format == "json") {
    fmt::print("{}\n", authz::explanation_json(**compiled, e));
  } else {
    fmt::print("{}", authz::explanation_text(**compiled, e));
  }
  if (a.fail_on_deny && e.d.result != authz::outcome::allow) return authz_exit_findings;
  return exit_ok;
}

}  // namespace

void add_authz_command(CLI::App& app, int& exit_code) {
  auto* authz = app.add_subcommand("authz", "Zero-trust access decisions: lint, eval, serve");
  authz->require_subcommand(1);

  static std::vector<std::string> lint_files;
  auto* lint = authz->add_subcommand("lint", "Find unreachable, shadowed and contradictory rules");
  lint->add_option("POLICY", lint_files, "Policy files")->required();
  lint->callback([&exit_code] { exit_code = run_lint(lint_files); });

  static eval_args ea;
  auto* eval = authz->add_subcommand("eval", "Explain one access decision offline");
  eval->add_option("--policy", ea.policy, "Policy file")->required();
  eval->add_option("--request", ea.request, "Request JSON file (- for stdin)")->required();
  eval->add_option("--signals", ea.signals, "Signals JSON (device posture, risk, revocations)");
  eval->add_option("--format", ea.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  eval->add_flag("--fail-on-deny", ea.fail_on_deny, "Exit 2 unless the decision is allow");
  eval->callback([&exit_code] { exit_code = run_eval(ea); });

  add_authz_serve_command(*authz, exit_code);
}

}  // namespace mamori::cli
