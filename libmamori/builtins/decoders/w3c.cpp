// W3C Extended Log File Format (W3C Working Draft WD-logfile-960323) as written by IIS and by
// secure web gateways (Blue Coat/Symantec ProxySG ELFF, Forcepoint, ...): directives #Software,
// #Version, #Date, #Fields (which may change mid-file), then one entry per line with the fields
// separated by white space, "-" for no value, strings optionally in double quotes ("" inside
// for a quote). IIS writes spaces in the user agent as '+'.
// Raw fields keep the #Fields names exactly (date, time, c-ip, cs-username, cs-method,
// cs-uri-stem, cs(User-Agent), ...), the names Sigma's proxy and webserver rules use.
// Mapping: docs/formats/w3c.md.

#include "mamori/decode/json_decoder.hpp"
#include "mamori/decode/line_decoder.hpp"
#include "mamori/decode/text_scan.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

// What a #Fields name means for the normalized event.
enum class role : std::uint8_t {
  none,
  date,
  time,
  c_ip,
  c_port,
  s_ip,
  r_ip,
  s_port,
  username,
  method,
  uri_stem,
  uri_query,
  uri,
  uri_scheme,
  uri_port,
  host,
  status,
  sc_bytes,
  cs_bytes,
  user_agent,
  referer,
  content_type,
  action,
};

role role_of(std::string_view name) {
  static constexpr std::pair<std::string_view, role> table[] = {
      {"date", role::date},
      {"time", role::time},
      {"c-ip", role::c_ip},
      {"c-port", role::c_port},
      {"s-ip", role::s_ip},
      {"r-ip", role::r_ip},
      {"s-port", role::s_port},
      {"cs-username", role::username},
      {"cs-method", role::method},
      {"cs-uri-stem", role::uri_stem},
      {"cs-uri-path", role::uri_stem},
      {"cs-uri-query", role::uri_query},
      {"cs-uri", role::uri},
      {"cs-uri-scheme", role::uri_scheme},
      {"cs-uri-port", role::uri_port},
      {"cs-host", role::host},
      {"cs-uri-host", role::host},
      {"sc-status", role::status},
      {"sc-bytes", role::sc_bytes},
      {"cs-bytes", role::cs_bytes},
      {"cs(User-Agent)", role::user_agent},
      {"cs(user-agent)", role::user_agent},
      {"cs(Referer)", role::referer},
      {"cs(Referrer)", role::referer},
      {"rs(Content-Type)", role::content_type},
      {"sc(Content-Type)", role::content_type},
      {"s-action", role::action},
      {"sc-filter-result", role::action},
  };
  for (const auto& [n, r] : table)
    if (n == name) return r;
  return role::none;
}

// Numeric fields are typed so rules compare numbers (sc-status >= 500).
bool numeric_name(std::string_view name) {
  return name.ends_with("-status") || name.ends_with("-bytes") || name.ends_with("-port") ||
         name == "time-taken" || name == "sc-substatus" || name == "sc-win32-status";
}

struct token {
  std::string_view text;
  bool quoted = false;
  bool doubled_quote = false;  // contains "" to unescape
};

// Splits an entry on runs of white space, honouring double-quoted strings. Returns false on an
// unterminated quote.
bool split_entry(std::string_view s, std::vector<token>& out) {
  out.clear();
  std::size_t k = 0;
  while (k < s.size()) {
    while (k < s.size() && (s[k] == ' ' || s[k] == '\t')) ++k;
    if (k == s.size()) break;
    if (s[k] == '"') {
      token t{{}, true, false};
      const std::size_t start = ++k;
      while (true) {
        if (k >= s.size()) return false;
        if (s[k] == '"') {
          if (k + 1 < s.size() && s[k + 1] == '"') {
            t.doubled_quote = true;
            k += 2;
            continue;
          }
          break;
        }
        ++k;
      }
      t.text = s.substr(start, k - start);
      out.push_back(t);
      ++k;
      continue;
    }
    const std::size_t start = k;
    while (k < s.size() && s[k] != ' ' && s[k] != '\t') ++k;
    out.push_back({s.substr(start, k - start), false, false});
  }
  return true;
}

