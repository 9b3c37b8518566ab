#include "mamori/store/token_index.hpp"

#include <algorithm>
#include <cstring>

namespace mamori::store {

namespace {

inline unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

inline std::uint64_t mix(std::uint64_t h) {
  // MurmurHash3 fmix64 finalizer: spreads FNV's low-bit differences into the high bits used
  // for buckets.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Unescapes a JSON string body (between the quotes).
void unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        std::uint32_t cp = 0;
        bool ok = i + 4 < s.size();
        for (int k = 1; ok && k <= 4; ++k) {
          int h = hex_value(s[i + k]);
          if (h < 0) ok = false;
          cp = cp * 16 + static_cast<std::uint32_t>(h);
        }
        if (!ok) break;
        i += 4;
        // Surrogate pair.
        if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u') {
          std::uint32_t lo = 0;
          bool ok2 = true;
          for (int k = 3; ok2 && k <= 6; ++k) {
            int h = hex_value(s[i + k]);
            if (h < 0) ok2 = false;
            lo = lo * 16 + static_cast<std::uint32_t>(h);
          }
          if (ok2 && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
          }
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e;
    }
  }
}

}  // namespace

std::uint64_t token_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= lower(c);
    h *= 0x100000001b3ULL;
  }
  return mix(h);
}

namespace {

void value_hashes_with(std::string_view value, std::uint64_t whole, std::vector<std::uint64_t>& out) {
  bool whole_is_token = false;
  for_each_token(value, [&](std::string_view t) {
    if (t.size() == value.size()) {
      whole_is_token = true;
      if (t.size() >= 2) out.push_back(whole);
    } else if (t.size() >= 2) {
      out.push_back(token_hash(t));
    }
  });
  if (!whole_is_token && !value.empty() && value.size() <= max_whole_value) out.push_back(whole);
}

}  // namespace

void value_hashes(std::string_view value, std::vector<std::uint64_t>& out) {
  value_hashes_with(value, token_hash(value), out);
}

namespace {

template <typename F>
void scan_json_values(std::string_view json, F&& f) {
  std::string scratch;
  const std::size_t n = json.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = json[i];
    if (c == '"') {
      std::size_t start = ++i;
      bool escaped = false;
      for (;;) {
        const void* q = std::memchr(json.data() + i, '"', n - i);
        if (q == nullptr) return;
        std::size_t at = static_cast<std::size_t>(static_cast<const char*>(q) - json.data());
        // Escaped quote: an odd number of backslashes before it.
        std::size_t bs = 0;
        while (at - bs > start && json[at - bs - 1] == '\\') ++bs;
        if (bs > 0) escaped = true;
        if (bs % 2 == 0) {
          i = at;
          break;
        }
        i = at + 1;
      }
      if (!escaped && std::memchr(json.data() + start, '\\', i - start) != nullptr) escaped = true;
      if (i >= n) return;
      std::string_view body = json.substr(start, i - start);
      ++i;
      std::size_t j = i;
      while (j < n && (json[j] == ' ' || json[j] == '\n' || json[j] == '\t' || json[j] == '\r')) ++j;
      if (j < n && json[j] == ':') continue;  // an object key
      if (escaped) {
        unescape(body, scratch);
        f(scratch);
      } else {
        f(body);
      }
    } else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
      std::size_t start = i;
      while (i < n && json[i] != ',' && json[i] != '}' && json[i] != ']' && json[i] != ' ' &&
             json[i] != '\n')
        ++i;
      std::string_view lit = json.substr(start, i - start);
      if (lit != "null") f(lit);
    } else {
      ++i;
    }
  }
}

}  // namespace

void for_each_json_value(std::string_view json, const std::function<void(std::string_view)>& f) {
  scan_json_values(json, f);
}

void event_hashes(std::string_view json, std::vector<std::uint64_t>& out) {
  out.clear();
  // The OCSF JSON repeats most values (normalized and under their source names): each
  // distinct value is tokenized once. Remaining duplicates are dropped when the segment is
  // encoded (they sort next to each other).
  constexpr std::size_t slots = 1024;
  std::uint64_t seen[slots] = {};
  std::size_t distinct = 0;
  scan_json_values(json, [&](std::string_view v) {
    const std::uint64_t whole = token_hash(v);
    if (distinct < slots / 2) {
      const std::uint64_t h = whole | 1;
      std::size_t i = h & (slots - 1);
      while (seen[i] != 0) {
        if (seen[i] == h) return;
        i = (i + 1) & (slots - 1);
      }
      seen[i] = h;
      ++distinct;
    }
    value_hashes_with(v, whole, out);
  });
}

