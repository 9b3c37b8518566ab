#include "mamori/authz/timezone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "mamori/event/time.hpp"

namespace mamori::authz {

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

// Local seconds since the epoch (in the zone's then-current offset) at which `r` fires in y.
std::int64_t rule_local_time(const time_zone::posix_rule& r, std::int64_t y) {
  std::int64_t day = 0;  // days since epoch
  if (r.kind == 'M') {
    const std::int64_t first = timeparse::days_from_civil(y, static_cast<unsigned>(r.month), 1);
    // 1970-01-01 was a Thursday (weekday 4).
    const int wday_first = static_cast<int>(((first % 7) + 11) % 7);
    int mday = 1 + ((r.day - wday_first + 7) % 7) + (r.week - 1) * 7;
    const int dim = static_cast<int>(days_in_month(y, static_cast<unsigned>(r.month)));
    while (mday > dim) mday -= 7;
    day = first + mday - 1;
  } else if (r.kind == 'J') {
    // 1..365, February 29 never counted.
    int n = r.day;
    day = timeparse::days_from_civil(y, 1, 1) + n - 1;
    if (is_leap(y) && n >= 60) day += 1;
  } else {
    day = timeparse::days_from_civil(y, 1, 1) + r.day;
  }
  return day * 86400 + r.time;
}

class spec_reader {
 public:
  explicit spec_reader(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool name(std::string& out) {
    out.clear();
    if (eat('<')) {
      while (!done() && peek() != '>') out += s_[i_++];
      return eat('>') && !out.empty();
    }
    while (!done() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z'))) {
      out += s_[i_++];
    }
    return out.size() >= 3;
  }
  bool number(int& out) {
    if (done() || peek() < '0' || peek() > '9') return false;
    out = 0;
    while (!done() && peek() >= '0' && peek() <= '9') out = out * 10 + (s_[i_++] - '0');
    return true;
  }
  // [+-]hh[:mm[:ss]] → seconds (sign as written).
  bool hms(std::int32_t& out) {
    int sign = 1;
    if (eat('-')) {
      sign = -1;
    } else {
      eat('+');
    }
    int h = 0, m = 0, s = 0;
    if (!number(h)) return false;
    if (eat(':')) {
      if (!number(m)) return false;
      if (eat(':') && !number(s)) return false;
    }
    out = sign * (h * 3600 + m * 60 + s);
    return true;
  }
  bool starts_offset() const {
    char c = peek();
    return c == '+' || c == '-' || (c >= '0' && c <= '9');
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

bool parse_rule(spec_reader& r, time_zone::posix_rule& out) {
  if (r.eat('M')) {
    out.kind = 'M';
    if (!r.number(out.month) || !r.eat('.') || !r.number(out.week) || !r.eat('.') ||
        !r.number(out.day)) {
      return false;
    }
    if (out.month < 1 || out.month > 12 || out.week < 1 || out.week > 5 || out.day > 6) {
      return false;
    }
  } else if (r.eat('J')) {
    out.kind = 'J';
    if (!r.number(out.day) || out.day < 1 || out.day > 365) return false;
  } else {
    out.kind = 'N';
    if (!r.number(out.day) || out.day > 365) return false;
  }
  out.time = 7200;
  if (r.eat('/')) return r.hms(out.time);
  return true;
}

std::uint64_t be(std::string_view b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < n; ++k) v = (v << 8) | static_cast<std::uint8_t>(b[at + k]);
  return v;
}

}  // namespace

result<time_zone::posix_tz> time_zone::parse_posix(std::string_view spec) {
  spec_reader r(spec);
  posix_tz tz;
  std::string name;
  std::int32_t off = 0;
  if (!r.name(name) || !r.hms(off)) return fail(fmt::format("bad TZ rule '{}'", spec));
  tz.std_offset = -off;
  if (r.done()) return tz;
  if (!r.name(name)) return fail(fmt::format("bad TZ rule '{}'", spec));
  tz.has_dst = true;
  tz.dst_offset = tz.std_offset + 3600;
  if (r.starts_offset()) {
    if (!r.hms(off)) return fail(fmt::format("bad TZ rule '{}'", spec));
    tz.dst_offset = -off;
  }
  // Without a rule, POSIX leaves the default implementation-defined; the US rule of
  // tzcode ("M3.2.0,M11.1.0") is what glibc uses.
  if (r.done()) {
    tz.start = {'M', 3, 2, 0, 7200};
    tz.end = {'M', 11, 1, 0, 7200};
    return tz;
  }
  if (!r.eat(',') || !parse_rule(r, tz.start) || !r.eat(',') || !parse_rule(r, tz.end) ||
      !r.done()) {
    return fail(fmt::format("bad TZ rule '{}'", spec));
  }
  return tz;
}

result<std::shared_ptr<const time_zone>> time_zone::from_tzif(std::string name,
                                                              std::string_view b) {
  auto bad = [&](std::string_view why) {
    return fail(fmt::format("time zone '{}': invalid TZif data ({})", name, why));
  };
  if (b.size() < 44 || b.substr(0, 4) != "TZif") return bad("no TZif header");
  const char version = b[4];
  auto counts = [&](std::size_t at, std::uint64_t c[6]) {
    for (int k = 0; k < 6; ++k) c[k] = be(b, at + 20 + 4 * static_cast<std::size_t>(k), 4);
  };
  std::uint64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  std::size_t at = 44;
  std::size_t time_size = 4;
  if (version >= '2') {
    // Skip the v1 block; the v2 block that follows has 64-bit times.
    const std::uint64_t v1 = c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    at += v1;
    if (b.size() < at + 44 || b.substr(at, 4) != "TZif") return bad("no v2 header");
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  const std::uint64_t timecnt = c[3], typecnt = c[4];
  const std::uint64_t need =
      timecnt * time_size + timecnt + typecnt * 6 + c[5] + c[2] * (time_size + 4) + c[1] + c[0];
  if (typecnt == 0 || b.size() < at + need) return bad("truncated");
  auto tz = std::make_shared<time_zone>();
  tz->name_ = std::move(name);
  std::vector<std::int32_t> type_offsets(typecnt);
  const std::size_t types_at = at + timecnt * time_size + timecnt;
  for (std::uint64_t k = 0; k < typecnt; ++k) {
    type_offsets[k] =
        static_cast<std::int32_t>(static_cast<std::uint32_t>(be(b, types_at + k * 6, 4)));
  }
  tz->initial_offset_ = type_offsets[0];
  tz->transitions_.reserve(timecnt);
  tz->offsets_.reserve(timecnt);
  for (std::uint64_t k = 0; k < timecnt; ++k) {
    std::uint64_t raw = be(b, at + k * time_size, time_size);
    std::int64_t t = time_size == 8 ? static_cast<std::int64_t>(raw)
                                    : static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
    const auto idx = static_cast<std::uint8_t>(b[at + timecnt * time_size + k]);
    if (idx >= typecnt) return bad("transition type out of range");
    tz->transitions_.push_back(t);
    tz->offsets_.push_back(type_offsets[idx]);
  }
  if (version >= '2') {
    std::size_t f = at + need;
    if (f < b.size() && b[f] == '\n') {
      const std::size_t end = b.find('\n', f + 1);
      if (end != std::string_view::npos && end > f + 1) {
        auto rule = parse_posix(b.substr(f + 1, end - f - 1));
        if (rule) {
          tz->footer_ = *rule;
          tz->has_footer_ = true;
        }
      }
    }
  }
  return std::shared_ptr<const time_zone>(std::move(tz));
}

result<std::shared_ptr<const time_zone>> time_zone::load(std::string_view name) {
  if (name == "UTC" || name == "Z" || name == "Etc/UTC" || name == "GMT") {
    auto tz = std::make_shared<time_zone>();
    tz->name_ = std::string(name);
    return std::shared_ptr<const time_zone>(std::move(tz));
  }
  if (!name.empty() && (name[0] == '+' || name[0] == '-')) {
    spec_reader r(name);
    std::int32_t off = 0;
    if (!r.hms(off) || !r.done() || off < -18 * 3600 || off > 18 * 3600) {
      return fail(fmt::format("time zone '{}': expected an offset like +09:00", name));
    }
    auto tz = std::make_shared<time_zone>();
    tz->name_ = std::string(name);
    tz->initial_offset_ = off;
    return std::shared_ptr<const time_zone>(std::move(tz));
  }
  // IANA names: letters, digits, '/', '_', '-', '+'; never "..".
  for (char ch : name) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' || ch == '-' || ch == '+';
    if (!ok) return fail(fmt::format("time zone '{}': not an IANA zone name", name));
  }
  if (name.empty() || name.find("..") != std::string_view::npos || name[0] == '/') {
    return fail(fmt::format("time zone '{}': not an IANA zone name", name));
  }
  const char* dir = std::getenv("TZDIR");
  std::string path = fmt::format("{}/{}", dir != nullptr ? dir : "/usr/share/zoneinfo", name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(
        fmt::format("unknown time zone '{}' ({} not found; is tzdata installed?)", name, path));
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return from_tzif(std::string(name), bytes);
}

std::int32_t time_zone::offset_at(std::int64_t t) const {
  if (transitions_.empty() && !has_footer_) return initial_offset_;
  if (!transitions_.empty() && t < transitions_.front()) return initial_offset_;
  if (!has_footer_ || (!transitions_.empty() && t < transitions_.back())) {
    auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
    return offsets_[static_cast<std::size_t>(it - transitions_.begin()) - 1];
  }
  const posix_tz& f = footer_;
  if (!f.has_dst) return f.std_offset;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(floor_div(t + f.std_offset, 86400), y, m, d);
  const std::int64_t start = rule_local_time(f.start, y) - f.std_offset;
  const std::int64_t end = rule_local_time(f.end, y) - f.dst_offset;
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? f.dst_offset : f.std_offset;
}

}  // namespace mamori::authz
