// Proxifier connection log (Windows/macOS proxy client; format as in the loghub Proxifier
// sample and Proxifier's "Log" window):
//   [MM.DD HH:MM:SS] app[ *64] - host:port open through proxy proxyhost:port HTTPS|SOCKS5
//   [MM.DD HH:MM:SS] app - host:port close, N bytes (x KB) sent, M bytes received, lifetime T
//   [MM.DD HH:MM:SS] app - host:port error : reason
// The year is not written: it comes from decode_options::default_year (yearless.hpp).
// Mapping: docs/formats/proxifier.md.

#include "mamori/decode/line_decoder.hpp"
#include "mamori/decode/text_scan.hpp"
#include "mamori/decode/yearless.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

using text::consume;

struct proxifier_line {
  unsigned month = 0, day = 0;
  std::int64_t second_of_day = 0;
  std::string_view app, destination, host, rest;
  std::optional<std::int64_t> port;
  bool bits64 = false;
};

bool two(std::string_view s, std::size_t pos, unsigned& out) {
  if (pos + 2 > s.size() || !text::is_digit(s[pos]) || !text::is_digit(s[pos + 1])) return false;
  out = static_cast<unsigned>((s[pos] - '0') * 10 + (s[pos + 1] - '0'));
  return true;
}

std::optional<std::string> parse(std::string_view s, proxifier_line& out) {
  unsigned h = 0, m = 0, sec = 0;
  if (s.size() < 18 || s[0] != '[' || !two(s, 1, out.month) || s[3] != '.' || !two(s, 4, out.day) ||
      s[6] != ' ' || !two(s, 7, h) || s[9] != ':' || !two(s, 10, m) || s[12] != ':' ||
      !two(s, 13, sec) || s[15] != ']' || s[16] != ' ') {
    return "line does not start with a Proxifier timestamp '[MM.DD HH:MM:SS] '";
  }
  if (out.month < 1 || out.month > 12 || out.day < 1 || out.day > 31 || h > 23 || m > 59 ||
      sec > 60) {
    return "the timestamp '" + std::string(s.substr(0, 16)) + "' is not a valid date and time";
  }
  out.second_of_day = h * 3600 + m * 60 + sec;
  s.remove_prefix(17);
  const std::size_t dash = s.find(" - ");
  if (dash == std::string_view::npos || dash == 0) {
    return "expected 'application - host:port ...' after the timestamp";
  }
  std::string_view app = s.substr(0, dash);
  if (text::consume_back(app, " *64")) out.bits64 = true;
  out.app = app;
  s.remove_prefix(dash + 3);
  const std::size_t sp = s.find(' ');
  out.destination = s.substr(0, sp);
  out.rest = sp == std::string_view::npos ? std::string_view() : s.substr(sp + 1);
  const std::size_t colon = out.destination.rfind(':');
  if (colon == std::string_view::npos ||
      !(out.port = text::to_int(out.destination.substr(colon + 1)))) {
    return "destination '" + std::string(out.destination.substr(0, 60)) + "' is not host:port";
  }
  out.host = out.destination.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  return std::nullopt;
}

// "1190 bytes (1.16 KB) sent" → 1190 from the text before `what`.
std::optional<std::int64_t> byte_count(std::string_view s, std::string_view what) {
  const std::size_t end = s.find(what);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view head = s.substr(0, end);
  const std::size_t bytes = head.rfind(" bytes");
  if (bytes == std::string_view::npos) return std::nullopt;
  head = head.substr(0, bytes);
  const std::size_t sp = head.find_last_of(" ,");
  return text::to_int(sp == std::string_view::npos ? head : head.substr(sp + 1));
}

}  // namespace

class proxifier_decoder final : public line_decoder {
 public:
  proxifier_decoder()
      : app_(intern_field("app")),
        bits_(intern_field("bits")),
        destination_(intern_field("destination")),
        action_(intern_field("action")),
        proxy_(intern_field("proxy")),
        proxy_protocol_(intern_field("proxy_protocol")),
        sent_(intern_field("bytes_sent")),
        received_(intern_field("bytes_received")),
        lifetime_(intern_field("lifetime")),
        error_(intern_field("error")),
        message_(intern_field("message")) {}

