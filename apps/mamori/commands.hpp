#pragma once
// Each CLI subcommand lives in its own file and registers itself on the app. Commands are
// thin: they parse options and call the library.

#include <CLI/CLI.hpp>

namespace mamori::cli {

// Exit codes shared by all commands (docs/cli.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_findings = 1;  // hunt: findings at or above --fail-level
inline constexpr int exit_usage = 1;     // usage errors, unreadable inputs
inline constexpr int exit_rejected = 2;  // --strict and some records were rejected

void add_parse_command(CLI::App& app, int& exit_code);
void add_formats_command(CLI::App& app, int& exit_code);
void add_hunt_command(CLI::App& app, int& exit_code);
void add_rules_command(CLI::App& app, int& exit_code);
void add_simulate_command(CLI::App& app, int& exit_code);
void add_catalog_command(CLI::App& app, int& exit_code);
void add_discover_command(CLI::App& app, int& exit_code);
void add_squid_helper_command(CLI::App& app, int& exit_code);
void add_authz_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
void add_profile_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);
void add_client_commands(CLI::App& app, int& exit_code);

}  // namespace mamori::cli
