#include "mamori/discover/policy.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace mamori::discover {

namespace {

std::string at(std::string_view file, const YAML::Node& n) {
  return fmt::format("{}:{}", file, n.Mark().line + 1);
}

result<std::string> scalar(const YAML::Node& n, std::string_view file, std::string_view what) {
  if (!n.IsScalar()) return fail(fmt::format("{}: {} must be a single value", at(file, n), what));
  return n.Scalar();
}

result<std::vector<std::pair<std::string, YAML::Node>>> scalar_list(const YAML::Node& n,
                                                                    std::string_view file,
                                                                    std::string_view what) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (n.IsNull()) return out;
  if (n.IsScalar()) {
    out.emplace_back(n.Scalar(), n);
    return out;
  }
  if (!n.IsSequence()) return fail(fmt::format("{}: {} must be a list", at(file, n), what));
  for (const auto& item : n) {
    if (!item.IsScalar())
      return fail(fmt::format("{}: each entry of {} must be a single value", at(file, item), what));
    out.emplace_back(item.Scalar(), item);
  }
  return out;
}

result<double> number(const YAML::Node& n, std::string_view file, std::string_view what) {
  const std::string s = MAMORI_TRY(scalar(n, file, what));
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return fail(fmt::format("{}: {} must be a number, not '{}'", at(file, n), what, s));
  return v;
}

result<std::uint64_t> size_value(const YAML::Node& n, std::string_view file,
                                 std::string_view what) {
  const std::string s = MAMORI_TRY(scalar(n, file, what));
  auto v = parse_size(s);
  if (!v)
    return fail(
        fmt::format("{}: {} must be a size such as 100MB or 1GB, not '{}'", at(file, n), what, s));
  return *v;
}

bool known_category(const catalog::app_catalog& cat, std::string_view c) {
  for (const auto& a : cat.apps())
    if (a.category == c) return true;
  return false;
}

}  // namespace

std::string_view sanction_name(sanction s) {
  switch (s) {
    case sanction::sanctioned:
      return "sanctioned";
    case sanction::prohibited:
      return "prohibited";
    case sanction::unsanctioned:
      break;
  }
  return "unsanctioned";
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || v < 0) return std::nullopt;
  std::string unit(p, s.data() + s.size());
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double mult = 1;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KB" || unit == "K" || unit == "KIB")
    mult = 1024.0;
  else if (unit == "MB" || unit == "M" || unit == "MIB")
    mult = 1024.0 * 1024;
  else if (unit == "GB" || unit == "G" || unit == "GIB")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "TB" || unit == "T" || unit == "TIB")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else
    return std::nullopt;
  return static_cast<std::uint64_t>(v * mult);
}

discovery_policy::verdict discovery_policy::classify(const catalog::app& a,
                                                     const catalog::score_weights& w) const {
  (void)w;
  if (sanctioned.count(a.id) > 0) return {sanction::sanctioned, nullptr};
  for (const auto& p : prohibited) {
    if (!p.app.empty() && p.app == a.id) return {sanction::prohibited, &p};
    if (!p.category.empty() && p.category == a.category) return {sanction::prohibited, &p};
    if (p.score_below && a.score.score && *a.score.score < *p.score_below)
      return {sanction::prohibited, &p};
  }
  return {sanction::unsanctioned, nullptr};
}

std::string discovery_policy::deny_message(const catalog::app& a, const prohibition& p,
                                           const catalog::app_catalog& cat) const {
  if (!p.message.empty()) return p.message;
  std::string why = p.score_below ? fmt::format("its risk score is below {}", *p.score_below)
                    : !p.category.empty() ? fmt::format("{} apps are not allowed", p.category)
                                          : "it is not approved";
  std::string msg = fmt::format("{} is prohibited by company policy ({})", a.name, why);
  if (!p.alternative.empty()) {
    const catalog::app* alt = cat.find(p.alternative);
    msg += fmt::format("; use {} instead", alt != nullptr ? alt->name : p.alternative);
  }
  return msg;
}

bool discovery_policy::is_internal(std::string_view host) const {
  for (const auto& d : internal_domains) {
    if (host == d) return true;
    if (host.size() > d.size() && host.ends_with(d) && host[host.size() - d.size() - 1] == '.')
      return true;
  }
  // Single-label names (NetBIOS-style "fileserver", "wpad") never leave the network.
  return !host.empty() && host.find('.') == std::string_view::npos;
}

result<discovery_policy> load_policy(const std::string& path, const catalog::app_catalog& cat) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("{}: cannot read the policy file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_policy(ss.str(), path, cat);
}

