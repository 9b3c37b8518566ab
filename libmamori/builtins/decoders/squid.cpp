// Squid native access.log ("logformat squid"):
//   time elapsed client action/code size method URL ident hierarchy/peer type
// i.e. %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt (squid.conf.documented,
// "logformat"; wiki.squid-cache.org/Features/LogFormat). Fields are separated by runs of spaces
// (elapsed is right-aligned). Mapping: docs/formats/squid.md.

#include <array>

#include "mamori/decode/line_decoder.hpp"
#include "mamori/decode/text_scan.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

constexpr std::size_t field_count = 10;
constexpr std::string_view layout =
    "Squid native format: time elapsed client action/code size method URL ident "
    "hierarchy/peer type";

// Splits on runs of spaces into at most `max` fields; returns the number found (which may
// exceed max, counting the rest).
std::size_t split_spaces(std::string_view s, std::array<std::string_view, field_count>& out) {
  std::size_t n = 0;
  std::size_t k = 0;
  while (k < s.size()) {
    if (s[k] == ' ') {
      ++k;
      continue;
    }
    std::size_t end = s.find(' ', k);
    if (end == std::string_view::npos) end = s.size();
    if (n < out.size()) out[n] = s.substr(k, end - k);
    ++n;
    k = end;
  }
  return n;
}

bool is_epoch(std::string_view s) {
  const std::size_t dot = s.find('.');
  return text::all_digits(s.substr(0, dot)) &&
         (dot == std::string_view::npos || text::all_digits(s.substr(dot + 1)));
}

bool is_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 40)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (s.size() > 40) out += "...";
  out += "'";
  return out;
}

struct squid_fields {
  std::array<std::string_view, field_count> f;
  std::string_view action, code, hierarchy, peer;
};

// Validates one line; returns a reason when it is not a Squid native line.
std::optional<std::string> check(std::string_view line, squid_fields& out) {
  const std::size_t n = split_spaces(line, out.f);
  if (!is_epoch(out.f[0]) || n == 0) {
    return "field 1 " + quote(out.f[0]) + " is not an epoch timestamp (" + std::string(layout) +
           ")";
  }
  if (n < field_count) {
    return "expected " + std::to_string(field_count) + " space-separated fields, found " +
           std::to_string(n) + " (" + std::string(layout) + ")";
  }
  if (n > field_count) {
    return "expected " + std::to_string(field_count) + " space-separated fields, found " +
           std::to_string(n) + " (a space inside a field?)";
  }
  std::string_view elapsed = out.f[1];
  text::consume(elapsed, "-");
  if (!text::all_digits(elapsed))
    return "field 2 (elapsed ms) " + quote(out.f[1]) + " is not a number";
  const std::size_t slash = out.f[3].find('/');
  out.action = out.f[3].substr(0, slash);
  out.code = slash == std::string_view::npos ? std::string_view() : out.f[3].substr(slash + 1);
  if (!is_word(out.action) || !text::all_digits(out.code)) {
    return "field 4 " + quote(out.f[3]) + " is not ACTION/CODE (e.g. TCP_MISS/200)";
  }
  if (!text::all_digits(out.f[4]) && out.f[4] != "-") {
    return "field 5 (size) " + quote(out.f[4]) + " is not a number";
  }
  if (!is_word(out.f[5])) return "field 6 (method) " + quote(out.f[5]) + " is not a method";
  const std::size_t hs = out.f[8].find('/');
  if (hs == std::string_view::npos || !is_word(out.f[8].substr(0, hs))) {
    return "field 9 " + quote(out.f[8]) + " is not HIERARCHY/peer (e.g. HIER_DIRECT/192.0.2.1)";
  }
  out.hierarchy = out.f[8].substr(0, hs);
  out.peer = out.f[8].substr(hs + 1);
  return std::nullopt;
}

}  // namespace

class squid_decoder final : public line_decoder {
 public:
  squid_decoder()
      : time_(intern_field("time")),
        elapsed_(intern_field("elapsed")),
        client_(intern_field("client")),
        action_(intern_field("squid_action")),
        status_(intern_field("http_status")),
        bytes_(intern_field("bytes")),
        method_(intern_field("method")),
        url_(intern_field("url")),
        ident_(intern_field("ident")),
        hierarchy_(intern_field("hierarchy")),
        peer_(intern_field("peer")),
        type_(intern_field("content_type")) {}

