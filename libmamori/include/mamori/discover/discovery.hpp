#pragma once
// Shadow-IT discovery: a stage that sees normalized events (proxy, DNS, TLS, HTTP, firewall and
// Proxifier connections), recognises the cloud app behind each destination and keeps an
// inventory: which apps, used by whom, when, how often, how much data up and down, their risk
// score and sanction status. It raises findings (rule_source "discovery") for new apps,
// prohibited apps, blocked URL categories and unusual upload volumes.
//
// The engine is an event_sink, so it sits behind any parse_job; `mamori discover` runs it over
// files and `mamori serve` can feed it continuously and call snapshot() at any time (the engine
// is thread-safe: one mutex, held per batch and per snapshot).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mamori/catalog/catalog.hpp"
#include "mamori/catalog/url_categories.hpp"
#include "mamori/detect/finding.hpp"
#include "mamori/discover/policy.hpp"
#include "mamori/event/event.hpp"

namespace mamori::discover {

// Where an event's destination came from, for the recognition figures.
enum class destination_source : std::uint8_t { http, tls_sni, dns_query, connection, ip, count };
std::string_view destination_source_name(destination_source s);

struct user_usage {
  std::string user;  // actor.user.name, else the source IP, else the source host name, else "-"
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  std::uint64_t requests = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
};

struct app_row {
  std::string id, name, category, vendor;
  std::optional<double> score;
  double coverage = 0;
  std::string risk;  // low | medium | high | unrated
  sanction status = sanction::unsanctioned;
  std::string alternative;  // sanctioned alternative named by the policy
  std::int64_t first_ns = 0, last_ns = 0;
  std::uint64_t requests = 0, bytes_up = 0, bytes_down = 0;
  std::size_t user_count = 0, host_count = 0;
  std::vector<user_usage> users;   // by bytes up, then requests (all users)
  std::vector<std::string> hosts;  // up to 20 host names seen, most requested first
  std::vector<std::string> url_categories;
  std::vector<std::pair<std::int64_t, std::uint64_t>> hourly;  // hour start (ns) → requests
};

struct unknown_row {
  std::string host;
  std::uint64_t requests = 0, bytes_up = 0, bytes_down = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::size_t user_count = 0;
  std::vector<std::string> url_categories;
  destination_source source = destination_source::dns_query;
};

struct recognition_row {
  destination_source source = destination_source::dns_query;
  std::uint64_t distinct = 0;     // distinct destination host names seen through this source
  std::uint64_t recognised = 0;   // of which the catalog names an app
  std::uint64_t internal = 0;     // of which internal (policy internal_domains, single labels)
  std::uint64_t categorised = 0;  // not recognised but in a URL category
};

struct inventory {
  std::vector<app_row> apps;         // by sanction (prohibited first), risk, requests
  std::vector<unknown_row> unknown;  // most requested first (up to the snapshot's limit)
  std::vector<recognition_row> recognition;
  std::uint64_t events = 0;             // events seen
  std::uint64_t with_destination = 0;   // events naming a destination
  std::uint64_t recognised_events = 0;  // events whose destination is a catalog app
  std::uint64_t findings = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  // Requests per 5-minute bucket (bucket start in ns): all, and to unsanctioned or unknown
  // destinations. Renderers aggregate to hours or days.
  std::vector<std::pair<std::int64_t, std::uint64_t>> trend_total;
  std::vector<std::pair<std::int64_t, std::uint64_t>> trend_unsanctioned;
  std::vector<std::string> sources;  // credit lines for the data used (catalog, UT1, AdGuard)
};

struct snapshot_options {
  std::size_t max_unknown = 200;
  std::size_t max_users_per_app = 1000;
};

struct engine_options {
  std::size_t max_tracked_hosts = 1'000'000;  // distinct destinations kept (then only counted)
  std::size_t max_findings_per_rule_app = 50;
  std::vector<std::string> known_apps;  // seen before (state file): no new-app alert
  std::vector<std::string> credits;     // copied into inventory::sources
};

class discovery_engine final : public event_sink {
 public:
  // `ut1` may be null (no URL categories); `findings` may be null (no alerts).
  discovery_engine(const catalog::app_catalog& cat, const discovery_policy& policy,
                   const catalog::url_category_db* ut1, finding_sink* findings,
                   engine_options options = {});
  ~discovery_engine() override;

  void consume(const event_batch& batch) override;
  void observe(const event& e);
  // Upload-volume checks over what was seen so far (call at end of input, or periodically).
  void evaluate();
  inventory snapshot(const snapshot_options& opts = {}) const;
  // App ids seen so far (for a state file).
  std::vector<std::string> seen_app_ids() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  mutable std::mutex mutex_;
};

}  // namespace mamori::discover
