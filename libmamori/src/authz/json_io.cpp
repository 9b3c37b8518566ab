#include "mamori/authz/json_io.hpp"

#include <fmt/format.h>

#include <functional>

#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::authz {

namespace dom = simdjson::dom;

// MAMORI_TRY for result<void>.
#define MAMORI_AUTHZ_CHECK(expr)                                                 \
  do {                                                                           \
    auto check_result_ = (expr);                                                 \
    if (!check_result_) return tl::unexpected(std::move(check_result_).error()); \
  } while (0)

access_request request_document::view() const {
  access_request r;
  r.host = host;
  r.path = path;
  r.method = method;
  r.device_id = device;
  r.source_ip = source_ip;
  r.country = country;
  r.time_ns = time_ns;
  r.who = anonymous ? nullptr : &who;
  return r;
}

std::optional<std::int64_t> json_time_seconds(dom::element e) {
  std::string_view s;
  if (e.get(s) == simdjson::SUCCESS) {
    if (auto ns = timeparse::iso8601(s)) return *ns / 1'000'000'000;
    return std::nullopt;
  }
  std::int64_t i = 0;
  if (e.get(i) == simdjson::SUCCESS) return i;
  double d = 0;
  if (e.get(d) == simdjson::SUCCESS) return static_cast<std::int64_t>(d);
  return std::nullopt;
}

void flatten_claims(dom::element e, std::string prefix,
                    std::vector<std::pair<std::string, std::string>>& out, int depth) {
  if (depth > 8) return;
  switch (e.type()) {
    case dom::element_type::OBJECT:
      for (auto [k, v] : dom::object(e)) {
        flatten_claims(v, prefix.empty() ? std::string(k) : prefix + "." + std::string(k), out,
                       depth + 1);
      }
      break;
    case dom::element_type::ARRAY:
      for (dom::element v : dom::array(e)) {
        if (v.is_object() || v.is_array()) continue;  // nested arrays: not claims policies use
        flatten_claims(v, prefix, out, depth + 1);
      }
      break;
    case dom::element_type::STRING:
      out.emplace_back(prefix, std::string(e.get_string().value()));
      break;
    case dom::element_type::BOOL:
      out.emplace_back(prefix, e.get_bool().value() ? "true" : "false");
      break;
    case dom::element_type::INT64:
      out.emplace_back(prefix, std::to_string(e.get_int64().value()));
      break;
    case dom::element_type::UINT64:
      out.emplace_back(prefix, std::to_string(e.get_uint64().value()));
      break;
    case dom::element_type::DOUBLE:
      out.emplace_back(prefix, fmt::format("{}", e.get_double().value()));
      break;
    case dom::element_type::NULL_VALUE:
      break;
  }
}

namespace {

class fields {
 public:
  fields(dom::element e, std::string where) : e_(e), where_(std::move(where)) {}