bool is_directive(std::string_view line) {
  for (std::string_view d : {"#Software:", "#Version:", "#Date:", "#Fields:", "#Remark:",
                             "#Start-Date:", "#End-Date:"}) {
    if (line.starts_with(d)) return true;
  }
  return false;
}

}  // namespace

class w3c_decoder final : public line_decoder {
 protected:
  line_result map_line(std::string_view line, event& ev, decode_context& ctx,
                       std::string& reason) override {
    if (text::trim(line).empty()) return line_result::skip;
    if (line.front() == '#') {
      directive(line);
      return line_result::skip;
    }
    if (names_.empty()) {
      reason = "entry before any #Fields directive (W3C extended log)";
      return line_result::reject;
    }
    const std::string_view s = ctx.store(line);
    if (!split_entry(s, tokens_)) {
      reason = "unterminated quoted string";
      return line_result::reject;
    }
    if (tokens_.size() != names_.size()) {
      reason = "entry has " + std::to_string(tokens_.size()) + " fields, #Fields declares " +
               std::to_string(names_.size());
      return line_result::reject;
    }
    ev.class_uid = ocsf::event_class::http_activity;
    std::string_view date = header_date_, clock, method, stem, query, uri, scheme, host;
    std::optional<std::int64_t> port, status;
    for (std::size_t k = 0; k < tokens_.size(); ++k) {
      const token& t = tokens_[k];
      if (t.text == "-") continue;  // no value (quoted or not)
      std::string_view v = t.text;
      if (t.doubled_quote) v = unquote(v, ctx);
      const field_id id = ids_[k];
      const std::optional<std::int64_t> n = numeric_[k] ? text::to_int(v) : std::nullopt;
      ev.add_raw(id, n ? value::integer(*n) : value::string(v));
      switch (roles_[k]) {
        case role::date:
          date = v;
          break;
        case role::time:
          clock = v;
          break;
        case role::c_ip:
          ev.set(text::is_ip(v) ? ocsf::attr::src_ip : ocsf::attr::src_hostname, value::string(v));
          break;
        case role::c_port:
          if (n) ev.set(ocsf::attr::src_port, value::integer(*n));
          break;
        case role::s_ip:
          if (ev.get(ocsf::attr::dst_ip) == nullptr) ev.set(ocsf::attr::dst_ip, value::string(v));
          break;
        case role::r_ip:
          ev.set(ocsf::attr::dst_ip, value::string(v));
          break;
        case role::s_port:
          if (n) {
            ev.set(ocsf::attr::dst_port, value::integer(*n));
            if (!port) port = n;
          }
          break;
        case role::uri_port:
          if (n) port = n;
          break;
        case role::username:
          ev.set(ocsf::attr::actor_user_name, value::string(v));
          break;
        case role::method:
          method = v;
          break;
        case role::uri_stem:
          stem = v;
          break;
        case role::uri_query:
          query = v;
          break;
        case role::uri:
          uri = v;
          break;
        case role::uri_scheme:
          scheme = v;
          break;
        case role::host:
          host = v;
          break;
        case role::status:
          status = n;
          break;
        case role::sc_bytes:
          if (n) ev.set(ocsf::attr::bytes_in, value::integer(*n));
          break;
        case role::cs_bytes:
          if (n) ev.set(ocsf::attr::bytes_out, value::integer(*n));
          break;
        case role::user_agent:
          ev.set(ocsf::attr::http_user_agent, value::string(t.quoted ? v : plus_to_space(v, ctx)));
          break;
        case role::referer:
          ev.set(ocsf::attr::http_referrer, value::string(v));
          break;
        case role::content_type:
          ev.set(ocsf::attr::http_content_type, value::string(v));
          break;
        case role::action:
          if (v.find("DENIED") != std::string_view::npos ||
              v.find("BLOCKED") != std::string_view::npos) {
            ev.status = ocsf::status_id::failure;
            ev.set(ocsf::attr::status_detail, value::string(v));
          }
          break;
        case role::none:
          break;
      }
    }
    // W3C: date and time are in GMT.
    if (!clock.empty()) {
      scratch_.assign(date).append("T").append(clock).append("Z");
      if (auto t = timeparse::iso8601(scratch_)) ev.time_ns = *t;
    }
    if (!method.empty()) {
      ev.activity_id = text::http_activity(method);
      ev.set(ocsf::attr::http_method, value::string(method));
    }
    if (!uri.empty()) {
      const text::url_parts u = text::parse_url(uri);
      if (scheme.empty()) scheme = u.scheme;
      if (host.empty()) host = u.host;
      if (!port) port = u.port;
      if (stem.empty()) stem = u.path;
      ev.set(ocsf::attr::http_url, value::string(uri));
    } else if (!stem.empty() || !host.empty()) {
      scratch_.clear();
      if (!host.empty()) {
        // IIS logs no scheme: the server port tells (443 → https).
        if (scheme.empty()) scheme = port == 443 ? "https" : "http";
        scratch_.append(scheme).append("://").append(host);
        if (port && !(scheme == "http" && *port == 80) && !(scheme == "https" && *port == 443)) {
          scratch_.append(":").append(std::to_string(*port));
        }
      }
      scratch_.append(stem);
      if (!query.empty()) scratch_.append("?").append(query);
      ev.set(ocsf::attr::http_url, value::string(ctx.store(scratch_)));
    }
    if (!scheme.empty()) ev.set(ocsf::attr::http_url_scheme, value::string(scheme));
    if (!host.empty()) ev.set(ocsf::attr::http_url_hostname, value::string(host));
    if (port) ev.set(ocsf::attr::http_url_port, value::integer(*port));
    if (!stem.empty()) ev.set(ocsf::attr::http_url_path, value::string(stem));
    if (status) {
      ev.set(ocsf::attr::http_response_code, value::integer(*status));
      if (ev.status == ocsf::status_id::unknown) {
        ev.status = *status >= 400 ? ocsf::status_id::failure : ocsf::status_id::success;
      }
    }
    if (!software_.empty())
      ev.set(ocsf::attr::metadata_product, value::string(ctx.store(software_)));
    return line_result::event;
  }

