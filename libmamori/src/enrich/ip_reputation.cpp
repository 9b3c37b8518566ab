#include "mamori/enrich/ip_reputation.hpp"

#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mamori/event/event.hpp"

namespace mamori {

std::uint32_t ip_flag_from_name(std::string_view name) {
  if (name == "vpn") return ip_flag::vpn;
  if (name == "hosting" || name == "datacenter") return ip_flag::hosting;
  if (name == "tor") return ip_flag::tor;
  if (name == "relay" || name == "private_relay") return ip_flag::relay;
  if (name == "corporate") return ip_flag::corporate;
  if (name == "known_bad" || name == "bad") return ip_flag::known_bad;
  return 0;
}

std::string ip_flag_names(std::uint32_t flags) {
  static constexpr std::pair<std::uint32_t, std::string_view> names[] = {
      {ip_flag::vpn, "vpn"},
      {ip_flag::hosting, "hosting"},
      {ip_flag::tor, "tor"},
      {ip_flag::relay, "relay"},
      {ip_flag::corporate, "corporate"},
      {ip_flag::known_bad, "known_bad"}};
  std::string out;
  for (auto [bit, n] : names) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

result<std::size_t> ip_reputation::add_list(const ip_list_spec& spec) {
  std::ifstream in(spec.path, std::ios::binary);
  if (!in) return fail(spec.path + ": cannot open IP list");
  std::size_t added = 0;
  if (spec.path.ends_with(".json")) {
    std::stringstream ss;
    ss << in.rdbuf();
    simdjson::dom::parser parser;
    auto doc = parser.parse(ss.str());
    if (doc.error()) return fail(spec.path + ": not valid JSON");
    auto list = doc["list"].get_array();
    if (list.error()) return fail(spec.path + ": no \"list\" array (MISP warninglist expected)");
    for (auto item : list.value()) {
      auto s = item.get_string();
      if (s.error()) {
        ++bad_lines_;
        continue;
      }
      auto c = ip_cidr::parse(s.value());
      if (!c) {
        ++bad_lines_;
        continue;
      }
      table_.add(*c, spec.flag);
      ++added;
    }
    return added;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::string_view s = line;
    if (auto hash = s.find('#'); hash != std::string_view::npos) s = s.substr(0, hash);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) {
      s.remove_suffix(1);
    }
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    if (s.empty()) continue;
    auto c = ip_cidr::parse(s);
    if (!c) {
      ++bad_lines_;
      continue;
    }
    table_.add(*c, spec.flag);
    ++added;
  }
  return added;
}

result<void> ip_reputation::add_cidrs(const std::vector<std::string>& cidrs, std::uint32_t flag) {
  for (const auto& text : cidrs) {
    auto c = ip_cidr::parse(text);
    if (!c) return fail("not an address or CIDR: '" + text + "'");
    table_.add(*c, flag);
  }
  return {};
}

std::vector<ip_list_spec> default_ip_lists(const std::string& shared) {
  const std::string ref = shared + "/reference";
  const std::string misp = shared + "/cspm/saas-domain-lists/misp-warninglists";
  std::vector<ip_list_spec> candidates = {
      {ref + "/x4bnet_vpn_datacenter_ips/output/vpn/ipv4.txt", ip_flag::vpn, "x4bnet vpn ipv4"},
      {ref + "/x4bnet_vpn_datacenter_ips/output/vpn/ipv6.txt", ip_flag::vpn, "x4bnet vpn ipv6"},
      {ref + "/x4bnet_vpn_datacenter_ips/output/datacenter/ipv4.txt", ip_flag::hosting,
       "x4bnet datacenter ipv4"},
      {ref + "/x4bnet_vpn_datacenter_ips/output/datacenter/ipv6.txt", ip_flag::hosting,
       "x4bnet datacenter ipv6"},
      {ref + "/tor_ip_addresses/tor-exit-nodes.lst", ip_flag::tor, "tor exit nodes"},
      {ref + "/tor_ip_addresses/tor-nodes.lst", ip_flag::tor, "tor nodes"},
      // MISP's "vpn" lists mix VPN providers with whole datacenters (Hetzner, OVH, Tencent):
      // flagged hosting, the weaker claim.
      {misp + "/vpn-ipv4/list.json", ip_flag::hosting, "misp vpn-ipv4"},
      {misp + "/vpn-ipv6/list.json", ip_flag::hosting, "misp vpn-ipv6"},
      {misp + "/icloud-private-relay/list.json", ip_flag::relay, "misp icloud-private-relay"},
  };
  std::vector<ip_list_spec> out;
  std::error_code ec;
  for (auto& c : candidates)
    if (std::filesystem::exists(c.path, ec)) out.push_back(std::move(c));
  return out;
}

void ip_reputation_enricher::enrich(event_batch& batch) {
  for (event& e : batch.events()) {
    auto ip = event_src_ip(e);
    if (!ip) continue;
    const std::uint32_t flags =
        cache_.get(*ip, [&](const ip_address& a) { return rep_->lookup(a); });
    if (flags == 0) continue;
    const value t = value::boolean(true);
    if (flags & ip_flag::vpn) e.set(ocsf::attr::src_is_vpn, t);
    if (flags & ip_flag::hosting) e.set(ocsf::attr::src_is_hosting, t);
    if (flags & ip_flag::tor) e.set(ocsf::attr::src_is_tor, t);
    if (flags & ip_flag::relay) e.set(ocsf::attr::src_is_relay, t);
    if (flags & ip_flag::corporate) e.set(ocsf::attr::src_is_corporate, t);
    if (flags & ip_flag::known_bad) e.set(ocsf::attr::src_is_known_bad, t);
  }
}

}  // namespace mamori
