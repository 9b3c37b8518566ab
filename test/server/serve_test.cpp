// mamori serve in-process on real CloudTrail data: ingest, store, search, findings, cases,
// auth and roles, malformed requests, syslog framing over TCP/UDP, tailing, back-pressure.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <map>
#include <set>

#include "mamori/detect/detector.hpp"
#include "mamori/event/field_registry.hpp"
#include "mamori/server/client.hpp"
#include "mamori/server/server.hpp"
#include "server_test_util.hpp"

using namespace mamori;
using namespace mamori::test;
namespace fs = std::filesystem;

namespace {

// Brute-force truth from the raw records.
struct truth {
  std::size_t events = 0;
  std::map<std::string, int> denied_by_user;  // userName or role name → count
  std::map<std::string, std::string> first_ip;
  std::map<std::string, int> by_ip;
  std::map<std::string, int> by_event_name;
};

truth load_truth() {
  truth t;
  simdjson::dom::parser p;
  std::ifstream in(cloudtrail_ndjson);
  for (std::string l; std::getline(in, l);) {
    if (l.empty()) continue;
    auto doc = p.parse(l);
    ++t.events;
    std::string ip(doc["sourceIPAddress"].get_string().value());
    ++t.by_ip[ip];
    ++t.by_event_name[std::string(doc["eventName"].get_string().value())];
    auto err = doc["errorCode"];
    if (err.error() || !err.is_string()) continue;
    std::string code(err.get_string().value());
    if (code != "AccessDenied" && code.find("Unauthorized") == std::string::npos) continue;
    auto ui = doc["userIdentity"];
    std::string user;
    if (!ui["userName"].error()) user = std::string(ui["userName"].get_string().value());
    else {
      // assumed-role ARN → role name (what the CloudTrail decoder puts in actor.user.name)
      std::string arn(ui["arn"].get_string().value());
      auto a = arn.find("assumed-role/");
      user = arn.substr(a + 13, arn.find('/', a + 13) - a - 13);
    }
    if (++t.denied_by_user[user] == 1) t.first_ip[user] = ip;
  }
  return t;
}

class serve : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(cloudtrail_ndjson)) GTEST_SKIP() << "shared data absent: " << cloudtrail_ndjson;
    start();
  }
  void TearDown() override { stop(); }

  void start(std::function<void(server::server_config&)> tweak = {},
             std::unique_ptr<detector> det = std::make_unique<denied_burst>()) {
    server::server_config c;
    c.data = (dir_.path / "data").string();
    c.listen = "127.0.0.1:0";
    c.requests_per_second = 10000;
    c.burst = 10000;
    c.max_body_bytes = 8u << 20;
    c.syslog.push_back({"tcp", "127.0.0.1:0", "cloudtrail", "syslog-tcp"});
    c.syslog.push_back({"udp", "127.0.0.1:0", "cloudtrail", "syslog-udp"});
    c.block_ip.file = (dir_.path / "blocklist.txt").string();
    c.analytics = "none";  // only the test detector: exact expectations
    if (tweak) tweak(c);
    auto s = server::server::create(c);
    ASSERT_TRUE(s) << s.error().message;
    srv_ = std::move(*s);
    if (det) srv_->add_detector(std::move(det));
    auto a = srv_->start();
    ASSERT_TRUE(a) << a.error().message;
    url_ = a->http;
    syslog_ = a->syslog;
    admin_ = first_line(c.data + "/admin.token");
    ASSERT_FALSE(admin_.empty());
  }
  void stop() {
    if (srv_) srv_->stop();
    srv_.reset();
  }

  reply post(const std::string& path, const std::string& body, const std::string& token = {},
             std::vector<std::pair<std::string, std::string>> h = {}) {
    return call(url_, "POST", path, token.empty() ? admin_ : token, body, std::move(h));
  }
  reply get(const std::string& path, const std::string& token = {}) {
    return call(url_, "GET", path, token.empty() ? admin_ : token);
  }
  std::int64_t count(const std::string& q) {
    std::string body = "{\"query\":\"";
    for (char ch : q) {
      if (ch == '"' || ch == '\\') body += '\\';
      body += ch;
    }
    body += "\"}";
    auto r = post("/api/v1/search", body);
    EXPECT_EQ(r.status, 200u) << q << ": " << r.body;
    return json_int(r.body, "count");
  }
  std::string make_token(const std::string& name, const std::string& role, const std::string& sources = "") {
    auto r = post("/api/v1/tokens", "{\"name\":\"" + name + "\",\"role\":\"" + role + "\"" +
                                        (sources.empty() ? "" : ",\"sources\":[\"" + sources + "\"]") + "}");
    EXPECT_EQ(r.status, 201u) << r.body;
    simdjson::dom::parser p;
    return std::string(p.parse(r.body)["token"].get_string().value());
  }
  std::int64_t stored() { return json_path_int(get("/api/v1/stats").body, "store", "stored"); }

  temp_dir dir_;
  std::unique_ptr<server::server> srv_;
  std::string url_, admin_;
  std::vector<std::string> syslog_;
};

}  // namespace

