#pragma once
// The free-text and exact-value index of the event store (docs/search.md, "How search is
// fast"). Each stored event's JSON values are split into tokens (runs of letters, digits, '_'
// and non-ASCII bytes, ASCII lower-cased); every token, and every whole multi-token value up to
// 256 bytes ("10.0.0.1", "arn:aws:iam::1:user/bob"), is hashed to 64 bits. Events are grouped
// into segments of consecutive events of one partition; a segment stores, per hash bucket,
// the sorted hashes and the delta-encoded positions of the events holding them. A query looks
// up its tokens in every segment of the partitions in range, intersects, and verifies the
// candidates against the event itself (hash collisions and field scoping are resolved there).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::store {

inline constexpr std::size_t token_buckets = 4096;
inline constexpr std::size_t max_whole_value = 256;

// Hash of a token or value, case-insensitive (ASCII).
std::uint64_t token_hash(std::string_view text);
inline std::size_t token_bucket(std::uint64_t h) { return static_cast<std::size_t>(h >> 52); }
// The part of a hash a segment stores: bucket (12 bits) and the low 48 bits.
inline std::uint64_t index_hash(std::uint64_t h) { return h & 0xfff0ffffffffffffULL; }
// Positions within a segment are 16 bits.
inline constexpr std::size_t max_segment_events = 65536;

inline bool is_token_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}

// Calls f(token) for each token of text.
template <typename F>
void for_each_token(std::string_view text, F&& f) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    while (i < n && !is_token_byte(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < n && is_token_byte(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) f(text.substr(start, i - start));
  }
}

// The hashes an indexed value contributes: its tokens (length >= 2) and, when it has several
// tokens or separators, the whole value. Appends to out (duplicates allowed).
void value_hashes(std::string_view value, std::vector<std::uint64_t>& out);

// Calls f(text, is_string) for every value (not key) of a JSON document as written by
// append_event_json: strings without their quotes and with escapes kept, numbers and
// booleans as written. Never fails: malformed input ends the walk.
void for_each_json_value(std::string_view json, const std::function<void(std::string_view)>& f);

// All hashes of one event JSON (values only); may hold duplicates.
void event_hashes(std::string_view json, std::vector<std::uint64_t>& out);

// Builds one segment in memory: add events in order, then encode per bucket.
class segment_builder {
 public:
  // Adds an event (its id, and the hashes of its values); returns its position.
  std::uint32_t add(std::uint64_t event_id, const std::vector<std::uint64_t>& hashes);
  std::size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  std::uint64_t first_id() const { return ids_.empty() ? 0 : ids_.front(); }
  std::uint64_t last_id() const { return ids_.empty() ? 0 : ids_.back(); }

  // Encoded segment: the event ids (delta varints) and one blob per non-empty bucket.
  struct encoded {
    std::string ids;
    std::vector<std::pair<std::uint32_t, std::string>> buckets;
  };
  encoded encode();
  void clear();

 private:
  std::vector<std::uint64_t> ids_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> pairs_;  // (hash, position)
};

// Decoding side.
void append_varint(std::string& out, std::uint64_t v);
bool read_varint(std::string_view data, std::size_t& pos, std::uint64_t& v);
std::vector<std::uint64_t> decode_ids(std::string_view blob);
// Positions (sorted) of events in the segment holding `hash`, from its bucket blob.
std::vector<std::uint32_t> bucket_lookup(std::string_view bucket_blob, std::uint64_t hash);

}  // namespace mamori::store
