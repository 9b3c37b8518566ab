#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "mamori/detect/sigma/compiler.hpp"
#include "mamori/io/inputs.hpp"
#include "mamori/output/finding_writer.hpp"
#include "mamori/pipeline/hunt_job.hpp"

namespace mamori::cli {

namespace {

struct hunt_args {
  std::vector<std::string> rules;
  std::vector<std::string> pipelines;
  bool no_default_pipeline = false;
  std::string placeholders;
  std::string min_level;
  std::string output = "ndjson";
  std::string fail_level;
  std::string stats_json;
  std::string format;
  std::string analytics = "default";
  std::string state_dir;
  bool quiet = false;
  std::vector<std::string> inputs;
};

// Remembers the most severe level seen, for --fail-level.
// Applies --min-level to every finding (the Sigma engine filters its own; the analytics do
// not) and remembers the highest level for --fail-level.
class level_watch final : public finding_sink {
 public:
  level_watch(finding_sink& next, int min_rank) : next_(next), min_rank_(min_rank) {}
  void emit(finding f) override {
    const int rank = sigma::level_rank(f.level);
    if (rank < min_rank_) return;
    max_rank_ = std::max(max_rank_, rank);
    next_.emit(std::move(f));
  }
  int max_rank() const { return max_rank_; }

 private:
  finding_sink& next_;
  int min_rank_ = 0;
  int max_rank_ = 0;
};

int run_hunt(const hunt_args& args) {
  const auto& registry = decoder_registry::builtin();
  hunt_options options;
  if (!args.format.empty()) {
    if (!registry.find(args.format)) {
      fmt::print(stderr, "mamori hunt: unknown format '{}' (see `mamori formats`)\n", args.format);
      return exit_usage;
    }
    options.parse.format = args.format;
  }
  if (args.rules.empty() && args.analytics == "none") {
    fmt::print(stderr, "mamori hunt: nothing to run: give --rules and/or --analytics\n");
    return exit_usage;
  }
  options.sigma_enabled = !args.rules.empty();
  options.sigma.rule_paths = args.rules;
  options.sigma.pipeline_files = args.pipelines;
  options.sigma.default_pipeline = !args.no_default_pipeline;
  options.sigma.placeholders_file = args.placeholders;
  options.sigma.min_level = args.min_level;
  options.analytics.spec = args.analytics;
  options.analytics.state_dir = args.state_dir;

  auto files = expand_inputs(args.inputs);
  if (!files) {
    fmt::print(stderr, "mamori hunt: {}\n", files.error().message);
    return exit_usage;
  }
  diagnostics diag([&](const diagnostic& d) {
    if (!args.quiet || d.level == severity_level::error) fmt::print(stderr, "{}\n", render(d));
  });
  auto job = hunt_job::create(registry, options, diag);
  if (!job) {
    fmt::print(stderr, "mamori hunt: {}\n", job.error().message);
    return exit_usage;
  }
  const auto& report = (*job)->rules_report();
  if (options.sigma_enabled) {
    if (report.loaded == 0) {
      fmt::print(stderr, "mamori hunt: no rule could be loaded from {}\n",
                 fmt::join(args.rules, " "));
      fmt::print(stderr, "{}", report.to_text(false));
      return exit_usage;
    }
    if (!args.quiet) {
      fmt::print(stderr,
                 "mamori hunt: {} rules loaded in {:.0f} ms ({} unsupported, {} invalid: see "
                 "`mamori rules check`)\n",
                 report.loaded, report.load_ms, report.unsupported, report.invalid);
    }
  }
  if (!args.quiet) {
    for (const auto& note : (*job)->enrichment_notes()) {
      fmt::print(stderr, "mamori hunt: enrich: {}\n", note);
    }
  }
  finding_format fmt_out = finding_format::ndjson;
  if (args.output == "table") fmt_out = finding_format::table;
  if (args.output == "csv") fmt_out = finding_format::csv;
  if (args.output == "sarif") fmt_out = finding_format::sarif;
  auto writer = make_finding_writer(fmt_out, stdout);
  level_watch watch(*writer, args.min_level.empty() ? 0 : sigma::level_rank(args.min_level));
  hunt_stats stats = (*job)->run(*files, watch);
  writer->close();
  if (!args.stats_json.empty()) {
    std::FILE* f = args.stats_json == "-" ? stderr : std::fopen(args.stats_json.c_str(), "w");
    if (f == nullptr) {
      fmt::print(stderr, "mamori hunt: cannot write {}\n", args.stats_json);
      return exit_usage;
    }
    fmt::print(f, "{}\n", stats.to_json());
    if (f != stderr) std::fclose(f);
  }
  if (!args.quiet) {
    fmt::print(stderr, "mamori hunt: {} events from {} files, {} findings in {:.2f} s ({:.0f} events/s)\n",
               stats.parse.events, stats.parse.files, stats.findings, stats.seconds,
               stats.events_per_second);
    const auto& c = stats.sigma.correlations;
    if (c.groups_dropped + c.entries_dropped > 0) {
      fmt::print(stderr,
                 "mamori hunt: warning: correlation state bounds reached: {} groups and {} "
                 "entries dropped (results may miss correlations)\n",
                 c.groups_dropped, c.entries_dropped);
    }
  }
  if (stats.parse.failed_files > 0) return exit_usage;
  if (!args.fail_level.empty() && watch.max_rank() >= sigma::level_rank(args.fail_level)) {
    return exit_findings;
  }
  return exit_ok;
}

const std::vector<std::string> levels = {"informational", "low", "medium", "high", "critical"};

}  // namespace

void add_hunt_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<hunt_args>();
  auto* cmd = app.add_subcommand(
      "hunt", "Run Sigma rules (and analytics) over logs; print findings (OCSF 2004)");
  // One value per occurrence: a greedy list would swallow the inputs that follow it.
  cmd->add_option("--rules", args->rules,
                  "Sigma rule file or directory (recursive); repeatable")
      ->expected(1);
  cmd->add_option("--pipeline", args->pipelines,
                  "Logsource pipeline YAML extending/overriding the default "
                  "(docs/sigma-pipeline.md); repeatable")
      ->expected(1);
  cmd->add_flag("--no-default-pipeline", args->no_default_pipeline,
                "Do not load the built-in pipeline (only --pipeline files)");
  cmd->add_option("--placeholders", args->placeholders,
                  "YAML mapping of placeholder name → values for the expand modifier");
  cmd->add_option("--min-level", args->min_level, "Only report findings at or above LEVEL")
      ->check(CLI::IsMember(levels));
  cmd->add_option("--output", args->output, "ndjson (default), table, csv or sarif")
      ->check(CLI::IsMember({"ndjson", "table", "csv", "sarif"}));
  cmd->add_option("--fail-level", args->fail_level,
                  "Exit 1 when a finding at or above LEVEL exists")
      ->check(CLI::IsMember(levels));
  cmd->add_option("--stats-json", args->stats_json,
                  "Write statistics as JSON to FILE ('-' for stderr)");
  cmd->add_option("--format", args->format, "Force a decoder (see `mamori formats`)");
  cmd->add_option("--analytics", args->analytics,
                  "Behavioural analytics: none, default, or a configuration FILE");
  cmd->add_option("--state", args->state_dir, "Directory keeping analytics baselines");
  cmd->add_flag("-q,--quiet", args->quiet, "Only print errors on stderr");
  cmd->add_option("inputs", args->inputs, "Files, directories, globs, or - for stdin")
      ->required();
  cmd->callback([args, &exit_code] { exit_code = run_hunt(*args); });
}

}  // namespace mamori::cli
