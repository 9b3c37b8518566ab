#pragma once
// Behavioural analytics (docs/analytics.md): detectors that keep per-user and per-organisation
// baselines and report identity and SaaS attacks that fixed-string rules miss: brute force,
// password spraying, impossible travel, sign-ins from rare countries or new devices, unusual
// operations, mass downloads, root use and security-critical cloud changes, anonymizers.
// Each analytic is a detector with a stable rule uid (mamori.impossible_travel ...); the set
// shares one event-time clock, one reorder buffer and one profile store.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/detect/detector.hpp"
#include "mamori/enrich/enrichers.hpp"

namespace mamori {

namespace analytics {
class profile_store;
}

// Durations are nanoseconds of event time.
inline constexpr std::int64_t seconds_ns = 1'000'000'000;
inline constexpr std::int64_t minutes_ns = 60 * seconds_ns;
inline constexpr std::int64_t hours_ns = 60 * minutes_ns;
inline constexpr std::int64_t days_ns = 24 * hours_ns;

struct brute_force_params {
  bool enabled = true;
  int failures = 10;  // fires when failures in `window` exceed this
  std::int64_t window = 5 * minutes_ns;
  std::int64_t success_within = 30 * minutes_ns;  // a success this soon after escalates
  // Once over the threshold, report when the burst has been quiet this long (so the finding
  // counts the whole burst), at the latest one window after crossing. 0 = at once.
  std::int64_t report_delay = 1 * minutes_ns;
  // Per-source variant: failures must be at least this share of the source's sign-ins in the
  // window, so a shared egress (office NAT) where many people also succeed is not a brute force.
  double min_failure_ratio = 0.8;
  std::string level = "medium";
  std::string escalated_level = "high";
};

struct password_spray_params {
  bool enabled = true;
  int min_accounts = 5;                 // distinct accounts failing from one source within window
  int min_accounts_asn = 10;            // the same grouped by the source's ASN
  double max_attempts_per_account = 3;  // mean failures per account ("few attempts each")
  std::int64_t window = 10 * minutes_ns;
  bool by_asn = true;
  bool by_user_agent = false;  // many orgs share browser UAs: off by default
  int min_accounts_user_agent = 20;
  std::int64_t success_within = 60 * minutes_ns;  // a sprayed account signing in escalates
  std::int64_t report_delay = 1 * minutes_ns;     // as for brute force
  double min_failure_ratio = 0.8;                 // failures / sign-ins of the source in the window
  std::string level = "high";
  std::string escalated_level = "critical";
};

struct distributed_brute_force_params {
  bool enabled = true;
  int min_sources = 5;  // distinct source IPs failing on one account within window
  int min_failures = 10;
  std::int64_t window = 60 * minutes_ns;
  std::string level = "medium";
};

struct impossible_travel_params {
  bool enabled = true;
  double max_speed_kmh = 900;
  double min_distance_km = 500;
  std::int64_t max_gap = 24 * hours_ns;  // older previous sign-ins are not compared
  bool suppress_known_egress = true;     // VPN, hosting, relay, corporate ranges
  bool suppress_same_asn_mobile = true;  // phone/tablet staying on one carrier
  // Phone/tablet within one country: carrier gateways geolocate far from the user.
  bool suppress_domestic_mobile = true;
  // Both networks (ASNs) are habitual for the user (seen at least twice each) and the country
  // is not new: the user's own home/office/mobile pattern.
  bool suppress_known_networks = true;
  double low_accuracy_km = 200;  // locations less precise than this are suppressed
  std::string level = "high";
};

struct concurrent_countries_params {
  bool enabled = true;
  std::int64_t window = 60 * minutes_ns;
  int min_countries = 3;  // distinct countries in the window
  int min_switches = 3;   // or back-and-forth between countries (A→B→A→B = 3 switches)
  std::string level = "high";
};

struct new_country_params {
  bool enabled = true;
  int min_user_sign_ins = 10;   // user baseline size before judging
  double user_max_share = 0.0;  // country share of the user's sign-ins at most this
  double org_max_share = 0.01;  // share of the organisation's users seen there
  int org_min_users = 20;       // organisation baseline size before judging it
  std::string level = "medium";
};

struct new_device_params {
  bool enabled = true;
  int min_user_sign_ins = 10;
  bool os = true;
  bool browser = true;
  bool device = true;
  // Only when the sign-in also comes from a network (ASN) new for the user and used by at
  // most this share of the organisation's users, or from a country new for the user: a new
  // phone on the user's home or office network is not worth an alert. <0 disables the check.
  double network_org_max_share = 0.05;
  std::string level = "low";
};

struct unusual_service_params {
  bool enabled = true;
  int min_user_events = 50;  // API calls before the service baseline counts
  std::string level = "low";
  std::string admin_level = "medium";  // first administrative operation of the account
};

struct mass_activity_params {
  bool enabled = true;
  std::int64_t window = 60 * minutes_ns;
  int download_floor = 100;  // files per window below which nothing fires
  int upload_floor = 100;
  int delete_floor = 50;
  std::uint64_t bytes_floor = 1ull << 30;           // or bytes per window (downloads)
  std::uint64_t upload_bytes_floor = 500ull << 20;  // or bytes per window (uploads)
  double mad_k = 6;               // threshold = median + k × 1.4826 × MAD of the user's windows
  double min_ratio = 3;           // and at least this multiple of the user's 90th percentile
  int min_history = 5;            // active windows before the user baseline counts
  double no_baseline_factor = 2;  // without a baseline: floor × this
  std::string level = "high";
};

struct cloud_critical_params {
  bool enabled = true;
  bool root = true;
  std::vector<std::string> break_glass;   // account names whose any use is reported
  std::int64_t dedupe = 60 * minutes_ns;  // one finding per (account, action, source) per window
  std::string root_level = "high";
  std::string change_level = "high";
  std::string iam_level = "medium";
  std::string attempt_level = "medium";  // a critical change that failed (AccessDenied...)
};

struct anonymizer_params {
  bool enabled = true;
  bool tor = true;
  bool known_bad = true;
  bool vpn = false;  // commercial VPN sign-ins (noisy where staff use VPNs)
  bool hosting = false;
  std::int64_t dedupe = 24 * hours_ns;  // per (user, address)
  std::string level = "high";
  std::string vpn_level = "low";
};

struct analytics_config {
  std::string state_dir;  // "" = in memory only
  // Ordering. "batch" (the default, for `mamori hunt` over files, where each file holds one
  // source's day and the next file goes back in time): observations are held (up to
  // max_pending, then the oldest go first) and processed in event-time order at the end.
  // "stream" (the server): released once they are `lateness` older than the newest event.
  bool batch = true;
  std::int64_t lateness = 5 * minutes_ns;  // stream: events this late are still ordered
  // Event time a user (and the organisation) must have been observed before user baselines
  // judge (new country, new device, unusual service). 3 days lets a one-week batch hunt use
  // them; for a long-running deployment 7–14 days gives fewer false positives.
  std::int64_t learning_period = 3 * days_ns;
  std::size_t max_profiles = 2'000'000;   // in memory; more are evicted (to the store)
  std::size_t max_pending = 1'000'000;    // reorder buffer bound
  std::size_t max_keys = 1'000'000;       // per analytic window state bound
  std::vector<std::string> ignore_users;  // exact, case-insensitive (service accounts)
  bool ignore_machine_accounts = true;    // Windows "NAME$"
  enrich_config enrich;

