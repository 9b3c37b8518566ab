#pragma once
// Web browsing shared by the two proxy sources: which sites a person visits and how the
// request looks. Private to the simulator's sources.

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim::web {

// A stable public address for a host name (not in private, loopback, CGN or multicast space).
std::uint32_t host_ip(std::string_view host);

// Category strings as a secure web gateway would label the application kind.
std::string_view category_of(app_kind k);

// One browsing request of person p in session s at time t.
template <typename F>
void browse(const sim_context& ctx, const person& p, const session& s, const window& w, rng& r,
            double per_hour, F&& f) {
  const auto& apps = ctx.apps;
  const device_profile& dev = device_profiles()[s.laptop ? p.laptop_profile : p.phone_profile];
  const std::int64_t a = std::max(s.start, w.start);
  const std::int64_t b = std::min(s.end, w.end);
  // Each person has a habitual shadow-IT app or none (stable per person).
  rng habit = stream(ctx.seed(), name_hash("web-habit"), p.index);
  const auto storage = apps.of_kind(app_kind::shadow_storage);
  const auto comm = apps.of_kind(app_kind::shadow_comm);
  const auto ai = apps.of_kind(app_kind::shadow_ai);
  const std::size_t habit_app =
      habit.chance(0.3) && !storage.empty() ? storage[habit.below(storage.size())]
      : habit.chance(0.3) && !comm.empty()  ? comm[habit.below(comm.size())]
      : habit.chance(0.3) && !ai.empty()    ? ai[habit.below(ai.size())]
                                            : static_cast<std::size_t>(-1);
  const auto sanctioned = apps.of_kind(app_kind::sanctioned);
  const auto sites = apps.of_kind(app_kind::web);
  for_each_arrival(r, a, b, per_hour * p.activity, [&](std::int64_t t) {
    const double x = r.unit();
    std::size_t k;
    if (x < 0.5 && !sanctioned.empty()) {
      k = sanctioned[r.below(sanctioned.size())];
    } else if (x < 0.93 || habit_app == static_cast<std::size_t>(-1)) {
      k = sites.empty() ? sanctioned[0] : sites[r.below(sites.size())];
    } else {
      k = habit_app;
    }
    const app& ap = apps.apps()[k];
    wire::web_request q;
    q.t = t;
    q.client = p.laptop_ip;
    q.user = p.sam;
    q.host = ap.domains[r.below(std::min<std::size_t>(ap.domains.size(), 3))];
    q.server_ip = host_ip(q.host);
    q.user_agent = dev.user_agent;
    q.category = category_of(ap.kind);
    const double m = r.unit();
    q.method = m < 0.85 ? "GET" : "POST";
    q.path = m < 0.3 ? "/" : m < 0.6 ? "/api/v1/data" : m < 0.85 ? "/static/app.js" : "/upload";
    q.content_type = m < 0.6 ? "application/json" : "text/html";
    q.bytes_out = 800 + static_cast<std::uint64_t>(std::exp(r.normal(8.5, 1.4)));
    q.bytes_in = q.method == "POST" ? 500 + static_cast<std::uint64_t>(std::exp(r.normal(7.5, 1.2)))
                                    : 300 + r.below(900);
    q.elapsed_ms = 20 + static_cast<int>(r.exponential(180));
    f(q);
  });
}

}  // namespace mamori::sim::web
