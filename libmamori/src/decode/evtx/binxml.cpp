#include "mamori/decode/evtx/binxml.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <deque>
#include <limits>

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

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

template <typename T>
void append_int(std::string& out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void append_hex(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  (void)ec;
  out += "0x";
  out.append(buf, end);
}

// Writes v as exactly n decimal digits (zero-padded) at p.
void put_digits(char* p, unsigned v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// Writes v as exactly n lower-case hex digits at p.
void put_hex(char* p, std::uint32_t v, int n) {
  static constexpr char digits[] = "0123456789abcdef";
  for (int i = n - 1; i >= 0; --i) {
    p[i] = digits[v & 15];
    v >>= 4;
  }
}

void append_hex_bytes(std::string& out, bytes_view b) {
  static constexpr char digits[] = "0123456789ABCDEF";
  out.reserve(out.size() + b.size() * 2);
  for (std::uint8_t c : b) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
}

// Drops trailing NUL characters of a UTF-16LE string.
bytes_view trim_utf16_nuls(bytes_view b) {
  std::size_t n = b.size() & ~std::size_t{1};
  while (n >= 2 && b[n - 1] == 0 && b[n - 2] == 0) n -= 2;
  return b.first(n);
}

// Proleptic Gregorian civil date from days since 1970-01-01 (the inverse of days_from_civil in
// event/time.hpp; same era/day-of-era decomposition).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

constexpr std::uint64_t filetime_unix_epoch = 116444736000000000ull;  // 1970-01-01 in ticks

// Size in bytes of one item of a fixed-size type; 0 for variable-size types.
std::size_t fixed_size(std::uint8_t type) {
  switch (type) {
    case vtype::int8:
    case vtype::uint8:
      return 1;
    case vtype::int16:
    case vtype::uint16:
      return 2;
    case vtype::int32:
    case vtype::uint32:
    case vtype::real32:
    case vtype::boolean:
    case vtype::hex_int32:
      return 4;
    case vtype::int64:
    case vtype::uint64:
    case vtype::real64:
    case vtype::filetime:
    case vtype::hex_int64:
      return 8;
    case vtype::guid:
    case vtype::systemtime:
      return 16;
    default:
      return 0;
  }
}

void append_sid(std::string& out, bytes_view b) {
  if (b.size() < 8 || b.size() < 8 + 4 * static_cast<std::size_t>(b[1])) {
    append_hex_bytes(out, b);
    return;
  }
  std::uint64_t authority = 0;
  for (int k = 2; k < 8; ++k) authority = (authority << 8) | b[k];
  out += "S-";
  append_int(out, static_cast<unsigned>(b[0]));
  out += '-';
  if (authority >> 32) {
    out += fmt::format("0x{:012X}", authority);
  } else {
    append_int(out, authority);
  }
  for (std::size_t k = 0; k < b[1]; ++k) {
    out += '-';
    append_int(out, rd32(b.data() + 8 + 4 * k));
  }
}

}  // namespace

void append_utf16le(std::string& out, bytes_view bytes) {
  const std::size_t n = bytes.size() / 2;
  const std::uint8_t* p = bytes.data();
  out.reserve(out.size() + n);
  std::size_t i = 0;
  while (i < n) {
    // Fast path: four ASCII characters at a time (high bytes zero, low bytes < 0x80).
    if (i + 4 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + 2 * i, 8);
      if ((w & 0xff80ff80ff80ff80ull) == 0) {
        char c4[4] = {static_cast<char>(p[2 * i]), static_cast<char>(p[2 * i + 2]),
                      static_cast<char>(p[2 * i + 4]), static_cast<char>(p[2 * i + 6])};
        out.append(c4, 4);
        i += 4;
        continue;
      }
    }
    std::uint32_t c = rd16(p + 2 * i);
    ++i;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c >= 0xd800 && c <= 0xdbff) {
      if (i < n) {
        std::uint32_t d = rd16(p + 2 * i);
        if (d >= 0xdc00 && d <= 0xdfff) {
          ++i;
          append_utf8(out, 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
          continue;
        }
      }
      append_utf8(out, 0xfffd);
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      append_utf8(out, 0xfffd);
    } else {
      append_utf8(out, c);
    }
  }
}

