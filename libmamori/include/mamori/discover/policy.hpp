#pragma once
// The shadow-IT policy: which apps are sanctioned or prohibited (with the sanctioned
// alternative to name on the block page), which URL categories the proxy blocks, and the alert
// thresholds of discovery. One YAML file (docs/discover.md, "Policy file"); every mistake is
// reported with file:line.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/catalog/catalog.hpp"
#include "mamori/core/result.hpp"

namespace mamori::discover {

enum class sanction : std::uint8_t { unsanctioned, sanctioned, prohibited };
std::string_view sanction_name(sanction s);

struct prohibition {
  std::string app;                    // app id, or "" for a category / score rule
  std::string category;               // app category, or ""
  std::optional<double> score_below;  // rated apps scoring below this
  std::string alternative;            // sanctioned app id to use instead, or ""
  std::string message;                // shown to the user (Squid deny page %o); "" = generated
  std::string origin;                 // file:line
};

enum class new_app_alerts : std::uint8_t { none, unsanctioned, all };

struct discovery_policy {
  std::set<std::string, std::less<>> sanctioned;  // app ids
  std::vector<prohibition> prohibited;            // in file order; the first match applies
  std::vector<std::string> block_url_categories;  // UT1 categories the proxy denies
  std::string block_url_message = "blocked by policy: this site is categorised as {category}";
  std::string ut1_path;  // "" = default location
  std::vector<std::string> internal_domains = {
      "arpa", "local", "localhost", "localdomain", "lan", "internal", "home", "corp", "intranet"};
  new_app_alerts new_apps = new_app_alerts::unsanctioned;
  // Categories whose apps are infrastructure a browser reaches on its own (ads, analytics,
  // CDNs, certificate checks): no new-app alert.
  std::vector<std::string> quiet_categories = {"advertising", "analytics",  "cdn",
                                               "essential",   "consent",    "telemetry",
                                               "comments",    "extensions", "uncategorized"};
  std::uint64_t upload_alert_bytes = 100ull << 20;  // per user and app, unsanctioned apps
  double upload_peer_factor = 10.0;                 // x the median of the app's other users
  std::uint64_t upload_peer_min_bytes = 10ull << 20;
  std::string origin;  // the file, for messages

  struct verdict {
    sanction status = sanction::unsanctioned;
    const prohibition* rule = nullptr;  // when prohibited
  };
  verdict classify(const catalog::app& a, const catalog::score_weights& w) const;

  // The text for a denied request: the rule's message, else one naming the alternative.
  std::string deny_message(const catalog::app& a, const prohibition& p,
                           const catalog::app_catalog& cat) const;

  bool is_internal(std::string_view host) const;
};

// Reads and validates a policy against the catalog (unknown app ids, categories and keys are
// errors naming file:line).
result<discovery_policy> load_policy(const std::string& path, const catalog::app_catalog& cat);
result<discovery_policy> parse_policy(std::string_view text, std::string_view name,
                                      const catalog::app_catalog& cat);

// "100MB", "1.5 GB", "2048" → bytes.
std::optional<std::uint64_t> parse_size(std::string_view s);

}  // namespace mamori::discover
