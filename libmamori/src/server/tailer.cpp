#include "mamori/server/tailer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>

namespace mamori::server {

namespace {

constexpr std::uint64_t max_read = 8u << 20;  // per file per poll

bool compressed_name(const std::string& name) {
  for (const char* ext : {".gz", ".zst", ".xz", ".bz2", ".zip"})
    if (name.ends_with(ext)) return true;
  return false;
}

std::string key_text(const tailer::file_key& k) { return fmt::format("{}:{}", k.dev, k.ino); }

}  // namespace

tailer::tailer(std::vector<tail_input> inputs, double interval_s, pipeline& pipe,
               std::unique_ptr<state_db> state)
    : inputs_(std::move(inputs)), interval_s_(interval_s), pipe_(pipe), state_(std::move(state)) {}

tailer::~tailer() { stop(); }

result<void> tailer::load() {
  auto rows = MAMORI_TRY(state_->tail_offsets());
  std::lock_guard lock(mutex_);
  for (const auto& r : rows) offsets_[{r.dev, r.ino}] = r.offset;
  return {};
}

void tailer::observe(const store::wal_entry& e) {
  // origin "tail:DEV:INODE:END"
  std::string_view o = e.origin;
  if (!o.starts_with("tail:")) return;
  o.remove_prefix(5);
  std::uint64_t v[3] = {};
  for (int i = 0; i < 3; ++i) {
    auto colon = o.find(':');
    std::string_view part = o.substr(0, colon);
    std::from_chars(part.data(), part.data() + part.size(), v[i]);
    if (colon == std::string_view::npos) break;
    o.remove_prefix(colon + 1);
  }
  file_key k{v[0], v[1]};
  std::lock_guard lock(mutex_);
  auto& off = offsets_[k];
  if (v[2] > off) {
    off = v[2];
    save(k, off);
  }
}

void tailer::save(const file_key& k, std::uint64_t offset) {
  (void)state_->set_tail_offset({key_text(k), k.dev, k.ino, offset});
}

std::uint64_t tailer::poll() {
  std::uint64_t total = 0;
  for (const auto& in : inputs_) {
    std::vector<std::string> files;
    std::error_code ec;
    if (std::filesystem::is_directory(in.path, ec)) {
      for (const auto& de : std::filesystem::directory_iterator(in.path, ec)) {
        if (!de.is_regular_file(ec)) continue;
        const std::string name = de.path().filename().string();
        if (compressed_name(name)) continue;
        if (::fnmatch(in.pattern.c_str(), name.c_str(), 0) != 0) continue;
        files.push_back(de.path().string());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(in.path);
    }
    for (const auto& path : files) {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      struct stat st {};
      if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        continue;
      }
      const file_key k{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
      std::uint64_t offset;
      {
        std::lock_guard lock(mutex_);
        offset = offsets_[k];
      }
      const auto size = static_cast<std::uint64_t>(st.st_size);
      if (size < offset) offset = 0;  // truncated in place (copytruncate)
      if (size == offset) {
        ::close(fd);
        continue;
      }
      std::string buf(static_cast<std::size_t>(std::min(size - offset, max_read)), '\0');
      const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
      ::close(fd);
      if (n <= 0) continue;
      buf.resize(static_cast<std::size_t>(n));
      const auto nl = buf.rfind('\n');
      if (nl == std::string::npos) {
        // A line longer than one read: take it whole once it is complete; never stall.
        if (buf.size() < max_read) continue;
      } else {
        buf.resize(nl + 1);
      }
      if (!pipe_.try_reserve(buf.size())) {
        pipe_.note_throttled();
        continue;  // the next poll retries from the same offset
      }
      const std::uint64_t end = offset + buf.size();
      store::wal_entry e;
      e.source = in.source.empty() ? "tail:" + path : in.source;
      e.format = in.format;
      e.origin = fmt::format("tail:{}:{}:{}", k.dev, k.ino, end);
      const std::uint64_t size_read = buf.size();
      e.body = std::move(buf);
      auto seq = pipe_.ingest(std::move(e));
      if (!seq) {
        pipe_.unreserve(size_read);
        fmt::print(stderr, "mamori serve: tail {}: {}\n", path, seq.error().message);
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        offsets_[k] = end;
        save(k, end);
      }
      total += size_read;
    }
  }
  return total;
}

void tailer::start() {
  if (inputs_.empty()) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      const std::uint64_t n = poll();
      lock.lock();
      if (n == 0 || stop_)
        cv_.wait_for(lock, std::chrono::duration<double>(interval_s_), [&] { return stop_; });
    }
  });
}

void tailer::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mamori::server