std::optional<std::int64_t> filetime_to_unix_ns(std::uint64_t filetime) {
  const auto ticks = static_cast<std::int64_t>(filetime - filetime_unix_epoch);
  // 100 ns ticks → ns must fit in int64 (about ±292 years around 1970).
  if (filetime > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  constexpr std::int64_t max_ticks = std::numeric_limits<std::int64_t>::max() / 100;
  if (ticks > max_ticks || ticks < -max_ticks) return std::nullopt;
  return ticks * 100;
}

void append_filetime(std::string& out, std::uint64_t filetime) {
  const std::uint64_t secs = filetime / 10'000'000;
  const auto frac = static_cast<unsigned>(filetime % 10'000'000);
  const auto unix_secs = static_cast<std::int64_t>(secs) - 11644473600;
  std::int64_t days = unix_secs / 86400;
  std::int64_t rem = unix_secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  const auto h = static_cast<unsigned>(rem / 3600);
  const auto mi = static_cast<unsigned>((rem / 60) % 60);
  const auto sec = static_cast<unsigned>(rem % 60);
  if (y < 0 || y > 9999) {
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z", y, m, d,
                   h, mi, sec, frac);
    return;
  }
  // "YYYY-MM-DDTHH:MM:SS.fffffffZ", written directly (one per record: the hot path).
  char b[28] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0', '0', ':',
                '0', '0', ':', '0', '0', '.', '0', '0', '0', '0', '0', '0', '0', 'Z'};
  put_digits(b, static_cast<unsigned>(y), 4);
  put_digits(b + 5, m, 2);
  put_digits(b + 8, d, 2);
  put_digits(b + 11, h, 2);
  put_digits(b + 14, mi, 2);
  put_digits(b + 17, sec, 2);
  put_digits(b + 20, frac, 7);
  out.append(b, sizeof b);
}

std::optional<std::int64_t> value_integer(std::uint8_t type, bytes_view b) {
  if (b.size() != fixed_size(type)) return std::nullopt;
  const std::uint8_t* p = b.data();
  switch (type) {
    case vtype::int8:
      return static_cast<std::int8_t>(p[0]);
    case vtype::uint8:
      return p[0];
    case vtype::int16:
      return static_cast<std::int16_t>(rd16(p));
    case vtype::uint16:
      return rd16(p);
    case vtype::int32:
      return static_cast<std::int32_t>(rd32(p));
    case vtype::uint32:
      return rd32(p);
    case vtype::int64:
      return static_cast<std::int64_t>(rd64(p));
    case vtype::uint64: {
      const std::uint64_t v = rd64(p);
      if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<std::int64_t>(v);
    }
    default:
      return std::nullopt;
  }
}

