// The write-ahead log, token index, query language and event store, on real CloudTrail data.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "mamori/io/byte_stream.hpp"
#include "mamori/pipeline/parse_job.hpp"
#include "mamori/store/event_store.hpp"
#include "mamori/store/query.hpp"
#include "mamori/store/token_index.hpp"
#include "mamori/store/wal.hpp"

namespace fs = std::filesystem;
using namespace mamori;
using namespace mamori::store;

namespace {

const std::string cloudtrail =
    std::string(MAMORI_SHARED_DATA) + "/cloud/aws-stratus-invictus/cloudtrail_events.jsonl";

struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/mamori-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { fs::remove_all(path); }
};

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Decodes a file into stored events the way the server does (ids = seq << 24 | position).
std::vector<stored_event> decode_file(const std::string& path, std::uint64_t seq) {
  struct sink final : event_sink {
    std::vector<stored_event>* out;
    std::uint64_t seq;
    void consume(const event_batch& b) override {
      for (const auto& e : b.events()) {
        stored_event s;
        make_stored_event(e, decoder_registry::builtin().at(e.decoder).name, "test",
                          (seq << event_id_shift) | out->size(), 0, s);
        out->push_back(std::move(s));
      }
    }
  } s;
  std::vector<stored_event> out;
  s.out = &out;
  s.seq = seq;
  diagnostics diag;
  parse_job job(decoder_registry::builtin(), {}, diag);
  parse_stats stats;
  job.run_one(path, memory_input(read_all(path)), s, stats);
  return out;
}

// The raw records, for brute-force expected values.
std::vector<std::string> raw_lines() {
  std::vector<std::string> lines;
  std::ifstream in(cloudtrail);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

std::int64_t count_of(const std::string& json) {
  simdjson::dom::parser p;
  auto doc = p.parse(json);
  return doc["count"].get_int64().value();
}

}  // namespace

TEST(wal, append_reopen_replay_and_torn_tail) {
  temp_dir d;
  diagnostics diag;
  {
    auto w = wal::open(d.path.string(), {1024, true}, diag);
    ASSERT_TRUE(w) << w.error().message;
    for (int i = 0; i < 20; ++i) {
      wal_entry e;
      e.source = "src";
      e.format = "cloudtrail";
      e.body = std::string(100 + i, 'x');
      auto seq = (*w)->append(e);
      ASSERT_TRUE(seq);
      EXPECT_EQ(*seq, static_cast<std::uint64_t>(i + 1));
    }
    EXPECT_GT((*w)->stats().segments, 1u);  // 1 KiB segments rotate
  }
  // A torn record at the tail (a crash mid-write) is truncated; earlier entries survive.
  std::vector<fs::path> segs;
  for (const auto& de : fs::directory_iterator(d.path)) segs.push_back(de.path());
  std::sort(segs.begin(), segs.end());
  {
    std::ofstream out(segs.back(), std::ios::binary | std::ios::app);
    out << "MWAL\x10\x00";
  }
  auto w = wal::open(d.path.string(), {1024, true}, diag);
  ASSERT_TRUE(w);
  EXPECT_EQ(diag.warnings(), 1u);
  EXPECT_EQ((*w)->last_seq(), 20u);
  std::vector<std::uint64_t> seen;
  auto n = (*w)->replay(5, [&](wal_entry&& e) {
    seen.push_back(e.seq);
    EXPECT_EQ(e.body.size(), 100 + e.seq - 1);
    EXPECT_EQ(e.format, "cloudtrail");
  });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 15u);
  EXPECT_EQ(seen.front(), 6u);
  EXPECT_EQ(seen.back(), 20u);
  // Checkpoint removes whole segments below, keeps the last one.
  (*w)->checkpoint(20);
  EXPECT_EQ((*w)->stats().segments, 1u);
  wal_entry e;
  e.body = "after";
  EXPECT_EQ(*(*w)->append(e), 21u);
}

