// Zeek logs written as JSON (LogAscii::use_json=T, json-streaming-logs with "_path", or
// shipped streams with "@stream"): one object per line. The log is taken from "_path" or
// "@stream", else recognised from its fields, else from the file name (a hint only). "ts" may
// be epoch seconds or an ISO 8601 string. Field names shippers rewrite ("id_orig_h") are stored
// under Zeek's own ("id.orig_h"). Mapping: docs/formats/zeek.md.

#include <cmath>

#include "mamori/decode/json_decoder.hpp"
#include "mamori/decode/zeek.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

class zeek_json_decoder final : public json_decoder {
 public:
  zeek_json_decoder()
      : conn_state_(intern_field("conn_state")),
        qtype_name_(intern_field("qtype_name")),
        trans_depth_(intern_field("trans_depth")),
        method_(intern_field("method")),
        cipher_(intern_field("cipher")),
        established_(intern_field("established")),
        auth_success_(intern_field("auth_success")),
        kex_alg_(intern_field("kex_alg")),
        security_protocol_(intern_field("security_protocol")),
        cookie_(intern_field("cookie")),
        server_nb_(intern_field("server_nb_computer_name")),
        domainname_(intern_field("domainname")),
        request_type_(intern_field("request_type")) {}

  std::optional<std::string> map(simdjson::dom::element rec, event& ev,
                                 decode_context& ctx) override {
    if (!rec.is_object()) return "expected a JSON object (one Zeek record)";
    std::string_view path;
    if (auto p = json::str(rec, "_path")) {
      path = ctx.store(*p);
    } else if (auto s = json::str(rec, "@stream")) {
      path = ctx.store(*s);
    }
    if (auto ts = json::at(rec, "ts")) {
      if (ts->is_string()) {
        auto t = timeparse::iso8601(ts->get_string().value());
        if (!t) return "ts is neither epoch seconds nor an ISO 8601 timestamp";
        ev.time_ns = *t;
      } else if (ts->is_number()) {
        // Microsecond resolution, as Zeek writes it; a double cannot hold ns at this magnitude.
        auto ns = timeparse::double_seconds_to_ns(ts->get_double().value());
        if (!ns) return "ts is out of range";
        ev.time_ns = *ns;
      }
    }
    for (auto [key, child] : rec.get_object()) {
      const field_id id = fields_.get(zeek::canonical_name(key));
      if (child.is_array()) {
        for (auto e : child.get_array()) ev.add_raw(id, json::to_value(e, ctx));
      } else if (child.is_object()) {
        flatten(child, ev, ctx, zeek::canonical_name(key));
      } else {
        ev.add_raw(id, json::to_value(child, ctx));
      }
    }
    if (path.empty()) path = guess(ev);
    if (path.empty()) {
      if (hint_.empty()) hint_ = std::string(zeek::path_from_filename(ctx.path()));
      path = ctx.store(hint_);
    }
    zeek::normalize(path, ev, ctx);
    return std::nullopt;
  }

 private:
  // The log of a record without _path, from fields only that log has.
  std::string_view guess(const event& ev) const {
    auto has = [&](field_id id) { return ev.raw(id) != nullptr; };
    if (has(conn_state_)) return "conn";
    if (has(qtype_name_)) return "dns";
    if (has(trans_depth_) && has(method_)) return "http";
    if (has(auth_success_) || has(kex_alg_)) return "ssh";
    if (has(cipher_) && has(established_)) return "ssl";
    if (has(security_protocol_) || has(cookie_)) return "rdp";
    if (has(server_nb_) || has(domainname_)) return "ntlm";
    if (has(request_type_)) return "kerberos";
    return {};
  }

  field_id conn_state_, qtype_name_, trans_depth_, method_, cipher_, established_, auth_success_,
      kex_alg_, security_protocol_, cookie_, server_nb_, domainname_, request_type_;
  std::string hint_;
};

decoder_spec zeek_json_spec() {
  return {
      .name = "zeek_json",
      .title = "Zeek logs (JSON)",
      .reads =
          "Zeek JSON logs (one object per line, with _path or @stream, or recognised by "
          "fields): conn, dns, http, ssl, ssh, rdp, ntlm, kerberos mapped; others as Base "
          "Events",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            const json_probe& p = probe_json(s);
            if (!p.first || !p.first->is_object()) return 0;
            auto e = *p.first;
            if (json::has(e, "_path") && (json::has(e, "ts") || json::has(e, "_write_ts"))) {
              return 95;
            }
            if (json::has(e, "@stream") && json::str(e, "@proc") == "zeek") return 95;
            if (json::has(e, "ts") && json::has(e, "uid") &&
                (json::has(e, "id.orig_h") || json::has(e, "id_orig_h"))) {
              return 85;
            }
            return 0;
          },
      .make = [] { return std::make_unique<zeek_json_decoder>(); },
  };
}

}  // namespace mamori::builtins
