#include "mamori/identity/jwks.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "mamori/authz/http_client.hpp"

namespace mamori::identity {

namespace {

// A file's identity for change detection: inode, size and mtime together, because a
// coarse-grained mtime alone misses two writes in the same clock tick (an atomic rename
// always changes the inode).
std::int64_t mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  const auto mt = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                  static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  return static_cast<std::int64_t>(mt ^
                                   (static_cast<std::uint64_t>(st.st_ino) * 0x9e3779b97f4a7c15u) ^
                                   (static_cast<std::uint64_t>(st.st_size) << 32));
}

}  // namespace

result<std::shared_ptr<jwks_source>> jwks_source::open(options o) {
  if (o.file.empty() == o.url.empty())
    return fail("a JWKS source needs exactly one of file or url");
  std::shared_ptr<jwks_source> s(new jwks_source(std::move(o)));
  auto n = s->reload();
  if (!n) return tl::unexpected(n.error());
  s->thread_ = std::thread([raw = s.get()] { raw->run(); });
  return s;
}

jwks_source::~jwks_source() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

result<std::string> jwks_source::fetch() {
  if (!opts_.file.empty()) {
    std::ifstream in(opts_.file, std::ios::binary);
    if (!in) return fail(fmt::format("cannot read JWKS file '{}'", opts_.file));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  authz::http_request req;
  req.url = opts_.url;
  req.timeout = opts_.timeout;
  req.headers.emplace_back("Accept", "application/json");
  auto res = authz::http_fetch(req);
  if (!res) return tl::unexpected(res.error());
  if (res->status != 200) return fail(fmt::format("GET {}: HTTP {}", opts_.url, res->status));
  return std::move(res->body);
}

result<std::size_t> jwks_source::reload() {
  const std::int64_t mtime = opts_.file.empty() ? 0 : mtime_ns(opts_.file);
  auto text = fetch();
  auto set = text ? parse_jwks(*text) : result<key_set>(tl::unexpected(text.error()));
  std::lock_guard lock(mutex_);
  last_load_ = std::chrono::steady_clock::now();
  if (!set) {
    last_error_ = set.error().message;
    return tl::unexpected(set.error());
  }
  file_mtime_ = mtime;
  last_error_.clear();
  const std::size_t n = set->keys.size();
  keys_.store(std::make_shared<const key_set>(std::move(*set)));
  loads_.fetch_add(1);
  return n;
}

void jwks_source::request_refresh() {
  {
    std::lock_guard lock(mutex_);
    if (requested_) return;  // already pending: a storm of unknown kids wakes nobody twice
    requested_ = true;
    ++request_seq_;
  }
  wake_.notify_all();
}

std::string jwks_source::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void jwks_source::run() {
  using namespace std::chrono;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    const auto since = steady_clock::now() - last_load_;
    bool load = false;
    if (requested_ && since >= opts_.min_refresh) {
      load = true;
    } else if (!opts_.file.empty()) {
      const std::int64_t known = file_mtime_;
      lock.unlock();
      load = mtime_ns(opts_.file) != known;
      lock.lock();
    } else {
      load = since >= opts_.refresh;
    }
    if (load) {
      requested_ = false;
      lock.unlock();
      (void)reload();  // failures keep the previous keys; last_error() reports them
      lock.lock();
      continue;
    }
    // Sleep until the next check: the file poll, the URL refresh, or the moment a pending
    // request for fresh keys is allowed by the rate limit.
    auto wait = opts_.file.empty() ? duration_cast<steady_clock::duration>(opts_.refresh) - since
                                   : duration_cast<steady_clock::duration>(seconds(2));
    if (requested_)
      wait = std::min(wait, duration_cast<steady_clock::duration>(opts_.min_refresh) - since);
    if (wait < milliseconds(1)) wait = milliseconds(1);
    const std::uint64_t seq = request_seq_;
    wake_.wait_for(lock, wait, [&] { return stop_ || request_seq_ != seq; });
  }
}

}  // namespace mamori::identity
