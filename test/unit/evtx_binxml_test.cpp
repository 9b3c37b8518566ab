// Edge cases of the BinXml interpreter and the chunk walker on synthetic chunks built here token
// by token ([MS-EVEN6] 2.2.12), rendered back to XML with evtx::xml_writer.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "mamori/decode/evtx/binxml.hpp"
#include "mamori/decode/evtx/evtx_file.hpp"

namespace mamori::evtx {
namespace {

// Writes BinXml into a chunk image; offsets are chunk offsets (records start at 512).
class builder {
 public:
  builder() : b_(512, 0) {}

  std::uint32_t pos() const { return static_cast<std::uint32_t>(b_.size()); }
  std::vector<std::uint8_t>& bytes() { return b_; }

  void u8(std::uint8_t v) { b_.push_back(v); }
  void u16(std::uint16_t v) {
    u8(v & 0xff);
    u8(v >> 8);
  }
  void u32(std::uint32_t v) {
    u16(v & 0xffff);
    u16(v >> 16);
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v));
    u32(static_cast<std::uint32_t>(v >> 32));
  }
  void put32(std::uint32_t at, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) b_[at + k] = static_cast<std::uint8_t>(v >> (8 * k));
  }
  void utf16(std::u16string_view s) {
    for (char16_t c : s) u16(static_cast<std::uint16_t>(c));
  }

  // A name defined inline at the current position (returns its offset for later references).
  std::uint32_t inline_name(std::u16string_view s) {
    const std::uint32_t at = pos();
    u32(0);  // next name in the hash bucket
    u16(0);  // hash (not checked)
    u16(static_cast<std::uint16_t>(s.size()));
    utf16(s);
    u16(0);
    return at;
  }

  void fragment() {
    u8(0x0f);
    u8(1);
    u8(1);
    u8(0);
  }
  // Open start element; `ref` reuses a name defined earlier.
  std::uint32_t open(std::u16string_view name, bool attributes, std::uint32_t ref = 0,
                     bool dependency = true) {
    u8(attributes ? 0x41 : 0x01);
    if (dependency) u16(0xffff);
    u32(0);  // data size (not used by the reader)
    std::uint32_t name_off = ref;
    if (ref == 0) {
      u32(pos() + 4);
      name_off = inline_name(name);
    } else {
      u32(ref);
    }
    if (attributes) u32(0);  // attribute list size
    return name_off;
  }
  std::uint32_t attr(std::u16string_view name, std::uint32_t ref = 0, bool more = false) {
    u8(more ? 0x46 : 0x06);
    if (ref != 0) {
      u32(ref);
      return ref;
    }
    u32(pos() + 4);
    return inline_name(name);
  }
  void text(std::u16string_view s) {
    u8(0x05);
    u8(0x01);
    u16(static_cast<std::uint16_t>(s.size()));
    utf16(s);
  }
  void subst(std::uint16_t index, std::uint8_t type, bool optional = false) {
    u8(optional ? 0x0e : 0x0d);
    u16(index);
    u8(type);
  }
  void close_start() { u8(0x02); }
  void close_empty() { u8(0x03); }
  void end() { u8(0x04); }
  void eof() { u8(0x00); }

  // Starts an inline template definition; returns the offset of its data size field.
  std::uint32_t begin_template() {
    u8(0x0c);
    u8(0x01);
    u32(0x1234);                                                    // template id
    u32(pos() + 4);                                                 // definition offset: right here
    u32(0);                                                         // next template
    for (int k = 0; k < 16; ++k) u8(static_cast<std::uint8_t>(k));  // GUID
    const std::uint32_t size_at = pos();
    u32(0);
    return size_at;
  }
  void end_template(std::uint32_t size_at) { put32(size_at, pos() - size_at - 4); }
  // A template instance referring to a definition stored earlier in the chunk.
  void instance_of(std::uint32_t def_off) {
    u8(0x0c);
    u8(0x01);
    u32(0x1234);
    u32(def_off);
  }
  struct val {
    std::uint8_t type;
    std::vector<std::uint8_t> bytes;
  };
  void values(const std::vector<val>& vs) {
    u32(static_cast<std::uint32_t>(vs.size()));
    for (const auto& v : vs) {
      u16(static_cast<std::uint16_t>(v.bytes.size()));
      u8(v.type);
      u8(0);
    }
    for (const auto& v : vs) b_.insert(b_.end(), v.bytes.begin(), v.bytes.end());
  }

 private:
  std::vector<std::uint8_t> b_;
};