 protected:
  line_result map_line(std::string_view line, event& ev, decode_context& ctx,
                       std::string& reason) override {
    if (text::trim(line).empty()) return line_result::skip;
    // One copy of the line; every field below is a view into it.
    const std::string_view s = ctx.store(line);
    squid_fields p;
    if (auto why = check(s, p)) {
      reason = std::move(*why);
      return line_result::reject;
    }
    const auto& f = p.f;
    auto t = timeparse::epoch_seconds(f[0]);
    if (!t) {
      reason = "field 1 " + quote(f[0]) + " is not an epoch timestamp";
      return line_result::reject;
    }
    ev.time_ns = *t;
    ev.class_uid = ocsf::event_class::http_activity;
    ev.activity_id = text::http_activity(f[5]);

    ev.add_raw(time_, value::string(f[0]));
    ev.add_raw(elapsed_, value::integer(text::to_int(f[1]).value_or(0)));
    ev.add_raw(client_, value::string(f[2]));
    ev.add_raw(action_, value::string(p.action));
    const std::int64_t code = *text::to_int(p.code);
    ev.add_raw(status_, value::integer(code));
    if (auto size = text::to_int(f[4])) {
      ev.add_raw(bytes_, value::integer(*size));
      text::put(ev, ocsf::attr::bytes_in, value::integer(*size));
    }
    ev.add_raw(method_, value::string(f[5]));
    ev.add_raw(url_, value::string(f[6]));
    if (f[7] != "-") ev.add_raw(ident_, value::string(f[7]));
    ev.add_raw(hierarchy_, value::string(p.hierarchy));
    if (p.peer != "-") ev.add_raw(peer_, value::string(p.peer));
    if (f[9] != "-") ev.add_raw(type_, value::string(f[9]));

    text::put(ev, text::is_ip_lenient(f[2]) ? ocsf::attr::src_ip : ocsf::attr::src_hostname,
              value::string(f[2]));
    text::put(ev, ocsf::attr::http_method, value::string(f[5]));
    text::put(ev, ocsf::attr::http_url, value::string(f[6]));
    const text::url_parts u = text::parse_url(f[6]);
    if (!u.scheme.empty()) text::put(ev, ocsf::attr::http_url_scheme, value::string(u.scheme));
    if (!u.host.empty()) text::put(ev, ocsf::attr::http_url_hostname, value::string(u.host));
    if (u.port) text::put(ev, ocsf::attr::http_url_port, value::integer(*u.port));
    if (!u.path.empty()) text::put(ev, ocsf::attr::http_url_path, value::string(u.path));
    if (code != 0) text::put(ev, ocsf::attr::http_response_code, value::integer(code));
    if (f[7] != "-") text::put(ev, ocsf::attr::actor_user_name, value::string(f[7]));
    if (text::is_ip_lenient(p.peer)) text::put(ev, ocsf::attr::dst_ip, value::string(p.peer));
    if (f[9] != "-") text::put(ev, ocsf::attr::http_content_type, value::string(f[9]));
    text::put(ev, ocsf::attr::metadata_product, value::string("Squid"));

    // Outcome: the proxy refused (TCP_DENIED...), or the status code says so.
    if (p.action.find("DENIED") != std::string_view::npos) {
      ev.status = ocsf::status_id::failure;
      ev.set(ocsf::attr::status_detail, value::string(p.action));
    } else if (code >= 100 && code < 400) {
      ev.status = ocsf::status_id::success;
    } else if (code >= 400) {
      ev.status = ocsf::status_id::failure;
    }
    return line_result::event;
  }

 private:
  field_id time_, elapsed_, client_, action_, status_, bytes_, method_, url_, ident_, hierarchy_,
      peer_, type_;
};

decoder_spec squid_spec() {
  return {
      .name = "squid",
      .title = "Squid native access.log",
      .reads =
          "Squid access.log in the native format (time elapsed client action/code size "
          "method URL ident hierarchy/peer type), including CONNECT host:port",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            return text::score_head_lines(s, 32, 80, [](std::string_view line) {
              squid_fields p;
              return !check(line, p).has_value();
            });
          },
      .make = [] { return std::make_unique<squid_decoder>(); },
  };
}

}  // namespace mamori::builtins
