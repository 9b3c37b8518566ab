#pragma once
// A field value as decoded from the source: typed (so numbers compare as numbers) and
// non-owning (strings live in the batch arena).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mamori {

enum class value_type : std::uint8_t { null, boolean, integer, real, string };

struct value {
  value_type type = value_type::null;
  bool b = false;
  std::int64_t i = 0;
  double d = 0;
  std::string_view s;

  static value null() { return {}; }
  static value boolean(bool v) { return {value_type::boolean, v, 0, 0, {}}; }
  static value integer(std::int64_t v) { return {value_type::integer, false, v, 0, {}}; }
  static value real(double v) { return {value_type::real, false, 0, v, {}}; }
  static value string(std::string_view v) { return {value_type::string, false, 0, 0, v}; }

  bool is_null() const { return type == value_type::null; }
  bool is_string() const { return type == value_type::string; }

  // Numeric view: integers, reals, and strings that hold a whole decimal number
  // (Windows exports write EventID as "4625" or 4625 depending on the tool).
  std::optional<std::int64_t> as_integer() const;
  std::optional<double> as_real() const;

  // Text form as a rule author sees it: "4625", "true", "1.5", the string itself; "" for null.
  std::string to_string() const;
  // Appends the text form without allocating when the value is a string.
  std::string_view text(std::string& scratch) const;
};

}  // namespace mamori
