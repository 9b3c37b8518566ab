// Response action: mark a device isolated (or release it with release=true). The access
// decision point denies requests from isolated devices (signal device_isolation).
#include <fmt/format.h>

#include <chrono>

#include "mamori/output/json_text.hpp"
#include "mamori/respond/action.hpp"

namespace mamori::respond {

namespace {

class isolate_device final : public response_action {
 public:
  result<void> validate(const action_request& req) const override {
    const std::string dev = param(req, "device", req.case_host);
    if (dev.empty()) return fail("\"device\" is required (the case has no host)");
    if (dev.size() > 255 || dev.find_first_of("\r\n\t ") != std::string::npos) return fail("invalid device name");
    const std::string rel = param(req, "release", "false");
    if (rel != "true" && rel != "false") return fail("\"release\" must be true or false");
    return {};
  }

  action_result run(const action_request& req, action_env& env) override {
    const std::string dev = param(req, "device", req.case_host);
    const bool release = param(req, "release", "false") == "true";
    action_result out;
    std::string detail = "{\"device\":";
    json_text::append_string(detail, dev);
    detail += fmt::format(",\"isolated\":{}", release ? "false" : "true");
    if (req.dry_run) {
      out.ok = true;
      out.message = fmt::format("would {} device {}", release ? "release" : "isolate", dev);
      out.detail_json = detail + "}";
      return out;
    }
    signal s;
    s.kind = signal_kind::device_isolation;
    s.subject = dev;
    s.active = !release;
    s.at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    s.reason = param(req, "reason", fmt::format("case {}", req.case_id));
    s.origin = req.case_id > 0 ? fmt::format("case:{}", req.case_id) : "api";
    const auto version = env.signals.publish(s);
    out.ok = true;
    out.message = fmt::format("device {} {} (signal {})", dev, release ? "released" : "isolated", version);
    out.detail_json = detail + fmt::format(",\"signal\":{}}}", version);
    return out;
  }
};

}  // namespace

action_spec isolate_device_action() {
  return {"isolate_device", "Mark a device isolated (release=true to undo); access decisions deny it",
          server::role::tier2, [](const server::server_config&) { return true; },
          [] { return std::make_unique<isolate_device>(); }};
}

}  // namespace mamori::respond
