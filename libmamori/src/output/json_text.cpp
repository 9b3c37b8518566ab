#include "mamori/output/json_text.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

namespace mamori::json_text {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_escaped_byte(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out += hex_digits[c >> 4];
        out += hex_digits[c & 15];
      } else {
        out += static_cast<char>(c);
      }
  }
}

// Length of the valid UTF-8 sequence starting at s[i], 0 if invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t n = 0;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  if (n == 3 && c == 0xe0 && b(i + 1) < 0xa0) return 0;   // overlong
  if (n == 3 && c == 0xed && b(i + 1) >= 0xa0) return 0;  // surrogates
  if (n == 4 && c == 0xf0 && b(i + 1) < 0x90) return 0;
  if (n == 4 && c == 0xf4 && b(i + 1) >= 0x90) return 0;
  return n;
}

}  // namespace

// Bytes that end a run of characters copied verbatim: quote, backslash, controls, non-ASCII.
constexpr auto special_bytes = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = true;
  t['\\'] = true;
  for (int c = 0x80; c < 0x100; ++c) t[c] = true;
  return t;
}();

void append_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;
    while (run < s.size() && !special_bytes[static_cast<unsigned char>(s[run])]) ++run;
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not valid UTF-8
        ++i;
        continue;
      }
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    append_escaped_byte(out, c);
    ++i;
  }
  out += '"';
}

void append_value(std::string& out, const value& v) {
  switch (v.type) {
    case value_type::null:
      out += "null";
      return;
    case value_type::boolean:
      out += v.b ? "true" : "false";
      return;
    case value_type::integer:
      fmt::format_to(std::back_inserter(out), "{}", v.i);
      return;
    case value_type::real:
      if (std::isfinite(v.d)) {
        fmt::format_to(std::back_inserter(out), "{}", v.d);
      } else {
        out += "null";
      }
      return;
    case value_type::string:
      append_string(out, v.s);
      return;
  }
}

}  // namespace mamori::json_text
