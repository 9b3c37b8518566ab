#include "mamori/decode/evtx/evtx_file.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace mamori::evtx {

namespace {

std::uint16_t rd16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t rd32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t rd64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(rd32(p)) | (static_cast<std::uint64_t>(rd32(p + 4)) << 32);
}

// CRC-32 (RFC 1952, initial value 0) as zlib computes it.
std::uint32_t crc(std::uint32_t seed, const std::uint8_t* p, std::size_t n) {
  return static_cast<std::uint32_t>(::crc32(seed, p, static_cast<uInt>(n)));
}

}  // namespace

bool all_zero(bytes_view b) {
  // Compare the bytes with themselves shifted by one: libc's memcmp is vectorized.
  return b.empty() || (b[0] == 0 && std::memcmp(b.data(), b.data() + 1, b.size() - 1) == 0);
}

bool has_file_signature(bytes_view head) {
  return head.size() >= 8 && std::memcmp(head.data(), "ElfFile\0", 8) == 0;
}

bool has_chunk_signature(bytes_view head) {
  return head.size() >= 8 && std::memcmp(head.data(), "ElfChnk\0", 8) == 0;
}

std::optional<file_header> parse_file_header(bytes_view head) {
  if (head.size() < 128 || !has_file_signature(head)) return std::nullopt;
  const std::uint8_t* p = head.data();
  file_header h;
  h.first_chunk = rd64(p + 8);
  h.last_chunk = rd64(p + 16);
  h.next_record_id = rd64(p + 24);
  h.header_size = rd32(p + 32);
  h.minor_version = rd16(p + 36);
  h.major_version = rd16(p + 38);
  h.block_size = rd16(p + 40);
  h.chunk_count = rd16(p + 42);
  h.flags = rd32(p + 120);
  h.checksum_ok = crc(0, p, 120) == rd32(p + 124);
  return h;
}

std::optional<chunk_header> parse_chunk_header(bytes_view chunk) {
  if (chunk.size() < chunk_header_size || !has_chunk_signature(chunk)) return std::nullopt;
  const std::uint8_t* p = chunk.data();
  chunk_header h;
  h.first_record_number = rd64(p + 8);
  h.last_record_number = rd64(p + 16);
  h.first_record_id = rd64(p + 24);
  h.last_record_id = rd64(p + 32);
  h.last_record_offset = rd32(p + 44);
  h.free_space_offset = rd32(p + 48);
  std::uint32_t c = crc(0, p, 120);
  c = crc(c, p + 128, chunk_header_size - 128);
  h.header_checksum_ok = c == rd32(p + 124);
  if (h.free_space_offset >= chunk_header_size && h.free_space_offset <= chunk.size()) {
    h.data_checksum_ok =
        crc(0, p + chunk_header_size, h.free_space_offset - chunk_header_size) == rd32(p + 52);
  }
  return h;
}

record_walker::record_walker(bytes_view chunk, std::uint32_t end)
    : chunk_(chunk), end_(static_cast<std::uint32_t>(std::min<std::size_t>(end, chunk.size()))) {}

bool record_walker::plausible_record(std::uint32_t pos) const {
  if (static_cast<std::uint64_t>(pos) + record_header_size + 4 > end_) return false;
  const std::uint8_t* p = chunk_.data() + pos;
  if (rd32(p) != record_signature) return false;
  const std::uint32_t size = rd32(p + 4);
  return size >= record_header_size + 4 && static_cast<std::uint64_t>(pos) + size <= end_ &&
         rd32(p + size - 4) == size;
}

std::uint32_t record_walker::resync(std::uint32_t from) const {
  for (std::uint32_t pos = from; static_cast<std::uint64_t>(pos) + record_header_size + 4 <= end_;
       ++pos) {
    const void* hit = std::memchr(chunk_.data() + pos, 0x2a, end_ - pos);
    if (hit == nullptr) break;
    pos = static_cast<std::uint32_t>(static_cast<const std::uint8_t*>(hit) - chunk_.data());
    if (plausible_record(pos)) return pos;
  }
  return end_;
}

std::optional<record_item> record_walker::next() {
  if (static_cast<std::uint64_t>(pos_) + record_header_size + 4 > end_) {
    // A tail too short for a record: quiet if zero-filled.
    if (pos_ < end_ && !all_zero(chunk_.subspan(pos_, end_ - pos_))) {
      record_item g;
      g.what = record_item::kind::garbage;
      g.offset = pos_;
      g.reason = fmt::format("{} stray bytes after the last record", end_ - pos_);
      pos_ = end_;
      return g;
    }
    return std::nullopt;
  }
  const std::uint8_t* p = chunk_.data() + pos_;
  if (rd32(p) != record_signature) {
    if (all_zero(chunk_.subspan(pos_, end_ - pos_))) {
      pos_ = end_;
      return std::nullopt;
    }
    record_item g;
    g.what = record_item::kind::garbage;
    g.offset = pos_;
    const std::uint32_t next = resync(pos_ + 1);
    g.reason = fmt::format("no record signature; {} bytes skipped", next - pos_);
    pos_ = next;
    return g;
  }
  record_item r;
  r.offset = pos_;
  r.size = rd32(p + 4);
  r.id = rd64(p + 8);
  r.written = rd64(p + 16);
  if (!plausible_record(pos_)) {
    r.what = record_item::kind::broken;
    if (r.size < record_header_size + 4) {
      r.reason = fmt::format("record size {} is too small", r.size);
    } else if (static_cast<std::uint64_t>(pos_) + r.size > end_) {
      r.reason = fmt::format("record size {} runs past the end of the chunk's records", r.size);
    } else {
      r.reason = fmt::format("record size {} does not match its trailing copy {}", r.size,
                             rd32(p + r.size - 4));
    }
    pos_ = resync(pos_ + 4);
    return r;
  }
  pos_ += r.size;
  return r;
}

}  // namespace mamori::evtx
