#include "mamori/event/ocsf.hpp"

namespace mamori::ocsf {

std::string_view class_name(event_class c) {
  switch (c) {
    case event_class::base_event:
      return "Base Event";
    case event_class::file_activity:
      return "File System Activity";
    case event_class::kernel_extension:
      return "Kernel Extension Activity";
    case event_class::kernel_activity:
      return "Kernel Activity";
    case event_class::memory_activity:
      return "Memory Activity";
    case event_class::module_activity:
      return "Module Activity";
    case event_class::scheduled_job:
      return "Scheduled Job Activity";
    case event_class::process_activity:
      return "Process Activity";
    case event_class::event_log_activity:
      return "Event Log Activity";
    case event_class::security_finding:
      return "Security Finding";
    case event_class::detection_finding:
      return "Detection Finding";
    case event_class::account_change:
      return "Account Change";
    case event_class::authentication:
      return "Authentication";
    case event_class::authorize_session:
      return "Authorize Session";
    case event_class::entity_management:
      return "Entity Management";
    case event_class::user_access:
      return "User Access Management";
    case event_class::group_management:
      return "Group Management";
    case event_class::network_activity:
      return "Network Activity";
    case event_class::http_activity:
      return "HTTP Activity";
    case event_class::dns_activity:
      return "DNS Activity";
    case event_class::dhcp_activity:
      return "DHCP Activity";
    case event_class::rdp_activity:
      return "RDP Activity";
    case event_class::smb_activity:
      return "SMB Activity";
    case event_class::ssh_activity:
      return "SSH Activity";
    case event_class::ftp_activity:
      return "FTP Activity";
    case event_class::email_activity:
      return "Email Activity";
    case event_class::ntp_activity:
      return "NTP Activity";
    case event_class::web_resources_activity:
      return "Web Resources Activity";
    case event_class::web_resource_access:
      return "Web Resource Access Activity";
    case event_class::application_lifecycle:
      return "Application Lifecycle";
    case event_class::api_activity:
      return "API Activity";
    case event_class::datastore_activity:
      return "Datastore Activity";
    case event_class::file_hosting_activity:
      return "File Hosting Activity";
    case event_class::device_inventory_info:
      return "Device Inventory Info";
  }
  return "Unknown";
}

std::string_view category_name(std::uint16_t category_uid) {
  switch (category_uid) {
    case 0:
      return "Uncategorized";
    case 1:
      return "System Activity";
    case 2:
      return "Findings";
    case 3:
      return "Identity & Access Management";
    case 4:
      return "Network Activity";
    case 5:
      return "Discovery";
    case 6:
      return "Application Activity";
    default:
      return "Unknown";
  }
}

std::string_view status_name(status_id s) {
  switch (s) {
    case status_id::unknown:
      return "Unknown";
    case status_id::success:
      return "Success";
    case status_id::failure:
      return "Failure";
    case status_id::other:
      return "Other";
  }
  return "Unknown";
}

std::string_view severity_name(severity_id s) {
  switch (s) {
    case severity_id::unknown:
      return "Unknown";
    case severity_id::informational:
      return "Informational";
    case severity_id::low:
      return "Low";
    case severity_id::medium:
      return "Medium";
    case severity_id::high:
      return "High";
    case severity_id::critical:
      return "Critical";
    case severity_id::fatal:
      return "Fatal";
    case severity_id::other:
      return "Other";
  }
  return "Unknown";
}

}  // namespace mamori::ocsf
