// Correlation rules (Sigma correlation rules specification v2.1): event_count, value_count,
// temporal, temporal_ordered, chains, aliases, generate, windows driven by event time, and
// the explicit state bounds.

#include <gtest/gtest.h>

#include "sigma_test_util.hpp"

namespace mamori::sigma {
namespace {

using testing::ev;
using testing::event_builder;

constexpr std::int64_t sec = 1'000'000'000;
constexpr std::int64_t t0 = 1'700'000'000 * sec;

struct collect final : finding_sink {
  std::vector<finding> got;
  void emit(finding f) override { got.push_back(std::move(f)); }
  std::size_t count(std::string_view title) const {
    std::size_t n = 0;
    for (const auto& f : got) n += f.rule_name == title;
    return n;
  }
};

struct harness {
  rule_collection rules;
  load_report report;
  std::shared_ptr<const compiled_ruleset> compiled;
  std::unique_ptr<sigma_detector> det;
  collect sink;
  std::deque<std::string> store;

  explicit harness(std::string_view yaml, correlation_limits limits = {}) {
    collect_text(yaml, "corr.yml", rules);
    logsource_pipeline p;
    EXPECT_TRUE(p.merge_text(testing::test_pipeline, "p"));
    compiled = compile_ruleset(rules, std::move(p), {}, report);
    det = std::make_unique<sigma_detector>(compiled, std::vector<std::string>{"test"}, limits);
  }
  std::string problems() const {
    std::string out;
    for (const auto& r : report.rules)
      if (r.status != rule_status::loaded) out += r.where.to_string() + ": " + r.reason + "\n";
    return out;
  }
  void feed(const std::vector<event_builder>& events) {
    event_batch batch;
    for (const auto& b : events) b.build(batch.add(), store);
    det->observe(batch, sink);
  }
  void finish() { det->finish(sink); }
};

// The specification's example: failed logins followed by a successful login.
const std::string brute_force = R"(title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: test
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: test
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
)";

TEST(SigmaCorrelation, SpecificationExampleChain) {
  harness h(brute_force);
  ASSERT_EQ(h.report.correlation, 2u) << h.problems();
  ASSERT_EQ(h.report.invalid + h.report.unsupported, 0u) << h.problems();
  std::vector<event_builder> events;
  // 10 failures for alice, then a success: the chain fires once.
  for (int i = 0; i < 10; ++i)
    events.push_back(ev().add("EventID", std::int64_t{4625}).add("User", "alice").time(t0 + i * sec));
  // bob fails 9 times and succeeds: no finding.
  for (int i = 0; i < 9; ++i)
    events.push_back(ev().add("EventID", std::int64_t{4625}).add("User", "bob").time(t0 + i * sec));
  events.push_back(ev().add("EventID", std::int64_t{4624}).add("User", "bob").time(t0 + 20 * sec));
  events.push_back(ev().add("EventID", std::int64_t{4624}).add("User", "alice").time(t0 + 30 * sec));
  h.feed(events);
  h.finish();
  // Referenced rules do not emit findings of their own (generate defaults to false).
  EXPECT_EQ(h.sink.count("Single failed login"), 0u);
  EXPECT_EQ(h.sink.count("Successful login"), 0u);
  EXPECT_EQ(h.sink.count("Multiple failed logons"), 0u);
  ASSERT_EQ(h.sink.count("Correlation - Multiple Failed Logins Followed by Successful Login"), 1u);
  const finding& f = h.sink.got.back();
  EXPECT_EQ(f.rule_source, "correlation");
  EXPECT_EQ(f.level, "high");
  ASSERT_FALSE(f.matched.empty());
  EXPECT_EQ(f.matched[0].field, "User");
  EXPECT_EQ(f.matched[0].value, "alice");
  EXPECT_EQ(f.time_ns, t0 + 30 * sec);
  EXPECT_FALSE(f.evidences.empty());
}

TEST(SigmaCorrelation, SuccessOutsideTheWindowDoesNotFire) {
  harness h(brute_force);
  std::vector<event_builder> events;
  for (int i = 0; i < 10; ++i)
    events.push_back(ev().add("EventID", std::int64_t{4625}).add("User", "alice").time(t0 + i * sec));
  events.push_back(
      ev().add("EventID", std::int64_t{4624}).add("User", "alice").time(t0 + 20 * 60 * sec));
  h.feed(events);
  h.finish();
  EXPECT_EQ(h.sink.got.size(), 0u);
}

TEST(SigmaCorrelation, EventCountSlidingWindowAndGenerate) {
  const std::string yaml = R"(title: Many failures
correlation:
    type: event_count
    rules: [fail]
    group-by: [Host]
    timespan: 1m
    condition:
        gt: 2
generate: true
level: medium
---
title: Fail
name: fail
logsource:
    product: test
detection:
    s:
        Outcome: failure
    condition: s
level: low
)";
  harness h(yaml);
  ASSERT_EQ(h.report.invalid + h.report.unsupported, 0u) << h.problems();
  std::vector<event_builder> events;
  // h1: 3 failures within 50 s → fires at the 3rd; then 3 more 2 minutes later → again.
  for (int i : {0, 20, 50, 200, 210, 220})
    events.push_back(ev().add("Outcome", "failure").add("Host", "h1").time(t0 + i * sec));
  // h2: 3 failures but spread over 3 minutes → never 3 within a minute.
  for (int i : {0, 70, 140})
    events.push_back(ev().add("Outcome", "failure").add("Host", "h2").time(t0 + i * sec));
  h.feed(events);
  h.finish();
  EXPECT_EQ(h.sink.count("Many failures"), 2u);
  EXPECT_EQ(h.sink.count("Fail"), 9u);  // generate: true keeps the base rule's findings
}

