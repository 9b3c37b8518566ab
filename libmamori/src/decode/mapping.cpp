#include "mamori/decode/mapping.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <memory>
#include <unordered_map>

#include "mamori/decode/json_decoder.hpp"
#include "mamori/event/time.hpp"

namespace mamori {

namespace {

enum class time_format : std::uint8_t { iso8601, epoch, epoch_ms };

struct mapping_rule {
  ocsf::attr target;
  field_id source;
};

struct mapping_definition {
  std::string name;
  std::vector<std::string> require;  // raw names the first record must have to sniff as this
  ocsf::event_class class_uid = ocsf::event_class::base_event;
  std::uint8_t activity_id = 0;
  field_id time_field = invalid_field;
  time_format time_kind = time_format::iso8601;
  field_id status_field = invalid_field;
  std::vector<std::string> success_values;
  std::vector<std::string> failure_values;
  std::vector<mapping_rule> fields;
  std::vector<std::pair<ocsf::attr, std::string>> constants;
};

std::optional<ocsf::attr> attr_by_path(std::string_view path) {
  for (std::size_t k = 0; k < std::size(ocsf::attribute_paths); ++k)
    if (ocsf::attribute_paths[k] == path) return static_cast<ocsf::attr>(k);
  return std::nullopt;
}

std::optional<ocsf::event_class> class_by_name(const std::string& name) {
  static const std::unordered_map<std::string, ocsf::event_class> names = {
      {"base_event", ocsf::event_class::base_event},
      {"authentication", ocsf::event_class::authentication},
      {"account_change", ocsf::event_class::account_change},
      {"api_activity", ocsf::event_class::api_activity},
      {"http_activity", ocsf::event_class::http_activity},
      {"network_activity", ocsf::event_class::network_activity},
      {"dns_activity", ocsf::event_class::dns_activity},
      {"process_activity", ocsf::event_class::process_activity},
      {"file_activity", ocsf::event_class::file_activity},
      {"file_hosting_activity", ocsf::event_class::file_hosting_activity},
      {"web_resources_activity", ocsf::event_class::web_resources_activity},
  };
  if (auto it = names.find(name); it != names.end()) return it->second;
  std::uint32_t uid = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), uid);
  if (ec == std::errc() && p == name.data() + name.size()) {
    return static_cast<ocsf::event_class>(uid);
  }
  return std::nullopt;
}

class mapped_json_decoder final : public json_decoder {
 public:
  explicit mapped_json_decoder(std::shared_ptr<const mapping_definition> def)
      : def_(std::move(def)) {}

  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object";
    flatten(rec, ev, ctx);
    ev.class_uid = def_->class_uid;
    ev.activity_id = def_->activity_id;
    if (def_->time_field != invalid_field) {
      const value* t = ev.raw(def_->time_field);
      if (t == nullptr) {
        return fmt::format("time field '{}' missing",
                           field_registry::global().name(def_->time_field));
      }
      std::optional<std::int64_t> ns;
      std::string scratch;
      std::string_view text = t->text(scratch);
      switch (def_->time_kind) {
        case time_format::iso8601:
          ns = timeparse::iso8601(text);
          break;
        case time_format::epoch:
          ns = timeparse::epoch_seconds(text);
          break;
        case time_format::epoch_ms:
          if (auto ms = t->as_integer()) ns = timeparse::scale_to_ns(*ms, 1'000'000);
          break;
      }
      if (!ns) return fmt::format("time '{}' is not in the mapped format", text);
      ev.time_ns = *ns;
    }
    if (def_->status_field != invalid_field) {
      std::string scratch;
      const value* s = ev.raw(def_->status_field);
      std::string_view text = s != nullptr ? s->text(scratch) : std::string_view();
      for (const auto& v : def_->success_values)
        if (v == text) ev.status = ocsf::status_id::success;
      for (const auto& v : def_->failure_values)
        if (v == text) ev.status = ocsf::status_id::failure;
    }
    for (const auto& rule : def_->fields) {
      if (const value* v = ev.raw(rule.source); v != nullptr && !v->is_null()) {
        ev.set(rule.target, *v);
      }
    }
    for (const auto& [target, text] : def_->constants) ev.set(target, value::string(text));
    return std::nullopt;
  }

 private:
  std::shared_ptr<const mapping_definition> def_;
};

