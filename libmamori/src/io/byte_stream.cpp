#include "mamori/io/byte_stream.hpp"

#include <fmt/format.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace mamori {

namespace {

// Raw bytes from a FILE* or from memory, with a small put-back buffer for the magic bytes.
class raw_source {
 public:
  virtual ~raw_source() = default;
  virtual result<std::size_t> read(char* buf, std::size_t n) = 0;
  std::uint64_t bytes_read = 0;
};

class file_source final : public raw_source {
 public:
  file_source(std::FILE* f, bool owned) : f_(f), owned_(owned) {}
  ~file_source() override {
    if (owned_) std::fclose(f_);
  }
  file_source(const file_source&) = delete;
  file_source& operator=(const file_source&) = delete;

  result<std::size_t> read(char* buf, std::size_t n) override {
    std::size_t got = std::fread(buf, 1, n, f_);
    if (got == 0 && std::ferror(f_))
      return fail(fmt::format("read error: {}", std::strerror(errno)));
    bytes_read += got;
    return got;
  }

 private:
  std::FILE* f_;
  bool owned_;
};

class memory_source final : public raw_source {
 public:
  explicit memory_source(std::string bytes) : owned_(std::move(bytes)), bytes_(owned_) {}
  explicit memory_source(std::string_view bytes) : bytes_(bytes) {}
  result<std::size_t> read(char* buf, std::size_t n) override {
    std::size_t got = std::min(n, bytes_.size() - pos_);
    std::memcpy(buf, bytes_.data() + pos_, got);
    pos_ += got;
    bytes_read += got;
    return got;
  }

 private:
  std::string owned_;
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

// Replays the sniffed magic bytes before the rest of the source.
class prefixed {
 public:
  prefixed(std::unique_ptr<raw_source> src, std::string prefix)
      : src_(std::move(src)), prefix_(std::move(prefix)) {}
  result<std::size_t> read(char* buf, std::size_t n) {
    if (pos_ < prefix_.size()) {
      std::size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return src_->read(buf, n);
  }
  std::uint64_t bytes_read() const { return src_->bytes_read; }

 private:
  std::unique_ptr<raw_source> src_;
  std::string prefix_;
  std::size_t pos_ = 0;
};

class plain_stream final : public byte_stream {
 public:
  explicit plain_stream(prefixed src) : src_(std::move(src)) {}
  result<std::size_t> read(char* buf, std::size_t n) override { return src_.read(buf, n); }
  std::uint64_t raw_bytes_read() const override { return src_.bytes_read(); }
  compression kind() const override { return compression::none; }

 private:
  prefixed src_;
};

class gzip_stream final : public byte_stream {
 public:
  explicit gzip_stream(prefixed src) : src_(std::move(src)), in_(1 << 16) {
    std::memset(&z_, 0, sizeof z_);
    // 15 + 32: zlib or gzip header, detected automatically.
    inflateInit2(&z_, 15 + 32);
  }
  ~gzip_stream() override { inflateEnd(&z_); }
  gzip_stream(const gzip_stream&) = delete;
  gzip_stream& operator=(const gzip_stream&) = delete;

  result<std::size_t> read(char* buf, std::size_t n) override {
    if (done_) return 0;
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out == n) {
      if (z_.avail_in == 0) {
        auto got = src_.read(in_.data(), in_.size());
        if (!got) return tl::unexpected(got.error());
        if (*got == 0) {
          done_ = true;
          if (mid_member_) {
            return fail(
                fmt::format("truncated gzip stream after {} compressed bytes", src_.bytes_read()));
          }
          return 0;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(*got);
      }
      mid_member_ = true;
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        mid_member_ = false;
        // Concatenated gzip members (as `cat a.gz b.gz` produces) continue the stream.
        inflateReset(&z_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        done_ = true;
        return fail(fmt::format("corrupt gzip data after {} compressed bytes: {}",
                                src_.bytes_read(), z_.msg != nullptr ? z_.msg : "inflate error"));
      }
    }
    return n - z_.avail_out;
  }
  std::uint64_t raw_bytes_read() const override { return src_.bytes_read(); }
  compression kind() const override { return compression::gzip; }

 private:
  prefixed src_;
  std::vector<char> in_;
  z_stream z_{};
  bool done_ = false;
  bool mid_member_ = false;
};

class zstd_stream final : public byte_stream {
 public:
  explicit zstd_stream(prefixed src)
      : src_(std::move(src)), in_(ZSTD_DStreamInSize()), ctx_(ZSTD_createDCtx()) {}
  ~zstd_stream() override { ZSTD_freeDCtx(ctx_); }
  zstd_stream(const zstd_stream&) = delete;
  zstd_stream& operator=(const zstd_stream&) = delete;

  result<std::size_t> read(char* buf, std::size_t n) override {
    if (done_) return 0;
    ZSTD_outBuffer out{buf, n, 0};
    while (out.pos == 0) {
      if (input_.pos == input_.size) {
        auto got = src_.read(in_.data(), in_.size());
        if (!got) return tl::unexpected(got.error());
        if (*got == 0) {
          done_ = true;
          if (last_hint_ != 0) {
            return fail(
                fmt::format("truncated zstd stream after {} compressed bytes", src_.bytes_read()));
          }
          return 0;
        }
        input_ = ZSTD_inBuffer{in_.data(), *got, 0};
      }
      std::size_t hint = ZSTD_decompressStream(ctx_, &out, &input_);
      if (ZSTD_isError(hint)) {
        done_ = true;
        return fail(fmt::format("corrupt zstd data after {} compressed bytes: {}",
                                src_.bytes_read(), ZSTD_getErrorName(hint)));
      }
      last_hint_ = hint;
    }
    return out.pos;
  }
  std::uint64_t raw_bytes_read() const override { return src_.bytes_read(); }
  compression kind() const override { return compression::zstd; }

 private:
  prefixed src_;
  std::vector<char> in_;
  ZSTD_DCtx* ctx_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  std::size_t last_hint_ = 0;
  bool done_ = false;
};

result<std::unique_ptr<byte_stream>> wrap(std::unique_ptr<raw_source> src) {
  std::string magic(4, '\0');
  std::size_t have = 0;
  while (have < magic.size()) {
    auto got = src->read(magic.data() + have, magic.size() - have);
    if (!got) return tl::unexpected(got.error());
    if (*got == 0) break;
    have += *got;
  }
  magic.resize(have);
  auto u = [&](std::size_t k) { return static_cast<unsigned char>(magic[k]); };
  const bool gzip = have >= 2 && u(0) == 0x1f && u(1) == 0x8b;
  const bool zstd = have >= 4 && u(0) == 0x28 && u(1) == 0xb5 && u(2) == 0x2f && u(3) == 0xfd;
  prefixed p(std::move(src), std::move(magic));
  if (gzip) return std::make_unique<gzip_stream>(std::move(p));
  if (zstd) return std::make_unique<zstd_stream>(std::move(p));
  return std::make_unique<plain_stream>(std::move(p));
}

}  // namespace

result<std::unique_ptr<byte_stream>> open_input(const std::string& path) {
  if (path == "-") return wrap(std::make_unique<file_source>(stdin, false));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return fail(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  return wrap(std::make_unique<file_source>(f, true));
}

std::unique_ptr<byte_stream> memory_input(std::string bytes) {
  auto r = wrap(std::make_unique<memory_source>(std::move(bytes)));
  return std::move(*r);  // memory reads cannot fail
}

std::unique_ptr<byte_stream> memory_view_input(std::string_view bytes) {
  auto r = wrap(std::make_unique<memory_source>(bytes));
  return std::move(*r);
}

}  // namespace mamori
