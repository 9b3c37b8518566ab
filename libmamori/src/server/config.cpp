#include "mamori/server/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>

#include "mamori/store/query.hpp"
#include "mamori/store/sqlite.hpp"

namespace mamori::server {

namespace {

std::string where(const YAML::Node& n) {
  return fmt::format("line {}", n.Mark().line + 1);
}

result<void> check_keys(const YAML::Node& n, const std::string& section,
                        std::initializer_list<std::string_view> allowed) {
  if (!n.IsMap()) return fail(fmt::format("{}: '{}' must be a mapping", where(n), section));
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    bool ok = false;
    for (auto a : allowed) ok = ok || a == key;
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return fail(fmt::format("{}: unknown key '{}{}' (expected one of: {})", where(kv.first),
                              section.empty() ? "" : section + ".", key, list));
    }
  }
  return {};
}

result<std::uint64_t> parse_size(const YAML::Node& n) {
  const auto s = n.as<std::string>();
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc()) return fail(fmt::format("{}: '{}' is not a size", where(n), s));
  std::string_view unit(p, static_cast<std::size_t>(s.data() + s.size() - p));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  std::uint64_t mul = 1;
  if (unit.empty() || unit == "B") mul = 1;
  else if (unit == "KiB" || unit == "K" || unit == "KB") mul = 1ull << 10;
  else if (unit == "MiB" || unit == "M" || unit == "MB") mul = 1ull << 20;
  else if (unit == "GiB" || unit == "G" || unit == "GB") mul = 1ull << 30;
  else if (unit == "TiB" || unit == "T" || unit == "TB") mul = 1ull << 40;
  else return fail(fmt::format("{}: unknown size unit '{}' (B, KiB, MiB, GiB, TiB)", where(n), unit));
  return v * mul;
}

result<double> parse_seconds(const YAML::Node& n) {
  const auto s = n.as<std::string>();
  if (auto d = store::parse_duration(s)) return static_cast<double>(*d) / 1e9;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size() && v >= 0) return v;
  return fail(fmt::format("{}: '{}' is not a duration (30s, 15m, 24h, 7d)", where(n), s));
}

template <typename T>
result<T> scalar(const YAML::Node& n) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    return fail(fmt::format("{}: invalid value '{}'", where(n), n.Scalar()));
  }
}

result<std::vector<std::string>> string_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
    return out;
  }
  if (!n.IsSequence()) return fail(fmt::format("{}: expected a list", where(n)));
  for (const auto& x : n) out.push_back(x.as<std::string>());
  return out;
}

