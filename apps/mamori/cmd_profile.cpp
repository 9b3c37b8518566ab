#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "mamori/detect/analytics/analytics.hpp"

namespace mamori::cli {

namespace {

struct profile_args {
  std::string user;
  std::string state_dir = ".mamori-state";
  bool json = false;
};

int run_profile(const profile_args& a) {
  auto text = describe_profile(a.state_dir, a.user, a.json);
  if (!text) {
    fmt::print(stderr, "mamori profile: {}\n", text.error().message);
    return exit_usage;
  }
  fmt::print("{}", *text);
  return exit_ok;
}

}  // namespace

void add_profile_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<profile_args>();
  auto* cmd =
      app.add_subcommand("profile",
                         "Print the behavioural baseline learned for a user (countries, networks, "
                         "devices, services, hours, volumes)");
  cmd->add_option("user", args->user, "User as the logs name it (case-insensitive)")->required();
  cmd->add_option("--state", args->state_dir,
                  "State directory given to mamori hunt --state (default .mamori-state)");
  cmd->add_flag("--json", args->json, "Print JSON instead of text");
  cmd->callback([args, &exit_code] { exit_code = run_profile(*args); });
}

}  // namespace mamori::cli
