#pragma once
// Byte streams over files and stdin, with gzip and zstd decompressed transparently (detected
// by magic bytes, not by extension). Reads are chunked: memory does not grow with input size.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mamori/core/result.hpp"

namespace mamori {

enum class compression : std::uint8_t { none, gzip, zstd };

class byte_stream {
 public:
  virtual ~byte_stream() = default;
  // Reads up to n bytes; 0 means end of stream. An error (truncated or corrupt compressed
  // data, I/O failure) is final: bytes returned before it are valid.
  virtual result<std::size_t> read(char* buf, std::size_t n) = 0;
  // Bytes consumed from the underlying file (compressed), for progress reporting.
  virtual std::uint64_t raw_bytes_read() const = 0;
  virtual compression kind() const = 0;
};

// "-" is standard input. Fails for a missing or unreadable file.
result<std::unique_ptr<byte_stream>> open_input(const std::string& path);

// A stream over bytes in memory (tests, fuzzing, HTTP bodies); decompresses like files.
std::unique_ptr<byte_stream> memory_input(std::string bytes);
// The same over bytes the caller keeps alive while the stream is read (benchmarks: no copy).
std::unique_ptr<byte_stream> memory_view_input(std::string_view bytes);

}  // namespace mamori
