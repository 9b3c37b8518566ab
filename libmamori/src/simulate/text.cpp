#include "mamori/simulate/text.hpp"

#include <array>
#include <cmath>

namespace mamori::sim {

namespace {

// H. Hinnant's civil_from_days / days_from_civil (public domain algorithms).
void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2));
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr std::array<std::string_view, 12> month_abbrev = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void put2(std::string& out, int v) {
  out += static_cast<char>('0' + v / 10);
  out += static_cast<char>('0' + v % 10);
}

void append_date(std::string& out, const civil_time& c) {
  append_padded(out, static_cast<std::uint64_t>(c.year), 4);
  out += '-';
  put2(out, c.month);
  out += '-';
  put2(out, c.day);
}

void append_clock(std::string& out, const civil_time& c) {
  put2(out, c.hour);
  out += ':';
  put2(out, c.minute);
  out += ':';
  put2(out, c.second);
}

void append_frac(std::string& out, int nanos, int digits) {
  if (digits <= 0) return;
  out += '.';
  int div = 100'000'000;
  for (int i = 0; i < digits; ++i) {
    out += static_cast<char>('0' + (nanos / div) % 10);
    div /= 10;
  }
}

}  // namespace

civil_time to_civil(std::int64_t ns) {
  std::int64_t days = ns / ns_per_day;
  std::int64_t rem = ns % ns_per_day;
  if (rem < 0) {
    rem += ns_per_day;
    --days;
  }
  civil_time c{};
  civil_from_days(days, c.year, c.month, c.day);
  const std::int64_t secs = rem / ns_per_s;
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs / 60 % 60);
  c.second = static_cast<int>(secs % 60);
  c.nanos = static_cast<int>(rem % ns_per_s);
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  return c;
}

std::int64_t from_civil(int year, int month, int day) {
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) *
         ns_per_day;
}

std::int64_t parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return -1;
  int v[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lens[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (std::size_t k = 0; k < lens[i]; ++k) {
      const char c = s[starts[i] + k];
      if (c < '0' || c > '9') return -1;
      v[i] = v[i] * 10 + (c - '0');
    }
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[0] < 1971) return -1;
  return from_civil(v[0], v[1], v[2]);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out += buf[--n];
}

void append_int(std::string& out, std::int64_t v) {
  if (v < 0) {
    out += '-';
    append_uint(out, static_cast<std::uint64_t>(-(v + 1)) + 1);
  } else {
    append_uint(out, static_cast<std::uint64_t>(v));
  }
}

void append_padded(std::string& out, std::uint64_t v, int width) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = n; i < width; ++i) out += '0';
  while (n > 0) out += buf[--n];
}

void append_json(std::string& out, std::string_view s) {
  out += '"';
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(start, i - start));
    start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        append_hex(out, c, 2);
    }
  }
  out.append(s.substr(start));
  out += '"';
}

void append_hex(std::string& out, std::uint64_t v, int digits, bool upper) {
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += hex[(v >> (4 * i)) & 0xf];
}

void append_uuid(std::string& out, std::uint64_t hi, std::uint64_t lo, bool upper) {
  hi = (hi & ~0xf000ULL) | 0x4000ULL;            // version 4
  lo = (lo & ~(0xcULL << 60)) | (0x8ULL << 60);  // variant 10xx
  append_hex(out, hi >> 32, 8, upper);
  out += '-';
  append_hex(out, (hi >> 16) & 0xffff, 4, upper);
  out += '-';
  append_hex(out, hi & 0xffff, 4, upper);
  out += '-';
  append_hex(out, lo >> 48, 4, upper);
  out += '-';
  append_hex(out, lo & 0xffffffffffffULL, 12, upper);
}

void append_ipv4(std::string& out, std::uint32_t ip) {
  append_uint(out, ip >> 24);
  out += '.';
  append_uint(out, (ip >> 16) & 0xff);
  out += '.';
  append_uint(out, (ip >> 8) & 0xff);
  out += '.';
  append_uint(out, ip & 0xff);
}

std::string ipv4_string(std::uint32_t ip) {
  std::string s;
  append_ipv4(s, ip);
  return s;
}

void append_fixed(std::string& out, double v, int digits) {
  if (v < 0) {
    out += '-';
    v = -v;
  }
  std::uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  const auto scaled = static_cast<std::uint64_t>(std::llround(v * static_cast<double>(scale)));
  append_uint(out, scaled / scale);
  if (digits > 0) {
    out += '.';
    append_padded(out, scaled % scale, digits);
  }
}

void append_iso_utc(std::string& out, std::int64_t ns, int frac, bool zulu) {
  const civil_time c = to_civil(ns);
  append_date(out, c);
  out += 'T';
  append_clock(out, c);
  append_frac(out, c.nanos, frac);
  if (zulu) out += 'Z';
}

void append_iso_offset(std::string& out, std::int64_t ns, int offset_minutes) {
  const civil_time c = to_civil(ns + offset_minutes * ns_per_min);
  append_date(out, c);
  out += 'T';
  append_clock(out, c);
  const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  out += offset_minutes < 0 ? '-' : '+';
  put2(out, a / 60);
  out += ':';
  put2(out, a % 60);
}

void append_sql_time(std::string& out, std::int64_t ns, int frac) {
  const civil_time c = to_civil(ns);
  append_date(out, c);
  out += ' ';
  append_clock(out, c);
  append_frac(out, c.nanos, frac);
}

void append_bsd_time(std::string& out, std::int64_t ns) {
  const civil_time c = to_civil(ns);
  out.append(month_abbrev[static_cast<std::size_t>(c.month - 1)]);
  out += ' ';
  if (c.day < 10) {
    out += ' ';
    out += static_cast<char>('0' + c.day);
  } else {
    put2(out, c.day);
  }
  out += ' ';
  append_clock(out, c);
}

void append_epoch_ms(std::string& out, std::int64_t ns) {
  append_uint(out, static_cast<std::uint64_t>(ns / ns_per_s));
  out += '.';
  append_padded(out, static_cast<std::uint64_t>(ns % ns_per_s / 1'000'000), 3);
}

}  // namespace mamori::sim
