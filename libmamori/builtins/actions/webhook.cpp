// Response action: POST the case as JSON to a configured URL, signed with HMAC-SHA256 so the
// receiver can authenticate it: header X-Mamori-Signature: sha256=<hex of HMAC(key,
// timestamp + "." + body)>, X-Mamori-Timestamp: UTC seconds (reject old ones to stop replays).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "mamori/output/json_text.hpp"
#include "mamori/respond/action.hpp"
#include "mamori/server/http_client.hpp"

namespace mamori::respond {

namespace {

result<std::string> webhook_secret(const server::webhook_config& c) {
  if (!c.secret_env.empty()) {
    const char* v = std::getenv(c.secret_env.c_str());
    if (v == nullptr || *v == '\0') return fail(fmt::format("environment variable {} is not set", c.secret_env));
    return std::string(v);
  }
  if (!c.secret_file.empty()) {
    std::ifstream in(c.secret_file);
    std::string s;
    if (!in || !std::getline(in, s) || s.empty()) return fail(fmt::format("{}: cannot read the webhook secret", c.secret_file));
    return s;
  }
  return fail("no webhook secret configured (actions.webhook.secret_env or secret_file)");
}

class webhook final : public response_action {
 public:
  result<void> validate(const action_request& req) const override {
    if (param(req, "message").size() > 4000) return fail("message longer than 4000 characters");
    return {};
  }

  action_result run(const action_request& req, action_env& env) override {
    const auto& c = env.config.webhook;
    action_result out;
    const auto ts = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::string body = fmt::format("{{\"type\":\"mamori.case\",\"time\":{},\"actor\":", ts);
    json_text::append_string(body, req.actor);
    body += ",\"message\":";
    json_text::append_string(body, param(req, "message"));
    body += ",\"case\":";
    body += req.case_json.empty() ? "null" : req.case_json;
    body += '}';
    std::string detail = "{\"url\":";
    json_text::append_string(detail, c.url);
    fmt::format_to(std::back_inserter(detail), ",\"bytes\":{}", body.size());
    if (req.dry_run) {
      out.ok = true;
      out.message = fmt::format("would POST {} bytes to {}", body.size(), c.url);
      out.detail_json = detail + "}";
      return out;
    }
    auto secret = webhook_secret(c);
    if (!secret) {
      out.message = secret.error().message;
      out.detail_json = detail + "}";
      return out;
    }
    const std::string sig = server::hmac_sha256_hex(*secret, fmt::format("{}.{}", ts, body));
    server::http_client_options opt;
    opt.timeout_s = c.timeout_s;
    auto r = server::http_call("POST", c.url,
                               {{"Content-Type", "application/json"},
                                {"X-Mamori-Timestamp", std::to_string(ts)},
                                {"X-Mamori-Signature", "sha256=" + sig}},
                               body, opt);
    if (!r) {
      out.message = r.error().message;
    } else {
      out.ok = r->status >= 200 && r->status < 300;
      out.message = fmt::format("{} answered {}", c.url, r->status);
      fmt::format_to(std::back_inserter(detail), ",\"status\":{}", r->status);
    }
    out.detail_json = detail + "}";
    return out;
  }
};

}  // namespace

action_spec webhook_action() {
  return {"webhook", "POST the case as signed JSON (HMAC-SHA256) to the configured URL",
          server::role::tier1,
          [](const server::server_config& c) { return !c.webhook.url.empty(); },
          [] { return std::make_unique<webhook>(); }};
}

}  // namespace mamori::respond