std::vector<std::uint8_t> le(std::uint64_t v, int n) {
  std::vector<std::uint8_t> out;
  for (int k = 0; k < n; ++k) out.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
  return out;
}
std::vector<std::uint8_t> u16s(std::u16string_view s) {
  std::vector<std::uint8_t> out;
  for (char16_t c : s) {
    out.push_back(static_cast<std::uint8_t>(c & 0xff));
    out.push_back(static_cast<std::uint8_t>(c >> 8));
  }
  return out;
}

struct run_result {
  std::optional<std::string> error;
  std::string xml;
};

run_result run(chunk_interpreter& in, const std::vector<std::uint8_t>& /*chunk*/,
               std::uint32_t begin, std::uint32_t end) {
  xml_writer w;
  run_result r;
  r.error = in.interpret(begin, end - begin, w);
  r.xml = w.xml();
  return r;
}

run_result run_once(builder& b, std::uint32_t begin) {
  chunk_interpreter in;
  in.reset(b.bytes());
  return run(in, b.bytes(), begin, b.pos());
}

TEST(BinXml, PlainElementsAttributesAndText) {
  builder b;
  const std::uint32_t start = b.pos();
  b.fragment();
  b.open(u"Event", true);
  b.attr(u"xmlns");
  b.text(u"http://schemas.microsoft.com/win/2004/08/events/event");
  b.close_start();
  b.open(u"EventID", false);
  b.close_start();
  b.text(u"4624");
  b.end();
  b.open(u"Empty", false);
  b.close_empty();
  b.end();
  b.eof();
  auto r = run_once(b, start);
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.xml,
            "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">"
            "<EventID>4624</EventID><Empty/></Event>");
}

TEST(BinXml, CharacterAndEntityReferencesAndCdata) {
  builder b;
  const std::uint32_t start = b.pos();
  b.fragment();
  b.open(u"Data", false);
  b.close_start();
  b.text(u"a");
  b.u8(0x48);  // character reference U+00E9, more data follows
  b.u16(0xe9);
  b.u8(0x49);  // entity reference &amp;
  b.u32(b.pos() + 4);
  b.inline_name(u"amp");
  b.u8(0x07);  // CDATA
  b.u16(3);
  b.utf16(u"x<y");
  b.end();
  b.eof();
  auto r = run_once(b, start);
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.xml, "<Data>a\xc3\xa9&amp;x&lt;y</Data>");
}

// Event / EventData with Data Name="..." elements filled from substitutions.
std::uint32_t build_template(builder& b, std::uint32_t& size_at, int n) {
  size_at = b.begin_template();
  const std::uint32_t def_off = size_at - 20;
  b.fragment();
  b.open(u"EventData", false);
  b.close_start();
  for (int k = 0; k < n; ++k) {
    b.open(u"Data", true);
    b.attr(u"Name");
    b.text(std::u16string(u"v") + static_cast<char16_t>(u'a' + k));
    b.close_start();
    b.subst(static_cast<std::uint16_t>(k), 0, true);
    b.end();
  }
  b.end();
  b.eof();
  b.end_template(size_at);
  return def_off;
}

