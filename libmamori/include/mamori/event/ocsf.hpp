#pragma once
// The normalized event schema: a subset of OCSF 1.3 (https://schema.ocsf.io) that every
// decoder fills and every analytic reads. Each attribute is a dotted OCSF path with a fixed
// field id (registered first in the field registry, in this order), so code refers to
// ocsf::attr::actor_user_name and never to the string. docs/event-model.md lists them.

#include <cstdint>
#include <string_view>

#include "mamori/event/field_registry.hpp"

namespace mamori::ocsf {

// X(identifier, "ocsf.path")
#define MAMORI_OCSF_ATTRIBUTES(X)                       \
  X(message, "message")                                 \
  X(status, "status")                                   \
  X(status_code, "status_code")                         \
  X(status_detail, "status_detail")                     \
  X(severity, "severity")                               \
  X(actor_user_name, "actor.user.name")                 \
  X(actor_user_uid, "actor.user.uid")                   \
  X(actor_user_domain, "actor.user.domain")             \
  X(actor_user_type, "actor.user.type")                 \
  X(actor_user_email, "actor.user.email_addr")          \
  X(actor_user_tenant, "actor.user.org.uid")            \
  X(actor_session_uid, "actor.session.uid")             \
  X(actor_app_name, "actor.app_name")                   \
  X(user_name, "user.name")                             \
  X(user_uid, "user.uid")                               \
  X(user_domain, "user.domain")                         \
  X(auth_protocol, "auth_protocol")                     \
  X(logon_type, "logon_type")                           \
  X(is_mfa, "is_mfa")                                   \
  X(src_ip, "src_endpoint.ip")                          \
  X(src_port, "src_endpoint.port")                      \
  X(src_hostname, "src_endpoint.hostname")              \
  X(src_country, "src_endpoint.location.country")       \
  X(src_city, "src_endpoint.location.city")             \
  X(src_lat, "src_endpoint.location.lat")               \
  X(src_long, "src_endpoint.location.long")             \
  X(dst_ip, "dst_endpoint.ip")                          \
  X(dst_port, "dst_endpoint.port")                      \
  X(dst_hostname, "dst_endpoint.hostname")              \
  X(dst_svc_name, "dst_endpoint.svc_name")              \
  X(device_hostname, "device.hostname")                 \
  X(device_uid, "device.uid")                           \
  X(device_os_name, "device.os.name")                   \
  X(device_type, "device.type")                         \
  X(http_url, "http_request.url.url_string")            \
  X(http_url_hostname, "http_request.url.hostname")     \
  X(http_url_path, "http_request.url.path")             \
  X(http_url_port, "http_request.url.port")             \
  X(http_url_scheme, "http_request.url.scheme")         \
  X(http_method, "http_request.http_method")            \
  X(http_user_agent, "http_request.user_agent")         \
  X(http_referrer, "http_request.referrer")             \
  X(http_response_code, "http_response.code")           \
  X(http_content_type, "http_response.content_type")    \
  X(bytes_in, "traffic.bytes_in")                       \
  X(bytes_out, "traffic.bytes_out")                     \
  X(bytes_total, "traffic.bytes")                       \
  X(protocol_name, "connection_info.protocol_name")     \
  X(api_service, "api.service.name")                    \
  X(api_operation, "api.operation")                     \
  X(api_request_uid, "api.request.uid")                 \
  X(api_error, "api.response.error")                    \
  X(api_error_message, "api.response.error_message")    \
  X(cloud_provider, "cloud.provider")                   \
  X(cloud_account, "cloud.account.uid")                 \
  X(cloud_region, "cloud.region")                       \
  X(file_name, "file.name")                             \
  X(file_path, "file.path")                             \
  X(file_size, "file.size")                             \
  X(file_md5, "file.hashes.md5")                        \
  X(file_sha1, "file.hashes.sha1")                      \
  X(file_sha256, "file.hashes.sha256")                  \
  X(process_cmd_line, "process.cmd_line")               \
  X(process_name, "process.name")                       \
  X(process_pid, "process.pid")                         \
  X(process_uid, "process.uid")                         \
  X(process_path, "process.file.path")                  \
  X(process_user, "process.user.name")                  \
  X(parent_pid, "process.parent_process.pid")           \
  X(parent_cmd_line, "process.parent_process.cmd_line") \
  X(parent_path, "process.parent_process.file.path")    \
  X(query_hostname, "query.hostname")                   \
  X(query_type, "query.type")                           \
  X(dns_rcode, "rcode")                                 \
  X(tls_sni, "tls.sni")                                 \
  X(tls_version, "tls.version")                         \
  X(session_uid, "session.uid")                         \
  X(metadata_product, "metadata.product.name")          \
  X(metadata_vendor, "metadata.product.vendor_name")    \
  X(metadata_log_name, "metadata.log_name")             \
  X(metadata_original_time, "metadata.original_time")   \
  X(metadata_uid, "metadata.uid")                       \
  X(metadata_event_code, "metadata.event_code")         \
  X(metadata_log_provider, "metadata.log_provider")     \
  X(metadata_tenant, "metadata.tenant_uid")                   \
  X(group_name, "group.name")                                  \
  X(group_uid, "group.uid")                                    \
  X(parent_name, "process.parent_process.name")                \
  X(parent_uid, "process.parent_process.uid")                  \
  /* enrichers (docs/enrichers.md); not in OCSF 1.3: extensions */ \
  X(src_region, "src_endpoint.location.region")                \
  X(src_geo_accuracy, "src_endpoint.location.accuracy_radius") \
  X(src_geo_provider, "src_endpoint.location.provider")        \
  X(src_asn, "src_endpoint.autonomous_system.number")          \
  X(src_as_name, "src_endpoint.autonomous_system.name")        \
  X(src_is_vpn, "src_endpoint.is_vpn")                         \
  X(src_is_hosting, "src_endpoint.is_hosting")                 \
  X(src_is_tor, "src_endpoint.is_tor")                         \
  X(src_is_relay, "src_endpoint.is_relay")                     \
  X(src_is_corporate, "src_endpoint.is_corporate")             \
  X(src_is_known_bad, "src_endpoint.is_known_bad")             \
  X(src_os_name, "src_endpoint.os.name")                       \
  X(src_os_version, "src_endpoint.os.version")                 \
  X(src_browser_name, "src_endpoint.browser.name")             \
  X(src_browser_version, "src_endpoint.browser.version")       \
  X(src_device_family, "src_endpoint.device.family")

enum class attr : field_id {
#define MAMORI_OCSF_ENUM(id, path) id,
  MAMORI_OCSF_ATTRIBUTES(MAMORI_OCSF_ENUM)
#undef MAMORI_OCSF_ENUM
      attribute_count
};

inline constexpr std::string_view attribute_paths[] = {
#define MAMORI_OCSF_PATH(id, path) path,
    MAMORI_OCSF_ATTRIBUTES(MAMORI_OCSF_PATH)
#undef MAMORI_OCSF_PATH
};

constexpr field_id id(attr a) {
  return static_cast<field_id>(a);
}

// OCSF categories and classes used by mamori's decoders (class_uid = category * 1000 + n).
enum class category : std::uint16_t {
  uncategorized = 0,
  system = 1,
  findings = 2,
  iam = 3,
  network = 4,
  discovery = 5,
  application = 6,
};

enum class event_class : std::uint32_t {
  base_event = 0,
  file_activity = 1001,
  kernel_extension = 1002,
  kernel_activity = 1003,
  memory_activity = 1004,
  module_activity = 1005,
  scheduled_job = 1006,
  process_activity = 1007,
  event_log_activity = 1008,
  security_finding = 2001,
  detection_finding = 2004,
  account_change = 3001,
  authentication = 3002,
  authorize_session = 3003,
  entity_management = 3004,
  user_access = 3005,
  group_management = 3006,
  network_activity = 4001,
  http_activity = 4002,
  dns_activity = 4003,
  dhcp_activity = 4004,
  rdp_activity = 4005,
  smb_activity = 4006,
  ssh_activity = 4007,
  ftp_activity = 4008,
  email_activity = 4009,
  ntp_activity = 4013,
  device_inventory_info = 5001,  // device posture reports: activity 1 log, 2 collect
  web_resources_activity = 6001,
  application_lifecycle = 6002,
  api_activity = 6003,
  datastore_activity = 6005,
  file_hosting_activity = 6006,
  web_resource_access = 6004,  // access decisions (authz): 1 grant, 2 deny, 3 revoke, 4 error
};

constexpr std::uint16_t category_of(event_class c) {
  return static_cast<std::uint16_t>(static_cast<std::uint32_t>(c) / 1000);
}

std::string_view class_name(event_class c);
std::string_view category_name(std::uint16_t category_uid);

// OCSF enumerations shared by many classes.
enum class status_id : std::uint8_t { unknown = 0, success = 1, failure = 2, other = 99 };
enum class severity_id : std::uint8_t {
  unknown = 0,
  informational = 1,
  low = 2,
  medium = 3,
  high = 4,
  critical = 5,
  fatal = 6,
  other = 99
};
std::string_view status_name(status_id s);
std::string_view severity_name(severity_id s);

// Activity ids of the classes decoders use most (see the class pages on schema.ocsf.io).
namespace activity {
inline constexpr std::uint8_t unknown = 0;
inline constexpr std::uint8_t other = 99;
// authentication (3002)
inline constexpr std::uint8_t logon = 1;
inline constexpr std::uint8_t logoff = 2;
inline constexpr std::uint8_t authentication_ticket = 3;
inline constexpr std::uint8_t service_ticket = 4;
// api_activity (6003), datastore, entity management
inline constexpr std::uint8_t create = 1;
inline constexpr std::uint8_t read = 2;
inline constexpr std::uint8_t update = 3;
inline constexpr std::uint8_t remove = 4;
// process_activity (1007)
inline constexpr std::uint8_t launch = 1;
inline constexpr std::uint8_t terminate = 2;
// network_activity (4001) / http (4002) / dns (4003)
inline constexpr std::uint8_t open = 1;
inline constexpr std::uint8_t close = 2;
inline constexpr std::uint8_t traffic = 6;
inline constexpr std::uint8_t query = 1;
inline constexpr std::uint8_t response = 2;
inline constexpr std::uint8_t traffic_dns = 6;
}  // namespace activity

}  // namespace mamori::ocsf
