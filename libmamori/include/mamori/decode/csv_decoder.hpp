#pragma once
// Shared machinery for decoders of CSV sources with a header line (the M365 audit export, the
// generic `csv` decoder, YAML-mapped CSV): RFC 4180 record splitting (mamori/io/csv.hpp), the
// header, field-count checks and counting. A CSV decoder writes on_header() and map_record().

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mamori/decode/decoder.hpp"

namespace mamori {

class csv_decoder : public decoder {
 public:
  void decode(input_reader& in, decode_context& ctx) final;

 protected:
  // The delimiter of this input, chosen from its first line. Default ','.
  virtual char delimiter_for(std::string_view first_line) const;
  // The header record. Return a reason to refuse the whole input (reported as an error).
  virtual std::optional<std::string> on_header(std::span<const std::string_view> names,
                                               decode_context& ctx) = 0;
  // One data record, with exactly as many fields as the header. Return a reason to reject it.
  virtual std::optional<std::string> map_record(std::span<const std::string_view> fields, event& ev,
                                                decode_context& ctx) = 0;
};

// The delimiter among ',', ';' and tab that occurs most often in a header line (',' on ties).
char guess_csv_delimiter(std::string_view header_line);

}  // namespace mamori
