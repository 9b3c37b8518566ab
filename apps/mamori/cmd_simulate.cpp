// `mamori simulate`: generates a realistic company's logs with labelled attacks
// (docs/simulator.md). Thin: options → mamori::sim::simulate().

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "commands.hpp"
#include "mamori/simulate/simulate.hpp"
#include "mamori/simulate/text.hpp"

namespace mamori::cli {

namespace {

struct simulate_args {
  std::uint32_t users = 200;
  int days = 7;
  std::uint64_t seed = 1;
  std::string start;
  double scale = 1.0;
  std::string out;
  std::string reference;
  std::vector<std::string> sources;
  std::vector<std::string> scenarios;
  std::string summary_json;
  bool list = false;
  bool quiet = false;
};

std::string default_reference() {
  if (const char* env = std::getenv("MAMORI_REFERENCE")) return env;
#ifdef MAMORI_DEFAULT_REFERENCE
  return MAMORI_DEFAULT_REFERENCE;
#else
  return "../shared/data/reference";
#endif
}

int run_simulate(const simulate_args& a) {
  if (a.list) {
    fmt::print("sources:\n");
    for (const auto& s : sim::builtin_sources())
      fmt::print("  {:<14} {} → {} (decoder: {})\n", s.name, s.title, s.layout, s.decoder);
    fmt::print("scenarios:\n");
    for (const auto& s : sim::builtin_scenarios()) fmt::print("  {:<30} {}\n", s.name, s.title);
    return exit_ok;
  }
  if (a.out.empty()) {
    fmt::print(stderr, "mamori simulate: --out DIR is required\n");
    return exit_usage;
  }
  sim::sim_options o;
  o.users = a.users;
  o.days = a.days;
  o.seed = a.seed;
  o.scale = a.scale;
  o.out_dir = a.out;
  o.reference_dir = a.reference.empty() ? default_reference() : a.reference;
  o.sources = a.sources;
  o.scenarios = a.scenarios;
  if (!a.start.empty()) {
    o.start_ns = sim::parse_date(a.start);
    if (o.start_ns < 0) {
      fmt::print(stderr, "mamori simulate: --start expects YYYY-MM-DD, got '{}'\n", a.start);
      return exit_usage;
    }
  }
  auto summary = sim::simulate(o);
  if (!summary) {
    fmt::print(stderr, "mamori simulate: {}\n", summary.error().message);
    return exit_usage;
  }
  for (const auto& n : summary->notes) fmt::print(stderr, "mamori simulate: note: {}\n", n);
  if (!a.quiet) {
    fmt::print(
        stderr,
        "mamori simulate: {} users, {} days: {} events in {} files ({:.1f} MB, {:.1f} MB on "
        "disk), {} attack campaigns with {} labelled events → {}/truth.ndjson; {:.2f} s "
        "({:.0f} events/s)\n",
        summary->users, summary->days, summary->events, summary->files,
        static_cast<double>(summary->bytes) / 1e6, static_cast<double>(summary->disk_bytes) / 1e6,
        summary->campaigns, summary->truth_events, a.out, summary->seconds,
        summary->seconds > 0 ? static_cast<double>(summary->events) / summary->seconds : 0.0);
  }
  if (!a.summary_json.empty()) {
    std::FILE* f = a.summary_json == "-" ? stdout : std::fopen(a.summary_json.c_str(), "w");
    if (f == nullptr) {
      fmt::print(stderr, "mamori simulate: cannot write {}\n", a.summary_json);
      return exit_usage;
    }
    fmt::print(f, "{}\n", summary->to_json());
    if (f != stdout) std::fclose(f);
  }
  return exit_ok;
}

}  // namespace

void add_simulate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<simulate_args>();
  auto* cmd = app.add_subcommand(
      "simulate", "Generate a realistic company's logs with labelled attacks (docs/simulator.md)");
  cmd->add_option("--out", args->out, "Output directory (created)");
  cmd->add_option("--users", args->users, "People in the company (default 200)")
      ->check(CLI::Range(1u, 10'000'000u));
  cmd->add_option("--days", args->days, "Days to simulate (default 7)")->check(CLI::Range(1, 3660));
  cmd->add_option("--seed", args->seed, "Random seed: same seed and options, same bytes");
  cmd->add_option("--start", args->start, "First day, YYYY-MM-DD (default 2025-03-03, a Monday)");
  cmd->add_option("--scale", args->scale,
                  "Multiply the company (people and service activity) for volume tests")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--reference", args->reference,
                  "Reference lists directory (default ../shared/data/reference)");
  cmd->add_option("--sources", args->sources, "Only these sources (see --list)")->delimiter(',');
  cmd->add_option("--scenarios", args->scenarios, "Only these scenarios, or 'none' (see --list)")
      ->delimiter(',');
  cmd->add_option("--summary-json", args->summary_json,
                  "Write the run summary as JSON ('-' = stdout)");
  cmd->add_flag("--list", args->list, "List sources and scenarios");
  cmd->add_flag("--quiet", args->quiet, "No summary line on stderr");
  cmd->callback([args, &exit_code] { exit_code = run_simulate(*args); });
}

}  // namespace mamori::cli
