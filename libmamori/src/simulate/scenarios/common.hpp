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

}  // namespace mamori::sim::scn

namespace mamori::sim::scn {

// One malicious Windows event (the truth id is its RecordNumber, assigned when written).
inline void win(sim_io& io, std::uint32_t campaign, std::string_view step, std::int64_t t,
                std::uint32_t host, wire::win_channel ch, int event_id, const std::string& fields,
                std::uint64_t salt) {
  emitter* out = io.source("windows");
  if (out == nullptr) return;
  const std::uint32_t tag = io.truth().add_event(campaign, std::string(step), "windows");
  rng g = stream(io.sim().seed(), name_hash(step), salt, static_cast<std::uint64_t>(t));
  wire::win_event(*out, io.sim(), t, host, ch, event_id, fields, g, tag);
}

// One malicious syslog line (identified by its line number).
inline void syslog(sim_io& io, std::uint32_t campaign, std::string_view step, std::int64_t t,
                   std::size_t server, std::uint32_t pid, const std::string& message) {
  emitter* out = io.source("sshd");
  if (out == nullptr) return;
  const std::uint32_t tag = io.truth().add_event(campaign, std::string(step), "sshd");
  wire::syslog_line(*out, t, server, io.sim(), "sshd", pid, message, tag);
}

// A person with a laptop session in the office or on VPN on the HQ day starting at
// hq_day, found from a seeded offset; nullptr if nobody works that day.
inline const person* pick_worker(const sim_context& ctx, rng& r, std::int64_t hq_day,
                                 const std::function<bool(const person&)>& pred,
                                 session* out_session) {
  const std::size_t n = ctx.co.people.size();
  const std::size_t start = r.below(n);
  for (std::size_t k = 0; k < n; ++k) {
    const person& p = ctx.co.people[(start + k) % n];
    if (!pred(p)) continue;
    const city& home = ctx.co.home_city_of(p);
    const std::int64_t noon = hq_day + 12 * ns_per_hour;
    const std::int64_t local_day =
        (noon + utc_offset_minutes(home, noon) * ns_per_min) / ns_per_day;
    const day_plan plan = plan_day(ctx.co, p, local_day);
    for (int i = 0; i < plan.n; ++i) {
      const session& s = plan.s[i];
      if (s.laptop && s.proxied && s.end - s.start > 4 * ns_per_hour) {
        if (out_session != nullptr) *out_session = s;
        return &p;
      }
    }
  }
  return nullptr;
}

}  // namespace mamori::sim::scn
