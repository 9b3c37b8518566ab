// mamori: one engine for the defense layer. See `mamori --help` and docs/cli.md.

#include <cstdio>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"mamori — zero-trust security engine: parse, detect, respond"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mamori 0.1.0");
  int exit_code = mamori::cli::exit_ok;
  mamori::cli::add_parse_command(app, exit_code);
  mamori::cli::add_formats_command(app, exit_code);
  mamori::cli::add_hunt_command(app, exit_code);
  mamori::cli::add_rules_command(app, exit_code);
  mamori::cli::add_simulate_command(app, exit_code);
  mamori::cli::add_catalog_command(app, exit_code);
  mamori::cli::add_discover_command(app, exit_code);
  mamori::cli::add_squid_helper_command(app, exit_code);
  mamori::cli::add_authz_command(app, exit_code);
  mamori::cli::add_eval_command(app, exit_code);
  mamori::cli::add_profile_command(app, exit_code);
  mamori::cli::add_serve_command(app, exit_code);
  mamori::cli::add_client_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 returns 0 for --help/--version; usage errors map to exit 1 like every input error.
    int rc = app.exit(e);
    return rc == 0 ? 0 : mamori::cli::exit_usage;
  }
  std::fflush(stdout);
  return exit_code;
}
