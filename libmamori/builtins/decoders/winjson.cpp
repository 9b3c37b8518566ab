// Windows events as JSON, in the shapes the common tools write, all mapped to the raw field names
// of the native EVTX reader (EventID, Channel, Computer, Provider_Name, ..., EventData values
// bare) so one Sigma rule matches whichever way the events arrived:
//   event_xml  {"Event":{"System":{...,"Provider":{"#attributes":{"Name":..}}},"EventData":{..}}}
//              (evtx_dump, python-evtx's XML-to-JSON; Sigma's regression data)
//   flat       {"Provider":..,"EventID":"4624","Channel":..,"Computer":..,"EventData":{..}}
//              (python-evtx JSONL exports)
//   nxlog      {"EventID":4624,"Channel":..,"Hostname":..,"SourceName":..,<EventData>..}
//              (NXLog im_msvistalog, as in the OTRF Security-Datasets)
//   winlogbeat {"@timestamp":..,"winlog":{"event_id":..,"channel":..,"event_data":{..}},
//              "host":{"name":..}} (Elastic Winlogbeat / ECS)
// The shape is recognised per record. docs/formats/windows.md lists the mapping.

#include <fmt/format.h>

#include "mamori/decode/json_decoder.hpp"
#include "mamori/decode/windows_events.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

enum class shape : std::uint8_t { none, event_xml, flat, nxlog, winlogbeat };

bool is_object(element e, std::string_view key) {
  auto v = json::at(e, key);
  return v && v->is_object();
}

// One pass over the top-level members (simdjson looks keys up by linear scan, so testing them
// one by one would scan the record several times).
shape shape_of(element rec) {
  if (!rec.is_object()) return shape::none;
  bool event_id = false, channel = false, computer = false, provider = false, hostname = false,
       source_name = false, event_data = false;
  for (auto [key, v] : rec.get_object()) {
    if (key == "Event") {
      if (v.is_object() && is_object(v, "System")) return shape::event_xml;
    } else if (key == "winlog") {
      if (v.is_object() && (json::has(v, "event_id") || json::has(v, "channel"))) {
        return shape::winlogbeat;
      }
    } else if (key == "EventID") {
      event_id = true;
    } else if (key == "Channel") {
      channel = true;
    } else if (key == "Computer") {
      computer = true;
    } else if (key == "Provider") {
      provider = true;
    } else if (key == "Hostname") {
      hostname = true;
    } else if (key == "SourceName") {
      source_name = true;
    } else if (key == "EventData") {
      event_data = v.is_object();
    }
  }
  if (!event_id || !channel) return shape::none;
  if (event_data && computer && provider) return shape::flat;
  if (hostname && source_name) return shape::nxlog;
  return shape::none;
}

