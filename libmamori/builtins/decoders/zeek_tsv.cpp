// Zeek logs in Zeek's default ASCII (TSV) format: #separator, #set_separator, #empty_field,
// #unset_field, #path, #open, #fields, #types and #close headers, then one record per line
// with the fields in #fields order. Non-printable bytes and the separator are written as
// \xHH; sets and vectors are joined with the set separator; "-" is unset, "(empty)" an empty
// container or string (Zeek's logging framework, ASCII writer: base/frameworks/logging/
// writers/ascii.zeek). Raw fields keep Zeek's names; the OCSF mapping is shared with zeek_json
// (zeek.hpp). Mapping: docs/formats/zeek.md.

#include "mamori/decode/json_decoder.hpp"
#include "mamori/decode/line_decoder.hpp"
#include "mamori/decode/text_scan.hpp"
#include "mamori/decode/zeek.hpp"
#include "mamori/event/time.hpp"

namespace mamori::builtins {

namespace {

enum class ztype : std::uint8_t { string, integer, real, boolean, time };

ztype type_of(std::string_view t) {
  if (t == "count" || t == "int" || t == "port") return ztype::integer;
  if (t == "double" || t == "interval") return ztype::real;
  if (t == "time") return ztype::time;
  if (t == "bool") return ztype::boolean;
  return ztype::string;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes \xHH (and \\) escapes.
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '\\' && k + 3 < s.size() && s[k + 1] == 'x' && hex(s[k + 2]) >= 0 &&
        hex(s[k + 3]) >= 0) {
      out += static_cast<char>(hex(s[k + 2]) * 16 + hex(s[k + 3]));
      k += 3;
    } else if (s[k] == '\\' && k + 1 < s.size() && s[k + 1] == '\\') {
      out += '\\';
      ++k;
    } else {
      out += s[k];
    }
  }
  return out;
}

}  // namespace

class zeek_tsv_decoder final : public line_decoder {
 protected:
  line_result map_line(std::string_view line, event& ev, decode_context& ctx,
                       std::string& reason) override {
    if (line.empty()) return line_result::skip;
    if (line.front() == '#') {
      header(line, ctx);
      return line_result::skip;
    }
    if (ids_.empty()) {
      reason = "Zeek record before the #fields header";
      return line_result::reject;
    }
    const std::string_view s = ctx.store(line);
    values_.clear();
    split_fields(s, separator_, [&](std::string_view v) { values_.push_back(v); });
    if (values_.size() != ids_.size()) {
      reason = "record has " + std::to_string(values_.size()) + " fields, #fields declares " +
               std::to_string(ids_.size());
      return line_result::reject;
    }
    for (std::size_t k = 0; k < values_.size(); ++k) {
      const std::string_view v = values_[k];
      if (v == unset_) continue;
      const column& c = columns_[k];
      if (v == empty_) {
        if (!c.container) ev.add_raw(ids_[k], value::string({}));
        continue;
      }
      if (c.container) {
        split_fields(v, set_separator_, [&](std::string_view e) { add(ev, k, e, ctx); });
      } else {
        add(ev, k, v, ctx);
      }
      if (k == ts_index_) {
        if (auto t = timeparse::epoch_seconds(v)) ev.time_ns = *t;
      }
    }
    zeek::normalize(ctx.store(path_), ev, ctx);
    return line_result::event;
  }

 private:
  struct column {
    ztype type = ztype::string;
    bool container = false;
  };

  void add(event& ev, std::size_t k, std::string_view v, decode_context& ctx) {
    switch (columns_[k].type) {
      case ztype::integer:
        if (auto n = text::to_int(v)) {
          ev.add_raw(ids_[k], value::integer(*n));
          return;
        }
        break;
      case ztype::real:
      case ztype::time: {
        double d = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (ec == std::errc() && p == v.data() + v.size()) {
          ev.add_raw(ids_[k], value::real(d));
          return;
        }
        break;
      }
      case ztype::boolean:
        if (v == "T" || v == "F") {
          ev.add_raw(ids_[k], value::boolean(v == "T"));
          return;
        }
        break;
      case ztype::string:
        break;
    }
    if (v.find('\\') != std::string_view::npos) v = ctx.store(unescape(v));
    ev.add_raw(ids_[k], value::string(v));
  }

  void header(std::string_view line, decode_context& ctx) {
    if (text::consume(line, "#separator ")) {
      const std::string sep = unescape(line);
      if (sep.size() == 1) {
        separator_ = sep[0];
      } else {
        ctx.report(severity_level::warning, 0, 0,
                   "Zeek #separator is not a single character; keeping TAB");
      }
      return;
    }
    std::string_view rest = line;
    std::string_view key = text::take_until(rest, separator_);
    if (key == "#set_separator") {
      const std::string s = unescape(rest);
      if (s.size() == 1) set_separator_ = s[0];
    } else if (key == "#empty_field") {
      empty_ = unescape(rest);
    } else if (key == "#unset_field") {
      unset_ = unescape(rest);
    } else if (key == "#path") {
      path_ = unescape(rest);
    } else if (key == "#fields") {
      ids_.clear();
      columns_.assign(0, {});
      ts_index_ = static_cast<std::size_t>(-1);
      split_fields(rest, separator_, [&](std::string_view name) {
        if (name == "ts") ts_index_ = ids_.size();
        ids_.push_back(fields_.get(name));
      });
      columns_.resize(ids_.size());
      if (path_.empty()) path_ = zeek::path_from_filename(ctx.path());
    } else if (key == "#types") {
      std::size_t k = 0;
      split_fields(rest, separator_, [&](std::string_view t) {
        if (k >= columns_.size()) return;
        column& c = columns_[k++];
        const std::size_t open = t.find('[');
        c.container = open != std::string_view::npos;
        c.type = c.container ? type_of(t.substr(open + 1, t.size() - open - 2)) : type_of(t);
      });
    }
  }

  char separator_ = '\t';
  char set_separator_ = ',';
  std::string empty_ = "(empty)";
  std::string unset_ = "-";
  std::string path_;
  std::vector<field_id> ids_;
  std::vector<column> columns_;
  std::size_t ts_index_ = static_cast<std::size_t>(-1);
  std::vector<std::string_view> values_;
  field_cache fields_;
};

decoder_spec zeek_spec() {
  return {
      .name = "zeek",
      .title = "Zeek logs (TSV)",
      .reads =
          "Zeek ASCII logs with #separator/#fields/#types headers: conn, dns, http, ssl, "
          "ssh, rdp, ntlm, kerberos mapped; other logs as Base Events",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            if (!s.first_line.starts_with("#separator ")) return 0;
            return s.head.find("\n#fields") != std::string_view::npos ? 95 : 60;
          },
      .make = [] { return std::make_unique<zeek_tsv_decoder>(); },
  };
}

}  // namespace mamori::builtins
