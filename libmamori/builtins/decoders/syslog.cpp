// Syslog text files: RFC 3164 (BSD) lines with or without <PRI>, host and year, the RFC 3339
// timestamp variant rsyslog writes (RSYSLOG_FileFormat), and RFC 5424 lines with structured
// data. sshd/PAM/sudo/su/login messages become authentication events (linux_auth.hpp); every
// other line is a Base Event. Mapping: docs/formats/syslog.md.
// Specs: RFC 3164 section 4.1 (PRI, TIMESTAMP, HOSTNAME, TAG), RFC 5424 section 6 (HEADER,
// STRUCTURED-DATA with \" \\ \] escapes, NILVALUE "-", BOM before MSG).

#include <array>

#include "mamori/decode/json_decoder.hpp"
#include "mamori/decode/line_decoder.hpp"
#include "mamori/decode/linux_auth.hpp"
#include "mamori/decode/text_scan.hpp"
#include "mamori/decode/yearless.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

using text::consume;

struct sd_param {
  std::string_view id, name, value;
  bool escaped = false;
};

struct syslog_line {
  int pri = -1;
  bool rfc5424 = false;
  // Timestamp: either absolute (time_ns valid) or year-less (month/day/second_of_day).
  bool has_time = false;
  bool yearless = false;
  std::int64_t time_ns = 0;
  unsigned month = 0, day = 0;
  int year = 0;
  std::int64_t second_of_day = 0;
  std::int64_t fraction_ns = 0;
  std::string_view hostname, appname, procid, msgid, message;
  std::string_view structured_data;  // RFC 5424 SD text, "" when NILVALUE
  bool tag_colon = false;            // RFC 3164: the tag ended with ':' (strict sniffing)
};

bool two_digits(std::string_view s, std::size_t pos, unsigned& out) {
  if (pos + 2 > s.size() || !text::is_digit(s[pos]) || !text::is_digit(s[pos + 1])) return false;
  out = static_cast<unsigned>((s[pos] - '0') * 10 + (s[pos + 1] - '0'));
  return true;
}

// "hh:mm:ss[.frac]" at the start of s; consumes it.
bool clock(std::string_view& s, std::int64_t& second_of_day, std::int64_t& frac) {
  unsigned h = 0, m = 0, sec = 0;
  if (s.size() < 8 || !two_digits(s, 0, h) || s[2] != ':' || !two_digits(s, 3, m) || s[5] != ':' ||
      !two_digits(s, 6, sec) || h > 23 || m > 59 || sec > 60) {
    return false;
  }
  s.remove_prefix(8);
  second_of_day = h * 3600 + m * 60 + sec;
  frac = 0;
  if (!s.empty() && s.front() == '.') {
    std::size_t n = 1;
    std::int64_t scale = 100'000'000;
    while (n < s.size() && text::is_digit(s[n])) {
      frac += (s[n] - '0') * scale;
      scale /= 10;
      ++n;
    }
    if (n == 1) return false;
    s.remove_prefix(n);
  }
  return true;
}

// "Mmm dd" / "Mmm  d" at the start of s; consumes it.
bool month_day(std::string_view& s, unsigned& month, unsigned& day) {
  if (s.size() < 6 || s[3] != ' ') return false;
  month = timeparse::month_from_abbrev(s.substr(0, 3));
  if (month == 0) return false;
  if (s[4] == ' ' && text::is_digit(s[5])) {
    day = static_cast<unsigned>(s[5] - '0');
  } else if (!two_digits(s, 4, day)) {
    return false;
  }
  if (day < 1 || day > 31) return false;
  s.remove_prefix(6);
  return true;
}

bool year4(std::string_view s, int& year) {
  if (s.size() < 4) return false;
  year = 0;
  for (int k = 0; k < 4; ++k) {
    if (!text::is_digit(s[k])) return false;
    year = year * 10 + (s[k] - '0');
  }
  return year >= 1970;
}

