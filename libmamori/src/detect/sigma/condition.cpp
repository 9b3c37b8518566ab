#include "mamori/detect/sigma/condition.hpp"

#include <fmt/format.h>

namespace mamori::sigma {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

struct token {
  enum class kind : std::uint8_t { word, lparen, rparen, pipe, end } k = kind::end;
  std::string_view text;
  std::size_t offset = 0;
};

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '*' || c == '-' || c == '.' || c == '?' ||
         static_cast<unsigned char>(c) >= 0x80;
}

class parser {
 public:
  explicit parser(std::string_view text) : text_(text) { advance(); }

  tl::expected<cond_expr, condition_error> parse() {
    auto e = parse_or();
    if (!e) return e;
    if (cur_.k == token::kind::pipe) {
      return tl::unexpected(condition_error{
          "aggregation expressions (`| count() ...`) were removed in Sigma 2.0; use a "
          "correlation rule",
          cur_.offset, true});
    }
    if (cur_.k != token::kind::end) {
      return tl::unexpected(
          condition_error{fmt::format("unexpected '{}'", cur_.text), cur_.offset, false});
    }
    return e;
  }

 private:
  void advance() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
    cur_.offset = pos_;
    if (pos_ >= text_.size()) {
      cur_ = {token::kind::end, {}, pos_};
      return;
    }
    const char c = text_[pos_];
    if (c == '(') {
      cur_ = {token::kind::lparen, text_.substr(pos_, 1), pos_};
      ++pos_;
      return;
    }
    if (c == ')') {
      cur_ = {token::kind::rparen, text_.substr(pos_, 1), pos_};
      ++pos_;
      return;
    }
    if (c == '|') {
      cur_ = {token::kind::pipe, text_.substr(pos_, 1), pos_};
      ++pos_;
      return;
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && word_char(text_[pos_])) ++pos_;
    if (pos_ == start) {
      // An unexpected character: make it a one-character word so the error names it.
      ++pos_;
    }
    cur_ = {token::kind::word, text_.substr(start, pos_ - start), start};
  }

  bool is_word(std::string_view w) const {
    return cur_.k == token::kind::word && iequals(cur_.text, w);
  }

  tl::expected<cond_expr, condition_error> parse_or() {
    auto left = parse_and();
    if (!left) return left;
    if (!is_word("or")) return left;
    cond_expr e;
    e.o = cond_expr::op::or_;
    e.children.push_back(std::move(*left));
    while (is_word("or")) {
      advance();
      auto right = parse_and();
      if (!right) return right;
      e.children.push_back(std::move(*right));
    }
    return e;
  }

  tl::expected<cond_expr, condition_error> parse_and() {
    auto left = parse_not();
    if (!left) return left;
    if (!is_word("and")) return left;
    cond_expr e;
    e.o = cond_expr::op::and_;
    e.children.push_back(std::move(*left));
    while (is_word("and")) {
      advance();
      auto right = parse_not();
      if (!right) return right;
      e.children.push_back(std::move(*right));
    }
    return e;
  }

  tl::expected<cond_expr, condition_error> parse_not() {
    if (is_word("not")) {
      advance();
      auto inner = parse_not();
      if (!inner) return inner;
      cond_expr e;
      e.o = cond_expr::op::not_;
      e.children.push_back(std::move(*inner));
      return e;
    }
    return parse_primary();
  }

  tl::expected<cond_expr, condition_error> parse_primary() {
    if (cur_.k == token::kind::lparen) {
      const std::size_t open = cur_.offset;
      advance();
      auto inner = parse_or();
      if (!inner) return inner;
      if (cur_.k != token::kind::rparen) {
        return tl::unexpected(
            condition_error{"missing ')' for the '(' here", open, false});
      }
      advance();
      return inner;
    }
    if (cur_.k == token::kind::end) {
      return tl::unexpected(condition_error{"unexpected end of condition", cur_.offset, false});
    }
    if (cur_.k != token::kind::word) {
      return tl::unexpected(
          condition_error{fmt::format("unexpected '{}'", cur_.text), cur_.offset, false});
    }
    const token t = cur_;
    if (iequals(t.text, "and") || iequals(t.text, "or") || iequals(t.text, "of") ||
        iequals(t.text, "them")) {
      return tl::unexpected(
          condition_error{fmt::format("unexpected '{}'", t.text), t.offset, false});
    }
    if (iequals(t.text, "near")) {
      return tl::unexpected(condition_error{
          "`near` was removed in Sigma 2.0; use a temporal correlation rule", t.offset, true});
    }
    advance();
    if (is_word("of")) {
      cond_expr e;
      if (iequals(t.text, "all")) {
        e.o = cond_expr::op::all_of;
      } else if (t.text == "1") {
        e.o = cond_expr::op::one_of;
      } else {
        bool numeric = !t.text.empty();
        for (char c : t.text) numeric = numeric && c >= '0' && c <= '9';
        if (numeric) {
          return tl::unexpected(condition_error{
              fmt::format("`{} of` is not Sigma: only `1 of` and `all of` exist", t.text),
              t.offset, true});
        }
        return tl::unexpected(condition_error{
            fmt::format("expected `1 of` or `all of`, got `{} of`", t.text), t.offset, false});
      }
      advance();
      if (cur_.k != token::kind::word || iequals(cur_.text, "and") ||
          iequals(cur_.text, "or") || iequals(cur_.text, "not")) {
        return tl::unexpected(condition_error{
            "expected a search identifier pattern or `them` after `of`", cur_.offset, false});
      }
      e.name = iequals(cur_.text, "them") ? std::string("them") : std::string(cur_.text);
      advance();
      return e;
    }
    cond_expr e;
    e.o = cond_expr::op::ident;
    e.name = std::string(t.text);
    return e;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  token cur_;
};

}  // namespace

std::string cond_expr::to_string() const {
  switch (o) {
    case op::ident:
      return name;
    case op::one_of:
      return "1 of " + name;
    case op::all_of:
      return "all of " + name;
    case op::not_:
      return "not " + children.at(0).to_string();
    case op::and_:
    case op::or_: {
      std::string out = "(";
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += o == op::and_ ? " and " : " or ";
        out += children[i].to_string();
      }
      return out + ")";
    }
  }
  return {};
}

tl::expected<cond_expr, condition_error> parse_condition(std::string_view text) {
  return parser(text).parse();
}

bool ident_matches(std::string_view pattern, std::string_view ident) {
  // Iterative glob with backtracking to the last star: O(n*m) worst case, tiny inputs.
  std::size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < ident.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.size() && pattern[p] == ident[s]) {
      ++p;
      ++s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace mamori::sigma
