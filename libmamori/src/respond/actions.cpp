// The response-action endpoint: role checks, case defaults, dry runs, auditing. Also wires
// the case manager and actions into the server (attach_case_services).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>

#include "mamori/cases/case_manager.hpp"
#include "mamori/output/json_text.hpp"
#include "mamori/respond/action.hpp"
#include "mamori/server/server.hpp"
#include "mamori/server/services.hpp"

namespace mamori::respond {

std::string param(const action_request& req, const std::string& key, const std::string& fallback) {
  auto it = req.params.find(key);
  return it == req.params.end() || it->second.empty() ? fallback : it->second;
}

bool valid_ip(std::string_view ip) {
  if (ip.size() > 45) return false;
  const std::string s(ip);
  in_addr a4{};
  in6_addr a6{};
  return ::inet_pton(AF_INET, s.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

}  // namespace mamori::respond

namespace mamori::server {

namespace {

std::string str(std::string_view s) {
  std::string out;
  json_text::append_string(out, s);
  return out;
}

class action_runner final : public action_service {
 public:
  action_runner(const server_config& config, respond::signal_bus& bus, cases::case_manager* cases)
      : config_(config), bus_(bus), cases_(cases), specs_(respond::builtin_actions()) {}

  http_response list() override {
    std::string out = "{\"actions\":[";
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      const auto& s = specs_[i];
      if (i > 0) out += ',';
      out += fmt::format("{{\"name\":{},\"description\":{},\"role\":\"{}\",\"configured\":{}}}", str(s.name),
                         str(s.description), role_name(s.required), s.configured(config_) ? "true" : "false");
    }
    out += "]}";
    return json_response(200, std::move(out));
  }

  http_response run(state_db& db, std::int64_t case_id, const token_info& who, const std::string& body) override {
    simdjson::dom::parser parser;
    auto doc = parser.parse(body);
    if (doc.error() || !doc.is_object()) return error_response(400, "body must be a JSON object {\"action\": ...}");
    auto name = doc["action"];
    if (name.error() || !name.is_string()) return error_response(400, "\"action\" (string) is required");
    const respond::action_spec* spec = nullptr;
    for (const auto& s : specs_)
      if (s.name == name.get_string().value()) spec = &s;
    if (spec == nullptr) return error_response(404, fmt::format("no action '{}' (GET /api/v1/actions)", std::string(name.get_string().value())));
    if (!role_allows(who.r, spec->required))
      return error_response(403, fmt::format("action {} needs role {}; token '{}' has {}", spec->name,
                                             role_name(spec->required), who.name, role_name(who.r)));
    if (!spec->configured(config_)) return error_response(409, fmt::format("action {} is not configured on this server", spec->name));
    respond::action_request req;
    req.action = spec->name;
    req.actor = who.name;
    req.case_id = case_id;
    auto dry = doc["dry_run"];
    if (!dry.error()) {
      if (!dry.is_bool()) return error_response(400, "\"dry_run\" must be true or false");
      req.dry_run = dry.get_bool().value();
    }
    auto params = doc["params"];
    if (!params.error()) {
      if (!params.is_object()) return error_response(400, "\"params\" must be an object of strings");
      for (auto [k, v] : params.get_object()) {
        if (!v.is_string()) return error_response(400, fmt::format("parameter '{}' must be a string", std::string(k)));
        if (k.size() > 64 || v.get_string().value().size() > 20000) return error_response(400, "parameter too long");
        req.params.emplace(std::string(k), std::string(v.get_string().value()));
      }
    }
    if (case_id > 0) {
      auto st = db.db().prepare("SELECT title, state FROM cases WHERE id=?");
      if (!st) return error_response(500, st.error().message);
      st->bind(1, case_id);
      auto row = st->step();
      if (!row) return error_response(500, row.error().message);
      if (!*row) return error_response(404, "no such case");
      req.case_title = std::string(st->column_text(0));
      auto f = db.db().prepare("SELECT user, src_ip, host FROM findings WHERE case_id=? ORDER BY id LIMIT 100");
      if (!f) return error_response(500, f.error().message);
      f->bind(1, case_id);
      while (true) {
        auto r = f->step();
        if (!r || !*r) break;
        if (req.case_user.empty()) req.case_user = std::string(f->column_text(0));
        if (req.case_src_ip.empty()) req.case_src_ip = std::string(f->column_text(1));
        if (req.case_host.empty()) req.case_host = std::string(f->column_text(2));
      }
      if (cases_ != nullptr)
        if (auto s = cases_->summary_json(db, case_id)) req.case_json = std::move(*s);
    }
    auto action = spec->make();
    if (auto v = action->validate(req); !v) return error_response(400, v.error().message);
    respond::action_env env{config_, bus_};
    respond::action_result res = action->run(req, env);
    std::string params_json = "{";
    bool first = true;
    for (const auto& [k, v] : req.params) {
      if (!first) params_json += ',';
      first = false;
      params_json += str(k) + ":" + str(v);
    }
    params_json += '}';
    const std::string detail = fmt::format("{{\"action\":{},\"dry_run\":{},\"ok\":{},\"message\":{},\"params\":{},\"result\":{}}}",
                                           str(spec->name), req.dry_run ? "true" : "false", res.ok ? "true" : "false",
                                           str(res.message), params_json, res.detail_json.empty() ? "{}" : res.detail_json);
    const std::string object = case_id > 0 ? fmt::format("case:{}", case_id) : "actions";
    if (auto a = db.audit(who.name, "action." + spec->name, object, detail); !a)
      return error_response(500, a.error().message);
    return json_response(res.ok ? 200 : 502, detail);
  }

 private:
  const server_config& config_;
  respond::signal_bus& bus_;
  cases::case_manager* cases_;
  std::vector<respond::action_spec> specs_;
};

std::string default_templates_dir() {
  if (const char* env = std::getenv("MAMORI_CASES"); env != nullptr && *env != '\0') return env;
  for (const char* p : {MAMORI_SOURCE_DATA "/cases", "/usr/share/mamori/cases", "/usr/local/share/mamori/cases"}) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) return p;
  }
  return MAMORI_SOURCE_DATA "/cases";
}

}  // namespace

void attach_case_services(server::impl& s, state_pool& states, respond::signal_bus& bus,
                          const server_config& config, std::unique_ptr<case_service>& cases,
                          std::unique_ptr<action_service>& actions, finding_consumer*& consumer) {
  (void)s;
  (void)states;
  diagnostics diag([](const diagnostic& d) { fmt::print(stderr, "mamori serve: {}\n", render(d)); });
  const std::string dir = config.case_templates.empty() ? default_templates_dir() : config.case_templates;
  cases::case_manager* cm = nullptr;
  auto templates = cases::load_scenarios(dir, diag);
  if (!templates) {
    fmt::print(stderr, "mamori serve: {}; findings are stored but not grouped into cases\n", templates.error().message);
  } else {
    cases::case_options o;
    o.window_s = config.case_window_s;
    o.entities = config.case_entities;
    o.events_dir = config.data + "/events";
    o.main_db = config.data + "/main.db";
    auto m = std::make_unique<cases::case_manager>(std::move(*templates), o, bus);
    cm = m.get();
    consumer = m.get();
    cases = std::move(m);
  }
  actions = std::make_unique<action_runner>(config, bus, cm);
}

}  // namespace mamori::server