TEST_F(serve, ingests_cloudtrail_detects_and_opens_cases_with_evidence) {
  const truth t = load_truth();
  auto r = post("/api/v1/ingest/aws-prod?format=cloudtrail&wait=1", read_file(cloudtrail_ndjson));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json_int(r.body, "events"), static_cast<std::int64_t>(t.events));
  EXPECT_EQ(json_int(r.body, "stored"), static_cast<std::int64_t>(t.events));
  EXPECT_EQ(json_int(r.body, "rejected"), 0);
  std::size_t expected_findings = 0;
  for (const auto& [u, n] : t.denied_by_user) expected_findings += n >= 5 ? 1 : 0;
  ASSERT_GT(expected_findings, 0u);
  EXPECT_EQ(json_int(r.body, "findings"), static_cast<std::int64_t>(expected_findings));

  // Search answers agree with the raw records.
  EXPECT_EQ(count("| count"), static_cast<std::int64_t>(t.events));
  EXPECT_EQ(count("eventName=AssumeRole | count"), t.by_event_name.at("AssumeRole"));
  EXPECT_EQ(count("src_ip=192.168.10.20 | count"), t.by_ip.at("192.168.10.20"));
  EXPECT_EQ(count("source=aws-prod | count"), static_cast<std::int64_t>(t.events));

  // Findings: one per user past the threshold.
  auto f = get("/api/v1/findings?rule=test.denied_burst");
  ASSERT_EQ(f.status, 200u);
  simdjson::dom::parser p;
  auto fdoc = p.parse(f.body);
  EXPECT_EQ(fdoc["findings"].get_array().size(), expected_findings);

  // Cases: grouped by user, scenario brute_force (via the T1110 tag), evidence stored.
  std::string cases_json;
  ASSERT_TRUE(eventually([&] {
    cases_json = get("/api/v1/cases").body;
    simdjson::dom::parser pp;
    return pp.parse(cases_json)["cases"].get_array().size() == expected_findings;
  })) << cases_json;
  auto cdoc = p.parse(cases_json);
  std::int64_t bert_case = 0;
  for (auto c : cdoc["cases"].get_array()) {
    EXPECT_EQ(std::string(c["scenario"].get_string().value()), "brute_force");
    EXPECT_EQ(std::string(c["state"].get_string().value()), "new");
    EXPECT_EQ(std::string(c["entity"]["kind"].get_string().value()), "user");
    if (c["entity"]["value"].get_string().value() == "bert-jan") bert_case = c["id"].get_int64().value();
  }
  ASSERT_GT(bert_case, 0);
  std::string show;
  ASSERT_TRUE(eventually([&] {
    show = get("/api/v1/cases/" + std::to_string(bert_case)).body;
    simdjson::dom::parser pp;
    return pp.parse(show)["evidence"].get_array().size() >= 5;
  })) << show;
  simdjson::dom::parser p2;
  auto sdoc = p2.parse(show);
  bool checked = false;
  for (auto e : sdoc["evidence"].get_array()) {
    if (e["name"].get_string().value() != "source_activity") continue;
    // Everything the address did within the case window (the whole dataset spans < 2 h).
    std::int64_t sum = 0;
    for (auto g : e["result"]["groups"].get_array()) sum += g["count"].get_int64().value();
    EXPECT_EQ(sum, t.by_ip.at(t.first_ip.at("bert-jan")));
    checked = true;
  }
  EXPECT_TRUE(checked) << show;
  EXPECT_EQ(std::string(sdoc["tier1"].at(0)["question"].get_string().value()),
            "Did any of the login attempts succeed, and from where?");

  // Workflow: take (triage) → confirmed needs an assignee → escalated → contained (tier2) → closed.
  const std::string tier1 = make_token("alice", "tier1");
  const std::string tier2 = make_token("bob", "tier2");
  const std::string path = "/api/v1/cases/" + std::to_string(bert_case);
  EXPECT_EQ(post(path + "/transition", R"({"to":"triage"})", tier1).status, 200u);
  EXPECT_EQ(post(path + "/comment", R"({"text":"checking the successes"})", tier1).status, 200u);
  EXPECT_EQ(post(path + "/verdict", R"({"verdict":"confirmed"})", tier1).status, 400u);  // no assignee
  auto v = post(path + "/verdict", R"({"verdict":"confirmed","assignee":"bob","reason":"success after failures"})", tier1);
  ASSERT_EQ(v.status, 200u) << v.body;
  EXPECT_NE(v.body.find("\"state\":\"escalated\""), std::string::npos);
  EXPECT_EQ(post(path + "/transition", R"({"to":"contained"})", tier1).status, 403u);  // Tier 2 only
  EXPECT_EQ(post(path + "/transition", R"({"to":"contained"})", tier2).status, 200u);
  EXPECT_EQ(post(path + "/transition", R"({"to":"closed"})", tier2).status, 400u);  // reason required
  EXPECT_EQ(post(path + "/transition", R"({"to":"closed","reason":"password reset, sessions revoked"})", tier2).status, 200u);
  EXPECT_EQ(post(path + "/verdict", R"({"verdict":"refuted","reason":"x"})", tier1).status, 409u);
  // Every step is in the append-only, hash-chained audit log.
  auto audit = get("/api/v1/audit?object=case:" + std::to_string(bert_case), tier2);
  for (const char* a : {"case.opened", "case.evidence", "case.transition", "case.comment"})
    EXPECT_NE(audit.body.find(a), std::string::npos) << a;
  EXPECT_NE(get("/api/v1/audit/verify", tier2).body.find("\"intact\":true"), std::string::npos);

  // Refuted → closed with a reason; undetermined → watching, reopened when the follow-up is due.
  std::vector<std::int64_t> others;
  for (auto c : cdoc["cases"].get_array())
    if (c["id"].get_int64().value() != bert_case) others.push_back(c["id"].get_int64().value());
  ASSERT_GE(others.size(), 2u);
  const std::string p1 = "/api/v1/cases/" + std::to_string(others[0]);
  EXPECT_EQ(post(p1 + "/verdict", R"({"verdict":"refuted"})", tier1).status, 400u);
  EXPECT_EQ(post(p1 + "/verdict", R"({"verdict":"refuted","reason":"authorized red-team test"})", tier1).status, 200u);
  const std::string p2p = "/api/v1/cases/" + std::to_string(others[1]);
  auto w = post(p2p + "/verdict", R"({"verdict":"undetermined","follow_up":"1s"})", tier1);
  ASSERT_EQ(w.status, 200u) << w.body;
  EXPECT_NE(w.body.find("\"state\":\"watching\""), std::string::npos);
  EXPECT_TRUE(eventually([&] { return get(p2p, tier1).body.find("\"state\":\"triage\"") != std::string::npos; }, 10));
}

