#pragma once
// The container of Windows XML Event Log (.evtx) files: a 4 KiB file header, then 64 KiB chunks,
// each with a 512-byte header (checksums, string and template hash tables) followed by event
// records. Layout from J. Metz, "Windows XML Event Log (EVTX) format" (libyal/libevtx
// documentation) and [MS-EVEN6]; see docs/formats/evtx.md. The record bodies are BinXml
// (binxml.hpp).

#include <cstdint>
#include <optional>
#include <string>

#include "mamori/decode/evtx/binxml.hpp"

namespace mamori::evtx {

inline constexpr std::size_t file_header_block = 4096;
inline constexpr std::size_t chunk_size = 65536;
inline constexpr std::size_t chunk_header_size = 512;
inline constexpr std::size_t record_header_size = 24;  // signature, size, id, written time
inline constexpr std::uint32_t record_signature = 0x00002a2a;

bool has_file_signature(bytes_view head);  // "ElfFile\0"
// Whether every byte is zero (unused, preallocated chunks and record tails).
bool all_zero(bytes_view b);
bool has_chunk_signature(bytes_view head);  // "ElfChnk\0"

struct file_header {
  std::uint64_t first_chunk = 0;
  std::uint64_t last_chunk = 0;
  std::uint64_t next_record_id = 0;
  std::uint32_t header_size = 0;
  std::uint16_t minor_version = 0;
  std::uint16_t major_version = 0;
  std::uint16_t block_size = 0;  // bytes before the first chunk (4096)
  std::uint16_t chunk_count = 0;
  std::uint32_t flags = 0;   // 1 = dirty, 2 = full
  bool checksum_ok = false;  // CRC-32 of the first 120 bytes
};
// nullopt unless `head` holds at least 128 bytes starting with the file signature.
std::optional<file_header> parse_file_header(bytes_view head);

struct chunk_header {
  std::uint64_t first_record_number = 0;
  std::uint64_t last_record_number = 0;
  std::uint64_t first_record_id = 0;
  std::uint64_t last_record_id = 0;
  std::uint32_t last_record_offset = 0;
  std::uint32_t free_space_offset = 0;  // end of the records
  bool header_checksum_ok = false;      // CRC-32 of bytes 0..120 and 128..512
  bool data_checksum_ok = false;        // CRC-32 of the records, 512..free space offset
};
// nullopt unless `chunk` holds at least the 512-byte header starting with the chunk signature.
std::optional<chunk_header> parse_chunk_header(bytes_view chunk);

// One item found while walking the records of a chunk.
struct record_item {
  enum class kind : std::uint8_t {
    record,   // a well-formed record: its body is [offset + 24, offset + size - 4)
    broken,   // a record signature whose size is implausible: counted and rejected
    garbage,  // bytes that are not a record: reported, walking resumes at the next signature
  };
  kind what = kind::record;
  std::uint32_t offset = 0;  // in the chunk
  std::uint32_t size = 0;
  std::uint64_t id = 0;
  std::uint64_t written = 0;  // FILETIME
  std::string reason;         // for broken and garbage
};

// Walks the records of one chunk from offset 512 to `end` (the free space offset, clamped to
// the chunk). Zero bytes after the last record end the walk quietly.
class record_walker {
 public:
  record_walker(bytes_view chunk, std::uint32_t end);
  std::optional<record_item> next();

 private:
  bool plausible_record(std::uint32_t pos) const;
  std::uint32_t resync(std::uint32_t from) const;
  bytes_view chunk_;
  std::uint32_t end_;
  std::uint32_t pos_ = chunk_header_size;
};

}  // namespace mamori::evtx
