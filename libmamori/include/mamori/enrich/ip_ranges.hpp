#pragma once
// Fast address → value lookup over large CIDR/range lists (VPN and datacenter ranges, Tor
// nodes, Apple Private Relay egress, ASN ranges, corporate egress). The table is a sorted
// vector of disjoint ranges over the 128-bit address space (IPv4 mapped into it): a lookup is
// one binary search, ~20 comparisons for half a million ranges, no allocation.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mamori/enrich/ip_address.hpp"

namespace mamori {

template <typename V>
class ip_range_table {
 public:
  struct range {
    uint128 first = 0;
    uint128 last = 0;
    V value{};
  };

  // Ranges must not overlap (use ip_flag_table for overlapping lists); order does not matter.
  void add(uint128 first, uint128 last, V value) { ranges_.push_back({first, last, value}); }
  void build() {
    std::sort(ranges_.begin(), ranges_.end(),
              [](const range& a, const range& b) { return a.first < b.first; });
    ranges_.shrink_to_fit();
  }

  const V* find(const ip_address& a) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), a.value,
                               [](uint128 v, const range& r) { return v < r.first; });
    if (it == ranges_.begin()) return nullptr;
    --it;
    return a.value <= it->last ? &it->value : nullptr;
  }
  std::size_t size() const { return ranges_.size(); }

 private:
  std::vector<range> ranges_;
};

// Bit flags per address from overlapping lists: every list contributes its flag to the
// ranges it names; build() splits the address space into disjoint segments carrying the OR
// of the flags of every list that covers them.
class ip_flag_table {
 public:
  void add(const ip_cidr& c, std::uint32_t flags) { pending_.push_back({c.first, c.last, flags}); }
  void build();
  std::uint32_t find(const ip_address& a) const {
    const std::uint32_t* f = table_.find(a);
    return f != nullptr ? *f : 0;
  }
  std::size_t segments() const { return table_.size(); }
  std::size_t entries() const { return entries_; }

 private:
  struct item {
    uint128 first;
    uint128 last;
    std::uint32_t flags;
  };
  std::vector<item> pending_;
  ip_range_table<std::uint32_t> table_;
  std::size_t entries_ = 0;
};

}  // namespace mamori
