#include "mamori/io/csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace mamori {

csv_reader::csv_reader(input_reader& in, char delimiter, std::size_t max_record)
    : in_(in), delim_(delimiter), max_record_(max_record) {}

void csv_reader::consume(std::size_t n) {
  std::string_view b = in_.buffered().substr(0, n);
  line_ += static_cast<std::uint64_t>(std::count(b.begin(), b.end(), '\n'));
  in_.consume(n);
}

void csv_reader::finish_field() {
  spans_.emplace_back(field_start_, scratch_.size() - field_start_);
  field_start_ = scratch_.size();
}

// Reports a broken record and resynchronises at the line after the one where it started. The
// buffer still begins at the record's first byte, so the first newline in it ends that line.
std::optional<csv_reader::record> csv_reader::fail(std::uint64_t line, std::uint64_t offset,
                                                   std::string reason) {
  while (true) {
    std::string_view b = in_.buffered();
    const void* nl = std::memchr(b.data(), '\n', b.size());
    if (nl != nullptr) {
      consume(static_cast<std::size_t>(static_cast<const char*>(nl) - b.data()) + 1);
      break;
    }
    consume(b.size());
    if (!in_.refill()) break;
  }
  error_ = std::move(reason);
  fields_.clear();
  for (auto [start, len] : spans_) fields_.emplace_back(scratch_.data() + start, len);
  return record{fields_, line, offset, error_};
}

std::optional<csv_reader::record> csv_reader::next() {
  if (pending_consume_ > 0) {
    consume(pending_consume_);
    pending_consume_ = 0;
  }
  if (!started_) {
    started_ = true;
    if (in_.peek(3).substr(0, 3) == "\xEF\xBB\xBF") in_.consume(3);  // UTF-8 byte order mark
  }
  enum class state : std::uint8_t { field_start, unquoted, quoted, after_quote };
  while (true) {
    std::string_view b = in_.buffered();
    if (b.empty()) {
      if (!in_.refill()) return std::nullopt;
      b = in_.buffered();
      if (b.empty()) return std::nullopt;
    }
    scratch_.clear();
    spans_.clear();
    field_start_ = 0;
    error_.clear();
    const std::uint64_t start_line = line_;
    const std::uint64_t start_offset = in_.offset();
    state s = state::field_start;
    std::size_t quote_pos = 0;  // index of the opening quote of the current quoted field
    std::size_t i = 0;
    std::size_t record_len = 0;  // bytes of the record, terminator excluded
    std::size_t end = 0;         // bytes to consume, terminator included
    while (true) {
      if (i > max_record_) {
        if (s == state::quoted) {
          const auto opened = start_line + static_cast<std::uint64_t>(
                                               std::count(b.begin(), b.begin() + quote_pos, '\n'));
          return fail(start_line, start_offset,
                      fmt::format("quoted field opened on line {} runs past the {} byte record "
                                  "limit (unterminated quote?); resuming at the next line",
                                  opened, max_record_));
        }
        return fail(start_line, start_offset,
                    fmt::format("record exceeds the {} byte limit; skipped", max_record_));
      }
      if (i >= b.size()) {
        if (in_.refill()) {
          b = in_.buffered();
          continue;
        }
        b = in_.buffered();
        if (s == state::quoted) {
          const auto opened = start_line + static_cast<std::uint64_t>(
                                               std::count(b.begin(), b.begin() + quote_pos, '\n'));
          return fail(start_line, start_offset,
                      fmt::format("unterminated quoted field (opened on line {}); resuming at "
                                  "the next line",
                                  opened));
        }
        if (s == state::unquoted && scratch_.size() > field_start_ && scratch_.back() == '\r') {
          scratch_.pop_back();
        }
        finish_field();
        record_len = i;
        end = i;
        break;
      }
      const char c = b[i];
      if (s == state::field_start) {
        if (c == '"') {
          s = state::quoted;
          quote_pos = i;
          ++i;
          continue;
        }
        s = state::unquoted;
      }
      if (s == state::unquoted) {
        std::size_t j = i;
        while (j < b.size() && b[j] != delim_ && b[j] != '\n') ++j;
        scratch_.append(b.data() + i, j - i);
        i = j;
        if (j == b.size()) continue;
        if (b[j] == delim_) {
          finish_field();
          s = state::field_start;
          ++i;
          continue;
        }
        if (scratch_.size() > field_start_ && scratch_.back() == '\r') scratch_.pop_back();
        finish_field();
        record_len = i;
        end = i + 1;
        break;
      }
      if (s == state::quoted) {
        const void* q = std::memchr(b.data() + i, '"', b.size() - i);
        const std::size_t j = q != nullptr
                                  ? static_cast<std::size_t>(static_cast<const char*>(q) - b.data())
                                  : b.size();
        scratch_.append(b.data() + i, j - i);
        i = j;
        if (q == nullptr) continue;
        ++i;
        s = state::after_quote;
        continue;
      }
      // after_quote: a doubled quote, the delimiter, the end of the record, or an error.
      if (c == '"') {
        scratch_ += '"';
        s = state::quoted;
        ++i;
      } else if (c == delim_) {
        finish_field();
        s = state::field_start;
        ++i;
      } else if (c == '\n') {
        finish_field();
        record_len = i;
        end = i + 1;
        break;
      } else if (c == '\r') {
        ++i;
      } else {
        // Often a stray quote that paired with one on a later line: reject the record and
        // resume at the line after its first, so the records it swallowed are read again.
        finish_field();
        const auto opened = start_line + static_cast<std::uint64_t>(
                                             std::count(b.begin(), b.begin() + quote_pos, '\n'));
        return fail(start_line, start_offset,
                    fmt::format("unexpected character '{}' after the closing quote of field {} "
                                "(quote opened on line {}; unbalanced quote?); resuming at the "
                                "next line",
                                c, spans_.size(), opened));
      }
    }
    const bool blank = spans_.size() == 1 && spans_[0].second == 0 &&
                       (record_len == 0 || (record_len == 1 && b[0] == '\r'));
    consume(end);
    if (blank) {
      ++blank_lines_;
      continue;
    }
    fields_.clear();
    for (auto [start, len] : spans_) fields_.emplace_back(scratch_.data() + start, len);
    return record{fields_, start_line, start_offset, error_};
  }
}

bool csv_split(std::string_view text, char delimiter, std::vector<std::string>& fields) {
  fields.clear();
  std::string cur;
  std::size_t i = 0;
  while (true) {
    cur.clear();
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (true) {
        if (i >= text.size()) return false;
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cur += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cur += text[i++];
      }
      while (i < text.size() && text[i] == '\r') ++i;
      if (i < text.size() && text[i] != delimiter) return false;
    } else {
      const std::size_t j = std::min(text.find(delimiter, i), text.size());
      cur.assign(text.substr(i, j - i));
      if (!cur.empty() && cur.back() == '\r') cur.pop_back();
      i = j;
    }
    fields.push_back(cur);
    if (i >= text.size()) return true;
    ++i;  // the delimiter
  }
}

}  // namespace mamori