// "Data0", "Data1", ...: the names python-evtx exports give unnamed <Data> elements.
bool numbered_data(std::string_view k) {
  if (k.size() <= 4 || !k.starts_with("Data")) return false;
  for (char c : k.substr(4))
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

class winjson_decoder final : public json_decoder {
 public:
  std::optional<std::string> map(element rec, event& ev, decode_context& ctx) override {
    switch (shape_of(rec)) {
      case shape::event_xml:
        map_event_xml(*json::at(rec, "Event"), ev, ctx);
        break;
      case shape::flat:
        map_flat(rec, ev, ctx);
        break;
      case shape::nxlog:
        map_nxlog(rec, ev, ctx);
        break;
      case shape::winlogbeat:
        map_winlogbeat(rec, ev, ctx);
        break;
      case shape::none:
        return "not a Windows event: expected Event.System, winlog, or EventID with Channel "
               "and Hostname/Computer";
    }
    if (!ev.raw(names_.get("EventID"))) return "Windows event without an EventID";
    normalizer_.apply(ev, ctx);
    return std::nullopt;
  }

 private:
  void add(std::string_view name, value v, event& ev) { ev.add_raw(names_.get(name), v); }

  // Strings lose trailing whitespace like every Windows value (windows::trim_trailing_space).
  void add_json(std::string_view name, element e, event& ev, decode_context& ctx) {
    if (e.is_null()) return;
    if (e.is_string()) {
      const std::string_view s = windows::trim_trailing_space(e.get_string().value());
      ev.add_raw(names_.get(name), value::string(ctx.store(s)));
      return;
    }
    ev.add_raw(names_.get(name), json::to_value(e, ctx));
  }

  // Every leaf under its dotted path below `prefix` (arrays repeat the name), as
  // json_decoder::flatten does, with Windows string trimming.
  void flatten_windows(element e, event& ev, decode_context& ctx, std::string_view prefix = {}) {
    path_.assign(prefix);
    flatten_into(e, ev, ctx);
  }
  void flatten_into(element e, event& ev, decode_context& ctx) {
    switch (e.type()) {
      case element_type::OBJECT: {
        const std::size_t base = path_.size();
        for (auto [key, child] : e.get_object()) {
          if (base > 0) path_ += '.';
          path_.append(key.data(), key.size());
          flatten_into(child, ev, ctx);
          path_.resize(base);
        }
        return;
      }
      case element_type::ARRAY:
        for (auto child : e.get_array()) flatten_into(child, ev, ctx);
        return;
      case element_type::NULL_VALUE:
        return;
      default:
        if (!path_.empty()) add_json(path_, e, ev, ctx);
    }
  }

  // EventID as an integer whatever the exporter wrote ("4624", 4624, {"#text":4624}).
  void add_event_id(element e, event& ev, decode_context& ctx) {
    if (e.is_object()) {
      auto text = json::at(e, "#text");
      if (!text) return;
      e = *text;
    }
    if (e.is_string()) {
      if (auto n = windows::parse_windows_integer(e.get_string().value())) {
        add("EventID", value::integer(*n), ev);
        return;
      }
    }
    add_json("EventID", e, ev, ctx);
  }

  // A value of EventData/UserData: scalars under `name`, arrays repeat the name, objects give
  // their leaves by key ("#text" keeps the parent's name, "#attributes" gives attribute names).
  void add_leaves(std::string_view name, element e, event& ev, decode_context& ctx) {
    switch (e.type()) {
      case element_type::OBJECT:
        for (auto [key, child] : e.get_object()) {
          if (key == "#attributes") {
            if (!child.is_object()) continue;
            for (auto [akey, aval] : child.get_object()) {
              if (akey == "xmlns" || akey.starts_with("xmlns:")) continue;
              add_leaves(akey, aval, ev, ctx);
            }
          } else if (key == "#text") {
            add_leaves(name, child, ev, ctx);
          } else {
            add_leaves(key, child, ev, ctx);
          }
        }
        return;
      case element_type::ARRAY:
        for (auto child : e.get_array()) add_leaves(name, child, ev, ctx);
        return;
      case element_type::NULL_VALUE:
        // An empty element (<Data Name="X"/>): present with an empty value, as the EVTX reader
        // gives it.
        add(name, value::string({}), ev);
        return;
      default:
        add_json(name, e, ev, ctx);
    }
  }

  void add_event_data(element data, event& ev, decode_context& ctx) {
    if (!data.is_object()) {
      if (!data.is_null()) add_leaves("Data", data, ev, ctx);
      return;
    }
    for (auto [key, child] : data.get_object()) {
      if (key == "#attributes") continue;  // <EventData Name="..."> carries no event value
      add_leaves(key == "#text" ? std::string_view("Data") : key, child, ev, ctx);
    }
  }

  void map_event_xml(element event_obj, event& ev, decode_context& ctx) {
    for (auto [key, child] : event_obj.get_object()) {
      if (key == "System") {
        map_system(child, ev, ctx);
      } else if (key == "EventData") {
        add_event_data(child, ev, ctx);
      } else if (key == "RenderingInfo") {
        if (auto msg = json::at(child, "Message")) add_json("Message", *msg, ev, ctx);
      } else if (key == "#attributes") {
        continue;
      } else {
        add_leaves(key, child, ev, ctx);  // UserData, ProcessingErrorData, extra keys
      }
    }
  }

  void map_system(element sys, event& ev, decode_context& ctx) {
    if (!sys.is_object()) return;
    for (auto [key, child] : sys.get_object()) {
      if (key == "EventID") {
        add_event_id(child, ev, ctx);
        continue;
      }
      if (!child.is_object()) {
        add_json(key, child, ev, ctx);
        continue;
      }
      if (auto text = json::at(child, "#text")) add_json(key, *text, ev, ctx);
      auto attrs = json::at(child, "#attributes");
      if (!attrs || !attrs->is_object()) continue;
      for (auto [attr, v] : attrs->get_object()) {
        if (key == "Provider" && (attr == "Name" || attr == "Guid")) {
          add_json(attr == "Name" ? "Provider_Name" : "Provider_Guid", v, ev, ctx);
        } else if (key == "TimeCreated" && attr == "SystemTime") {
          add_json("TimeCreated", v, ev, ctx);
        } else if ((key == "Execution" && (attr == "ProcessID" || attr == "ThreadID")) ||
                   (key == "Security" && attr == "UserID") || key == "Correlation") {
          add_json(attr, v, ev, ctx);
        } else {
          name_.assign(key);
          name_ += '_';
          name_.append(attr.data(), attr.size());
          add_json(name_, v, ev, ctx);
        }
      }
    }
  }

  void map_flat(element rec, event& ev, decode_context& ctx) {
    for (auto [key, child] : rec.get_object()) {
      if (key == "EventID") {
        add_event_id(child, ev, ctx);
      } else if (key == "Provider") {
        add_json("Provider_Name", child, ev, ctx);
      } else if (key == "SecurityUserID") {
        add_json("UserID", child, ev, ctx);
      } else if (key == "EventData") {
        if (!child.is_object()) continue;
        for (auto [dkey, dval] : child.get_object()) {
          add_leaves(numbered_data(dkey) ? std::string_view("Data") : dkey, dval, ev, ctx);
        }
      } else {
        add_leaves(key, child, ev, ctx);
      }
    }
  }

  void map_nxlog(element rec, event& ev, decode_context& ctx) {
    // NXLog writes EventData at the top level next to its own keys: keep all of them, and add
    // raw aliases under the names of the native reader. One pass over the members.
    std::optional<std::string_view> timestamp, event_time;
    bool time_created = false;
    for (auto [key, child] : rec.get_object()) {
      if (key == "EventID" && child.is_string()) {
        // Typed like the other shapes when written as a string.
        if (auto n = windows::parse_windows_integer(child.get_string().value())) {
          add("EventID", value::integer(*n), ev);
          continue;
        }
      }
      path_.assign(key);
      flatten_into(child, ev, ctx);
      if (key == "Hostname") {
        add_json("Computer", child, ev, ctx);
      } else if (key == "SourceName") {
        add_json("Provider_Name", child, ev, ctx);
      } else if (key == "RecordNumber") {
        add_json("EventRecordID", child, ev, ctx);
      } else if (key == "TimeCreated") {
        time_created = true;
      } else if (key == "@timestamp" && child.is_string()) {
        timestamp = child.get_string().value();
      } else if (key == "EventTime" && child.is_string()) {
        event_time = child.get_string().value();
      }
    }
    if (time_created) return;
    // @timestamp is UTC; NXLog's EventTime is local time without a zone (last resort).
    for (auto t : {timestamp, event_time}) {
      if (!t) continue;
      if (auto ns = timeparse::iso8601(*t)) {
        ev.time_ns = *ns;
        ev.set(ocsf::attr::metadata_original_time, value::string(ctx.store(*t)));
        return;
      }
    }
  }

  void map_winlogbeat(element rec, event& ev, decode_context& ctx) {
    element w = *json::at(rec, "winlog");
    // Everything except the event data keeps its dotted ECS name (winlog.channel, host.name).
    for (auto [key, child] : rec.get_object()) {
      if (key != "winlog") {
        flatten_windows(child, ev, ctx, key);
        continue;
      }
      for (auto [wkey, wval] : child.get_object()) {
        if (wkey == "event_data" || wkey == "user_data") continue;
        name_ = "winlog.";
        name_.append(wkey.data(), wkey.size());
        flatten_windows(wval, ev, ctx, name_);
      }
    }
    if (auto v = json::at(w, "event_id")) add_event_id(*v, ev, ctx);
    static constexpr std::pair<std::string_view, std::string_view> aliases[] = {
        {"channel", "Channel"},
        {"provider_name", "Provider_Name"},
        {"provider_guid", "Provider_Guid"},
        {"record_id", "EventRecordID"},
        {"process.pid", "ProcessID"},
        {"process.thread.id", "ThreadID"},
        {"user.identifier", "UserID"},
        {"task", "Task"},
        {"opcode", "Opcode"},
        {"version", "Version"},
    };
    for (auto [from, to] : aliases) {
      if (auto v = json::at(w, from)) add_json(to, *v, ev, ctx);
    }
    if (auto v = json::at(w, "computer_name")) {
      add_json("Computer", *v, ev, ctx);
    } else if (auto h = json::at(rec, "host.name")) {
      add_json("Computer", *h, ev, ctx);
    }
    if (auto v = json::at(rec, "message")) add_json("Message", *v, ev, ctx);
    if (auto d = json::at(w, "event_data")) add_event_data(*d, ev, ctx);
    if (auto d = json::at(w, "user_data")) add_leaves("UserData", *d, ev, ctx);
    if (auto t = json::str(rec, "@timestamp")) {
      if (auto ns = timeparse::iso8601(*t)) {
        ev.time_ns = *ns;
        ev.set(ocsf::attr::metadata_original_time, value::string(ctx.store(*t)));
      }
    }
    if (auto outcome = json::str(rec, "event.outcome")) {
      if (*outcome == "success") ev.status = ocsf::status_id::success;
      if (*outcome == "failure") ev.status = ocsf::status_id::failure;
    }
  }

  windows::normalizer normalizer_;
  windows::name_ids& names_ = windows::name_ids::local();
  std::string name_;
  std::string path_;
};

decoder_spec winjson_spec() {
  return {
      .name = "winjson",
      .title = "Windows events as JSON",
      .reads =
          "NXLog JSON (OTRF), EVTX-to-JSON exports (evtx_dump / python-evtx, nested or "
          "flat), Winlogbeat/ECS; NDJSON, arrays or concatenated values",
      .level = maturity::beta,
      .hardened = true,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first) return 0;
            switch (shape_of(*p.first)) {
              case shape::event_xml:
              case shape::winlogbeat:
                return 95;
              case shape::flat:
              case shape::nxlog:
                return 90;
              case shape::none:
                return 0;
            }
            return 0;
          },
      .make = [] { return std::make_unique<winjson_decoder>(); },
  };
}

}  // namespace mamori::builtins