  result<std::optional<std::string>> str(std::string_view key) const {
    dom::element v;
    if (e_[key].get(v) != simdjson::SUCCESS || v.is_null()) return std::optional<std::string>{};
    std::string_view s;
    if (v.get(s) != simdjson::SUCCESS)
      return fail(fmt::format("{}: \"{}\" must be a string", where_, key));
    return std::optional<std::string>(std::string(s));
  }
  result<std::optional<bool>> boolean(std::string_view key) const {
    dom::element v;
    if (e_[key].get(v) != simdjson::SUCCESS || v.is_null()) return std::optional<bool>{};
    bool b = false;
    if (v.get(b) != simdjson::SUCCESS)
      return fail(fmt::format("{}: \"{}\" must be true or false", where_, key));
    return std::optional<bool>(b);
  }
  result<std::optional<double>> number(std::string_view key) const {
    dom::element v;
    if (e_[key].get(v) != simdjson::SUCCESS || v.is_null()) return std::optional<double>{};
    double d = 0;
    std::int64_t i = 0;
    if (v.get(d) == simdjson::SUCCESS) return std::optional<double>(d);
    if (v.get(i) == simdjson::SUCCESS) return std::optional<double>(static_cast<double>(i));
    return fail(fmt::format("{}: \"{}\" must be a number", where_, key));
  }
  result<std::optional<std::int64_t>> time(std::string_view key) const {
    dom::element v;
    if (e_[key].get(v) != simdjson::SUCCESS || v.is_null()) return std::optional<std::int64_t>{};
    auto t = json_time_seconds(v);
    if (!t) {
      return fail(fmt::format("{}: \"{}\" must be an RFC 3339 time or epoch seconds", where_, key));
    }
    return std::optional<std::int64_t>(*t);
  }
  result<std::vector<std::string>> strings(std::string_view key) const {
    std::vector<std::string> out;
    dom::element v;
    if (e_[key].get(v) != simdjson::SUCCESS || v.is_null()) return out;
    std::string_view s;
    if (v.get(s) == simdjson::SUCCESS) {
      out.emplace_back(s);
      return out;
    }
    dom::array a;
    if (v.get(a) != simdjson::SUCCESS) {
      return fail(fmt::format("{}: \"{}\" must be a list of strings", where_, key));
    }
    for (dom::element x : a) {
      if (x.get(s) != simdjson::SUCCESS) {
        return fail(fmt::format("{}: \"{}\" must be a list of strings", where_, key));
      }
      out.emplace_back(s);
    }
    return out;
  }
  bool has(std::string_view key) const {
    dom::element v;
    return e_[key].get(v) == simdjson::SUCCESS;
  }
  const std::string& where() const { return where_; }

 private:
  dom::element e_;
  std::string where_;
};

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

struct posture_update {
  std::string id;
  bool has_posture = false;
  device_posture posture;
  std::optional<bool> isolated;
  std::string isolation_reason;
  std::optional<double> risk;
};

result<posture_update> read_device(dom::element e, const std::string& where, bool need_id) {
  fields f(e, where);
  posture_update u;
  auto id = MAMORI_TRY(f.str("id"));
  if (!id) id = MAMORI_TRY(f.str("device"));
  if (!id || id->empty()) {
    if (need_id) return fail(fmt::format("{}: a device needs an \"id\"", where));
  } else {
    u.id = *id;
  }
  static constexpr std::string_view posture_keys[] = {"managed",   "compliant",  "encrypted",
                                                      "antivirus", "patched_at", "last_seen",
                                                      "os",        "software"};
  for (auto k : posture_keys)
    if (f.has(k)) u.has_posture = true;
  if (u.has_posture) {
    u.posture.managed = MAMORI_TRY(f.boolean("managed")).value_or(false);
    u.posture.compliant = MAMORI_TRY(f.boolean("compliant")).value_or(false);
    u.posture.encrypted = MAMORI_TRY(f.boolean("encrypted")).value_or(false);
    u.posture.antivirus = MAMORI_TRY(f.boolean("antivirus")).value_or(false);
    u.posture.patched_at = MAMORI_TRY(f.time("patched_at")).value_or(0);
    u.posture.last_seen = MAMORI_TRY(f.time("last_seen")).value_or(0);
    u.posture.os = MAMORI_TRY(f.str("os")).value_or("");
    for (auto& s : MAMORI_TRY(f.strings("software"))) u.posture.software.push_back(lower(s));
  }
  u.isolated = MAMORI_TRY(f.boolean("isolated"));
  u.isolation_reason = MAMORI_TRY(f.str("isolation_reason")).value_or("");
  u.risk = MAMORI_TRY(f.number("risk"));
  if (u.risk && (*u.risk < 0 || *u.risk > 100))
    return fail(fmt::format("{}: risk must be 0..100", where));
  return u;
}

void apply_device(signal_store::transaction& tx, const posture_update& u, std::int64_t now) {
  if (u.has_posture) tx.report_posture(u.id, u.posture);
  if (u.isolated) tx.set_isolated(u.id, *u.isolated, u.isolation_reason, now);
  if (u.risk) tx.set_device_risk(u.id, *u.risk, "reported", now);
}

}  // namespace

