#pragma once
// The search language of the event store (docs/search.md):
//
//   actor.user.name=alice status_id=2 earliest=-24h "password spray" | count by src_ip
//
// A query is a boolean expression of terms, then optional pipe stages:
//   field=value   field!=value   field<N field<=N field>N field>=N   field~text (contains)
//   word  "a phrase"            (free text over every value of the event)
//   NOT term   -term   a OR b   (grouping with parentheses; terms side by side are ANDed)
//   earliest=T latest=T last=24h (time range; T is RFC 3339, "now", or relative "-15m")
// Values may hold * and ? wildcards; comparisons are case-insensitive; numbers compare as
// numbers. Fields are the event's OCSF paths (actor.user.name), its source's own names
// (eventName, userIdentity.type, EventID), or the short column names (user, src_ip, ...).
//
// Pipes: | count   | count by f1, f2   | top N f1   | histogram [1h]   | head N
//        | fields f1, f2   | sort time | sort -time

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.hpp"

namespace mamori::store {

enum class cmp_op : std::uint8_t { eq, ne, lt, le, gt, ge, contains, text };

struct predicate {
  std::string field;  // empty for free text (op == text)
  cmp_op op = cmp_op::eq;
  std::string value;
  bool wildcard = false;  // value holds * or ?
};

struct expr {
  enum class kind : std::uint8_t { pred, all, any, negate } k = kind::pred;
  predicate p;
  std::vector<expr> children;
};

enum class pipe_kind : std::uint8_t { count, count_by, top, head, histogram, fields, sort };

struct pipe_stage {
  pipe_kind kind = pipe_kind::count;
  std::vector<std::string> fields;
  std::size_t n = 0;
  std::int64_t interval_ns = 0;  // histogram; 0 = automatic
  bool ascending = false;        // sort
};

struct query {
  std::optional<expr> where;
  std::int64_t from_ns = std::numeric_limits<std::int64_t>::min();  // inclusive
  std::int64_t to_ns = std::numeric_limits<std::int64_t>::max();    // exclusive
  std::vector<pipe_stage> pipes;
  std::string text;  // as given
};

// Parses the query; relative times are resolved against now_ns. Errors name the offending
// position: "at 14: expected a value after '='".
result<query> parse_query(std::string_view text, std::int64_t now_ns);

// "15m", "24h", "7d", "30s" → nanoseconds; nullopt if malformed.
std::optional<std::int64_t> parse_duration(std::string_view s);
// RFC 3339, "now", or a relative duration "-24h" (before now).
std::optional<std::int64_t> parse_time_value(std::string_view s, std::int64_t now_ns);

// Case-insensitive glob with * and ? (backslash escapes the next character).
bool glob_match(std::string_view pattern, std::string_view text);
// Case-insensitive: does `text` contain `needle`?
bool icontains(std::string_view text, std::string_view needle);
bool iequals(std::string_view a, std::string_view b);
// Free-text semantics: `term` occurs in `text` starting and ending on token boundaries.
bool text_match(std::string_view text, std::string_view term);

// Column-backed fields of the event table and their aliases (docs/search.md).
// Returns the column name, or "" when the field lives only in the event JSON.
std::string_view column_for_field(std::string_view field);

}  // namespace mamori::store
