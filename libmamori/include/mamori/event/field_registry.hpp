#pragma once
// Interns field names ("EventID", "userIdentity.type", "actor.user.name") into small
// integers so events store ids and rules compile against ids: evaluation never hashes names.
// Ids are stable for the life of the process. Thread-safe; lookups of known names take a
// shared lock only.

#include <cstdint>
#include <deque>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mamori {

using field_id = std::uint32_t;
inline constexpr field_id invalid_field = 0xffffffffu;

class field_registry {
 public:
  static field_registry& global();

  field_id intern(std::string_view name);
  // invalid_field when the name was never interned.
  field_id find(std::string_view name) const;
  std::string_view name(field_id id) const;
  std::size_t size() const;

 private:
  struct transparent_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  mutable std::shared_mutex mutex_;
  std::deque<std::string> names_;  // deque: stable addresses for the views in index_
  std::unordered_map<std::string_view, field_id, transparent_hash, std::equal_to<>> index_;
};

inline field_id intern_field(std::string_view name) {
  return field_registry::global().intern(name);
}

}  // namespace mamori
