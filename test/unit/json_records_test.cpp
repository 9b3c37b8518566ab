#include "mamori/io/json_records.hpp"

#include <gtest/gtest.h>

namespace mamori {
namespace {

struct split_result {
  std::vector<std::string> records;
  std::vector<std::uint64_t> lines;
  std::vector<std::string> problems;
  json_layout layout = json_layout::unknown;
  std::string wrapper;
};

split_result split(std::string text, std::size_t max_record = 1 << 20, std::size_t chunk = 7) {
  // A tiny chunk size forces records to straddle buffer refills.
  input_reader in(memory_input(std::move(text)), chunk);
  json_record_reader reader(in, max_record);
  split_result out;
  while (auto r = reader.next()) {
    out.records.emplace_back(r->text);
    out.lines.push_back(r->line);
  }
  for (auto& p : reader.take_problems()) out.problems.push_back(p.reason);
  out.layout = reader.layout();
  out.wrapper = reader.wrapper_key();
  return out;
}

TEST(JsonRecords, Ndjson) {
  auto r = split("{\"a\":1}\n\n{\"b\":\"x}\"}\r\n{\"c\":[1,2]}\n");
  EXPECT_EQ(r.layout, json_layout::ndjson);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[1], "{\"b\":\"x}\"}");
  EXPECT_EQ(r.lines, (std::vector<std::uint64_t>{1, 3, 4}));
}

TEST(JsonRecords, CloudTrailWrapperWithOtherMembersFirst) {
  auto r =
      split("{\"meta\": {\"x\": [1]},\n \"Records\": [\n {\"e\": \"]\\\"\"},\n {\"f\": 2}\n]}");
  EXPECT_EQ(r.layout, json_layout::wrapper);
  EXPECT_EQ(r.wrapper, "Records");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0], "{\"e\": \"]\\\"\"}");
  EXPECT_EQ(r.lines, (std::vector<std::uint64_t>{3, 4}));
  EXPECT_TRUE(r.problems.empty());
}

TEST(JsonRecords, NdjsonWhoseRecordsHoldAWrapperKeyIsNotAWrapper) {
  // Google Admin SDK activities carry "events": [...]; one per line is NDJSON, not a wrapper.
  auto r = split("{\"id\":{\"time\":\"t\"},\"events\":[{\"name\":\"a\"}]}\n"
                 "{\"id\":{\"time\":\"u\"},\"events\":[{\"name\":\"b\"}]}\n");
  EXPECT_EQ(r.layout, json_layout::ndjson);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1], "{\"id\":{\"time\":\"u\"},\"events\":[{\"name\":\"b\"}]}");
  // The same object alone in its input is a wrapper (a one-line CloudTrail S3 file).
  auto w = split("{\"Records\":[{\"e\":1},{\"e\":2}]}\n");
  EXPECT_EQ(w.layout, json_layout::wrapper);
  EXPECT_EQ(w.records.size(), 2u);
}

TEST(JsonRecords, ArrayAndPrettyPrinted) {
  auto a = split("[{\"a\":1}, {\"b\":2}, 3]");
  EXPECT_EQ(a.layout, json_layout::array);
  EXPECT_EQ(a.records, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "3"}));
  auto c = split("{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n");
  EXPECT_EQ(c.layout, json_layout::concatenated);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.lines, (std::vector<std::uint64_t>{1, 4}));
}

TEST(JsonRecords, TruncatedArrayKeepsCompleteRecords) {
  auto r = split("{\"Records\":[{\"a\":1},{\"b\":2},{\"c\":");
  ASSERT_EQ(r.records.size(), 2u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("truncated"), std::string::npos);
}

TEST(JsonRecords, OversizedRecordIsSkippedNotBuffered) {
  std::string big = "[{\"a\":1},{\"big\":\"" + std::string(5000, 'x') + "\"},{\"c\":3}]";
  auto r = split(big, 1000, 64);
  EXPECT_EQ(r.records, (std::vector<std::string>{"{\"a\":1}", "{\"c\":3}"}));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("exceeds the 1000 byte limit"), std::string::npos);
  std::string lines = "{\"a\":1}\n{\"big\":\"" + std::string(5000, 'x') + "\"}\n{\"c\":3}\n";
  auto l = split(lines, 1000, 64);
  EXPECT_EQ(l.records, (std::vector<std::string>{"{\"a\":1}", "{\"c\":3}"}));
  EXPECT_EQ(l.lines, (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(l.problems.size(), 1u);
}

}  // namespace
}  // namespace mamori