void append_value_text(std::string& out, std::uint8_t type, bytes_view b) {
  const std::size_t want = fixed_size(type);
  if (want != 0 && b.size() != want) {
    append_hex_bytes(out, b);
    return;
  }
  const std::uint8_t* p = b.data();
  switch (type) {
    case vtype::null:
      return;
    case vtype::string:
    case vtype::evt_xml:
      append_utf16le(out, trim_utf16_nuls(b));
      return;
    case vtype::ansi_string: {
      std::size_t n = b.size();
      while (n > 0 && p[n - 1] == 0) --n;
      // The code page is not recorded; bytes above 0x7f are read as Latin-1.
      for (std::size_t k = 0; k < n; ++k) append_utf8(out, p[k]);
      return;
    }
    case vtype::int8:
    case vtype::uint8:
    case vtype::int16:
    case vtype::uint16:
    case vtype::int32:
    case vtype::uint32:
    case vtype::int64:
      append_int(out, *value_integer(type, b));
      return;
    case vtype::uint64:
      append_int(out, rd64(p));
      return;
    case vtype::real32: {
      float f;
      std::uint32_t bits = rd32(p);
      std::memcpy(&f, &bits, 4);
      fmt::format_to(std::back_inserter(out), "{}", f);
      return;
    }
    case vtype::real64: {
      double f;
      std::uint64_t bits = rd64(p);
      std::memcpy(&f, &bits, 8);
      fmt::format_to(std::back_inserter(out), "{}", f);
      return;
    }
    case vtype::boolean:
      out += rd32(p) != 0 ? "true" : "false";
      return;
    case vtype::binary:
      append_hex_bytes(out, b);
      return;
    case vtype::guid: {
      // {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}: Data1-3 little-endian, Data4 as bytes.
      char g[38];
      g[0] = '{';
      put_hex(g + 1, rd32(p), 8);
      g[9] = '-';
      put_hex(g + 10, rd16(p + 4), 4);
      g[14] = '-';
      put_hex(g + 15, rd16(p + 6), 4);
      g[19] = '-';
      put_hex(g + 20, (static_cast<std::uint32_t>(p[8]) << 8) | p[9], 4);
      g[24] = '-';
      for (int k = 0; k < 6; ++k) put_hex(g + 25 + 2 * k, p[10 + k], 2);
      g[37] = '}';
      out.append(g, sizeof g);
      return;
    }
    case vtype::size_t_:
    case vtype::hex_int32:
    case vtype::hex_int64:
      if (b.size() == 4) {
        append_hex(out, rd32(p));
      } else if (b.size() == 8) {
        append_hex(out, rd64(p));
      } else {
        append_hex_bytes(out, b);
      }
      return;
    case vtype::filetime:
      append_filetime(out, rd64(p));
      return;
    case vtype::systemtime:
      fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", rd16(p),
                     rd16(p + 2), rd16(p + 6), rd16(p + 8), rd16(p + 10), rd16(p + 12),
                     rd16(p + 14));
      return;
    case vtype::sid:
      append_sid(out, b);
      return;
    default:
      append_hex_bytes(out, b);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// xml_writer

void xml_writer::clear() {
  out_.clear();
  open_.clear();
  in_start_tag_ = in_attribute_ = has_content_ = false;
}

void xml_writer::escape(std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out_ += "&amp;";
        break;
      case '<':
        out_ += "&lt;";
        break;
      case '>':
        out_ += "&gt;";
        break;
      case '"':
        out_ += "&quot;";
        break;
      default:
        out_ += c;
    }
  }
}

void xml_writer::close_start_tag() {
  if (in_start_tag_) {
    out_ += '>';
    in_start_tag_ = false;
  }
}

void xml_writer::start_element(const name_entry& name) {
  close_start_tag();
  out_ += '<';
  out_ += name.text;
  open_.push_back(name.text);
  in_start_tag_ = true;
  has_content_ = false;
}

void xml_writer::end_element() {
  if (open_.empty()) return;
  if (in_start_tag_) {
    out_ += "/>";
    in_start_tag_ = false;
  } else {
    out_ += "</";
    out_ += open_.back();
    out_ += '>';
  }
  open_.pop_back();
}

void xml_writer::start_attribute(const name_entry& name) {
  out_ += ' ';
  out_ += name.text;
  out_ += "=\"";
  in_attribute_ = true;
}

void xml_writer::end_attribute() {
  out_ += '"';
  in_attribute_ = false;
}

void xml_writer::text(std::string_view utf8) {
  if (!in_attribute_) close_start_tag();
  escape(utf8);
}

void xml_writer::value(std::uint8_t type, bytes_view bytes) {
  if (!in_attribute_) close_start_tag();
  scratch_.clear();
  append_value_text(scratch_, type, bytes);
  escape(scratch_);
}

void xml_writer::array_item() {
  if (!in_attribute_) close_start_tag();
  out_ += ',';
}

// ---------------------------------------------------------------------------------------------
// chunk_interpreter

namespace {

enum class op : std::uint8_t { open, close, attr, attr_end, text, subst, instance };

struct node {
  op kind = op::text;
  std::uint8_t type = 0;    // subst: declared value type
  std::uint16_t index = 0;  // subst: index into the substitution array
  std::uint32_t a = 0;      // open/attr: name index; text: offset in strings; instance: template
  std::uint32_t b = 0;      // text: length; instance: first value
  std::uint32_t c = 0;      // instance: number of values
};

struct typed_value {
  std::uint8_t type = 0;
  bytes_view bytes;
};

constexpr std::uint32_t compiling = 0xffffffffu;
constexpr std::uint32_t broken = 0xfffffffeu;

}  // namespace

struct chunk_interpreter::program {
  std::vector<node> nodes;
  std::string strings;
  std::vector<typed_value> values;
  void clear() {
    nodes.clear();
    strings.clear();
    values.clear();
  }
};