TEST(SigmaCorrelation, ValueCountAndUpperBoundedConditions) {
  const std::string yaml = R"(title: Spray
correlation:
    type: value_count
    rules: [fail]
    group-by: [Src]
    timespan: 5m
    condition:
        field: User
        gte: 3
---
title: Quiet
correlation:
    type: event_count
    rules: [fail]
    group-by: [Src]
    timespan: 5m
    condition:
        lt: 2
---
title: Fail
name: fail
logsource:
    product: test
detection:
    s:
        Outcome: failure
    condition: s
)";
  harness h(yaml);
  ASSERT_EQ(h.report.invalid + h.report.unsupported, 0u) << h.problems();
  std::vector<event_builder> events;
  // 10.0.0.1 tries alice twice, then bob and carol: 3 distinct users.
  int t = 0;
  for (const char* u : {"alice", "alice", "bob", "carol"})
    events.push_back(ev().add("Outcome", "failure").add("Src", "10.0.0.1").add("User", u).time(
        t0 + (t++) * sec));
  // 10.0.0.2 fails once: "Quiet" (fewer than 2 in its window) fires when the window closes.
  events.push_back(
      ev().add("Outcome", "failure").add("Src", "10.0.0.2").add("User", "dave").time(t0));
  h.feed(events);
  EXPECT_EQ(h.sink.count("Spray"), 1u);
  EXPECT_EQ(h.sink.count("Quiet"), 0u);  // windows still open
  h.finish();
  EXPECT_EQ(h.sink.count("Quiet"), 1u);  // 10.0.0.2 had 1 < 2; 10.0.0.1 had 4
  const auto& spray = h.sink.got.front();
  EXPECT_NE(spray.evidence_json.find("\"values\":[\"alice\",\"bob\",\"carol\"]"),
            std::string::npos)
      << spray.evidence_json;
}

TEST(SigmaCorrelation, TemporalWithAliases) {
  // Field name aliases (specification example, shortened): the same address appears as the
  // destination of one event and the source of the other.
  const std::string yaml = R"(title: Error then connection
correlation:
    type: temporal
    rules: [internal_error, new_network_connection]
    group-by: [internal_ip]
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
---
title: internal error
name: internal_error
logsource:
    product: test
detection:
    s:
        http.response.status_code: 500
    condition: s
---
title: new connection
name: new_network_connection
logsource:
    product: test
detection:
    s:
        event.type: connection
    condition: s
)";
  harness h(yaml);
  ASSERT_EQ(h.report.invalid + h.report.unsupported, 0u) << h.problems();
  h.feed({ev().add("event.type", "connection").add("source.ip", "10.1.1.1").time(t0),
          ev().add("http.response.status_code", std::int64_t{500})
              .add("destination.ip", "10.9.9.9")
              .time(t0 + 2 * sec),
          ev().add("http.response.status_code", std::int64_t{500})
              .add("destination.ip", "10.1.1.1")
              .time(t0 + 5 * sec)});
  h.finish();
  ASSERT_EQ(h.sink.count("Error then connection"), 1u);
  EXPECT_EQ(h.sink.got[0].matched[0].value, "10.1.1.1");
}

