#include "mamori/store/query.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "mamori/event/time.hpp"
#include "mamori/store/token_index.hpp"

// g++ 12 reports std::string members of tokens moved through tl::expected as maybe
// uninitialized (a known false positive of its SSO analysis at -O2).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace mamori::store {

namespace {

inline unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

enum class tok_kind : std::uint8_t { word, string, op, lparen, rparen, pipe, comma, end };

struct token {
  tok_kind kind = tok_kind::end;
  std::string text;
  std::size_t pos = 0;
  bool quoted = false;
};

bool is_word_byte(char c) {
  return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == '|' ||
           c == ',' || c == '"' || c == '=' || c == '!' || c == '<' || c == '>' || c == '~');
}

// Value words may contain operator characters (a URL with '=' in it): they end only at
// whitespace, parentheses, pipe.
bool is_value_byte(char c) {
  return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ')' || c == '|');
}

class lexer {
 public:
  explicit lexer(std::string_view s) : s_(s) {}

  result<token> next(bool value_context) {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
    token t;
    t.pos = i_ + 1;
    if (i_ >= s_.size()) return t;
    const char c = s_[i_];
    if (c == '"') {
      std::string out;
      ++i_;
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '"' || s_[i_ + 1] == '\\')) {
          // \" and \\ unescape; other backslashes stay (they escape wildcards).
          if (s_[i_ + 1] == '"') {
            out += '"';
            i_ += 2;
            continue;
          }
          out += "\\\\";
          i_ += 2;
          continue;
        }
        out += s_[i_++];
      }
      if (i_ >= s_.size()) return fail(fmt::format("at {}: unterminated quoted string", t.pos));
      ++i_;
      t.kind = tok_kind::string;
      t.text = std::move(out);
      t.quoted = true;
      return t;
    }
    if (value_context) {
      std::size_t start = i_;
      while (i_ < s_.size() && is_value_byte(s_[i_])) ++i_;
      t.kind = tok_kind::word;
      t.text = std::string(s_.substr(start, i_ - start));
      return t;
    }
    if (c == '(') {
      ++i_;
      t.kind = tok_kind::lparen;
      return t;
    }
    if (c == ')') {
      ++i_;
      t.kind = tok_kind::rparen;
      return t;
    }
    if (c == '|') {
      ++i_;
      t.kind = tok_kind::pipe;
      return t;
    }
    if (c == ',') {
      ++i_;
      t.kind = tok_kind::comma;
      return t;
    }
    if (c == '=' || c == '~') {
      ++i_;
      t.kind = tok_kind::op;
      t.text = std::string(1, c);
      return t;
    }
    if (c == '!' || c == '<' || c == '>') {
      t.kind = tok_kind::op;
      t.text = std::string(1, c);
      ++i_;
      if (i_ < s_.size() && s_[i_] == '=') {
        t.text += '=';
        ++i_;
      } else if (c == '!') {
        return fail(fmt::format("at {}: expected '!='", t.pos));
      }
      return t;
    }
    std::size_t start = i_;
    while (i_ < s_.size() && is_word_byte(s_[i_])) ++i_;
    t.kind = tok_kind::word;
    t.text = std::string(s_.substr(start, i_ - start));
    return t;
  }

  // Peeks without consuming.
  result<token> peek(bool value_context) {
    std::size_t save = i_;
    auto t = next(value_context);
    i_ = save;
    return t;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

bool has_wildcard(std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\') {
      ++i;
      continue;
    }
    if (v[i] == '*' || v[i] == '?') return true;
  }
  return false;
}