struct chunk_interpreter::impl {
  // Names and templates live in the event records, after the 512-byte chunk header.
  static constexpr std::uint32_t names_start = 512;
  bytes_view chunk;
  limits lim;
  std::deque<name_entry> names;  // deque: visitors may keep references while names grow
  std::unordered_map<std::uint32_t, std::uint32_t> name_index;
  std::deque<program> templates;
  std::unordered_map<std::uint32_t, std::uint32_t> template_index;
  std::size_t templates_used = 0;
  std::vector<std::unique_ptr<program>> scratch;
  std::uint64_t nodes_visited = 0;
  std::uint64_t bytes_visited = 0;
  std::string error;

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  program& scratch_at(int level) {
    while (scratch.size() <= static_cast<std::size_t>(level)) {
      scratch.push_back(std::make_unique<program>());
    }
    return *scratch[static_cast<std::size_t>(level)];
  }

  // Checks that a name structure starts at `off` and lies within [0, limit).
  bool name_fits(std::uint32_t off, std::uint64_t limit) const {
    if (static_cast<std::uint64_t>(off) + 8 > limit) return false;
    const std::uint64_t n = rd16(chunk.data() + off + 6);
    const std::uint64_t size = 10 + 2 * n;
    if (off + size > limit) return false;
    return rd16(chunk.data() + off + 8 + 2 * n) == 0;
  }

  // Resolves the name at chunk offset `name_off` referenced by a token whose fixed part ends at
  // `after`: an inline definition (name_off == after) is skipped by advancing `after`.
  bool name_ref(std::uint32_t name_off, std::uint32_t& after, std::uint32_t end,
                std::uint32_t& index) {
    const bool inline_name = name_off == after;
    if (inline_name) {
      if (!name_fits(name_off, end)) {
        return fail(fmt::format("name at chunk offset {} runs past its stream", name_off));
      }
    } else if (name_off < names_start || name_off >= after || !name_fits(name_off, chunk.size())) {
      return fail(fmt::format("bad name offset {} at chunk offset {}", name_off, after));
    }
    const std::uint32_t size = 10 + 2u * rd16(chunk.data() + name_off + 6);
    if (inline_name) after += size;
    if (auto it = name_index.find(name_off); it != name_index.end()) {
      index = it->second;
      return true;
    }
    name_entry e;
    append_utf16le(e.text, chunk.subspan(name_off + 8, size - 10));
    names.push_back(std::move(e));
    index = static_cast<std::uint32_t>(names.size() - 1);
    name_index.emplace(name_off, index);
    return true;
  }

  // How plausible it is that an element start whose name offset field is at `field` (fixed
  // part ending at `after`) names a name: 2 when the name is defined right here or was seen
  // before in this chunk, 1 when a well-formed name structure lies earlier in the chunk's
  // records, 0 otherwise.
  int plausible_element(std::uint32_t field, std::uint32_t after, std::uint32_t start,
                        std::uint32_t end) const {
    if (after > end) return 0;
    const std::uint32_t name_off = rd32(chunk.data() + field);
    if (name_off == after) return name_fits(name_off, end) ? 2 : 0;
    if (name_off < names_start || name_off >= start || !name_fits(name_off, chunk.size())) {
      return 0;
    }
    return name_index.contains(name_off) ? 2 : 1;
  }

  void add_text(program& p, std::string_view s) {
    if (s.empty()) return;
    node n;
    n.kind = op::text;
    n.a = static_cast<std::uint32_t>(p.strings.size());
    n.b = static_cast<std::uint32_t>(s.size());
    p.strings.append(s);
    p.nodes.push_back(n);
  }

  void add_utf16_text(program& p, bytes_view utf16) {
    if (utf16.empty()) return;
    node n;
    n.kind = op::text;
    n.a = static_cast<std::uint32_t>(p.strings.size());
    append_utf16le(p.strings, utf16);
    n.b = static_cast<std::uint32_t>(p.strings.size() - n.a);
    if (n.b > 0) p.nodes.push_back(n);
  }

  bool get_template(std::uint32_t def_off, std::uint32_t data_begin, std::uint32_t data_end,
                    int nesting, std::uint32_t& index) {
    if (auto it = template_index.find(def_off); it != template_index.end()) {
      if (it->second == compiling) {
        return fail(fmt::format("template at chunk offset {} instantiates itself", def_off));
      }
      if (it->second == broken) {
        return fail(fmt::format("template at chunk offset {} is malformed", def_off));
      }
      index = it->second;
      return true;
    }
    template_index[def_off] = compiling;
    if (templates_used == templates.size()) templates.emplace_back();
    const auto slot = static_cast<std::uint32_t>(templates_used++);
    program& t = templates[slot];
    t.clear();
    if (!compile(data_begin, data_end, t, nesting + 1)) {
      template_index[def_off] = broken;
      error = fmt::format("template at chunk offset {}: {}", def_off, error);
      return false;
    }
    template_index[def_off] = slot;
    index = slot;
    return true;
  }

