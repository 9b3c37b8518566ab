#include "mamori/catalog/adguard.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <filesystem>
#include <map>

namespace mamori::catalog {

namespace {

// AdGuard tracker category ids (trackers.json "categories") → mamori categories.
std::string_view tracker_category(std::int64_t id) {
  switch (id) {
    case 0:
      return "media";
    case 1:
      return "comments";
    case 2:
      return "customer-support";
    case 3:
    case 4:
      return "advertising";
    case 5:
      return "essential";
    case 6:
    case 101:
      return "analytics";
    case 7:
      return "social-media";
    case 9:
      return "cdn";
    case 10:
      return "hosting";
    case 12:
      return "extensions";
    case 13:
      return "email";
    case 14:
      return "consent";
    case 15:
      return "telemetry";
    default:
      return "uncategorized";
  }
}

std::string_view service_category(std::string_view c) {
  if (c == "WORK") return "productivity";
  if (c == "SOCIAL_NETWORKS") return "social-media";
  if (c == "SHOP") return "shopping";
  if (c == "VIDEO" || c == "MUSIC") return "media";
  if (c == "MESSENGERS") return "communication";
  if (c == "GAMES") return "games";
  if (c == "SEARCH") return "search";
  return "uncategorized";
}

std::string lower_id(std::string_view s) {
  std::string out;
  for (char c : s) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

}  // namespace

result<adguard_stats> load_adguard(const std::string& dir, app_catalog& cat, diagnostics& diag) {
  namespace fs = std::filesystem;
  adguard_stats stats;
  simdjson::dom::parser parser;
  const fs::path base(dir);
  std::error_code ec;
  if (!fs::is_regular_file(base / "trackers.json", ec))
    return fail(
        fmt::format("{}: no trackers.json (AdGuard companiesdb dist/; set --adguard)", dir));

  std::map<std::string, std::string, std::less<>> company_names;
  {
    simdjson::dom::element root;
    if (parser.load((base / "companies.json").string()).get(root) == simdjson::SUCCESS) {
      simdjson::dom::object companies;
      if (root["companies"].get_object().get(companies) == simdjson::SUCCESS) {
        for (auto [id, c] : companies) {
          std::string_view name;
          if (c["name"].get_string().get(name) == simdjson::SUCCESS)
            company_names.emplace(std::string(id), std::string(name));
        }
      }
    } else {
      diag.report(severity_level::warning, {(base / "companies.json").string(), 0, 0},
                  "cannot read AdGuard companies: vendor names left out");
    }
  }

  {
    simdjson::dom::element root;
    if (auto err = parser.load((base / "trackers.json").string()).get(root); err) {
      return fail(
          fmt::format("{}: {}", (base / "trackers.json").string(), simdjson::error_message(err)));
    }
    std::map<std::string, app, std::less<>> trackers;
    simdjson::dom::object tobj;
    if (root["trackers"].get_object().get(tobj) == simdjson::SUCCESS) {
      for (auto [id, t] : tobj) {
        app a;
        a.id = "adguard:" + lower_id(id);
        std::string_view s;
        if (t["name"].get_string().get(s) == simdjson::SUCCESS) a.name = std::string(s);
        if (t["url"].get_string().get(s) == simdjson::SUCCESS) a.website = std::string(s);
        std::int64_t c = -1;
        if (t["categoryId"].get_int64().get(c) != simdjson::SUCCESS) c = -1;
        a.category = std::string(tracker_category(c));
        if (t["companyId"].get_string().get(s) == simdjson::SUCCESS) {
          if (auto it = company_names.find(s); it != company_names.end()) {
            a.attrs[static_cast<std::size_t>(attr::vendor)].known = true;
            a.attrs[static_cast<std::size_t>(attr::vendor)].text = it->second;
          }
        }
        a.sources = {"adguard:trackers"};
        a.from = layer::names;
        a.origin = (base / "trackers.json").string();
        trackers.emplace(std::string(id), std::move(a));
      }
    }
    simdjson::dom::object dobj;
    if (root["trackerDomains"].get_object().get(dobj) == simdjson::SUCCESS) {
      for (auto [domain, tid] : dobj) {
        std::string_view t;
        if (tid.get_string().get(t) != simdjson::SUCCESS) continue;
        auto it = trackers.find(t);
        if (it == trackers.end()) continue;
        std::string why;
        if (auto r = parse_domain_rule(domain, why)) {
          it->second.domains.push_back(std::move(*r));
          ++stats.tracker_domains;
        }
      }
    }
    for (auto& [id, a] : trackers) {
      if (a.domains.empty()) continue;
      cat.add(std::move(a));
      ++stats.trackers;
    }
  }

  {
    simdjson::dom::element root;
    if (parser.load((base / "vpn_services.json").string()).get(root) == simdjson::SUCCESS) {
      simdjson::dom::array services;
      if (root.get_array().get(services) == simdjson::SUCCESS) {
        for (auto s : services) {
          app a;
          std::string_view v;
          if (s["service_id"].get_string().get(v) != simdjson::SUCCESS) continue;
          a.id = "adguard-service:" + lower_id(v);
          if (s["service_name"].get_string().get(v) == simdjson::SUCCESS) a.name = std::string(v);
          simdjson::dom::array cats;
          if (s["categories"].get_array().get(cats) == simdjson::SUCCESS) {
            for (auto c : cats) {
              if (c.get_string().get(v) != simdjson::SUCCESS) continue;
              if (a.category.empty())
                a.category = std::string(service_category(v));
              else
                a.tags.emplace_back(service_category(v));
            }
          }
          if (a.category.empty()) a.category = "uncategorized";
          simdjson::dom::array doms;
          if (s["domains"].get_array().get(doms) == simdjson::SUCCESS) {
            for (auto d : doms) {
              std::string why;
              if (d.get_string().get(v) != simdjson::SUCCESS) continue;
              if (auto r = parse_domain_rule(v, why)) a.domains.push_back(std::move(*r));
            }
          }
          if (a.domains.empty()) continue;
          a.sources = {"adguard:vpn_services"};
          a.from = layer::names;
          a.origin = (base / "vpn_services.json").string();
          cat.add(std::move(a));
          ++stats.services;
        }
      }
    }
  }

  // Vendor names for catalog apps named like an AdGuard company ("baidu", "tencent").
  std::vector<std::pair<std::string, std::string>> named;
  for (const auto& a : cat.apps()) {
    if (a.from == layer::names || a.attrs[static_cast<std::size_t>(attr::vendor)].known) continue;
    if (auto it = company_names.find(a.id); it != company_names.end())
      named.emplace_back(a.id, it->second);
  }
  for (auto& [id, vendor] : named) {
    app copy = *cat.find(id);
    copy.attrs[static_cast<std::size_t>(attr::vendor)].known = true;
    copy.attrs[static_cast<std::size_t>(attr::vendor)].text = vendor;
    copy.sources.emplace_back("adguard:companies");
    cat.add(std::move(copy));
    ++stats.vendors_named;
  }
  return stats;
}

}  // namespace mamori::catalog