 protected:
  line_result map_line(std::string_view line, event& ev, decode_context& ctx,
                       std::string& reason) override {
    if (text::trim(line).empty()) return line_result::skip;
    const std::string_view s = ctx.store(text::trim(line));
    proxifier_line l;
    if (auto why = parse(s, l)) {
      reason = std::move(*why);
      return line_result::reject;
    }
    if (!years_) years_.emplace(ctx);
    const int year = years_->year_for(l.month, l.day, l.second_of_day);
    ev.time_ns = (timeparse::days_from_civil(year, l.month, l.day) * 86400 + l.second_of_day) *
                 1'000'000'000;
    ev.class_uid = ocsf::event_class::network_activity;
    ev.add_raw(app_, value::string(l.app));
    if (l.bits64) ev.add_raw(bits_, value::integer(64));
    ev.add_raw(destination_, value::string(l.destination));
    ev.set(ocsf::attr::process_name, value::string(l.app));
    ev.set(text::is_ip(l.host) ? ocsf::attr::dst_ip : ocsf::attr::dst_hostname,
           value::string(l.host));
    ev.set(ocsf::attr::dst_port, value::integer(*l.port));
    ev.set(ocsf::attr::metadata_product, value::string("Proxifier"));
    std::string_view rest = text::trim(l.rest);
    ev.add_raw(message_, value::string(rest));
    if (consume(rest, "open")) {
      ev.activity_id = ocsf::activity::open;
      ev.status = ocsf::status_id::success;
      ev.add_raw(action_, value::string("open"));
      if (consume(rest, " through proxy ")) {
        ev.add_raw(proxy_, value::string(text::take_until(rest, ' ')));
        if (!rest.empty()) ev.add_raw(proxy_protocol_, value::string(rest));
      }
    } else if (consume(rest, "close")) {
      ev.activity_id = ocsf::activity::close;
      ev.status = ocsf::status_id::success;
      ev.add_raw(action_, value::string("close"));
      const auto sent = byte_count(rest, " sent");
      const auto received = byte_count(rest, " received");
      if (sent) {
        ev.add_raw(sent_, value::integer(*sent));
        ev.set(ocsf::attr::bytes_out, value::integer(*sent));
      }
      if (received) {
        ev.add_raw(received_, value::integer(*received));
        ev.set(ocsf::attr::bytes_in, value::integer(*received));
      }
      if (sent || received) {
        ev.set(ocsf::attr::bytes_total, value::integer(sent.value_or(0) + received.value_or(0)));
      }
      if (const std::size_t lt = rest.find("lifetime "); lt != std::string_view::npos) {
        ev.add_raw(lifetime_, value::string(rest.substr(lt + 9)));
      }
    } else if (consume(rest, "error")) {
      ev.activity_id = 4;  // Fail
      ev.status = ocsf::status_id::failure;
      ev.add_raw(action_, value::string("error"));
      consume(rest, " :");
      rest = text::trim(rest);
      ev.add_raw(error_, value::string(rest));
      ev.set(ocsf::attr::status_detail, value::string(rest));
      if (const std::size_t px = rest.find(" proxy "); px != std::string_view::npos) {
        std::string_view p = rest.substr(px + 7);
        ev.add_raw(proxy_, value::string(text::take_until(p, ' ')));
      }
    } else {
      ev.activity_id = ocsf::activity::other;
    }
    return line_result::event;
  }

 private:
  field_id app_, bits_, destination_, action_, proxy_, proxy_protocol_, sent_, received_, lifetime_,
      error_, message_;
  std::optional<year_inference> years_;
};

decoder_spec proxifier_spec() {
  return {
      .name = "proxifier",
      .title = "Proxifier connection log",
      .reads = "Proxifier logs ([MM.DD HH:MM:SS] app - host:port open/close/error)",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            return text::score_head_lines(s, 16, 80, [](std::string_view line) {
              proxifier_line l;
              if (parse(line, l)) return false;
              return l.rest.starts_with("open") || l.rest.starts_with("close") ||
                     l.rest.starts_with("error");
            });
          },
      .make = [] { return std::make_unique<proxifier_decoder>(); },
  };
}

}  // namespace mamori::builtins