  bool template_instance(std::uint32_t& pos, std::uint32_t end, program& p, int nesting) {
    const std::uint32_t p0 = pos;
    if (static_cast<std::uint64_t>(p0) + 10 > end) return fail("truncated template instance");
    const std::uint32_t def_off = rd32(chunk.data() + p0 + 6);
    std::uint32_t after = p0 + 10;
    std::uint32_t tpl = 0;
    if (def_off == after) {
      // The definition follows inline: next offset (4), GUID (16), data size (4), data.
      if (static_cast<std::uint64_t>(after) + 24 > end)
        return fail("truncated template definition");
      const std::uint64_t data_end =
          static_cast<std::uint64_t>(after) + 24 + rd32(chunk.data() + after + 20);
      if (data_end > end) {
        return fail(
            fmt::format("template definition at chunk offset {} runs past its record", after));
      }
      if (!get_template(def_off, after + 24, static_cast<std::uint32_t>(data_end), nesting, tpl)) {
        return false;
      }
      after = static_cast<std::uint32_t>(data_end);
    } else {
      if (def_off >= p0 || static_cast<std::uint64_t>(def_off) + 24 > chunk.size()) {
        return fail(
            fmt::format("bad template definition offset {} at chunk offset {}", def_off, p0));
      }
      const std::uint64_t data_end =
          static_cast<std::uint64_t>(def_off) + 24 + rd32(chunk.data() + def_off + 20);
      if (data_end > chunk.size()) {
        return fail(
            fmt::format("template definition at chunk offset {} runs past the chunk", def_off));
      }
      if (!get_template(def_off, def_off + 24, static_cast<std::uint32_t>(data_end), nesting,
                        tpl)) {
        return false;
      }
    }
    // Instance data: value count, descriptors (size u16, type u8, pad u8), then the values.
    if (static_cast<std::uint64_t>(after) + 4 > end) return fail("truncated substitution array");
    const std::uint32_t count = rd32(chunk.data() + after);
    after += 4;
    if (count > lim.max_substitutions || static_cast<std::uint64_t>(after) + 4ull * count > end) {
      return fail(fmt::format("bad substitution count {} at chunk offset {}", count, after - 4));
    }
    std::uint64_t value_pos = static_cast<std::uint64_t>(after) + 4ull * count;
    const auto first = static_cast<std::uint32_t>(p.values.size());
    for (std::uint32_t k = 0; k < count; ++k) {
      const std::uint8_t* d = chunk.data() + after + 4 * k;
      const std::uint16_t size = rd16(d);
      if (value_pos + size > end) {
        return fail(fmt::format("substitution value {} runs past its record", k));
      }
      p.values.push_back({d[2], chunk.subspan(static_cast<std::size_t>(value_pos), size)});
      value_pos += size;
    }
    node n;
    n.kind = op::instance;
    n.a = tpl;
    n.b = first;
    n.c = count;
    p.nodes.push_back(n);
    pos = static_cast<std::uint32_t>(value_pos);
    return true;
  }

