#pragma once
// Syslog over TCP framing (RFC 6587): octet counting ("LEN SP MSG", section 3.4.1) and
// non-transparent framing (messages ended by LF, CRLF or NUL, section 3.4.2), detected per
// message: a message starting with a non-zero digit run followed by a space is
// octet-counted. Feed bytes as they arrive; complete messages come out. Limits: a message
// longer than max_message is dropped (counted, reported), never buffered whole.
//
// Messages are handed out with embedded CR/LF replaced by spaces, because the server stores
// syslog batches as one message per line.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace mamori::source {

struct framing_stats {
  std::uint64_t messages = 0;
  std::uint64_t oversized = 0;  // dropped for exceeding max_message
  std::uint64_t bad_counts = 0; // an octet count that was not a number (treated as a line)
};

class syslog_framer {
 public:
  using message_fn = std::function<void(std::string_view)>;

  explicit syslog_framer(std::size_t max_message = 64 * 1024) : max_(max_message) {}

  void feed(std::string_view data, const message_fn& on_message);
  // End of stream: a final message without a trailer is still a message.
  void finish(const message_fn& on_message);
  const framing_stats& stats() const { return stats_; }

 private:
  enum class state : std::uint8_t { start, count, octets, line, skip_octets, skip_line };
  void emit(const message_fn& f);

  std::size_t max_;
  state st_ = state::start;
  std::string buf_;
  std::uint64_t remaining_ = 0;
  framing_stats stats_;
};

}  // namespace mamori::source
