#include "mamori/event/event.hpp"

#include <mutex>

namespace mamori {

void event::reset() {
  time_ns = 0;
  class_uid = ocsf::event_class::base_event;
  activity_id = ocsf::activity::unknown;
  status = ocsf::status_id::unknown;
  severity = ocsf::severity_id::informational;
  decoder = 0;
  source = 0;
  line = 0;
  offset = 0;
  fields.clear();
}

void event::set(ocsf::attr a, value v) {
  const field_id id = ocsf::id(a);
  for (auto& f : fields) {
    if (f.id == id && f.origin == field_origin::normalized) {
      f.v = v;
      return;
    }
  }
  fields.push_back({id, field_origin::normalized, v});
}

const value* event::get(ocsf::attr a) const {
  const field_id id = ocsf::id(a);
  for (const auto& f : fields)
    if (f.id == id && f.origin == field_origin::normalized) return &f.v;
  return nullptr;
}

std::string_view event::get_string(ocsf::attr a) const {
  const value* v = get(a);
  return v != nullptr && v->is_string() ? v->s : std::string_view();
}

const value* event::raw(field_id id) const {
  for (const auto& f : fields)
    if (f.id == id && f.origin == field_origin::raw) return &f.v;
  return nullptr;
}

std::string_view event::raw_string(field_id id) const {
  const value* v = raw(id);
  return v != nullptr && v->is_string() ? v->s : std::string_view();
}

event& event_batch::add() {
  if (size_ == events_.size()) events_.emplace_back();
  event& e = events_[size_++];
  e.reset();
  return e;
}

void event_batch::pop_back() {
  if (size_ > 0) --size_;
}

void event_batch::clear() {
  size_ = 0;
  strings_.clear();
}

source_table& source_table::global() {
  static source_table table;
  return table;
}

std::uint32_t source_table::add(std::string path) {
  std::unique_lock lock(mutex_);
  paths_.push_back(std::move(path));
  return static_cast<std::uint32_t>(paths_.size() - 1);
}

std::string_view source_table::path(std::uint32_t id) const {
  std::shared_lock lock(mutex_);
  return id < paths_.size() ? std::string_view(paths_[id]) : std::string_view();
}

}  // namespace mamori
