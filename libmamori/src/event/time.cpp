#include "mamori/event/time.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

namespace mamori::timeparse {

namespace {

constexpr std::int64_t ns_per_second = 1'000'000'000;

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t k = 0; k < n; ++k) {
    char c = s[pos + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

// Nanoseconds in an int64 reach from 1677 to 2262; dates outside are not timestamps we accept.
bool valid_civil(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned sec) {
  return y >= 1678 && y <= 2261 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 &&
         mi <= 59 && sec <= 60;
}

// Parses ".123456789" at pos; returns nanoseconds and advances pos.
std::int64_t fraction(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || (s[pos] != '.' && s[pos] != ',')) return 0;
  ++pos;
  std::int64_t ns = 0;
  int n = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (n < 9) {
      ns = ns * 10 + (s[pos] - '0');
      ++n;
    }
    ++pos;
  }
  for (; n < 9; ++n) ns *= 10;
  return ns;
}

}  // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> iso8601(std::string_view s) {
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  std::size_t pos = 10;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    if (!digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, mi)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
    }
  }
  if (!valid_civil(y, mo, d, h, mi, sec)) return std::nullopt;
  std::int64_t ns = fraction(s, pos);
  std::int64_t offset_seconds = 0;
  if (pos < s.size()) {
    char z = s[pos];
    if (z == 'Z' || z == 'z') {
      ++pos;
    } else if (z == '+' || z == '-') {
      unsigned oh = 0, om = 0;
      if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
      std::size_t p = pos + 3;
      if (p < s.size() && s[p] == ':') ++p;
      if (p < s.size()) {
        if (!digits(s, p, 2, om)) return std::nullopt;
        p += 2;
      }
      offset_seconds = (z == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
      pos = p;
    } else if (z == ' ' && s.substr(pos) == " UTC") {
      pos = s.size();
    }
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(y, mo, d);
  const std::int64_t secs =
      days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + sec - offset_seconds;
  return secs * ns_per_second + ns;
}

std::optional<std::int64_t> epoch_seconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t secs = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec != std::errc()) return std::nullopt;
  std::size_t pos = static_cast<std::size_t>(p - s.data());
  std::int64_t ns = fraction(s, pos);
  if (pos != s.size()) return std::nullopt;
  constexpr std::int64_t max_seconds = 9'000'000'000;  // year 2255: keeps ns within int64
  if (secs > max_seconds || secs < -max_seconds) return std::nullopt;
  return secs * ns_per_second + ns;
}

std::optional<std::int64_t> scale_to_ns(std::int64_t count, std::int64_t ns_per_unit) {
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(count, ns_per_unit, &ns)) return std::nullopt;
  return ns;
}

std::optional<std::int64_t> double_seconds_to_ns(double seconds) {
  constexpr double max_seconds = 9.0e9;  // as in epoch_seconds: keeps ns within int64
  if (!std::isfinite(seconds) || seconds > max_seconds || seconds < -max_seconds)
    return std::nullopt;
  return std::llround(seconds * 1e6) * 1000;
}

unsigned month_from_abbrev(std::string_view s) {
  static constexpr std::array<std::string_view, 12> names = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 3) return 0;
  for (unsigned k = 0; k < names.size(); ++k)
    if (names[k] == s) return k + 1;
  return 0;
}

std::optional<std::int64_t> syslog_rfc3164(std::string_view s, int year) {
  // "Mmm dd hh:mm:ss" with the day space-padded: 15 characters.
  if (s.size() < 15 || s[3] != ' ') return std::nullopt;
  unsigned mo = month_from_abbrev(s.substr(0, 3));
  if (mo == 0) return std::nullopt;
  unsigned d = 0, h = 0, mi = 0, sec = 0;
  if (s[4] == ' ') {
    if (!digits(s, 5, 1, d)) return std::nullopt;
  } else if (!digits(s, 4, 2, d)) {
    return std::nullopt;
  }
  if (s[6] != ' ' || !digits(s, 7, 2, h) || s[9] != ':' || !digits(s, 10, 2, mi) || s[12] != ':' ||
      !digits(s, 13, 2, sec)) {
    return std::nullopt;
  }
  if (!valid_civil(static_cast<unsigned>(year), mo, d, h, mi, sec)) return std::nullopt;
  const std::int64_t days = days_from_civil(year, mo, d);
  return (days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + sec) * ns_per_second;
}

std::string format_rfc3339(std::int64_t ns) {
  std::int64_t secs = ns / ns_per_second;
  std::int64_t frac = ns % ns_per_second;
  if (frac < 0) {
    frac += ns_per_second;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (H. Hinnant)
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, rem / 3600,
                                (rem / 60) % 60, rem % 60);
  if (frac != 0) {
    if (frac % 1'000'000 == 0) {
      out += fmt::format(".{:03}", frac / 1'000'000);
    } else if (frac % 1000 == 0) {
      out += fmt::format(".{:06}", frac / 1000);
    } else {
      out += fmt::format(".{:09}", frac);
    }
  }
  out += 'Z';
  return out;
}

}  // namespace mamori::timeparse
