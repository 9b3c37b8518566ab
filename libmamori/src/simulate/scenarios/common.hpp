#pragma once
// Helpers shared by the attack scenarios (private to the simulator).

#include <functional>
#include <string>

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim::scn {

// Emits one malicious record through `build` (which receives the emitter and the truth tag
// and returns the record's id) and registers it in the truth. No-op when the source is
// disabled in this run.
inline void emit(sim_io& io, std::uint32_t campaign, std::string_view step, std::string_view source,
                 const std::function<std::string(emitter&, std::uint32_t)>& build) {
  emitter* out = io.source(source);
  if (out == nullptr) return;
  const std::uint32_t tag = io.truth().add_event(campaign, std::string(step), std::string(source));
  std::string id = build(*out, tag);
  io.truth().event(tag).uid = std::move(id);
}

// The first person (in roster order from a seeded offset) matching pred, or nullptr.
inline const person* pick_person(const company& co, rng& r,
                                 const std::function<bool(const person&)>& pred) {
  const std::size_t n = co.people.size();
  const std::size_t start = r.below(n);
  for (std::size_t k = 0; k < n; ++k) {
    const person& p = co.people[(start + k) % n];
    if (pred(p)) return &p;
  }
  return nullptr;
}

// An address of the named network for this campaign and index.
inline std::uint32_t attacker_ip(std::uint64_t seed, std::string_view net, std::uint64_t k) {
  return address_in(network_by_id(net), mix(mix(seed, name_hash(net)), k));
}

inline std::string ip_text(std::uint32_t ip) {
  return ipv4_string(ip);
}

// Local clock time of Tokyo on the given HQ day start (day_start() result).
inline std::int64_t at_jst(std::int64_t hq_day_start, int hour, int minute = 0) {
  return hq_day_start + hour * ns_per_hour + minute * ns_per_min;
}

// A person's first working session of the UTC day containing t (or nullptr).
inline const session* first_session(const sim_context& ctx, const person& p, std::int64_t t) {
  // Plans are pure functions: recompute the person's local day around t.
  static thread_local day_plan plan;
  const city& home = ctx.co.home_city_of(p);
  const std::int64_t local_day = (t + utc_offset_minutes(home, t) * ns_per_min) / ns_per_day;
  plan = plan_day(ctx.co, p, local_day);
  for (int i = 0; i < plan.n; ++i)
    if (plan.s[i].laptop) return &plan.s[i];
  return nullptr;
}

}  // namespace mamori::sim::scn
