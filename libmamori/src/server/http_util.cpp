// Request helpers of the API that do not depend on the server (fuzzed: fuzz/serve_fuzz.cpp).
#include <fmt/format.h>

#include <charconv>

#include "mamori/io/byte_stream.hpp"
#include "mamori/output/json_text.hpp"
#include "mamori/server/api.hpp"

namespace mamori::server {

http_response json_response(unsigned status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

http_response error_response(unsigned status, std::string_view message) {
  std::string body = "{\"error\":";
  json_text::append_string(body, message);
  body += '}';
  return json_response(status, std::move(body));
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query_string(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    auto eq = kv.find('=');
    if (!kv.empty())
      out[url_decode(kv.substr(0, eq))] = eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

result<std::string> decompress_body(std::string body, const std::string& encoding,
                                    std::uint64_t limit) {
  const bool gz = body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
                  static_cast<unsigned char>(body[1]) == 0x8b;
  const bool zs = body.size() >= 4 && static_cast<unsigned char>(body[0]) == 0x28 &&
                  static_cast<unsigned char>(body[1]) == 0xb5 &&
                  static_cast<unsigned char>(body[2]) == 0x2f && static_cast<unsigned char>(body[3]) == 0xfd;
  if (encoding == "gzip" && !gz) return fail("Content-Encoding is gzip but the body is not gzip data");
  if (encoding == "zstd" && !zs) return fail("Content-Encoding is zstd but the body is not zstd data");
  if (!gz && !zs) {
    if (body.size() > limit) return fail("body too large");
    return body;
  }
  auto stream = memory_input(std::move(body));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    auto n = stream->read(buf, sizeof buf);
    if (!n) return fail(fmt::format("cannot decompress the body: {}", n.error().message));
    if (*n == 0) break;
    if (out.size() + *n > limit) return fail("body too large");
    out.append(buf, *n);
  }
  return out;
}

}  // namespace mamori::server
