#pragma once
// Stage 1 of Sigma loading (reader): YAML text → a small document tree that keeps, for every
// node, its line and column and whether a scalar was quoted (so `null` and `'null'` differ,
// as the Sigma specification requires). Built on libyaml (Debian libyaml-dev), which parses
// the SigmaHQ rule set about ten times faster than yaml-cpp (docs/sigma.md, "Loading").
// Anchors and aliases are resolved by copying. Errors are values with the position.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mamori/core/result.hpp"

namespace mamori::sigma {

struct ynode_entry;

struct ynode {
  enum class kind : std::uint8_t { null, scalar, sequence, mapping };

  kind k = kind::null;
  bool quoted = false;  // scalar written quoted or as a block scalar: never null/bool/number
  std::string text;     // scalar text
  std::vector<ynode> items;                      // sequence
  // Mapping, in document order. A named entry type rather than std::pair<ynode, ynode>:
  // libstdc++'s pair over a still-incomplete ynode does not compile with clang.
  std::vector<ynode_entry> entries;
  std::uint32_t line = 0;    // 1-based
  std::uint32_t column = 0;  // 1-based

  bool is_null() const { return k == kind::null; }
  bool is_scalar() const { return k == kind::scalar; }
  bool is_sequence() const { return k == kind::sequence; }
  bool is_mapping() const { return k == kind::mapping; }

  // Plain scalars that YAML resolves to null (`null`, `~`, empty) are already kind::null.
  bool is_plain_bool() const;
  std::optional<bool> as_bool() const;
  // A plain scalar that reads as a decimal integer or real number.
  bool is_plain_number() const;

  // Mapping lookup by key text; nullptr when absent or not a mapping.
  const ynode* get(std::string_view key) const;
  // Scalar text of a key, "" when absent or not a scalar.
  std::string_view get_text(std::string_view key) const;
};

// Field names match std::pair so structured bindings and .first/.second read the same.
struct ynode_entry {
  ynode first;   // key
  ynode second;  // value
};

struct yaml_error {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;
};

// Parses every document of a YAML stream. On a syntax error, the documents before it are
// lost: the error carries the position of the problem.
tl::expected<std::vector<ynode>, yaml_error> parse_yaml(std::string_view text);

// Reads a file and parses it; the error message includes the reason the file was unreadable.
tl::expected<std::vector<ynode>, yaml_error> parse_yaml_file(const std::string& path);

}  // namespace mamori::sigma
