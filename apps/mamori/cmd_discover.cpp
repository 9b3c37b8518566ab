// mamori discover: shadow-IT discovery over proxy, DNS, TLS, HTTP and connection logs
// (docs/discover.md). Thin: options, then the catalog, the policy, the engine and a renderer.

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "catalog_options.hpp"
#include "commands.hpp"
#include "mamori/catalog/setup.hpp"
#include "mamori/catalog/url_categories.hpp"
#include "mamori/discover/discovery.hpp"
#include "mamori/discover/report.hpp"
#include "mamori/io/inputs.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace mamori::cli {

namespace {

struct discover_args {
  catalog_cli cat;
  std::string policy;
  std::string ut1;
  std::vector<std::string> ut1_categories;
  std::string output = "table";
  std::string out;
  std::string findings;
  std::string state;
  std::string format;
  std::size_t top = 50;
  bool quiet = false;
  std::vector<std::string> inputs;
};

class collect_findings final : public finding_sink {
 public:
  void emit(finding f) override { all.push_back(std::move(f)); }
  std::vector<finding> all;
};

std::vector<std::string> read_state(const std::string& path) {
  std::vector<std::string> ids;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    ids.push_back(line);
  }
  return ids;
}

bool write_file(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return true;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

int run_discover(const discover_args& args) {
  namespace fs = std::filesystem;
  diagnostics diag([&](const diagnostic& d) {
    if (!args.quiet || d.level == severity_level::error) fmt::print(stderr, "{}\n", render(d));
  });
  auto setup = make_setup(args.cat);
  catalog::catalog_load_report loaded;
  auto cat = catalog::load_catalog(setup, diag, &loaded);
  if (!cat) {
    fmt::print(stderr, "mamori discover: {}\n", cat.error().message);
    return exit_usage;
  }
  discover::discovery_policy policy;
  if (!args.policy.empty()) {
    auto p = discover::load_policy(args.policy, *cat);
    if (!p) {
      fmt::print(stderr, "mamori discover: {}\n", p.error().message);
      return exit_usage;
    }
    policy = std::move(*p);
  }

  // URL categories: --ut1, else the policy's ut1_path, else the shared data copy when present.
  std::string ut1_dir = !args.ut1.empty() ? args.ut1 : policy.ut1_path;
  bool ut1_required = !ut1_dir.empty() && ut1_dir != "none";
  if (ut1_dir.empty()) {
    const std::string shared = catalog::find_shared_data(args.cat.shared_data, setup.data_dir);
    if (!shared.empty())
      ut1_dir = (fs::path(shared) / "reference" / "ut1_blacklists" / "blacklists").string();
  }
  catalog::url_category_db ut1;
  bool have_ut1 = false;
  std::error_code ec;
  if (!ut1_dir.empty() && ut1_dir != "none" && (ut1_required || fs::is_directory(ut1_dir, ec))) {
    auto st = ut1.load_ut1(ut1_dir, args.ut1_categories, diag);
    if (!st) {
      fmt::print(stderr, "mamori discover: {}\n", st.error().message);
      return exit_usage;
    }
    have_ut1 = true;
  } else if (!policy.block_url_categories.empty()) {
    fmt::print(stderr,
               "mamori discover: note: no UT1 lists found (--ut1 DIR): URL categories are not "
               "checked\n");
  }
  for (const auto& c : policy.block_url_categories) {
    if (have_ut1 && !ut1.find(c)) {
      fmt::print(
          stderr,
          "mamori discover: {}: block_url_categories names '{}', not a loaded UT1 category\n",
          policy.origin, c);
      return exit_usage;
    }
  }

  discover::engine_options eopts;
  eopts.credits.emplace_back(
      "App catalog: mamori curated attributes (Apache-2.0) with domains from "
      "v2fly/domain-list-community (MIT)");
  if (!loaded.adguard_dir.empty())
    eopts.credits.emplace_back(
        "Tracker and service names: AdGuard companiesdb (CC BY-SA 4.0), read at run time");
  if (have_ut1)
    eopts.credits.emplace_back(
        "URL categories: UT1 blacklists, Universite Toulouse Capitole (CC BY-SA 4.0), read at run "
        "time");
  if (!args.state.empty()) eopts.known_apps = read_state(args.state);

  auto files = expand_inputs(args.inputs);
  if (!files) {
    fmt::print(stderr, "mamori discover: {}\n", files.error().message);
    return exit_usage;
  }
  collect_findings findings;
  discover::discovery_engine engine(*cat, policy, have_ut1 ? &ut1 : nullptr, &findings, eopts);
  parse_options popts;
  if (!args.format.empty()) {
    if (!decoder_registry::builtin().find(args.format)) {
      fmt::print(stderr, "mamori discover: unknown format '{}' (see `mamori formats`)\n",
                 args.format);
      return exit_usage;
    }
    popts.format = args.format;
  }
  parse_job job(decoder_registry::builtin(), popts, diag);
  const parse_stats stats = job.run(*files, engine);
  engine.evaluate();
  const discover::inventory inv = engine.snapshot();

  discover::report_options ropts;
  ropts.max_rows = args.top;
  ropts.inputs = args.inputs;
  std::string text;
  if (args.output == "ndjson")
    text = discover::render_ndjson(inv);
  else if (args.output == "csv")
    text = discover::render_csv(inv);
  else if (args.output == "html")
    text = discover::render_html(inv, findings.all, ropts);
  else
    text = discover::render_table(inv, findings.all, ropts);
  if (!write_file(args.out, text)) {
    fmt::print(stderr, "mamori discover: cannot write {}\n", args.out);
    return exit_usage;
  }
  if (!args.findings.empty()) {
    std::string out;
    for (const auto& f : findings.all) {
      out += discover::discovery_finding_json(f);
      out += '\n';
    }
    if (args.findings == "-") {
      std::fwrite(out.data(), 1, out.size(), stderr);
    } else if (!write_file(args.findings, out)) {
      fmt::print(stderr, "mamori discover: cannot write {}\n", args.findings);
      return exit_usage;
    }
  }
  if (!args.state.empty()) {
    std::string s = "# apps seen by mamori discover (new-app alerts skip these)\n";
    auto known = eopts.known_apps;
    for (const auto& id : engine.seen_app_ids()) known.push_back(id);
    std::sort(known.begin(), known.end());
    known.erase(std::unique(known.begin(), known.end()), known.end());
    for (const auto& id : known) s += id + "\n";
    if (!write_file(args.state, s)) {
      fmt::print(stderr, "mamori discover: cannot write {}\n", args.state);
      return exit_usage;
    }
  }
  if (!args.quiet) {
    std::string rec;
    for (const auto& r : inv.recognition)
      rec += fmt::format("; {} {}/{} recognised", discover::destination_source_name(r.source),
                         r.recognised, r.distinct);
    fmt::print(stderr,
               "mamori discover: {} events from {} files in {:.2f} s, {} apps, {} findings{}\n",
               stats.events, stats.files, stats.seconds, inv.apps.size(), findings.all.size(), rec);
  }
  if (stats.failed_files > 0) return exit_usage;
  return exit_ok;
}

}  // namespace

