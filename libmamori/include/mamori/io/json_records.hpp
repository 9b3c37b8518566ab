#pragma once
// Splits a JSON input into records without parsing them, so each record can be parsed (and
// fail) on its own and inputs larger than memory stream. Layouts recognised from the first
// bytes:
//   NDJSON          one value per line (a broken line costs that line only)
//   array           [ {...}, {...} ]
//   wrapper object  {"Records": [ ... ]} (CloudTrail S3 delivery), {"value": [...]} (Graph),
//                   {"items": [...]} (Google Admin SDK), {"entries": [...]} (Box): the
//                   elements of the first array-valued member in wrapper_keys() are records
//   concatenated    pretty-printed values one after another

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/io/input_reader.hpp"

namespace mamori {

enum class json_layout : std::uint8_t { unknown, ndjson, array, wrapper, concatenated };

std::span<const std::string_view> json_wrapper_keys();

class json_record_reader {
 public:
  struct record {
    std::string_view text;  // one JSON value, followed by readable padding
    std::uint64_t line = 0;
    std::uint64_t offset = 0;
  };
  enum class problem_kind : std::uint8_t { oversized, truncated, malformed };
  struct problem {
    std::uint64_t line = 0;
    std::uint64_t offset = 0;
    std::string reason;
    problem_kind kind = problem_kind::truncated;
  };

  json_record_reader(input_reader& in, std::size_t max_record);

  std::optional<record> next();
  std::vector<problem> take_problems() { return std::exchange(problems_, {}); }
  json_layout layout() const { return layout_; }
  // For the wrapper layout: the member whose elements are the records ("Records", ...).
  std::string_view wrapper_key() const { return wrapper_key_; }

 private:
  bool detect_layout();
  std::optional<record> next_line_record();
  std::optional<record> next_scanned_record();
  void skip_whitespace_and_commas();

  input_reader& in_;
  std::size_t max_record_;
  json_layout layout_ = json_layout::unknown;
  std::string wrapper_key_;
  std::uint64_t line_ = 1;
  std::size_t pending_consume_ = 0;
  std::uint64_t pending_newlines_ = 0;
  bool in_array_ = false;
  bool done_ = false;
  std::optional<line_reader> lines_;
  std::vector<problem> problems_;
};

}  // namespace mamori
