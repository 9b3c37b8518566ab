#include "mamori/event/time.hpp"

#include <gtest/gtest.h>

namespace mamori::timeparse {
namespace {

TEST(Time, Iso8601Variants) {
  EXPECT_EQ(iso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(iso8601("2023-07-10T12:20:01Z"), 1688991601LL * 1'000'000'000);
  EXPECT_EQ(iso8601("2023-07-10T21:20:01+09:00"), 1688991601LL * 1'000'000'000);
  EXPECT_EQ(iso8601("2023-07-10T12:20:01.5Z"), 1688991601LL * 1'000'000'000 + 500'000'000);
  // Seven fraction digits (.NET), space separator, no zone (= UTC).
  EXPECT_EQ(iso8601("2023-07-10 12:20:01.1234567"), 1688991601LL * 1'000'000'000 + 123'456'700);
  EXPECT_EQ(iso8601("2023-07-10T12:20:01.000-0130"), (1688991601LL + 5400) * 1'000'000'000);
  EXPECT_FALSE(iso8601("2023-13-10T12:20:01Z"));
  EXPECT_FALSE(iso8601("not a time"));
  EXPECT_FALSE(iso8601("2023-07-10T12:20:01Zjunk"));
}

TEST(Time, EpochAndSyslog) {
  EXPECT_EQ(epoch_seconds("1286536309.450"), 1286536309LL * 1'000'000'000 + 450'000'000);
  EXPECT_FALSE(epoch_seconds("12a"));
  EXPECT_EQ(syslog_rfc3164("Jun 14 15:16:01", 2005), iso8601("2005-06-14T15:16:01Z"));
  EXPECT_EQ(syslog_rfc3164("Jun  4 15:16:01", 2005), iso8601("2005-06-04T15:16:01Z"));
  EXPECT_FALSE(syslog_rfc3164("Foo 14 15:16:01", 2005));
}

TEST(Time, FormatRoundTrips) {
  for (const char* s : {"2023-07-10T12:20:01Z", "1969-12-31T23:59:59.500Z",
                        "2000-02-29T00:00:00.123456Z", "2038-01-19T03:14:08.000000001Z"}) {
    auto ns = iso8601(s);
    ASSERT_TRUE(ns) << s;
    EXPECT_EQ(format_rfc3339(*ns), s);
  }
}

}  // namespace
}  // namespace mamori::timeparse
