#include "mamori/discover/squid_helper.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "mamori/output/json_text.hpp"

namespace mamori::discover {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A response value: one token if it needs no quoting, else "..." with \" and \\ escaped
// (squid.conf, external_acl_type, "All response keyword values ...").
void append_value(std::string& out, std::string_view v) {
  bool plain = !v.empty();
  for (char c : v)
    if (c == ' ' || c == '"' || c == '\\' || c == '\t' || c == '\r' || c == '\n' || c == '=')
      plain = false;
  if (plain) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    out += c;
  }
  out += '"';
}

bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::uint8_t method_activity(std::string_view m) {
  if (m == "CONNECT") return 1;
  if (m == "DELETE") return 2;
  if (m == "GET") return 3;
  if (m == "HEAD") return 4;
  if (m == "OPTIONS") return 5;
  if (m == "POST") return 6;
  if (m == "PUT") return 7;
  if (m == "TRACE") return 8;
  return 99;
}

}  // namespace

std::string_view decision_reason_name(decision_reason r) {
  switch (r) {
    case decision_reason::prohibited_app:
      return "prohibited_app";
    case decision_reason::url_category:
      return "url_category";
    case decision_reason::no_host:
      return "no_host";
    case decision_reason::allowed:
      break;
  }
  return "allowed";
}

access_decider::access_decider(const catalog::app_catalog& cat, const discovery_policy& policy,
                               const catalog::url_category_db* ut1)
    : cat_(cat), policy_(policy), ut1_(ut1) {
  if (ut1_ != nullptr)
    for (const auto& c : policy_.block_url_categories)
      if (auto id = ut1_->find(c)) block_categories_.push_back(*id);
  verdicts_.reserve(cat.size());
  for (const auto& a : cat.apps()) verdicts_.push_back(policy.classify(a, cat.weights()));
}

access_decision access_decider::decide(std::string_view url) const {
  access_decision d;
  const catalog::url_parts parts = catalog::split_url(url);
  const catalog::host_kind kind = catalog::normalize_host(parts.host, d.host);
  if (kind == catalog::host_kind::invalid) {
    d.reason = decision_reason::no_host;
    return d;
  }
  if (auto m = cat_.lookup(d.host, kind)) {
    d.app = m.a;
    const auto& v = verdicts_[static_cast<std::size_t>(m.a - cat_.apps().data())];
    d.status = v.status;
    if (v.status == sanction::prohibited) {
      d.deny = true;
      d.reason = decision_reason::prohibited_app;
      d.message = policy_.deny_message(*m.a, *v.rule, cat_);
    }
  }
  // URL categories apply to every destination, sanctioned apps included (a phishing page on a
  // sanctioned host is still phishing).
  if (!d.deny && !block_categories_.empty()) {
    const catalog::category_set cats = ut1_->lookup(d.host, kind, parts.path);
    for (std::size_t id : block_categories_) {
      if (!cats.test(id)) continue;
      d.deny = true;
      d.reason = decision_reason::url_category;
      d.category = std::string(ut1_->name(id));
      d.message = policy_.block_url_message;
      if (auto pos = d.message.find("{category}"); pos != std::string::npos)
        d.message.replace(pos, 10, d.category);
      break;
    }
  }
  return d;
}

result<std::vector<helper_field>> parse_helper_fields(std::string_view spec) {
  std::vector<helper_field> out;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    std::size_t end = spec.find(',', pos);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view f = spec.substr(pos, end - pos);
    pos = end + 1;
    if (f == "client")
      out.push_back(helper_field::client);
    else if (f == "user")
      out.push_back(helper_field::user);
    else if (f == "method")
      out.push_back(helper_field::method);
    else if (f == "url")
      out.push_back(helper_field::url);
    else if (f == "host")
      out.push_back(helper_field::host);
    else if (f == "path")
      out.push_back(helper_field::path);
    else if (f == "-" || f == "ignore")
      out.push_back(helper_field::ignore);
    else
      return fail(
          fmt::format("unknown helper field '{}' (client, user, method, url, host, path, -)", f));
  }
  bool where = false;
  for (auto f : out) where = where || f == helper_field::url || f == helper_field::host;
  if (!where) return fail("the helper fields need url or host");
  return out;
}

squid_helper::squid_helper(const access_decider& decider, helper_options options)
    : decider_(decider), options_(std::move(options)) {}

