#pragma once
// The simulated company: people with home cities, work hours, devices and egress networks;
// offices, servers, cloud accounts and service accounts; business trips. Built once from
// (seed, users) and immutable afterwards. day_plan() says where a person is and when they
// work on one local calendar day; every source generator derives its activity from it, so
// all sources tell the same story (docs/simulator.md, "Company model").

#include <cstdint>
#include <string>
#include <vector>

#include "mamori/simulate/world.hpp"

namespace mamori::sim {

enum class role : std::uint8_t {
  staff,
  engineer,
  sales,
  executive,
  it_admin,
  cloud_admin,
  hr,
  finance
};
std::string_view role_name(role r);

struct office {
  std::string name;  // "Tokyo HQ"
  std::string code;  // "TKY" (host names)
  std::size_t city;
  std::uint32_t egress_ip;  // public address of the office (and of full-tunnel VPN)
  std::uint32_t subnet;     // 10.x.0.0/16 of the office LAN
  bool w3c_gateway;         // web traffic goes through the W3C secure web gateway
};

struct person {
  std::uint32_t index;
  std::string given, family, display_name;
  std::string upn;        // given.family@domain
  std::string sam;        // Windows account name
  std::string object_id;  // Entra object id
  std::string okta_id;    // 00u...
  std::string box_id;     // numeric
  std::string sid;        // S-1-5-21-...-RID
  std::string department;
  role job;
  std::size_t office;
  std::size_t home_city;
  const network* home_net;
  std::uint32_t home_ip;
  const network* mobile_net;
  int work_start_min;  // local minutes after midnight
  int work_len_min;
  std::uint8_t remote_days;  // bit per weekday (1 = Monday)
  bool vpn_full_tunnel;
  bool mfa;  // enforced MFA (weak accounts without it are spray targets)
  std::size_t laptop_profile;
  std::size_t phone_profile;
  std::string laptop_host;  // WS-TKY-0042
  std::string laptop_device_id;
  std::string phone_device_id;
  std::uint32_t laptop_ip;  // LAN address in the office subnet
  bool laptop_managed;
  double activity;  // multiplier of event rates (0.5 .. 2)
};

struct trip {
  std::uint32_t person;
  std::int64_t depart_local_day;  // days since epoch, home local calendar
  std::int64_t return_local_day;
  std::size_t dest_city;
  const network* hotel_net;
  std::uint32_t hotel_ip;
  std::int64_t out_depart_ns, out_arrive_ns, back_depart_ns, back_arrive_ns;
};

enum class server_os : std::uint8_t { windows, linux };
struct server {
  std::string name;
  server_os os;
  std::string purpose;
  std::uint32_t ip;         // private address
  std::uint32_t public_ip;  // 0 if none
  bool in_aws;
};

struct aws_principal {
  std::string name;  // user name or role session name
  std::string type;  // IAMUser, AssumedRole, Root
  std::string arn;
  std::string principal_id;
  std::string access_key;
  std::string role_name;  // for AssumedRole
  std::size_t account;
  int person = -1;          // for admins
  std::uint32_t source_ip;  // usual source (0 = AWS Internal / service)
  std::string user_agent;
};

struct aws_account {
  std::string id;
  std::string alias;
};

struct site_file {
  std::uint32_t site;
  std::string name;    // "見積書_2025Q1.xlsx" style names are ASCII here
  std::string folder;  // "Shared Documents/Sales"
  std::uint64_t size;
};

struct company_options {
  std::uint64_t seed = 1;
  std::uint32_t users = 200;
  std::int64_t start_ns = 0;  // 00:00 UTC of the first day
  int days = 7;
};

class company {
 public:
  static company build(const company_options& opt);

  std::string name = "Hoshino Precision";
  std::string domain = "hoshino-precision.example";
  std::string ad_domain = "HOSHINO";
  std::string tenant_id;
  std::string sharepoint_host = "hoshinoprecision.sharepoint.com";
  std::string onedrive_host = "hoshinoprecision-my.sharepoint.com";
  std::string okta_org = "hoshino-precision.okta.com";
  std::string domain_sid = "S-1-5-21-3623811015-3361044348-30300820";

  std::vector<office> offices;
  std::vector<person> people;
  std::vector<trip> trips;
  std::vector<server> servers;
  std::vector<aws_account> aws_accounts;
  std::vector<aws_principal> aws_principals;
  std::vector<std::string> sites;  // SharePoint site names
  std::vector<site_file> files;
  std::vector<std::string> box_folders;
  company_options options;

  // The person's office's city (their usual time zone).
  const city& home_city_of(const person& p) const;
  const server& server_by_name(std::string_view name) const;
  std::size_t server_index(std::string_view name) const;
  std::size_t principal_index(std::string_view name) const;
};

// Where a person is on one local day and when they are online.
enum class egress : std::uint8_t { office, home, home_vpn, mobile, hotel };
struct session {
  std::int64_t start, end;  // UTC ns
  egress via;
  std::uint32_t ip;  // public address seen by cloud services
  std::size_t city;  // where the person physically is
  bool laptop;       // else phone
  bool proxied;      // web traffic through a company gateway (office or full-tunnel VPN)
};
struct day_plan {
  bool workday = false;
  bool first_of_trip = false;
  int n = 0;
  session s[4];
};

// The plan of person p for the local calendar day `local_day` (days since epoch in the
// person's local calendar). Pure function of (company, p, local_day).
day_plan plan_day(const company& c, const person& p, std::int64_t local_day);

}  // namespace mamori::sim