result<void> load(const YAML::Node& root, server_config& c) {
  if (root.IsNull()) return {};
  MAMORI_CHECK(check_keys(root, "", {"listen", "data", "tls", "limits", "threads", "retention", "wal",
                                    "detection", "cases", "syslog", "tail", "actions"}));
  if (auto n = root["listen"]) c.listen = n.as<std::string>();
  if (auto n = root["data"]) c.data = n.as<std::string>();
  if (auto n = root["tls"]) {
    MAMORI_CHECK(check_keys(n, "tls", {"cert", "key"}));
    if (n["cert"]) c.tls_cert = n["cert"].as<std::string>();
    if (n["key"]) c.tls_key = n["key"].as<std::string>();
    if (c.tls_cert.empty() != c.tls_key.empty())
      return fail(fmt::format("{}: tls needs both cert and key", where(n)));
  }
  if (auto n = root["limits"]) {
    MAMORI_CHECK(check_keys(n, "limits", {"max_body", "max_decompressed", "queue",
                                          "requests_per_second", "burst"}));
    if (n["max_body"]) c.max_body_bytes = MAMORI_TRY(parse_size(n["max_body"]));
    if (n["max_decompressed"]) c.max_decompressed_bytes = MAMORI_TRY(parse_size(n["max_decompressed"]));
    if (n["queue"]) c.queue_bytes = MAMORI_TRY(parse_size(n["queue"]));
    if (n["requests_per_second"]) c.requests_per_second = MAMORI_TRY(scalar<double>(n["requests_per_second"]));
    if (n["burst"]) c.burst = MAMORI_TRY(scalar<double>(n["burst"]));
  }
  if (auto n = root["threads"]) {
    MAMORI_CHECK(check_keys(n, "threads", {"io", "workers", "queries"}));
    if (n["io"]) c.io_threads = MAMORI_TRY(scalar<int>(n["io"]));
    if (n["workers"]) c.worker_threads = MAMORI_TRY(scalar<int>(n["workers"]));
    if (n["queries"]) c.query_threads = MAMORI_TRY(scalar<int>(n["queries"]));
    if (c.io_threads < 1 || c.io_threads > 64 || c.worker_threads < 1 || c.worker_threads > 64 ||
        c.query_threads < 1 || c.query_threads > 64)
      return fail(fmt::format("{}: threads must be between 1 and 64", where(n)));
  }
  if (auto n = root["retention"]) {
    MAMORI_CHECK(check_keys(n, "retention", {"days", "max_size"}));
    if (n["days"]) c.retention_days = MAMORI_TRY(scalar<int>(n["days"]));
    if (n["max_size"]) c.retention_bytes = MAMORI_TRY(parse_size(n["max_size"]));
  }
  if (auto n = root["wal"]) {
    MAMORI_CHECK(check_keys(n, "wal", {"sync"}));
    if (n["sync"]) c.wal_sync = MAMORI_TRY(scalar<bool>(n["sync"]));
  }
  if (auto n = root["detection"]) {
    MAMORI_CHECK(check_keys(n, "detection", {"rules", "analytics"}));
    if (n["rules"]) c.rules = MAMORI_TRY(string_list(n["rules"]));
    if (n["analytics"]) c.analytics = n["analytics"].as<std::string>();
  }
  if (auto n = root["cases"]) {
    MAMORI_CHECK(check_keys(n, "cases", {"templates", "window", "entities"}));
    if (n["templates"]) c.case_templates = n["templates"].as<std::string>();
    if (n["window"]) c.case_window_s = MAMORI_TRY(parse_seconds(n["window"]));
    if (n["entities"]) {
      c.case_entities = MAMORI_TRY(string_list(n["entities"]));
      for (const auto& e : c.case_entities)
        if (e != "user" && e != "src_ip" && e != "host")
          return fail(fmt::format("{}: case entity '{}' is not one of user, src_ip, host",
                                  where(n["entities"]), e));
    }
  }
  if (auto n = root["syslog"]) {
    if (!n.IsSequence()) return fail(fmt::format("{}: syslog must be a list of listeners", where(n)));
    for (const auto& l : n) {
      MAMORI_CHECK(check_keys(l, "syslog[]", {"protocol", "listen", "format", "source"}));
      syslog_listener s;
      if (l["protocol"]) s.protocol = l["protocol"].as<std::string>();
      if (s.protocol != "udp" && s.protocol != "tcp")
        return fail(fmt::format("{}: syslog protocol must be udp or tcp", where(l)));
      if (l["listen"]) s.listen = l["listen"].as<std::string>();
      if (l["format"]) s.format = l["format"].as<std::string>();
      if (l["source"]) s.source = l["source"].as<std::string>();
      MAMORI_CHECK(split_host_port(s.listen));
      c.syslog.push_back(std::move(s));
    }
  }
  if (auto n = root["tail"]) {
    MAMORI_CHECK(check_keys(n, "tail", {"interval", "inputs"}));
    if (n["interval"]) c.tail_interval_s = MAMORI_TRY(parse_seconds(n["interval"]));
    if (auto in = n["inputs"]) {
      if (!in.IsSequence()) return fail(fmt::format("{}: tail.inputs must be a list", where(in)));
      for (const auto& t : in) {
        MAMORI_CHECK(check_keys(t, "tail.inputs[]", {"path", "pattern", "format", "source"}));
        tail_input ti;
        if (!t["path"]) return fail(fmt::format("{}: tail input needs a path", where(t)));
        ti.path = t["path"].as<std::string>();
        if (t["pattern"]) ti.pattern = t["pattern"].as<std::string>();
        if (t["format"]) ti.format = t["format"].as<std::string>();
        if (t["source"]) ti.source = t["source"].as<std::string>();
        c.tail.push_back(std::move(ti));
      }
    }
  }
  if (auto n = root["actions"]) {
    MAMORI_CHECK(check_keys(n, "actions", {"webhook", "block_ip", "email"}));
    if (auto w = n["webhook"]) {
      MAMORI_CHECK(check_keys(w, "actions.webhook", {"url", "secret_env", "secret_file", "timeout"}));
      if (w["url"]) c.webhook.url = w["url"].as<std::string>();
      if (w["secret_env"]) c.webhook.secret_env = w["secret_env"].as<std::string>();
      if (w["secret_file"]) c.webhook.secret_file = w["secret_file"].as<std::string>();
      if (w["timeout"]) c.webhook.timeout_s = MAMORI_TRY(parse_seconds(w["timeout"]));
    }
    if (auto b = n["block_ip"]) {
      MAMORI_CHECK(check_keys(b, "actions.block_ip", {"mode", "file", "nft"}));
      if (b["mode"]) c.block_ip.mode = b["mode"].as<std::string>();
      if (c.block_ip.mode != "file" && c.block_ip.mode != "nft")
        return fail(fmt::format("{}: block_ip mode must be file or nft", where(b)));
      if (b["file"]) c.block_ip.file = b["file"].as<std::string>();
      if (auto nf = b["nft"]) {
        MAMORI_CHECK(check_keys(nf, "actions.block_ip.nft", {"family", "table", "set"}));
        if (nf["family"]) c.block_ip.nft_family = nf["family"].as<std::string>();
        if (nf["table"]) c.block_ip.nft_table = nf["table"].as<std::string>();
        if (nf["set"]) c.block_ip.nft_set = nf["set"].as<std::string>();
      }
    }
    if (auto e = n["email"]) {
      MAMORI_CHECK(check_keys(e, "actions.email", {"relay", "from", "to", "timeout"}));
      if (e["relay"]) c.email.relay = e["relay"].as<std::string>();
      if (e["from"]) c.email.from = e["from"].as<std::string>();
      if (e["to"]) c.email.to = MAMORI_TRY(string_list(e["to"]));
      if (e["timeout"]) c.email.timeout_s = MAMORI_TRY(parse_seconds(e["timeout"]));
    }
  }
  MAMORI_CHECK(split_host_port(c.listen));
  return {};
}

}  // namespace

result<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& s) {
  std::string host;
  std::string port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return fail(fmt::format("'{}' is not HOST:PORT", s));
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) return fail(fmt::format("'{}' is not HOST:PORT", s));
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (host.empty() || ec != std::errc() || p != port.data() + port.size() || v > 65535)
    return fail(fmt::format("'{}' is not HOST:PORT (port 0-65535)", s));
  return std::make_pair(host, static_cast<std::uint16_t>(v));
}

result<server_config> load_config(const std::string& path) {
  server_config c;
  try {
    YAML::Node root = YAML::LoadFile(path);
    auto r = load(root, c);
    if (!r) return fail(fmt::format("{}: {}", path, r.error().message));
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("{}: {}", path, e.what()));
  }
  return c;
}

}  // namespace mamori::server
