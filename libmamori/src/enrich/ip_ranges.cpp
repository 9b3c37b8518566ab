#include "mamori/enrich/ip_ranges.hpp"

#include <array>

namespace mamori {

void ip_flag_table::build() {
  // Sweep over range boundaries, keeping a per-bit count of the lists covering the point.
  struct boundary {
    uint128 at;
    bool open;  // open at `at`, or close after `at`
    std::uint32_t flags;
  };
  std::vector<boundary> bounds;
  bounds.reserve(pending_.size() * 2);
  for (const auto& it : pending_) {
    bounds.push_back({it.first, true, it.flags});
    bounds.push_back({it.last, false, it.flags});
  }
  entries_ += pending_.size();
  pending_.clear();
  pending_.shrink_to_fit();
  // Opens sort before closes at the same point, so [a,a] ranges are seen.
  std::sort(bounds.begin(), bounds.end(), [](const boundary& a, const boundary& b) {
    if (a.at != b.at) return a.at < b.at;
    return a.open && !b.open;
  });
  std::array<std::uint32_t, 32> count{};
  auto current = [&] {
    std::uint32_t f = 0;
    for (unsigned bit = 0; bit < 32; ++bit)
      if (count[bit] > 0) f |= 1u << bit;
    return f;
  };
  uint128 seg_start = 0;
  std::uint32_t seg_flags = 0;
  bool in_segment = false;
  std::size_t k = 0;
  while (k < bounds.size()) {
    const uint128 at = bounds[k].at;
    // Opens at `at`: the segment before `at` ends at at-1.
    std::size_t j = k;
    bool any_open = false;
    for (; j < bounds.size() && bounds[j].at == at && bounds[j].open; ++j) any_open = true;
    if (any_open) {
      if (in_segment && seg_flags != 0 && at > seg_start) table_.add(seg_start, at - 1, seg_flags);
      for (std::size_t m = k; m < j; ++m)
        for (unsigned bit = 0; bit < 32; ++bit)
          if (bounds[m].flags & (1u << bit)) ++count[bit];
      seg_start = at;
      seg_flags = current();
      in_segment = seg_flags != 0;
    }
    // Closes after `at`: the segment ends at `at`.
    std::size_t c = j;
    bool any_close = false;
    for (; c < bounds.size() && bounds[c].at == at && !bounds[c].open; ++c) any_close = true;
    if (any_close) {
      if (in_segment && seg_flags != 0) table_.add(seg_start, at, seg_flags);
      for (std::size_t m = j; m < c; ++m)
        for (unsigned bit = 0; bit < 32; ++bit)
          if (bounds[m].flags & (1u << bit)) --count[bit];
      seg_flags = current();
      in_segment = seg_flags != 0 && at != ~static_cast<uint128>(0);
      seg_start = at + 1;
    }
    k = c;
  }
  table_.build();
}

}  // namespace mamori