// Removes backslash escapes from a value without wildcards.
std::string unescape_value(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

class parser {
 public:
  parser(std::string_view text, std::int64_t now) : lex_(text), now_(now) {}

  result<query> run(std::string_view text) {
    query q;
    q.text = std::string(text);
    auto where = MAMORI_TRY(parse_or(q));
    if (where) q.where = std::move(*where);
    {
      auto t = MAMORI_TRY(lex_.peek(false));
      if (t.kind == tok_kind::rparen) return fail(fmt::format("at {}: unbalanced ')'", t.pos));
    }
    for (;;) {
      auto t = MAMORI_TRY(lex_.next(false));
      if (t.kind == tok_kind::end) break;
      if (t.kind != tok_kind::pipe) return fail(fmt::format("at {}: expected '|'", t.pos));
      q.pipes.push_back(MAMORI_TRY(parse_pipe()));
    }
    if (q.from_ns >= q.to_ns) return fail("empty time range: earliest is not before latest");
    return q;
  }

 private:
  // or := and (OR and)*
  result<std::optional<expr>> parse_or(query& q) {
    auto first = MAMORI_TRY(parse_and(q));
    std::vector<expr> alts;
    if (first) alts.push_back(std::move(*first));
    for (;;) {
      auto t = MAMORI_TRY(lex_.peek(false));
      if (!(t.kind == tok_kind::word && t.text == "OR")) break;
      (void)lex_.next(false);
      auto e = MAMORI_TRY(parse_and(q));
      if (!e) return fail(fmt::format("at {}: expected a term after OR", t.pos));
      alts.push_back(std::move(*e));
    }
    if (alts.empty()) return std::optional<expr>();
    if (alts.size() == 1) return std::optional<expr>(std::move(alts.front()));
    expr any;
    any.k = expr::kind::any;
    any.children = std::move(alts);
    return std::optional<expr>(std::move(any));
  }

  // and := unary (AND? unary)*, inside parentheses or at top level until '|', ')' or OR
  result<std::optional<expr>> parse_and(query& q) {
    std::vector<expr> parts;
    for (;;) {
      auto t = MAMORI_TRY(lex_.peek(false));
      if (t.kind == tok_kind::end || t.kind == tok_kind::pipe || t.kind == tok_kind::rparen) break;
      if (t.kind == tok_kind::word && t.text == "OR") break;
      if (t.kind == tok_kind::word && t.text == "AND") {
        (void)lex_.next(false);
        continue;
      }
      auto e = MAMORI_TRY(parse_unary(q));
      if (e) parts.push_back(std::move(*e));
    }
    if (parts.empty()) return std::optional<expr>();
    if (parts.size() == 1) return std::optional<expr>(std::move(parts.front()));
    expr all;
    all.k = expr::kind::all;
    all.children = std::move(parts);
    return std::optional<expr>(std::move(all));
  }

  result<std::optional<expr>> parse_unary(query& q) {
    auto t = MAMORI_TRY(lex_.next(false));
    if (t.kind == tok_kind::word && (t.text == "NOT" || (t.text == "-" ))) {
      auto inner = MAMORI_TRY(parse_unary(q));
      if (!inner) return fail(fmt::format("at {}: expected a term after NOT", t.pos));
      expr n;
      n.k = expr::kind::negate;
      n.children.push_back(std::move(*inner));
      return std::optional<expr>(std::move(n));
    }
    if (t.kind == tok_kind::word && t.text.size() > 1 && t.text[0] == '-') {
      // -word / -field=value
      std::string rest = t.text.substr(1);
      auto inner = MAMORI_TRY(parse_atom(q, rest, t.pos + 1));
      if (!inner) return fail(fmt::format("at {}: a time range cannot be negated", t.pos));
      expr n;
      n.k = expr::kind::negate;
      n.children.push_back(std::move(*inner));
      return std::optional<expr>(std::move(n));
    }
    if (t.kind == tok_kind::lparen) {
      auto inner = MAMORI_TRY(parse_or(q));
      auto close = MAMORI_TRY(lex_.next(false));
      if (close.kind != tok_kind::rparen)
        return fail(fmt::format("at {}: expected ')'", close.pos));
      if (!inner) return fail(fmt::format("at {}: empty parentheses", t.pos));
      return inner;
    }
    if (t.kind == tok_kind::string) {
      expr e;
      e.p.op = cmp_op::text;
      e.p.wildcard = has_wildcard(t.text);
      e.p.value = e.p.wildcard ? t.text : unescape_value(t.text);
      return std::optional<expr>(std::move(e));
    }
    if (t.kind == tok_kind::word) return parse_atom(q, t.text, t.pos);
    return fail(fmt::format("at {}: unexpected '{}'", t.pos, t.kind == tok_kind::rparen ? ")" : t.text));
  }

  result<std::optional<expr>> parse_atom(query& q, const std::string& word, std::size_t pos) {
    auto t = MAMORI_TRY(lex_.peek(false));
    std::string op;
    std::string value;
    if (t.kind == tok_kind::op) {
      (void)lex_.next(false);
      op = t.text;
      auto v = MAMORI_TRY(lex_.next(true));
      if (v.kind == tok_kind::end || (v.kind == tok_kind::word && v.text.empty()))
        return fail(fmt::format("at {}: expected a value after '{}'", v.pos, op));
      value = v.text;
    }
    if (op.empty()) {
      expr e;
      e.p.op = cmp_op::text;
      e.p.wildcard = has_wildcard(word);
      e.p.value = e.p.wildcard ? word : unescape_value(word);
      return std::optional<expr>(std::move(e));
    }
    if (word.empty()) return fail(fmt::format("at {}: expected a field name before '{}'", pos, op));
    // Time range terms.
    if (word == "earliest" || word == "latest" || word == "last") {
      if (op != "=") return fail(fmt::format("at {}: use {}=VALUE", pos, word));
      if (word == "last") {
        auto d = parse_duration(value);
        if (!d) return fail(fmt::format("at {}: '{}' is not a duration (15m, 24h, 7d)", pos, value));
        q.from_ns = std::max(q.from_ns, now_ - *d);
        return std::optional<expr>();
      }
      auto tv = parse_time_value(value, now_);
      if (!tv) return fail(fmt::format("at {}: '{}' is not a time (RFC 3339, now, -24h)", pos, value));
      if (word == "earliest") q.from_ns = std::max(q.from_ns, *tv);
      else q.to_ns = std::min(q.to_ns, *tv);
      return std::optional<expr>();
    }
    expr e;
    e.p.field = word;
    if (op == "=") e.p.op = cmp_op::eq;
    else if (op == "!=") e.p.op = cmp_op::ne;
    else if (op == "<") e.p.op = cmp_op::lt;
    else if (op == "<=") e.p.op = cmp_op::le;
    else if (op == ">") e.p.op = cmp_op::gt;
    else if (op == ">=") e.p.op = cmp_op::ge;
    else e.p.op = cmp_op::contains;
    e.p.wildcard = (e.p.op == cmp_op::eq || e.p.op == cmp_op::ne) && has_wildcard(value);
    e.p.value = e.p.wildcard ? value : unescape_value(value);
    if (word == "time" && e.p.op != cmp_op::eq && e.p.op != cmp_op::ne && e.p.op != cmp_op::contains) {
      auto tv = parse_time_value(value, now_);
      if (!tv) return fail(fmt::format("at {}: '{}' is not a time", pos, value));
      // time comparisons narrow the range (the partitions to read) and stay exact.
      switch (e.p.op) {
        case cmp_op::ge: q.from_ns = std::max(q.from_ns, *tv); break;
        case cmp_op::gt: q.from_ns = std::max(q.from_ns, *tv + 1); break;
        case cmp_op::lt: q.to_ns = std::min(q.to_ns, *tv); break;
        case cmp_op::le: q.to_ns = std::min(q.to_ns, *tv + 1); break;
        default: break;
      }
      return std::optional<expr>();
    }
    return std::optional<expr>(std::move(e));
  }

  result<std::vector<std::string>> field_list() {
    std::vector<std::string> fields;
    for (;;) {
      auto t = MAMORI_TRY(lex_.next(false));
      if (t.kind != tok_kind::word || t.text.empty())
        return fail(fmt::format("at {}: expected a field name", t.pos));
      fields.push_back(t.text);
      auto c = MAMORI_TRY(lex_.peek(false));
      if (c.kind != tok_kind::comma) break;
      (void)lex_.next(false);
    }
    return fields;
  }

  result<std::size_t> number(const token& t) {
    std::size_t n = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
    if (ec != std::errc() || p != t.text.data() + t.text.size() || n == 0)
      return fail(fmt::format("at {}: expected a positive number, got '{}'", t.pos, t.text));
    return n;
  }

  result<pipe_stage> parse_pipe() {
    auto t = MAMORI_TRY(lex_.next(false));
    pipe_stage st;
    if (t.kind != tok_kind::word) return fail(fmt::format("at {}: expected a pipe command", t.pos));
    if (t.text == "count") {
      auto by = MAMORI_TRY(lex_.peek(false));
      if (by.kind == tok_kind::word && by.text == "by") {
        (void)lex_.next(false);
        st.kind = pipe_kind::count_by;
        st.fields = MAMORI_TRY(field_list());
      } else {
        st.kind = pipe_kind::count;
      }
    } else if (t.text == "top") {
      st.kind = pipe_kind::top;
      st.n = 10;
      auto n = MAMORI_TRY(lex_.peek(false));
      if (n.kind == tok_kind::word && !n.text.empty() && n.text[0] >= '0' && n.text[0] <= '9') {
        (void)lex_.next(false);
        st.n = MAMORI_TRY(number(n));
      }
      st.fields = MAMORI_TRY(field_list());
    } else if (t.text == "head" || t.text == "limit") {
      st.kind = pipe_kind::head;
      auto n = MAMORI_TRY(lex_.next(false));
      st.n = MAMORI_TRY(number(n));
    } else if (t.text == "histogram" || t.text == "timechart") {
      st.kind = pipe_kind::histogram;
      auto n = MAMORI_TRY(lex_.peek(false));
      if (n.kind == tok_kind::word && !n.text.empty()) {
        (void)lex_.next(false);
        auto d = parse_duration(n.text);
        if (!d || *d <= 0)
          return fail(fmt::format("at {}: '{}' is not an interval (1m, 1h, 1d)", n.pos, n.text));
        st.interval_ns = *d;
      }
    } else if (t.text == "fields") {
      st.kind = pipe_kind::fields;
      st.fields = MAMORI_TRY(field_list());
    } else if (t.text == "sort") {
      st.kind = pipe_kind::sort;
      auto f = MAMORI_TRY(lex_.next(false));
      if (f.text == "time" || f.text == "+time") st.ascending = true;
      else if (f.text == "-time") st.ascending = false;
      else return fail(fmt::format("at {}: only 'sort time' and 'sort -time' are supported", f.pos));
    } else {
      return fail(fmt::format("at {}: unknown pipe command '{}' (count, top, histogram, head, "
                              "fields, sort)",
                              t.pos, t.text));
    }
    return st;
  }

  lexer lex_;
  std::int64_t now_;
};

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p == s.data() + s.size() || n < 0) return std::nullopt;
  std::string_view unit(p, static_cast<std::size_t>(s.data() + s.size() - p));
  std::int64_t mul = 0;
  if (unit == "s") mul = 1'000'000'000LL;
  else if (unit == "m") mul = 60'000'000'000LL;
  else if (unit == "h") mul = 3'600'000'000'000LL;
  else if (unit == "d") mul = 86'400'000'000'000LL;
  else if (unit == "w") mul = 7 * 86'400'000'000'000LL;
  else return std::nullopt;
  if (n > std::numeric_limits<std::int64_t>::max() / mul) return std::nullopt;
  return n * mul;
}

