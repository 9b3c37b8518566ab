#include "mamori/authz/signals.hpp"

#include <algorithm>
#include <cmath>

namespace mamori::authz {

bool device_posture::has_software(std::string_view lower_name) const {
  return std::binary_search(software.begin(), software.end(), lower_name,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

double risk_value::value_at(std::int64_t now, std::int64_t half_life) const {
  if (score <= 0) return 0;
  if (now <= at || half_life <= 0) return score;
  return score * std::exp2(-static_cast<double>(now - at) / static_cast<double>(half_life));
}

signal_store::signal_store(std::int64_t risk_half_life) : half_life_(risk_half_life) {
  auto first = std::make_shared<signals_snapshot>();
  first->half_life_ = risk_half_life;
  current_.store(std::move(first));
}

void signal_store::set_risk_half_life(std::int64_t seconds) {
  auto tx = begin();
  half_life_ = seconds;
  tx.next_->half_life_ = seconds;
  tx.changed_ = true;
}

signal_store::transaction::transaction(signal_store& s) : store_(s), lock_(s.write_mutex_) {
  next_ = std::make_unique<signals_snapshot>(*s.current_.load());
}

void signal_store::transaction::commit() {
  if (!next_) return;
  if (changed_) {
    next_->version_ = store_.version_.load(std::memory_order_relaxed) + 1;
    const std::uint64_t v = next_->version_;
    store_.current_.store(std::shared_ptr<const signals_snapshot>(std::move(next_)));
    store_.version_.store(v, std::memory_order_release);
  }
  next_.reset();
  if (lock_.owns_lock()) lock_.unlock();
}

void signal_store::transaction::report_posture(std::string_view device, device_posture p) {
  std::sort(p.software.begin(), p.software.end());
  p.software.erase(std::unique(p.software.begin(), p.software.end()), p.software.end());
  device_state& d = next_->devices_.mutate(device, dirty_devices_);
  d.known = true;
  d.posture = std::move(p);
  changed_ = true;
}

void signal_store::transaction::set_isolated(std::string_view device, bool isolated,
                                             std::string reason, std::int64_t now) {
  device_state& d = next_->devices_.mutate(device, dirty_devices_);
  d.isolated = isolated;
  d.isolation_reason = std::move(reason);
  d.isolated_at = isolated ? now : 0;
  changed_ = true;
}

void signal_store::transaction::revoke_session(std::string_view session, std::int64_t expires,
                                               std::string reason) {
  revoked_session& r = next_->sessions_.mutate(session, dirty_sessions_);
  next_->any_sessions_ = true;
  r.expires = std::max(r.expires, expires);
  r.reason = std::move(reason);
  changed_ = true;
}

void signal_store::transaction::revoke_user_sessions(std::string_view user, std::int64_t before,
                                                     std::string reason) {
  user_state& u = next_->users_.mutate(user, dirty_users_);
  next_->any_users_ = true;
  u.revoked_before = std::max(u.revoked_before, before);
  u.revoke_reason = std::move(reason);
  changed_ = true;
}

void signal_store::transaction::set_user_risk(std::string_view user, double score,
                                              std::string reason, std::int64_t now) {
  user_state& u = next_->users_.mutate(user, dirty_users_);
  next_->any_users_ = true;
  u.risk = {std::clamp(score, 0.0, 100.0), now, std::move(reason)};
  changed_ = true;
}

void signal_store::transaction::add_user_risk(std::string_view user, double delta,
                                              std::string reason, std::int64_t now) {
  user_state& u = next_->users_.mutate(user, dirty_users_);
  next_->any_users_ = true;
  const double base = u.risk.value_at(now, next_->half_life_);
  u.risk = {std::clamp(base + delta, 0.0, 100.0), now, std::move(reason)};
  changed_ = true;
}

void signal_store::transaction::set_device_risk(std::string_view device, double score,
                                                std::string reason, std::int64_t now) {
  device_state& d = next_->devices_.mutate(device, dirty_devices_);
  d.risk = {std::clamp(score, 0.0, 100.0), now, std::move(reason)};
  changed_ = true;
}

void signal_store::transaction::add_device_risk(std::string_view device, double delta,
                                                std::string reason, std::int64_t now) {
  device_state& d = next_->devices_.mutate(device, dirty_devices_);
  const double base = d.risk.value_at(now, next_->half_life_);
  d.risk = {std::clamp(base + delta, 0.0, 100.0), now, std::move(reason)};
  changed_ = true;
}

std::size_t signal_store::transaction::prune(std::int64_t now) {
  std::size_t n = next_->sessions_.erase_if(
      [now](const revoked_session& r) { return r.expires != 0 && r.expires < now; },
      dirty_sessions_);
  if (n > 0) changed_ = true;
  return n;
}

}  // namespace mamori::authz
