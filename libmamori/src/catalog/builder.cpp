#include "mamori/catalog/builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

namespace mamori::catalog {

namespace {

bool is_aggregate_list(std::string_view name) {
  return name.starts_with("category-") || name.starts_with("geolocation-") ||
         name.starts_with("tld-") || name == "cn" || name == "private";
}

std::string slug(std::string_view s) {
  std::string out;
  for (char c : s) {
    const char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool keep = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.';
    if (keep)
      out += l;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  return out;
}

// A block heading is a product name when it is short and reads like one ("Cohere", "GitHub
// Copilot"); longer comments are notes about the list and name nothing.
bool looks_like_name(std::string_view g) {
  if (g.empty() || g.size() > 40) return false;
  std::size_t spaces = 0;
  for (char c : g) {
    if (c == ' ') ++spaces;
    if (c == ':' || c == '/' || c == '(' || c == ',') return false;
  }
  return spaces <= 3;
}

struct claim {
  std::size_t app = 0;
  bool explicit_domain = false;
  int depth = 0;
  bool curated = false;
};

bool better(const claim& a, const claim& b, const std::vector<app>& apps) {
  auto key = [&](const claim& c) {
    return std::make_tuple(!c.explicit_domain, c.depth, !c.curated,
                           std::string_view(apps[c.app].id));
  };
  return key(a) < key(b);
}

}  // namespace

const std::vector<category_mapping>& v2fly_category_mapping() {
  // Order matters: a list included by several categories takes the first one here.
  static const std::vector<category_mapping> m = {
      {"category-ai-!cn", "ai", true},
      {"category-ai-chat-!cn", "ai", true},
      {"category-ai-cn", "ai", true},
      {"category-ai-ru", "ai", true},
      {"category-password-management", "password-manager", true},
      {"category-remote-control", "remote-access", true},
      {"category-vpnservices", "vpn-proxy", true},
      {"category-proxy-tunnels", "vpn-proxy", true},
      {"category-anticensorship", "vpn-proxy", true},
      {"category-netdisk-!cn", "file-sharing", true},
      {"category-netdisk-cn", "file-sharing", true},
      {"category-collaborate-cn", "collaboration", true},
      {"category-documents-cn", "productivity", true},
      {"category-dev", "dev-tools", true},
      {"category-dev-cn", "dev-tools", true},
      {"category-container", "dev-tools", true},
      {"category-communication", "communication", true},
      {"category-voip", "communication", true},
      {"category-antivirus", "security", true},
      {"category-network-security-cn", "security", true},
      {"category-urlshortner", "url-shortener", true},
      {"category-doh", "dns-over-https", true},
      {"category-ddns", "dynamic-dns", true},
      {"category-social-media-!cn", "social-media", true},
      {"category-social-media-cn", "social-media", true},
      {"category-cryptocurrency", "cryptocurrency", true},
      {"category-finance", "finance", true},
      {"category-ecommerce", "shopping", true},
      {"category-scholar-!cn", "education", true},
      {"category-scholar-cn", "education", true},
      {"category-mooc-cn", "education", true},
      {"category-education-cn", "education", true},
      {"category-forums", "forums", true},
      {"category-tech-media", "news", true},
      {"category-media", "media", true},
      {"category-media-cn", "media", true},
      {"category-entertainment", "media", true},
      {"category-entertainment-cn", "media", true},
      {"category-games", "games", true},
      {"category-games-!cn", "games", true},
      {"category-games-cn", "games", true},
      {"category-speedtest", "utilities", true},
      {"category-web-archive", "utilities", true},
      {"category-browser-!cn", "browser", true},
      {"category-cdn-!cn", "cdn", true},
      {"category-cdn-cn", "cdn", true},
      // Categories that name lists but whose own domains are not apps.
      {"category-porn", "adult", false},
      {"category-public-tracker", "p2p", false},
      {"category-pt", "p2p", false},
  };
  return m;
}

std::string build_report::to_text() const {
  return fmt::format(
      "{} apps: {} curated, {} from v2fly service lists, {} from v2fly category blocks; "
      "{} domain rules ({} claimed by several apps, resolved); v2fly: {} files, {} rules, "
      "{} @ads rules left out, {} keyword and {} regexp rules skipped, {} invalid",
      curated_apps + list_apps + block_apps, curated_apps, list_apps, block_apps, rules, conflicts,
      v2fly.files, v2fly.rules, ads_skipped, v2fly.keywords_skipped, v2fly.regexps_skipped,
      v2fly.invalid);
}

result<build_result> build_catalog(const build_options& opts, diagnostics& diag) {
  build_result out;
  v2fly_db db;
  out.report.v2fly = MAMORI_TRY(db.load_dir(opts.v2fly_dir, diag));

  app_catalog curated;
  for (const auto& f : opts.curated) {
    auto n = curated.load_file(f, layer::shipped, diag);
    if (!n) return tl::unexpected(n.error());
  }

  std::vector<app> apps;
  std::unordered_map<std::string, std::size_t> by_id;
  std::vector<std::vector<std::string>> lists_of;  // v2fly lists per app
  std::vector<bool> is_curated;
  std::set<std::string> claimed_lists;

  for (const app& c : curated.apps()) {
    app a = c;
    std::vector<std::string> lists = a.v2fly;
    if (!a.v2fly_given && db.find(a.id) != nullptr) lists.push_back(a.id);
    for (const auto& l : lists) {
      if (db.find(l) == nullptr)
        diag.report(severity_level::warning, {a.origin, 0, 0},
                    fmt::format("app '{}': no v2fly list named '{}'", a.id, l));
      claimed_lists.insert(l);
    }
    a.v2fly.clear();
    a.sources = {"curated"};
    by_id[a.id] = apps.size();
    apps.push_back(std::move(a));
    lists_of.push_back(lists);
    is_curated.push_back(true);
  }
  out.report.curated_apps = apps.size();

  // Categories of service lists: from the category lists that include them unfiltered.
  std::map<std::string, std::vector<std::string>, std::less<>> categories_of;
  for (const auto& m : v2fly_category_mapping()) {
    const v2fly_list* cat = db.find(m.v2fly);
    if (cat == nullptr) continue;
    // Lists included without attribute filters, transitively (category-porn → mindgeek-porn →
    // pornhub): a filtered include (@ads) takes rules, not the whole service.
    std::vector<std::string> queue;
    std::set<std::string> visited;
    for (const auto& inc : cat->includes)
      if (inc.with.empty() && inc.without.empty()) queue.push_back(inc.list);
    while (!queue.empty()) {
      std::string name = std::move(queue.back());
      queue.pop_back();
      if (!visited.insert(name).second || is_aggregate_list(name)) continue;
      auto& v = categories_of[name];
      if (std::find(v.begin(), v.end(), m.category) == v.end()) v.emplace_back(m.category);
      if (const v2fly_list* l = db.find(name))
        for (const auto& inc : l->includes)
          if (inc.with.empty() && inc.without.empty()) queue.push_back(inc.list);
    }
  }
  auto categorize = [&](app& a, std::string_view list) {
    auto it = categories_of.find(list);
    if (it == categories_of.end() || it->second.empty()) return;
    if (a.category.empty() || a.category == "uncategorized") a.category = it->second.front();
    for (const auto& c : it->second)
      if (c != a.category && std::find(a.tags.begin(), a.tags.end(), c) == a.tags.end())
        a.tags.push_back(c);
  };
  for (std::size_t k = 0; k < apps.size(); ++k)
    for (const auto& l : lists_of[k])
      if (apps[k].category == "uncategorized") categorize(apps[k], l);

  for (const auto& [name, list] : db.lists()) {
    if (is_aggregate_list(name) || claimed_lists.count(name) > 0) continue;
    if (by_id.count(name) > 0) continue;
    app a;
    a.id = name;
    a.name = name;
    a.category = "uncategorized";
    a.sources = {"v2fly:" + name};
    categorize(a, name);
    by_id[a.id] = apps.size();
    apps.push_back(std::move(a));
    lists_of.push_back({name});
    is_curated.push_back(false);
    ++out.report.list_apps;
  }

  std::set<const v2fly_rule*> ads_rules;  // left out, counted once each
  // Claims: (domain, kind) -> best claimant.
  std::map<std::pair<std::string, rule_kind>, claim> claims;
  auto offer = [&](const std::string& domain, rule_kind kind, const claim& c) {
    auto [it, inserted] = claims.try_emplace({domain, kind}, c);
    if (inserted) return;
    if (it->second.app == c.app) {
      if (better(c, it->second, apps)) it->second = c;
      return;
    }
    ++out.report.conflicts;
    if (better(c, it->second, apps)) it->second = c;
  };
  for (std::size_t k = 0; k < apps.size(); ++k) {
    for (const auto& r : apps[k].domains) offer(r.domain, r.kind, {k, true, 0, is_curated[k]});
    for (const auto& l : lists_of[k]) {
      for (const auto& res : db.resolve(l, diag)) {
        const auto& attrs = res.rule->attrs;
        if (std::find(attrs.begin(), attrs.end(), "ads") != attrs.end()) {
          ads_rules.insert(res.rule);
          continue;
        }
        offer(res.rule->domain, res.rule->full ? rule_kind::exact : rule_kind::suffix,
              {k, false, res.depth, is_curated[k]});
      }
      if (std::find(apps[k].sources.begin(), apps[k].sources.end(), "v2fly:" + l) ==
          apps[k].sources.end())
        apps[k].sources.push_back("v2fly:" + l);
    }
  }

  // Domains written directly in category lists: one app per named block, else per domain.
  std::map<std::pair<std::string, std::string>, std::string> block_ids;
  for (const auto& m : v2fly_category_mapping()) {
    if (!m.blocks_become_apps) continue;
    const v2fly_list* cat = db.find(m.v2fly);
    if (cat == nullptr) continue;
    for (const auto& r : cat->rules) {
      if (std::find(r.attrs.begin(), r.attrs.end(), "ads") != r.attrs.end()) {
        ads_rules.insert(&r);
        continue;
      }
      const rule_kind kind = r.full ? rule_kind::exact : rule_kind::suffix;
      if (claims.count({r.domain, kind}) > 0) continue;  // a service already has it
      // One app per named block: the block's first domain names it when the heading does not
      // make an ASCII id.
      const bool named = looks_like_name(r.group);
      std::string id;
      if (named) {
        auto b = block_ids.find({std::string(m.v2fly), r.group});
        if (b != block_ids.end())
          id = b->second;
        else
          id = slug(r.group).empty() ? r.domain : slug(r.group);
        block_ids.emplace(std::make_pair(std::string(m.v2fly), r.group), id);
      } else {
        id = r.domain;
      }
      std::size_t k = 0;
      if (auto it = by_id.find(id); it != by_id.end()) {
        k = it->second;
      } else {
        app a;
        a.id = id;
        a.name = looks_like_name(r.group) ? r.group : r.domain;
        a.category = std::string(m.category);
        a.sources = {"v2fly:" + std::string(m.v2fly)};
        k = apps.size();
        by_id[id] = k;
        apps.push_back(std::move(a));
        is_curated.push_back(false);
        lists_of.emplace_back();
        ++out.report.block_apps;
      }
      const std::string src = "v2fly:" + std::string(m.v2fly);
      if (std::find(apps[k].sources.begin(), apps[k].sources.end(), src) == apps[k].sources.end())
        apps[k].sources.push_back(src);
      offer(r.domain, kind, {k, false, 0, is_curated[k]});
    }
  }

  // Each app keeps the rules it won (explicit domains are offered first, so they win).
  for (auto& a : apps) a.domains.clear();
  for (const auto& [key, c] : claims) {
    domain_rule r;
    r.domain = key.first;
    r.kind = key.second;
    std::string scratch;
    r.host = normalize_host(r.domain, scratch);
    apps[c.app].domains.push_back(std::move(r));
  }
  out.report.rules = claims.size();
  out.report.ads_skipped = ads_rules.size();
  for (auto& a : apps) {
    std::sort(a.domains.begin(), a.domains.end(), [](const domain_rule& x, const domain_rule& y) {
      return std::tie(x.domain, x.kind) < std::tie(y.domain, y.kind);
    });
  }
  // Uncurated apps that lost every rule to others would match nothing: drop them.
  std::vector<app> kept;
  for (std::size_t k = 0; k < apps.size(); ++k) {
    if (!is_curated[k] && apps[k].domains.empty()) {
      if (apps[k].sources.size() == 1 && apps[k].sources[0].starts_with("v2fly:category-"))
        --out.report.block_apps;
      else
        --out.report.list_apps;
      continue;
    }
    kept.push_back(std::move(apps[k]));
  }
  std::sort(kept.begin(), kept.end(), [](const app& x, const app& y) { return x.id < y.id; });
  out.apps = std::move(kept);
  return out;
}

std::string catalog_to_jsonl(const std::vector<app>& apps) {
  std::string out =
      "# mamori app catalog, generated by `mamori catalog build` (docs/catalog.md); do not edit:\n"
      "# change data/catalog/curated.jsonl or add your own catalog file instead.\n"
      "# Sources and licences: data/catalog/PROVENANCE.md\n";
  for (const auto& a : apps) {
    out += app_to_json(a);
    out += '\n';
  }
  return out;
}

}  // namespace mamori::catalog