void append_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool read_varint(std::string_view data, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < data.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(data[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

std::uint32_t segment_builder::add(std::uint64_t event_id, const std::vector<std::uint64_t>& hashes) {
  const auto pos = static_cast<std::uint32_t>(ids_.size());
  ids_.push_back(event_id);
  for (std::uint64_t h : hashes) pairs_.emplace_back(h, pos);
  return pos;
}

segment_builder::encoded segment_builder::encode() {
  encoded out;
  std::uint64_t prev = 0;
  for (std::uint64_t id : ids_) {
    append_varint(out.ids, id - prev);
    prev = id;
  }
  // Counting sort by bucket (stable: positions stay ascending), then sort each bucket by hash.
  std::vector<std::uint32_t> counts(token_buckets + 1, 0);
  for (const auto& p : pairs_) ++counts[token_bucket(p.first) + 1];
  for (std::size_t b = 0; b < token_buckets; ++b) counts[b + 1] += counts[b];
  std::vector<std::pair<std::uint64_t, std::uint32_t>> sorted(pairs_.size());
  {
    std::vector<std::uint32_t> next(counts.begin(), counts.end() - 1);
    for (const auto& p : pairs_) sorted[next[token_bucket(p.first)]++] = p;
  }
  std::string postings;
  std::vector<std::int32_t> slots, next, tails;
  std::vector<std::pair<std::uint64_t, std::int32_t>> heads;
  for (std::size_t b = 0; b < token_buckets; ++b) {
    auto first = sorted.begin() + counts[b];
    auto last = sorted.begin() + counts[b + 1];
    if (first == last) continue;
    // Group the bucket's pairs by hash without sorting them all: pairs arrive in position
    // order, so chaining each pair to the previous one of the same hash keeps every posting
    // list ascending; only the distinct hashes are sorted. Bits 48..51 of the hash are not
    // stored (index_hash): the bucket holds the top 12 bits and the verification of every
    // candidate absorbs the 2^-60 collision rate.
    const std::size_t n = static_cast<std::size_t>(last - first);
    std::size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots.assign(cap, -1);
    heads.clear();
    next.assign(n, -1);
    tails.clear();
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint64_t h = index_hash(first[static_cast<std::ptrdiff_t>(k)].first);
      std::size_t i = static_cast<std::size_t>(h * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
      for (;;) {
        const std::int32_t d = slots[i];
        if (d < 0) {
          slots[i] = static_cast<std::int32_t>(heads.size());
          heads.emplace_back(h, static_cast<std::int32_t>(k));
          tails.push_back(static_cast<std::int32_t>(k));
          break;
        }
        if (heads[static_cast<std::size_t>(d)].first == h) {
          next[static_cast<std::size_t>(tails[static_cast<std::size_t>(d)])] = static_cast<std::int32_t>(k);
          tails[static_cast<std::size_t>(d)] = static_cast<std::int32_t>(k);
          break;
        }
        i = (i + 1) & (cap - 1);
      }
    }
    std::sort(heads.begin(), heads.end());
    // Table of (hash, offset, count), then the postings.
    std::vector<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>> table;
    table.reserve(heads.size());
    postings.clear();
    for (const auto& [h, head] : heads) {
      const auto offset = static_cast<std::uint32_t>(postings.size());
      std::uint32_t count = 0;
      std::int64_t prev_pos = -1;
      for (std::int32_t k = head; k >= 0; k = next[static_cast<std::size_t>(k)]) {
        const auto pos = static_cast<std::int64_t>(first[k].second);
        if (pos == prev_pos) continue;  // duplicate in event
        append_varint(postings, static_cast<std::uint64_t>(pos - prev_pos - 1));
        prev_pos = pos;
        ++count;
      }
      table.emplace_back(h, offset, count);
    }
    std::string blob;
    blob.reserve(4 + table.size() * 16 + postings.size());
    const auto nt = static_cast<std::uint32_t>(table.size());
    blob.append(reinterpret_cast<const char*>(&nt), 4);
    for (const auto& [h, off, cnt] : table) {
      blob.append(reinterpret_cast<const char*>(&h), 8);
      blob.append(reinterpret_cast<const char*>(&off), 4);
      blob.append(reinterpret_cast<const char*>(&cnt), 4);
    }
    blob += postings;
    out.buckets.emplace_back(static_cast<std::uint32_t>(b), std::move(blob));
  }
  return out;
}

void segment_builder::clear() {
  ids_.clear();
  pairs_.clear();
}

std::vector<std::uint64_t> decode_ids(std::string_view blob) {
  std::vector<std::uint64_t> ids;
  std::size_t pos = 0;
  std::uint64_t prev = 0, d = 0;
  while (pos < blob.size() && read_varint(blob, pos, d)) {
    prev += d;
    ids.push_back(prev);
  }
  return ids;
}

std::vector<std::uint32_t> bucket_lookup(std::string_view blob, std::uint64_t hash) {
  hash = index_hash(hash);
  std::vector<std::uint32_t> out;
  if (blob.size() < 4) return out;
  std::uint32_t nt = 0;
  std::memcpy(&nt, blob.data(), 4);
  if (blob.size() < 4 + static_cast<std::size_t>(nt) * 16) return out;
  const char* table = blob.data() + 4;
  auto hash_at = [&](std::uint32_t i) {
    std::uint64_t h = 0;
    std::memcpy(&h, table + static_cast<std::size_t>(i) * 16, 8);
    return h;
  };
  std::uint32_t lo = 0, hi = nt;
  while (lo < hi) {
    std::uint32_t mid = lo + (hi - lo) / 2;
    if (hash_at(mid) < hash) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= nt || hash_at(lo) != hash) return out;
  std::uint32_t offset = 0, count = 0;
  std::memcpy(&offset, table + static_cast<std::size_t>(lo) * 16 + 8, 4);
  std::memcpy(&count, table + static_cast<std::size_t>(lo) * 16 + 12, 4);
  std::string_view postings = blob.substr(4 + static_cast<std::size_t>(nt) * 16);
  std::size_t pos = offset;
  std::int64_t prev = -1;
  out.reserve(count);
  for (std::uint32_t k = 0; k < count; ++k) {
    std::uint64_t d = 0;
    if (!read_varint(postings, pos, d)) break;
    prev += static_cast<std::int64_t>(d) + 1;
    out.push_back(static_cast<std::uint32_t>(prev));
  }
  return out;
}

}  // namespace mamori::store
