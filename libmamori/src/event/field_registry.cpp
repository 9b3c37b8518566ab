#include "mamori/event/field_registry.hpp"

#include <mutex>

#include "mamori/event/ocsf.hpp"

namespace mamori {

field_registry& field_registry::global() {
  static field_registry* registry = [] {
    auto* r = new field_registry();
    // The OCSF attributes come first so their ids equal the enum values in ocsf.hpp.
    for (std::string_view path : ocsf::attribute_paths) r->intern(path);
    return r;
  }();
  return *registry;
}

field_id field_registry::intern(std::string_view name) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = index_.find(name); it != index_.end()) return it->second;
  }
  std::unique_lock lock(mutex_);
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  names_.emplace_back(name);
  auto id = static_cast<field_id>(names_.size() - 1);
  index_.emplace(names_.back(), id);
  return id;
}

field_id field_registry::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto it = index_.find(name);
  return it == index_.end() ? invalid_field : it->second;
}

std::string_view field_registry::name(field_id id) const {
  std::shared_lock lock(mutex_);
  return id < names_.size() ? std::string_view(names_[id]) : std::string_view();
}

std::size_t field_registry::size() const {
  std::shared_lock lock(mutex_);
  return names_.size();
}

}  // namespace mamori
