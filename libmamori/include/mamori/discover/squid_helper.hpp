#pragma once
// Enforcement through Squid: an external ACL helper (squid.conf `external_acl_type`, protocol in
// docs/squid.md). Squid writes one request per line, `[channel-ID] value ...` with the values
// of the FORMAT codes, URL-escaped; the helper answers `[channel-ID] OK|ERR|BH [key=value ...]`
// on the same channel. OK means "this request may pass" (the ACL matches), ERR carries a
// message= for the block page (%o in deny_info pages) naming the sanctioned alternative.
// Every decision is logged as an OCSF HTTP Activity event (NDJSON) on a separate stream,
// because stdout is the protocol.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/catalog/catalog.hpp"
#include "mamori/catalog/url_categories.hpp"
#include "mamori/core/result.hpp"
#include "mamori/discover/policy.hpp"

namespace mamori::discover {

enum class decision_reason : std::uint8_t { allowed, prohibited_app, url_category, no_host };
std::string_view decision_reason_name(decision_reason r);

struct access_decision {
  bool deny = false;
  decision_reason reason = decision_reason::allowed;
  const catalog::app* app = nullptr;  // the recognised app, if any
  sanction status = sanction::unsanctioned;
  std::string category;  // the blocking URL category
  std::string message;   // for the block page
  std::string host;      // normalized
};

// The decision itself, independent of Squid: thread-safe, no allocation beyond the result.
class access_decider {
 public:
  access_decider(const catalog::app_catalog& cat, const discovery_policy& policy,
                 const catalog::url_category_db* ut1);
  // `url` is an absolute URL, `host:port` (CONNECT) or a host name.
  access_decision decide(std::string_view url) const;

 private:
  const catalog::app_catalog& cat_;
  const discovery_policy& policy_;
  const catalog::url_category_db* ut1_;
  std::vector<std::size_t> block_categories_;  // ids in ut1_
  std::vector<discovery_policy::verdict> verdicts_;
};

// The FORMAT values Squid sends, in order (docs/squid.md): client (%>a), user (%un),
// method (%>rm), url (%>ru), host (%>rd), path (%>rp), ignore ("-").
enum class helper_field : std::uint8_t { client, user, method, url, host, path, ignore };
result<std::vector<helper_field>> parse_helper_fields(std::string_view spec);

enum class channel_mode : std::uint8_t { automatic, always, never };

struct helper_options {
  std::vector<helper_field> fields = {helper_field::client, helper_field::user,
                                      helper_field::method, helper_field::url};
  channel_mode channels = channel_mode::automatic;
  std::FILE* log = nullptr;  // decision events (NDJSON); null = not logged
};

struct helper_stats {
  std::uint64_t requests = 0, allowed = 0, denied = 0, malformed = 0;
};

class squid_helper {
 public:
  squid_helper(const access_decider& decider, helper_options options);
  // One request line (no newline) → one response line appended to `out` (with newline).
  void handle_line(std::string_view line, std::string& out);
  // Serves the protocol: reads in_fd until EOF, answers on out_fd. Responses to every complete
  // line read so far are written (and the log flushed) before the next read blocks.
  result<helper_stats> serve(int in_fd, int out_fd);
  const helper_stats& stats() const { return stats_; }

 private:
  void log_decision(const access_decision& d, std::string_view client, std::string_view user,
                    std::string_view method, std::string_view url);

  const access_decider& decider_;
  helper_options options_;
  helper_stats stats_;
  std::vector<std::string_view> tokens_;
  std::string log_buf_;
};

}  // namespace mamori::discover
