#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "mamori/decode/mapping.hpp"
#include "mamori/io/inputs.hpp"
#include "mamori/output/event_writer.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace mamori::cli {

namespace {

struct parse_args {
  std::string format;
  std::string output = "ndjson";
  bool strict = false;
  bool quiet = false;
  bool summary = false;
  std::string stats_json;
  std::size_t max_record_mb = 16;
  std::vector<std::string> mappings;
  std::vector<std::string> inputs;
};

// A table an analyst reads at a glance: what was read, as what, and what was not.
void print_summary(const parse_stats& stats) {
  fmt::print(stderr, "\n{:<24} {:>12}\n", "FORMAT", "EVENTS");
  for (const auto& [name, n] : stats.by_format) fmt::print(stderr, "{:<24} {:>12}\n", name, n);
  fmt::print(stderr, "\n{:<40} {:>12}\n", "OCSF CLASS", "EVENTS");
  for (const auto& [cls, n] : stats.by_class) {
    fmt::print(stderr, "{:<40} {:>12}\n",
               fmt::format("{} {}", cls, ocsf::class_name(static_cast<ocsf::event_class>(cls))), n);
  }
  const double mb = static_cast<double>(stats.bytes) / 1e6;
  fmt::print(stderr,
             "\n{} files, {} records, {} events, {} rejected, {} files of unknown format; "
             "{:.1f} MB in {:.2f} s ({:.0f} events/s)\n",
             stats.files, stats.records, stats.events, stats.rejected, stats.skipped_files, mb,
             stats.seconds,
             stats.seconds > 0 ? static_cast<double>(stats.events) / stats.seconds : 0.0);
}

int run_parse(const parse_args& args) {
  for (const auto& m : args.mappings) {
    auto spec = load_mapping_file(m);
    if (!spec) {
      fmt::print(stderr, "mamori parse: {}\n", spec.error().message);
      return exit_usage;
    }
    decoder_registry::builtin().add(std::move(*spec));
  }
  const auto& registry = decoder_registry::builtin();
  parse_options options;
  if (!args.format.empty()) {
    if (!registry.find(args.format)) {
      fmt::print(stderr, "mamori parse: unknown format '{}' (see `mamori formats`)\n", args.format);
      return exit_usage;
    }
    options.format = args.format;
  }
  options.decode.max_record_size = args.max_record_mb << 20;
  auto files = expand_inputs(args.inputs);
  if (!files) {
    fmt::print(stderr, "mamori parse: {}\n", files.error().message);
    return exit_usage;
  }
  diagnostics diag([&](const diagnostic& d) {
    if (!args.quiet || d.level == severity_level::error) fmt::print(stderr, "{}\n", render(d));
  });
  const event_format format = args.output == "table"  ? event_format::table
                              : args.output == "none" ? event_format::none
                                                      : event_format::ndjson;
  auto sink = make_event_writer(format, stdout);
  parse_job job(registry, options, diag);
  parse_stats stats = job.run(*files, *sink);
  sink.reset();  // flush before the summary
  if (!args.stats_json.empty()) {
    std::FILE* f = args.stats_json == "-" ? stderr : std::fopen(args.stats_json.c_str(), "w");
    if (f == nullptr) {
      fmt::print(stderr, "mamori parse: cannot write {}\n", args.stats_json);
      return exit_usage;
    }
    fmt::print(f, "{}\n", stats.to_json());
    if (f != stderr) std::fclose(f);
  }
  if (args.summary) print_summary(stats);
  if (stats.rejected > 0 || stats.skipped_files > 0) {
    fmt::print(stderr,
               "mamori parse: {} events from {} files; {} records rejected, {} files skipped "
               "(unrecognised format)\n",
               stats.events, stats.files, stats.rejected, stats.skipped_files);
  }
  if (stats.failed_files > 0) return exit_usage;
  if (args.strict && stats.rejected > 0) return exit_rejected;
  return exit_ok;
}

}  // namespace

void add_parse_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<parse_args>();
  auto* cmd =
      app.add_subcommand("parse", "Decode logs into normalized OCSF events (NDJSON on stdout)");
  cmd->add_option("--format", args->format,
                  "Force a decoder instead of sniffing each input (see `mamori formats`)");
  cmd->add_option("--output", args->output,
                  "ndjson (default), table, or none (decode and count only)")
      ->check(CLI::IsMember({"ndjson", "table", "none"}));
  cmd->add_option("--mapping", args->mappings,
                  "Add a decoder defined by a YAML mapping file (docs/formats/mapping.md); "
                  "repeatable");
  cmd->add_flag("--strict", args->strict, "Exit 2 if any record was rejected");
  cmd->add_option("--stats-json", args->stats_json,
                  "Write statistics as JSON to FILE ('-' for stderr)");
  cmd->add_option("--max-record-mb", args->max_record_mb,
                  "Records larger than this are skipped with a diagnostic (default 16)")
      ->check(CLI::Range(1, 4096));
  cmd->add_flag("-q,--quiet", args->quiet, "Only print errors, not per-record warnings");
  cmd->add_flag("--summary", args->summary,
                "Print events per format and per OCSF class to stderr at the end");
  cmd->add_option("inputs", args->inputs, "Files, directories, globs, or - for stdin")->required();
  cmd->callback([args, &exit_code] { exit_code = run_parse(*args); });
}

}  // namespace mamori::cli
