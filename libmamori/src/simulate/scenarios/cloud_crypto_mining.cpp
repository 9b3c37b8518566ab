// Cloud: traffic to crypto-mining ports. Once the CI runner's SSH port is open to the
// internet, it is brute-forced (password authentication was left on for the ubuntu user),
// an XMRig build is fetched and the instance connects to Monero pools on mining ports
// through the VPC egress proxy.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  rng r = stream(sc.seed(), name_hash("scenario:cloud_crypto_mining"));
  const std::size_t build = co.server_index("build01");
  const server& sv = co.servers[build];
  const std::uint32_t ips[] = {scn::attacker_ip(sc.seed(), "cn_telecom_gd", 31),
                               scn::attacker_ip(sc.seed(), "ru_beeline", 32),
                               scn::attacker_ip(sc.seed(), "hetzner", 33)};
  const std::size_t failures = 150;
  // After the security group was opened (cloud_security_group: 0.8, 21:07 JST).
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.8), 23, 48);
  struct pool {
    std::string_view host;
    int port;
  };
  static constexpr pool pools[] = {{"pool.supportxmr.com", 3333},
                                   {"xmr-eu1.nanopool.org", 14444},
                                   {"gulf.moneroocean.stream", 10128},
                                   {"xmr.2miners.com", 2222}};

  truth_campaign c;
  c.campaign_id = "c12";
  c.scenario = "cloud_crypto_mining";
  c.description = std::to_string(failures) +
                  " SSH password failures on build01 from 3 addresses, "
                  "login as ubuntu, XMRig download, connections to Monero pools on mining ports";
  c.parameters = {{"failures", std::to_string(failures)}, {"ports", "3333,14444,10128,2222"}};
  c.users = {"ubuntu", "root"};
  for (auto ip : ips) c.src_ips.push_back(ipv4_string(ip));
  c.src_ips.push_back(ipv4_string(sv.ip));
  c.hosts = {"build01"};
  c.expected = {{{"mamori.brute_force*"}, "src_ip", ipv4_string(ips[0]), false, 0},
                {{"mamori.unusual_service", "mamori.mining*"}, "", "", true, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  constexpr std::string_view users[] = {"root",   "admin", "ubuntu",  "test",
                                        "oracle", "git",   "postgres"};
  std::int64_t t = t0;
  for (std::size_t k = 0; k < failures; ++k) {
    t += r.range(2, 9) * ns_per_s;
    const std::uint32_t ip = ips[k % 3];
    const std::string_view user = users[r.below(std::size(users))];
    const auto pid = static_cast<std::uint32_t>(20000 + r.below(40000));
    const auto port = 30000 + r.below(30000);
    const bool invalid = user != "root" && user != "ubuntu";
    sc.at(t, [=](sim_io& io) {
      const std::string from = ipv4_string(ip) + " port " + std::to_string(port);
      if (invalid) {
        scn::syslog(io, id, "ssh_brute_force", t, build, pid,
                    "Invalid user " + std::string(user) + " from " + from);
      }
      scn::syslog(io, id, "ssh_brute_force", t + 2'000'000'000, build, pid,
                  std::string("Failed password for ") + (invalid ? "invalid user " : "") +
                      std::string(user) + " from " + from + " ssh2");
      scn::syslog(io, id, "ssh_brute_force", t + 2'100'000'000, build, pid,
                  std::string("Connection closed by ") +
                      (invalid ? "invalid user " : "authenticating user ") + std::string(user) +
                      " " + from + " [preauth]");
    });
  }
  t += 40 * ns_per_s;
  sc.at(t, [=](sim_io& io) {
    const std::string from = ipv4_string(ips[1]) + " port 51922";
    scn::syslog(io, id, "ssh_password_login", t, build, 48811,
                "Accepted password for ubuntu from " + from + " ssh2");
    scn::syslog(io, id, "ssh_password_login", t + 3'000'000, build, 48811,
                "pam_unix(sshd:session): session opened for user ubuntu(uid=1000) by (uid=0)");
  });
  t += 3 * ns_per_min;
  sc.at(t, [=](sim_io& io) {
    scn::emit(io, id, "miner_download", "squid", [&](emitter& out, std::uint32_t tag) {
      wire::web_request q;
      q.t = t;
      q.client = sv.ip;
      q.method = "CONNECT";
      q.host = "github.com";
      q.server_ip = 0x8c527903;  // 140.82.121.3
      q.bytes_out = 2'873'114;
      q.elapsed_ms = 2400;
      wire::squid(out, q, 1, tag);
      return std::string();
    });
  });
  for (std::size_t k = 0; k < 40; ++k) {
    t += r.range(60, 240) * ns_per_s;
    const pool& pl = pools[k % std::size(pools)];
    sc.at(t, [=](sim_io& io) {
      scn::emit(io, id, "mining_pool_connection", "squid", [&](emitter& out, std::uint32_t tag) {
        wire::web_request q;
        q.t = t;
        q.client = sv.ip;
        q.method = "CONNECT";
        q.host = pl.host;
        q.port = pl.port;
        q.server_ip =
            static_cast<std::uint32_t>((mix(name_hash(pl.host), 3) & 0x00ffffffu) | 0x2d000000u);
        q.bytes_out = 40'000 + k * 1'000;
        q.elapsed_ms = 290'000;
        wire::squid(out, q, 1, tag);
        return std::string();
      });
    });
  }
}

}  // namespace

scenario_spec cloud_crypto_mining_scenario_spec() {
  return {"cloud_crypto_mining",
          "Cloud: SSH brute force on an exposed instance, then crypto mining",
          "The CI runner, exposed by an open security group, is brute-forced over SSH; the "
          "attacker fetches XMRig and the instance connects to Monero pools on mining ports.",
          plan};
}

}  // namespace mamori::sim
