// Device posture reports (`mamori.device_posture/1`, docs/device-posture.md): what an MDM or
// endpoint agent says about a device at check-in, one JSON object per line. They become OCSF
// Device Inventory Info events (class 5001, activity 2 "Collect") so posture lands in the same
// store and rules as every other source; the raw keys (`managed`, `encrypted`,
// `antivirus.enabled`, `forbidden_software`, ...) stay addressable by their own names.
// Mapping: docs/formats/posture.md.

#include "mamori/decode/json_decoder.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

constexpr std::string_view schema_v1 = "mamori.device_posture/1";
constexpr std::uint8_t activity_collect = 2;

}  // namespace

class posture_decoder final : public json_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one posture report)";
    auto schema = json::str(rec, "schema");
    if (!schema || *schema != schema_v1) {
      return "not a mamori.device_posture/1 report (schema missing or another version)";
    }
    auto reported = json::str(rec, "reported_at");
    if (!reported) return "reported_at missing";
    auto t = timeparse::iso8601(*reported);
    if (!t) return "reported_at is not an RFC 3339 timestamp";
    auto device_id = json::str(rec, "device_id");
    if (!device_id || device_id->empty()) return "device_id missing";

    ev.time_ns = *t;
    ev.class_uid = ocsf::event_class::device_inventory_info;
    ev.activity_id = activity_collect;
    ev.status = ocsf::status_id::success;
    flatten(rec, ev, ctx);

    set_from(ev, ocsf::attr::device_uid, rec, "device_id", ctx);
    set_from(ev, ocsf::attr::device_hostname, rec, "hostname", ctx);
    set_from(ev, ocsf::attr::device_type, rec, "type", ctx);
    set_from(ev, ocsf::attr::device_os_name, rec, "os.name", ctx);
    // The device's primary user: sign-ins and posture join on it (and on device_id).
    set_from(ev, ocsf::attr::actor_user_name, rec, "user", ctx);
    // One report per device and time: a stable record id for exactly-once storage.
    const std::string uid = std::string(*device_id) + "@" + std::string(*reported);
    ev.set(ocsf::attr::metadata_uid, value::string(ctx.store(uid)));
    return std::nullopt;
  }
};

decoder_spec posture_spec() {
  return {
      .name = "posture",
      .title = "Device posture reports",
      .reads = "mamori.device_posture/1 NDJSON from MDM exports or agents → device inventory",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first) return 0;
            auto schema = json::str(*p.first, "schema");
            return schema && *schema == schema_v1 ? 100 : 0;
          },
      .make = [] { return std::make_unique<posture_decoder>(); },
  };
}

}  // namespace mamori::builtins
