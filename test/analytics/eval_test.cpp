// mamori eval: attribution of findings to campaigns (by event, by entity and time), per
// detector counts, optional and alternative expectations, deadlines, the --only filter.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mamori/eval/evaluate.hpp"

namespace mamori {
namespace {

std::string write(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / name;
  std::ofstream(p) << text;
  return p.string();
}

const char* truth_text =
    R"({"type":"campaign","version":1,"campaign_id":"c1","scenario":"account_takeover","start":"2026-06-03T09:00:00Z","end":"2026-06-03T10:00:00Z","entities":{"users":["Alice@corp.example"],"src_ips":["203.0.113.7"],"hosts":[]},"expected_detections":[{"rule_uid":"mamori.password_spray","entity":{"src_ip":"203.0.113.7"}},{"rule_uid":["mamori.mass_*"],"entity":{"user":"alice@corp.example"},"by":"2026-06-03T09:50:00Z"},{"rule_uid":"mamori.new_device","optional":true},{"rule_uid":"0e95725d-7320-415d-80f7-004da920fc11"}],"malicious_events":[{"source":"entra/signins.json","uid":"ev-1"}]}
{"type":"campaign","version":1,"campaign_id":"c2","scenario":"ssh_brute_force","start":"2026-06-04T01:00:00Z","end":"2026-06-04T01:10:00Z","entities":{"src_ips":["198.51.100.9"]},"expected_detections":[{"rule_uid":"mamori.brute_force_source","entity":{"src_ip":"198.51.100.9"}}]}
{"type":"event","campaign_id":"c2","source":"auth.log","line":42}
{"type":"benign","users":100,"days":2}
not json
)";

const char* findings_text =
    R"({"time_dt":"2026-06-03T09:12:00Z","rule":{"uid":"mamori.password_spray","name":"Password spraying","source":"analytics","level":"high"},"src_endpoint":{"ip":"203.0.113.7"},"evidences":[],"evidence":{"events":[{"source":"/tmp/week/entra/signins.json","offset":0,"uid":"ev-1"}]}}
{"time_dt":"2026-06-03T09:55:00Z","rule":{"uid":"mamori.mass_download","name":"Mass download","source":"analytics","level":"high"},"actor":{"user":{"name":"alice@corp.example"}},"evidences":[]}
{"time_dt":"2026-06-03T09:40:00Z","rule":{"uid":"mamori.new_device","name":"New device","source":"analytics","level":"low"},"actor":{"user":{"name":"ALICE@corp.example"}},"evidences":[]}
{"time_dt":"2026-06-05T12:00:00Z","rule":{"uid":"mamori.new_device","name":"New device","source":"analytics","level":"low"},"actor":{"user":{"name":"zoe@corp.example"}},"evidences":[]}
{"time_dt":"2026-06-04T03:00:00Z","rule":{"uid":"mamori.brute_force_source","name":"Brute force","source":"analytics","level":"medium"},"src_endpoint":{"ip":"192.0.2.1"},"metadata":{"log_source":"/var/log/auth.log","sequence":42},"evidences":[]}
)";

TEST(eval, attribution_counts_and_rates) {
  std::vector<diagnostic> diags;
  diagnostics diag([&](const diagnostic& d) { diags.push_back(d); });
  auto t = eval::load_truth(write("truth_test.ndjson", truth_text), diag);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->campaigns.size(), 2u);
  EXPECT_EQ(t->campaigns[1].events.size(), 1u);  // from the event line
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_NE(render(diags[0]).find("truth_test.ndjson:5"), std::string::npos);
  auto f = eval::load_findings(write("findings_test.ndjson", findings_text), diag);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->size(), 5u);

  eval::options o;
  o.only = "mamori.";
  const eval::report r = eval::evaluate(*t, *f, o);
  std::cout << eval::render_table(r);
  std::map<std::string, const eval::detector_row*> rows;
  for (const auto& d : r.detectors) rows[d.rule] = &d;
  // Spray: attributed through its evidence event (path suffix + uid), entity matches.
  ASSERT_TRUE(rows.count("mamori.password_spray"));
  EXPECT_EQ(rows["mamori.password_spray"]->tp, 1u);
  EXPECT_EQ(rows["mamori.password_spray"]->met, 1u);
  EXPECT_EQ(rows["mamori.password_spray"]->ttd,
            std::vector<std::int64_t>{12LL * 60 * 1'000'000'000});
  // Mass download: attributed (alice, within the campaign ± 1 h) but after its deadline.
  EXPECT_EQ(rows["mamori.mass_download"]->tp, 1u);
  EXPECT_EQ(rows["mamori.mass_download"]->met, 0u);
  EXPECT_EQ(rows["mamori.mass_download"]->fn, 0u);
  EXPECT_EQ(rows["mamori.mass_*"]->fn, 1u);
  // New device: one optional hit (not counted as expected), one benign finding (FP).
  EXPECT_EQ(rows["mamori.new_device"]->tp, 1u);
  EXPECT_EQ(rows["mamori.new_device"]->fp, 1u);
  EXPECT_EQ(rows["mamori.new_device"]->expected, 0u);
  EXPECT_EQ(rows["mamori.new_device"]->optional_met, 1u);
  // Brute force: attributed through its own event (auth.log:42) though the address differs,
  // but the expectation names 198.51.100.9: not met.
  EXPECT_EQ(rows["mamori.brute_force_source"]->tp, 1u);
  EXPECT_EQ(rows["mamori.brute_force_source"]->met, 0u);
  EXPECT_EQ(rows["mamori.brute_force_source"]->fn, 1u);
  // The Sigma expectation is out of scope with --only mamori.
  EXPECT_EQ(rows.count("0e95725d-7320-415d-80f7-004da920fc11"), 0u);
  EXPECT_EQ(r.fp, 1u);
  EXPECT_DOUBLE_EQ(r.fp_per_10k_user_days(), 1.0 * 10000 / (100 * 2));
  ASSERT_EQ(r.scenarios.size(), 2u);
  EXPECT_EQ(r.scenarios[0].status, "partial");
  EXPECT_EQ(r.scenarios[1].status, "missed");

  const eval::report all = eval::evaluate(*t, *f, eval::options{});
  std::size_t sigma_fn = 0;
  for (const auto& d : all.detectors)
    if (d.rule == "0e95725d-7320-415d-80f7-004da920fc11") sigma_fn = d.fn;
  EXPECT_EQ(sigma_fn, 1u);
  EXPECT_NE(eval::render_json(r).find("\"fp_per_10k_user_days\":50.0000"), std::string::npos);
}

}  // namespace
}  // namespace mamori
