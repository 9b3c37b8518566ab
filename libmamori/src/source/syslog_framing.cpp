#include "mamori/source/syslog_framing.hpp"

namespace mamori::source {

void syslog_framer::emit(const message_fn& f) {
  // Strip a trailing CR, replace embedded line breaks.
  while (!buf_.empty() && (buf_.back() == '\r' || buf_.back() == '\n')) buf_.pop_back();
  for (char& c : buf_)
    if (c == '\n' || c == '\r') c = ' ';
  if (!buf_.empty()) {
    ++stats_.messages;
    f(buf_);
  }
  buf_.clear();
}

void syslog_framer::feed(std::string_view data, const message_fn& on_message) {
  std::size_t i = 0;
  while (i < data.size()) {
    const char c = data[i];
    switch (st_) {
      case state::start:
        if (c == '\n' || c == '\r' || c == '\0' || c == ' ') {
          ++i;  // blank lines and stray separators between frames
        } else if (c >= '1' && c <= '9') {
          st_ = state::count;
          buf_.clear();
        } else {
          st_ = state::line;
          buf_.clear();
        }
        break;
      case state::count:
        if (c >= '0' && c <= '9' && buf_.size() < 12) {
          buf_ += c;
          ++i;
        } else if (c == ' ' && !buf_.empty()) {
          const std::uint64_t n = std::stoull(buf_);
          buf_.clear();
          ++i;
          if (n > max_) {
            ++stats_.oversized;
            remaining_ = n;
            st_ = state::skip_octets;
          } else {
            remaining_ = n;
            st_ = n == 0 ? state::start : state::octets;
          }
        } else {
          // Not an octet count after all: the digits start a newline-framed message.
          ++stats_.bad_counts;
          st_ = state::line;
        }
        break;
      case state::octets: {
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - i));
        buf_.append(data.substr(i, take));
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          emit(on_message);
          st_ = state::start;
        }
        break;
      }
      case state::skip_octets: {
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - i));
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) st_ = state::start;
        break;
      }
      case state::line: {
        std::size_t end = i;
        while (end < data.size() && data[end] != '\n' && data[end] != '\0') ++end;
        if (buf_.size() + (end - i) > max_) {
          ++stats_.oversized;
          buf_.clear();
          st_ = state::skip_line;
          i = end;
          break;
        }
        buf_.append(data.substr(i, end - i));
        i = end;
        if (i < data.size()) {
          ++i;  // the trailer
          emit(on_message);
          st_ = state::start;
        }
        break;
      }
      case state::skip_line:
        while (i < data.size() && data[i] != '\n' && data[i] != '\0') ++i;
        if (i < data.size()) {
          ++i;
          st_ = state::start;
        }
        break;
    }
  }
}

void syslog_framer::finish(const message_fn& on_message) {
  if (st_ == state::line || st_ == state::count) emit(on_message);
  else if (st_ == state::octets && !buf_.empty()) emit(on_message);  // truncated frame: keep what came
  buf_.clear();
  st_ = state::start;
}

}  // namespace mamori::source
