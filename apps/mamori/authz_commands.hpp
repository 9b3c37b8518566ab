#pragma once
// `mamori authz` subcommands (docs/cli.md, "mamori authz").

#include <CLI/CLI.hpp>

namespace mamori::cli {

// Exit codes of `mamori authz` (besides exit_ok = 0 and exit_usage = 1).
inline constexpr int authz_exit_findings = 2;  // lint found problems; eval --fail-on-deny denied
inline constexpr int authz_exit_invalid = 3;   // the policy does not load or compile

void add_authz_serve_command(CLI::App& authz, int& exit_code);  // serve + session

}  // namespace mamori::cli
