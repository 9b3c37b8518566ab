#pragma once
// A bounded per-address memo shared by the IP enrichers: most logs repeat a small set of
// addresses, so each address is looked up once. When full the cache is cleared (cheaper and
// more predictable than LRU bookkeeping for a working set that fits most of the time).

#include <string_view>
#include <unordered_map>

#include "mamori/enrich/ip_address.hpp"

namespace mamori {

template <typename V>
class ip_cache {
 public:
  explicit ip_cache(std::size_t max_entries = 1u << 20) : max_(max_entries) {}

  template <typename F>
  const V& get(const ip_address& a, F&& compute) {
    auto it = map_.find(a);
    if (it != map_.end()) {
      ++hits_;
      return it->second;
    }
    ++misses_;
    if (map_.size() >= max_) map_.clear();
    return map_.emplace(a, compute(a)).first->second;
  }
  std::size_t hits() const { return hits_; }
  std::size_t misses() const { return misses_; }

 private:
  std::size_t max_;
  std::unordered_map<ip_address, V, ip_address_hash> map_;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

}  // namespace mamori
