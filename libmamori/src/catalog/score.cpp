#include "mamori/catalog/score.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace mamori::catalog {

namespace {

void set_attr(score_weights& w, attr a, double v) {
  w.attributes[static_cast<std::size_t>(a)] = v;
}

std::string where(std::string_view name, const YAML::Node& n) {
  return fmt::format("{}:{}", name, n.Mark().line + 1);
}

result<double> number(const YAML::Node& n, std::string_view name, std::string_view what, double lo,
                      double hi) {
  double v = 0;
  try {
    if (!n.IsScalar()) return fail(fmt::format("{}: {} must be a number", where(name, n), what));
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    return fail(fmt::format("{}: {} must be a number, not '{}'", where(name, n), what, n.Scalar()));
  }
  if (!(v >= lo && v <= hi))
    return fail(fmt::format("{}: {} must be between {} and {}", where(name, n), what, lo, hi));
  return v;
}

double attr_value_score(const attr_value& v, const attr_spec& sp, const score_weights& w) {
  switch (sp.type) {
    case attr_type::boolean:
      return v.b ? 1.0 : 0.0;
    case attr_type::year: {
      const double age = static_cast<double>(w.as_of_year - v.i);
      if (w.founded_mature_years <= 0) return 1.0;
      return std::clamp(age / w.founded_mature_years, 0.0, 1.0);
    }
    case attr_type::tier:
      return std::clamp((static_cast<double>(v.i) - 1.0) / 4.0, 0.0, 1.0);
    case attr_type::ownership:
      return v.text == "customer" ? 1.0 : v.text == "shared" ? 0.5 : 0.0;
    case attr_type::years: {
      if (v.years.empty()) return 1.0;
      const int last = v.years.back();
      return w.as_of_year - last < w.breach_recent_years ? 0.0 : 0.5;
    }
    case attr_type::country: {
      auto it = w.jurisdictions.find(v.text);
      return it == w.jurisdictions.end() ? w.jurisdiction_default : it->second;
    }
    case attr_type::text:
      break;
  }
  return 0.0;
}

}  // namespace

score_weights score_weights::defaults() {
  score_weights w;
  w.groups = {1.0, 3.0, 3.0, 2.0};  // general, security, compliance, legal
  set_attr(w, attr::founded, 1);
  set_attr(w, attr::popularity, 2);
  set_attr(w, attr::encryption_at_rest, 3);
  set_attr(w, attr::encryption_in_transit, 3);
  set_attr(w, attr::mfa, 3);
  set_attr(w, attr::sso_saml, 2);
  set_attr(w, attr::audit_logs, 2);
  set_attr(w, attr::admin_roles, 1);
  set_attr(w, attr::data_residency, 1);
  set_attr(w, attr::iso27001, 3);
  set_attr(w, attr::soc2, 3);
  set_attr(w, attr::hipaa, 1);
  set_attr(w, attr::pci_dss, 1);
  set_attr(w, attr::gdpr, 2);
  set_attr(w, attr::csa_star, 1);
  set_attr(w, attr::data_ownership, 2);
  set_attr(w, attr::breaches, 2);
  set_attr(w, attr::gov_access_jurisdiction, 1);
  w.jurisdictions = {{"AT", 1.0}, {"BE", 1.0}, {"CH", 1.0}, {"DE", 1.0}, {"DK", 1.0}, {"EE", 1.0},
                     {"ES", 1.0}, {"FI", 1.0}, {"FR", 1.0}, {"IE", 1.0}, {"IT", 1.0}, {"LU", 1.0},
                     {"NL", 1.0}, {"NO", 1.0}, {"PL", 1.0}, {"PT", 1.0}, {"SE", 1.0}, {"CZ", 1.0},
                     {"LT", 1.0}, {"GB", 0.9}, {"CA", 0.9}, {"JP", 0.9}, {"NZ", 0.9}, {"KR", 0.8},
                     {"AU", 0.8}, {"IL", 0.7}, {"US", 0.7}, {"SG", 0.7}, {"IN", 0.5}, {"CN", 0.0},
                     {"RU", 0.0}, {"IR", 0.0}, {"KP", 0.0}, {"BY", 0.0}};
  return w;
}

