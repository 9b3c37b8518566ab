#pragma once
// Binary XML ("BinXml") as stored in the chunks of Windows XML Event Log (.evtx) files.
//
// Written from the public descriptions of the format: [MS-EVEN6] §2.2.12 (BinXml) and §2.2.18
// (type system), and J. Metz, "Windows XML Event Log (EVTX) format" (libyal/libevtx
// documentation). docs/formats/evtx.md explains the design; nothing here depends on a third-party
// EVTX library.
//
// An event record's body is a token stream. Element and attribute names are stored once per
// chunk and referenced by their offset in the chunk; event layouts are stored once per chunk as
// template definitions and referenced by offset, each record supplying only an array of typed
// substitution values. The interpreter therefore compiles every template definition of a chunk
// once into a flat list of nodes (names resolved, literal text converted to UTF-8) and, per
// record, walks that list with the record's substitution values, calling a visitor. Every read
// is bounds-checked against the chunk: malformed input yields an error message, never a crash.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mamori::evtx {

using bytes_view = std::span<const std::uint8_t>;

// Value types of substitutions ([MS-EVEN6] 2.2.18). The 0x80 bit marks an array of the type.
namespace vtype {
inline constexpr std::uint8_t null = 0x00;
inline constexpr std::uint8_t string = 0x01;       // UTF-16LE
inline constexpr std::uint8_t ansi_string = 0x02;  // 8-bit code page
inline constexpr std::uint8_t int8 = 0x03;
inline constexpr std::uint8_t uint8 = 0x04;
inline constexpr std::uint8_t int16 = 0x05;
inline constexpr std::uint8_t uint16 = 0x06;
inline constexpr std::uint8_t int32 = 0x07;
inline constexpr std::uint8_t uint32 = 0x08;
inline constexpr std::uint8_t int64 = 0x09;
inline constexpr std::uint8_t uint64 = 0x0a;
inline constexpr std::uint8_t real32 = 0x0b;
inline constexpr std::uint8_t real64 = 0x0c;
inline constexpr std::uint8_t boolean = 0x0d;  // 32-bit
inline constexpr std::uint8_t binary = 0x0e;
inline constexpr std::uint8_t guid = 0x0f;
inline constexpr std::uint8_t size_t_ = 0x10;  // 32 or 64 bits, shown in hexadecimal
inline constexpr std::uint8_t filetime = 0x11;
inline constexpr std::uint8_t systemtime = 0x12;
inline constexpr std::uint8_t sid = 0x13;
inline constexpr std::uint8_t hex_int32 = 0x14;
inline constexpr std::uint8_t hex_int64 = 0x15;
inline constexpr std::uint8_t evt_handle = 0x20;
inline constexpr std::uint8_t binxml = 0x21;  // an embedded BinXml fragment
inline constexpr std::uint8_t evt_xml = 0x23;
inline constexpr std::uint8_t array = 0x80;
}  // namespace vtype

// Text of a scalar value as Windows renders it in event XML: decimal integers, "0x1f" for
// hexadecimal types, "{xxxxxxxx-...}" GUIDs (lower case), "S-1-5-18" SIDs, RFC 3339 UTC times
// (FILETIME with 7 fraction digits, SYSTEMTIME with 3), upper-case hex for binary, "true" /
// "false". Strings lose trailing NULs; UTF-16 is converted to UTF-8 (unpaired surrogates become
// U+FFFD). A value whose size does not fit its type is rendered as hex bytes.
void append_value_text(std::string& out, std::uint8_t type, bytes_view bytes);
// The value as an integer when the type is one of the decimal integer types (not hex types).
std::optional<std::int64_t> value_integer(std::uint8_t type, bytes_view bytes);
// Appends UTF-16LE (an even number of bytes; an odd trailing byte is ignored) as UTF-8.
void append_utf16le(std::string& out, bytes_view bytes);
// FILETIME (100 ns ticks since 1601-01-01 UTC) → ns since the Unix epoch; nullopt if out of
// range.
std::optional<std::int64_t> filetime_to_unix_ns(std::uint64_t filetime);
// RFC 3339 with 7 fraction digits: "2019-04-30T22:48:58.9014742Z".
void append_filetime(std::string& out, std::uint64_t filetime);

// An element or attribute name of the chunk. `user` is a slot for the visitor (the EVTX decoder
// caches the interned field id there, so a name is hashed once per chunk, not once per record).
struct name_entry {
  std::string text;
  mutable std::uint32_t user = 0xffffffffu;
};

// Receives the document of one record, in order. Attribute values arrive between
// start_attribute and end_attribute; element content between start_element and end_element.
// A substitution value arrives raw (value()) so the visitor decides how to render or type it;
// array substitutions arrive as one value() per item separated by array_item().
class visitor {
 public:
  virtual ~visitor() = default;
  virtual void start_element(const name_entry& name) = 0;
  virtual void end_element() = 0;
  virtual void start_attribute(const name_entry& name) = 0;
  virtual void end_attribute() = 0;
  // Literal text: value text, CDATA, character and entity references (already resolved).
  virtual void text(std::string_view utf8) = 0;
  // A scalar substitution value (type without the array bit; never binxml).
  virtual void value(std::uint8_t type, bytes_view bytes) = 0;
  // Between two items of an array substitution.
  virtual void array_item() = 0;
};

// Renders the visited document as XML text (for tests and debugging; escapes &, <, >, ").
class xml_writer final : public visitor {
 public:
  void start_element(const name_entry& name) override;
  void end_element() override;
  void start_attribute(const name_entry& name) override;
  void end_attribute() override;
  void text(std::string_view utf8) override;
  void value(std::uint8_t type, bytes_view bytes) override;
  void array_item() override;

  const std::string& xml() const { return out_; }
  void clear();

 private:
  void close_start_tag();
  void escape(std::string_view s);
  std::string out_;
  std::vector<std::string_view> open_;
  bool in_start_tag_ = false;
  bool in_attribute_ = false;
  bool has_content_ = false;
  std::string scratch_;
};

// Limits that keep hostile input cheap: nesting of elements, of embedded BinXml values and
// template instances, the number of substitution values of one instance, and the size a record
// may expand to (templates instantiating templates could otherwise expand exponentially).
struct limits {
  int max_element_depth = 64;
  int max_nesting = 8;  // template instances and embedded BinXml within each other
  std::uint32_t max_substitutions = 4096;
  std::uint64_t max_nodes = 1u << 20;           // nodes visited per record
  std::uint64_t max_expanded_bytes = 8u << 20;  // text and value bytes visited per record
};

// One chunk: the unit names and templates are relative to. Reset it for every chunk; it keeps
// its allocations so steady-state decoding allocates almost nothing.
class chunk_interpreter {
 public:
  chunk_interpreter();
  ~chunk_interpreter();
  chunk_interpreter(const chunk_interpreter&) = delete;
  chunk_interpreter& operator=(const chunk_interpreter&) = delete;

  // Starts a new chunk (its bytes must stay valid until the next reset); clears the name and
  // template caches.
  void reset(bytes_view chunk, limits lim = {});

  // Interprets the BinXml stream at [offset, offset + size) of the chunk (an event record's
  // body) and calls the visitor. On malformed input returns a reason naming the chunk offset;
  // the visitor may then have seen part of the document.
  std::optional<std::string> interpret(std::uint32_t offset, std::uint32_t size, visitor& v);

  // Number of distinct template definitions compiled in this chunk (for tests and statistics).
  std::size_t templates_compiled() const;

 private:
  struct program;
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mamori::evtx