TEST_F(serve, authentication_roles_and_rate_limits) {
  // No token, wrong token, revoked token.
  auto r = call(url_, "GET", "/api/v1/cases", "");
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer realm=\"mamori\"");
  EXPECT_EQ(call(url_, "GET", "/api/v1/cases", "mmr_not-a-real-token").status, 401u);
  const std::string ing = make_token("collector", "ingest", "fw");
  const std::string t1 = make_token("analyst", "tier1");
  // Roles: ingest may only ingest, and only into its sources; tier1 cannot manage tokens.
  EXPECT_EQ(post("/api/v1/ingest/fw?format=cloudtrail", first_line(cloudtrail_ndjson), ing).status, 202u);
  EXPECT_EQ(post("/api/v1/ingest/other?format=cloudtrail", first_line(cloudtrail_ndjson), ing).status, 403u);
  EXPECT_EQ(post("/api/v1/search", R"({"query":"| count"})", ing).status, 403u);
  EXPECT_EQ(post("/api/v1/ingest/fw?format=cloudtrail", first_line(cloudtrail_ndjson), t1).status, 403u);
  EXPECT_EQ(post("/api/v1/search", R"({"query":"| count"})", t1).status, 200u);
  EXPECT_EQ(post("/api/v1/tokens", R"({"name":"x","role":"admin"})", t1).status, 403u);
  EXPECT_EQ(get("/api/v1/signals", t1).status, 403u);
  // Revocation takes effect immediately.
  EXPECT_EQ(call(url_, "DELETE", "/api/v1/tokens/analyst", admin_).status, 200u);
  EXPECT_EQ(post("/api/v1/search", R"({"query":"| count"})", t1).status, 401u);
  // Token secrets are stored hashed: the database never holds the text.
  const std::string db = read_file((dir_.path / "data" / "main.db").string()) +
                         read_file((dir_.path / "data" / "main.db-wal").string());
  EXPECT_EQ(db.find(t1), std::string::npos);
  EXPECT_EQ(db.find(admin_), std::string::npos);
  // Repeated failed authentication from one address is throttled (429 + Retry-After).
  unsigned last = 0;
  std::string retry;
  for (int i = 0; i < 40 && last != 429; ++i) {
    auto x = call(url_, "GET", "/api/v1/stats", "mmr_wrong");
    last = x.status;
    retry = x.headers["retry-after"];
  }
  EXPECT_EQ(last, 429u);
  EXPECT_FALSE(retry.empty());
}

