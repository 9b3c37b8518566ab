#include "mamori/io/csv.hpp"

#include <gtest/gtest.h>

namespace mamori {
namespace {

struct csv_row {
  std::vector<std::string> fields;
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  std::string error;
};

std::vector<csv_row> read_all(std::string text, std::size_t chunk = 5,
                              std::size_t max_record = 1 << 20, char delim = ',') {
  // A tiny chunk size makes records and quoted fields straddle buffer refills.
  input_reader in(memory_input(std::move(text)), chunk);
  csv_reader reader(in, delim, max_record);
  std::vector<csv_row> out;
  while (auto r = reader.next()) {
    csv_row row;
    for (auto f : r->fields) row.fields.emplace_back(f);
    row.line = r->line;
    row.offset = r->offset;
    row.error = std::string(r->error);
    out.push_back(std::move(row));
  }
  return out;
}

using fields = std::vector<std::string>;

TEST(Csv, PlainRecordsLfAndCrlf) {
  for (std::size_t chunk : {2, 3, 5, 1024}) {
    auto rows = read_all("a,b,c\r\n1,2,3\n4,,6\r\n", chunk);
    ASSERT_EQ(rows.size(), 3u) << chunk;
    EXPECT_EQ(rows[0].fields, (fields{"a", "b", "c"}));
    EXPECT_EQ(rows[1].fields, (fields{"1", "2", "3"}));
    EXPECT_EQ(rows[2].fields, (fields{"4", "", "6"}));
    EXPECT_EQ(rows[2].line, 3u);
    EXPECT_EQ(rows[2].offset, 13u);
  }
}

TEST(Csv, QuotedFieldsWithDelimitersQuotesAndNewlines) {
  for (std::size_t chunk : {2, 3, 7, 4096}) {
    auto rows = read_all(
        "id,AuditData,n\n"
        "1,\"{\"\"Operation\"\":\"\"New-InboxRule\"\",\"\"x\"\":[1,2]}\",ok\n"
        "2,\"line one\r\nline two, still\",\"\"\n"
        "3,\"\"\"\",last\n",
        chunk);
    ASSERT_EQ(rows.size(), 4u) << chunk;
    EXPECT_EQ(rows[1].fields, (fields{"1", "{\"Operation\":\"New-InboxRule\",\"x\":[1,2]}", "ok"}));
    EXPECT_EQ(rows[2].fields, (fields{"2", "line one\r\nline two, still", ""}));
    EXPECT_EQ(rows[2].line, 3u);
    EXPECT_EQ(rows[3].fields, (fields{"3", "\"", "last"}));
    EXPECT_EQ(rows[3].line, 5u);  // the quoted newline moved it down one line
    for (const auto& r : rows) EXPECT_EQ(r.error, "");
  }
}

TEST(Csv, ByteOrderMarkBlankLinesAndMissingFinalNewline) {
  auto rows = read_all("\xEF\xBB\xBFh1,h2\n\n\r\nx,y");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields, (fields{"h1", "h2"}));
  EXPECT_EQ(rows[1].fields, (fields{"x", "y"}));
  EXPECT_EQ(rows[1].line, 4u);
}

TEST(Csv, TrailingDelimiterGivesAnEmptyLastField) {
  auto rows = read_all("a,b,\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields, (fields{"a", "b", ""}));
}

TEST(Csv, UnterminatedQuoteIsReportedAndReadingResumesOnTheNextLine) {
  auto rows = read_all("a,b\n1,\"broken\n2,ok\n3,fine\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_NE(rows[1].error.find("unterminated quoted field (opened on line 2)"), std::string::npos)
      << rows[1].error;
  EXPECT_EQ(rows[2].fields, (fields{"2", "ok"}));
  EXPECT_EQ(rows[2].line, 3u);
  EXPECT_EQ(rows[3].fields, (fields{"3", "fine"}));
  EXPECT_EQ(rows[3].error, "");
}

TEST(Csv, StrayQuotePairedOnALaterLineDoesNotSwallowRecords) {
  // The quote opened on line 2 closes on line 4 ("fine"); RFC 4180 would read lines 2-4 as one
  // record. The character after that closing quote shows the quotes are unbalanced.
  auto rows = read_all("a,b\n1,\"broken\n2,ok\n3,\"fine\"\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_NE(rows[1].error.find("after the closing quote of field 2 (quote opened on line 2"),
            std::string::npos)
      << rows[1].error;
  EXPECT_EQ(rows[2].fields, (fields{"2", "ok"}));
  EXPECT_EQ(rows[3].fields, (fields{"3", "fine"}));
}

TEST(Csv, GarbageAfterClosingQuoteIsAnError) {
  auto rows = read_all("\"a\"x,b\nc,d\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[0].error.find("after the closing quote of field 1"), std::string::npos);
  EXPECT_EQ(rows[1].fields, (fields{"c", "d"}));
}

TEST(Csv, RecordOverTheLimitIsSkippedWithoutLosingTheNext) {
  auto rows = read_all("a,b\n" + std::string(100, 'x') + ",y\nc,d\n", 8, 32);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[1].error.find("exceeds the 32 byte limit"), std::string::npos);
  EXPECT_EQ(rows[2].fields, (fields{"c", "d"}));
  EXPECT_EQ(rows[2].line, 3u);
}

TEST(Csv, QuotedFieldRunningPastTheLimitResumesAtTheNextLine) {
  auto rows = read_all("a,\"open\n" + std::string(100, 'z') + "\nc,d\n", 8, 40);
  ASSERT_GE(rows.size(), 2u);
  EXPECT_NE(rows[0].error.find("runs past the 40 byte record limit"), std::string::npos)
      << rows[0].error;
  // The 100-byte line after it is itself too long, then c,d is read normally.
  EXPECT_EQ(rows.back().fields, (fields{"c", "d"}));
  EXPECT_EQ(rows.back().line, 3u);
}

TEST(Csv, OtherDelimiter) {
  auto rows = read_all("a;\"b;c\"\n", 5, 1 << 20, ';');
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields, (fields{"a", "b;c"}));
}

TEST(Csv, SplitInMemory) {
  std::vector<std::string> out;
  EXPECT_TRUE(csv_split("CreationDate,UserIds,\"Operations\",AuditData", ',', out));
  EXPECT_EQ(out, (fields{"CreationDate", "UserIds", "Operations", "AuditData"}));
  EXPECT_TRUE(csv_split("\"a\"\"b\",", ',', out));
  EXPECT_EQ(out, (fields{"a\"b", ""}));
  EXPECT_FALSE(csv_split("\"open", ',', out));
  EXPECT_FALSE(csv_split("\"a\"b,c", ',', out));
}

}  // namespace
}  // namespace mamori