TEST(token_index, segment_roundtrip) {
  segment_builder b;
  std::vector<std::uint64_t> h;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    h.clear();
    value_hashes(i % 3 == 0 ? "Alice Smith" : "bob", h);
    value_hashes("10.0.0." + std::to_string(i % 7), h);
    b.add(1000 + i * 5, h);
  }
  auto enc = b.encode();
  auto ids = decode_ids(enc.ids);
  ASSERT_EQ(ids.size(), 1000u);
  EXPECT_EQ(ids[3], 1015u);
  auto find = [&](std::string_view token) {
    const std::uint64_t hash = token_hash(token);
    for (const auto& [bucket, blob] : enc.buckets)
      if (bucket == token_bucket(hash)) return bucket_lookup(blob, hash);
    return std::vector<std::uint32_t>();
  };
  EXPECT_EQ(find("alice").size(), 334u);
  EXPECT_EQ(find("ALICE smith").size(), 334u);  // whole value, case-insensitive
  EXPECT_EQ(find("bob").size(), 666u);
  EXPECT_EQ(find("10.0.0.3").size(), 143u);
  EXPECT_TRUE(find("carol").empty());
}

TEST(query, parses_the_documented_forms) {
  const std::int64_t now = 1'700'000'000'000'000'000;
  auto q = parse_query(
      R"(actor.user.name=alice -eventName=List* (src_ip=10.0.0.1 OR "password spray") last=24h | count by src_ip, user)",
      now);
  ASSERT_TRUE(q) << q.error().message;
  ASSERT_TRUE(q->where);
  EXPECT_EQ(q->where->k, expr::kind::all);
  ASSERT_EQ(q->where->children.size(), 3u);
  EXPECT_EQ(q->where->children[1].k, expr::kind::negate);
  EXPECT_TRUE(q->where->children[1].children[0].p.wildcard);
  EXPECT_EQ(q->where->children[2].k, expr::kind::any);
  EXPECT_EQ(q->from_ns, now - 86'400'000'000'000LL);
  ASSERT_EQ(q->pipes.size(), 1u);
  EXPECT_EQ(q->pipes[0].kind, pipe_kind::count_by);
  EXPECT_EQ(q->pipes[0].fields, (std::vector<std::string>{"src_ip", "user"}));
  // a OR b c  ==  a OR (b AND c)
  auto p = parse_query("a OR b c", now);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->where->k, expr::kind::any);
  EXPECT_EQ(p->where->children[1].k, expr::kind::all);
  // Errors carry a position.
  auto bad = parse_query("user= | count", now);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("at "), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_query("(user=a", now));
  EXPECT_FALSE(parse_query("x | frobnicate", now));
  EXPECT_FALSE(parse_query("earliest=2023-07-11T00:00:00Z latest=2023-07-10T00:00:00Z", now));
  EXPECT_TRUE(glob_match("get*policy", "GetBucketPolicy"));
  EXPECT_FALSE(glob_match("get*policy", "GetBucketPolicyStatus"));
  EXPECT_TRUE(text_match("Failed password for root", "password"));
  EXPECT_FALSE(text_match("passwords", "password"));
}