TEST_F(serve, rejects_oversized_and_malformed_requests_cleanly) {
  // Body over the limit (8 MiB here): 413, and the server keeps serving.
  auto big = post("/api/v1/ingest/x?format=cloudtrail", std::string(9u << 20, 'x'));
  EXPECT_EQ(big.status, 413u);
  EXPECT_EQ(get("/healthz").status, 200u);
  // Validation errors are 400 with a reason.
  EXPECT_EQ(post("/api/v1/ingest/x?format=nosuch", "{}").status, 400u);
  EXPECT_EQ(post("/api/v1/ingest/bad%20name", "{}").status, 400u);
  EXPECT_EQ(post("/api/v1/ingest/x", "").status, 400u);
  EXPECT_EQ(post("/api/v1/ingest/x", "{}", "", {{"Content-Encoding", "br"}}).status, 415u);
  EXPECT_EQ(post("/api/v1/ingest/x", "not gzip", "", {{"Content-Encoding", "gzip"}}).status, 400u);
  std::string truncated_gzip = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x4b\x4c";
  EXPECT_EQ(post("/api/v1/ingest/x", truncated_gzip).status, 400u);
  auto q = post("/api/v1/search", R"({"query":"user= | count"})");
  EXPECT_EQ(q.status, 400u);
  EXPECT_NE(q.body.find("at "), std::string::npos) << q.body;
  EXPECT_EQ(post("/api/v1/search", "{not json").status, 400u);
  EXPECT_EQ(post("/api/v1/search", R"({"query":"| count","limit":0})").status, 400u);
  EXPECT_EQ(get("/api/v1/cases/abc").status, 400u);
  EXPECT_EQ(get("/api/v1/cases/99999").status, 404u);
  EXPECT_EQ(get("/api/v1/nothing").status, 404u);
  EXPECT_EQ(call(url_, "PUT", "/api/v1/cases", admin_).status, 405u);
  // A gzip body is accepted (magic bytes), and bad records inside it are counted, not fatal.
  std::string lines = first_line(cloudtrail_ndjson) + "\n{broken json\n" + first_line(cloudtrail_ndjson) + "\n";
  std::string gz(compressBound(lines.size()) + 64, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(lines.data());
  z.avail_in = static_cast<uInt>(lines.size());
  z.next_out = reinterpret_cast<Bytef*>(gz.data());
  z.avail_out = static_cast<uInt>(gz.size());
  deflate(&z, Z_FINISH);
  gz.resize(z.total_out);
  deflateEnd(&z);
  auto ok = post("/api/v1/ingest/gz?format=cloudtrail&wait=1", gz, "", {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(json_int(ok.body, "events"), 2);
  EXPECT_EQ(json_int(ok.body, "rejected"), 1);
  EXPECT_NE(ok.body.find("gz#"), std::string::npos) << ok.body;  // diagnostic names source#batch:line
  // Raw garbage on the socket: a clean 400, then the connection closes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto u = server::parse_url(url_);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(u->port)));
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const std::string junk = "GARBAGE \x01\x02 nonsense\r\n\r\n";
  ASSERT_EQ(::write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  char buf[512] = {};
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 400");
  EXPECT_EQ(get("/healthz").status, 200u);
}

TEST_F(serve, syslog_over_tcp_both_framings_and_udp) {
  // CloudTrail records sent as syslog messages (the listeners here decode them as cloudtrail).
  std::vector<std::string> lines;
  {
    std::ifstream in(cloudtrail_ndjson);
    for (std::string l; std::getline(in, l) && lines.size() < 300;) lines.push_back(l);
  }
  auto endpoint = [](const std::string& s) {
    auto colon = s.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1))));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    return a;
  };
  ASSERT_EQ(syslog_.size(), 2u);
  const auto before = stored();
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    auto a = endpoint(syslog_[0]);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::string stream;
    for (std::size_t i = 0; i < 200; ++i) {
      // Alternate octet counting (RFC 6587 3.4.1) and LF framing (3.4.2); split writes.
      if (i % 2 == 0) stream += std::to_string(lines[i].size()) + " " + lines[i];
      else stream += lines[i] + "\n";
    }
    for (std::size_t off = 0; off < stream.size(); off += 777) {
      auto n = std::min<std::size_t>(777, stream.size() - off);
      ASSERT_EQ(::write(fd, stream.data() + off, n), static_cast<ssize_t>(n));
    }
    ::close(fd);
  }
  ASSERT_TRUE(eventually([&] { return stored() == before + 200; })) << stored() - before;
  {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    auto a = endpoint(syslog_[1]);
    for (std::size_t i = 200; i < 300; ++i)
      ::sendto(fd, lines[i].data(), lines[i].size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(fd);
  }
  // UDP may lose datagrams in the kernel under load; on loopback at this rate it does not.
  ASSERT_TRUE(eventually([&] { return stored() == before + 300; })) << stored() - before;
  EXPECT_EQ(count("source=syslog-tcp | count"), 200);
  EXPECT_EQ(count("source=syslog-udp | count"), 100);
}

