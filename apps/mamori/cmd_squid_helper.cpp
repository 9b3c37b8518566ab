// mamori squid-helper: Squid external ACL helper enforcing the shadow-IT policy
// (docs/squid.md). stdout is the protocol: everything else goes to stderr or the log file.

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "catalog_options.hpp"
#include "commands.hpp"
#include "mamori/catalog/setup.hpp"
#include "mamori/catalog/url_categories.hpp"
#include "mamori/discover/squid_helper.hpp"

namespace mamori::cli {

namespace {

struct helper_args {
  catalog_cli cat;
  std::string policy;
  std::string ut1;
  std::string fields = "client,user,method,url";
  std::string concurrency = "auto";
  std::string log = "-";
};

int run_helper(const helper_args& args) {
  namespace fs = std::filesystem;
  // Squid shows the helper's stderr in cache.log: diagnostics go there.
  diagnostics diag(
      [](const diagnostic& d) { fmt::print(stderr, "mamori squid-helper: {}\n", render(d)); });
  auto setup = make_setup(args.cat);
  auto cat = catalog::load_catalog(setup, diag);
  if (!cat) {
    fmt::print(stderr, "mamori squid-helper: {}\n", cat.error().message);
    return exit_usage;
  }
  discover::discovery_policy policy;
  if (!args.policy.empty()) {
    auto p = discover::load_policy(args.policy, *cat);
    if (!p) {
      fmt::print(stderr, "mamori squid-helper: {}\n", p.error().message);
      return exit_usage;
    }
    policy = std::move(*p);
  }
  catalog::url_category_db ut1;
  bool have_ut1 = false;
  if (!policy.block_url_categories.empty()) {
    std::string dir = !args.ut1.empty() ? args.ut1 : policy.ut1_path;
    if (dir.empty()) {
      const std::string shared = catalog::find_shared_data(args.cat.shared_data, setup.data_dir);
      dir = (fs::path(shared.empty() ? "../shared/data" : shared) / "reference" / "ut1_blacklists" /
             "blacklists")
                .string();
    }
    // Only the categories the policy blocks: a fast start and a small footprint.
    auto st = ut1.load_ut1(dir, policy.block_url_categories, diag);
    if (!st) {
      fmt::print(stderr, "mamori squid-helper: {}\n", st.error().message);
      return exit_usage;
    }
    have_ut1 = true;
  }
  auto fields = discover::parse_helper_fields(args.fields);
  if (!fields) {
    fmt::print(stderr, "mamori squid-helper: {}\n", fields.error().message);
    return exit_usage;
  }
  std::FILE* log = nullptr;
  if (args.log == "-") {
    log = stderr;
  } else if (args.log != "none") {
    log = std::fopen(args.log.c_str(), "a");
    if (log == nullptr) {
      fmt::print(stderr, "mamori squid-helper: cannot open the decision log {}\n", args.log);
      return exit_usage;
    }
  }
  discover::access_decider decider(*cat, policy, have_ut1 ? &ut1 : nullptr);
  discover::helper_options opts;
  opts.fields = std::move(*fields);
  opts.channels = args.concurrency == "yes"  ? discover::channel_mode::always
                  : args.concurrency == "no" ? discover::channel_mode::never
                                             : discover::channel_mode::automatic;
  opts.log = log;
  discover::squid_helper helper(decider, opts);
  auto stats = helper.serve(STDIN_FILENO, STDOUT_FILENO);
  if (log != nullptr && log != stderr) std::fclose(log);
  if (!stats) {
    fmt::print(stderr, "mamori squid-helper: {}\n", stats.error().message);
    return exit_usage;
  }
  return exit_ok;
}

}  // namespace

void add_squid_helper_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<helper_args>();
  auto* cmd = app.add_subcommand(
      "squid-helper",
      "Squid external ACL helper: deny prohibited apps and blocked URL categories (docs/squid.md)");
  add_catalog_options(cmd, args->cat);
  cmd->add_option("--policy", args->policy, "Policy YAML (docs/discover.md)");
  cmd->add_option(
      "--ut1", args->ut1,
      "UT1 blacklists directory (default: the policy's ut1_path, else the shared copy)");
  cmd->add_option("--fields", args->fields,
                  "The FORMAT values Squid sends, in order: client,user,method,url (default; "
                  "FORMAT %>a %un %>rm %>ru), also host, path, -");
  cmd->add_option("--concurrency", args->concurrency,
                  "Channel IDs in requests: auto (a leading number), yes, no")
      ->check(CLI::IsMember({"auto", "yes", "no"}));
  cmd->add_option("--log", args->log,
                  "Decision log (OCSF HTTP Activity NDJSON): FILE (appended), '-' = stderr "
                  "(default), none");
  cmd->callback([args, &exit_code] { exit_code = run_helper(*args); });
}

}  // namespace mamori::cli
