// App catalog: host normalization edge cases (URLs, userinfo, ports, IDN, IP literals, case,
// trailing dots), matcher precedence, the catalog file schema and its diagnostics, the score
// and weights file, the v2fly reader (includes, attribute filters, affiliations, cycles), the
// builder's conflict resolution, UT1 categories, and the shipped catalog itself.

#include "mamori/catalog/catalog.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "mamori/catalog/builder.hpp"
#include "mamori/catalog/setup.hpp"
#include "mamori/catalog/url_categories.hpp"
#include "mamori/catalog/v2fly.hpp"

namespace mamori::catalog {
namespace {

namespace fs = std::filesystem;
const fs::path shared = MAMORI_SHARED_DATA;
const fs::path source = MAMORI_SOURCE_DIR;

std::string norm(std::string_view in, host_kind* kind = nullptr) {
  std::string out;
  host_kind k = normalize_destination(in, out);
  if (kind != nullptr) *kind = k;
  return out;
}

fs::path temp_dir(std::string_view name) {
  fs::path p = fs::temp_directory_path() / fmt::format("mamori-catalog-{}-{}", name, ::getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void write(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// --- host normalization ---

TEST(Host, CaseTrailingDotsAndWhiteSpace) {
  EXPECT_EQ(norm("WWW.Slack.COM"), "www.slack.com");
  EXPECT_EQ(norm("slack.com."), "slack.com");
  EXPECT_EQ(norm("slack.com.."), "slack.com");
  EXPECT_EQ(norm("  files.slack.com\t"), "files.slack.com");
  EXPECT_EQ(norm(".slack.com"), "slack.com");
}

TEST(Host, UrlsPortsAndUserinfo) {
  EXPECT_EQ(norm("https://files.slack.com/x/y?z=1#f"), "files.slack.com");
  EXPECT_EQ(norm("http://user:secret@dropbox.com:8080/a"), "dropbox.com");
  // Userinfo ends at the last '@' of the authority: the host is what the browser contacts.
  EXPECT_EQ(norm("http://slack.com@evil.example/"), "evil.example");
  EXPECT_EQ(norm("http://a@b@evil.example:81/"), "evil.example");
  EXPECT_EQ(norm("slack.com:443"), "slack.com");
  EXPECT_EQ(norm("slack.com/path/only"), "slack.com");
  EXPECT_EQ(norm("//cdn.example.org/x"), "cdn.example.org");
  EXPECT_EQ(norm("HTTPS://Box.COM.:443"), "box.com");
  const auto p = split_url("http://u:p@h.example:8080/a/b?q=1#frag");
  EXPECT_EQ(p.scheme, "http");
  EXPECT_EQ(p.host, "h.example");
  EXPECT_EQ(p.port, "8080");
  EXPECT_EQ(p.path, "/a/b");
  EXPECT_EQ(p.query, "q=1");
}

TEST(Host, IpLiterals) {
  host_kind k{};
  EXPECT_EQ(norm("10.1.2.3", &k), "10.1.2.3");
  EXPECT_EQ(k, host_kind::ipv4);
  EXPECT_EQ(norm("10.1.2.3:8080", &k), "10.1.2.3");
  EXPECT_EQ(k, host_kind::ipv4);
  EXPECT_EQ(norm("http://192.168.0.1/admin", &k), "192.168.0.1");
  EXPECT_EQ(norm("[2001:DB8::1]:443", &k), "2001:db8::1");
  EXPECT_EQ(k, host_kind::ipv6);
  EXPECT_EQ(norm("2001:0db8:0000:0000:0000:0000:0000:0001", &k), "2001:db8::1");
  EXPECT_EQ(k, host_kind::ipv6);
  EXPECT_EQ(norm("http://[::1]:8080/x", &k), "::1");
  EXPECT_EQ(norm("[fe80::1%25eth0]", &k), "fe80::1");
  EXPECT_EQ(norm("fe80::1%eth0", &k), "fe80::1");
  EXPECT_EQ(k, host_kind::ipv6);
  // Not addresses: out of range, too few parts.
  EXPECT_EQ(norm("999.1.1.1", &k), "");
  EXPECT_EQ(k, host_kind::invalid);
  EXPECT_EQ(norm("1.2.3", &k), "");
  EXPECT_EQ(k, host_kind::invalid);
}

TEST(Host, InternationalizedNamesBecomePunycode) {
  host_kind k{};
  // RFC 3492 examples and common IDNs (IDNA2008 + UTS #46 mapping through libidn2).
  EXPECT_EQ(norm("bücher.example", &k), "xn--bcher-kva.example");
  EXPECT_EQ(k, host_kind::name);
  EXPECT_EQ(norm("BÜCHER.example"), "xn--bcher-kva.example");  // case folded before encoding
  EXPECT_EQ(norm("https://münchen.de/x"), "xn--mnchen-3ya.de");
  EXPECT_EQ(norm("例え.テスト"), "xn--r8jz45g.xn--zckzah");
  EXPECT_EQ(norm("xn--bcher-kva.example"), "xn--bcher-kva.example");  // already ASCII
  EXPECT_EQ(norm("bücher.example."), "xn--bcher-kva.example");
}

TEST(Host, InvalidNames) {
  host_kind k{};
  EXPECT_EQ(norm("", &k), "");
  EXPECT_EQ(k, host_kind::invalid);
  EXPECT_EQ(norm("a..b", &k), "");
  EXPECT_EQ(norm("exa mple.com", &k), "");
  EXPECT_EQ(norm("bad!host.com", &k), "");
  EXPECT_EQ(k, host_kind::invalid);
  EXPECT_EQ(norm(std::string(64, 'a') + ".com"), "");  // label longer than 63
}

TEST(Host, PercentDecoding) {
  EXPECT_EQ(percent_decode("http%3A%2F%2Fa.com%2Fx"), "http://a.com/x");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
}

// --- matcher ---

TEST(Matcher, PrecedenceExactWildcardSuffix) {
  domain_matcher m;
  m.set("slack.com", rule_kind::suffix, 1);
  m.set("slack.com", rule_kind::wildcard, 2);
  m.set("files.slack.com", rule_kind::exact, 3);
  m.set("edge.slack.com", rule_kind::suffix, 4);
  // The apex: the suffix rule (a wildcard never matches its own apex).
  EXPECT_EQ(m.match("slack.com").value, 1u);
  EXPECT_EQ(m.match("slack.com").kind, rule_kind::suffix);
  // Below the apex the wildcard beats the suffix rule of the same anchor.
  EXPECT_EQ(m.match("app.slack.com").value, 2u);
  EXPECT_EQ(m.match("a.b.slack.com").value, 2u);
  // Exact beats everything for its name, but not for names below it.
  EXPECT_EQ(m.match("files.slack.com").value, 3u);
  EXPECT_EQ(m.match("x.files.slack.com").value, 2u);
  // A deeper anchor wins over a shallower one.
  EXPECT_EQ(m.match("edge.slack.com").value, 4u);
  EXPECT_EQ(m.match("a.edge.slack.com").value, 4u);
  EXPECT_EQ(m.match("a.edge.slack.com").domain, "edge.slack.com");
  // Label boundaries: no partial-label matches.
  EXPECT_FALSE(m.match("notslack.com"));
  EXPECT_FALSE(m.match("slack.com.evil.example"));
  EXPECT_FALSE(m.match("com"));
  EXPECT_FALSE(m.match(""));
}

TEST(Matcher, ExactOnlyRulesAndIpLiterals) {
  domain_matcher m;
  m.set("api.example.com", rule_kind::exact, 7);
  m.set("3.4", rule_kind::suffix, 9);
  m.set("1.2.3.4", rule_kind::exact, 8);
  EXPECT_EQ(m.match("api.example.com").value, 7u);
  EXPECT_FALSE(m.match("x.api.example.com"));
  EXPECT_FALSE(m.match("example.com"));
  // IP literals are only compared whole: "3.4" is not a parent domain of 5.6.3.4.
  EXPECT_FALSE(m.match("5.6.3.4", false));
  EXPECT_EQ(m.match("1.2.3.4", false).value, 8u);
}

TEST(Matcher, AgreesWithALinearScanOnRandomNames) {
  // Oracle: for each host, the deepest anchored rule by the documented precedence.
  std::mt19937 rng(42);
  const std::vector<std::string> labels = {"a", "b", "c", "slack", "com", "net", "x-1", "edge"};
  auto random_name = [&](int max_labels) {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % static_cast<unsigned>(max_labels));
    for (int i = 0; i < n; ++i) s += (i ? "." : "") + labels[rng() % labels.size()];
    return s;
  };
  struct rule {
    std::string d;
    rule_kind k;
    std::uint32_t v;
  };
  std::vector<rule> rules;
  domain_matcher m;
  for (std::uint32_t i = 0; i < 300; ++i) {
    rule r{random_name(3), static_cast<rule_kind>(rng() % 3), i};
    // Later rules replace earlier ones with the same (domain, kind), as in the matcher.
    std::erase_if(rules, [&](const rule& o) { return o.d == r.d && o.k == r.k; });
    rules.push_back(r);
    m.set(r.d, r.k, r.v);
  }
  for (int t = 0; t < 3000; ++t) {
    const std::string host = random_name(5);
    std::uint32_t expect = domain_matcher::none;
    std::size_t best_len = 0;
    int best_rank = 9;
    for (const auto& r : rules) {
      const bool apex = host == r.d;
      const bool below = host.size() > r.d.size() && host.ends_with(r.d) &&
                         host[host.size() - r.d.size() - 1] == '.';
      bool hit = false;
      int rank = 9;
      if (r.k == rule_kind::exact && apex) hit = true, rank = 0;
      if (r.k == rule_kind::wildcard && below) hit = true, rank = 1;
      if (r.k == rule_kind::suffix && (apex || below)) hit = true, rank = 2;
      if (!hit) continue;
      if (r.d.size() > best_len || (r.d.size() == best_len && rank < best_rank)) {
        best_len = r.d.size();
        best_rank = rank;
        expect = r.v;
      }
    }
    EXPECT_EQ(m.match(host).value, expect) << host;
  }
}

// --- catalog file schema ---

TEST(CatalogFile, ParsesRulesAttributesAndReportsBadLinesWithFileAndLine) {
  app_catalog cat;
  std::vector<diagnostic> got;
  diagnostics diag([&](const diagnostic& d) { got.push_back(d); });
  const std::string text =
      "# comment\n"
      "{\"id\":\"acme\",\"name\":\"Acme Files\",\"category\":\"file-sharing\","
      "\"domains\":[\"acme.example\",\"*.cdn.acme.example\",\"full:up.acme.example\",\"192.0.2.7\"]"
      ","
      "\"security\":{\"mfa\":true,\"sso_saml\":false,\"audit_logs\":null},"
      "\"compliance\":{\"soc2\":true},\"legal\":{\"breaches\":[2021,2019],"
      "\"gov_access_jurisdiction\":\"DE\",\"data_ownership\":\"customer\"}}\n"
      "\n"
      "{\"id\":\"bad\",\"domains\":[\"*.*.x.com\"]}\n"
      "{\"id\":\"Bad Id\"}\n"
      "{\"id\":\"x\",\"security\":{\"mfa\":\"yes\"}}\n"
      "{\"id\":\"y\",\"general\":{\"mfa\":true}}\n"
      "{\"id\":\"z\",\"legal\":{\"gov_access_jurisdiction\":\"Germany\"}}\n"
      "{\"id\":\"w\",\"colour\":\"red\"}\n"
      "not json\n";
  EXPECT_EQ(cat.load_text(text, "user.jsonl", layer::user, diag), 1u);
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got[0].where.line, 4u);
  EXPECT_NE(got[0].message.find("leading '*.'"), std::string::npos) << got[0].message;
  EXPECT_EQ(got[1].where.line, 5u);
  EXPECT_EQ(got[2].where.line, 6u);
  EXPECT_NE(got[2].message.find("mfa must be true, false or null"), std::string::npos);
  EXPECT_NE(got[3].message.find("belongs to security, not general"), std::string::npos);
  EXPECT_NE(got[4].message.find("ISO 3166-1"), std::string::npos);
  EXPECT_NE(got[5].message.find("unknown key 'colour'"), std::string::npos);
  EXPECT_EQ(got[6].where.line, 10u);
  EXPECT_EQ(render(got[0]).rfind("user.jsonl:4: error:", 0), 0u) << render(got[0]);

  cat.finalize(score_weights::defaults());
  const app* a = cat.find("acme");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->attrs[static_cast<std::size_t>(attr::mfa)].known);
  EXPECT_TRUE(a->attrs[static_cast<std::size_t>(attr::mfa)].b);
  EXPECT_TRUE(a->attrs[static_cast<std::size_t>(attr::sso_saml)].known);
  EXPECT_FALSE(a->attrs[static_cast<std::size_t>(attr::sso_saml)].b);
  EXPECT_FALSE(a->attrs[static_cast<std::size_t>(attr::audit_logs)].known);
  EXPECT_EQ(a->attrs[static_cast<std::size_t>(attr::breaches)].years,
            (std::vector<int>{2019, 2021}));
  std::string scratch;
  EXPECT_EQ(cat.lookup_destination("https://www.acme.example/x", scratch).a, a);
  EXPECT_EQ(cat.lookup_destination("a.cdn.acme.example", scratch).kind, rule_kind::wildcard);
  EXPECT_EQ(cat.lookup_destination("up.acme.example", scratch).kind, rule_kind::exact);
  EXPECT_EQ(cat.lookup_destination("192.0.2.7:443", scratch).a, a);
  EXPECT_FALSE(cat.lookup_destination("7.192.0.2.7", scratch));
  // The JSON form reads back to the same app.
  auto again = parse_app_json(app_to_json(*a));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(app_to_json(*again), app_to_json(*a));
}

TEST(CatalogFile, HigherLayersOverrideAppsAndRules) {
  app_catalog cat;
  diagnostics diag;
  cat.load_text("{\"id\":\"one\",\"domains\":[\"shared.example\",\"one.example\"]}\n", "shipped",
                layer::shipped, diag);
  cat.load_text("{\"id\":\"two\",\"domains\":[\"shared.example\"]}\n", "user", layer::user, diag);
  cat.load_text("{\"id\":\"tracker\",\"domains\":[\"ads.one.example\",\"shared.example\"]}\n",
                "names", layer::names, diag);
  cat.finalize(score_weights::defaults());
  std::string s;
  EXPECT_EQ(cat.lookup_destination("x.shared.example", s).a->id, "two");
  EXPECT_EQ(cat.lookup_destination("one.example", s).a->id, "one");
  // The names layer never overrides a host another layer knows, even with a deeper rule...
  EXPECT_EQ(cat.lookup_destination("ads.one.example", s).a->id, "one");
  // ...and answers for hosts nobody else knows.
  cat.load_text("{\"id\":\"tracker2\",\"domains\":[\"beacon.example\"]}\n", "names", layer::names,
                diag);
  cat.finalize(score_weights::defaults());
  EXPECT_EQ(cat.lookup_destination("a.beacon.example", s).a->id, "tracker2");
  // Same id in a higher layer replaces the app and its domains.
  cat.load_text("{\"id\":\"one\",\"domains\":[\"new-one.example\"]}\n", "user", layer::user, diag);
  cat.finalize(score_weights::defaults());
  EXPECT_EQ(cat.lookup_destination("new-one.example", s).a->id, "one");
  EXPECT_FALSE(cat.lookup_destination("one.example", s) &&
               cat.lookup_destination("one.example", s).a->id == "one");
}

// --- score and weights ---

TEST(Score, KnownAttributesUnknownCreditAndUnrated) {
  score_weights w = score_weights::defaults();
  attr_values none{};
  EXPECT_FALSE(compute_score(none, w).score);
  EXPECT_EQ(risk_level(std::nullopt, w), "unrated");

  attr_values all{};
  for (std::size_t k = 0; k < attribute_count; ++k) {
    all[k].known = true;
    all[k].b = true;
  }
  all[static_cast<std::size_t>(attr::founded)].i = 1990;
  all[static_cast<std::size_t>(attr::popularity)].i = 5;
  all[static_cast<std::size_t>(attr::data_ownership)].text = "customer";
  all[static_cast<std::size_t>(attr::gov_access_jurisdiction)].text = "DE";
  all[static_cast<std::size_t>(attr::vendor)].text = "x";
  all[static_cast<std::size_t>(attr::hq_country)].text = "DE";
  const auto best = compute_score(all, w);
  ASSERT_TRUE(best.score);
  EXPECT_DOUBLE_EQ(*best.score, 10.0);
  EXPECT_DOUBLE_EQ(best.coverage, 1.0);

  attr_values worst = all;
  for (std::size_t k = 0; k < attribute_count; ++k) worst[k].b = false;
  worst[static_cast<std::size_t>(attr::founded)].i = w.as_of_year;
  worst[static_cast<std::size_t>(attr::popularity)].i = 1;
  worst[static_cast<std::size_t>(attr::data_ownership)].text = "vendor";
  worst[static_cast<std::size_t>(attr::breaches)].years = {w.as_of_year};
  worst[static_cast<std::size_t>(attr::gov_access_jurisdiction)].text = "CN";
  EXPECT_DOUBLE_EQ(*compute_score(worst, w).score, 0.0);
  EXPECT_EQ(risk_level(0.0, w), "high");
  EXPECT_EQ(risk_level(5.0, w), "medium");
  EXPECT_EQ(risk_level(7.0, w), "low");

  // A known "no" scores below an unknown (which earns unknown_credit).
  attr_values some = all;
  some[static_cast<std::size_t>(attr::mfa)].known = false;
  attr_values no_mfa = all;
  no_mfa[static_cast<std::size_t>(attr::mfa)].b = false;
  EXPECT_GT(*compute_score(some, w).score, *compute_score(no_mfa, w).score);
  EXPECT_LT(*compute_score(some, w).score, 10.0);
  // Old breaches weigh less than recent ones.
  attr_values old_breach = all, new_breach = all;
  old_breach[static_cast<std::size_t>(attr::breaches)].years = {2012};
  new_breach[static_cast<std::size_t>(attr::breaches)].years = {2012, w.as_of_year - 1};
  EXPECT_GT(*compute_score(old_breach, w).score, *compute_score(new_breach, w).score);
}

TEST(Score, ShippedWeightsFileEqualsTheBuiltInDefaults) {
  auto w = load_weights((source / "data/catalog/weights.yaml").string());
  ASSERT_TRUE(w) << w.error().message;
  const auto d = score_weights::defaults();
  EXPECT_EQ(w->groups, d.groups);
  EXPECT_EQ(w->attributes, d.attributes);
  EXPECT_EQ(w->jurisdictions, d.jurisdictions);
  EXPECT_EQ(w->unknown_credit, d.unknown_credit);
  EXPECT_EQ(w->min_coverage, d.min_coverage);
  EXPECT_EQ(w->as_of_year, d.as_of_year);
  EXPECT_EQ(w->level_low, d.level_low);
  EXPECT_EQ(w->level_medium, d.level_medium);
}

TEST(Score, WeightsErrorsNameFileAndLine) {
  auto bad = [](std::string_view text) {
    auto w = parse_weights(text, "w.yaml");
    EXPECT_FALSE(w);
    return w ? std::string() : w.error().message;
  };
  EXPECT_EQ(bad("groups:\n  security: 3\n  privacy: 2\n"),
            "w.yaml:3: unknown group 'privacy' (general, security, compliance, legal)");
  EXPECT_EQ(bad("attributes:\n  mfa: lots\n"),
            "w.yaml:2: attributes.mfa must be a number, not 'lots'");
  EXPECT_EQ(bad("attributes:\n  vendor: 2\ngroups: {general: 1}\n"),
            "w.yaml:2: 'vendor' is free text and cannot be scored");
  EXPECT_EQ(bad("groups: {general: 1}\nunknown_credit: 2\n"),
            "w.yaml:2: unknown_credit must be between 0 and 1");
  EXPECT_EQ(bad("colour: blue\n"), "w.yaml:1: unknown key 'colour'");
  EXPECT_EQ(bad("groups: {general: 1}\njurisdictions:\n  Germany: 1\n"),
            "w.yaml:3: 'Germany' is not an ISO 3166-1 alpha-2 code or 'default'");
  EXPECT_NE(bad("groups: [\n").find("w.yaml:"), std::string::npos);
  // Changing the weights changes the score.
  auto w = parse_weights("groups: {security: 1}\nattributes: {mfa: 1}\n", "w.yaml");
  ASSERT_TRUE(w);
  attr_values v{};
  v[static_cast<std::size_t>(attr::mfa)] = {true, true};
  EXPECT_DOUBLE_EQ(*compute_score(v, *w).score, 10.0);
  v[static_cast<std::size_t>(attr::mfa)].b = false;
  EXPECT_DOUBLE_EQ(*compute_score(v, *w).score, 0.0);
}

// --- v2fly ---

TEST(V2fly, IncludesFiltersAffiliationsAndCycles) {
  v2fly_db db;
  std::vector<diagnostic> got;
  diagnostics diag([&](const diagnostic& d) { got.push_back(d); });
  v2fly_db::load_stats st;
  db.load_text("svc",
               "# Svc\n"
               "svc.example  # trailing comment\n"
               "full:api.svc.example\n"
               "domain:ads.svc.example @ads\n"
               "cn.svc.example @cn &svc-cn\n"
               "keyword:svc\n"
               "regexp:^svc[0-9]+\\.example$\n"
               "include:svc-cdn\n",
               diag, st);
  db.load_text("svc-cdn", "SVC-CDN.example.\ninclude:svc\n", diag, st);  // a cycle
  db.load_text("cat", "include:svc @-ads\ninclude:other @ads\n", diag, st);
  db.load_text("other", "o.example\nads.o.example @ads\n", diag, st);
  db.load_text("broken", "bad_$.example\n", diag, st);
  EXPECT_EQ(st.keywords_skipped, 1u);
  EXPECT_EQ(st.regexps_skipped, 1u);
  EXPECT_EQ(st.invalid, 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].where.file, "broken");
  EXPECT_EQ(got[0].where.line, 1u);