std::string where(const std::string& path, const YAML::Node& node) {
  return fmt::format("{}:{}", path, node.Mark().line + 1);
}

}  // namespace

result<decoder_spec> load_mapping_file(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("{}:{}: invalid YAML: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap()) return fail(fmt::format("{}: a mapping file is a YAML map", path));
  auto def = std::make_shared<mapping_definition>();
  try {
    def->name = root["name"].as<std::string>("");
    if (def->name.empty()) return fail(fmt::format("{}: 'name' is required", path));
    const std::string framing = root["framing"].as<std::string>("json");
    if (framing != "json") {
      return fail(fmt::format("{}: framing '{}' is not supported (json)",
                              where(path, root["framing"]), framing));
    }
    if (auto cls = root["class"]) {
      auto c = class_by_name(cls.as<std::string>());
      if (!c)
        return fail(fmt::format("{}: unknown class '{}'", where(path, cls), cls.as<std::string>()));
      def->class_uid = *c;
    }
    def->activity_id = static_cast<std::uint8_t>(root["activity_id"].as<int>(0));
    if (auto t = root["time"]) {
      def->time_field = intern_field(t["field"].as<std::string>());
      const std::string kind = t["format"].as<std::string>("iso8601");
      if (kind == "iso8601") {
        def->time_kind = time_format::iso8601;
      } else if (kind == "epoch") {
        def->time_kind = time_format::epoch;
      } else if (kind == "epoch_ms") {
        def->time_kind = time_format::epoch_ms;
      } else {
        return fail(fmt::format("{}: time format '{}' is not one of iso8601, epoch, epoch_ms",
                                where(path, t), kind));
      }
    }
    if (auto s = root["status"]) {
      def->status_field = intern_field(s["field"].as<std::string>());
      for (const auto& v : s["success"]) def->success_values.push_back(v.as<std::string>());
      for (const auto& v : s["failure"]) def->failure_values.push_back(v.as<std::string>());
    }
    for (const auto& kv : root["fields"]) {
      const auto target = kv.first.as<std::string>();
      auto a = attr_by_path(target);
      if (!a) {
        return fail(fmt::format("{}: '{}' is not a normalized attribute (docs/event-model.md)",
                                where(path, kv.first), target));
      }
      def->fields.push_back({*a, intern_field(kv.second.as<std::string>())});
    }
    for (const auto& kv : root["constants"]) {
      const auto target = kv.first.as<std::string>();
      auto a = attr_by_path(target);
      if (!a) {
        return fail(
            fmt::format("{}: '{}' is not a normalized attribute", where(path, kv.first), target));
      }
      def->constants.emplace_back(*a, kv.second.as<std::string>());
    }
    for (const auto& r : root["sniff"]["require"]) def->require.push_back(r.as<std::string>());
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("{}:{}: {}", path, e.mark.line + 1, e.msg));
  }
  std::shared_ptr<const mapping_definition> shared = def;
  decoder_spec spec;
  spec.name = def->name;
  spec.title = root["title"].as<std::string>(def->name);
  spec.reads = fmt::format("JSON records mapped by {}", path);
  spec.level = maturity::beta;
  spec.hardened = true;  // the JSON framing and parser it uses are fuzzed
  spec.sniff = [shared](const sniff_sample& s) {
    if (shared->require.empty()) return 0;  // only by --format
    const json_probe& p = probe_json(s);
    if (!p.first) return 0;
    for (const auto& key : shared->require)
      if (!json::at(*p.first, key)) return 0;
    return 90;  // a user's explicit mapping outranks builtin guesses
  };
  spec.make = [shared] { return std::make_unique<mapped_json_decoder>(shared); };
  return spec;
}

}  // namespace mamori