// The timestamp of an RFC 3164-style line; consumes it.
bool bsd_timestamp(std::string_view& s, syslog_line& out) {
  std::string_view t = s;
  int year = 0;
  if (month_day(t, out.month, out.day) && consume(t, " ")) {
    // "Mmm dd hh:mm:ss" or "Mmm dd yyyy hh:mm:ss"
    if (year4(t, year) && t.size() > 4 && t[4] == ' ') {
      t.remove_prefix(5);
      out.year = year;
    }
    if (!clock(t, out.second_of_day, out.fraction_ns)) return false;
    out.has_time = true;
    out.yearless = out.year == 0;
    s = t;
    return true;
  }
  t = s;
  if (year4(t, year) && t.size() > 5 && t[4] == ' ') {
    // "yyyy Mmm dd hh:mm:ss"
    t.remove_prefix(5);
    if (month_day(t, out.month, out.day) && consume(t, " ") &&
        clock(t, out.second_of_day, out.fraction_ns)) {
      out.year = year;
      out.has_time = true;
      s = t;
      return true;
    }
    return false;
  }
  t = s;
  if (t.size() >= 19 && year4(t, year) && t[4] == '-') {
    // RFC 3339, as rsyslog's file format writes it.
    const std::size_t sp = t.find(' ');
    auto ns = timeparse::iso8601(t.substr(0, sp));
    if (!ns) return false;
    out.time_ns = *ns;
    out.has_time = true;
    s.remove_prefix(sp == std::string_view::npos ? s.size() : sp);
    return true;
  }
  return false;
}

std::string_view next_token(std::string_view& s) {
  const std::size_t sp = s.find(' ');
  std::string_view tok = s.substr(0, sp);
  s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
  return tok;
}

bool looks_like_tag_token(std::string_view tok) {
  if (tok.size() < 2) return false;
  if (tok.back() == ':') return tok.find(' ') == std::string_view::npos;
  return tok.ends_with("]:") && tok.find('[') != std::string_view::npos;
}

// "tag[pid]: msg", "tag: msg", "tag msg" (RFC 3164 section 4.1.3: the TAG ends at the first
// character that is not part of it).
void parse_tag(std::string_view s, syslog_line& out) {
  // sysklogd's "-- MARK --" style prefix seen in old Red Hat logs ("host  -- root[12]: ...").
  consume(s, "-- ");
  std::size_t n = 0;
  while (n < s.size() && s[n] != ' ' && s[n] != ':' && s[n] != '[') ++n;
  if (n == 0 || n > 64) {
    out.message = s;
    return;
  }
  out.appname = s.substr(0, n);
  s.remove_prefix(n);
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) {
      out.appname = {};
      out.message = text::trim(s);
      return;
    }
    out.procid = s.substr(1, close - 1);
    s.remove_prefix(close + 1);
  }
  if (consume(s, ":")) out.tag_colon = true;
  consume(s, " ");
  out.message = s;
}

// RFC 5424 STRUCTURED-DATA at the start of s; consumes it. Calls f(param) for each parameter.
template <typename F>
bool structured_data(std::string_view& s, F&& f) {
  if (consume(s, "-")) return true;
  if (s.empty() || s.front() != '[') return false;
  while (!s.empty() && s.front() == '[') {
    s.remove_prefix(1);
    std::size_t n = 0;
    while (n < s.size() && s[n] != ' ' && s[n] != ']' && s[n] != '=' && s[n] != '"') ++n;
    if (n == 0 || n > 32) return false;
    const std::string_view id = s.substr(0, n);
    s.remove_prefix(n);
    while (consume(s, " ")) {
      std::size_t k = 0;
      while (k < s.size() && s[k] != '=' && s[k] != ' ' && s[k] != ']' && s[k] != '"') ++k;
      if (k == 0 || k > 32 || k + 1 >= s.size() || s[k] != '=' || s[k + 1] != '"') return false;
      sd_param p{id, s.substr(0, k), {}, false};
      s.remove_prefix(k + 2);
      std::size_t v = 0;
      while (v < s.size() && s[v] != '"') {
        if (s[v] == '\\' && v + 1 < s.size()) {
          p.escaped = true;
          ++v;
        }
        ++v;
      }
      if (v >= s.size()) return false;
      p.value = s.substr(0, v);
      s.remove_prefix(v + 1);
      f(p);
    }
    if (!consume(s, "]")) return false;
  }
  return true;
}

