#pragma once
// Buffered reading on top of a byte_stream: peek at the head (for format sniffing), then
// consume it in chunks, lines or JSON records. The buffer keeps simdjson's padding after the
// data so a record view can be parsed in place.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/io/byte_stream.hpp"

namespace mamori {

class input_reader {
 public:
  static constexpr std::size_t padding = 64;  // >= SIMDJSON_PADDING

  explicit input_reader(std::unique_ptr<byte_stream> stream, std::size_t chunk = 1 << 20);

  // Makes at least n bytes available (fewer at end of stream) and returns them, unconsumed.
  std::string_view peek(std::size_t n);

  // Unconsumed bytes currently buffered; refill() appends more (returns false at EOF/error).
  std::string_view buffered() const { return {buf_.data() + pos_, end_ - pos_}; }
  bool refill();
  void consume(std::size_t n) {
    pos_ += n;
    offset_ += n;
  }

  // Byte offset (decompressed) of the first unconsumed byte.
  std::uint64_t offset() const { return offset_; }
  bool eof() const { return eof_ && pos_ == end_; }
  // Set when the stream ended with an error (truncated gzip, ...); bytes before it are valid.
  const std::optional<std::string>& stream_error() const { return error_; }
  std::uint64_t raw_bytes_read() const { return stream_->raw_bytes_read(); }
  compression kind() const { return stream_->kind(); }

 private:
  std::unique_ptr<byte_stream> stream_;
  std::size_t chunk_;
  std::vector<char> buf_;
  bool last_read_filled_ = false;  // the previous read filled the room: more is likely
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t offset_ = 0;
  bool eof_ = false;
  std::optional<std::string> error_;
};

// Splits input into lines ("\n" or "\r\n"). A line longer than max_line is skipped and
// reported through `oversized` rather than buffered, so a 100 MB line cannot exhaust memory.
class line_reader {
 public:
  struct line {
    std::string_view text;  // without the line terminator; followed by readable padding
    std::uint64_t number = 0;
    std::uint64_t offset = 0;
  };
  struct oversized_line {
    std::uint64_t number = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };

  line_reader(input_reader& in, std::size_t max_line) : in_(in), max_line_(max_line) {}

  // Next line, or nullopt at end of input. Oversized lines are skipped and counted in
  // take_oversized().
  std::optional<line> next();
  std::vector<oversized_line> take_oversized() { return std::exchange(oversized_, {}); }

 private:
  input_reader& in_;
  std::size_t max_line_;
  std::uint64_t number_ = 0;
  std::size_t pending_consume_ = 0;
  std::vector<oversized_line> oversized_;
};

}  // namespace mamori
