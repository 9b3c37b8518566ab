#pragma once
// Years for timestamps written without one (BSD syslog "Jun 14 15:16:01", Proxifier
// "[10.30 16:49:06]"). The rule, documented in docs/formats/syslog.md:
//  - The first timestamp of an input gets decode_options::default_year, or the year before
//    when that would put it more than a day after the input's modification time (a file that
//    starts in December and was last written in January).
//  - After that the year follows the lines: a month that goes back by six or more (December
//    → January, or a gap) starts the next year; a December line right after January ones is a
//    late line of the year before. Other forward jumps keep the year (a sparse log).
// The modification time is used only when it agrees with default_year (i.e. the year was not
// forced); standard input uses the current time.

#include <cstdint>
#include <optional>

#include "mamori/decode/decoder.hpp"

namespace mamori {

class year_inference {
 public:
  explicit year_inference(const decode_context& ctx);

  // Year for a timestamp on (month, day) at second_of_day; advances the line-to-line state.
  int year_for(unsigned month, unsigned day, std::int64_t second_of_day);

 private:
  int default_year_;
  std::optional<std::int64_t> reference_s_;  // input modification time, seconds since epoch
  int year_ = 0;
  unsigned last_month_ = 0;
};

}  // namespace mamori
