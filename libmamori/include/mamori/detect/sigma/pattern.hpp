#pragma once
// A Sigma string value after wildcard and escape parsing (Sigma rules specification v2.1,
// "String Wildcard" and "Escape Character"): literal bytes, `*` (any run), `?` (one
// character) and, from the windash modifier, a dash class (`-`, `/`, en dash, em dash,
// horizontal bar). The same value is matched two ways that must agree: compiled into a
// Vectorscan expression (compiler.cpp) and by glob_match below (the reference used for
// explanations and patterns Vectorscan cannot take). Case folding is ASCII-only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::sigma {

enum class piece_kind : std::uint8_t { literal, star, one, dash };

struct piece {
  piece_kind kind = piece_kind::literal;
  std::string text;  // literal bytes (literal pieces only)

  bool operator==(const piece&) const = default;
};

class sstring {
 public:
  sstring() = default;

  // Applies the escape rules: `\*` `\?` `\\` escape, any other backslash is literal.
  static sstring parse(std::string_view raw);
  // Every byte literal (values produced by encoders, regex atoms).
  static sstring literal(std::string_view bytes);

  const std::vector<piece>& pieces() const { return pieces_; }
  bool empty() const { return pieces_.empty(); }
  bool plain() const;              // only literal pieces (or empty)
  std::string plain_text() const;  // concatenated literals
  bool can_match_empty() const;    // only stars, or empty
  bool has_star_prefix() const;
  bool has_star_suffix() const;

  void prepend_star();
  void append_star();
  // windash: every `-`, `/`, U+2013, U+2014, U+2015 in literal text becomes a dash piece.
  void apply_windash();

  // Back to Sigma notation (escaped), for messages and explanations.
  std::string to_sigma() const;

  bool operator==(const sstring&) const = default;

 private:
  void push_literal(std::string_view bytes);
  void push(piece_kind k);
  std::vector<piece> pieces_;
};

// Full match of `text` against the pattern (equality with wildcards). ASCII case-insensitive
// unless `cased`. `?` and the dash class consume one UTF-8 character.
bool glob_match(const sstring& pattern, std::string_view text, bool cased);

// ASCII case-insensitive comparisons used across the engine.
bool iequals(std::string_view a, std::string_view b);
bool icontains(std::string_view hay, std::string_view needle);
bool istarts_with(std::string_view s, std::string_view prefix);
bool iends_with(std::string_view s, std::string_view suffix);

}  // namespace mamori::sigma