TEST(SigmaCorrelation, TemporalOrderedNeedsTheOrder) {
  const std::string yaml = R"(title: A then B
correlation:
    type: temporal_ordered
    rules: [ra, rb]
    group-by: [K]
    timespan: 1m
---
title: ra
name: ra
logsource:
    product: test
detection:
    s:
        Step: a
    condition: s
---
title: rb
name: rb
logsource:
    product: test
detection:
    s:
        Step: b
    condition: s
)";
  harness h(yaml);
  ASSERT_EQ(h.report.invalid + h.report.unsupported, 0u) << h.problems();
  h.feed({ev().add("Step", "b").add("K", "x").time(t0), ev().add("Step", "a").add("K", "x").time(t0 + sec),
          ev().add("Step", "b").add("K", "y").time(t0), ev().add("Step", "a").add("K", "y").time(t0 + sec),
          ev().add("Step", "b").add("K", "y").time(t0 + 2 * sec)});
  h.finish();
  ASSERT_EQ(h.sink.count("A then B"), 1u);
  EXPECT_EQ(h.sink.got[0].matched[0].value, "y");
}

TEST(SigmaCorrelation, StateBoundsAreCountedNotSilent) {
  const std::string yaml = R"(title: Per user
correlation:
    type: event_count
    rules: [any]
    group-by: [User]
    timespan: 1h
    condition:
        gte: 100
---
title: any
name: any
logsource:
    product: test
detection:
    s:
        Kind: x
    condition: s
)";
  correlation_limits limits;
  limits.max_groups = 5;
  limits.max_entries_per_group = 3;
  harness h(yaml, limits);
  std::vector<event_builder> events;
  for (int u = 0; u < 8; ++u)
    events.push_back(ev().add("Kind", "x").add("User", "u" + std::to_string(u)).time(t0 + u));
  for (int i = 0; i < 5; ++i) events.push_back(ev().add("Kind", "x").add("User", "u0").time(t0 + 10 + i));
  h.feed(events);
  h.finish();
  const auto st = h.det->stats().correlations;
  EXPECT_EQ(st.groups_dropped, 3u);   // u5, u6, u7
  EXPECT_EQ(st.entries_dropped, 3u);  // u0 had 6 entries for a bound of 3
}

TEST(SigmaCorrelation, InvalidCorrelationsAreReported) {
  harness unknown("title: C\ncorrelation:\n    type: event_count\n    rules: [nope]\n"
                  "    group-by: [x]\n    timespan: 1m\n    condition:\n        gte: 1\n");
  EXPECT_EQ(unknown.report.invalid, 1u);
  EXPECT_NE(unknown.problems().find("unknown rule 'nope'"), std::string::npos);
  const std::string base =
      "---\ntitle: b\nname: b\nlogsource:\n    product: test\ndetection:\n    s:\n        A: 1\n"
      "    condition: s\n";
  harness span("title: C\ncorrelation:\n    type: event_count\n    rules: [b]\n"
               "    timespan: 1 hour\n    condition:\n        gte: 1\n" + base);
  EXPECT_NE(span.problems().find("timespan"), std::string::npos) << span.problems();
  harness cond("title: C\ncorrelation:\n    type: event_count\n    rules: [b]\n"
               "    timespan: 1h\n" + base);
  EXPECT_NE(cond.problems().find("needs a condition"), std::string::npos) << cond.problems();
  harness field("title: C\ncorrelation:\n    type: value_count\n    rules: [b]\n"
                "    timespan: 1h\n    condition:\n        gte: 2\n" + base);
  EXPECT_NE(field.problems().find("needs `field`"), std::string::npos) << field.problems();
}

}  // namespace
}  // namespace mamori::sigma