std::string_view nil(std::string_view s) {
  return s == "-" ? std::string_view() : s;
}

// Parses one line. `reason` is set when it returns false.
template <typename F>
bool parse_syslog(std::string_view s, syslog_line& out, std::string& reason, F&& on_sd) {
  if (consume(s, "<")) {
    std::size_t n = 0;
    int pri = 0;
    while (n < s.size() && n < 3 && text::is_digit(s[n])) pri = pri * 10 + (s[n++] - '0');
    if (n == 0 || n >= s.size() || s[n] != '>' || pri > 191) {
      reason = "malformed <PRI> at the start of the line (RFC 3164 section 4.1.1)";
      return false;
    }
    out.pri = pri;
    s.remove_prefix(n + 1);
    // RFC 5424: "<PRI>VERSION SP ..."
    std::size_t v = 0;
    while (v < s.size() && v < 3 && text::is_digit(s[v])) ++v;
    if (v > 0 && v < s.size() && s[v] == ' ' && s[0] != '0') {
      out.rfc5424 = true;
      s.remove_prefix(v + 1);
      std::string_view ts = next_token(s);
      if (ts != "-") {
        auto ns = timeparse::iso8601(ts);
        if (!ns) {
          reason = "RFC 5424 TIMESTAMP is not an RFC 3339 timestamp";
          return false;
        }
        out.time_ns = *ns;
        out.has_time = true;
      }
      out.hostname = nil(next_token(s));
      out.appname = nil(next_token(s));
      out.procid = nil(next_token(s));
      out.msgid = nil(next_token(s));
      if (s.empty()) {
        reason =
            "RFC 5424 header is incomplete: expected TIMESTAMP HOSTNAME APP-NAME PROCID MSGID "
            "STRUCTURED-DATA";
        return false;
      }
      const std::string_view sd_start = s;
      if (!structured_data(s, on_sd)) {
        reason = "RFC 5424 STRUCTURED-DATA is malformed";
        return false;
      }
      out.structured_data = sd_start.substr(0, sd_start.size() - s.size());
      if (out.structured_data == "-") out.structured_data = {};
      if (!s.empty() && !consume(s, " ")) {
        reason = "RFC 5424 STRUCTURED-DATA is not followed by a space";
        return false;
      }
      consume(s, "\xEF\xBB\xBF");  // BOM: MSG is UTF-8
      out.message = s;
      return true;
    }
  }
  if (!bsd_timestamp(s, out)) {
    reason =
        "no syslog timestamp at the start of the line (expected 'Mmm dd hh:mm:ss', an RFC 3339 "
        "timestamp, or an RFC 5424 header)";
    return false;
  }
  if (!s.empty() && !consume(s, " ")) {
    reason = "the syslog timestamp is not followed by a space";
    return false;
  }
  while (consume(s, " ")) {
  }
  // HOSTNAME is optional: a first token shaped like a tag ("sshd[12]:", "kernel:") means the
  // writer left it out.
  std::string_view rest = s;
  std::string_view first = next_token(rest);
  if (!looks_like_tag_token(first)) {
    out.hostname = first;
    s = rest;
    while (consume(s, " ")) {
    }
  }
  parse_tag(s, out);
  return true;
}

struct no_sd {
  void operator()(const sd_param&) const {}
};

// Strict check for sniffing: a timestamp, and a tag ending in ':' (or an RFC 5424 header).
bool strict_syslog(std::string_view line) {
  syslog_line l;
  std::string reason;
  if (!parse_syslog(line, l, reason, no_sd{})) return false;
  if (l.rfc5424) return l.has_time || !l.hostname.empty();
  return l.tag_colon && !l.appname.empty();
}

// RFC 5424 section 6.2.1 severity → OCSF severity_id.
ocsf::severity_id severity_of(int sev) {
  static constexpr std::array<ocsf::severity_id, 8> map = {
      ocsf::severity_id::fatal,         ocsf::severity_id::critical,
      ocsf::severity_id::critical,      ocsf::severity_id::high,
      ocsf::severity_id::medium,        ocsf::severity_id::low,
      ocsf::severity_id::informational, ocsf::severity_id::informational};
  return map[static_cast<std::size_t>(sev & 7)];
}

}  // namespace

