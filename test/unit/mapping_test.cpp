#include "mamori/decode/mapping.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mamori/pipeline/parse_job.hpp"

namespace mamori {
namespace {

namespace fs = std::filesystem;

class collect final : public event_sink {
 public:
  void consume(const event_batch& batch) override {
    for (const auto& e : batch.events()) {
      users.emplace_back(e.get_string(ocsf::attr::actor_user_name));
      ips.emplace_back(e.get_string(ocsf::attr::src_ip));
      statuses.push_back(e.status);
      classes.push_back(e.class_uid);
      times.push_back(e.time_ns);
      products.emplace_back(e.get_string(ocsf::attr::metadata_product));
    }
  }
  std::vector<std::string> users, ips, products;
  std::vector<ocsf::status_id> statuses;
  std::vector<ocsf::event_class> classes;
  std::vector<std::int64_t> times;
};

fs::path write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("mamori-mapping-test-" + name);
  std::ofstream(p) << text;
  return p;
}

TEST(Mapping, MapsJsonSourceWithoutCode) {
  const fs::path yaml = write_temp("vpn.yaml", R"(
name: acme-vpn
title: ACME VPN gateway
class: authentication
activity_id: 1
time: {field: ts, format: epoch}
status: {field: result, success: [ok], failure: [denied, locked]}
sniff: {require: [vpn.user, client]}
fields:
  actor.user.name: vpn.user
  src_endpoint.ip: client
constants:
  metadata.product.name: ACME VPN
)");
  auto spec = load_mapping_file(yaml.string());
  ASSERT_TRUE(spec) << spec.error().message;
  decoder_registry registry;
  registry.add(std::move(*spec));

  const std::string input =
      "{\"ts\": 1700000000.5, \"vpn\": {\"user\": \"alice\"}, \"client\": \"198.51.100.7\", "
      "\"result\": \"denied\"}\n"
      "{\"ts\": \"not a time\", \"vpn\": {\"user\": \"bob\"}, \"client\": \"x\"}\n"
      "{\"ts\": 1700000060, \"vpn\": {\"user\": \"carol\"}, \"client\": \"203.0.113.9\", "
      "\"result\": \"ok\"}\n";
  std::vector<std::string> problems;
  diagnostics diag([&](const diagnostic& d) { problems.push_back(render(d)); });
  parse_job job(registry, parse_options{}, diag);
  collect sink;
  parse_stats stats;
  job.run_one("vpn.jsonl", memory_input(input), sink, stats);

  EXPECT_EQ(stats.rejected, 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            "vpn.jsonl:2: warning: record rejected: time 'not a time' is not in the mapped format");
  ASSERT_EQ(sink.users.size(), 2u);
  EXPECT_EQ(sink.users, (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(sink.ips, (std::vector<std::string>{"198.51.100.7", "203.0.113.9"}));
  EXPECT_EQ(sink.statuses,
            (std::vector<ocsf::status_id>{ocsf::status_id::failure, ocsf::status_id::success}));
  EXPECT_EQ(sink.classes[0], ocsf::event_class::authentication);
  EXPECT_EQ(sink.times[0], 1'700'000'000'500'000'000);
  EXPECT_EQ(sink.products[1], "ACME VPN");
}

TEST(Mapping, ErrorsNameFileLineAndField) {
  const fs::path bad = write_temp("bad.yaml", "name: x\nfields:\n  actor.user.nme: user\n");
  auto spec = load_mapping_file(bad.string());
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("bad.yaml:3: 'actor.user.nme' is not a normalized"),
            std::string::npos)
      << spec.error().message;
  const fs::path broken = write_temp("broken.yaml", "name: [unclosed\n");
  auto spec2 = load_mapping_file(broken.string());
  ASSERT_FALSE(spec2);
  EXPECT_NE(spec2.error().message.find("invalid YAML"), std::string::npos);
}

}  // namespace
}  // namespace mamori
