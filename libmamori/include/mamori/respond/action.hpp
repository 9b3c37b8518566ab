#pragma once
// Response actions (docs/actions.md): each is a plugin in its own file under
// libmamori/builtins/actions/ plus one line in builtins/actions/register.cpp. An action
// declares the role it needs, validates its parameters, supports a dry run (describe, change
// nothing), and returns what it did; the server audits every run, dry or not, with its result.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/respond/signals.hpp"
#include "mamori/server/config.hpp"
#include "mamori/server/state.hpp"

namespace mamori::respond {

struct action_request {
  std::string action;
  std::map<std::string, std::string> params;  // string values (the API rejects others)
  bool dry_run = false;
  std::int64_t case_id = 0;
  std::string actor;  // token name
  // Defaults from the case, used when a parameter is not given.
  std::string case_user, case_src_ip, case_host, case_title, case_json;
};

struct action_result {
  bool ok = false;
  std::string message;      // one line for the analyst
  std::string detail_json;  // what was (or would be) done, as a JSON object
};

struct action_env {
  const server::server_config& config;
  signal_bus& signals;
};

class response_action {
 public:
  virtual ~response_action() = default;
  // Checks parameters (after case defaults are applied); an error is a 400 for the caller.
  virtual result<void> validate(const action_request& req) const = 0;
  virtual action_result run(const action_request& req, action_env& env) = 0;
};

struct action_spec {
  std::string name;
  std::string description;
  server::role required = server::role::tier2;
  // Whether the server configuration enables it (e.g. the webhook needs a URL).
  std::function<bool(const server::server_config&)> configured;
  std::function<std::unique_ptr<response_action>()> make;
};

// Every builtin action (builtins/actions/register.cpp).
std::vector<action_spec> builtin_actions();

// Parameter helpers for plugins.
std::string param(const action_request& req, const std::string& key, const std::string& fallback = {});
bool valid_ip(std::string_view ip);

}  // namespace mamori::respond
