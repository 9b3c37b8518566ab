#pragma once
// JSON text helpers shared by every writer: escaping with UTF-8 repair (invalid bytes become
// U+FFFD so output stays valid JSON whatever the input held).

#include <string>
#include <string_view>

#include "mamori/event/value.hpp"

namespace mamori::json_text {

void append_string(std::string& out, std::string_view s);
void append_value(std::string& out, const value& v);

}  // namespace mamori::json_text
