#pragma once
// Timestamp parsing for the formats decoders meet. All results are UTC nanoseconds since the
// epoch; std::nullopt means the text is not a timestamp of that form.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mamori::timeparse {

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);

// ISO 8601 / RFC 3339 and the common variants: "2023-07-10T12:20:01Z",
// "2023-07-10T12:20:01.123456789+09:00", "2022-03-22 14:21:53.225" (no zone = UTC),
// "2019-05-12 17:20:01.980574", "2023-07-10T12:20:01.1234567Z" (7 digits, .NET).
std::optional<std::int64_t> iso8601(std::string_view s);

// Seconds since the epoch with optional fraction: "1286536309.450".
std::optional<std::int64_t> epoch_seconds(std::string_view s);

// An epoch count in some unit (ns_per_unit: 1'000 for µs, 1'000'000 for ms, ...) as ns;
// std::nullopt when the product does not fit in 64 bits. Timestamps come from untrusted
// input: an out-of-range one is a decode error, never a silent wrap-around.
std::optional<std::int64_t> scale_to_ns(std::int64_t count, std::int64_t ns_per_unit);

// Epoch seconds held in a double (Zeek's JSON `ts`), rounded to the microsecond, as ns;
// std::nullopt when not finite or out of the int64 ns range.
std::optional<std::int64_t> double_seconds_to_ns(double seconds);

// BSD syslog "Jun 14 15:16:01" / "Jun  4 15:16:01": the year is not in the text.
std::optional<std::int64_t> syslog_rfc3164(std::string_view s, int year);

// Month abbreviation "Jan".."Dec" → 1..12, 0 if not a month.
unsigned month_from_abbrev(std::string_view s);

// Formats as RFC 3339 UTC with as many fraction digits as needed (0, 3, 6 or 9).
std::string format_rfc3339(std::int64_t ns);

}  // namespace mamori::timeparse