  auto names = [&](std::string_view list) {
    std::map<std::string, int> out;
    for (const auto& r : db.resolve(list, diag))
      out[(r.rule->full ? "full:" : "") + r.rule->domain] = r.depth;
    return out;
  };
  const auto svc = names("svc");
  EXPECT_EQ(svc, (std::map<std::string, int>{{"svc.example", 0},
                                             {"full:api.svc.example", 0},
                                             {"ads.svc.example", 0},
                                             {"cn.svc.example", 0},
                                             {"svc-cdn.example", 1}}));
  // The affiliation put cn.svc.example into svc-cn too.
  EXPECT_EQ(names("svc-cn"), (std::map<std::string, int>{{"cn.svc.example", 0}}));
  // Filters: everything of svc but @ads (through svc-cdn as well), only @ads of other.
  EXPECT_EQ(names("cat"), (std::map<std::string, int>{{"svc.example", 1},
                                                      {"full:api.svc.example", 1},
                                                      {"cn.svc.example", 1},
                                                      {"svc-cdn.example", 2},
                                                      {"ads.o.example", 1}}));
  EXPECT_EQ(db.find("svc")->rules[0].group, "Svc");
}

TEST(V2fly, RealMicrosoftListIncludesGithubAndOnedrive) {
  const fs::path dir = shared / "reference/v2fly_domain_list_community/data";
  if (!fs::exists(dir)) GTEST_SKIP() << "../shared/data is absent; skipping";
  v2fly_db db;
  diagnostics diag;
  auto st = db.load_dir(dir.string(), diag);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_GT(st->files, 1000u);
  std::map<std::string, int> depth;
  for (const auto& r : db.resolve("microsoft", diag)) depth[r.rule->domain] = r.depth;
  EXPECT_EQ(depth.at("microsoft.com"), 0);
  EXPECT_EQ(depth.at("github.com"), 1);    // include:github
  EXPECT_EQ(depth.at("onedrive.com"), 1);  // include:onedrive
  EXPECT_EQ(diag.errors(), 0u);
}

// --- builder ---

TEST(Builder, CuratedExplicitDomainsWinThenSmallerDepth) {
  const fs::path dir = temp_dir("builder");
  write(dir / "v2fly/megacorp", "megacorp.example\ninclude:megadrive\ninclude:megachat\n");
  write(dir / "v2fly/megadrive", "megadrive.example\nshared.example\n");
  write(dir / "v2fly/megachat", "megachat.example\nads.megachat.example @ads\n");
  write(dir / "v2fly/category-netdisk-!cn",
        "include:megadrive\n\n# Tiny Share\ntiny.example\ntiny-cdn.example\n\nlone.example\n");
  write(dir / "v2fly/category-ads", "include:megachat @ads\n");
  write(dir / "curated.jsonl",
        "{\"id\":\"megacorp\",\"name\":\"MegaCorp Suite\",\"category\":\"productivity\","
        "\"domains\":[\"shared.example\"],\"security\":{\"mfa\":true}}\n");
  diagnostics diag;
  auto built = build_catalog({{(dir / "curated.jsonl").string()}, (dir / "v2fly").string()}, diag);
  ASSERT_TRUE(built) << built.error().message;
  std::map<std::string, std::string> owner;
  std::map<std::string, const app*> by_id;
  for (const auto& a : built->apps) {
    by_id[a.id] = &a;
    for (const auto& r : a.domains) owner[format_domain_rule(r)] = a.id;
  }
  EXPECT_EQ(owner.at("megacorp.example"), "megacorp");
  EXPECT_EQ(owner.at("shared.example"), "megacorp");      // curated explicit beats depth 0
  EXPECT_EQ(owner.at("megadrive.example"), "megadrive");  // depth 0 beats depth 1
  EXPECT_EQ(owner.at("megachat.example"), "megachat");
  EXPECT_EQ(owner.count("ads.megachat.example"), 0u);  // @ads left out
  EXPECT_EQ(owner.at("tiny.example"), "tiny-share");   // a named category block
  EXPECT_EQ(owner.at("tiny-cdn.example"), "tiny-share");
  EXPECT_EQ(owner.at("lone.example"), "lone.example");
  EXPECT_EQ(by_id.at("megadrive")->category, "file-sharing");  // from the category list
  EXPECT_EQ(by_id.at("tiny-share")->name, "Tiny Share");
  EXPECT_EQ(by_id.at("megachat")->category, "uncategorized");  // a filtered include is no category
  EXPECT_EQ(by_id.at("megacorp")->sources, (std::vector<std::string>{"curated", "v2fly:megacorp"}));
  EXPECT_EQ(built->report.ads_skipped, 1u);
  // Deterministic output.
  auto again = build_catalog({{(dir / "curated.jsonl").string()}, (dir / "v2fly").string()}, diag);
  EXPECT_EQ(catalog_to_jsonl(again->apps), catalog_to_jsonl(built->apps));
  fs::remove_all(dir);
}

TEST(Builder, ShippedCatalogIsUpToDateWithItsSources) {
  const fs::path dir = shared / "reference/v2fly_domain_list_community/data";
  if (!fs::exists(dir)) GTEST_SKIP() << "../shared/data is absent; skipping";
  diagnostics diag;
  auto built =
      build_catalog({{(source / "data/catalog/curated.jsonl").string()}, dir.string()}, diag);
  ASSERT_TRUE(built) << built.error().message;
  std::ifstream in(source / "data/catalog/catalog.jsonl", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_TRUE(ss.str() == catalog_to_jsonl(built->apps))
      << "data/catalog/catalog.jsonl is stale: run `mamori catalog build`";
  EXPECT_GE(built->report.curated_apps, 300u);
}

// --- the shipped catalog ---

TEST(ShippedCatalog, CuratedAppsAndWellKnownDomains) {
  catalog_setup setup;
  setup.data_dir = (source / "data").string();
  setup.adguard_dir = "none";
  diagnostics diag;
  auto cat = load_catalog(setup, diag);
  ASSERT_TRUE(cat) << cat.error().message;
  EXPECT_EQ(diag.errors(), 0u);
  std::size_t curated = 0, rated = 0;
  for (const auto& a : cat->apps()) {
    if (!a.sources.empty() && a.sources[0] == "curated") ++curated;
    if (a.score.score) ++rated;
  }
  EXPECT_GE(curated, 300u);
  EXPECT_GE(rated, 300u);
  std::string s;
  const std::map<std::string, std::string> expect = {{"https://files.slack.com/x", "slack"},
                                                     {"www.dropbox.com", "dropbox"},
                                                     {"drive.google.com", "google-drive"},
                                                     {"mail.google.com", "gmail"},
                                                     {"chat.openai.com", "chatgpt"},
                                                     {"claude.ai", "claude"},
                                                     {"wetransfer.com", "wetransfer"},
                                                     {"tenant.sharepoint.com", "microsoft-365"},
                                                     {"bucket.s3.amazonaws.com", "amazon-s3"},
                                                     {"api.github.com", "github"},
                                                     {"web.whatsapp.com", "whatsapp"},
                                                     {"pan.baidu.com", "baidu-netdisk"},
                                                     {"x.anydesk.com", "anydesk"},
                                                     {"MEGA.NZ.", "mega"}};
  for (const auto& [host, id] : expect) {
    auto m = cat->lookup_destination(host, s);
    ASSERT_TRUE(m) << host;
    EXPECT_EQ(m.a->id, id) << host;
  }
  // Curated apps carry attributes in all four groups.
  const app* slack = cat->find("slack");
  ASSERT_NE(slack, nullptr);
  EXPECT_TRUE(slack->attrs[static_cast<std::size_t>(attr::soc2)].known);
  EXPECT_TRUE(slack->attrs[static_cast<std::size_t>(attr::hq_country)].known);
  EXPECT_TRUE(slack->attrs[static_cast<std::size_t>(attr::gov_access_jurisdiction)].known);
  EXPECT_TRUE(slack->score.score.has_value());
}

// --- UT1 categories ---

TEST(Ut1, DomainsUrlsAliasesAndParentDomains) {
  const fs::path dir = temp_dir("ut1");
  write(dir / "malware/urls",
        "evil.pages.example/bad\nwww.drop.example/payload.exe\nwhole.example\n");
  write(dir / "malware/domains", "");
  write(dir / "adult/domains", "adult.example\n");
  write(dir / "webhosting/domains", "pages.example\n");
  write(dir / "_ALIASES.txt", "porn -> adult\n");
  url_category_db db;
  diagnostics diag;
  auto st = db.load_ut1(dir.string(), {}, diag);
  ASSERT_TRUE(st) << st.error().message;
  auto cats = [&](std::string_view url) {
    std::string out;
    for (auto c : db.names(db.lookup_destination(url)))
      out += std::string(out.empty() ? "" : ",") + std::string(c);
    return out;
  };
  EXPECT_EQ(cats("http://evil.pages.example/bad/x"), "malware,webhosting");
  EXPECT_EQ(cats("http://evil.pages.example/good"), "webhosting");  // path outside the entry
  EXPECT_EQ(cats("drop.example/payload.exe"), "malware");           // www. ignored
  EXPECT_EQ(cats("www2.drop.example/payload.exe"), "malware");
  EXPECT_EQ(cats("http://sub.whole.example/"), "malware");  // url entry without path
  EXPECT_EQ(cats("https://x.y.adult.example:443/"), "adult");
  EXPECT_EQ(cats("notadult.example"), "");
  url_category_db only;
  auto st2 = only.load_ut1(dir.string(), {"porn"}, diag);  // alias
  ASSERT_TRUE(st2);
  EXPECT_EQ(only.category_count(), 1u);
  EXPECT_FALSE(only.load_ut1(dir.string(), {"nonexistent"}, diag));
  fs::remove_all(dir);
}

TEST(Ut1, RealListsCategoriseKnownSites) {
  const fs::path dir = shared / "reference/ut1_blacklists/blacklists";
  if (!fs::exists(dir)) GTEST_SKIP() << "../shared/data is absent; skipping";
  url_category_db db;
  diagnostics diag;
  auto st =
      db.load_ut1(dir.string(), {"webmail", "filehosting", "remote-control", "malware"}, diag);
  ASSERT_TRUE(st) << st.error().message;
  auto has = [&](std::string_view url, std::string_view c) {
    for (auto n : db.names(db.lookup_destination(url)))
      if (n == c) return true;
    return false;
  };
  // Picked from the lists' own lines, so the check follows the data.
  std::ifstream wm(dir / "webmail/domains");
  std::string first;
  std::getline(wm, first);
  EXPECT_TRUE(has("https://www." + first + "/inbox", "webmail")) << first;
  std::ifstream mw(dir / "malware/urls");
  std::string url;
  std::getline(mw, url);
  EXPECT_TRUE(has("http://" + url, "malware")) << url;
  EXPECT_FALSE(has("http://example.invalid/", "malware"));
}

}  // namespace
}  // namespace mamori::catalog
