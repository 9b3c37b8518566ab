#include "mamori/io/json_records.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>

namespace mamori {

namespace {

constexpr std::array<std::string_view, 7> wrapper_key_list = {
    "Records", "value", "items", "entries", "events", "data", "results"};

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Incremental scanner for one JSON value: tracks nesting and strings across buffer refills.
struct value_scanner {
  int depth = 0;
  bool in_string = false;
  bool escape = false;
  bool started = false;
  bool scalar = false;
  bool complete = false;
  std::uint64_t newlines = 0;

  // Consumes bytes of [p, p+n) belonging to the value; returns how many. `complete` is set
  // once the value ends (a scalar ends before its delimiter, which is not consumed).
  std::size_t advance(const char* p, std::size_t n) {
    std::size_t k = 0;
    if (!started) {
      started = true;
      char c = p[0];
      if (c == '{' || c == '[') {
        depth = 1;
        k = 1;
      } else if (c == '"') {
        in_string = true;
        depth = 0;
        k = 1;
      } else if (c == ']' || c == '}' || c == ',') {
        // A stray delimiter at the top level: a one-byte (invalid) record, so the reader
        // always makes progress (a zero-length scalar here looped forever).
        scalar = true;
        complete = true;
        return 1;
      } else {
        scalar = true;
      }
    }
    while (k < n) {
      char c = p[k];
      if (scalar) {
        if (c == ',' || c == ']' || c == '}' || is_ws(c)) {
          complete = true;
          return k;
        }
        ++k;
        continue;
      }
      if (in_string) {
        // Fast skip to the next quote or backslash.
        const char* q = p + k;
        const char* end = p + n;
        if (escape) {
          escape = false;
          ++k;
          continue;
        }
        while (q < end && *q != '"' && *q != '\\') {
          if (*q == '\n') ++newlines;
          ++q;
        }
        k = static_cast<std::size_t>(q - p);
        if (k >= n) return k;
        if (*q == '\\') {
          escape = true;
          ++k;
          continue;
        }
        in_string = false;
        ++k;
        if (depth == 0) {
          complete = true;
          return k;
        }
        continue;
      }
      switch (c) {
        case '"':
          in_string = true;
          break;
        case '{':
        case '[':
          ++depth;
          break;
        case '}':
        case ']':
          if (--depth == 0) {
            complete = true;
            return k + 1;
          }
          break;
        case '\n':
          ++newlines;
          break;
        default:
          break;
      }
      ++k;
    }
    return k;
  }
};

}  // namespace

std::span<const std::string_view> json_wrapper_keys() {
  return wrapper_key_list;
}

json_record_reader::json_record_reader(input_reader& in, std::size_t max_record)
    : in_(in), max_record_(max_record) {}

// Looks at the head to choose the layout; consumes a wrapper's prologue up to its '['.
bool json_record_reader::detect_layout() {
  std::string_view head = in_.peek(1 << 20);
  std::size_t p = 0;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") p = 3;  // UTF-8 byte order mark
  while (p < head.size() && is_ws(head[p])) {
    if (head[p] == '\n') ++line_;
    ++p;
  }
  if (p >= head.size()) {
    in_.consume(p);
    layout_ = json_layout::concatenated;
    return false;
  }
  if (head[p] == '[') {
    in_.consume(p + 1);
    layout_ = json_layout::array;
    in_array_ = true;
    return true;
  }
  if (head[p] == '{') {
    // A wrapper is the whole input: when another value follows the first object, the input
    // is a sequence of records (NDJSON of Google activities or Okta events, which carry array
    // members named "events" or "target"), not a wrapper around one.
    bool only_value = true;
    {
      value_scanner whole;
      const std::size_t len = whole.advance(head.data() + p, head.size() - p);
      if (whole.complete) {
        std::size_t r = p + len;
        while (r < head.size() && is_ws(head[r])) ++r;
        only_value = r >= head.size();
      }
    }
    // Walk the top-level members looking for a wrapper key whose value is an array.
    std::size_t q = p + 1;
    std::uint64_t newlines = 0;
    while (q < head.size()) {
      while (q < head.size() && (is_ws(head[q]) || head[q] == ',')) {
        if (head[q] == '\n') ++newlines;
        ++q;
      }
      if (q >= head.size() || head[q] != '"') break;
      value_scanner key;
      std::size_t klen = key.advance(head.data() + q, head.size() - q);
      if (!key.complete) break;
      std::string_view name = head.substr(q + 1, klen - 2);
      q += klen;
      while (q < head.size() && is_ws(head[q])) {
        if (head[q] == '\n') ++newlines;
        ++q;
      }
      if (q >= head.size() || head[q] != ':') break;
      ++q;
      while (q < head.size() && is_ws(head[q])) {
        if (head[q] == '\n') ++newlines;
        ++q;
      }
      if (q >= head.size()) break;
      bool wrapper = false;
      for (auto k : wrapper_key_list) wrapper = wrapper || k == name;
      if (wrapper && only_value && head[q] == '[') {
        wrapper_key_ = std::string(name);
        line_ += newlines;
        in_.consume(q + 1);
        layout_ = json_layout::wrapper;
        in_array_ = true;
        return true;
      }
      value_scanner member;
      std::size_t vlen = member.advance(head.data() + q, head.size() - q);
      if (!member.complete) break;
      newlines += member.newlines;
      q += vlen;
    }
    // Not a wrapper: the object is a record. NDJSON when the first value ends on its line.
    value_scanner first;
    std::size_t len = first.advance(head.data() + p, head.size() - p);
    if (first.complete && first.newlines == 0) {
      in_.consume(p);
      layout_ = json_layout::ndjson;
      lines_.emplace(in_, max_record_);
      return true;
    }
    (void)len;
  }
  in_.consume(p);
  layout_ = json_layout::concatenated;
  return true;
}

std::optional<json_record_reader::record> json_record_reader::next() {
  if (layout_ == json_layout::unknown && !detect_layout()) return std::nullopt;
  if (layout_ == json_layout::ndjson) return next_line_record();
  return next_scanned_record();
}

std::optional<json_record_reader::record> json_record_reader::next_line_record() {
  while (true) {
    auto l = lines_->next();
    for (const auto& o : lines_->take_oversized()) {
      problems_.push_back({o.number + line_ - 1, o.offset,
                           fmt::format("record of {} bytes exceeds the {} byte limit; skipped",
                                       o.length, max_record_),
                           problem_kind::oversized});
    }
    if (!l) return std::nullopt;
    std::string_view t = l->text;
    std::size_t a = 0;
    while (a < t.size() && is_ws(t[a])) ++a;
    if (a == t.size()) continue;  // blank line
    return record{t, l->number + line_ - 1, l->offset};
  }
}

void json_record_reader::skip_whitespace_and_commas() {
  while (true) {
    std::string_view b = in_.buffered();
    std::size_t k = 0;
    while (k < b.size() && (is_ws(b[k]) || (in_array_ && b[k] == ','))) {
      if (b[k] == '\n') ++line_;
      ++k;
    }
    in_.consume(k);
    if (k < b.size()) return;
    if (!in_.refill()) return;
  }
}

std::optional<json_record_reader::record> json_record_reader::next_scanned_record() {
  if (pending_consume_ > 0) {
    in_.consume(pending_consume_);
    line_ += pending_newlines_;
    pending_consume_ = 0;
    pending_newlines_ = 0;
  }
  while (!done_) {
    skip_whitespace_and_commas();
    std::string_view b = in_.buffered();
    if (b.empty()) {
      if (in_array_) {
        problems_.push_back(
            {line_, in_.offset(), "input ends inside the top-level array (truncated file?)"});
      }
      done_ = true;
      return std::nullopt;
    }
    if (in_array_ && b[0] == ']') {
      // End of the record array; a wrapper object's remaining members carry no records.
      done_ = true;
      return std::nullopt;
    }
    value_scanner scan;
    std::size_t scanned = 0;
    bool oversized = false;
    const std::uint64_t start_offset = in_.offset();
    const std::uint64_t start_line = line_;
    std::uint64_t discarded = 0;
    while (true) {
      b = in_.buffered();
      scanned += scan.advance(b.data() + scanned, b.size() - scanned);
      if (scan.complete) break;
      if (scanned > max_record_) {
        // Stop buffering: consume what was scanned and keep scanning in discard mode.
        oversized = true;
        discarded += scanned;
        in_.consume(scanned);
        scanned = 0;
      }
      if (!in_.refill()) {
        if (scan.scalar && scanned > 0) {
          scan.complete = true;
        }
        break;
      }
    }
    if (scan.complete && scanned == 0) {
      // A delimiter where a value should start (a stray '}' or ':' in broken input): skip it
      // so the reader always makes progress.
      problems_.push_back(
          {start_line, start_offset,
           fmt::format("unexpected '{}' where a JSON value should start", in_.buffered()[0]),
           problem_kind::malformed});
      in_.consume(1);
      continue;
    }
    if (scanned > max_record_) oversized = true;  // completed within one buffer
    if (oversized) {
      in_.consume(scanned);
      line_ += scan.newlines;
      problems_.push_back({start_line, start_offset,
                           fmt::format("record of {} bytes exceeds the {} byte limit; skipped",
                                       discarded + scanned, max_record_),
                           problem_kind::oversized});
      if (!scan.complete) done_ = true;
      continue;
    }
    if (!scan.complete) {
      problems_.push_back({start_line, start_offset,
                           fmt::format("input ends inside a JSON value of {} bytes "
                                       "(truncated file?); the partial record is dropped",
                                       scanned)});
      in_.consume(scanned);
      done_ = true;
      return std::nullopt;
    }
    pending_consume_ = scanned;
    pending_newlines_ = scan.newlines;
    return record{in_.buffered().substr(0, scanned), start_line, start_offset};
  }
  return std::nullopt;
}

}  // namespace mamori
