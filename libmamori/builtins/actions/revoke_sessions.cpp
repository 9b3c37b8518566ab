// Response action: revoke every session of a user issued before now. The access decision
// point rejects tokens and cookies issued at or before that second (signal
// session_revocation), so the user must sign in again (with MFA, per policy).
#include <fmt/format.h>

#include <chrono>

#include "mamori/output/json_text.hpp"
#include "mamori/respond/action.hpp"

namespace mamori::respond {

namespace {

class revoke_sessions final : public response_action {
 public:
  result<void> validate(const action_request& req) const override {
    const std::string user = param(req, "user", req.case_user);
    if (user.empty()) return fail("\"user\" is required (the case has no user)");
    if (user.size() > 255 || user.find_first_of("\r\n\t") != std::string::npos) return fail("invalid user name");
    return {};
  }

  action_result run(const action_request& req, action_env& env) override {
    const std::string user = param(req, "user", req.case_user);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    action_result out;
    std::string detail = "{\"user\":";
    json_text::append_string(detail, user);
    detail += fmt::format(",\"before\":{}", now);
    if (req.dry_run) {
      out.ok = true;
      out.message = fmt::format("would revoke the sessions of {} issued before now", user);
      out.detail_json = detail + "}";
      return out;
    }
    signal s;
    s.kind = signal_kind::session_revocation;
    s.subject = user;
    s.before = now;
    s.at = now;
    s.reason = param(req, "reason", fmt::format("case {}", req.case_id));
    s.origin = req.case_id > 0 ? fmt::format("case:{}", req.case_id) : "api";
    const auto version = env.signals.publish(s);
    out.ok = true;
    out.message = fmt::format("sessions of {} revoked (signal {})", user, version);
    out.detail_json = detail + fmt::format(",\"signal\":{}}}", version);
    return out;
  }
};

}  // namespace

action_spec revoke_sessions_action() {
  return {"revoke_sessions", "Revoke a user's sessions issued before now; they must sign in again",
          server::role::tier2, [](const server::server_config&) { return true; },
          [] { return std::make_unique<revoke_sessions>(); }};
}

}  // namespace mamori::respond
