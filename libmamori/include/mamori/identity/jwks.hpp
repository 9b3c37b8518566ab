#pragma once
// A JWKS (an identity provider's signing keys) from a file or a URL, cached and rotated:
// the key set is an immutable snapshot swapped atomically; a background thread re-reads
// the file when it changes (checked every 2 s) or re-fetches the URL every `refresh`, and
// at once (at most every `min_refresh`) when a token names a key id it does not know —
// which is how a provider's key rotation shows up. A failed refresh keeps the last keys.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mamori/core/result.hpp"
#include "mamori/identity/crypto.hpp"

namespace mamori::identity {

class jwks_source {
 public:
  struct options {
    std::string file;  // one of file or url
    std::string url;
    std::chrono::seconds refresh{900};
    std::chrono::seconds min_refresh{10};
    std::chrono::milliseconds timeout{5000};
  };

  // Loads the keys once (an error if that fails) and starts the refresher.
  static result<std::shared_ptr<jwks_source>> open(options o);
  ~jwks_source();
  jwks_source(const jwks_source&) = delete;
  jwks_source& operator=(const jwks_source&) = delete;

  std::shared_ptr<const key_set> keys() const { return keys_.load(); }
  // A token named an unknown key: refresh soon (rate-limited).
  void request_refresh();
  // Loads now, synchronously (tests, startup).
  result<std::size_t> reload();

  std::uint64_t loads() const { return loads_.load(); }
  std::string last_error() const;
  const options& config() const { return opts_; }

 private:
  explicit jwks_source(options o) : opts_(std::move(o)) {}
  void run();
  result<std::string> fetch();

  options opts_;
  std::atomic<std::shared_ptr<const key_set>> keys_;
  std::atomic<std::uint64_t> loads_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool requested_ = false;
  std::uint64_t request_seq_ = 0;
  std::string last_error_;
  std::chrono::steady_clock::time_point last_load_{};
  std::int64_t file_mtime_ = 0;
  std::thread thread_;
};

}  // namespace mamori::identity
