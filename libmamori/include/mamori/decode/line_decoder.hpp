#pragma once
// Shared machinery for line-oriented text sources (syslog, Squid, W3C, Zeek TSV, CSV):
// framing, oversized-line handling and counting. A line decoder only writes map_line().

#include <string>
#include <string_view>

#include "mamori/decode/decoder.hpp"

namespace mamori {

enum class line_result : std::uint8_t { event, skip, reject };

class line_decoder : public decoder {
 public:
  void decode(input_reader& in, decode_context& ctx) final;

 protected:
  // Maps one line (without terminator) into ev. `skip` is for headers, comments and blank
  // lines; `reject` must set `reason`.
  virtual line_result map_line(std::string_view line, event& ev, decode_context& ctx,
                               std::string& reason) = 0;
};

// Splits on a single delimiter character; used by TSV/space separated formats.
template <typename F>
void split_fields(std::string_view s, char delim, F&& f) {
  std::size_t start = 0;
  while (true) {
    std::size_t p = s.find(delim, start);
    if (p == std::string_view::npos) {
      f(s.substr(start));
      return;
    }
    f(s.substr(start, p - start));
    start = p + 1;
  }
}

}  // namespace mamori
