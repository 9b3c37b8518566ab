// mamori catalog build | lookup | show | check: the app catalog (docs/catalog.md).

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "catalog_options.hpp"
#include "commands.hpp"
#include "mamori/catalog/builder.hpp"
#include "mamori/catalog/setup.hpp"
#include "mamori/catalog/url_categories.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::cli {

namespace {

struct catalog_args {
  catalog_cli cat;
  std::vector<std::string> curated;
  std::string v2fly;
  std::string out;
  std::string ut1;
  bool json = false;
  std::vector<std::string> names;
  std::vector<std::string> files;
};

diagnostics stderr_diagnostics() {
  return diagnostics([](const diagnostic& d) { fmt::print(stderr, "{}\n", render(d)); });
}

int run_build(const catalog_args& args) {
  namespace fs = std::filesystem;
  const std::string data = find_data_dir();
  catalog::build_options opts;
  opts.curated = args.curated;
  if (opts.curated.empty())
    opts.curated.push_back((fs::path(data) / "catalog" / "curated.jsonl").string());
  opts.v2fly_dir = args.v2fly;
  if (opts.v2fly_dir.empty()) {
    const std::string shared = catalog::find_shared_data(args.cat.shared_data, data);
    opts.v2fly_dir =
        (fs::path(shared) / "reference" / "v2fly_domain_list_community" / "data").string();
  }
  auto diag = stderr_diagnostics();
  auto built = catalog::build_catalog(opts, diag);
  if (!built) {
    fmt::print(stderr, "mamori catalog build: {}\n", built.error().message);
    return exit_usage;
  }
  const std::string text = catalog::catalog_to_jsonl(built->apps);
  const std::string out =
      args.out.empty() ? (fs::path(data) / "catalog" / "catalog.jsonl").string() : args.out;
  if (out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) {
      fmt::print(stderr, "mamori catalog build: cannot write {}\n", out);
      return exit_usage;
    }
  }
  fmt::print(stderr, "mamori catalog build: {} -> {}\n", built->report.to_text(), out);
  return diag.errors() > 0 ? exit_usage : exit_ok;
}

int run_lookup(const catalog_args& args) {
  auto diag = stderr_diagnostics();
  auto setup = make_setup(args.cat);
  auto cat = catalog::load_catalog(setup, diag);
  if (!cat) {
    fmt::print(stderr, "mamori catalog lookup: {}\n", cat.error().message);
    return exit_usage;
  }
  catalog::url_category_db ut1;
  if (!args.ut1.empty() && args.ut1 != "none") {
    auto st = ut1.load_ut1(args.ut1, {}, diag);
    if (!st) {
      fmt::print(stderr, "mamori catalog lookup: {}\n", st.error().message);
      return exit_usage;
    }
  }
  std::string host;
  for (const auto& name : args.names) {
    const auto parts = catalog::split_url(name);
    const auto kind = catalog::normalize_host(parts.host, host);
    const auto m = cat->lookup(host, kind);
    const auto cats = ut1.names(ut1.lookup(host, kind, parts.path));
    std::string catlist;
    for (auto c : cats) catlist += (catlist.empty() ? "" : ",") + std::string(c);
    if (args.json) {
      std::string out = "{\"input\":";
      json_text::append_string(out, name);
      out += ",\"host\":";
      json_text::append_string(out, host);
      out += fmt::format(",\"kind\":\"{}\",\"app\":", catalog::host_kind_name(kind));
      out += m ? catalog::app_to_json(*m.a, true) : "null";
      if (m) {
        out += fmt::format(",\"rule\":\"{}\",\"rule_kind\":\"{}\",\"risk\":\"{}\"", m.rule,
                           catalog::rule_kind_name(m.kind),
                           catalog::risk_level(m.a->score.score, cat->weights()));
      }
      out += ",\"url_categories\":[";
      for (std::size_t k = 0; k < cats.size(); ++k) {
        if (k > 0) out += ',';
        json_text::append_string(out, cats[k]);
      }
      out += "]}";
      fmt::print("{}\n", out);
    } else if (m) {
      fmt::print(
          "{}\t{}\t{}\t{}\tscore {}\t{} risk\tmatched {} {}{}\n", name, m.a->id, m.a->name,
          m.a->category, m.a->score.score ? fmt::format("{:.1f}", *m.a->score.score) : "unrated",
          catalog::risk_level(m.a->score.score, cat->weights()), catalog::rule_kind_name(m.kind),
          m.rule, catlist.empty() ? "" : "\tcategories " + catlist);
    } else {
      fmt::print("{}\t-\t(not in the catalog){}\n", name,
                 catlist.empty() ? "" : "\tcategories " + catlist);
    }
  }
  return exit_ok;
}

