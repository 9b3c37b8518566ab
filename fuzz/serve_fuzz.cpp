// libFuzzer target for what `mamori serve` parses from the network before any decoder runs:
// syslog TCP framing (octet counting and LF framing, fed in two arbitrary pieces), ingest
// body handling (gzip/zstd by magic, Content-Encoding checks, size limit), query strings and
// percent-decoding, the search language, and write-ahead log records (as read at recovery).
// Properties: no crash, no sanitizer report, no hang, framed messages never exceed the limit.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "mamori/server/api.hpp"
#include "mamori/source/syslog_framing.hpp"
#include "mamori/store/query.hpp"
#include "mamori/store/wal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  // Syslog framing, split at a point chosen by the first byte.
  {
    constexpr std::size_t limit = 4096;
    mamori::source::syslog_framer f(limit);
    const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    auto check = [&](std::string_view m) {
      if (m.size() > limit) std::abort();
      if (m.find('\n') != std::string_view::npos) std::abort();
    };
    f.feed(std::string_view(input).substr(0, cut), check);
    f.feed(std::string_view(input).substr(cut), check);
    f.finish(check);
  }
  // Ingest bodies.
  for (const char* enc : {"", "gzip", "zstd"}) (void)mamori::server::decompress_body(input, enc, 1 << 20);
  // Query strings and the search language.
  (void)mamori::server::parse_query_string(input);
  (void)mamori::store::parse_query(input, 1'700'000'000'000'000'000);
  // WAL records.
  {
    std::size_t pos = 0;
    mamori::store::wal_entry e;
    std::string reason;
    while (pos < input.size()) {
      const std::size_t n = mamori::store::wal::decode(input, pos, e, reason);
      if (n == 0) break;
      pos += n;
    }
  }
  return 0;
}
