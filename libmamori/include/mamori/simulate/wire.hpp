#pragma once
// Record builders, one per source: they format one record in the source's real wire format
// into an emitter. Source generators use them for background activity and scenarios use
// them for attacks, so benign and malicious records are indistinguishable in shape.
// Each builder returns the record's own identifier (what the truth file names).

#include <cstdint>
#include <string>
#include <string_view>

#include "mamori/simulate/engine.hpp"

namespace mamori::sim::wire {

std::string_view country_name(std::string_view iso2);

// ---- Entra ID sign-in log (Microsoft Graph /auditLogs/signIns) ----
struct entra_app {
  std::string_view name;
  std::string_view id;
  std::string_view resource;
  std::string_view resource_id;
};
std::span<const entra_app> entra_apps();

struct signin {
  std::int64_t t = 0;
  const person* who = nullptr;
  std::uint32_t ip = 0;
  std::size_t city = 0;  // location Entra reports
  const entra_app* app = nullptr;
  const device_profile* device = nullptr;
  std::string_view user_agent;  // overrides device->user_agent when set
  std::string_view device_id;   // empty for unregistered devices
  std::string_view device_name;
  bool managed = false;
  int error = 0;  // 0 success; 50126 bad password; 50053 locked; 50074 MFA required
  std::string_view client_app = "Browser";
  bool mfa = true;
};
std::string entra_signin(emitter& out, const sim_context& ctx, const signin& s, rng& r,
                         std::uint32_t truth = 0);

// ---- Microsoft 365 unified audit log (Management Activity API content) ----
// file key: 0 = Audit.Exchange, 1 = Audit.SharePoint
struct file_op {
  std::int64_t t = 0;
  const person* who = nullptr;
  std::uint32_t ip = 0;
  std::string_view operation;  // FileAccessed, FileDownloaded, FileUploaded, FileModified
  const site_file* file = nullptr;
  bool onedrive = false;
  std::string_view user_agent;
};
std::string m365_file(emitter& out, const sim_context& ctx, const file_op& f, rng& r,
                      std::uint32_t truth = 0);
struct mail_op {
  std::int64_t t = 0;
  const person* who = nullptr;
  std::uint32_t ip = 0;
  std::string_view operation;  // Send, New-InboxRule, Set-Mailbox, MailItemsAccessed
  std::string_view subject;
  std::string_view parameters_json;  // [{"Name":..,"Value":..}] for admin cmdlets
  std::string_view object_id;
  std::string_view client_info = "Client=OWA";
};
std::string m365_mail(emitter& out, const sim_context& ctx, const mail_op& m, rng& r,
                      std::uint32_t truth = 0);

// ---- Okta System Log ----
struct okta_event {
  std::int64_t t = 0;
  const person* who = nullptr;
  std::uint32_t ip = 0;
  std::string_view event_type;  // user.session.start, user.authentication.sso, ...
  bool success = true;
  std::string_view reason;      // INVALID_CREDENTIALS, VERIFICATION_ERROR, ...
  std::string_view target_app;  // for SSO events
  const device_profile* device = nullptr;
  std::string_view user_agent;
};
std::string okta(emitter& out, const sim_context& ctx, const okta_event& e, rng& r,
                 std::uint32_t truth = 0);

// ---- Box enterprise events ----
struct box_event {
  std::int64_t t = 0;
  const person* who = nullptr;
  std::uint32_t ip = 0;
  std::string_view event_type;  // LOGIN, DOWNLOAD, UPLOAD, PREVIEW, EDIT, SHARE
  std::string_view item_name;
  std::string_view folder;
  std::uint64_t size = 0;
};
std::string box(emitter& out, const sim_context& ctx, const box_event& e, rng& r,
                std::uint32_t truth = 0);

// ---- AWS CloudTrail ----
constexpr std::string_view aws_regions[] = {"ap-northeast-1", "us-east-1", "eu-central-1"};
struct api_call {
  std::int64_t t = 0;
  std::size_t principal = 0;  // company::aws_principals
  std::size_t region = 0;     // aws_regions
  std::string_view source;    // ec2.amazonaws.com
  std::string_view name;      // DescribeInstances
  std::uint32_t ip = 0;
  std::string_view ip_text;            // "AWS Internal" or a service name, when ip == 0
  std::string_view user_agent;         // default: the principal's
  std::string_view request = "null";   // JSON
  std::string_view response = "null";  // JSON
  std::string_view additional;         // JSON object or empty
  std::string_view resources;          // JSON array or empty
  std::string_view error_code, error_message;
  bool read_only = true;
  std::string_view event_type = "AwsApiCall";
  bool data_event = false;
  bool mfa = false;
};
std::string cloudtrail(emitter& out, const sim_context& ctx, const api_call& c, rng& r,
                       std::uint32_t truth = 0);

// ---- Web proxies: Squid native access.log and the W3C secure web gateway ----
struct web_request {
  std::int64_t t = 0;
  std::uint32_t client = 0;  // LAN address
  std::string_view user;     // authenticated user or empty
  std::string_view method = "GET";
  std::string_view scheme = "https";
  std::string_view host;
  int port = 443;
  std::string_view path = "/";
  std::string_view query;
  int status = 200;
  std::uint64_t bytes_out = 0;  // to the client
  std::uint64_t bytes_in = 0;   // from the client
  int elapsed_ms = 100;
  std::string_view user_agent;
  std::string_view content_type = "text/html";
  std::string_view category = "Technology/Internet";
  bool denied = false;
  std::uint32_t server_ip = 0;
};
// Squid file key: 0 = Osaka branch proxy, 1 = AWS VPC egress proxy. Returns "".
void squid(emitter& out, const web_request& w, std::uint32_t file, std::uint32_t truth = 0);
// W3C gateway (all other offices and full-tunnel VPN users). Returns "".
void w3c(emitter& out, const web_request& w, std::uint32_t truth = 0);

// ---- Linux syslog (auth facility) ----
// file key: the server index.
void syslog_line(emitter& out, std::int64_t t, std::size_t server, const sim_context& ctx,
                 std::string_view program, std::uint32_t pid, std::string_view message,
                 std::uint32_t truth = 0);

// ---- Windows events as NXLog JSON (the OTRF shape) ----
enum class win_channel : std::uint8_t { security, sysmon, system, defender, powershell };
// Host keys: people's laptops are 0..people-1, servers follow.
std::uint32_t win_host_key(const sim_context& ctx, std::size_t server);
std::string win_host_name(const sim_context& ctx, std::uint32_t host_key);
// `fields` is the event's EventData as JSON members without braces ("\"TargetUserName\":..").
void win_event(emitter& out, const sim_context& ctx, std::int64_t t, std::uint32_t host_key,
               win_channel channel, int event_id, std::string_view fields, rng& r,
               std::uint32_t truth = 0);
// Common EventData builders.
std::string win_logon_fields(const sim_context& ctx, std::string_view user, std::string_view sid,
                             int logon_type, std::string_view ip, std::string_view workstation,
                             std::string_view package, rng& r);
std::string win_failed_logon_fields(const sim_context& ctx, std::string_view user, int logon_type,
                                    std::string_view ip, std::string_view workstation, rng& r);
std::string sysmon_process_fields(std::int64_t t, std::string_view user, std::string_view image,
                                  std::string_view command_line, std::string_view parent_image,
                                  std::string_view original_file_name, rng& r);
std::string sysmon_file_fields(std::int64_t t, std::string_view user, std::string_view image,
                               std::string_view target, rng& r);
std::string sysmon_network_fields(std::int64_t t, std::string_view user, std::string_view image,
                                  std::string_view src_ip, std::string_view dst_ip, int dst_port,
                                  std::string_view dst_host, rng& r);

}  // namespace mamori::sim::wire