result<score_weights> load_weights(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("{}: cannot read the weights file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_weights(ss.str(), path);
}

result<score_weights> parse_weights(std::string_view text, std::string_view name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(fmt::format("{}:{}: invalid YAML: {}", name, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap()) return fail(fmt::format("{}: the weights file must be a YAML mapping", name));
  // Starts from no weights: a weights file says everything it means.
  score_weights w;
  w.jurisdictions.clear();
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "as_of_year") {
      w.as_of_year = static_cast<int>(MAMORI_TRY(number(v, name, key, 1970, 2200)));
    } else if (key == "unknown_credit") {
      w.unknown_credit = MAMORI_TRY(number(v, name, key, 0, 1));
    } else if (key == "min_coverage") {
      w.min_coverage = MAMORI_TRY(number(v, name, key, 0, 1));
    } else if (key == "founded_mature_years") {
      w.founded_mature_years = static_cast<int>(MAMORI_TRY(number(v, name, key, 0, 200)));
    } else if (key == "breach_recent_years") {
      w.breach_recent_years = static_cast<int>(MAMORI_TRY(number(v, name, key, 0, 200)));
    } else if (key == "levels") {
      if (!v.IsMap()) return fail(fmt::format("{}: levels must be a mapping", where(name, v)));
      for (const auto& lv : v) {
        const std::string lk = lv.first.as<std::string>();
        if (lk == "low")
          w.level_low = MAMORI_TRY(number(lv.second, name, "levels.low", 0, 10));
        else if (lk == "medium")
          w.level_medium = MAMORI_TRY(number(lv.second, name, "levels.medium", 0, 10));
        else
          return fail(
              fmt::format("{}: unknown level '{}' (low, medium)", where(name, lv.first), lk));
      }
      if (w.level_medium > w.level_low)
        return fail(fmt::format("{}: levels.medium must not exceed levels.low", where(name, v)));
    } else if (key == "groups") {
      if (!v.IsMap()) return fail(fmt::format("{}: groups must be a mapping", where(name, v)));
      for (const auto& gv : v) {
        const std::string gk = gv.first.as<std::string>();
        auto it = std::find(group_names.begin(), group_names.end(), gk);
        if (it == group_names.end())
          return fail(fmt::format("{}: unknown group '{}' (general, security, compliance, legal)",
                                  where(name, gv.first), gk));
        w.groups[static_cast<std::size_t>(it - group_names.begin())] =
            MAMORI_TRY(number(gv.second, name, "groups." + gk, 0, 1000));
      }
    } else if (key == "attributes") {
      if (!v.IsMap()) return fail(fmt::format("{}: attributes must be a mapping", where(name, v)));
      for (const auto& av : v) {
        const std::string ak = av.first.as<std::string>();
        std::size_t k = 0;
        while (k < attribute_count && attribute_specs[k].name != ak) ++k;
        if (k == attribute_count)
          return fail(fmt::format("{}: unknown attribute '{}' (docs/catalog.md lists them)",
                                  where(name, av.first), ak));
        const double wt = MAMORI_TRY(number(av.second, name, "attributes." + ak, 0, 1000));
        if (wt > 0 && attribute_specs[k].type == attr_type::text)
          return fail(
              fmt::format("{}: '{}' is free text and cannot be scored", where(name, av.first), ak));
        w.attributes[k] = wt;
      }
    } else if (key == "jurisdictions") {
      if (!v.IsMap())
        return fail(fmt::format("{}: jurisdictions must be a mapping", where(name, v)));
      for (const auto& jv : v) {
        const std::string jk = jv.first.as<std::string>();
        const double s = MAMORI_TRY(number(jv.second, name, "jurisdictions." + jk, 0, 1));
        if (jk == "default") {
          w.jurisdiction_default = s;
        } else if (jk.size() == 2 && std::isupper(static_cast<unsigned char>(jk[0])) &&
                   std::isupper(static_cast<unsigned char>(jk[1]))) {
          w.jurisdictions[jk] = s;
        } else {
          return fail(fmt::format("{}: '{}' is not an ISO 3166-1 alpha-2 code or 'default'",
                                  where(name, jv.first), jk));
        }
      }
    } else {
      return fail(fmt::format("{}: unknown key '{}'", where(name, kv.first), key));
    }
  }
  double total = 0;
  for (double g : w.groups) total += g;
  if (total <= 0) return fail(fmt::format("{}: every group weight is 0", name));
  return w;
}

app_score compute_score(const attr_values& values, const score_weights& w) {
  app_score out;
  std::array<double, group_count> num{}, den{}, known_w{};
  bool any_known = false;
  for (std::size_t k = 0; k < attribute_count; ++k) {
    const double wt = w.attributes[k];
    if (wt <= 0) continue;
    const auto g = static_cast<std::size_t>(attribute_specs[k].group);
    den[g] += wt;
    if (values[k].known) {
      num[g] += wt * attr_value_score(values[k], attribute_specs[k], w);
      known_w[g] += wt;
      any_known = true;
    } else {
      num[g] += wt * w.unknown_credit;
    }
  }
  double total = 0, weighted = 0, known_share = 0;
  for (std::size_t g = 0; g < group_count; ++g) {
    if (den[g] <= 0 || w.groups[g] <= 0) continue;
    const double gs = num[g] / den[g];
    out.groups[g] = std::round(gs * 100.0) / 10.0;
    total += w.groups[g];
    weighted += w.groups[g] * gs;
    known_share += w.groups[g] * (known_w[g] / den[g]);
  }
  if (total <= 0) return out;
  out.coverage = known_share / total;
  if (any_known && out.coverage >= w.min_coverage && out.coverage > 0)
    out.score = std::round(weighted / total * 100.0) / 10.0;
  return out;
}

std::string_view risk_level(std::optional<double> score, const score_weights& w) {
  if (!score) return "unrated";
  if (*score >= w.level_low) return "low";
  if (*score >= w.level_medium) return "medium";
  return "high";
}

}  // namespace mamori::catalog