TEST(event_store, stores_and_searches_cloudtrail) {
  if (!fs::exists(cloudtrail)) GTEST_SKIP() << "shared data absent: " << cloudtrail;
  temp_dir d;
  diagnostics diag;
  auto events = decode_file(cloudtrail, 7);
  ASSERT_EQ(events.size(), 2900u);
  {
    event_store_options opt;
    opt.dir = (d.path / "events").string();
    opt.segment_events = 1000;  // several segments and an unindexed tail
    auto st = event_store::open(opt, diag);
    ASSERT_TRUE(st);
    for (const auto& e : events) ASSERT_TRUE(*(*st)->insert(e));
    ASSERT_TRUE((*st)->commit());
    // Replaying the same batch stores nothing twice.
    for (std::size_t i = 0; i < 100; ++i) EXPECT_FALSE(*(*st)->insert(events[i]));
    ASSERT_TRUE((*st)->commit());
    EXPECT_EQ((*st)->inserted(), 2900u);
    EXPECT_EQ((*st)->duplicates(), 100u);
  }
  // Brute-force expectations from the raw records.
  std::map<std::string, std::int64_t> by_name, by_user;
  std::int64_t failures = 0, assume_role = 0, has_token = 0;
  simdjson::dom::parser p;
  for (const auto& l : raw_lines()) {
    auto doc = p.parse(l);
    std::string name(doc["eventName"].get_string().value());
    ++by_name[name];
    auto err = doc["errorCode"];
    if (!err.error() && !err.is_null()) ++failures;
    if (name == "AssumeRole") ++assume_role;
    if (l.find("baker221b") != std::string::npos) ++has_token;
  }
  const std::string dir = (d.path / "events").string();
  auto run = [&](const std::string& text) {
    auto q = parse_query(text, 0);
    EXPECT_TRUE(q) << text << ": " << q.error().message;
    auto r = search_events(dir, *q, {});
    EXPECT_TRUE(r) << text << ": " << r.error().message;
    return r->json;
  };
  EXPECT_EQ(count_of(run("| count")), 2900);
  // A raw field (token prefilter + verification) and an indexed column give the same answer.
  EXPECT_EQ(count_of(run("eventName=AssumeRole | count")), assume_role);
  EXPECT_EQ(count_of(run("operation=AssumeRole | count")), assume_role);
  EXPECT_EQ(count_of(run("api.operation=assumerole | count")), assume_role);
  EXPECT_EQ(count_of(run("errorCode=* | count")), failures);
  EXPECT_EQ(count_of(run("status_id=2 | count")), failures);
  // Wildcards and NOT.
  std::int64_t get_star = 0;
  for (const auto& [n, c] : by_name)
    if (n.rfind("Get", 0) == 0) get_star += c;
  EXPECT_EQ(count_of(run("eventName=Get* | count")), get_star);
  EXPECT_EQ(count_of(run("NOT eventName=Get* | count")), 2900 - get_star);
  // count by: the top group is the most frequent eventName.
  auto top = std::max_element(by_name.begin(), by_name.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; });
  {
    auto doc = p.parse(run("| top 3 eventName"));
    auto groups = doc["groups"].get_array().value();
    ASSERT_EQ(groups.size(), 3u);
    EXPECT_EQ(std::string(groups.at(0)["eventName"].get_string().value()), top->first);
    EXPECT_EQ(groups.at(0)["count"].get_int64().value(), top->second);
    EXPECT_EQ(doc["distinct"].get_int64().value(), static_cast<std::int64_t>(by_name.size()));
  }
  // Free text: a bucket name fragment that appears as a token.
  {
    auto doc = p.parse(run("baker221b* | count"));
    EXPECT_GT(doc["count"].get_int64().value(), 0);
  }
  // Histogram over the day, buckets sum to the total.
  {
    auto doc = p.parse(run("earliest=2023-07-10T00:00:00Z latest=2023-07-11T00:00:00Z | histogram 10m"));
    std::int64_t sum = 0;
    for (auto b : doc["histogram"].get_array()) sum += b["count"].get_int64().value();
    EXPECT_EQ(sum, 2900);
  }
  // Events listing: newest first, limited, with ids.
  {
    auto doc = p.parse(run("eventName=AssumeRole | head 5"));
    auto evs = doc["events"].get_array().value();
    ASSERT_EQ(evs.size(), std::min<std::size_t>(5, static_cast<std::size_t>(assume_role)));
    std::string prev = "9999";
    for (auto e : evs) {
      std::string t(e["time"].get_string().value());
      EXPECT_LE(t, prev);
      prev = t;
      EXPECT_EQ(std::string(e["event"]["unmapped"]["eventName"].get_string().value()), "AssumeRole");
    }
  }
}
