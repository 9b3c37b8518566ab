// mamori.anonymizer: successful sign-ins and API calls from Tor and known-bad addresses
// (optionally commercial VPN and hosting ranges), flagged by the ip_reputation enricher.
// docs/analytics.md#anonymizer-and-known-bad-addresses

#include <fmt/format.h>

#include <unordered_map>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"
#include "mamori/enrich/ip_reputation.hpp"

namespace mamori::analytics {

namespace {

class anonymizer final : public analytic {
 public:
  anonymizer(ctx_ptr ctx, const anonymizer_params& p)
      : analytic(std::move(ctx), "mamori.anonymizer",
                 "Activity from an anonymizer or known-bad address"),
        p_(p) {}

  std::uint32_t wants() const override {
    return want(obs_kind::sign_in) | want(obs_kind::api_call) | want(obs_kind::file_op);
  }

  void on_observation(const observation& o, user_profile& prof, finding_sink& out) override {
    if (o.status == ocsf::status_id::failure || o.flags == 0) return;
    std::uint32_t hit = 0;
    if (p_.tor) hit |= o.flags & ip_flag::tor;
    if (p_.known_bad) hit |= o.flags & ip_flag::known_bad;
    if (p_.vpn) hit |= o.flags & ip_flag::vpn;
    if (p_.hosting) hit |= o.flags & ip_flag::hosting;
    if (hit == 0) return;
    const std::string key = o.user_key + "|" + o.ip;
    auto [it, inserted] = seen_.emplace(key, o.time_ns);
    if (!inserted) {
      if (o.time_ns - it->second < p_.dedupe) return;
      it->second = o.time_ns;
    }
    const bool serious = (hit & (ip_flag::tor | ip_flag::known_bad)) != 0;
    finding f = make_finding(o, serious ? p_.level : p_.vpn_level);
    std::string what;
    if (hit & ip_flag::tor) what = "a Tor node (SecOps-Institute Tor lists)";
    if (hit & ip_flag::known_bad)
      what += std::string(what.empty() ? "" : " and ") + "a known-bad address (configured list)";
    if (hit & ip_flag::vpn)
      what +=
          std::string(what.empty() ? "" : " and ") + "a commercial VPN range (X4BNet/MISP lists)";
    if (hit & ip_flag::hosting)
      what += std::string(what.empty() ? "" : " and ") + "a hosting/datacenter range (X4BNet list)";
    f.explanation = fmt::format(
        "{} {} at {} from {}{}, listed as {}; the user has {} earlier successful sign-ins in "
        "the baseline.{}",
        o.user,
        o.kind == obs_kind::sign_in ? "signed in successfully"
                                    : fmt::format("called {} {}", o.service, o.operation),
        date_time(o.time_ns), o.ip,
        o.country.empty() ? std::string() : " in " + place(o.city, o.country, o.asn, ""), what,
        prof.sign_ins, geo_footer(o.geo_provider));
    json_object ev;
    ev.str("analytic", uid())
        .str("ip", o.ip)
        .str("flags", ip_flag_names(o.flags))
        .str("country", o.country)
        .integer("asn", o.asn)
        .raw("events", "[" + ref_json(o.ref) + "]");
    f.evidence_json = ev.done();
    if (!o.event_json.empty()) f.evidences.push_back(o.event_json);
    f.matched.push_back({"flags", "src_endpoint.ip", ip_flag_names(hit)});
    f.attacks = (hit & ip_flag::tor) ? std::vector<std::string>{"T1090.003"}
                                     : std::vector<std::string>{"T1078"};
    emit(out, std::move(f));
  }

  void on_time(std::int64_t now, finding_sink&) override {
    if (now - last_sweep_ < p_.dedupe) return;
    last_sweep_ = now;
    for (auto it = seen_.begin(); it != seen_.end();) {
      if (now - it->second > p_.dedupe) {
        it = seen_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  anonymizer_params p_;
  std::unordered_map<std::string, std::int64_t> seen_;
  std::int64_t last_sweep_ = 0;
};

}  // namespace

std::unique_ptr<analytic> make_anonymizer(ctx_ptr ctx, const anonymizer_params& p) {
  return std::make_unique<anonymizer>(std::move(ctx), p);
}

}  // namespace mamori::analytics
