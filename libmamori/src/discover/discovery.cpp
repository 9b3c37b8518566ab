#include "mamori/discover/discovery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "mamori/decode/decoder.hpp"
#include "mamori/discover/report.hpp"
#include "mamori/output/event_writer.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::discover {

namespace {

constexpr std::int64_t hour_ns = 3600LL * 1'000'000'000LL;
constexpr std::int64_t bucket_ns = 5LL * 60 * 1'000'000'000LL;
constexpr std::size_t max_users_per_unknown = 1000;
// The user of records naming neither a user nor a source (Proxifier runs on one machine).
constexpr std::string_view unknown_user = "(unidentified)";

std::int64_t floor_to(std::int64_t t, std::int64_t unit) {
  return t >= 0 ? (t / unit) * unit : ((t - unit + 1) / unit) * unit;
}

std::uint64_t as_bytes(const value* v) {
  if (v == nullptr) return 0;
  auto i = v->as_integer();
  return i && *i > 0 ? static_cast<std::uint64_t>(*i) : 0;
}

ocsf::severity_id severity_of(std::string_view level) {
  if (level == "critical") return ocsf::severity_id::critical;
  if (level == "high") return ocsf::severity_id::high;
  if (level == "medium") return ocsf::severity_id::medium;
  if (level == "low") return ocsf::severity_id::low;
  return ocsf::severity_id::informational;
}

}  // namespace

std::string_view destination_source_name(destination_source s) {
  switch (s) {
    case destination_source::http:
      return "http";
    case destination_source::tls_sni:
      return "tls_sni";
    case destination_source::dns_query:
      return "dns_query";
    case destination_source::connection:
      return "connection";
    case destination_source::ip:
      return "ip";
    case destination_source::count:
      break;
  }
  return "unknown";
}

struct discovery_engine::impl {
  const catalog::app_catalog& cat;
  const discovery_policy& policy;
  const catalog::url_category_db* ut1;
  finding_sink* sink;
  engine_options options;

  struct destination_info {
    std::int32_t app = -1;
    catalog::host_kind kind = catalog::host_kind::invalid;
    bool valid = false;
    bool internal = false;
    catalog::category_set categories;
    std::string host;  // normalized
    std::string rule;  // matched catalog rule
  };

  struct app_acc {
    bool seen = false;
    std::int64_t first_ns = 0, last_ns = 0;
    std::uint64_t requests = 0, up = 0, down = 0;
    std::unordered_map<std::string, user_usage> users;
    std::unordered_map<std::string, std::uint64_t> hosts;
    std::map<std::int64_t, std::uint64_t> hourly;
    catalog::category_set categories;
  };

  struct unknown_acc {
    std::uint64_t requests = 0, up = 0, down = 0;
    std::int64_t first_ns = 0, last_ns = 0;
    std::unordered_set<std::string> users;
    catalog::category_set categories;
    destination_source source = destination_source::dns_query;
  };

  std::vector<discovery_policy::verdict> verdicts;
  std::unordered_map<std::string, destination_info> cache;  // raw destination text → info
  std::vector<app_acc> apps;
  std::unordered_map<std::string, unknown_acc> unknown;
  std::array<std::unordered_map<std::string, std::uint8_t>,
             static_cast<std::size_t>(destination_source::count)>
      distinct;  // per source: normalized host → 1 recognised, 2 internal, 4 categorised
  std::map<std::int64_t, std::uint64_t> trend_total, trend_unsanctioned;  // 5-minute buckets
  std::unordered_set<std::string> known;            // apps seen before (no new-app alert)
  std::unordered_set<std::string> alerted;          // finding dedup keys
  std::map<std::string, std::size_t> alert_counts;  // rule|app → findings emitted
  std::map<std::pair<std::int32_t, std::string>, std::uint64_t> upload_alerted;
  std::uint64_t events = 0, with_destination = 0, recognised_events = 0, findings = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::unordered_map<std::string, std::uint32_t> open_connections;  // host → opens not closed
  std::string scratch;

  impl(const catalog::app_catalog& c, const discovery_policy& p, const catalog::url_category_db* u,
       finding_sink* s, engine_options o)
      : cat(c), policy(p), ut1(u), sink(s), options(std::move(o)) {
    verdicts.reserve(cat.size());
    for (const auto& a : cat.apps()) verdicts.push_back(policy.classify(a, cat.weights()));
    apps.resize(cat.size());
    for (const auto& k : options.known_apps) known.insert(k);
  }

