// Cloud: a security group opened to the whole internet on SSH (22) and RDP (3389), by an
// administrator's session in the evening (a "temporary" rule for a vendor, never removed).

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  std::size_t admin = 0;
  for (std::size_t k = 0; k < co.aws_principals.size(); ++k)
    if (co.aws_principals[k].person >= 0) admin = k;
  const aws_principal& pr = co.aws_principals[admin];
  const person& p = co.people[static_cast<std::size_t>(pr.person)];
  const std::uint32_t ip = p.home_ip;
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.8), 21, 7);

  truth_campaign c;
  c.campaign_id = "c09";
  c.scenario = "cloud_security_group_open_to_world";
  c.description =
      pr.name + " opens sg-0e5a9c3f1d2b47a86 (build01) to 0.0.0.0/0 on tcp/22 and tcp/3389";
  c.parameters = {{"group", "sg-0e5a9c3f1d2b47a86"}, {"ports", "22,3389"}, {"cidr", "0.0.0.0/0"}};
  c.users = {p.upn};
  c.src_ips = {ipv4_string(ip)};
  c.cloud_accounts = {co.aws_accounts[pr.account].id};
  c.hosts = {"build01"};
  c.expected = {{{"mamori.cloud_config_change"}, "", "", false, 0},
                {{"6fb77778-040f-4015-9440-572aa9b6b580"}, "", "", false, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  const int ports[] = {22, 3389};
  for (std::size_t k = 0; k < 2; ++k) {
    const std::int64_t t = t0 + static_cast<std::int64_t>(k) * 48 * ns_per_s;
    const int port = ports[k];
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("cloud_sg"), k);
      scn::emit(io, id, "ingress_open_to_world", "cloudtrail", [&](emitter& out, std::uint32_t tag) {
        std::string req =
            R"({"groupId":"sg-0e5a9c3f1d2b47a86","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":)";
        req += std::to_string(port) + R"(,"toPort":)" + std::to_string(port);
        req +=
            R"(,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}}]}})";
        std::string res = R"({"requestId":")";
        append_uuid(res, g.next(), g.next());
        res += R"(","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":")" +
               io.sim().co.aws_accounts[0].id +
               R"(","groupId":"sg-0e5a9c3f1d2b47a86","securityGroupRuleId":"sgr-0)";
        append_hex(res, g.next(), 16);
        res += R"(","isEgress":false,"ipProtocol":"tcp","fromPort":)" + std::to_string(port) +
               R"(,"toPort":)" + std::to_string(port) + R"(,"cidrIpv4":"0.0.0.0/0"}]}})";
        wire::api_call a;
        a.t = t;
        a.principal = admin;
        a.source = "ec2.amazonaws.com";
        a.name = "AuthorizeSecurityGroupIngress";
        a.ip = ip;
        a.request = req;
        a.response = res;
        a.read_only = false;
        return wire::cloudtrail(out, io.sim(), a, g, tag);
      });
    });
  }
}

}  // namespace

scenario_spec cloud_security_group_scenario_spec() {
  return {"cloud_security_group_open_to_world",
          "Cloud: security group opened to 0.0.0.0/0 on 22/3389",
          "An administrator opens the CI runner's security group to the whole internet on SSH "
          "and RDP in the evening.",
          plan};
}

}  // namespace mamori::sim