TEST(BinXml, EverySubstitutionType) {
  std::vector<builder::val> vals = {
      {vtype::string, u16s(u"caf\u00e9\U0001F600")},
      {vtype::ansi_string, {'a', 'b', 0xe9, 0}},
      {vtype::int8, le(0xff, 1)},
      {vtype::uint8, le(0xff, 1)},
      {vtype::int16, le(0xfffe, 2)},
      {vtype::uint16, le(4624, 2)},
      {vtype::int32, le(0xfffffffd, 4)},
      {vtype::uint32, le(4294967295u, 4)},
      {vtype::int64, le(static_cast<std::uint64_t>(-5), 8)},
      {vtype::uint64, le(18446744073709551615ull, 8)},
      {vtype::real32, le(0x3fc00000, 4)},             // 1.5f
      {vtype::real64, le(0x4004000000000000ull, 8)},  // 2.5
      {vtype::boolean, le(1, 4)},
      {vtype::binary, {0xd9, 0x06, 0x00, 0x0a}},
      {vtype::guid,
       {0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3,
        0x0d}},
      {vtype::size_t_, le(0x1f, 8)},
      {vtype::filetime, le(132433920000000001ull, 8)},  // 2020-09-01T00:00:00.0000001Z
      {vtype::systemtime,
       [] {
         std::vector<std::uint8_t> t;
         for (std::uint16_t v : {2019, 4, 2, 30, 22, 48, 58, 901}) {
           auto x = le(v, 2);
           t.insert(t.end(), x.begin(), x.end());
         }
         return t;
       }()},
      {vtype::sid, {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}},  // S-1-5-18
      {vtype::hex_int32, le(0xc000006d, 4)},
      {vtype::hex_int64, le(0x3e7, 8)},
      {vtype::null, {}},
      {vtype::int32, le(7, 2)},  // size does not fit the type: hex bytes
  };
  builder b;
  const std::uint32_t start = b.pos();
  b.fragment();
  std::uint32_t size_at = 0;
  build_template(b, size_at, static_cast<int>(vals.size()));
  b.values(vals);
  b.eof();
  auto r = run_once(b, start);
  ASSERT_FALSE(r.error) << *r.error;
  const std::vector<std::string> want = {
      "caf\xc3\xa9\xf0\x9f\x98\x80",
      "ab\xc3\xa9",
      "-1",
      "255",
      "-2",
      "4624",
      "-3",
      "4294967295",
      "-5",
      "18446744073709551615",
      "1.5",
      "2.5",
      "true",
      "D906000A",
      "{54849625-5478-4994-a5ba-3e3b0328c30d}",
      "0x1f",
      "2020-09-01T00:00:00.0000001Z",
      "2019-04-30T22:48:58.901Z",
      "S-1-5-18",
      "0xc000006d",
      "0x3e7",
      "",
      "0700",
  };
  std::string expected = "<EventData>";
  for (std::size_t k = 0; k < want.size(); ++k) {
    std::string name = std::string("v") + static_cast<char>('a' + k);
    expected += want[k].empty() ? "<Data Name=\"" + name + "\"/>"
                                : "<Data Name=\"" + name + "\">" + want[k] + "</Data>";
  }
  expected += "</EventData>";
  EXPECT_EQ(r.xml, expected);
}

TEST(BinXml, ArraySubstitutions) {
  std::vector<builder::val> vals = {
      {vtype::string | vtype::array, u16s(std::u16string(u"one\0two\0", 8))},
      {vtype::uint16 | vtype::array, {1, 0, 2, 0, 3, 0}},
      {vtype::sid | vtype::array,
       {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0}},
      {vtype::uint32 | vtype::array, {}},  // empty: one empty value
  };
  builder b;
  const std::uint32_t start = b.pos();
  b.fragment();
  std::uint32_t size_at = 0;
  build_template(b, size_at, 4);
  b.values(vals);
  b.eof();
  auto r = run_once(b, start);
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.xml,
            "<EventData><Data Name=\"va\">one,two</Data><Data Name=\"vb\">1,2,3</Data>"
            "<Data Name=\"vc\">S-1-5-18,S-1-5-32-544</Data><Data Name=\"vd\"></Data></EventData>");
}

TEST(BinXml, TemplatesAndNamesAreReusedByOffset) {
  builder b;
  const std::uint32_t first = b.pos();
  b.fragment();
  std::uint32_t size_at = 0;
  const std::uint32_t def_off = build_template(b, size_at, 2);
  b.values({{vtype::string, u16s(u"x")}, {vtype::uint8, {7}}});
  b.eof();
  const std::uint32_t second = b.pos();
  b.fragment();
  b.instance_of(def_off);
  b.values({{vtype::string, u16s(u"y")}, {vtype::null, {}}});
  b.eof();
  chunk_interpreter in;
  in.reset(b.bytes());
  auto r1 = run(in, b.bytes(), first, second);
  auto r2 = run(in, b.bytes(), second, b.pos());
  ASSERT_FALSE(r1.error) << *r1.error;
  ASSERT_FALSE(r2.error) << *r2.error;
  EXPECT_EQ(r1.xml, "<EventData><Data Name=\"va\">x</Data><Data Name=\"vb\">7</Data></EventData>");
  EXPECT_EQ(r2.xml, "<EventData><Data Name=\"va\">y</Data><Data Name=\"vb\"/></EventData>");
  EXPECT_EQ(in.templates_compiled(), 1u);
}

TEST(BinXml, EmbeddedBinXmlValueWithoutDependencyIdentifier) {
  builder b;
  const std::uint32_t start = b.pos();
  b.fragment();
  std::uint32_t size_at = b.begin_template();
  b.fragment();
  b.open(u"UserData", false);
  b.close_start();
  b.subst(0, vtype::binxml);
  b.end();
  b.eof();
  b.end_template(size_at);
  // The value: <LogFileCleared><SubjectUserName>alice</SubjectUserName></LogFileCleared>, its
  // element starts without the 2-byte dependency identifier. Names are defined inline at their
  // final chunk offsets, so the value is assembled in place after the descriptor.
  b.u32(1);
  const std::uint32_t desc = b.pos();
  b.u32(0);  // descriptor patched below
  const std::uint32_t value_start = b.pos();
  b.fragment();
  b.open(u"LogFileCleared", false, 0, false);
  b.close_start();
  b.open(u"SubjectUserName", false, 0, false);
  b.close_start();
  b.text(u"alice");
  b.end();
  b.end();
  b.eof();
  const std::uint32_t size = b.pos() - value_start;
  b.put32(desc, size | (static_cast<std::uint32_t>(vtype::binxml) << 16));
  b.eof();
  auto r = run_once(b, start);
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.xml,
            "<UserData><LogFileCleared><SubjectUserName>alice</SubjectUserName></LogFileCleared>"
            "</UserData>");
}