result<request_document> parse_request_json(std::string_view json, signal_store& store,
                                            std::int64_t now_ns) {
  dom::parser parser;
  dom::element root;
  simdjson::padded_string padded(json);
  if (auto err = parser.parse(padded).get(root); err) {
    return fail(fmt::format("request: invalid JSON: {}", simdjson::error_message(err)));
  }
  if (!root.is_object()) return fail("request: expected a JSON object");
  fields f(root, "request");
  request_document d;
  d.host = MAMORI_TRY(f.str("host")).value_or("");
  if (d.host.empty()) return fail("request: \"host\" is required (it selects the application)");
  d.path = normalize_path(MAMORI_TRY(f.str("path")).value_or("/"));
  d.method = MAMORI_TRY(f.str("method")).value_or("GET");
  auto t = MAMORI_TRY(f.time("time"));
  d.time_ns = t ? *t * 1'000'000'000 : now_ns;
  const std::int64_t now = d.time_ns / 1'000'000'000;
  // Source: {"source": {"ip": ..., "country": ...}} or flat "ip"/"country".
  dom::element src = root;
  if (dom::element s; root["source"].get(s) == simdjson::SUCCESS && s.is_object()) src = s;
  fields fs(src, "request.source");
  if (auto ip = MAMORI_TRY(fs.str("ip"))) {
    d.source_ip = ip_address::parse(*ip);
    if (!d.source_ip) return fail(fmt::format("request: \"{}\" is not an IP address", *ip));
  }
  d.country = MAMORI_TRY(fs.str("country")).value_or("");
  for (char& c : d.country)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);

  auto tx = store.begin();
  if (dom::element id; root["identity"].get(id) == simdjson::SUCCESS && !id.is_null()) {
    if (!id.is_object()) return fail("request: \"identity\" must be an object");
    fields fi(id, "request.identity");
    d.anonymous = false;
    d.who.user = MAMORI_TRY(fi.str("user")).value_or("");
    if (d.who.user.empty()) return fail("request.identity: \"user\" is required");
    d.who.email = MAMORI_TRY(fi.str("email")).value_or("");
    d.who.groups = MAMORI_TRY(fi.strings("groups"));
    d.who.roles = MAMORI_TRY(fi.strings("roles"));
    if (dom::element c; id["claims"].get(c) == simdjson::SUCCESS) {
      if (!c.is_object()) return fail("request.identity: \"claims\" must be an object");
      flatten_claims(c, "", d.who.claims);
    }
    d.who.methods = MAMORI_TRY(fi.strings("methods"));
    for (auto& m : d.who.methods) m = lower(m);
    d.who.mfa = MAMORI_TRY(fi.boolean("mfa")).value_or(false);
    d.who.auth_time = MAMORI_TRY(fi.time("auth_time")).value_or(0);
    d.who.issued_at =
        MAMORI_TRY(fi.time("issued_at")).value_or(d.who.auth_time != 0 ? d.who.auth_time : now);
    d.who.session_id = MAMORI_TRY(fi.str("session")).value_or("");
    d.who.device_id = MAMORI_TRY(fi.str("device")).value_or("");
    if (auto r = MAMORI_TRY(fi.number("risk"))) tx.set_user_risk(d.who.user, *r, "request", now);
    if (MAMORI_TRY(fi.boolean("session_revoked")).value_or(false)) {
      if (d.who.session_id.empty())
        return fail("request.identity: session_revoked needs \"session\"");
      tx.revoke_session(d.who.session_id, 0, "revoked (request)");
    }
  }
  if (dom::element dev; root["device"].get(dev) == simdjson::SUCCESS && !dev.is_null()) {
    std::string_view s;
    if (dev.get(s) == simdjson::SUCCESS) {
      d.device = std::string(s);
    } else if (dev.is_object()) {
      auto u = MAMORI_TRY(read_device(dev, "request.device", true));
      d.device = u.id;
      apply_device(tx, u, now);
    } else {
      return fail("request: \"device\" must be an id or an object");
    }
  }
  tx.commit();
  return d;
}