  destination_info resolve(std::string_view raw) {
    destination_info info;
    const catalog::url_parts parts = catalog::split_url(raw);
    info.kind = catalog::normalize_host(parts.host, info.host);
    if (info.kind == catalog::host_kind::invalid) return info;
    info.valid = true;
    if (info.kind == catalog::host_kind::name) info.internal = policy.is_internal(info.host);
    if (auto m = cat.lookup(info.host, info.kind)) {
      info.app = static_cast<std::int32_t>(m.a - cat.apps().data());
      info.rule = std::string(m.rule);
    }
    if (ut1 != nullptr) info.categories = ut1->lookup(info.host, info.kind);
    return info;
  }

  // Destinations repeat: one hash lookup per event once a destination was resolved.
  const destination_info& lookup(std::string_view raw, destination_info& tmp) {
    scratch.assign(raw);
    if (auto it = cache.find(scratch); it != cache.end()) return it->second;
    tmp = resolve(raw);
    if (cache.size() >= options.max_tracked_hosts) return tmp;
    return cache.emplace(scratch, std::move(tmp)).first->second;
  }

  static std::string who(const event& e) {
    std::string_view u = e.get_string(ocsf::attr::actor_user_name);
    if (u.empty()) u = e.get_string(ocsf::attr::src_ip);
    if (u.empty()) u = e.get_string(ocsf::attr::src_hostname);
    if (u.empty()) u = e.get_string(ocsf::attr::device_hostname);
    return u.empty() ? std::string(unknown_user) : std::string(u);
  }

  std::string evidence(const event& e) const {
    std::string out;
    const auto& reg = decoder_registry::builtin();
    std::string_view name;
    if (e.decoder < reg.all().size()) name = reg.at(e.decoder).name;
    append_event_json(out, e, name);
    return out;
  }

  std::string app_evidence(const catalog::app& a, const discovery_policy::verdict& v) const {
    std::string out = "{\"app\":";
    json_text::append_string(out, a.id);
    out += ",\"name\":";
    json_text::append_string(out, a.name);
    out += ",\"category\":";
    json_text::append_string(out, a.category);
    out += fmt::format(",\"score\":{},\"risk\":\"{}\",\"sanction\":\"{}\"",
                       a.score.score ? fmt::format("{:.1f}", *a.score.score) : "null",
                       catalog::risk_level(a.score.score, cat.weights()), sanction_name(v.status));
    if (v.rule != nullptr && !v.rule->alternative.empty()) {
      out += ",\"alternative\":";
      json_text::append_string(out, v.rule->alternative);
    }
    out += '}';
    return out;
  }

  bool allow_alert(const std::string& rule, const std::string& app, const std::string& dedup) {
    if (!alerted.insert(dedup).second) return false;
    std::size_t& n = alert_counts[rule + "|" + app];
    if (n >= options.max_findings_per_rule_app) return false;
    ++n;
    return true;
  }

  void emit(finding f) {
    ++findings;
    if (sink != nullptr) sink->emit(std::move(f));
  }

  finding base_finding(const event& e, const std::string& user) const {
    finding f;
    f.time_ns = e.time_ns;
    f.rule_source = "discovery";
    f.user = e.get_string(ocsf::attr::actor_user_name).empty() ? "" : user;
    f.src_ip = std::string(e.get_string(ocsf::attr::src_ip));
    f.host = std::string(e.get_string(ocsf::attr::device_hostname));
    return f;
  }