int run_show(const catalog_args& args) {
  auto diag = stderr_diagnostics();
  auto cat = catalog::load_catalog(make_setup(args.cat), diag);
  if (!cat) {
    fmt::print(stderr, "mamori catalog show: {}\n", cat.error().message);
    return exit_usage;
  }
  for (const auto& a : cat->apps()) {
    if (!args.names.empty() &&
        std::find(args.names.begin(), args.names.end(), a.id) == args.names.end())
      continue;
    fmt::print("{}\n", catalog::app_to_json(a, true));
  }
  return exit_ok;
}

int run_check(const catalog_args& args) {
  auto diag = stderr_diagnostics();
  std::size_t apps = 0;
  for (const auto& f : args.files) {
    catalog::app_catalog cat;
    auto n = cat.load_file(f, catalog::layer::user, diag);
    if (!n) {
      fmt::print(stderr, "mamori catalog check: {}\n", n.error().message);
      return exit_usage;
    }
    apps += *n;
  }
  if (!args.cat.weights.empty()) {
    auto w = catalog::load_weights(args.cat.weights);
    if (!w) {
      fmt::print(stderr, "{}\n", w.error().message);
      return exit_usage;
    }
  }
  fmt::print(stderr, "mamori catalog check: {} apps, {} errors\n", apps, diag.errors());
  return diag.errors() > 0 ? exit_usage : exit_ok;
}

}  // namespace

void add_catalog_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<catalog_args>();
  auto* cmd = app.add_subcommand("catalog", "The cloud app catalog: build, look up, show, check");
  cmd->require_subcommand(1);

  auto* build = cmd->add_subcommand(
      "build", "Regenerate data/catalog/catalog.jsonl from curated.jsonl and v2fly lists");
  build->add_option("--curated", args->curated,
                    "Curated apps JSONL (default data/catalog/curated.jsonl)");
  build->add_option("--v2fly", args->v2fly,
                    "v2fly domain-list-community data/ directory (default: the shared data copy)");
  build->add_option("--out", args->out,
                    "Output file, '-' for stdout (default data/catalog/catalog.jsonl)");
  build->add_option("--shared-data", args->cat.shared_data, "Shared public datasets directory");
  build->callback([args, &exit_code] { exit_code = run_build(*args); });

  auto* lookup = cmd->add_subcommand("lookup", "Which app (and URL categories) a host or URL is");
  add_catalog_options(lookup, args->cat);
  lookup->add_option("--ut1", args->ut1, "UT1 blacklists directory for URL categories");
  lookup->add_flag("--json", args->json, "One JSON object per input");
  lookup->add_option("names", args->names, "Host names, host:port or URLs")->required();
  lookup->callback([args, &exit_code] { exit_code = run_lookup(*args); });

  auto* show = cmd->add_subcommand("show", "Print apps with their score as JSON lines");
  add_catalog_options(show, args->cat);
  show->add_option("ids", args->names, "App ids (default: all)");
  show->callback([args, &exit_code] { exit_code = run_show(*args); });

  auto* check = cmd->add_subcommand("check", "Validate catalog files (and --weights)");
  check->add_option("--weights", args->cat.weights, "Also validate this weights file");
  check->add_option("files", args->files, "Catalog JSONL files")->required();
  check->callback([args, &exit_code] { exit_code = run_check(*args); });
}

}  // namespace mamori::cli
