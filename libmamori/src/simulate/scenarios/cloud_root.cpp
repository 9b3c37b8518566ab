// Cloud: root account use. The production account's root user signs in to the console
// without MFA from an address abroad at night and creates an access key for itself.

#include "scenarios/common.hpp"

namespace mamori::sim {

namespace {

void plan(scenario_context& sc) {
  const company& co = sc.co();
  const std::size_t root = co.principal_index("root@hoshino-prod");
  const std::uint32_t ip = scn::attacker_ip(sc.seed(), "ru_beeline", 21);
  const std::int64_t t0 = scn::at_jst(sc.day_start(0.66), 4, 12);
  const std::string& acct = co.aws_accounts[0].id;

  truth_campaign c;
  c.campaign_id = "c08";
  c.scenario = "cloud_root_account_use";
  c.description = "root user of " + acct + " signs in without MFA from " + ipv4_string(ip) +
                  " and creates a root access key";
  c.parameters = {{"account", acct}, {"mfa", "No"}};
  c.users = {"root"};
  c.src_ips = {ipv4_string(ip)};
  c.cloud_accounts = {acct};
  c.expected = {
      {{"mamori.root_activity"}, "", "", false, 0},
      {{"8ad1600d-e9dc-4251-b0ee-a65268f29add"}, "", "", false, 0},  // AWS Root Credentials
      {{"77caf516-34e5-4df9-b4db-20744fea0a60"}, "", "", false, 0},  // console login without MFA
      {{"mamori.new_country"}, "", "", true, 0}};
  const std::uint32_t id = sc.truth().add_campaign(std::move(c));
  struct call {
    std::int64_t dt;
    std::string_view source, name, request, response, additional;
    bool read_only;
    std::string_view type;
  };
  static constexpr call calls[] = {
      {0, "signin.amazonaws.com", "ConsoleLogin", "null", R"({"ConsoleLogin":"Success"})",
       R"({"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"No"})",
       false, "AwsConsoleSignIn"},
      {95, "iam.amazonaws.com", "GetAccountSummary", "null", "null", "", true, "AwsApiCall"},
      {140, "iam.amazonaws.com", "ListUsers", "null", "null", "", true, "AwsApiCall"},
      {210, "iam.amazonaws.com", "CreateAccessKey", "null",
       R"({"accessKey":{"accessKeyId":"AKIAV7Q3RZ5M2XK4P8LD","status":"Active","createDate":"Mar 7, 2025 7:15:42 PM"}})",
       "", false, "AwsApiCall"},
      {300, "ec2.amazonaws.com", "DescribeRegions", R"({"regionSet":{},"allRegions":true})", "null",
       "", true, "AwsApiCall"},
  };
  for (std::size_t k = 0; k < std::size(calls); ++k) {
    const call& cl = calls[k];
    const std::int64_t t = t0 + cl.dt * ns_per_s;
    sc.at(t, [=](sim_io& io) {
      rng g = stream(io.sim().seed(), name_hash("cloud_root"), k);
      scn::emit(io, id, cl.name == "ConsoleLogin" ? "root_console_login" : "root_api_call",
                "cloudtrail", [&](emitter& out, std::uint32_t tag) {
                  wire::api_call a;
                  a.t = t;
                  a.principal = root;
                  a.region = 1;  // us-east-1: global services and root sign-in
                  a.source = cl.source;
                  a.name = cl.name;
                  a.ip = ip;
                  a.user_agent = device_profiles()[8].user_agent;
                  a.request = cl.request;
                  a.response = cl.response;
                  a.additional = cl.additional;
                  a.read_only = cl.read_only;
                  a.event_type = cl.type;
                  return wire::cloudtrail(out, io.sim(), a, g, tag);
                });
    });
  }
}

}  // namespace

scenario_spec cloud_root_scenario_spec() {
  return {"cloud_root_account_use", "Cloud: root account use",
          "The production account's root user signs in without MFA from abroad at night and "
          "creates an access key.",
          plan};
}

}  // namespace mamori::sim