void add_discover_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<discover_args>();
  auto* cmd = app.add_subcommand(
      "discover", "Shadow IT: which cloud apps are used, by whom, how much, and how risky");
  add_catalog_options(cmd, args->cat);
  cmd->add_option("--policy", args->policy,
                  "Policy YAML: sanctioned / prohibited apps, blocked URL categories, alert "
                  "thresholds (docs/discover.md)");
  cmd->add_option("--ut1", args->ut1,
                  "UT1 blacklists directory for URL categories, or 'none' (default: the policy's "
                  "ut1_path, else the shared data copy when present)");
  cmd->add_option("--ut1-categories", args->ut1_categories,
                  "Load only these UT1 categories (default: all)")
      ->delimiter(',');
  cmd->add_option("--output", args->output, "table (default), ndjson, csv or html")
      ->check(CLI::IsMember({"table", "ndjson", "csv", "html"}));
  cmd->add_option("-o,--out", args->out, "Write the report to FILE instead of stdout");
  cmd->add_option("--findings", args->findings,
                  "Write the findings (OCSF Detection Finding NDJSON) to FILE ('-' = stderr)");
  cmd->add_option(
      "--state", args->state,
      "File of app ids already known: no new-app alert for them; updated after the run");
  cmd->add_option("--format", args->format, "Force a decoder (see `mamori formats`)");
  cmd->add_option("--top", args->top, "Apps shown in the table (default 50)");
  cmd->add_flag("-q,--quiet", args->quiet, "Only print errors on stderr");
  cmd->add_option("inputs", args->inputs, "Log files, directories, globs, or - for stdin")
      ->required();
  cmd->callback([args, &exit_code] { exit_code = run_discover(*args); });
}

}  // namespace mamori::cli
