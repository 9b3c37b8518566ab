#pragma once
// CSV records as RFC 4180 defines them: records end with CRLF or LF; fields are separated by a
// delimiter (',' by default); a field in double quotes may hold delimiters, line breaks and
// doubled quotes ("" stands for "). The reader streams: a record is parsed from the
// input_reader's buffer and only that record is held in memory, so one bad quote cannot make
// the reader buffer the rest of a large file.
//
// Recovery (RFC 4180 has none): an unterminated quoted field, or a record longer than the
// size limit, is returned once with `error` set, and reading resumes at the line after the
// line where the broken record started, so the good records after it are kept.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mamori/io/input_reader.hpp"

namespace mamori {

class csv_reader {
 public:
  struct record {
    std::span<const std::string_view> fields;  // valid until the next call to next()
    std::uint64_t line = 0;                    // 1-based line where the record starts
    std::uint64_t offset = 0;                  // byte offset of its first byte
    std::string_view error;  // non-empty: the record is malformed (why); fields are partial
  };

  csv_reader(input_reader& in, char delimiter = ',', std::size_t max_record = 16u << 20);

  // Next record, or nullopt at end of input. Blank lines are skipped (and counted).
  std::optional<record> next();
  std::uint64_t blank_lines() const { return blank_lines_; }

 private:
  void consume(std::size_t n);
  void finish_field();
  std::optional<record> fail(std::uint64_t line, std::uint64_t offset, std::string reason);

  input_reader& in_;
  char delim_;
  std::size_t max_record_;
  std::uint64_t line_ = 1;
  std::size_t pending_consume_ = 0;
  bool started_ = false;
  std::uint64_t blank_lines_ = 0;
  std::string scratch_;                                     // unescaped field bytes
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // field (start, length) in scratch_
  std::size_t field_start_ = 0;
  std::vector<std::string_view> fields_;
  std::string error_;
};

// Splits one record held in memory (a header line, a sniffer sample). Returns false when a
// quoted field is not terminated or a closing quote is followed by something other than the
// delimiter.
bool csv_split(std::string_view text, char delimiter, std::vector<std::string>& fields);

}  // namespace mamori