TEST_F(serve, tails_files_across_rotation_exactly_once) {
  stop();
  const fs::path logs = dir_.path / "logs";
  fs::create_directories(logs);
  std::vector<std::string> lines;
  {
    std::ifstream in(cloudtrail_ndjson);
    for (std::string l; std::getline(in, l) && lines.size() < 400;) lines.push_back(l);
  }
  auto append = [&](const fs::path& p, std::size_t from, std::size_t to) {
    std::ofstream out(p, std::ios::app);
    for (std::size_t i = from; i < to; ++i) out << lines[i] << "\n";
  };
  append(logs / "app.log", 0, 100);
  start([&](server::server_config& c) {
    c.tail.push_back({logs.string(), "app.log*", "cloudtrail", "tailed"});
    c.tail_interval_s = 0.05;
  });
  ASSERT_TRUE(eventually([&] { return count("source=tailed | count") == 100; }));
  append(logs / "app.log", 100, 150);
  fs::rename(logs / "app.log", logs / "app.log.1");  // rotation by rename...
  append(logs / "app.log.1", 150, 200);              // ...the old file still gets its last lines
  append(logs / "app.log", 200, 260);                // ...and a new file starts
  ASSERT_TRUE(eventually([&] { return count("source=tailed | count") == 260; })) << count("source=tailed | count");
  // Restart: offsets persist, nothing is read twice; new lines after the restart are read.
  stop();
  append(logs / "app.log", 260, 300);
  start([&](server::server_config& c) {
    c.tail.push_back({logs.string(), "app.log*", "cloudtrail", "tailed"});
    c.tail_interval_s = 0.05;
  });
  ASSERT_TRUE(eventually([&] { return count("source=tailed | count") == 300; })) << count("source=tailed | count");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(count("source=tailed | count"), 300);
  // copytruncate: the file shrinks, reading restarts at 0.
  { std::ofstream trunc(logs / "app.log", std::ios::trunc); }
  append(logs / "app.log", 300, 310);
  ASSERT_TRUE(eventually([&] { return count("source=tailed | count") == 310; })) << count("source=tailed | count");
}