std::optional<std::int64_t> parse_time_value(std::string_view s, std::int64_t now_ns) {
  if (s == "now") return now_ns;
  if (!s.empty() && s[0] == '-') {
    auto d = parse_duration(s.substr(1));
    if (!d) return std::nullopt;
    return now_ns - *d;
  }
  return timeparse::iso8601(s);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool icontains(std::string_view text, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > text.size()) return false;
  const unsigned char first = lower(static_cast<unsigned char>(needle[0]));
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (lower(static_cast<unsigned char>(text[i])) != first) continue;
    if (iequals(text.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

bool text_match(std::string_view text, std::string_view term) {
  if (term.empty()) return true;
  const bool head_token = is_token_byte(static_cast<unsigned char>(term.front()));
  const bool tail_token = is_token_byte(static_cast<unsigned char>(term.back()));
  for (std::size_t i = 0; i + term.size() <= text.size(); ++i) {
    if (!iequals(text.substr(i, term.size()), term)) continue;
    if (head_token && i > 0 && is_token_byte(static_cast<unsigned char>(text[i - 1]))) continue;
    const std::size_t end = i + term.size();
    if (tail_token && end < text.size() && is_token_byte(static_cast<unsigned char>(text[end])))
      continue;
    return true;
  }
  return false;
}

bool glob_match(std::string_view p, std::string_view t) {
  // Iterative matcher with backtracking to the last '*': linear in practice, no recursion.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
      continue;
    }
    if (pi < p.size()) {
      char pc = p[pi];
      std::size_t adv = 1;
      bool any = false;
      if (pc == '\\' && pi + 1 < p.size()) {
        pc = p[pi + 1];
        adv = 2;
      } else if (pc == '?') {
        any = true;
      }
      if (any || lower(static_cast<unsigned char>(pc)) == lower(static_cast<unsigned char>(t[ti]))) {
        pi += adv;
        ++ti;
        continue;
      }
    }
    if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
      continue;
    }
    return false;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::string_view column_for_field(std::string_view f) {
  struct alias {
    std::string_view name;
    std::string_view column;
  };
  static constexpr alias table[] = {
      {"time", "time"},
      {"id", "id"},
      {"class_uid", "class_uid"},
      {"activity_id", "activity_id"},
      {"status_id", "status_id"},
      {"severity_id", "severity_id"},
      {"user", "user"},
      {"actor.user.name", "user"},
      {"src_ip", "src_ip"},
      {"src_endpoint.ip", "src_ip"},
      {"dst_ip", "dst_ip"},
      {"dst_endpoint.ip", "dst_ip"},
      {"host", "host"},
      {"device.hostname", "host"},
      {"operation", "operation"},
      {"api.operation", "operation"},
      {"service", "service"},
      {"api.service.name", "service"},
      {"source", "source"},
      {"format", "format"},
      {"metadata.log_format", "format"},
  };
  for (const auto& a : table)
    if (a.name == f) return a.column;
  return {};
}

result<query> parse_query(std::string_view text, std::int64_t now_ns) {
  if (text.size() > 8192) return fail("query longer than 8192 bytes");
  parser p(text, now_ns);
  return p.run(text);
}

}  // namespace mamori::store
