#include "mamori/store/wal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace mamori::store {

namespace {

constexpr std::uint32_t magic = 0x4c41574d;  // "MWAL" little endian
constexpr std::size_t header_size = 4 + 4 + 8 + 8 + 4;

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the hosts mamori targets are little endian
  out.append(b, sizeof(T));
}

template <typename T>
T get(std::string_view data, std::size_t pos) {
  T v;
  std::memcpy(&v, data.data() + pos, sizeof(T));
  return v;
}

std::string errno_text() { return std::strerror(errno); }

result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(fmt::format("write-ahead log write failed: {}", errno_text()));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

void sync_dir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string segment_name(const std::string& dir, std::uint64_t first_seq) {
  return fmt::format("{}/{:016x}.wal", dir, first_seq);
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  out.resize(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return static_cast<bool>(in) || in.eof();
}

}  // namespace

std::string wal::encode(const wal_entry& e, std::uint64_t seq) {
  std::string payload;
  payload.reserve(e.source.size() + e.format.size() + e.origin.size() + e.body.size() + 8);
  put<std::uint16_t>(payload, static_cast<std::uint16_t>(std::min<std::size_t>(e.source.size(), 0xffff)));
  payload.append(e.source.data(), std::min<std::size_t>(e.source.size(), 0xffff));
  put<std::uint16_t>(payload, static_cast<std::uint16_t>(std::min<std::size_t>(e.format.size(), 0xffff)));
  payload.append(e.format.data(), std::min<std::size_t>(e.format.size(), 0xffff));
  put<std::uint32_t>(payload, static_cast<std::uint32_t>(e.origin.size()));
  payload += e.origin;
  payload += e.body;
  std::string out;
  out.reserve(header_size + payload.size());
  put<std::uint32_t>(out, magic);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(payload.size()));
  put<std::uint64_t>(out, seq);
  put<std::int64_t>(out, e.received_ns);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(
                              crc32(0, reinterpret_cast<const Bytef*>(payload.data()),
                                    static_cast<uInt>(payload.size()))));
  out += payload;
  return out;
}

std::size_t wal::decode(std::string_view data, std::size_t pos, wal_entry& out,
                        std::string& reason) {
  if (data.size() - pos < header_size) {
    reason = "truncated record header";
    return 0;
  }
  if (get<std::uint32_t>(data, pos) != magic) {
    reason = "bad record magic";
    return 0;
  }
  const std::uint32_t len = get<std::uint32_t>(data, pos + 4);
  if (data.size() - pos - header_size < len) {
    reason = "truncated record payload";
    return 0;
  }
  std::string_view payload = data.substr(pos + header_size, len);
  const std::uint32_t crc = get<std::uint32_t>(data, pos + 24);
  if (crc != static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(payload.data()),
                                              static_cast<uInt>(payload.size())))) {
    reason = "record checksum mismatch";
    return 0;
  }
  std::size_t p = 0;
  auto take = [&](std::size_t n, std::string& dst) {
    if (payload.size() - p < n) return false;
    dst.assign(payload.substr(p, n));
    p += n;
    return true;
  };
  if (payload.size() < 2) {
    reason = "malformed payload";
    return 0;
  }
  std::size_t n = get<std::uint16_t>(payload, p);
  p += 2;
  if (!take(n, out.source) || payload.size() - p < 2) {
    reason = "malformed payload";
    return 0;
  }
  n = get<std::uint16_t>(payload, p);
  p += 2;
  if (!take(n, out.format) || payload.size() - p < 4) {
    reason = "malformed payload";
    return 0;
  }
  n = get<std::uint32_t>(payload, p);
  p += 4;
  if (!take(n, out.origin)) {
    reason = "malformed payload";
    return 0;
  }
  out.body.assign(payload.substr(p));
  out.seq = get<std::uint64_t>(data, pos + 8);
  out.received_ns = get<std::int64_t>(data, pos + 16);
  return header_size + len;
}

result<std::unique_ptr<wal>> wal::open(const std::string& dir, wal_options options,
                                       diagnostics& diag) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(fmt::format("{}: cannot create write-ahead log directory: {}", dir, ec.message()));
  std::unique_ptr<wal> w(new wal(dir, options));
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = de.path().filename().string();
    if (name.size() != 20 || !name.ends_with(".wal")) continue;
    std::uint64_t first = 0;
    try {
      first = std::stoull(name.substr(0, 16), nullptr, 16);
    } catch (...) {
      continue;
    }
    w->segments_.push_back({first, de.path().string()});
  }
  std::sort(w->segments_.begin(), w->segments_.end(),
            [](const segment& a, const segment& b) { return a.first_seq < b.first_seq; });
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < w->segments_.size(); ++i) {
    const auto& seg = w->segments_[i];
    std::string data;
    if (!read_file(seg.path, data)) return fail(fmt::format("{}: cannot read", seg.path));
    std::size_t pos = 0;
    wal_entry e;
    std::string reason;
    while (pos < data.size()) {
      std::size_t n = decode(data, pos, e, reason);
      if (n == 0) break;
      last = std::max(last, e.seq);
      pos += n;
    }
    if (pos < data.size()) {
      const bool tail = i + 1 == w->segments_.size();
      diag.report(tail ? severity_level::warning : severity_level::error, {seg.path, 0, pos},
                  fmt::format("write-ahead log: {}; {} bytes after it {}", reason,
                              data.size() - pos,
                              tail ? "truncated (a write interrupted by a crash, never "
                                     "acknowledged)"
                                   : "skipped"));
      if (tail && ::truncate(seg.path.c_str(), static_cast<off_t>(pos)) != 0) {
        return fail(fmt::format("{}: cannot truncate torn tail: {}", seg.path, errno_text()));
      }
    }
    if (i + 1 == w->segments_.size()) w->segment_size_ = pos;
  }
  w->next_seq_ = last + 1;
  w->written_seq_ = w->synced_seq_ = last;
  if (!w->segments_.empty()) {
    w->fd_ = ::open(w->segments_.back().path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (w->fd_ < 0) return fail(fmt::format("{}: cannot open: {}", w->segments_.back().path, errno_text()));
  }
  w->stats_.segments = w->segments_.size();
  return w;
}

