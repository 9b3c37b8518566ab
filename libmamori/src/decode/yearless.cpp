#include "mamori/decode/yearless.hpp"

#include <sys/stat.h>

#include <ctime>

#include "mamori/event/time.hpp"

namespace mamori {

namespace {

int year_of(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

}  // namespace

year_inference::year_inference(const decode_context& ctx)
    : default_year_(ctx.options().default_year) {
  std::time_t t = 0;
  struct stat st {};
  if (ctx.path() == "-") {
    t = std::time(nullptr);
  } else if (::stat(ctx.path().c_str(), &st) == 0) {
    t = st.st_mtime;
  }
  if (t != 0 && year_of(t) == default_year_) reference_s_ = static_cast<std::int64_t>(t);
}

int year_inference::year_for(unsigned month, unsigned day, std::int64_t second_of_day) {
  if (last_month_ == 0) {
    year_ = default_year_;
    if (reference_s_) {
      const std::int64_t t = timeparse::days_from_civil(year_, month, day) * 86400 + second_of_day;
      if (t > *reference_s_ + 86400) --year_;
    }
  } else if (month + 6 <= last_month_) {
    ++year_;
  } else if (last_month_ == 1 && month == 12) {
    --year_;  // a late December line among January ones
  }
  last_month_ = month;
  return year_;
}

}  // namespace mamori