result<std::size_t> apply_signals_json(std::string_view json, signal_store& store,
                                       std::int64_t now) {
  dom::parser parser;
  dom::element root;
  simdjson::padded_string padded(json);
  if (auto err = parser.parse(padded).get(root); err) {
    return fail(fmt::format("signals: invalid JSON: {}", simdjson::error_message(err)));
  }
  std::vector<std::function<void(signal_store::transaction&)>> ops;
  auto each = [&](std::string_view key, auto&& fn) -> result<void> {
    dom::element v;
    if (root[key].get(v) != simdjson::SUCCESS) return {};
    dom::array a;
    if (v.get(a) != simdjson::SUCCESS) {
      if (!v.is_object()) return fail(fmt::format("signals: \"{}\" must be a list", key));
      MAMORI_AUTHZ_CHECK(fn(v, fmt::format("signals.{}", key)));
      return {};
    }
    std::size_t i = 0;
    for (dom::element x : a) {
      if (!x.is_object()) return fail(fmt::format("signals.{}[{}]: expected an object", key, i));
      MAMORI_AUTHZ_CHECK(fn(x, fmt::format("signals.{}[{}]", key, i)));
      ++i;
    }
    return {};
  };
  if (!root.is_object()) return fail("signals: expected a JSON object");
  const bool single_device = !root["devices"].error() ? false : (!root["id"].error());
  if (single_device) {
    auto u = MAMORI_TRY(read_device(root, "signals", true));
    ops.push_back([u, now](signal_store::transaction& tx) { apply_device(tx, u, now); });
  }
  MAMORI_AUTHZ_CHECK(each("devices", [&](dom::element e, const std::string& where) -> result<void> {
    auto u = MAMORI_TRY(read_device(e, where, true));
    ops.push_back([u, now](signal_store::transaction& tx) { apply_device(tx, u, now); });
    return {};
  }));
  MAMORI_AUTHZ_CHECK(each("isolate", [&](dom::element e, const std::string& where) -> result<void> {
    fields f(e, where);
    auto dev = MAMORI_TRY(f.str("device"));
    if (!dev || dev->empty()) return fail(fmt::format("{}: \"device\" is required", where));
    const bool iso = MAMORI_TRY(f.boolean("isolated")).value_or(true);
    std::string reason = MAMORI_TRY(f.str("reason")).value_or("");
    ops.push_back([d = *dev, iso, reason, now](signal_store::transaction& tx) {
      tx.set_isolated(d, iso, reason, now);
    });
    return {};
  }));
  MAMORI_AUTHZ_CHECK(each("revoke", [&](dom::element e, const std::string& where) -> result<void> {
    fields f(e, where);
    auto session = MAMORI_TRY(f.str("session"));
    auto user = MAMORI_TRY(f.str("user"));
    std::string reason = MAMORI_TRY(f.str("reason")).value_or("");
    if (session && !session->empty()) {
      // Keep the entry a day past the default session lifetime unless told.
      const std::int64_t expires = MAMORI_TRY(f.time("expires")).value_or(now + 8 * 86400);
      ops.push_back([s = *session, expires, reason](signal_store::transaction& tx) {
        tx.revoke_session(s, expires, reason);
      });
    } else if (user && !user->empty()) {
      const std::int64_t before = MAMORI_TRY(f.time("before")).value_or(now);
      ops.push_back([u = *user, before, reason](signal_store::transaction& tx) {
        tx.revoke_user_sessions(u, before, reason);
      });
    } else {
      return fail(fmt::format("{}: \"session\" or \"user\" is required", where));
    }
    return {};
  }));
  MAMORI_AUTHZ_CHECK(each("risk", [&](dom::element e, const std::string& where) -> result<void> {
    fields f(e, where);
    auto user = MAMORI_TRY(f.str("user"));
    auto dev = MAMORI_TRY(f.str("device"));
    auto score = MAMORI_TRY(f.number("score"));
    auto add = MAMORI_TRY(f.number("add"));
    std::string reason = MAMORI_TRY(f.str("reason")).value_or("");
    if ((!user || user->empty()) == (!dev || dev->empty())) {
      return fail(fmt::format("{}: exactly one of \"user\" or \"device\"", where));
    }
    if (score.has_value() == add.has_value()) {
      return fail(fmt::format("{}: exactly one of \"score\" or \"add\"", where));
    }
    if (score && (*score < 0 || *score > 100))
      return fail(fmt::format("{}: score must be 0..100", where));
    const bool is_user = user && !user->empty();
    std::string key = is_user ? *user : *dev;
    ops.push_back([=](signal_store::transaction& tx) {
      if (is_user) {
        score ? tx.set_user_risk(key, *score, reason, now)
              : tx.add_user_risk(key, *add, reason, now);
      } else {
        score ? tx.set_device_risk(key, *score, reason, now)
              : tx.add_device_risk(key, *add, reason, now);
      }
    });
    return {};
  }));
  if (ops.empty()) {
    return fail(
        "signals: nothing to apply (expected \"devices\", \"isolate\", \"revoke\" or \"risk\")");
  }
  auto tx = store.begin();
  for (auto& op : ops) op(tx);
  tx.commit();
  return ops.size();
}