TEST(BinXml, MalformedStreamsFailWithAReason) {
  {
    builder b;
    const std::uint32_t start = b.pos();
    b.fragment();
    b.u8(0x13);  // not a token
    auto r = run_once(b, start);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(*r.error, "unsupported binary XML token 0x13 at chunk offset 516");
  }
  {
    builder b;
    const std::uint32_t start = b.pos();
    b.fragment();
    b.open(u"Event", false);
    b.close_start();
    b.eof();  // end of stream inside <Event>
    auto r = run_once(b, start);
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("end of stream inside an element"), std::string::npos) << *r.error;
  }
  {
    builder b;  // a name offset pointing forward, outside the stream
    const std::uint32_t start = b.pos();
    b.fragment();
    b.u8(0x01);
    b.u16(0xffff);
    b.u32(0);
    b.u32(60000);
    auto r = run_once(b, start);
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("has no valid name"), std::string::npos) << *r.error;
  }
  {
    builder b;  // a template instance whose definition offset is its own token
    const std::uint32_t start = b.pos();
    b.fragment();
    const std::uint32_t self = b.pos();
    b.instance_of(self);
    b.values({});
    auto r = run_once(b, start);
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("bad template definition offset"), std::string::npos) << *r.error;
  }
}

TEST(BinXml, ExponentialTemplateFanOutIsBounded) {
  // Template T0 = <a/>; T(k+1) instantiates T(k) 40 times: 40^6 elements if expanded.
  builder b;
  const std::uint32_t start = b.pos();
  b.fragment();
  std::uint32_t size_at = b.begin_template();
  std::uint32_t prev = size_at - 20;
  b.fragment();
  b.open(u"a", false);
  b.close_empty();
  b.eof();
  b.end_template(size_at);
  b.values({});
  for (int level = 0; level < 6; ++level) {
    size_at = b.begin_template();
    const std::uint32_t def = size_at - 20;
    b.fragment();
    b.open(u"g", false);
    b.close_start();
    for (int k = 0; k < 40; ++k) {
      b.instance_of(prev);
      b.values({});
    }
    b.end();
    b.eof();
    b.end_template(size_at);
    b.values({});
    prev = def;
  }
  b.eof();
  chunk_interpreter in;
  in.reset(b.bytes(), limits{.max_nesting = 16});
  auto r = run(in, b.bytes(), start, b.pos());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("expands to more than"), std::string::npos) << *r.error;
}

TEST(BinXml, EveryTruncationAndRandomCorruptionIsSafe) {
  builder b;
  const std::uint32_t start = b.pos();
  b.fragment();
  std::uint32_t size_at = 0;
  build_template(b, size_at, 3);
  b.values({{vtype::string, u16s(u"abc")},
            {vtype::sid, {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}},
            {vtype::string | vtype::array, u16s(std::u16string(u"a\0b\0", 4))}});
  b.eof();
  const std::vector<std::uint8_t> good = b.bytes();
  chunk_interpreter in;
  in.reset(good);
  const std::string full = run(in, good, start, static_cast<std::uint32_t>(good.size())).xml;
  ASSERT_FALSE(full.empty());
  std::size_t accepted = 0;
  for (std::uint32_t end = start; end < good.size(); ++end) {
    in.reset(good);
    auto r = run(in, good, start, end);
    if (r.error) continue;
    // Only the empty stream, the bare fragment header and the stream without its final
    // end-of-stream token are complete documents.
    ++accepted;
    EXPECT_TRUE(r.xml.empty() || r.xml == full) << "prefix to " << end << ": " << r.xml;
  }
  EXPECT_EQ(accepted, 3u);
  std::mt19937 rng(42);
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      bad[start + rng() % (bad.size() - start)] = static_cast<std::uint8_t>(rng());
    }
    in.reset(bad);
    (void)run(in, bad, start, static_cast<std::uint32_t>(bad.size()));
  }
}