  // Compiles the token stream [begin, end) into p. Stops after the end-of-stream token; the
  // elements must be balanced.
  bool compile(std::uint32_t begin, std::uint32_t end, program& p, int nesting) {
    if (nesting > lim.max_nesting) {
      return fail(fmt::format("templates or embedded XML nested deeper than {}", lim.max_nesting));
    }
    if (end > chunk.size() || begin > end) return fail("stream outside the chunk");
    const std::uint8_t* d = chunk.data();
    enum class state : std::uint8_t { content, start_tag, attribute };
    state st = state::content;
    bool tag_has_attributes = false;
    int open = 0;
    std::uint32_t pos = begin;
    auto need = [&](std::uint64_t n) { return static_cast<std::uint64_t>(pos) + n <= end; };
    while (pos < end) {
      const std::uint8_t tok = d[pos];
      const std::uint8_t base = tok & 0xbf;  // without the "more data" flag 0x40
      const bool value_token =
          base == 0x05 || base == 0x08 || base == 0x09 || tok == 0x0d || tok == 0x0e;
      if (st == state::attribute && !value_token) {
        p.nodes.push_back({op::attr_end});
        st = state::start_tag;
      }
      if (st == state::start_tag && !(base == 0x06 && tag_has_attributes) && tok != 0x02 &&
          tok != 0x03) {
        return fail(
            fmt::format("unexpected token 0x{:02x} in a start tag at chunk offset {}", tok, pos));
      }
      switch (base) {
        case 0x00: {  // end of stream
          if (tok != 0x00) break;
          ++pos;
          if (open != 0)
            return fail(fmt::format("end of stream inside an element at chunk offset {}", pos - 1));
          return true;
        }
        case 0x01: {  // open start element
          const std::uint32_t p0 = pos;
          // The dependency identifier (2 bytes) is absent in some embedded BinXml values: take
          // the layout whose name offset is plausible, preferring the documented one.
          const int with_dependency = plausible_element(p0 + 7, p0 + 11, p0, end);
          const int without = plausible_element(p0 + 5, p0 + 9, p0, end);
          if (with_dependency == 0 && without == 0) {
            return fail(fmt::format("element at chunk offset {} has no valid name", p0));
          }
          const bool has_dependency = with_dependency >= without;
          const std::uint32_t field = has_dependency ? p0 + 7 : p0 + 5;
          std::uint32_t after = has_dependency ? p0 + 11 : p0 + 9;
          std::uint32_t name = 0;
          if (!name_ref(rd32(d + field), after, end, name)) return false;
          pos = after;
          tag_has_attributes = (tok & 0x40) != 0;
          if (tag_has_attributes) {
            if (!need(4))
              return fail(fmt::format("truncated attribute list at chunk offset {}", pos));
            pos += 4;  // attribute list size
          }
          if (++open > lim.max_element_depth) {
            return fail(fmt::format("elements nested deeper than {}", lim.max_element_depth));
          }
          node n;
          n.kind = op::open;
          n.a = name;
          p.nodes.push_back(n);
          st = state::start_tag;
          continue;
        }
        case 0x02:  // close start element tag
          if (tok != 0x02) break;
          ++pos;
          st = state::content;
          continue;
        case 0x03:  // close empty element tag
          if (tok != 0x03) break;
          if (st != state::start_tag)
            return fail(fmt::format("stray empty-element close at chunk offset {}", pos));
          ++pos;
          --open;
          p.nodes.push_back({op::close});
          st = state::content;
          continue;
        case 0x04:  // end element tag
          if (tok != 0x04) break;
          if (open <= 0)
            return fail(fmt::format("end tag without element at chunk offset {}", pos));
          ++pos;
          --open;
          p.nodes.push_back({op::close});
          continue;
        case 0x05: {  // value text: type (string), length-prefixed UTF-16
          if (!need(4)) return fail(fmt::format("truncated value at chunk offset {}", pos));
          if (d[pos + 1] != vtype::string) {
            return fail(
                fmt::format("value text of type 0x{:02x} at chunk offset {}", d[pos + 1], pos));
          }
          const std::uint32_t n = rd16(d + pos + 2);
          if (!need(4 + 2ull * n))
            return fail(fmt::format("truncated value at chunk offset {}", pos));
          add_utf16_text(p, chunk.subspan(pos + 4, 2 * n));
          pos += 4 + 2 * n;
          continue;
        }
        case 0x06: {  // attribute
          if (st != state::start_tag)
            return fail(fmt::format("attribute outside a start tag at chunk offset {}", pos));
          if (!need(5)) return fail(fmt::format("truncated attribute at chunk offset {}", pos));
          std::uint32_t after = pos + 5;
          std::uint32_t name = 0;
          if (!name_ref(rd32(d + pos + 1), after, end, name)) return false;
          pos = after;
          node n;
          n.kind = op::attr;
          n.a = name;
          p.nodes.push_back(n);
          st = state::attribute;
          continue;
        }
        case 0x07: {  // CDATA section
          if (!need(3)) return fail(fmt::format("truncated CDATA at chunk offset {}", pos));
          const std::uint32_t n = rd16(d + pos + 1);
          if (!need(3 + 2ull * n))
            return fail(fmt::format("truncated CDATA at chunk offset {}", pos));
          add_utf16_text(p, chunk.subspan(pos + 3, 2 * n));
          pos += 3 + 2 * n;
          continue;
        }
        case 0x08: {  // character reference
          if (!need(3))
            return fail(fmt::format("truncated character reference at chunk offset {}", pos));
          std::uint32_t cp = rd16(d + pos + 1);
          if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
          std::string s;
          append_utf8(s, cp);
          add_text(p, s);
          pos += 3;
          continue;
        }
        case 0x09: {  // entity reference
          if (!need(5))
            return fail(fmt::format("truncated entity reference at chunk offset {}", pos));
          std::uint32_t after = pos + 5;
          std::uint32_t name = 0;
          if (!name_ref(rd32(d + pos + 1), after, end, name)) return false;
          pos = after;
          const std::string& e = names[name].text;
          if (e == "lt") {
            add_text(p, "<");
          } else if (e == "gt") {
            add_text(p, ">");
          } else if (e == "amp") {
            add_text(p, "&");
          } else if (e == "quot") {
            add_text(p, "\"");
          } else if (e == "apos") {
            add_text(p, "'");
          } else {
            add_text(p, "&" + e + ";");
          }
          continue;
        }
        case 0x0a: {  // processing instruction target (ignored)
          if (tok != 0x0a) break;
          if (!need(5)) return fail(fmt::format("truncated PI target at chunk offset {}", pos));
          std::uint32_t after = pos + 5;
          std::uint32_t name = 0;
          if (!name_ref(rd32(d + pos + 1), after, end, name)) return false;
          pos = after;
          continue;
        }
        case 0x0b: {  // processing instruction data (ignored)
          if (tok != 0x0b) break;
          if (!need(3)) return fail(fmt::format("truncated PI data at chunk offset {}", pos));
          const std::uint32_t n = rd16(d + pos + 1);
          if (!need(3 + 2ull * n))
            return fail(fmt::format("truncated PI data at chunk offset {}", pos));
          pos += 3 + 2 * n;
          continue;
        }
        case 0x0c:  // template instance
          if (tok != 0x0c) break;
          if (!template_instance(pos, end, p, nesting)) return false;
          continue;
        case 0x0d:    // normal substitution
        case 0x0e: {  // optional substitution
          if (tok != base) break;
          if (!need(4)) return fail(fmt::format("truncated substitution at chunk offset {}", pos));
          node n;
          n.kind = op::subst;
          n.index = rd16(d + pos + 1);
          n.type = d[pos + 3];
          p.nodes.push_back(n);
          pos += 4;
          continue;
        }
        case 0x0f:  // fragment header: version 1.1, flags
          if (tok != 0x0f) break;
          if (!need(4))
            return fail(fmt::format("truncated fragment header at chunk offset {}", pos));
          pos += 4;
          continue;
        default:
          break;
      }
      return fail(
          fmt::format("unsupported binary XML token 0x{:02x} at chunk offset {}", tok, pos));
    }
    if (st == state::attribute) {
      p.nodes.push_back({op::attr_end});
      st = state::start_tag;
    }
    if (open != 0 || st != state::content) {
      return fail(fmt::format("stream ends inside an element at chunk offset {}", end));
    }
    return true;
  }