void squid_helper::handle_line(std::string_view line, std::string& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  tokens_.clear();
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) tokens_.push_back(line.substr(i, j - i));
    i = j;
  }
  std::size_t first = 0;
  bool channel = false;
  if (options_.channels == channel_mode::always)
    channel = true;
  else if (options_.channels == channel_mode::automatic)
    channel = !tokens_.empty() && all_digits(tokens_[0]);
  if (channel) {
    if (tokens_.empty()) {
      ++stats_.malformed;
      out += "BH message=\"empty request\"\n";
      return;
    }
    out += tokens_[0];
    out += ' ';
    first = 1;
  }
  ++stats_.requests;
  // Squid appends %DATA ("-") when FORMAT lacks it: extra values are ignored.
  if (tokens_.size() - first < options_.fields.size()) {
    ++stats_.malformed;
    out += fmt::format("BH message=\"expected {} values, got {}\"\n", options_.fields.size(),
                       tokens_.size() - first);
    return;
  }
  std::string client, user, method, url, host, path;
  for (std::size_t k = 0; k < options_.fields.size(); ++k) {
    std::string_view v = tokens_[first + k];
    std::string decoded = v == "-" ? std::string() : catalog::percent_decode(v);
    switch (options_.fields[k]) {
      case helper_field::client:
        client = std::move(decoded);
        break;
      case helper_field::user:
        user = std::move(decoded);
        break;
      case helper_field::method:
        method = std::move(decoded);
        break;
      case helper_field::url:
        url = std::move(decoded);
        break;
      case helper_field::host:
        host = std::move(decoded);
        break;
      case helper_field::path:
        path = std::move(decoded);
        break;
      case helper_field::ignore:
        break;
    }
  }
  if (url.empty() && !host.empty()) url = host + path;
  const access_decision d = decider_.decide(url);
  if (d.deny) {
    ++stats_.denied;
    out += "ERR message=";
    append_value(out, d.message);
    out += d.reason == decision_reason::prohibited_app ? " tag=mamori_prohibited"
                                                       : " tag=mamori_category";
    out += " log=";
    append_value(out, d.reason == decision_reason::prohibited_app ? "app:" + d.app->id
                                                                  : "category:" + d.category);
    out += '\n';
  } else {
    ++stats_.allowed;
    out += "OK";
    if (d.app != nullptr) {
      out += " log=";
      append_value(out, "app:" + d.app->id);
    }
    out += '\n';
  }
  if (options_.log != nullptr) log_decision(d, client, user, method, url);
}

void squid_helper::log_decision(const access_decision& d, std::string_view client,
                                std::string_view user, std::string_view method,
                                std::string_view url) {
  // OCSF HTTP Activity (4002) with the security-control attributes (action, disposition).
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  const std::uint8_t activity = method_activity(method);
  std::string& o = log_buf_;
  o += fmt::format(
      "{{\"class_uid\":4002,\"class_name\":\"HTTP Activity\",\"category_uid\":4,"
      "\"category_name\":\"Network Activity\",\"activity_id\":{},\"type_uid\":{},\"time\":{},"
      "\"severity_id\":{},\"action_id\":{},\"action\":\"{}\",\"disposition_id\":{},"
      "\"disposition\":\"{}\",\"status_id\":{}",
      activity, 400200 + activity, ms, d.deny ? 3 : 1, d.deny ? 2 : 1,
      d.deny ? "Denied" : "Allowed", d.deny ? 2 : 1, d.deny ? "Blocked" : "Allowed",
      d.deny ? 2 : 1);
  o += ",\"http_request\":{\"http_method\":";
  json_text::append_string(o, method);
  o += ",\"url\":{\"url_string\":";
  json_text::append_string(o, url);
  o += ",\"hostname\":";
  json_text::append_string(o, d.host);
  o += "}}";
  if (!client.empty()) {
    o += ",\"src_endpoint\":{\"ip\":";
    json_text::append_string(o, client);
    o += '}';
  }
  if (!user.empty()) {
    o += ",\"actor\":{\"user\":{\"name\":";
    json_text::append_string(o, user);
    o += "}}";
  }
  o += ",\"dst_endpoint\":{\"hostname\":";
  json_text::append_string(o, d.host);
  o += '}';
  if (d.deny) {
    o += ",\"status_detail\":";
    json_text::append_string(o, d.message);
  }
  o += ",\"policy\":{\"name\":\"mamori shadow-IT policy\",\"desc\":";
  json_text::append_string(o, decision_reason_name(d.reason));
  o += '}';
  o += ",\"unmapped\":{\"reason\":";
  json_text::append_string(o, decision_reason_name(d.reason));
  if (d.app != nullptr) {
    o += ",\"app\":";
    json_text::append_string(o, d.app->id);
    o += ",\"app_name\":";
    json_text::append_string(o, d.app->name);
    o += ",\"app_category\":";
    json_text::append_string(o, d.app->category);
    o += ",\"sanction\":";
    json_text::append_string(o, sanction_name(d.status));
    if (d.app->score.score) o += fmt::format(",\"app_score\":{:.1f}", *d.app->score.score);
  }
  if (!d.category.empty()) {
    o += ",\"url_category\":";
    json_text::append_string(o, d.category);
  }
  o += "},\"metadata\":{\"product\":{\"name\":\"mamori squid-helper\",\"vendor_name\":\"mamori\"},"
       "\"version\":\"1.3.0\",\"log_name\":\"squid-helper\"}}\n";
}

result<helper_stats> squid_helper::serve(int in_fd, int out_fd) {
  std::string in;
  std::string out;
  in.reserve(1 << 16);
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in_fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(fmt::format("reading requests: {}", std::strerror(errno)));
    }
    if (n == 0) break;
    in.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = in.find('\n', start)) != std::string::npos; start = nl + 1)
      handle_line(std::string_view(in).substr(start, nl - start), out);
    in.erase(0, start);
    // Answer everything read so far before blocking again: Squid waits for these lines.
    if (!out.empty()) {
      if (!write_all(out_fd, out))
        return fail(fmt::format("writing answers: {}", std::strerror(errno)));
      out.clear();
    }
    if (options_.log != nullptr && !log_buf_.empty()) {
      std::fwrite(log_buf_.data(), 1, log_buf_.size(), options_.log);
      std::fflush(options_.log);
      log_buf_.clear();
    }
  }
  if (!in.empty()) handle_line(in, out);
  if (!out.empty() && !write_all(out_fd, out))
    return fail(fmt::format("writing answers: {}", std::strerror(errno)));
  if (options_.log != nullptr && !log_buf_.empty()) {
    std::fwrite(log_buf_.data(), 1, log_buf_.size(), options_.log);
    std::fflush(options_.log);
    log_buf_.clear();
  }
  return stats_;
}

}  // namespace mamori::discover
