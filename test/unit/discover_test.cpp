// Shadow-IT discovery: the policy file (and its file:line errors), the engine's accounting and
// findings on synthetic events, and recognition on the real Proxifier and Zeek data, checked
// against oracles computed here from the raw records.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>

#include "mamori/catalog/setup.hpp"
#include "mamori/discover/discovery.hpp"
#include "mamori/discover/report.hpp"
#include "mamori/pipeline/parse_job.hpp"

namespace mamori::discover {
namespace {

namespace fs = std::filesystem;
const fs::path shared = MAMORI_SHARED_DATA;
const fs::path source = MAMORI_SOURCE_DIR;

#define REQUIRE_SHARED(path)                                                 \
  if (!fs::exists(shared / (path))) {                                        \
    GTEST_SKIP() << "../shared/data is absent (" << (path) << "); skipping"; \
  }

// A small catalog for the synthetic cases.
const catalog::app_catalog& test_catalog() {
  static const catalog::app_catalog cat = [] {
    catalog::app_catalog c;
    diagnostics diag;
    c.load_text(
        "{\"id\":\"drive\",\"name\":\"Drive\",\"category\":\"file-sharing\",\"domains\":[\"drive."
        "example\"],"
        "\"security\":{\"mfa\":true,\"encryption_at_rest\":true},\"compliance\":{\"soc2\":true,"
        "\"iso27001\":true}}\n"
        "{\"id\":\"share\",\"name\":\"ShareIt\",\"category\":\"file-sharing\",\"domains\":[\"share."
        "example\"],"
        "\"security\":{\"mfa\":false},\"legal\":{\"gov_access_jurisdiction\":\"CN\"}}\n"
        "{\"id\":\"chat\",\"name\":\"Chat\",\"category\":\"collaboration\",\"domains\":[\"chat."
        "example\"]}\n"
        "{\"id\":\"vpn1\",\"name\":\"Free "
        "VPN\",\"category\":\"vpn-proxy\",\"domains\":[\"vpn1.example\"]}\n"
        "{\"id\":\"ads\",\"name\":\"Ad "
        "network\",\"category\":\"advertising\",\"domains\":[\"ads.example\"]}\n",
        "test.jsonl", catalog::layer::shipped, diag);
    c.finalize(catalog::score_weights::defaults());
    return c;
  }();
  return cat;
}

std::string policy_error(std::string_view text) {
  auto p = parse_policy(text, "policy.yaml", test_catalog());
  EXPECT_FALSE(p) << text;
  return p ? std::string() : p.error().message;
}

TEST(Policy, ErrorsNameFileAndLine) {
  EXPECT_EQ(policy_error("sanctioned: [drive, nosuchapp]\n"),
            "policy.yaml:1: no app 'nosuchapp' in the catalog (see `mamori catalog show`)");
  EXPECT_EQ(policy_error("sanctioned:\n  - drive\nprohibited:\n  - app: share\n    alternative: "
                         "missing\n"),
            "policy.yaml:5: no app 'missing' in the catalog (see `mamori catalog show`)");
  EXPECT_EQ(policy_error("prohibited:\n  - category: gambling-halls\n"),
            "policy.yaml:2: no app of the catalog has category 'gambling-halls'");
  EXPECT_EQ(policy_error("prohibited:\n  - app: share\n    category: vpn-proxy\n"),
            "policy.yaml:2: a prohibited entry needs exactly one of app, category or risk_below");
  EXPECT_EQ(policy_error("prohibited:\n  - app: share\n    colour: red\n"),
            "policy.yaml:3: unknown key 'colour' in a prohibited entry (app, category, risk_below, "
            "alternative, message)");
  EXPECT_EQ(policy_error("prohibited:\n  - risk_below: 11\n"),
            "policy.yaml:2: risk_below must be between 0 and 10");
  EXPECT_EQ(policy_error("alerts:\n  upload_bytes: lots\n"),
            "policy.yaml:2: upload_bytes must be a size such as 100MB or 1GB, not 'lots'");
  EXPECT_EQ(policy_error("alerts:\n  new_apps: sometimes\n"),
            "policy.yaml:2: new_apps must be none, unsanctioned or all, not 'sometimes'");
  EXPECT_EQ(policy_error("\n\nblok_url_categories: [malware]\n"),
            "policy.yaml:3: unknown key 'blok_url_categories' (sanctioned, prohibited, "
            "block_url_categories, block_url_message, ut1_path, internal_domains, alerts)");
  EXPECT_EQ(policy_error("sanctioned: [share]\nprohibited: [share]\n"),
            "policy.yaml:2: 'share' is both sanctioned and prohibited");
  EXPECT_EQ(policy_error("internal_domains: [\"bad domain\"]\n"),
            "policy.yaml:1: 'bad domain' is not a domain name");
  const std::string syntax = policy_error("sanctioned: [drive\nprohibited: x\n");
  EXPECT_EQ(syntax.rfind("policy.yaml:", 0), 0u) << syntax;
  EXPECT_NE(syntax.find("invalid YAML"), std::string::npos) << syntax;
}

TEST(Policy, ClassifiesAndNamesTheAlternative) {
  auto p = parse_policy(
      "sanctioned: [drive]\n"
      "prohibited:\n"
      "  - app: share\n"
      "    alternative: drive\n"
      "  - category: vpn-proxy\n"
      "    message: Personal VPNs are not allowed\n"
      "  - risk_below: 2\n"
      "alerts:\n  upload_bytes: 1.5 MB\n",
      "policy.yaml", test_catalog());
  ASSERT_TRUE(p) << p.error().message;
  const auto& cat = test_catalog();
  EXPECT_EQ(p->classify(*cat.find("drive"), cat.weights()).status, sanction::sanctioned);
  auto v = p->classify(*cat.find("share"), cat.weights());
  ASSERT_EQ(v.status, sanction::prohibited);
  EXPECT_EQ(p->deny_message(*cat.find("share"), *v.rule, cat),
            "ShareIt is prohibited by company policy (it is not approved); use Drive instead");
  auto vpn = p->classify(*cat.find("vpn1"), cat.weights());
  ASSERT_EQ(vpn.status, sanction::prohibited);
  EXPECT_EQ(p->deny_message(*cat.find("vpn1"), *vpn.rule, cat), "Personal VPNs are not allowed");
  EXPECT_EQ(p->classify(*cat.find("chat"), cat.weights()).status, sanction::unsanctioned);
  EXPECT_EQ(p->upload_alert_bytes, static_cast<std::uint64_t>(1.5 * 1024 * 1024));
  EXPECT_TRUE(p->is_internal("dc1.corp"));
  EXPECT_TRUE(p->is_internal("wpad"));
  EXPECT_TRUE(p->is_internal("4.3.2.1.in-addr.arpa"));
  EXPECT_FALSE(p->is_internal("corp.example.com"));
}

TEST(Policy, ShippedExamplePolicyLoadsAgainstTheShippedCatalog) {
  catalog::catalog_setup setup;
  setup.data_dir = (source / "data").string();
  setup.adguard_dir = "none";
  diagnostics diag;
  auto cat = catalog::load_catalog(setup, diag);
  ASSERT_TRUE(cat) << cat.error().message;
  auto p = load_policy((source / "data/policy/example-policy.yaml").string(), *cat);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(p->sanctioned.empty());
  EXPECT_FALSE(p->prohibited.empty());
}

// --- engine on synthetic events ---

struct rec {
  std::string host;
  std::string user;
  std::uint64_t up = 0, down = 0;
  std::int64_t t = 0;
  ocsf::event_class cls = ocsf::event_class::http_activity;
  std::uint8_t activity = 0;
  std::string src_ip;
  std::string url;
};

void add(event_batch& b, const rec& r) {
  event& e = b.add();
  e.time_ns = r.t;
  e.class_uid = r.cls;
  e.activity_id = r.activity;
  auto s = [&](std::string_view v) { return value::string(b.store(v)); };
  if (r.cls == ocsf::event_class::http_activity) {
    if (!r.url.empty()) e.set(ocsf::attr::http_url, s(r.url));
    if (!r.host.empty()) e.set(ocsf::attr::http_url_hostname, s(r.host));
  } else if (r.cls == ocsf::event_class::dns_activity) {
    e.set(ocsf::attr::query_hostname, s(r.host));
  } else {
    e.set(ocsf::attr::dst_hostname, s(r.host));
  }
  if (!r.user.empty()) e.set(ocsf::attr::actor_user_name, s(r.user));
  if (!r.src_ip.empty()) e.set(ocsf::attr::src_ip, s(r.src_ip));
  if (r.up) e.set(ocsf::attr::bytes_out, value::integer(static_cast<std::int64_t>(r.up)));
  if (r.down) e.set(ocsf::attr::bytes_in, value::integer(static_cast<std::int64_t>(r.down)));
}

class collect final : public finding_sink {
 public:
  void emit(finding f) override { all.push_back(std::move(f)); }
  std::vector<finding> all;
  std::size_t count(std::string_view rule) const {
    return static_cast<std::size_t>(std::count_if(
        all.begin(), all.end(), [&](const finding& f) { return f.rule_uid == rule; }));
  }
};

constexpr std::int64_t sec = 1'000'000'000LL;
constexpr std::int64_t t0 = 1'700'000'000LL * sec;

TEST(Engine, AccountsAppsUsersBytesAndTime) {
  auto p =
      parse_policy("sanctioned: [drive]\nprohibited:\n  - app: share\n    alternative: drive\n",
                   "p", test_catalog());
  ASSERT_TRUE(p);
  collect found;
  discovery_engine engine(test_catalog(), *p, nullptr, &found);
  event_batch b;
  add(b, {"drive.example", "alice", 100, 1000, t0 + 10 * sec});
  add(b, {"WWW.Drive.Example.", "alice", 50, 0, t0 + 5 * sec});
  add(b,
      {"drive.example", "", 7, 0, t0 + 20 * sec, ocsf::event_class::http_activity, 0, "10.0.0.9"});
  add(b, {"up.share.example", "bob", 5000, 10, t0 + 30 * sec});
  add(b, {"share.example", "bob", 1, 1, t0 + 40 * sec});
  add(b, {"share.example", "carol", 1, 1, t0 + 41 * sec});
  add(b, {"unknown.example.org", "bob", 3, 4, t0 + 50 * sec});
  add(b, {"printer.corp", "bob", 0, 0, t0 + 51 * sec});
  add(b, {"ads.example", "bob", 0, 0, t0 + 52 * sec});
  engine.consume(b);
  engine.evaluate();
  const inventory inv = engine.snapshot();
  ASSERT_EQ(inv.apps.size(), 3u);
  // Prohibited first, then unsanctioned, then sanctioned.
  EXPECT_EQ(inv.apps[0].id, "share");
  EXPECT_EQ(inv.apps[0].status, sanction::prohibited);
  EXPECT_EQ(inv.apps[0].alternative, "drive");
  EXPECT_EQ(inv.apps[1].id, "ads");
  EXPECT_EQ(inv.apps[2].id, "drive");
  const app_row& drive = inv.apps[2];
  EXPECT_EQ(drive.requests, 3u);
  EXPECT_EQ(drive.bytes_up, 157u);
  EXPECT_EQ(drive.bytes_down, 1000u);
  EXPECT_EQ(drive.first_ns, t0 + 5 * sec);
  EXPECT_EQ(drive.last_ns, t0 + 20 * sec);
  ASSERT_EQ(drive.users.size(), 2u);
  EXPECT_EQ(drive.users[0].user, "alice");  // most bytes up first
  EXPECT_EQ(drive.users[0].requests, 2u);
  EXPECT_EQ(drive.users[1].user, "10.0.0.9");  // no user: the source address
  EXPECT_EQ(drive.host_count, 2u);             // drive.example and www.drive.example
  ASSERT_EQ(inv.unknown.size(), 1u);           // printer.corp is internal
  EXPECT_EQ(inv.unknown[0].host, "unknown.example.org");
  EXPECT_EQ(inv.events, 9u);
  EXPECT_EQ(inv.recognised_events, 7u);
  // Findings: new unsanctioned/prohibited apps (the sanctioned drive and the quiet advertising
  // category are not announced), one prohibited-use finding per user.
  EXPECT_EQ(found.count("mamori.discovery.new_app"), 1u);
  EXPECT_EQ(found.count("mamori.discovery.prohibited_app"), 2u);
  const finding& pf =
      found.all[std::find_if(found.all.begin(), found.all.end(),
                             [](const finding& f) {
                               return f.rule_uid == "mamori.discovery.prohibited_app";
                             }) -
                found.all.begin()];
  EXPECT_EQ(pf.level, "high");
  EXPECT_EQ(pf.rule_source, "discovery");
  EXPECT_EQ(pf.user, "bob");
  EXPECT_NE(pf.explanation.find("use Drive instead"), std::string::npos) << pf.explanation;
  ASSERT_EQ(pf.evidences.size(), 1u);
  EXPECT_NE(pf.evidences[0].find("up.share.example"), std::string::npos);
  const std::string json = discovery_finding_json(pf);
  EXPECT_EQ(json.rfind("{\"class_uid\":2004,", 0), 0u);
  EXPECT_NE(json.find("\"uid\":\"mamori.discovery.prohibited_app\""), std::string::npos);
}

TEST(Engine, ConnectionCloseRecordsAddBytesNotRequests) {
  discovery_policy p;
  discovery_engine engine(test_catalog(), p, nullptr, nullptr);
  event_batch b;
  const auto net = ocsf::event_class::network_activity;
  add(b, {"chat.example", "", 0, 0, t0, net, ocsf::activity::open});
  add(b, {"chat.example", "", 100, 200, t0 + sec, net, ocsf::activity::close});
  add(b, {"chat.example", "", 10, 20, t0 + 2 * sec, net, ocsf::activity::close});  // no open seen
  engine.consume(b);
  const auto inv = engine.snapshot();
  ASSERT_EQ(inv.apps.size(), 1u);
  EXPECT_EQ(inv.apps[0].requests, 2u);
  EXPECT_EQ(inv.apps[0].bytes_up, 110u);
  EXPECT_EQ(inv.apps[0].bytes_down, 220u);
  EXPECT_EQ(inv.apps[0].users[0].user, "(unidentified)");
}

TEST(Engine, UploadVolumeThresholdAndPeers) {
  auto p = parse_policy(
      "sanctioned: [drive]\nalerts:\n  upload_bytes: 1MB\n  upload_peer_factor: 10\n  "
      "upload_peer_min_bytes: 100KB\n",
      "p", test_catalog());
  ASSERT_TRUE(p);
  collect found;
  discovery_engine engine(test_catalog(), *p, nullptr, &found);
  event_batch b;
  // Unsanctioned app: 2 MB from one user crosses the absolute threshold.
  add(b, {"chat.example", "mallory", 2 << 20, 0, t0});
  add(b, {"chat.example", "bob", 1000, 0, t0});
  // Sanctioned app: peers upload ~10 KB, one user 500 KB (50x the median) → peer anomaly.
  for (const char* u : {"a", "b", "c", "d"}) add(b, {"drive.example", u, 10'000, 0, t0});
  add(b, {"drive.example", "eve", 500'000, 0, t0 + sec});
  engine.consume(b);
  engine.evaluate();
  ASSERT_EQ(found.count("mamori.discovery.upload_volume"), 2u);
  std::set<std::string> who;
  for (const auto& f : found.all) {
    if (f.rule_uid != "mamori.discovery.upload_volume") continue;
    who.insert(f.user);
    if (f.user == "mallory") {
      EXPECT_EQ(f.level, "medium");
      EXPECT_NE(f.explanation.find("alert threshold"), std::string::npos) << f.explanation;
    } else {
      EXPECT_EQ(f.level, "low");  // a sanctioned app
      EXPECT_NE(f.explanation.find("50x the median"), std::string::npos) << f.explanation;
      EXPECT_EQ(f.attacks, std::vector<std::string>{"T1567.002"});
    }
  }
  EXPECT_EQ(who, (std::set<std::string>{"mallory", "eve"}));
  // Evaluating again without growth raises nothing new; doubling the upload does.
  engine.evaluate();
  EXPECT_EQ(found.count("mamori.discovery.upload_volume"), 2u);
  event_batch more;
  add(more, {"chat.example", "mallory", 3 << 20, 0, t0 + 5 * sec});
  engine.consume(more);
  engine.evaluate();
  EXPECT_EQ(found.count("mamori.discovery.upload_volume"), 3u);
}

TEST(Engine, BlockedUrlCategoriesAndKnownApps) {
  catalog::url_category_db ut1;
  ut1.add_url("malware", "bad.example.net/payload");
  ut1.add_domain("gambling", "casino.example");
  auto p = parse_policy("block_url_categories: [malware, gambling]\n", "p", test_catalog());
  ASSERT_TRUE(p);
  collect found;
  engine_options opts;
  opts.known_apps = {"chat"};  // seen in an earlier run: no new-app alert
  discovery_engine engine(test_catalog(), *p, &ut1, &found, opts);
  event_batch b;
  add(b, {"bad.example.net", "ann", 0, 0, t0, ocsf::event_class::http_activity, 0, "",
          "http://bad.example.net/payload/x.exe"});
  add(b, {"bad.example.net", "ann", 0, 0, t0, ocsf::event_class::http_activity, 0, "",
          "http://bad.example.net/fine"});
  add(b, {"www.casino.example", "ann", 0, 0, t0, ocsf::event_class::dns_activity});
  add(b, {"chat.example", "ann", 0, 0, t0});
  engine.consume(b);
  EXPECT_EQ(found.count("mamori.discovery.blocked_url_category"), 2u);
  EXPECT_EQ(found.count("mamori.discovery.new_app"), 0u);
  const auto inv = engine.snapshot();
  ASSERT_EQ(inv.unknown.size(), 2u);
  for (const auto& u : inv.unknown) {
    if (u.host == "bad.example.net") {
      EXPECT_EQ(u.url_categories, std::vector<std::string>{"malware"});
    }
    if (u.host == "www.casino.example") {
      EXPECT_EQ(u.url_categories, std::vector<std::string>{"gambling"});
    }
  }
  // Reports render every app and destination.
  const std::string nd = render_ndjson(inv);
  EXPECT_NE(nd.find("\"type\":\"app\",\"id\":\"chat\""), std::string::npos);
  EXPECT_NE(nd.find("\"host\":\"www.casino.example\""), std::string::npos);
  EXPECT_NE(render_csv(inv).find("chat,Chat,collaboration"), std::string::npos);
}

TEST(Report, HtmlIsOneSelfContainedFileWithChartsAndCredits) {
  auto p = parse_policy("sanctioned: [drive]\nprohibited: [share]\n", "p", test_catalog());
  ASSERT_TRUE(p);
  collect found;
  engine_options opts;
  opts.credits = {"URL categories: UT1 <test> & co"};
  discovery_engine engine(test_catalog(), *p, nullptr, &found, opts);
  event_batch b;
  for (int i = 0; i < 30; ++i)
    add(b, {i % 2 ? "drive.example" : "share.example", i % 3 ? "alice" : "bob<script>", 1000u * i,
            10, t0 + i * 600 * sec});
  engine.consume(b);
  engine.evaluate();
  report_options ro;
  ro.inputs = {"a.log"};
  const std::string html = render_html(engine.snapshot(), found.all, ro);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Self-contained: no script, no external reference of any kind.
  for (const char* banned : {"<script", "src=", "href=", "url(", "@import", "http://", "https://"})
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  // Three charts, escaped user input, the credits.
  std::size_t svgs = 0;
  for (std::size_t pos = 0; (pos = html.find("<svg", pos)) != std::string::npos; ++pos) ++svgs;
  EXPECT_EQ(svgs, 3u);
  EXPECT_NE(html.find("bob&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("UT1 &lt;test&gt; &amp; co"), std::string::npos);
  EXPECT_NE(html.find("Apps by risk level"), std::string::npos);
  EXPECT_NE(html.find("Top uploaders"), std::string::npos);
  EXPECT_NE(html.find("Activity over time"), std::string::npos);
  EXPECT_NE(html.find("Prohibited cloud app used: ShareIt"), std::string::npos);
}

// --- real data ---

struct recognition_counts {
  std::uint64_t distinct = 0, recognised = 0;
};

const catalog::app_catalog& shipped_catalog() {
  static const catalog::app_catalog cat = [] {
    catalog::catalog_setup setup;
    setup.data_dir = (source / "data").string();
    setup.shared_data = shared.string();
    diagnostics diag;
    auto c = catalog::load_catalog(setup, diag);
    return c ? std::move(*c) : catalog::app_catalog{};
  }();
  return cat;
}

// The oracle: distinct names from a set, normalized, with the catalog's own lookup.
recognition_counts oracle(const std::set<std::string>& raw) {
  std::set<std::string> names;
  std::string host;
  for (const auto& r : raw)
    if (catalog::normalize_host(r, host) == catalog::host_kind::name) names.insert(host);
  recognition_counts c;
  for (const auto& n : names) {
    ++c.distinct;
    if (shipped_catalog().lookup(n, catalog::host_kind::name)) ++c.recognised;
  }
  return c;
}

inventory discover_files(const std::vector<std::string>& files) {
  discovery_policy policy;
  discovery_engine engine(shipped_catalog(), policy, nullptr, nullptr);
  diagnostics diag;
  parse_job job(decoder_registry::builtin(), {}, diag);
  job.run(files, engine);
  engine.evaluate();
  return engine.snapshot();
}

const recognition_row* row(const inventory& inv, destination_source s) {
  for (const auto& r : inv.recognition)
    if (r.source == s) return &r;
  return nullptr;
}

TEST(RealData, ProxifierDestinationsRecognised) {
  REQUIRE_SHARED("ssh/loghub/Proxifier/Proxifier_2k.log");
  const fs::path file = shared / "ssh/loghub/Proxifier/Proxifier_2k.log";
  // Oracle from the raw text: "] app - host:port ..." with host a name (not an address).
  std::set<std::string> raw;
  std::ifstream in(file);
  std::string line;
  const std::regex dest(R"(^\[[^\]]+\] .*? - ([^ :]+):\d+ )");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, dest)) raw.insert(m[1].str());
  std::erase_if(raw, [](const std::string& h) {
    return std::all_of(h.begin(), h.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
    });
  });
  const recognition_counts expect = oracle(raw);
  const inventory inv = discover_files({file.string()});
  const recognition_row* r = row(inv, destination_source::connection);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->distinct, expect.distinct);
  EXPECT_EQ(r->recognised, expect.recognised);
  // The catalog knows most of what a desktop reaches: a floor, not the exact figure.
  EXPECT_GT(static_cast<double>(r->recognised), 0.8 * static_cast<double>(r->distinct));
  std::printf("Proxifier: %llu of %llu distinct destination names recognised (%llu apps)\n",
              static_cast<unsigned long long>(r->recognised),
              static_cast<unsigned long long>(r->distinct),
              static_cast<unsigned long long>(inv.apps.size()));
  RecordProperty("proxifier_recognised", std::to_string(r->recognised));
  RecordProperty("proxifier_distinct", std::to_string(r->distinct));
}

class name_sink final : public event_sink {
 public:
  explicit name_sink(ocsf::attr a) : a_(a) {}
  void consume(const event_batch& batch) override {
    for (const auto& e : batch.events())
      if (auto v = e.get_string(a_); !v.empty()) names.insert(std::string(v));
  }
  std::set<std::string> names;

 private:
  ocsf::attr a_;
};

std::set<std::string> decoded_names(const fs::path& file, ocsf::attr a) {
  name_sink sink(a);
  diagnostics diag;
  parse_job job(decoder_registry::builtin(), {}, diag);
  job.run({file.string()}, sink);
  return sink.names;
}

TEST(RealData, ZeekDnsAndSniRecognisedTheSameFromTsvAndJson) {
  REQUIRE_SHARED("network/zeek/wrccdc2018_zed_sample/zeek-default/dns.log.gz");
  const fs::path base = shared / "network/zeek/wrccdc2018_zed_sample";
  for (const auto& [log, attr, src] :
       {std::tuple{"dns", ocsf::attr::query_hostname, destination_source::dns_query},
        std::tuple{"ssl", ocsf::attr::tls_sni, destination_source::tls_sni}}) {
    const fs::path tsv = base / "zeek-default" / fmt::format("{}.log.gz", log);
    const fs::path json = base / "zeek-json" / fmt::format("{}.json.gz", log);
    const recognition_counts expect = oracle(decoded_names(tsv, attr));
    const inventory a = discover_files({tsv.string()});
    const inventory b = discover_files({json.string()});
    const recognition_row* ra = row(a, src);
    const recognition_row* rb = row(b, src);
    ASSERT_NE(ra, nullptr) << log;
    ASSERT_NE(rb, nullptr) << log;
    EXPECT_EQ(ra->distinct, expect.distinct) << log;
    EXPECT_EQ(ra->recognised, expect.recognised) << log;
    EXPECT_EQ(ra->distinct, rb->distinct) << log;
    EXPECT_EQ(ra->recognised, rb->recognised) << log;
    EXPECT_EQ(a.apps.size(), b.apps.size()) << log;
    // At least half of the external names (a competition network is full of its own hosts).
    EXPECT_GT(2 * ra->recognised, ra->distinct - ra->internal) << log;
    std::printf("Zeek %s: %llu of %llu distinct names recognised (%llu internal), %zu apps\n", log,
                static_cast<unsigned long long>(ra->recognised),
                static_cast<unsigned long long>(ra->distinct),
                static_cast<unsigned long long>(ra->internal), a.apps.size());
  }
}

TEST(RealData, SquidFixtureCacheManagerRequestsAreInternal) {
  // Every good line of the fixture asks Squid's cache manager (cache_object://localhost/...):
  // one destination, internal, so no app and nothing unknown.
  REQUIRE_SHARED("proxy/format-fixtures/squid_access.log");
  const fs::path file = shared / "proxy/format-fixtures/squid_access.log";
  const std::set<std::string> names = decoded_names(file, ocsf::attr::http_url_hostname);
  const inventory inv = discover_files({file.string()});
  const recognition_row* r = row(inv, destination_source::http);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->distinct, oracle(names).distinct);
  EXPECT_EQ(r->internal, r->distinct);
  EXPECT_TRUE(inv.apps.empty());
  EXPECT_TRUE(inv.unknown.empty());
  EXPECT_GT(inv.with_destination, 0u);
}

}  // namespace
}  // namespace mamori::discover
