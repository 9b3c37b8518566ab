// systemd journal JSON export (`journalctl -o json`, also -o json-pretty): one object per entry,
// every field a string, binary fields as arrays of byte values, repeated fields as arrays.
// Field reference: systemd.journal-fields(7), "JSON format" in systemd's docs
// (JOURNAL_EXPORT_FORMATS). Authentication messages reuse the syslog interpretation
// (linux_auth.hpp). Mapping: docs/formats/journald.md.

#include "mamori/decode/json_decoder.hpp"
#include "mamori/decode/linux_auth.hpp"
#include "mamori/decode/text_scan.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

// A journald binary field: an array of byte values (0..255). Returns false for other arrays.
bool bytes_of(simdjson::dom::array a, std::string& out) {
  out.clear();
  for (auto e : a) {
    if (!e.is_uint64() && !e.is_int64()) return false;
    const std::int64_t v =
        e.is_int64() ? e.get_int64().value() : static_cast<std::int64_t>(e.get_uint64().value());
    if (v < 0 || v > 255) return false;
    out += static_cast<char>(v);
  }
  return true;
}

ocsf::severity_id severity_of(std::int64_t priority) {
  switch (priority) {
    case 0:
      return ocsf::severity_id::fatal;
    case 1:
    case 2:
      return ocsf::severity_id::critical;
    case 3:
      return ocsf::severity_id::high;
    case 4:
      return ocsf::severity_id::medium;
    case 5:
      return ocsf::severity_id::low;
    default:
      return ocsf::severity_id::informational;
  }
}

}  // namespace

class journald_decoder final : public json_decoder {
 public:
  journald_decoder()
      : message_(intern_field("MESSAGE")),
        hostname_(intern_field("_HOSTNAME")),
        identifier_(intern_field("SYSLOG_IDENTIFIER")),
        comm_(intern_field("_COMM")),
        pid_(intern_field("_PID")),
        syslog_pid_(intern_field("SYSLOG_PID")),
        exe_(intern_field("_EXE")),
        cmdline_(intern_field("_CMDLINE")),
        priority_(intern_field("PRIORITY")),
        cursor_(intern_field("__CURSOR")) {}

  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one journal entry)";
    auto realtime = json::str(rec, "__REALTIME_TIMESTAMP");
    if (!realtime) return "not a journal entry: __REALTIME_TIMESTAMP missing";
    auto source_time = json::str(rec, "_SOURCE_REALTIME_TIMESTAMP");
    auto us = text::to_int(source_time ? *source_time : *realtime);
    if (!us) return "__REALTIME_TIMESTAMP is not a number of microseconds";
    auto ns = timeparse::scale_to_ns(*us, 1000);
    if (!ns) return "__REALTIME_TIMESTAMP is out of range";
    ev.time_ns = *ns;

    // Raw fields under the journal's names; binary values become their bytes.
    for (auto [key, child] : rec.get_object()) {
      const field_id id = fields_.get(key);
      if (child.is_array()) {
        if (bytes_of(child.get_array().value(), scratch_)) {
          ev.add_raw(id, value::string(ctx.store(scratch_)));
        } else {
          for (auto e : child.get_array()) ev.add_raw(id, json::to_value(e, ctx));
        }
      } else {
        ev.add_raw(id, json::to_value(child, ctx));
      }
    }

    const std::string_view message = ev.raw_string(message_);
    const std::string_view hostname = ev.raw_string(hostname_);
    std::string_view app = ev.raw_string(identifier_);
    if (app.empty()) app = ev.raw_string(comm_);
    if (!message.empty()) ev.set(ocsf::attr::message, value::string(text::trim(message)));
    if (!hostname.empty()) ev.set(ocsf::attr::device_hostname, value::string(hostname));
    if (!app.empty()) ev.set(ocsf::attr::process_name, value::string(app));
    std::string_view pid = ev.raw_string(pid_);
    if (pid.empty()) pid = ev.raw_string(syslog_pid_);
    if (auto p = text::to_int(pid)) ev.set(ocsf::attr::process_pid, value::integer(*p));
    if (auto exe = ev.raw_string(exe_); !exe.empty()) {
      ev.set(ocsf::attr::process_path, value::string(exe));
    }
    if (auto cmd = ev.raw_string(cmdline_); !cmd.empty()) {
      ev.set(ocsf::attr::process_cmd_line, value::string(cmd));
    }
    if (auto cursor = ev.raw_string(cursor_); !cursor.empty()) {
      ev.set(ocsf::attr::metadata_uid, value::string(cursor));
    }
    if (auto prio = text::to_int(ev.raw_string(priority_))) ev.severity = severity_of(*prio);

    if (linux_auth::interpret(app, text::trim(message), ev, ctx) && !hostname.empty()) {
      ev.set(ocsf::attr::dst_hostname, value::string(hostname));
    }
    return std::nullopt;
  }

 private:
  field_id message_, hostname_, identifier_, comm_, pid_, syslog_pid_, exe_, cmdline_, priority_,
      cursor_;
  std::string scratch_;
};

decoder_spec journald_spec() {
  return {
      .name = "journald",
      .title = "systemd journal JSON export",
      .reads = "journalctl -o json / json-pretty output; sshd/PAM/sudo/su → authentication",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first) return 0;
            auto e = *p.first;
            if (json::has(e, "__REALTIME_TIMESTAMP") &&
                (json::has(e, "__CURSOR") || json::has(e, "MESSAGE"))) {
              return 95;
            }
            return 0;
          },
      .make = [] { return std::make_unique<journald_decoder>(); },
  };
}

}  // namespace mamori::builtins