  bool emit_value(const typed_value& t, std::uint8_t declared, visitor& v, int nesting) {
    const std::uint8_t type = t.type;
    if (type == vtype::null) return true;
    if (type == vtype::binxml) {
      if (t.bytes.empty()) return true;
      const auto off = static_cast<std::uint32_t>(t.bytes.data() - chunk.data());
      program& q = scratch_at(nesting + 1);
      q.clear();
      if (!compile(off, off + static_cast<std::uint32_t>(t.bytes.size()), q, nesting + 1)) {
        return false;
      }
      return eval(q, {}, v, nesting + 1);
    }
    if ((type & vtype::array) == 0) {
      v.value(type, t.bytes);
      return true;
    }
    const std::uint8_t item = type & 0x7f;
    const bytes_view b = t.bytes;
    bool first = true;
    auto emit = [&](bytes_view one) {
      if (!first) v.array_item();
      first = false;
      v.value(item, one);
    };
    if (item == vtype::string) {
      // NUL-terminated UTF-16 strings one after another.
      std::size_t start = 0;
      const std::size_t n = b.size() & ~std::size_t{1};
      for (std::size_t k = 0; k + 1 < n; k += 2) {
        if (b[k] == 0 && b[k + 1] == 0) {
          emit(b.subspan(start, k - start));
          start = k + 2;
        }
      }
      if (start < n) emit(b.subspan(start, n - start));
    } else if (item == vtype::ansi_string) {
      std::size_t start = 0;
      for (std::size_t k = 0; k < b.size(); ++k) {
        if (b[k] == 0) {
          emit(b.subspan(start, k - start));
          start = k + 1;
        }
      }
      if (start < b.size()) emit(b.subspan(start));
    } else if (item == vtype::sid) {
      std::size_t k = 0;
      while (k + 8 <= b.size()) {
        const std::size_t size = 8 + 4 * static_cast<std::size_t>(b[k + 1]);
        if (k + size > b.size()) break;
        emit(b.subspan(k, size));
        k += size;
      }
    } else {
      std::size_t size = fixed_size(item);
      if (item == vtype::size_t_) {
        size = (declared & 0x7f) == vtype::hex_int32 ? 4 : 8;
      }
      if (size == 0) {
        emit(b);  // arrays of binary or of unknown types: one value
      } else {
        for (std::size_t k = 0; k + size <= b.size(); k += size) emit(b.subspan(k, size));
      }
    }
    if (first) v.value(item, {});  // an empty array renders one empty value
    return true;
  }