result<discovery_policy> parse_policy(std::string_view text, std::string_view file,
                                      const catalog::app_catalog& cat) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("{}:{}: invalid YAML: {}", file, e.mark.line + 1, e.msg));
  }
  discovery_policy p;
  p.origin = std::string(file);
  if (root.IsNull()) return p;
  if (!root.IsMap())
    return fail(fmt::format("{}: a policy is a YAML mapping (docs/discover.md)", file));
  // An error message, or "" when the catalog has the app.
  auto missing_app = [&](const std::string& id, const YAML::Node& n) -> std::string {
    if (cat.find(id) != nullptr) return {};
    return fmt::format("{}: no app '{}' in the catalog (see `mamori catalog show`)", at(file, n),
                       id);
  };
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "sanctioned") {
        for (const auto& [id, n] : MAMORI_TRY(scalar_list(v, file, key))) {
          if (auto bad = missing_app(id, n); !bad.empty()) return fail(bad);
          p.sanctioned.insert(id);
        }
      } else if (key == "prohibited") {
        if (!v.IsSequence() && !v.IsNull())
          return fail(fmt::format("{}: prohibited must be a list", at(file, v)));
        for (const auto& item : v) {
          prohibition r;
          r.origin = at(file, item);
          if (item.IsScalar()) {
            r.app = item.Scalar();
            if (auto bad = missing_app(r.app, item); !bad.empty()) return fail(bad);
            p.prohibited.push_back(std::move(r));
            continue;
          }
          if (!item.IsMap())
            return fail(
                fmt::format("{}: a prohibited entry is an app id or a mapping with app, "
                            "category or risk_below",
                            at(file, item)));
          int selectors = 0;
          for (const auto& f : item) {
            const std::string fk = f.first.as<std::string>();
            if (fk == "app") {
              r.app = MAMORI_TRY(scalar(f.second, file, "app"));
              if (auto bad = missing_app(r.app, f.second); !bad.empty()) return fail(bad);
              ++selectors;
            } else if (fk == "category") {
              r.category = MAMORI_TRY(scalar(f.second, file, "category"));
              if (!known_category(cat, r.category))
                return fail(fmt::format("{}: no app of the catalog has category '{}'",
                                        at(file, f.second), r.category));
              ++selectors;
            } else if (fk == "risk_below" || fk == "score_below") {
              r.score_below = MAMORI_TRY(number(f.second, file, fk));
              if (*r.score_below < 0 || *r.score_below > 10)
                return fail(fmt::format("{}: {} must be between 0 and 10", at(file, f.second), fk));
              ++selectors;
            } else if (fk == "alternative") {
              r.alternative = MAMORI_TRY(scalar(f.second, file, "alternative"));
              if (auto bad = missing_app(r.alternative, f.second); !bad.empty()) return fail(bad);
            } else if (fk == "message") {
              r.message = MAMORI_TRY(scalar(f.second, file, "message"));
            } else {
              return fail(
                  fmt::format("{}: unknown key '{}' in a prohibited entry (app, category, "
                              "risk_below, alternative, message)",
                              at(file, f.first), fk));
            }
          }
          if (selectors != 1)
            return fail(
                fmt::format("{}: a prohibited entry needs exactly one of app, category "
                            "or risk_below",
                            r.origin));
          p.prohibited.push_back(std::move(r));
        }
      } else if (key == "block_url_categories") {
        for (const auto& [c, n] : MAMORI_TRY(scalar_list(v, file, key)))
          p.block_url_categories.push_back(c);
      } else if (key == "block_url_message") {
        p.block_url_message = MAMORI_TRY(scalar(v, file, key));
      } else if (key == "ut1_path") {
        p.ut1_path = MAMORI_TRY(scalar(v, file, key));
      } else if (key == "internal_domains") {
        p.internal_domains.clear();
        for (const auto& [d, n] : MAMORI_TRY(scalar_list(v, file, key))) {
          std::string norm;
          if (catalog::normalize_host(d, norm) != catalog::host_kind::name)
            return fail(fmt::format("{}: '{}' is not a domain name", at(file, n), d));
          p.internal_domains.push_back(norm);
        }
      } else if (key == "alerts") {
        if (!v.IsMap()) return fail(fmt::format("{}: alerts must be a mapping", at(file, v)));
        for (const auto& f : v) {
          const std::string fk = f.first.as<std::string>();
          if (fk == "new_apps") {
            const std::string s = MAMORI_TRY(scalar(f.second, file, fk));
            if (s == "none")
              p.new_apps = new_app_alerts::none;
            else if (s == "unsanctioned")
              p.new_apps = new_app_alerts::unsanctioned;
            else if (s == "all")
              p.new_apps = new_app_alerts::all;
            else
              return fail(fmt::format("{}: new_apps must be none, unsanctioned or all, not '{}'",
                                      at(file, f.second), s));
          } else if (fk == "quiet_categories") {
            p.quiet_categories.clear();
            for (const auto& [c, n] : MAMORI_TRY(scalar_list(f.second, file, fk)))
              p.quiet_categories.push_back(c);
          } else if (fk == "upload_bytes") {
            p.upload_alert_bytes = MAMORI_TRY(size_value(f.second, file, fk));
          } else if (fk == "upload_peer_factor") {
            p.upload_peer_factor = MAMORI_TRY(number(f.second, file, fk));
            if (p.upload_peer_factor < 1)
              return fail(
                  fmt::format("{}: upload_peer_factor must be at least 1", at(file, f.second)));
          } else if (fk == "upload_peer_min_bytes") {
            p.upload_peer_min_bytes = MAMORI_TRY(size_value(f.second, file, fk));
          } else {
            return fail(
                fmt::format("{}: unknown alert setting '{}' (new_apps, quiet_categories, "
                            "upload_bytes, upload_peer_factor, upload_peer_min_bytes)",
                            at(file, f.first), fk));
          }
        }
      } else {
        return fail(
            fmt::format("{}: unknown key '{}' (sanctioned, prohibited, "
                        "block_url_categories, block_url_message, ut1_path, "
                        "internal_domains, alerts)",
                        at(file, kv.first), key));
      }
    }
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg));
  }
  for (const auto& r : p.prohibited) {
    if (!r.app.empty() && p.sanctioned.count(r.app) > 0)
      return fail(fmt::format("{}: '{}' is both sanctioned and prohibited", r.origin, r.app));
  }
  return p;
}

}  // namespace mamori::discover
