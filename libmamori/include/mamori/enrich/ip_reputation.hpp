#pragma once
// Network flags from CIDR lists: VPN, hosting/datacenter, Tor, Apple iCloud Private Relay,
// corporate egress and known-bad addresses, loaded into one ip_flag_table (IPv4 and IPv6).
// Fills the boolean attributes src_endpoint.is_{vpn,hosting,tor,relay,corporate,known_bad}
// (only when true). Default lists (docs/enrichers.md): X4BNet lists_vpn (vpn, datacenter),
// MISP warninglists (vpn-ipv4/6, icloud-private-relay), SecOps-Institute Tor lists.

#include <memory>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/enrich/enricher.hpp"
#include "mamori/enrich/ip_cache.hpp"
#include "mamori/enrich/ip_ranges.hpp"

namespace mamori {

namespace ip_flag {
inline constexpr std::uint32_t vpn = 1u << 0;
inline constexpr std::uint32_t hosting = 1u << 1;
inline constexpr std::uint32_t tor = 1u << 2;
inline constexpr std::uint32_t relay = 1u << 3;
inline constexpr std::uint32_t corporate = 1u << 4;
inline constexpr std::uint32_t known_bad = 1u << 5;
}  // namespace ip_flag

// "vpn", "hosting", "tor", "relay", "corporate", "known_bad" → flag; 0 when unknown.
std::uint32_t ip_flag_from_name(std::string_view name);
// "vpn,hosting" for display.
std::string ip_flag_names(std::uint32_t flags);

// One list: a text file with one address or CIDR per line (# comments allowed), or a MISP
// warninglist list.json (its "list" array).
struct ip_list_spec {
  std::string path;
  std::uint32_t flag = 0;
  std::string label;  // shown in diagnostics and docs, e.g. "x4bnet vpn ipv4"
};

class ip_reputation {
 public:
  // Adds a list file; a missing file is an error, bad lines are counted.
  result<std::size_t> add_list(const ip_list_spec& spec);
  // Adds literal CIDRs (corporate egress, known-bad from the configuration).
  result<void> add_cidrs(const std::vector<std::string>& cidrs, std::uint32_t flag);
  void build() { table_.build(); }

  std::uint32_t lookup(const ip_address& a) const { return table_.find(a); }
  std::size_t entries() const { return table_.entries(); }
  std::size_t segments() const { return table_.segments(); }
  std::size_t bad_lines() const { return bad_lines_; }

 private:
  ip_flag_table table_;
  std::size_t bad_lines_ = 0;
};

// The shipped default lists under the shared reference data directory (those that exist).
std::vector<ip_list_spec> default_ip_lists(const std::string& shared_data_dir);

class ip_reputation_enricher final : public enricher {
 public:
  explicit ip_reputation_enricher(std::unique_ptr<ip_reputation> rep) : rep_(std::move(rep)) {}
  std::string_view name() const override { return "ip_reputation"; }
  void enrich(event_batch& batch) override;
  const ip_reputation& reputation() const { return *rep_; }

 private:
  std::unique_ptr<ip_reputation> rep_;
  ip_cache<std::uint32_t> cache_;
};

}  // namespace mamori
