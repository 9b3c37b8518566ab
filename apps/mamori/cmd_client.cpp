// The API clients: mamori search | findings | cases | token (docs/cli.md, "Server clients").
#include <fmt/format.h>

#include <cstdio>

#include "commands.hpp"
#include "mamori/output/json_text.hpp"
#include "mamori/server/client.hpp"

namespace mamori::cli {

namespace {

struct conn_args {
  std::string url, token, token_file, ca_file;
  bool insecure = false;
  bool json = false;
};

void add_conn(CLI::App* cmd, conn_args& c) {
  cmd->add_option("--url", c.url, "Server URL (env MAMORI_URL; default http://127.0.0.1:8443)");
  cmd->add_option("--token", c.token, "API token (env MAMORI_TOKEN; prefer --token-file)");
  cmd->add_option("--token-file", c.token_file, "File holding the API token (env MAMORI_TOKEN_FILE)");
  cmd->add_option("--cacert", c.ca_file, "CA bundle to verify an HTTPS server");
  cmd->add_flag("--insecure", c.insecure, "Do not verify the HTTPS certificate (testing only)");
  cmd->add_flag("--json", c.json, "Print the server's JSON instead of a table");
}

// Runs one call and prints the answer; returns the exit code.
int call(const conn_args& c, const std::string& method, const std::string& path, const std::string& body,
         std::string (*render)(const std::string&)) {
  auto cl = server::resolve_client(c.url, c.token, c.token_file, c.ca_file, c.insecure);
  if (!cl) {
    fmt::print(stderr, "mamori: {}\n", cl.error().message);
    return exit_usage;
  }
  auto r = server::api_call(*cl, method, path, body);
  if (!r) {
    fmt::print(stderr, "mamori: {}\n", r.error().message);
    return exit_usage;
  }
  if (c.json || render == nullptr) fmt::print("{}\n", *r);
  else fmt::print("{}", render(*r));
  return exit_ok;
}

std::string js(std::string_view s) {
  std::string out;
  json_text::append_string(out, s);
  return out;
}

}  // namespace

void add_client_commands(CLI::App& app, int& exit_code) {
  {
    auto c = std::make_shared<conn_args>();
    auto q = std::make_shared<std::vector<std::string>>();
    auto limit = std::make_shared<int>(100);
    auto* cmd = app.add_subcommand("search", "Search stored events on a server (docs/search.md)");
    add_conn(cmd, *c);
    cmd->add_option("--limit", *limit, "Events to return (1-10000)")->check(CLI::Range(1, 10000));
    cmd->add_option("query", *q, "Query, e.g. 'user=alice status_id=2 last=24h | count by src_ip'")->required();
    cmd->callback([c, q, limit, &exit_code] {
      std::string text;
      for (const auto& w : *q) text += (text.empty() ? "" : " ") + w;
      exit_code = call(*c, "POST", "/api/v1/search", fmt::format("{{\"query\":{},\"limit\":{}}}", js(text), *limit),
                       server::render_search);
    });
  }
  {
    auto c = std::make_shared<conn_args>();
    auto since = std::make_shared<std::string>();
    auto rule = std::make_shared<std::string>();
    auto user = std::make_shared<std::string>();
    auto level = std::make_shared<std::string>();
    auto limit = std::make_shared<int>(100);
    auto* cmd = app.add_subcommand("findings", "List findings on a server");
    add_conn(cmd, *c);
    cmd->add_option("--since", *since, "RFC 3339 time or relative (-24h)");
    cmd->add_option("--rule", *rule, "Rule uid (Sigma id or mamori.<analytic>)");
    cmd->add_option("--user", *user, "User");
    cmd->add_option("--level", *level, "Level (low, medium, high, critical)");
    cmd->add_option("--limit", *limit, "Findings to return")->check(CLI::Range(1, 10000));
    cmd->callback([=, &exit_code] {
      std::string path = fmt::format("/api/v1/findings?limit={}", *limit);
      if (!since->empty()) path += "&since=" + server::url_encode(*since);
      if (!rule->empty()) path += "&rule=" + server::url_encode(*rule);
      if (!user->empty()) path += "&user=" + server::url_encode(*user);
      if (!level->empty()) path += "&level=" + server::url_encode(*level);
      exit_code = call(*c, "GET", path, "", server::render_findings);
    });
  }
  {
    auto* cases = app.add_subcommand("cases", "Work cases on a server (docs/cases.md)");
    cases->require_subcommand(1);
    {
      auto c = std::make_shared<conn_args>();
      auto state = std::make_shared<std::string>();
      auto assignee = std::make_shared<std::string>();
      auto* cmd = cases->add_subcommand("list", "List cases");
      add_conn(cmd, *c);
      cmd->add_option("--state", *state, "new, triage, watching, escalated, contained, closed, or open");
      cmd->add_option("--assignee", *assignee, "Cases assigned to this analyst");
      cmd->callback([=, &exit_code] {
        std::string path = "/api/v1/cases?limit=200";
        if (!state->empty()) path += "&state=" + server::url_encode(*state);
        if (!assignee->empty()) path += "&assignee=" + server::url_encode(*assignee);
        exit_code = call(*c, "GET", path, "", server::render_cases);
      });
    }
    {
      auto c = std::make_shared<conn_args>();
      auto id = std::make_shared<long>(0);
      auto* cmd = cases->add_subcommand("show", "Show a case: scenario, evidence, findings, audit");
      add_conn(cmd, *c);
      cmd->add_option("id", *id, "Case id")->required()->check(CLI::PositiveNumber);
      cmd->callback([=, &exit_code] { exit_code = call(*c, "GET", fmt::format("/api/v1/cases/{}", *id), "", server::render_case); });
    }
    {
      auto c = std::make_shared<conn_args>();
      auto id = std::make_shared<long>(0);
      auto who = std::make_shared<std::string>();
      auto* cmd = cases->add_subcommand("assign", "Assign a case to an analyst");
      add_conn(cmd, *c);
      cmd->add_option("id", *id, "Case id")->required()->check(CLI::PositiveNumber);
      cmd->add_option("assignee", *who, "Analyst")->required();
      cmd->callback([=, &exit_code] {
        exit_code = call(*c, "POST", fmt::format("/api/v1/cases/{}/assign", *id),
                         fmt::format("{{\"assignee\":{}}}", js(*who)), nullptr);
      });
    }
    {
      auto c = std::make_shared<conn_args>();
      auto id = std::make_shared<long>(0);
      auto to = std::make_shared<std::string>();
      auto reason = std::make_shared<std::string>();
      auto* cmd = cases->add_subcommand("move", "Move a case: triage, contained, closed");
      add_conn(cmd, *c);
      cmd->add_option("id", *id, "Case id")->required()->check(CLI::PositiveNumber);
      cmd->add_option("state", *to, "Target state")->required();
      cmd->add_option("--reason", *reason, "Why (required to close)");
      cmd->callback([=, &exit_code] {
        exit_code = call(*c, "POST", fmt::format("/api/v1/cases/{}/transition", *id),
                         fmt::format("{{\"to\":{},\"reason\":{}}}", js(*to), js(*reason)), nullptr);
      });
    }
    {
      auto c = std::make_shared<conn_args>();
      auto id = std::make_shared<long>(0);
      auto verdict = std::make_shared<std::string>();
      auto reason = std::make_shared<std::string>();
      auto assignee = std::make_shared<std::string>();
      auto follow = std::make_shared<std::string>();
      auto close = std::make_shared<bool>(false);
      auto* cmd = cases->add_subcommand("verdict", "Tier 1 verdict: confirmed, refuted, undetermined");
      add_conn(cmd, *c);
      cmd->add_option("id", *id, "Case id")->required()->check(CLI::PositiveNumber);
      cmd->add_option("verdict", *verdict, "confirmed | refuted | undetermined")
          ->required()
          ->check(CLI::IsMember({"confirmed", "refuted", "undetermined"}));
      cmd->add_option("--reason", *reason, "Why (required for refuted)");
      cmd->add_option("--assignee", *assignee, "Tier 2 analyst (required for confirmed)");
      cmd->add_option("--follow-up", *follow, "undetermined: reopen after this duration (24h) or at this time");
      cmd->add_flag("--close", *close, "undetermined: close instead of watching");
      cmd->callback([=, &exit_code] {
        std::string body = fmt::format("{{\"verdict\":{},\"reason\":{}", js(*verdict), js(*reason));
        if (!assignee->empty()) body += ",\"assignee\":" + js(*assignee);
        if (!follow->empty()) body += ",\"follow_up\":" + js(*follow);
        if (*close) body += ",\"close\":true";
        body += '}';
        exit_code = call(*c, "POST", fmt::format("/api/v1/cases/{}/verdict", *id), body, nullptr);
      });
    }
    {
      auto c = std::make_shared<conn_args>();
      auto id = std::make_shared<long>(0);
      auto text = std::make_shared<std::string>();
      auto* cmd = cases->add_subcommand("comment", "Add a comment to a case");
      add_conn(cmd, *c);
      cmd->add_option("id", *id, "Case id")->required()->check(CLI::PositiveNumber);
      cmd->add_option("text", *text, "Comment")->required();
      cmd->callback([=, &exit_code] {
        exit_code = call(*c, "POST", fmt::format("/api/v1/cases/{}/comment", *id),
                         fmt::format("{{\"text\":{}}}", js(*text)), nullptr);
      });
    }
    {
      auto c = std::make_shared<conn_args>();
      auto id = std::make_shared<long>(0);
      auto action = std::make_shared<std::string>();
      auto params = std::make_shared<std::vector<std::string>>();
      auto dry = std::make_shared<bool>(false);
      auto* cmd = cases->add_subcommand("act", "Run a response action on a case (docs/actions.md)");
      add_conn(cmd, *c);
      cmd->add_option("id", *id, "Case id")->required()->check(CLI::PositiveNumber);
      cmd->add_option("action", *action, "webhook, block_ip, isolate_device, revoke_sessions, email")->required();
      cmd->add_option("--param", *params, "KEY=VALUE (repeatable)");
      cmd->add_flag("--dry-run", *dry, "Describe what would happen; change nothing");
      cmd->callback([=, &exit_code] {
        std::string p = "{";
        for (const auto& kv : *params) {
          auto eq = kv.find('=');
          if (eq == std::string::npos) {
            fmt::print(stderr, "mamori: --param needs KEY=VALUE, got '{}'\n", kv);
            exit_code = exit_usage;
            return;
          }
          if (p.size() > 1) p += ',';
          p += js(kv.substr(0, eq)) + ":" + js(kv.substr(eq + 1));
        }
        p += '}';
        exit_code = call(*c, "POST", fmt::format("/api/v1/cases/{}/actions", *id),
                         fmt::format("{{\"action\":{},\"params\":{},\"dry_run\":{}}}", js(*action), p, *dry ? "true" : "false"),
                         nullptr);
      });
    }
  }
  {
    auto* tok = app.add_subcommand("token", "Create or revoke API tokens (admin)");
    tok->require_subcommand(1);
    {
      auto c = std::make_shared<conn_args>();
      auto name = std::make_shared<std::string>();
      auto role = std::make_shared<std::string>();
      auto sources = std::make_shared<std::vector<std::string>>();
      auto* cmd = tok->add_subcommand("create", "Create a token; its secret is printed once");
      add_conn(cmd, *c);
      cmd->add_option("name", *name, "Token name")->required();
      cmd->add_option("--role", *role, "ingest, tier1, tier2, admin")
          ->required()
          ->check(CLI::IsMember({"ingest", "tier1", "tier2", "admin"}));
      cmd->add_option("--source", *sources, "ingest tokens: allowed source names (repeatable; default any)");
      cmd->callback([=, &exit_code] {
        std::string body = fmt::format("{{\"name\":{},\"role\":{}", js(*name), js(*role));
        if (!sources->empty()) {
          body += ",\"sources\":[";
          for (std::size_t i = 0; i < sources->size(); ++i) body += (i > 0 ? "," : "") + js((*sources)[i]);
          body += ']';
        }
        body += '}';
        exit_code = call(*c, "POST", "/api/v1/tokens", body, nullptr);
      });
    }
    {
      auto c = std::make_shared<conn_args>();
      auto name = std::make_shared<std::string>();
      auto* cmd = tok->add_subcommand("revoke", "Revoke a token");
      add_conn(cmd, *c);
      cmd->add_option("name", *name, "Token name")->required();
      cmd->callback([=, &exit_code] {
        exit_code = call(*c, "DELETE", "/api/v1/tokens/" + server::url_encode(*name), "", nullptr);
      });
    }
    {
      auto c = std::make_shared<conn_args>();
      auto* cmd = tok->add_subcommand("list", "List tokens (names and roles, never secrets)");
      add_conn(cmd, *c);
      cmd->callback([=, &exit_code] { exit_code = call(*c, "GET", "/api/v1/tokens", "", nullptr); });
    }
  }
}

}  // namespace mamori::cli