  void on_app_event(const event& e, std::int32_t index, const destination_info& d,
                    const std::string& user) {
    const catalog::app& a = cat.apps()[static_cast<std::size_t>(index)];
    const auto& v = verdicts[static_cast<std::size_t>(index)];
    app_acc& acc = apps[static_cast<std::size_t>(index)];
    const bool first_time = !acc.seen;
    acc.seen = true;
    if (first_time && known.insert(a.id).second && sink_wants_new(a, v)) {
      const auto risk = catalog::risk_level(a.score.score, cat.weights());
      finding f = base_finding(e, user);
      f.rule_uid = "mamori.discovery.new_app";
      f.rule_name = fmt::format("New cloud app in use: {}", a.name);
      f.level = v.status == sanction::prohibited   ? "high"
                : v.status == sanction::sanctioned ? "informational"
                : risk == "high"                   ? "medium"
                                                   : "low";
      f.severity = severity_of(f.level);
      f.tags = {"shadow-it", a.category};
      f.explanation = fmt::format(
          "{} ({}, risk score {}) was used for the first time, by {} reaching {}; it is {}.",
          a.name, a.category, a.score.score ? fmt::format("{:.1f}", *a.score.score) : "unrated",
          user, d.host, sanction_name(v.status));
      f.matched.push_back({"app", "destination", d.host});
      f.evidences.push_back(evidence(e));
      f.evidence_json = app_evidence(a, v);
      emit(std::move(f));
    }
    if (v.status == sanction::prohibited &&
        allow_alert("prohibited", a.id, "prohibited|" + a.id + "|" + user)) {
      finding f = base_finding(e, user);
      f.rule_uid = "mamori.discovery.prohibited_app";
      f.rule_name = fmt::format("Prohibited cloud app used: {}", a.name);
      f.level = "high";
      f.severity = severity_of(f.level);
      f.tags = {"shadow-it", "prohibited", a.category};
      f.explanation = fmt::format("{} reached {} ({}), which the policy prohibits: {}.", user,
                                  d.host, a.name, policy.deny_message(a, *v.rule, cat));
      f.matched.push_back({"app", "destination", d.host});
      f.evidences.push_back(evidence(e));
      f.evidence_json = app_evidence(a, v);
      emit(std::move(f));
    }
  }

  bool sink_wants_new(const catalog::app& a, const discovery_policy::verdict& v) const {
    if (v.status != sanction::prohibited &&
        std::find(policy.quiet_categories.begin(), policy.quiet_categories.end(), a.category) !=
            policy.quiet_categories.end())
      return false;
    switch (policy.new_apps) {
      case new_app_alerts::none:
        return false;
      case new_app_alerts::all:
        return true;
      case new_app_alerts::unsanctioned:
        return v.status != sanction::sanctioned;
    }
    return false;
  }

  void on_blocked_category(const event& e, const destination_info& d,
                           const catalog::category_set& categories, const std::string& user) {
    if (ut1 == nullptr || policy.block_url_categories.empty()) return;
    for (const auto& c : policy.block_url_categories) {
      auto id = ut1->find(c);
      if (!id || !categories.test(*id)) continue;
      std::string key = "category|";
      key.append(c).append("|").append(d.host).append("|").append(user);
      if (!allow_alert("category", c, key)) return;
      finding f = base_finding(e, user);
      f.rule_uid = "mamori.discovery.blocked_url_category";
      f.rule_name = fmt::format("Access to a blocked URL category: {}", c);
      f.level = (c == "malware" || c == "phishing" || c == "cryptojacking") ? "high" : "medium";
      f.severity = severity_of(f.level);
      f.tags = {"url-category", c};
      f.explanation =
          fmt::format("{} reached {}, listed in the UT1 '{}' category.", user, d.host, c);
      f.matched.push_back({"url_category", "destination", d.host});
      f.evidences.push_back(evidence(e));
      emit(std::move(f));
      return;
    }
  }