  brute_force_params brute_force;
  brute_force_params brute_force_source;
  password_spray_params password_spray;
  distributed_brute_force_params distributed_brute_force;
  impossible_travel_params impossible_travel;
  concurrent_countries_params concurrent_countries;
  new_country_params new_country;
  new_device_params new_device;
  unusual_service_params unusual_service;
  mass_activity_params mass_activity;
  cloud_critical_params cloud_critical;
  anonymizer_params anonymizer;

  diagnostics* diag = nullptr;  // where state problems go; stderr when null
};

// The documented defaults (docs/analytics.md).
analytics_config default_analytics_config();
// YAML (docs/analytics.md, "Configuration"): unknown keys and bad values are errors with the
// file, line and reason.
result<analytics_config> parse_analytics_config(std::string_view yaml, std::string_view origin);
result<analytics_config> load_analytics_config(const std::string& path);

// One detector per enabled analytic, sharing one context. Feed every detector the same
// batches (a detector_chain does) and call finish() on all of them at the end.
std::vector<std::unique_ptr<detector>> make_analytics(const analytics_config& config);

// Statistics of the analytics set a detector belongs to (events, observations, late and
// forced releases, window drops, profiles in memory / loaded / evicted, bytes per profile,
// findings per analytic) as JSON; "" when the detector is not an analytic.
std::string analytics_stats_json(const detector& d);

// Names of all analytics (rule uids), in factory order.
std::vector<std::string> analytic_names();

// Everything `--analytics none|default|FILE` needs: the enrichers to add to the parse job
// (parse_job::add_enricher) and the detectors to run after the Sigma rules. "none" gives
// neither; "default" the documented defaults; otherwise FILE is read (errors are values).
struct analytics_bundle {
  analytics_config config;
  enrichment enrich;
  std::vector<std::unique_ptr<detector>> detectors;
};
result<analytics_bundle> load_analytics(const std::string& spec, const std::string& state_dir,
                                        diagnostics& diag);

// `mamori profile USER`: the stored profile as text (or JSON), nullopt if unknown.
result<std::string> describe_profile(const std::string& state_dir, std::string_view user,
                                     bool json);

}  // namespace mamori