TEST_F(serve, full_pipeline_answers_429_and_never_drops_acknowledged_batches) {
  stop();
  // A slow detector and a tiny queue: ingest must push back, not drop.
  class slow final : public detector {
   public:
    std::string_view name() const override { return "test.slow"; }
    void observe(const event_batch&, finding_sink&) override {
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  };
  start([](server::server_config& c) { c.queue_bytes = 64 * 1024; }, std::make_unique<slow>());
  std::string batch;
  {
    std::ifstream in(cloudtrail_ndjson);
    for (std::string l; std::getline(in, l) && batch.size() < 30000;) batch += l + "\n";
  }
  int accepted = 0, throttled = 0;
  std::string retry;
  for (int i = 0; i < 30; ++i) {
    auto r = post("/api/v1/ingest/burst?format=cloudtrail", batch);
    if (r.status == 202) ++accepted;
    else if (r.status == 429) {
      ++throttled;
      retry = r.headers["retry-after"];
    } else ADD_FAILURE() << r.status << " " << r.body;
  }
  EXPECT_GT(throttled, 0);
  EXPECT_EQ(retry, "1");
  EXPECT_GT(accepted, 0);
  const std::int64_t per_batch = static_cast<std::int64_t>(std::count(batch.begin(), batch.end(), '\n'));
  ASSERT_TRUE(eventually([&] { return stored() == accepted * per_batch; }, 60)) << stored() << " vs " << accepted * per_batch;
  EXPECT_EQ(json_path_int(get("/api/v1/stats").body, "ingest", "throttled"), throttled);
}

TEST(client, renders_count_by_groups_whose_keys_contain_dots) {
  // The server names a group column by the field's dotted path, as one flat key.
  const std::string table = server::render_search(
      R"({"groups":[{"actor.user.name":"alice","count":7},{"actor.user.name":"bob","count":2}]})");
  EXPECT_NE(table.find("actor.user.name"), std::string::npos);
  EXPECT_NE(table.find("alice"), std::string::npos) << table;
  EXPECT_NE(table.find("bob"), std::string::npos) << table;
}