 private:
  void directive(std::string_view line) {
    if (text::consume(line, "#Fields:")) {
      names_.clear();
      ids_.clear();
      roles_.clear();
      numeric_.clear();
      std::string_view rest = text::trim(line);
      while (!rest.empty()) {
        std::string_view name = text::take_until(rest, ' ');
        rest = text::trim(rest);
        name = text::trim(name);
        if (name.empty()) continue;
        names_.emplace_back(name);
        ids_.push_back(fields_.get(name));
        roles_.push_back(role_of(name));
        numeric_.push_back(numeric_name(name));
      }
    } else if (text::consume(line, "#Software:")) {
      software_ = text::trim(line);
    } else if (text::consume(line, "#Date:")) {
      // "#Date: 2022-11-07 14:29:06": the date for entries that log only the time.
      line = text::trim(line);
      header_date_store_ = line.substr(0, line.find(' '));
      header_date_ = header_date_store_;
    }
  }

  static std::string_view unquote(std::string_view v, decode_context& ctx) {
    std::string out;
    out.reserve(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) {
      out += v[k];
      if (v[k] == '"' && k + 1 < v.size() && v[k + 1] == '"') ++k;
    }
    return ctx.store(out);
  }

  static std::string_view plus_to_space(std::string_view v, decode_context& ctx) {
    if (v.find('+') == std::string_view::npos) return v;
    std::string out(v);
    for (char& c : out)
      if (c == '+') c = ' ';
    return ctx.store(out);
  }

  field_cache fields_;
  std::vector<std::string> names_;
  std::vector<field_id> ids_;
  std::vector<role> roles_;
  std::vector<bool> numeric_;
  std::vector<token> tokens_;
  std::string software_;
  std::string header_date_store_;
  std::string_view header_date_;
  std::string scratch_;
};

decoder_spec w3c_spec() {
  return {
      .name = "w3c",
      .title = "W3C extended log (IIS, web gateways)",
      .reads =
          "W3C extended log files with #Fields directives: IIS, Blue Coat/Symantec ELFF "
          "and other secure web gateways",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            if (!is_directive(s.first_line)) return 0;
            bool fields = false;
            text::for_each_head_line(s, 12, [&](std::string_view line) {
              if (line.starts_with("#Fields:")) fields = true;
              return !fields;
            });
            return fields ? 95 : 0;
          },
      .make = [] { return std::make_unique<w3c_decoder>(); },
  };
}

}  // namespace mamori::builtins