  bool eval(const program& p, std::span<const typed_value> subs, visitor& v, int nesting) {
    if (nesting > 2 * lim.max_nesting) {
      return fail(fmt::format("templates nested deeper than {}", 2 * lim.max_nesting));
    }
    nodes_visited += p.nodes.size();
    if (nodes_visited > lim.max_nodes) {
      return fail(fmt::format("record expands to more than {} nodes", lim.max_nodes));
    }
    for (const node& n : p.nodes) {
      switch (n.kind) {
        case op::open:
          v.start_element(names[n.a]);
          break;
        case op::close:
          v.end_element();
          break;
        case op::attr:
          v.start_attribute(names[n.a]);
          break;
        case op::attr_end:
          v.end_attribute();
          break;
        case op::text:
          bytes_visited += n.b;
          if (bytes_visited > lim.max_expanded_bytes) {
            return fail(
                fmt::format("record expands to more than {} bytes", lim.max_expanded_bytes));
          }
          v.text(std::string_view(p.strings).substr(n.a, n.b));
          break;
        case op::subst:
          if (n.index >= subs.size()) break;
          bytes_visited += subs[n.index].bytes.size();
          if (bytes_visited > lim.max_expanded_bytes) {
            return fail(
                fmt::format("record expands to more than {} bytes", lim.max_expanded_bytes));
          }
          if (!emit_value(subs[n.index], n.type, v, nesting)) return false;
          break;
        case op::instance:
          if (!eval(templates[n.a], std::span(p.values).subspan(n.b, n.c), v, nesting + 1)) {
            return false;
          }
          break;
      }
    }
    return true;
  }
};

chunk_interpreter::chunk_interpreter() : impl_(std::make_unique<impl>()) {}
chunk_interpreter::~chunk_interpreter() = default;

void chunk_interpreter::reset(bytes_view chunk, limits lim) {
  impl_->chunk = chunk;
  impl_->lim = lim;
  impl_->names.clear();
  impl_->name_index.clear();
  impl_->template_index.clear();
  impl_->templates_used = 0;
  impl_->error.clear();
}

std::size_t chunk_interpreter::templates_compiled() const {
  return impl_->templates_used;
}

std::optional<std::string> chunk_interpreter::interpret(std::uint32_t offset, std::uint32_t size,
                                                        visitor& v) {
  impl& m = *impl_;
  m.error.clear();
  if (static_cast<std::uint64_t>(offset) + size > m.chunk.size()) {
    return fmt::format("record body at chunk offset {} runs past the chunk", offset);
  }
  program& body = m.scratch_at(0);
  body.clear();
  m.nodes_visited = 0;
  m.bytes_visited = 0;
  if (!m.compile(offset, offset + size, body, 0) || !m.eval(body, {}, v, 0)) {
    return m.error.empty() ? std::string("malformed binary XML") : m.error;
  }
  return std::nullopt;
}

}  // namespace mamori::evtx
