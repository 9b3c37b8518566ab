// Panther rule-test events: one JSON object per line, {"rule_id", "log_types", "test_name",
// "expected_result", "log": {...}} as extracted from the "Tests:" blocks of panther-analysis
// rules. The inner log is mapped by mamori's decoder for its source when there is one (found
// by log type: log.p_log_type, else each of log_types in order); otherwise it becomes a Base
// Event with the log flattened. The wrapper's fields stay available as panther.* raw fields,
// so evaluation scripts can compare detections with expected_result.
// docs/formats/panther-test.md.

#include <fmt/format.h>

#include <map>

#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

// Panther log type → mamori decoder name(s). Several candidates where the decoder is written
// elsewhere and its name may differ; the first registered one is used.
std::vector<std::string_view> decoders_for(std::string_view log_type) {
  if (log_type == "Okta.SystemLog") return {"okta"};
  if (log_type == "AWS.CloudTrail") return {"cloudtrail"};
  if (log_type == "Azure.Audit") return {"entra"};
  if (log_type == "GSuite.ActivityEvent" || log_type == "GSuite.Reports") return {"gws"};
  if (log_type == "Box.Event") return {"box"};
  if (log_type.starts_with("Microsoft365.Audit.")) return {"m365"};
  if (log_type == "MicrosoftDefenderXDR.AdvancedHunting") return {"m365defender"};
  if (log_type == "Windows.EventLogs") return {"windows-json", "winlog-json", "winevt-json"};
  if (log_type == "Zeek.DNS") return {"zeek", "zeek-json"};
  if (log_type == "AWS.S3ServerAccess") return {"s3-access"};
  return {};
}

}  // namespace

class panther_test_decoder final : public json_decoder {
 public:
  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one Panther rule test)";
    auto log = json::at(rec, "log");
    if (!log || !log->is_object()) return "Panther rule test without a \"log\" object";

    // The candidate log types: the log's own p_log_type, else the rule's log_types.
    std::vector<std::string_view> types;
    if (auto t = json::str(*log, "p_log_type"); t && !t->empty()) {
      types.push_back(*t);
    } else if (auto lt = json::at(rec, "log_types"); lt && lt->is_array()) {
      for (auto t : lt->get_array())
        if (t.is_string()) types.push_back(t.get_string().value());
    }

    std::string_view used_type = types.empty() ? std::string_view() : types.front();
    std::string_view used_decoder;
    std::string declined;
    bool mapped = false;
    for (auto type : types) {
      for (auto name : decoders_for(type)) {
        json_decoder* d = delegate(name);
        if (d == nullptr) continue;
        std::optional<std::string> reason;
        try {
          reason = d->map(*log, ev, ctx);
        } catch (const simdjson::simdjson_error& e) {
          reason = fmt::format("unexpected JSON shape: {}", e.what());
        }
        if (!reason) {
          mapped = true;
          used_type = type;
          used_decoder = name;
          break;
        }
        clear(ev);
        if (declined.empty()) declined = fmt::format("{}: {}", name, *reason);
        break;  // one decoder per log type
      }
      if (mapped) break;
    }

    if (!mapped) {
      // No decoder for this source (or it declined the record): a Base Event that keeps every
      // field of the log under its own name.
      if (auto t = json::str(*log, "p_event_time")) {
        if (auto ns = timeparse::iso8601(*t)) {
          ev.time_ns = *ns;
          ev.set(ocsf::attr::metadata_original_time, value::string(ctx.store(*t)));
        }
      }
      ev.set(ocsf::attr::metadata_product,
             value::string(used_type.empty() ? std::string_view("Panther rule test")
                                             : ctx.store(used_type)));
      flatten(*log, ev, ctx);
    }

    add(ev, "panther.rule_id", json::at(rec, "rule_id"), ctx);
    add(ev, "panther.test_name", json::at(rec, "test_name"), ctx);
    add(ev, "panther.expected_result", json::at(rec, "expected_result"), ctx);
    add(ev, "panther.severity", json::at(rec, "severity"), ctx);
    add(ev, "panther.source_file", json::at(rec, "source_file"), ctx);
    if (!used_type.empty())
      ev.add_raw(fields_.get("panther.log_type"), value::string(ctx.store(used_type)));
    if (mapped) ev.add_raw(fields_.get("panther.decoder"), value::string(used_decoder));
    if (!declined.empty()) {
      ev.add_raw(fields_.get("panther.decoder_declined"), value::string(ctx.store(declined)));
    }
    return std::nullopt;
  }

 private:
  // The decoder registered under `name` as a JSON decoder, created once; nullptr when absent.
  json_decoder* delegate(std::string_view name) {
    auto it = delegates_.find(name);
    if (it == delegates_.end()) {
      std::unique_ptr<decoder> made;
      const auto& registry = decoder_registry::builtin();
      if (auto index = registry.find(name)) made = registry.at(*index).make();
      if (made && dynamic_cast<json_decoder*>(made.get()) == nullptr) made.reset();
      // Test fixtures often omit the time: keep such records rather than decline them.
      if (auto* s = dynamic_cast<source_decoder*>(made.get())) s->set_time_optional(true);
      it = delegates_.emplace(std::string(name), std::move(made)).first;
    }
    return dynamic_cast<json_decoder*>(it->second.get());
  }

  // Undoes a declined delegate's partial work, keeping the event's position.
  static void clear(event& ev) {
    ev.time_ns = 0;
    ev.class_uid = ocsf::event_class::base_event;
    ev.activity_id = ocsf::activity::unknown;
    ev.status = ocsf::status_id::unknown;
    ev.severity = ocsf::severity_id::informational;
    ev.fields.clear();
  }

  void add(event& ev, std::string_view name, std::optional<simdjson::dom::element> v,
           decode_context& ctx) {
    if (!v || v->is_null() || v->is_object() || v->is_array()) return;
    ev.add_raw(fields_.get(name), json::to_value(*v, ctx));
  }

  std::map<std::string, std::unique_ptr<decoder>, std::less<>> delegates_;
};

decoder_spec panther_test_spec() {
  return {
      .name = "panther-test",
      .title = "Panther rule-test events",
      .reads =
          "panther-analysis rule tests as JSONL ({rule_id, log_types, test_name, "
          "expected_result, log}); the log is mapped by the decoder of its source",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first || !p.first->is_object()) return 0;
            auto e = *p.first;
            if (json::has(e, "rule_id") && json::has(e, "log") &&
                (json::has(e, "test_name") || json::has(e, "expected_result"))) {
              return 95;
            }
            return 0;
          },
      .make = [] { return std::make_unique<panther_test_decoder>(); },
  };
}

}  // namespace mamori::builtins
