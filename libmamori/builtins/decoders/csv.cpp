// Generic CSV with a header line (RFC 4180; ',', ';' or tab): every record becomes a Base
// Event whose raw fields are named by the header, so any CSV export can be searched and
// matched by rules without writing a decoder. A few columns are recognised by their usual
// names (time, source IP, user agent, user). It sniffs with a low score: every specific
// decoder wins. docs/formats/csv.md.

#include "mamori/io/csv.hpp"

#include <fmt/format.h>

#include <vector>

#include "mamori/decode/csv_decoder.hpp"
#include "mamori/event/time.hpp"
#include "saas_common.hpp"

namespace mamori::builtins {

namespace {

using namespace saas;

bool in(std::string_view name, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (iequals(name, n)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A header name as people write them: words, digits, _ - . ( ) / and spaces; '@' only first.
bool header_name(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 64) return false;
  bool letter = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      letter = true;
    } else if (!((c >= '0' && c <= '9') || c == ' ' || c == '_' || c == '-' || c == '.' ||
                 c == '(' || c == ')' || c == '/' || (c == '@' && i == 0))) {
      return false;
    }
  }
  return letter;
}

std::string_view without_bom(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

}  // namespace

class csv_generic_decoder final : public csv_decoder {
 protected:
  char delimiter_for(std::string_view first_line) const override {
    return guess_csv_delimiter(first_line);
  }

  std::optional<std::string> on_header(std::span<const std::string_view> names,
                                       decode_context&) override {
    if (names.size() < 2) return "a CSV header needs at least two columns";
    columns_.clear();
    time_columns_.clear();
    src_ip_ = dst_ip_ = user_agent_ = user_ = names.size();
    for (std::size_t k = 0; k < names.size(); ++k) {
      std::string_view n = trim(names[k]);
      columns_.push_back(fields_.get(n.empty() ? fmt::format("column{}", k + 1) : std::string(n)));
      if (in(n, {"timestamp", "time", "@timestamp", "datetime", "date", "eventtime", "event time",
                 "event datetime", "creationdate", "creationtime", "created_at", "timegenerated",
                 "_time", "ts"})) {
        time_columns_.insert(time_columns_.begin(), k);  // the usual names first
      } else if (icontains(n, "time") || icontains(n, "date")) {
        time_columns_.push_back(k);
      }
      auto first = [&](std::size_t& slot) {
        if (slot == names.size()) slot = k;
      };
      if (in(n, {"source ip", "src_ip", "srcip", "source_ip", "sourceipaddress", "client ip",
                 "clientip", "client_ip", "c-ip", "ipaddress", "ip address", "ip", "remote ip",
                 "remoteip", "remote_addr", "callerip"})) {
        first(src_ip_);
      } else if (in(n,
                    {"destination ip", "dst_ip", "dstip", "dest_ip", "destination_ip", "s-ip"})) {
        first(dst_ip_);
      } else if (in(n, {"user agent", "useragent", "user_agent", "request user agent",
                        "cs(user-agent)", "http_user_agent"})) {
        first(user_agent_);
      } else if (in(n, {"user", "username", "user name", "user_name", "account name",
                        "accountname"})) {
        first(user_);
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> map_record(std::span<const std::string_view> values, event& ev,
                                        decode_context& ctx) override {
    for (std::size_t k : time_columns_) {
      std::string_view v = trim(values[k]);
      if (v.empty()) continue;
      auto t = timeparse::iso8601(v);
      if (!t) t = timeparse::epoch_seconds(v);
      if (!t) continue;
      ev.time_ns = *t;
      ev.set(ocsf::attr::metadata_original_time, value::string(ctx.store(v)));
      break;
    }
    if (src_ip_ < values.size()) put_source_address(ev, trim(values[src_ip_]), ctx);
    if (dst_ip_ < values.size()) put(ev, ocsf::attr::dst_ip, trim(values[dst_ip_]), ctx);
    if (user_agent_ < values.size()) {
      put(ev, ocsf::attr::http_user_agent, trim(values[user_agent_]), ctx);
    }
    if (user_ < values.size()) put(ev, ocsf::attr::actor_user_name, trim(values[user_]), ctx);
    for (std::size_t k = 0; k < values.size(); ++k) {
      ev.add_raw(columns_[k], value::string(ctx.store(values[k])));
    }
    return std::nullopt;
  }

 private:
  field_cache fields_;
  std::vector<field_id> columns_;
  std::vector<std::size_t> time_columns_;
  std::size_t src_ip_ = 0, dst_ip_ = 0, user_agent_ = 0, user_ = 0;
};

decoder_spec csv_spec() {
  return {
      .name = "csv",
      .title = "CSV with a header line (generic)",
      .reads =
          "any CSV/TSV whose first line names the columns; Base Events with raw fields "
          "named by the header (fallback, low sniff score)",
      .level = maturity::beta,
      .hardened = false,
      .sniff =
          [](const sniff_sample& s) {
            std::string_view first = without_bom(s.first_line);
            if (first.empty() || first[0] == '#' || first[0] == '{' || first[0] == '[' ||
                first[0] == '<') {
              return 0;
            }
            const char delim = guess_csv_delimiter(first);
            std::vector<std::string> names;
            if (!csv_split(first, delim, names) || names.size() < 2) return 0;
            for (const auto& n : names)
              if (!header_name(n)) return 0;
            // The next line, when the head has one, must have as many fields (a quoted field
            // spanning lines is accepted as it is).
            const std::size_t nl = s.head.find('\n');
            std::string_view rest =
                nl == std::string_view::npos ? std::string_view() : s.head.substr(nl + 1);
            std::string_view second = rest.substr(0, rest.find('\n'));
            if (!second.empty() && second.back() == '\r') second.remove_suffix(1);
            if (!second.empty()) {
              std::vector<std::string> values;
              if (csv_split(second, delim, values) && values.size() != names.size()) return 0;
            }
            const bool ext = s.path.ends_with(".csv") || s.path.ends_with(".tsv") ||
                             s.path.ends_with(".csv.gz") || s.path.ends_with(".csv.zst");
            return ext ? 10 : 5;
          },
      .make = [] { return std::make_unique<csv_generic_decoder>(); },
  };
}

}  // namespace mamori::builtins