class syslog_decoder final : public line_decoder {
 public:
  syslog_decoder()
      : hostname_(intern_field("hostname")),
        appname_(intern_field("appname")),
        procid_(intern_field("procid")),
        msgid_(intern_field("msgid")),
        facility_(intern_field("facility")),
        severity_(intern_field("severity")),
        message_(intern_field("message")) {}

 protected:
  line_result map_line(std::string_view line, event& ev, decode_context& ctx,
                       std::string& reason) override {
    if (text::trim(line).empty()) return line_result::skip;
    // One copy of the line; every field below is a view into it.
    const std::string_view s = ctx.store(line);
    syslog_line l;
    sd_.clear();
    if (!parse_syslog(s, l, reason, [&](const sd_param& p) { sd_.push_back(p); })) {
      return line_result::reject;
    }
    if (l.has_time) {
      if (l.month == 0) {  // RFC 5424 or RFC 3339: absolute
        ev.time_ns = l.time_ns;
      } else {
        int year = l.year;
        if (l.yearless) {
          if (!years_) years_.emplace(ctx);
          year = years_->year_for(l.month, l.day, l.second_of_day);
        }
        ev.time_ns = (timeparse::days_from_civil(year, l.month, l.day) * 86400 + l.second_of_day) *
                         1'000'000'000 +
                     l.fraction_ns;
      }
    }
    if (l.pri >= 0) {
      ev.add_raw(facility_, value::integer(l.pri >> 3));
      ev.add_raw(severity_, value::integer(l.pri & 7));
      ev.severity = severity_of(l.pri & 7);
    }
    if (!l.hostname.empty()) {
      ev.add_raw(hostname_, value::string(l.hostname));
      text::put(ev, ocsf::attr::device_hostname, value::string(l.hostname));
    }
    if (!l.appname.empty()) {
      ev.add_raw(appname_, value::string(l.appname));
      text::put(ev, ocsf::attr::process_name, value::string(l.appname));
    }
    if (!l.procid.empty()) {
      ev.add_raw(procid_, value::string(l.procid));
      if (auto pid = text::to_int(l.procid))
        text::put(ev, ocsf::attr::process_pid, value::integer(*pid));
    }
    if (!l.msgid.empty()) ev.add_raw(msgid_, value::string(l.msgid));
    for (const sd_param& p : sd_) {
      name_.assign("sd.").append(p.id).append(".").append(p.name);
      ev.add_raw(sd_fields_.get(name_),
                 value::string(p.escaped ? unescape(p.value, ctx) : p.value));
    }
    const std::string_view msg = text::trim(l.message);
    ev.add_raw(message_, value::string(msg));
    text::put(ev, ocsf::attr::message, value::string(msg));
    if (linux_auth::interpret(l.appname, msg, ev, ctx) && !l.hostname.empty()) {
      ev.set(ocsf::attr::dst_hostname, value::string(l.hostname));
    }
    return line_result::event;
  }

 private:
  // RFC 5424 section 6.3.3: '"', '\' and ']' are escaped with '\' in PARAM-VALUE.
  static std::string_view unescape(std::string_view v, decode_context& ctx) {
    std::string out;
    out.reserve(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (v[k] == '\\' && k + 1 < v.size() &&
          (v[k + 1] == '"' || v[k + 1] == '\\' || v[k + 1] == ']')) {
        ++k;
      }
      out += v[k];
    }
    return ctx.store(out);
  }

  field_id hostname_, appname_, procid_, msgid_, facility_, severity_, message_;
  field_cache sd_fields_;
  std::vector<sd_param> sd_;
  std::string name_;
  std::optional<year_inference> years_;
};

decoder_spec syslog_spec() {
  return {
      .name = "syslog",
      .title = "Syslog (RFC 3164 / RFC 5424)",
      .reads =
          "syslog files: BSD lines with or without <PRI>, host and year, rsyslog RFC 3339 "
          "timestamps, RFC 5424 with structured data; sshd/PAM/sudo/su → authentication",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) { return text::score_head_lines(s, 16, 80, strict_syslog); },
      .make = [] { return std::make_unique<syslog_decoder>(); },
  };
}

}  // namespace mamori::builtins
