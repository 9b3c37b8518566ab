#include "mamori/core/arena.hpp"

#include <algorithm>

namespace mamori {

char* arena::allocate(std::size_t n) {
  while (current_ < blocks_.size()) {
    block& b = blocks_[current_];
    if (b.size - offset_ >= n) {
      char* p = b.data.get() + offset_;
      offset_ += n;
      used_total_ += n;
      return p;
    }
    ++current_;
    offset_ = 0;
  }
  std::size_t size = std::max(block_size_, n);
  // Not zero-filled: a batch of a small input touches only the pages it uses.
  blocks_.push_back({std::make_unique_for_overwrite<char[]>(size), size});
  current_ = blocks_.size() - 1;
  offset_ = n;
  used_total_ += n;
  return blocks_.back().data.get();
}

void arena::clear() {
  // Keep the standard-size blocks for reuse; oversized ones (one huge record) are released.
  std::erase_if(blocks_, [this](const block& b) { return b.size > block_size_; });
  if (blocks_.size() > 8) blocks_.resize(8);
  current_ = 0;
  offset_ = 0;
  used_total_ = 0;
}

}  // namespace mamori