  void observe(const event& e) {
    ++events;
    if (e.time_ns != 0) {
      if (first_ns == 0 || e.time_ns < first_ns) first_ns = e.time_ns;
      if (e.time_ns > last_ns) last_ns = e.time_ns;
    }
    std::string_view raw;
    destination_source src = destination_source::count;
    if (auto h = e.get_string(ocsf::attr::http_url_hostname); !h.empty()) {
      raw = h;
      src = destination_source::http;
    } else if (auto u = e.get_string(ocsf::attr::http_url); !u.empty()) {
      raw = u;
      src = destination_source::http;
    } else if (auto s = e.get_string(ocsf::attr::tls_sni); !s.empty()) {
      raw = s;
      src = destination_source::tls_sni;
    } else if (auto q = e.get_string(ocsf::attr::query_hostname); !q.empty()) {
      raw = q;
      src = destination_source::dns_query;
    } else if (auto d = e.get_string(ocsf::attr::dst_hostname); !d.empty()) {
      raw = d;
      src = destination_source::connection;
    } else if (e.class_uid == ocsf::event_class::http_activity) {
      if (auto ip = e.get_string(ocsf::attr::dst_ip); !ip.empty()) {
        raw = ip;
        src = destination_source::ip;
      }
    }
    if (src == destination_source::count) return;
    destination_info tmp;
    const destination_info& d = lookup(raw, tmp);
    if (!d.valid) return;
    ++with_destination;
    // UT1 url lists match a path too: proxy logs with a full URL are checked per request.
    catalog::category_set categories = d.categories;
    if (ut1 != nullptr && src == destination_source::http) {
      const auto url = e.get_string(ocsf::attr::http_url);
      const auto path = url.empty() ? std::string_view{} : catalog::split_url(url).path;
      if (!path.empty()) categories |= ut1->lookup(d.host, d.kind, path);
    }

    // Recognition counts names (and, for the ip source, addresses): an IP literal in a DNS
    // query or a Host header is not a name the catalog could know.
    auto& seen = distinct[static_cast<std::size_t>(src)];
    const bool counted = d.kind == catalog::host_kind::name || src == destination_source::ip;
    if (counted && (seen.size() < options.max_tracked_hosts || seen.count(d.host) > 0)) {
      std::uint8_t flags = 0;
      if (d.app >= 0) flags |= 1;
      if (d.internal) flags |= 2;
      if (d.app < 0 && categories.any()) flags |= 4;
      seen[d.host] = flags;
    }

    // A connection's close record carries its bytes; when its open record was seen, the
    // connection was counted then.
    bool is_request = true;
    if (e.class_uid == ocsf::event_class::network_activity) {
      if (e.activity_id == ocsf::activity::open) {
        if (open_connections.size() < options.max_tracked_hosts || open_connections.count(d.host))
          ++open_connections[d.host];
      } else if (e.activity_id == ocsf::activity::close) {
        auto it = open_connections.find(d.host);
        if (it != open_connections.end() && it->second > 0) {
          --it->second;
          is_request = false;
        }
      }
    }
    const std::uint64_t up = as_bytes(e.get(ocsf::attr::bytes_out));
    const std::uint64_t down = as_bytes(e.get(ocsf::attr::bytes_in));
    const std::string user = who(e);
    const std::int64_t t = e.time_ns;

    if (d.app >= 0) {
      ++recognised_events;
      on_app_event(e, d.app, d, user);
      app_acc& acc = apps[static_cast<std::size_t>(d.app)];
      if (t != 0) {
        if (acc.first_ns == 0 || t < acc.first_ns) acc.first_ns = t;
        if (t > acc.last_ns) acc.last_ns = t;
        if (is_request) ++acc.hourly[floor_to(t, hour_ns)];
      }
      acc.requests += is_request ? 1 : 0;
      acc.up += up;
      acc.down += down;
      acc.categories |= categories;
      if (acc.hosts.size() < 10'000 || acc.hosts.count(d.host) > 0) ++acc.hosts[d.host];
      auto [it, inserted] = acc.users.try_emplace(user);
      user_usage& u = it->second;
      if (inserted) u.user = user;
      if (t != 0) {
        if (u.first_ns == 0 || t < u.first_ns) u.first_ns = t;
        if (t > u.last_ns) u.last_ns = t;
      }
      u.requests += is_request ? 1 : 0;
      u.bytes_up += up;
      u.bytes_down += down;
      if (t != 0 && is_request) {
        ++trend_total[floor_to(t, bucket_ns)];
        if (verdicts[static_cast<std::size_t>(d.app)].status != sanction::sanctioned)
          ++trend_unsanctioned[floor_to(t, bucket_ns)];
      }
    } else if (!d.internal) {
      if (unknown.size() < options.max_tracked_hosts || unknown.count(d.host) > 0) {
        unknown_acc& u = unknown[d.host];
        u.requests += is_request ? 1 : 0;
        u.up += up;
        u.down += down;
        u.categories |= categories;
        u.source = src;
        if (t != 0) {
          if (u.first_ns == 0 || t < u.first_ns) u.first_ns = t;
          if (t > u.last_ns) u.last_ns = t;
        }
        if (u.users.size() < max_users_per_unknown) u.users.insert(user);
      }
      if (t != 0 && is_request) {
        ++trend_total[floor_to(t, bucket_ns)];
        ++trend_unsanctioned[floor_to(t, bucket_ns)];
      }
    }
    if (categories.any()) on_blocked_category(e, d, categories, user);
  }

  void evaluate() {
    for (std::size_t k = 0; k < apps.size(); ++k) {
      const app_acc& acc = apps[k];
      if (!acc.seen || acc.up == 0) continue;
      const catalog::app& a = cat.apps()[k];
      const auto& v = verdicts[k];
      std::vector<std::uint64_t> ups;
      ups.reserve(acc.users.size());
      for (const auto& [name, u] : acc.users) ups.push_back(u.bytes_up);
      std::sort(ups.begin(), ups.end());
      for (const auto& [name, u] : acc.users) {
        std::string why;
        std::string level;
        if (v.status != sanction::sanctioned && u.bytes_up >= policy.upload_alert_bytes) {
          why = fmt::format("{} uploaded {} to {}, a {} app, at or above the {} alert threshold",
                            name, human_bytes(u.bytes_up), a.name, sanction_name(v.status),
                            human_bytes(policy.upload_alert_bytes));
          level = v.status == sanction::prohibited ? "high" : "medium";
        } else if (ups.size() >= 3 && u.bytes_up >= policy.upload_peer_min_bytes) {
          // The median of the other users: remove this user's value once.
          std::vector<std::uint64_t> others = ups;
          others.erase(std::find(others.begin(), others.end(), u.bytes_up));
          const std::uint64_t median = others[others.size() / 2];
          if (static_cast<double>(u.bytes_up) >=
              policy.upload_peer_factor * static_cast<double>(std::max<std::uint64_t>(median, 1))) {
            why = fmt::format("{} uploaded {} to {}, {:.0f}x the median of its {} other users ({})",
                              name, human_bytes(u.bytes_up), a.name,
                              static_cast<double>(u.bytes_up) /
                                  static_cast<double>(std::max<std::uint64_t>(median, 1)),
                              others.size(), human_bytes(median));
            level = v.status == sanction::sanctioned ? "low" : "medium";
          }
        }
        if (why.empty()) continue;
        auto key = std::make_pair(static_cast<std::int32_t>(k), name);
        auto it = upload_alerted.find(key);
        if (it != upload_alerted.end() && u.bytes_up < it->second * 2) continue;  // not grown
        upload_alerted[key] = u.bytes_up;
        finding f;
        f.time_ns = u.last_ns;
        f.rule_uid = "mamori.discovery.upload_volume";
        f.rule_name = fmt::format("Unusual upload volume to {}", a.name);
        f.rule_source = "discovery";
        f.level = level;
        f.severity = severity_of(level);
        f.attacks = {a.category == "file-sharing" || a.category == "cloud-storage" ? "T1567.002"
                                                                                   : "T1567"};
        f.tags = {"shadow-it", "exfiltration", a.category};
        f.explanation = why + ".";
        f.matched.push_back({"upload", "traffic.bytes_out", std::to_string(u.bytes_up)});
        std::string user_json;
        json_text::append_string(user_json, name);
        f.evidence_json = fmt::format(
            "{{\"app\":\"{}\",\"user\":{},\"bytes_up\":{},\"bytes_down\":{},\"requests\":{},"
            "\"app_users\":{}}}",
            a.id, user_json,
            u.bytes_up, u.bytes_down, u.requests, acc.users.size());
        f.user = name;
        emit(std::move(f));
      }
    }
  }
};

discovery_engine::discovery_engine(const catalog::app_catalog& cat, const discovery_policy& policy,
                                   const catalog::url_category_db* ut1, finding_sink* findings,
                                   engine_options options)
    : impl_(std::make_unique<impl>(cat, policy, ut1, findings, std::move(options))) {}

discovery_engine::~discovery_engine() = default;

void discovery_engine::consume(const event_batch& batch) {
  std::lock_guard lock(mutex_);
  for (const event& e : batch.events()) impl_->observe(e);
}

void discovery_engine::observe(const event& e) {
  std::lock_guard lock(mutex_);
  impl_->observe(e);
}

void discovery_engine::evaluate() {
  std::lock_guard lock(mutex_);
  impl_->evaluate();
}

std::vector<std::string> discovery_engine::seen_app_ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (std::size_t k = 0; k < impl_->apps.size(); ++k)
    if (impl_->apps[k].seen) out.push_back(impl_->cat.apps()[k].id);
  std::sort(out.begin(), out.end());
  return out;
}

