#include "mamori/respond/signals.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "mamori/output/json_text.hpp"

namespace mamori::respond {

std::string_view signal_kind_name(signal_kind k) {
  switch (k) {
    case signal_kind::device_isolation:
      return "device_isolation";
    case signal_kind::session_revocation:
      return "session_revocation";
    case signal_kind::user_risk:
      return "user_risk";
    case signal_kind::device_risk:
      return "device_risk";
  }
  return "unknown";
}

double risk_points_for_level(std::string_view level) {
  if (level == "critical") return 70;
  if (level == "high") return 40;
  if (level == "medium") return 15;
  if (level == "low") return 5;
  return 0;
}

void signal_bus::subscribe(signal_listener* l) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(l);
}

void signal_bus::unsubscribe(signal_listener* l) {
  std::lock_guard lock(mutex_);
  listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), l), listeners_.end());
}

std::uint64_t signal_bus::publish(signal s) {
  std::lock_guard lock(mutex_);
  s.version = ++version_;
  for (auto* l : listeners_) l->on_signal(s);
  return s.version;
}

void signal_bus::set_version(std::uint64_t v) {
  std::lock_guard lock(mutex_);
  version_ = std::max(version_, v);
}

std::uint64_t signal_bus::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::string signal_to_json(const signal& s) {
  std::string out = fmt::format("{{\"version\":{},\"kind\":\"{}\",\"subject\":", s.version,
                                signal_kind_name(s.kind));
  json_text::append_string(out, s.subject);
  fmt::format_to(std::back_inserter(out), ",\"active\":{},\"before\":{},\"score\":{},\"at\":{},",
                 s.active ? "true" : "false", s.before, s.score, s.at);
  out += "\"reason\":";
  json_text::append_string(out, s.reason);
  out += ",\"origin\":";
  json_text::append_string(out, s.origin);
  out += '}';
  return out;
}

}  // namespace mamori::respond
