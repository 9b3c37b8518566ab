#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/pipeline/hunt_job.hpp"

namespace mamori::cli {

namespace {

struct rules_check_args {
  bool json = false;
  bool verbose = false;
  std::vector<std::string> pipelines;
  bool no_default_pipeline = false;
  std::string placeholders;
  std::vector<std::string> paths;
};

int run_rules_check(const rules_check_args& args) {
  sigma::sigma_options options;
  options.rule_paths = args.paths;
  options.pipeline_files = args.pipelines;
  options.default_pipeline = !args.no_default_pipeline;
  options.placeholders_file = args.placeholders;
  auto loaded = sigma::load_sigma(options, decoder_names(decoder_registry::builtin()));
  if (!loaded) {
    fmt::print(stderr, "mamori rules check: {}\n", loaded.error().message);
    return exit_usage;
  }
  const auto& report = loaded->report;
  if (args.json) {
    fmt::print("{}\n", report.to_json());
  } else {
    fmt::print("{}", report.to_text(args.verbose));
  }
  return report.invalid > 0 ? exit_rejected : exit_ok;
}

}  // namespace

void add_rules_command(CLI::App& app, int& exit_code) {
  auto* rules = app.add_subcommand("rules", "Sigma rule tools");
  rules->require_subcommand(1);
  auto args = std::make_shared<rules_check_args>();
  auto* check = rules->add_subcommand(
      "check", "Load and compile Sigma rules; list loaded, unsupported (by reason) and invalid");
  check->add_flag("--json", args->json, "Print the report as JSON");
  check->add_flag("-v,--verbose", args->verbose, "List every unsupported rule");
  check->add_option("--pipeline", args->pipelines, "Extra logsource pipeline YAML; repeatable")
      ->expected(1);
  check->add_flag("--no-default-pipeline", args->no_default_pipeline,
                  "Do not load the built-in pipeline");
  check->add_option("--placeholders", args->placeholders,
                    "YAML mapping of placeholder name → values for the expand modifier");
  check->add_option("paths", args->paths, "Rule files or directories")->required();
  check->callback([args, &exit_code] { exit_code = run_rules_check(*args); });
}

}  // namespace mamori::cli
