#pragma once
// A bump allocator for the bytes of one batch of events. Events hold string_views into it;
// clearing the batch releases everything at once and keeps the first block for reuse.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace mamori {

class arena {
 public:
  explicit arena(std::size_t block_size = std::size_t{256} * 1024) : block_size_(block_size) {}
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;
  arena(arena&&) = default;
  arena& operator=(arena&&) = default;

  char* allocate(std::size_t n);

  std::string_view store(std::string_view s) {
    if (s.empty()) return {};
    char* p = allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  void clear();
  std::size_t bytes_used() const { return used_total_; }

 private:
  struct block {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };
  std::size_t block_size_;
  std::vector<block> blocks_;
  std::size_t current_ = 0;  // index of block being filled
  std::size_t offset_ = 0;   // fill level of that block
  std::size_t used_total_ = 0;
};

}  // namespace mamori
