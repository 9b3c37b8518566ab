#include "mamori/io/input_reader.hpp"

#include <algorithm>
#include <cstring>

namespace mamori {

namespace {
// Inputs start with a small buffer so a directory of small files (CloudTrail delivers one
// object per 5 minutes and region) does not pay for allocating and zeroing a chunk per file;
// the buffer doubles while reads fill it, up to the chunk size, and beyond only for a record
// longer than half the buffer.
constexpr std::size_t initial_capacity = std::size_t{64} * 1024;
}  // namespace

input_reader::input_reader(std::unique_ptr<byte_stream> stream, std::size_t chunk)
    : stream_(std::move(stream)),
      chunk_(chunk),
      buf_(std::min(chunk, initial_capacity) + padding, '\0') {}

bool input_reader::refill() {
  if (eof_) return false;
  // Compact: move the unconsumed tail to the front, then grow if still short of a chunk.
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  const std::size_t capacity = buf_.size() - padding;
  const bool record_outgrows_buffer = capacity - end_ < capacity / 2;
  const bool large_input = last_read_filled_ && capacity < chunk_;
  if (record_outgrows_buffer || large_input) buf_.resize(2 * capacity + padding, '\0');
  const std::size_t room = buf_.size() - padding - end_;
  auto got = stream_->read(buf_.data() + end_, room);
  if (!got) {
    error_ = got.error().message;
    eof_ = true;
    return false;
  }
  if (*got == 0) {
    eof_ = true;
    return false;
  }
  last_read_filled_ = *got == room;
  end_ += *got;
  // Zero the padding after the data: simdjson reads (but ignores) it.
  std::memset(buf_.data() + end_, 0, padding);
  return true;
}

std::string_view input_reader::peek(std::size_t n) {
  while (end_ - pos_ < n && refill()) {
  }
  return {buf_.data() + pos_, std::min(n, end_ - pos_)};
}

std::optional<line_reader::line> line_reader::next() {
  if (pending_consume_ > 0) {
    in_.consume(pending_consume_);
    pending_consume_ = 0;
  }
  while (true) {
    std::string_view buf = in_.buffered();
    std::size_t scanned = 0;
    const char* nl = nullptr;
    while (true) {
      nl = static_cast<const char*>(std::memchr(buf.data() + scanned, '\n', buf.size() - scanned));
      if (nl != nullptr) break;
      scanned = buf.size();
      if (buf.size() > max_line_) {
        // Discard the oversized line without buffering it.
        const std::uint64_t start = in_.offset();
        std::uint64_t length = 0;
        ++number_;
        while (true) {
          std::string_view b = in_.buffered();
          const char* p = static_cast<const char*>(std::memchr(b.data(), '\n', b.size()));
          if (p != nullptr) {
            const auto k = static_cast<std::size_t>(p - b.data()) + 1;
            length += k - 1;
            in_.consume(k);
            break;
          }
          length += b.size();
          in_.consume(b.size());
          if (!in_.refill()) break;
        }
        oversized_.push_back({number_, start, length});
        buf = in_.buffered();
        scanned = 0;
        continue;
      }
      if (!in_.refill()) break;
      buf = in_.buffered();
    }
    buf = in_.buffered();
    if (buf.empty()) return std::nullopt;
    std::size_t len = nl != nullptr ? static_cast<std::size_t>(nl - buf.data()) : buf.size();
    pending_consume_ = nl != nullptr ? len + 1 : len;
    line out{buf.substr(0, len), ++number_, in_.offset()};
    if (!out.text.empty() && out.text.back() == '\r') out.text.remove_suffix(1);
    if (len > max_line_) {
      oversized_.push_back({out.number, out.offset, len});
      in_.consume(pending_consume_);
      pending_consume_ = 0;
      continue;
    }
    return out;
  }
}

}  // namespace mamori
