#pragma once
// Fast text building for the simulator's writers: appending numbers, escaped JSON strings,
// timestamps, addresses and identifiers to a std::string without temporary allocations.
// Generation speed (docs/simulator.md) is bounded by this code.

#include <cstdint>
#include <string>
#include <string_view>

namespace mamori::sim {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t ns_per_min = 60 * ns_per_s;
constexpr std::int64_t ns_per_hour = 60 * ns_per_min;
constexpr std::int64_t ns_per_day = 24 * ns_per_hour;

struct civil_time {
  int year, month, day, hour, minute, second;
  int nanos;
  int weekday;  // 0 = Sunday
};
civil_time to_civil(std::int64_t ns);
std::int64_t from_civil(int year, int month, int day);  // ns at 00:00 UTC of that date
// Parses YYYY-MM-DD; -1 on failure.
std::int64_t parse_date(std::string_view s);

void append_uint(std::string& out, std::uint64_t v);
void append_int(std::string& out, std::int64_t v);
// Zero-padded to width.
void append_padded(std::string& out, std::uint64_t v, int width);
// A JSON string literal with quotes; escapes quotes, backslashes and control characters.
void append_json(std::string& out, std::string_view s);
// "key":"value" with a leading comma unless first.
void append_hex(std::string& out, std::uint64_t v, int digits, bool upper = false);
// xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx from 128 random bits.
void append_uuid(std::string& out, std::uint64_t hi, std::uint64_t lo, bool upper = false);
void append_ipv4(std::string& out, std::uint32_t ip);
std::string ipv4_string(std::uint32_t ip);
// One decimal fixed-point number with `digits` fraction digits (no locale, no rounding drift).
void append_fixed(std::string& out, double v, int digits);

// 2025-03-04T09:12:01.123Z with `frac` fraction digits (0, 3, 6 or 7).
void append_iso_utc(std::string& out, std::int64_t ns, int frac, bool zulu = true);
// 2025-03-04T18:12:01+09:00 (local time at a fixed offset in minutes).
void append_iso_offset(std::string& out, std::int64_t ns, int offset_minutes);
// 2025-03-04 09:12:01 (space separated, UTC).
void append_sql_time(std::string& out, std::int64_t ns, int frac = 0);
// "Mar  4 09:12:01" (BSD syslog, UTC).
void append_bsd_time(std::string& out, std::int64_t ns);
// "1709543521.123" (Squid).
void append_epoch_ms(std::string& out, std::int64_t ns);

}  // namespace mamori::sim