wal::~wal() {
  std::unique_lock lock(mutex_);
  synced_cv_.wait(lock, [&] { return !syncing_; });
  if (fd_ >= 0) {
    if (options_.sync) ::fdatasync(fd_);
    ::close(fd_);
  }
}

result<void> wal::open_segment(std::uint64_t first_seq) {
  segment seg{first_seq, segment_name(dir_, first_seq)};
  int fd = ::open(seg.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return fail(fmt::format("{}: cannot create: {}", seg.path, errno_text()));
  if (options_.sync) sync_dir(dir_);
  fd_ = fd;
  segment_size_ = 0;
  segments_.push_back(std::move(seg));
  ++stats_.segments;
  return {};
}

result<std::uint64_t> wal::append(const wal_entry& entry) {
  std::string rec = encode(entry, 0);
  std::unique_lock lock(mutex_);
  if (failed_) return fail(failure_);
  if (fd_ < 0 || (segment_size_ > 0 && segment_size_ + rec.size() > options_.segment_bytes)) {
    // Rotation: the old segment is made durable and closed once no sync uses it.
    synced_cv_.wait(lock, [&] { return !syncing_; });
    if (fd_ >= 0) {
      if (options_.sync && ::fdatasync(fd_) != 0) {
        failed_ = true;
        failure_ = fmt::format("write-ahead log fdatasync failed: {}", errno_text());
        return fail(failure_);
      }
      synced_seq_ = written_seq_;
      ::close(fd_);
      fd_ = -1;
    }
    auto r = open_segment(next_seq_);
    if (!r) return tl::unexpected(r.error());
  }
  const std::uint64_t seq = next_seq_;
  std::memcpy(rec.data() + 8, &seq, sizeof seq);
  auto w = write_all(fd_, rec);
  if (!w) {
    // A partial write leaves a torn record: refuse further appends (truncated on restart).
    failed_ = true;
    failure_ = w.error().message;
    return tl::unexpected(w.error());
  }
  ++next_seq_;
  written_seq_ = seq;
  segment_size_ += rec.size();
  ++stats_.appends;
  stats_.bytes += rec.size();
  if (!options_.sync) {
    synced_seq_ = seq;
    return seq;
  }
  while (synced_seq_ < seq) {
    if (failed_) return fail(failure_);
    if (!syncing_) {
      syncing_ = true;
      const std::uint64_t target = written_seq_;
      const int fd = fd_;
      lock.unlock();
      const int rc = ::fdatasync(fd);
      const std::string err = rc != 0 ? errno_text() : std::string();
      lock.lock();
      syncing_ = false;
      ++stats_.syncs;
      if (rc != 0) {
        failed_ = true;
        failure_ = fmt::format("write-ahead log fdatasync failed: {}", err);
      } else {
        synced_seq_ = std::max(synced_seq_, target);
      }
      synced_cv_.notify_all();
    } else {
      synced_cv_.wait(lock);
    }
  }
  return seq;
}

result<std::uint64_t> wal::replay(std::uint64_t after,
                                  const std::function<void(wal_entry&&)>& f) {
  std::vector<segment> segs;
  {
    std::lock_guard lock(mutex_);
    segs = segments_;
  }
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    // Skip segments wholly at or below `after`.
    if (i + 1 < segs.size() && segs[i + 1].first_seq <= after + 1) continue;
    std::string data;
    if (!read_file(segs[i].path, data)) return fail(fmt::format("{}: cannot read", segs[i].path));
    std::size_t pos = 0;
    std::string reason;
    while (pos < data.size()) {
      wal_entry e;
      std::size_t k = decode(data, pos, e, reason);
      if (k == 0) break;
      pos += k;
      if (e.seq <= after) continue;
      ++n;
      f(std::move(e));
    }
  }
  return n;
}

void wal::checkpoint(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  // Keep the last segment always: it holds the sequence high-water mark.
  while (segments_.size() >= 2 && segments_[1].first_seq <= seq + 1) {
    ::unlink(segments_.front().path.c_str());
    segments_.erase(segments_.begin());
  }
}

void wal::reserve_seq(std::uint64_t next) {
  std::lock_guard lock(mutex_);
  if (next > next_seq_) {
    next_seq_ = next;
    written_seq_ = synced_seq_ = next - 1;
  }
}

std::uint64_t wal::last_seq() const {
  std::lock_guard lock(mutex_);
  return written_seq_;
}

wal_stats wal::stats() const {
  std::lock_guard lock(mutex_);
  wal_stats s = stats_;
  s.segments = segments_.size();
  return s;
}

}  // namespace mamori::store