TEST(BinXmlValues, UnpairedSurrogatesAndLargeSidAuthority) {
  std::string out;
  append_utf16le(out, std::vector<std::uint8_t>{0x41, 0x00, 0x00, 0xd8, 0x42, 0x00, 0x00, 0xdc});
  EXPECT_EQ(out,
            "A\xef\xbf\xbd"
            "B\xef\xbf\xbd");
  out.clear();
  append_value_text(out, vtype::sid, std::vector<std::uint8_t>{1, 0, 1, 2, 3, 4, 5, 6});
  EXPECT_EQ(out, "S-1-0x010203040506");
  out.clear();
  append_value_text(out, vtype::sid, std::vector<std::uint8_t>{1, 5, 0, 0});  // truncated
  EXPECT_EQ(out, "01050000");
  EXPECT_EQ(filetime_to_unix_ns(116444736000000000ull), 0);
  EXPECT_FALSE(filetime_to_unix_ns(0xffffffffffffffffull));
}

// Record walking over a chunk image with a correct header.
std::vector<std::uint8_t> chunk_with_records(const std::vector<std::vector<std::uint8_t>>& recs,
                                             std::uint32_t& free_space) {
  std::vector<std::uint8_t> c(512, 0);
  std::memcpy(c.data(), "ElfChnk", 8);
  for (const auto& r : recs) c.insert(c.end(), r.begin(), r.end());
  free_space = static_cast<std::uint32_t>(c.size());
  c.resize(chunk_size, 0);
  auto put = [&](std::size_t at, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) c[at + k] = static_cast<std::uint8_t>(v >> (8 * k));
  };
  put(40, 128);
  put(48, free_space);
  put(52, static_cast<std::uint32_t>(crc32(0, c.data() + 512, free_space - 512)));
  std::uint32_t h = static_cast<std::uint32_t>(crc32(0, c.data(), 120));
  h = static_cast<std::uint32_t>(crc32(h, c.data() + 128, 384));
  put(124, h);
  return c;
}

std::vector<std::uint8_t> record(std::uint64_t id, std::size_t body, std::uint32_t copy = 0) {
  const auto size = static_cast<std::uint32_t>(28 + body);
  std::vector<std::uint8_t> r;
  auto add = [&](std::uint64_t v, int n) {
    for (int k = 0; k < n; ++k) r.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
  };
  add(record_signature, 4);
  add(size, 4);
  add(id, 8);
  add(0, 8);
  r.resize(r.size() + body, 0);
  add(copy == 0 ? size : copy, 4);
  return r;
}

TEST(EvtxChunk, HeaderChecksumsAndRecordWalk) {
  std::uint32_t free_space = 0;
  auto garbage = std::vector<std::uint8_t>(16, 0x77);
  auto c =
      chunk_with_records({record(1, 8), record(2, 16, 999), garbage, record(3, 4)}, free_space);
  auto h = parse_chunk_header(c);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->header_checksum_ok);
  EXPECT_TRUE(h->data_checksum_ok);
  EXPECT_EQ(h->free_space_offset, free_space);
  record_walker w(c, free_space);
  std::vector<std::string> seen;
  while (auto it = w.next()) {
    switch (it->what) {
      case record_item::kind::record:
        seen.push_back("record " + std::to_string(it->id) + "@" + std::to_string(it->offset));
        break;
      case record_item::kind::broken:
        seen.push_back("broken " + std::to_string(it->id) + ": " + it->reason);
        break;
      case record_item::kind::garbage:
        seen.push_back("garbage@" + std::to_string(it->offset) + ": " + it->reason);
        break;
    }
  }
  // The broken record's resynchronisation skips the garbage after it in the same step.
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "record 1@512");
  EXPECT_EQ(seen[1], "broken 2: record size 44 does not match its trailing copy 999");
  EXPECT_EQ(seen[2], "record 3@608");
  auto c2 = chunk_with_records({record(1, 8), garbage, record(3, 4)}, free_space);
  record_walker w2(c2, free_space);
  auto a = w2.next();
  auto g = w2.next();
  auto d = w2.next();
  ASSERT_TRUE(a && g && d);
  EXPECT_EQ(g->what, record_item::kind::garbage);
  EXPECT_EQ(g->reason, "no record signature; 16 bytes skipped");
  EXPECT_EQ(g->offset, 548u);
  EXPECT_EQ(d->id, 3u);
  EXPECT_FALSE(w2.next());
  c[600] ^= 1;  // inside the records: the data checksum breaks, the header one does not
  h = parse_chunk_header(c);
  EXPECT_TRUE(h->header_checksum_ok);
  EXPECT_FALSE(h->data_checksum_ok);
}

}  // namespace
}  // namespace mamori::evtx
