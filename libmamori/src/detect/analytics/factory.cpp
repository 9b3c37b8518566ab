// make_analytics: one detector per enabled analytic, all sharing one analytics_context.

#include <fmt/format.h>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"
#include "mamori/enrich/geoip.hpp"

namespace mamori {

using namespace analytics;

std::vector<std::unique_ptr<detector>> make_analytics(const analytics_config& c) {
  auto ctx = std::make_shared<analytics_context>(c);
  std::vector<std::unique_ptr<detector>> out;
  if (c.brute_force.enabled) out.push_back(make_brute_force(ctx, c.brute_force));
  if (c.brute_force_source.enabled)
    out.push_back(make_brute_force_source(ctx, c.brute_force_source));
  if (c.password_spray.enabled) out.push_back(make_password_spray(ctx, c.password_spray));
  if (c.distributed_brute_force.enabled) {
    out.push_back(make_distributed_brute_force(ctx, c.distributed_brute_force));
  }
  if (c.impossible_travel.enabled) out.push_back(make_impossible_travel(ctx, c.impossible_travel));
  if (c.concurrent_countries.enabled) {
    out.push_back(make_concurrent_countries(ctx, c.concurrent_countries));
  }
  if (c.new_country.enabled) {
    out.push_back(make_new_country(ctx, c.new_country));
  }
  if (c.new_device.enabled) out.push_back(make_new_device(ctx, c.new_device));
  if (c.unusual_service.enabled) out.push_back(make_unusual_service(ctx, c.unusual_service));
  if (c.mass_activity.enabled) {
    out.push_back(make_mass_activity(ctx, c.mass_activity, file_op::download));
    out.push_back(make_mass_activity(ctx, c.mass_activity, file_op::upload));
    out.push_back(make_mass_activity(ctx, c.mass_activity, file_op::remove));
  }
  if (c.cloud_critical.enabled) {
    out.push_back(make_root_activity(ctx, c.cloud_critical));
    out.push_back(make_cloud_config_change(ctx, c.cloud_critical));
  }
  if (c.anonymizer.enabled) out.push_back(make_anonymizer(ctx, c.anonymizer));
  return out;
}

result<analytics_bundle> load_analytics(const std::string& spec, const std::string& state_dir,
                                        diagnostics& diag) {
  analytics_bundle b;
  if (spec == "none") return b;
  if (spec == "default" || spec.empty()) {
    b.config = default_analytics_config();
  } else {
    auto c = load_analytics_config(spec);
    if (!c) return tl::unexpected(c.error());
    b.config = std::move(*c);
  }
  if (!state_dir.empty()) b.config.state_dir = state_dir;
  b.config.diag = &diag;
  b.enrich = make_enrichers(b.config.enrich, diag);
  b.detectors = make_analytics(b.config);
  return b;
}

std::string analytics_stats_json(const detector& d) {
  const auto* a = dynamic_cast<const analytic*>(&d);
  if (a == nullptr) return {};
  return a->context_stats_json();
}

std::vector<std::string> analytic_names() {
  return {"mamori.brute_force",       "mamori.brute_force_source",
          "mamori.password_spray",    "mamori.distributed_brute_force",
          "mamori.impossible_travel", "mamori.concurrent_countries",
          "mamori.new_country",       "mamori.new_device",
          "mamori.unusual_service",   "mamori.mass_download",
          "mamori.mass_upload",       "mamori.mass_delete",
          "mamori.root_activity",     "mamori.cloud_config_change",
          "mamori.anonymizer"};
}

namespace {

template <std::size_t N>
std::string counts_text(const top_counts<N>& t, const string_pool& pool, bool numbers = false) {
  std::string out;
  for (std::uint8_t k = 0; k < t.size; ++k) {
    if (!out.empty()) out += ", ";
    if (numbers) {
      out += fmt::format("AS{} ×{}", t.keys[k], t.counts[k]);
    } else {
      out += fmt::format("{} ×{}", pool.get(t.keys[k]), t.counts[k]);
    }
  }
  return out.empty() ? "-" : out;
}

template <std::size_t N>
std::string counts_json(const top_counts<N>& t, const string_pool& pool, bool numbers = false) {
  json_object o;
  for (std::uint8_t k = 0; k < t.size; ++k) {
    o.integer(numbers ? fmt::format("AS{}", t.keys[k]) : std::string(pool.get(t.keys[k])),
              t.counts[k]);
  }
  return o.done();
}

}  // namespace

result<std::string> describe_profile(const std::string& state_dir, std::string_view user,
                                     bool json) {
  if (state_dir.empty()) return fail("no state directory (use --state DIR)");
  auto store = profile_store::open(state_dir, 16);
  if (!store) return tl::unexpected(store.error());
  std::string key(user);
  for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const user_profile* p = (*store)->find(key);
  if (p == nullptr) return fail(fmt::format("no profile for '{}' in {}", user, (*store)->path()));
  const string_pool& pool = (*store)->pool();
  const std::size_t stored = serialize(*p, pool).size();
  std::string hours;
  for (std::size_t h = 0; h < 24; ++h) hours += fmt::format("{}{}", h == 0 ? "" : " ", p->hours[h]);
  static constexpr const char* kinds[] = {"download", "upload", "delete"};
  if (json) {
    json_object o;
    o.str("user", p->name)
        .str("first_seen", date_time(p->first_seen))
        .str("last_seen", date_time(p->last_seen))
        .integer("sign_ins", p->sign_ins)
        .integer("failures", p->failures)
        .integer("api_calls", p->api_calls)
        .integer("admin_operations", p->admin_ops)
        .raw("countries", counts_json(p->countries, pool))
        .raw("asns", counts_json(p->asns, pool, true))
        .raw("os", counts_json(p->os, pool))
        .raw("browsers", counts_json(p->browsers, pool))
        .raw("devices", counts_json(p->devices, pool))
        .raw("services", counts_json(p->services, pool))
        .str("hours_utc", hours);
    json_object vol;
    for (std::size_t k = 0; k < 3; ++k) {
      const auto& v = p->volume[k];
      std::vector<std::string> h;
      for (std::uint8_t i = 0; i < v.n; ++i) h.push_back(fmt::format("{}", v.counts[i]));
      vol.strings(kinds[k], h);
    }
    o.raw("volume_history", vol.done());
    if (p->last) {
      json_object l;
      l.str("time", date_time(p->last->time_ns))
          .str("ip", p->last->ip.to_string())
          .str("country", pool.get(p->last->country))
          .str("city", pool.get(p->last->city))
          .num("lat", p->last->lat)
          .num("lon", p->last->lon)
          .integer("asn", p->last->asn)
          .str("event", p->last->event_ref);
      o.raw("last_located_sign_in", l.done());
    }
    o.integer("stored_bytes", static_cast<std::int64_t>(stored));
    return o.done() + "\n";
  }
  std::string out;
  out += fmt::format("user              {}\n", p->name);
  out += fmt::format("first seen        {}\nlast seen         {}\n", date_time(p->first_seen),
                     date_time(p->last_seen));
  out += fmt::format("sign-ins          {} successful, {} failed\n", p->sign_ins, p->failures);
  out += fmt::format("API calls         {} ({} administrative)\n", p->api_calls, p->admin_ops);
  out += fmt::format("countries         {}\n", counts_text(p->countries, pool));
  out += fmt::format("networks          {}\n", counts_text(p->asns, pool, true));
  out += fmt::format("OS                {}\n", counts_text(p->os, pool));
  out += fmt::format("browsers          {}\n", counts_text(p->browsers, pool));
  out += fmt::format("devices           {}\n", counts_text(p->devices, pool));
  out += fmt::format("services          {}\n", counts_text(p->services, pool));
  out += fmt::format("active hours UTC  {}\n", hours);
  for (std::size_t k = 0; k < 3; ++k) {
    const auto& v = p->volume[k];
    std::string h;
    for (std::uint8_t i = 0; i < v.n; ++i) h += fmt::format("{}{}", i == 0 ? "" : " ", v.counts[i]);
    out += fmt::format("{:<18}{}\n", fmt::format("{} / window", kinds[k]), h.empty() ? "-" : h);
  }
  if (p->last) {
    out += fmt::format("last located      {} from {} ({}) [{}]\n", date_time(p->last->time_ns),
                       place(pool.get(p->last->city), pool.get(p->last->country), p->last->asn, ""),
                       p->last->ip.to_string(), p->last->event_ref);
  }
  out += fmt::format("stored size       {} bytes\n", stored);
  if (!pool.get(p->last ? p->last->country : 0).empty()) {
    out += "geolocation       " + std::string(geoip_attribution) + "\n";
  }
  return out;
}

}  // namespace mamori