std::string explanation_text(const compiled_policy& p, const explanation& e) {
  std::string out;
  out += fmt::format("decision: {}\nreason:   {}\n", outcome_name(e.d.result), e.reason);
  if (e.d.rule >= 0) out += fmt::format("rule:     {}\n", p.rule_at(e.d.rule).src->name);
  out += "\nfacts:\n";
  for (const auto& f : e.facts) out += fmt::format("  {}\n", f);
  if (e.rules.empty()) return out;
  out += "\nrules (declaration order; deny, then step_up, then allow decide):\n";
  for (const auto& t : e.rules) {
    const compiled_rule& r = p.rule_at(t.rule);
    std::string status;
    if (!t.in_scope) {
      status = fmt::format("not applicable: {}", t.scope_note);
    } else if (t.rule == e.d.rule) {
      status = "DECIDED";
    } else if (t.matched) {
      status = "matched";
    } else if (t.how_only) {
      status = "needs step-up";
    } else {
      status = "not matched";
    }
    out += fmt::format("  {:<8} {:<28} {}{}\n", effect_name(r.eff), r.src->name, status,
                       r.app < 0 ? " (global)" : "");
    if (!t.in_scope) continue;
    for (const auto& h : t.holds) out += fmt::format("             ✓ {}\n", h);
    for (const auto& x : t.failures) out += fmt::format("             ✗ {}\n", x);
  }
  return out;
}

std::string explanation_json(const compiled_policy& p, const explanation& e) {
  std::string out = "{\"decision\":";
  json_text::append_string(out, outcome_name(e.d.result));
  out += ",\"reason\":";
  json_text::append_string(out, e.reason);
  out += ",\"rule\":";
  if (e.d.rule >= 0) {
    json_text::append_string(out, p.rule_at(e.d.rule).src->name);
  } else {
    out += "null";
  }
  out += ",\"application\":";
  if (e.d.app >= 0) {
    json_text::append_string(out, p.app_at(e.d.app).src->name);
  } else {
    out += "null";
  }
  out += ",\"facts\":[";
  for (std::size_t k = 0; k < e.facts.size(); ++k) {
    if (k) out += ',';
    json_text::append_string(out, e.facts[k]);
  }
  out += "],\"rules\":[";
  for (std::size_t k = 0; k < e.rules.size(); ++k) {
    const auto& t = e.rules[k];
    const compiled_rule& r = p.rule_at(t.rule);
    if (k) out += ',';
    out += "{\"name\":";
    json_text::append_string(out, r.src->name);
    out += ",\"effect\":";
    json_text::append_string(out, effect_name(r.eff));
    out += fmt::format(
        ",\"global\":{},\"in_scope\":{},\"matched\":{},\"needs_step_up\":{},\"decided\":{}",
        r.app < 0, t.in_scope, t.matched, t.how_only, t.rule == e.d.rule);
    if (!t.in_scope) {
      out += ",\"scope\":";
      json_text::append_string(out, t.scope_note);
    }
    for (auto [key, list] : {std::pair{"holds", &t.holds}, std::pair{"fails", &t.failures}}) {
      out += fmt::format(",\"{}\":[", key);
      for (std::size_t j = 0; j < list->size(); ++j) {
        if (j) out += ',';
        json_text::append_string(out, (*list)[j]);
      }
      out += ']';
    }
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace mamori::authz
