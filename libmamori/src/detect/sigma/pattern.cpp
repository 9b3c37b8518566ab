#include "mamori/detect/sigma/pattern.hpp"

namespace mamori::sigma {

namespace {

inline char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the dash-class character at text[pos], or 0.
std::size_t dash_at(std::string_view text, std::size_t pos) {
  const unsigned char c = static_cast<unsigned char>(text[pos]);
  if (c == '-' || c == '/') return 1;
  if (c == 0xE2 && pos + 2 < text.size() && static_cast<unsigned char>(text[pos + 1]) == 0x80) {
    const unsigned char d = static_cast<unsigned char>(text[pos + 2]);
    if (d >= 0x93 && d <= 0x95) return 3;
  }
  return 0;
}

// Length of one UTF-8 character at text[pos] (a lead byte and up to three continuation
// bytes), or 0 when text[pos] is a stray continuation byte.
std::size_t char_at(std::string_view text, std::size_t pos) {
  if (continuation(static_cast<unsigned char>(text[pos]))) return 0;
  std::size_t n = 1;
  while (n < 4 && pos + n < text.size() && continuation(static_cast<unsigned char>(text[pos + n])))
    ++n;
  return n;
}

struct atom {
  piece_kind kind;
  char byte;
};

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  const char first = fold(needle[0]);
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (fold(hay[i]) == first && iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

void sstring::push_literal(std::string_view bytes) {
  if (bytes.empty()) return;
  if (!pieces_.empty() && pieces_.back().kind == piece_kind::literal) {
    pieces_.back().text.append(bytes);
  } else {
    pieces_.push_back({piece_kind::literal, std::string(bytes)});
  }
}

void sstring::push(piece_kind k) {
  // Consecutive stars are one star.
  if (k == piece_kind::star && !pieces_.empty() && pieces_.back().kind == piece_kind::star) return;
  pieces_.push_back({k, {}});
}

sstring sstring::parse(std::string_view raw) {
  sstring out;
  std::string lit;
  auto flush = [&] {
    out.push_literal(lit);
    lit.clear();
  };
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\\') {
      if (i + 1 < raw.size() && (raw[i + 1] == '*' || raw[i + 1] == '?' || raw[i + 1] == '\\')) {
        lit += raw[i + 1];
        ++i;
      } else {
        lit += '\\';
      }
    } else if (c == '*') {
      flush();
      out.push(piece_kind::star);
    } else if (c == '?') {
      flush();
      out.push(piece_kind::one);
    } else {
      lit += c;
    }
  }
  flush();
  return out;
}

sstring sstring::literal(std::string_view bytes) {
  sstring out;
  out.push_literal(bytes);
  return out;
}

bool sstring::plain() const {
  for (const auto& p : pieces_)
    if (p.kind != piece_kind::literal) return false;
  return true;
}

std::string sstring::plain_text() const {
  std::string out;
  for (const auto& p : pieces_)
    if (p.kind == piece_kind::literal) out += p.text;
  return out;
}

bool sstring::can_match_empty() const {
  for (const auto& p : pieces_)
    if (p.kind != piece_kind::star) return false;
  return true;
}

bool sstring::has_star_prefix() const {
  return !pieces_.empty() && pieces_.front().kind == piece_kind::star;
}

bool sstring::has_star_suffix() const {
  return !pieces_.empty() && pieces_.back().kind == piece_kind::star;
}

void sstring::prepend_star() {
  if (has_star_prefix()) return;
  pieces_.insert(pieces_.begin(), piece{piece_kind::star, {}});
}

void sstring::append_star() { push(piece_kind::star); }

void sstring::apply_windash() {
  std::vector<piece> out;
  auto add_lit = [&](std::string_view s) {
    if (s.empty()) return;
    if (!out.empty() && out.back().kind == piece_kind::literal) {
      out.back().text.append(s);
    } else {
      out.push_back({piece_kind::literal, std::string(s)});
    }
  };
  for (const auto& p : pieces_) {
    if (p.kind != piece_kind::literal) {
      out.push_back(p);
      continue;
    }
    std::string_view t = p.text;
    std::size_t start = 0;
    for (std::size_t i = 0; i < t.size();) {
      const std::size_t n = dash_at(t, i);
      if (n > 0) {
        add_lit(t.substr(start, i - start));
        out.push_back({piece_kind::dash, {}});
        i += n;
        start = i;
      } else {
        ++i;
      }
    }
    add_lit(t.substr(start));
  }
  pieces_ = std::move(out);
}

std::string sstring::to_sigma() const {
  std::string out;
  for (std::size_t k = 0; k < pieces_.size(); ++k) {
    const piece& p = pieces_[k];
    switch (p.kind) {
      case piece_kind::literal:
        for (std::size_t i = 0; i < p.text.size(); ++i) {
          const char c = p.text[i];
          if (c == '*' || c == '?') {
            out += '\\';
          } else if (c == '\\') {
            // Escape a backslash only where it would otherwise escape what follows.
            bool escape = false;
            if (i + 1 < p.text.size()) {
              const char n = p.text[i + 1];
              escape = n == '*' || n == '?' || n == '\\';
            } else if (k + 1 < pieces_.size()) {
              escape = pieces_[k + 1].kind == piece_kind::star ||
                       pieces_[k + 1].kind == piece_kind::one;
            }
            if (escape) out += '\\';
          }
          out += c;
        }
        break;
      case piece_kind::star:
        out += '*';
        break;
      case piece_kind::one:
        out += '?';
        break;
      case piece_kind::dash:
        out += '-';
        break;
    }
  }
  return out;
}

bool glob_match(const sstring& pattern, std::string_view text, bool cased) {
  const auto& ps = pattern.pieces();
  // Fast paths for the shapes most rules use.
  if (ps.size() == 1 && ps[0].kind == piece_kind::literal) {
    return cased ? text == ps[0].text : iequals(text, ps[0].text);
  }
  if (ps.size() == 2 && ps[0].kind == piece_kind::star && ps[1].kind == piece_kind::literal) {
    return cased ? text.ends_with(ps[1].text) : iends_with(text, ps[1].text);
  }
  if (ps.size() == 2 && ps[0].kind == piece_kind::literal && ps[1].kind == piece_kind::star) {
    return cased ? text.starts_with(ps[0].text) : istarts_with(text, ps[0].text);
  }
  if (ps.size() == 3 && ps[0].kind == piece_kind::star && ps[1].kind == piece_kind::literal &&
      ps[2].kind == piece_kind::star) {
    return cased ? text.find(ps[1].text) != std::string_view::npos : icontains(text, ps[1].text);
  }

  std::vector<atom> atoms;
  for (const auto& p : ps) {
    if (p.kind == piece_kind::literal) {
      for (char c : p.text) atoms.push_back({piece_kind::literal, cased ? c : fold(c)});
    } else {
      atoms.push_back({p.kind, 0});
    }
  }
  // Each non-star atom consumes a length determined by the text at that position, so the
  // classic "backtrack to the last star" algorithm is exact.
  auto match_atom = [&](const atom& a, std::size_t pos) -> std::size_t {
    if (pos >= text.size()) return 0;
    switch (a.kind) {
      case piece_kind::literal:
        return (cased ? text[pos] : fold(text[pos])) == a.byte ? 1 : 0;
      case piece_kind::one:
        return char_at(text, pos);
      case piece_kind::dash:
        return dash_at(text, pos);
      case piece_kind::star:
        break;
    }
    return 0;
  };
  std::size_t p = 0, s = 0;
  std::size_t star_p = std::string_view::npos, star_s = 0;
  while (s < text.size()) {
    if (p < atoms.size() && atoms[p].kind == piece_kind::star) {
      star_p = p++;
      star_s = s;
      continue;
    }
    if (p < atoms.size()) {
      const std::size_t n = match_atom(atoms[p], s);
      if (n > 0) {
        s += n;
        ++p;
        continue;
      }
    }
    if (star_p != std::string_view::npos) {
      p = star_p + 1;
      s = ++star_s;
      continue;
    }
    return false;
  }
  while (p < atoms.size() && atoms[p].kind == piece_kind::star) ++p;
  return p == atoms.size();
}

}  // namespace mamori::sigma
