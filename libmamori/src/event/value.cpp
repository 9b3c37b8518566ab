#include "mamori/event/value.hpp"

#include <fmt/format.h>

#include <charconv>

namespace mamori {

std::optional<std::int64_t> value::as_integer() const {
  switch (type) {
    case value_type::integer:
      return i;
    case value_type::boolean:
      return b ? 1 : 0;
    case value_type::real:
      if (d == static_cast<double>(static_cast<std::int64_t>(d))) {
        return static_cast<std::int64_t>(d);
      }
      return std::nullopt;
    case value_type::string: {
      std::int64_t out = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
      return std::nullopt;
    }
    case value_type::null:
      break;
  }
  return std::nullopt;
}

std::optional<double> value::as_real() const {
  switch (type) {
    case value_type::integer:
      return static_cast<double>(i);
    case value_type::real:
      return d;
    case value_type::string: {
      double out = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::string value::to_string() const {
  std::string scratch;
  return std::string(text(scratch));
}

std::string_view value::text(std::string& scratch) const {
  switch (type) {
    case value_type::string:
      return s;
    case value_type::integer:
      scratch = fmt::format("{}", i);
      return scratch;
    case value_type::real:
      scratch = fmt::format("{}", d);
      return scratch;
    case value_type::boolean:
      return b ? "true" : "false";
    case value_type::null:
      break;
  }
  return {};
}

}  // namespace mamori
