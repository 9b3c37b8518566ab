#pragma once
// Sigma condition expressions (Sigma rules specification v2.1, "Condition"):
//   or  <  and  <  not  <  `1 of` / `all of`  <  ( expression )     (least to most binding)
// Identifiers are search identifiers; `1 of X*` / `all of X*` match identifiers with `*`
// wildcards; `them` is every identifier not starting with `_`. Keywords are case-insensitive.
// The removed aggregation syntax (`| count() by x > 5`, `near`) is reported as unsupported.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.hpp"

namespace mamori::sigma {

struct cond_expr {
  enum class op : std::uint8_t { ident, and_, or_, not_, one_of, all_of };
  op o = op::ident;
  std::string name;  // identifier, or the pattern of `1 of` / `all of` ("them" for them)
  std::vector<cond_expr> children;

  std::string to_string() const;  // canonical, fully parenthesized (tests, explanations)
};

struct condition_error {
  std::string message;
  std::size_t offset = 0;  // byte offset in the condition text
  bool unsupported = false;  // valid in an older Sigma version but not supported
};

tl::expected<cond_expr, condition_error> parse_condition(std::string_view text);

// Matches an identifier against a `1 of` pattern (`*` = any run of characters).
bool ident_matches(std::string_view pattern, std::string_view ident);

}  // namespace mamori::sigma
