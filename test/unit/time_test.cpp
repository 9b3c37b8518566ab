#include "mamori/event/time.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

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

TEST(Time, YearsOutsideNanosecondRangeFail) {
  // int64 nanoseconds cover 1677-09-21 to 2262-04-11; a FILETIME of 0 renders as 1601.
  EXPECT_FALSE(iso8601("1601-01-01T00:00:00.0000000Z"));
  EXPECT_FALSE(iso8601("9999-12-31T23:59:59Z"));
  EXPECT_FALSE(epoch_seconds("99999999999999"));
  EXPECT_TRUE(iso8601("1700-01-01T00:00:00Z"));
}

TEST(Time, ScaledCountsRejectOverflowInsteadOfWrapping) {
  // Found by fuzzing journald (µs) and Zeek JSON (double seconds).
  EXPECT_EQ(scale_to_ns(1'700'000'000'000'000, 1000), 1'700'000'000'000'000'000);
  EXPECT_FALSE(scale_to_ns(17'183'781'690'000'000, 1000));
  EXPECT_FALSE(scale_to_ns(INT64_MIN, 1000));
  EXPECT_EQ(double_seconds_to_ns(1286536309.450123), 1286536309450123000);
  EXPECT_FALSE(double_seconds_to_ns(-9.3e18));
  EXPECT_FALSE(double_seconds_to_ns(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(double_seconds_to_ns(std::numeric_limits<double>::quiet_NaN()));
}

}  // namespace
}  // namespace mamori::timeparse