inventory discovery_engine::snapshot(const snapshot_options& opts) const {
  std::lock_guard lock(mutex_);
  const impl& m = *impl_;
  inventory inv;
  inv.events = m.events;
  inv.with_destination = m.with_destination;
  inv.recognised_events = m.recognised_events;
  inv.findings = m.findings;
  inv.first_ns = m.first_ns;
  inv.last_ns = m.last_ns;
  inv.sources = m.options.credits;
  for (std::size_t k = 0; k < m.apps.size(); ++k) {
    const auto& acc = m.apps[k];
    if (!acc.seen) continue;
    const catalog::app& a = m.cat.apps()[k];
    const auto& v = m.verdicts[k];
    app_row r;
    r.id = a.id;
    r.name = a.name;
    r.category = a.category;
    r.vendor = a.attrs[static_cast<std::size_t>(catalog::attr::vendor)].text;
    r.score = a.score.score;
    r.coverage = a.score.coverage;
    r.risk = std::string(catalog::risk_level(a.score.score, m.cat.weights()));
    r.status = v.status;
    if (v.rule != nullptr) r.alternative = v.rule->alternative;
    r.first_ns = acc.first_ns;
    r.last_ns = acc.last_ns;
    r.requests = acc.requests;
    r.bytes_up = acc.up;
    r.bytes_down = acc.down;
    r.user_count = acc.users.size();
    r.host_count = acc.hosts.size();
    for (const auto& [name, u] : acc.users) r.users.push_back(u);
    std::sort(r.users.begin(), r.users.end(), [](const user_usage& x, const user_usage& y) {
      if (x.bytes_up != y.bytes_up) return x.bytes_up > y.bytes_up;
      if (x.requests != y.requests) return x.requests > y.requests;
      return x.user < y.user;
    });
    if (r.users.size() > opts.max_users_per_app) r.users.resize(opts.max_users_per_app);
    std::vector<std::pair<std::string, std::uint64_t>> hosts(acc.hosts.begin(), acc.hosts.end());
    std::sort(hosts.begin(), hosts.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second > y.second : x.first < y.first;
    });
    for (std::size_t h = 0; h < hosts.size() && h < 20; ++h) r.hosts.push_back(hosts[h].first);
    if (m.ut1 != nullptr)
      for (auto c : m.ut1->names(acc.categories)) r.url_categories.emplace_back(c);
    r.hourly.assign(acc.hourly.begin(), acc.hourly.end());
    inv.apps.push_back(std::move(r));
  }
  auto status_rank = [](sanction s) {
    return s == sanction::prohibited ? 0 : s == sanction::unsanctioned ? 1 : 2;
  };
  std::sort(inv.apps.begin(), inv.apps.end(), [&](const app_row& x, const app_row& y) {
    if (status_rank(x.status) != status_rank(y.status))
      return status_rank(x.status) < status_rank(y.status);
    const double sx = x.score ? *x.score : 11.0, sy = y.score ? *y.score : 11.0;
    if (sx != sy) return sx < sy;
    if (x.requests != y.requests) return x.requests > y.requests;
    return x.id < y.id;
  });
  for (const auto& [host, u] : m.unknown) {
    unknown_row r;
    r.host = host;
    r.requests = u.requests;
    r.bytes_up = u.up;
    r.bytes_down = u.down;
    r.first_ns = u.first_ns;
    r.last_ns = u.last_ns;
    r.user_count = u.users.size();
    r.source = u.source;
    if (m.ut1 != nullptr)
      for (auto c : m.ut1->names(u.categories)) r.url_categories.emplace_back(c);
    inv.unknown.push_back(std::move(r));
  }
  std::sort(inv.unknown.begin(), inv.unknown.end(), [](const unknown_row& x, const unknown_row& y) {
    if (x.requests != y.requests) return x.requests > y.requests;
    if (x.bytes_up + x.bytes_down != y.bytes_up + y.bytes_down)
      return x.bytes_up + x.bytes_down > y.bytes_up + y.bytes_down;
    return x.host < y.host;
  });
  if (inv.unknown.size() > opts.max_unknown) inv.unknown.resize(opts.max_unknown);
  for (std::size_t s = 0; s < m.distinct.size(); ++s) {
    if (m.distinct[s].empty()) continue;
    recognition_row r;
    r.source = static_cast<destination_source>(s);
    for (const auto& [host, flags] : m.distinct[s]) {
      ++r.distinct;
      if (flags & 1) ++r.recognised;
      if (flags & 2) ++r.internal;
      if (flags & 4) ++r.categorised;
    }
    inv.recognition.push_back(r);
  }
  inv.trend_total.assign(m.trend_total.begin(), m.trend_total.end());
  inv.trend_unsanctioned.assign(m.trend_unsanctioned.begin(), m.trend_unsanctioned.end());
  return inv;
}

}  // namespace mamori::discover
