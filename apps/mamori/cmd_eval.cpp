#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "mamori/eval/evaluate.hpp"

namespace mamori::cli {

namespace {

struct eval_args {
  std::string truth;
  std::string findings;
  std::string output = "table";
  std::string only;
  double slack_minutes = 60;
  double users = 0;
  double days = 0;
};

int run_eval(const eval_args& a) {
  diagnostics diag([](const diagnostic& d) { fmt::print(stderr, "{}\n", render(d)); });
  auto t = eval::load_truth(a.truth, diag);
  if (!t) {
    fmt::print(stderr, "mamori eval: {}\n", t.error().message);
    return exit_usage;
  }
  auto f = eval::load_findings(a.findings, diag);
  if (!f) {
    fmt::print(stderr, "mamori eval: {}\n", f.error().message);
    return exit_usage;
  }
  eval::options o;
  o.slack = static_cast<std::int64_t>(a.slack_minutes * 60e9);
  o.only = a.only;
  o.users = a.users;
  o.days = a.days;
  const eval::report r = eval::evaluate(*t, *f, o);
  if (a.output == "json") {
    fmt::print("{}\n", eval::render_json(r));
  } else {
    fmt::print("{}", eval::render_table(r));
  }
  return exit_ok;
}

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<eval_args>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Score findings against a ground truth (docs/truth-format.md): per detector "
      "TP/FP/FN, precision, recall, time to detect");
  cmd->add_option("--truth", args->truth, "truth.ndjson (campaigns, malicious events)")->required();
  cmd->add_option("findings", args->findings, "Findings NDJSON as written by mamori hunt")
      ->required();
  cmd->add_option("--output", args->output, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--only", args->only,
                  "Evaluate only detectors whose rule uid starts with this (e.g. mamori.)");
  cmd->add_option("--slack", args->slack_minutes,
                  "Minutes around a campaign within which an entity match counts (default 60)");
  cmd->add_option("--users", args->users, "Benign population for FP per 10k users/day");
  cmd->add_option("--days", args->days, "Days of benign activity for FP per 10k users/day");
  cmd->callback([args, &exit_code] { exit_code = run_eval(*args); });
}

}  // namespace mamori::cli
