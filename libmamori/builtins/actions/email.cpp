// Response action: notify by email through the configured SMTP relay (plain SMTP to a local
// relay, which handles delivery, TLS and authentication upstream). Recipients are the
// configured list; a tier2 token may name others with "to" (comma-separated).
#include <fmt/format.h>

#include "mamori/output/json_text.hpp"
#include "mamori/respond/action.hpp"
#include "mamori/server/http_client.hpp"

namespace mamori::respond {

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool valid_address(const std::string& a) {
  const auto at = a.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= a.size() || a.size() > 254) return false;
  for (char c : a)
    if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '\\') return false;
  return true;
}

class email final : public response_action {
 public:
  result<void> validate(const action_request& req) const override {
    for (const auto& a : split(param(req, "to")))
      if (!valid_address(a)) return fail(fmt::format("'{}' is not an email address", a));
    if (param(req, "subject").find_first_of("\r\n") != std::string::npos) return fail("line break in subject");
    if (param(req, "message").size() > 20000) return fail("message longer than 20000 characters");
    return {};
  }

  action_result run(const action_request& req, action_env& env) override {
    const auto& c = env.config.email;
    action_result out;
    std::vector<std::string> to = split(param(req, "to"));
    if (to.empty()) to = c.to;
    const std::string subject = param(req, "subject", fmt::format("[mamori] case {}: {}", req.case_id, req.case_title));
    std::string body = param(req, "message");
    if (!body.empty()) body += "\n\n";
    body += fmt::format("Case {}: {}\nSent by {} through mamori.\n", req.case_id, req.case_title, req.actor);
    if (!req.case_json.empty()) body += "\n" + req.case_json + "\n";
    std::string detail = "{\"relay\":";
    json_text::append_string(detail, c.relay);
    detail += ",\"to\":[";
    for (std::size_t i = 0; i < to.size(); ++i) {
      if (i > 0) detail += ',';
      json_text::append_string(detail, to[i]);
    }
    detail += "],\"subject\":";
    json_text::append_string(detail, subject);
    detail += '}';
    out.detail_json = detail;
    if (to.empty()) {
      out.message = "no recipients (actions.email.to, or \"to\")";
      return out;
    }
    if (req.dry_run) {
      out.ok = true;
      out.message = fmt::format("would mail {} recipient(s) through {}", to.size(), c.relay);
      return out;
    }
    auto r = server::smtp_send(c.relay, c.from, to, subject, body, c.timeout_s);
    if (!r) {
      out.message = r.error().message;
      return out;
    }
    out.ok = true;
    out.message = fmt::format("mailed {} recipient(s) through {}", to.size(), c.relay);
    return out;
  }
};

}  // namespace

action_spec email_action() {
  return {"email", "Notify by email through the configured SMTP relay", server::role::tier1,
          [](const server::server_config& c) { return !c.email.relay.empty(); },
          [] { return std::make_unique<email>(); }};
}

}  // namespace mamori::respond
