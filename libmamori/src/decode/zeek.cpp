// Zeek records → OCSF. See zeek.hpp and docs/formats/zeek.md.

#include "mamori/decode/zeek.hpp"

#include "mamori/decode/text_scan.hpp"

namespace mamori::zeek {

namespace {

using ocsf::attr;

constexpr std::string_view known_paths[] = {
    "conn",        "dns",          "http",
    "ssl",         "ssh",          "rdp",
    "ntlm",        "kerberos",     "files",
    "x509",        "dce_rpc",      "smb_files",
    "smb_mapping", "weird",        "notice",
    "dpd",         "pe",           "packet_filter",
    "analyzer",    "known_hosts",  "known_services",
    "known_certs", "software",     "smtp",
    "ftp",         "snmp",         "ntp",
    "ocsp",        "modbus",       "rfb",
    "syslog",      "sip",          "dhcp",
    "stats",       "capture_loss", "loaded_scripts",
    "ldap",        "ldap_search",  "reporter",
    "tunnel",
};

// Record fields Zeek names with a dot, which some shippers (Corelight/Humio style streams with
// "@stream") write with an underscore.
constexpr std::pair<std::string_view, std::string_view> dotted[] = {
    {"id_orig_h", "id.orig_h"},
    {"id_orig_p", "id.orig_p"},
    {"id_resp_h", "id.resp_h"},
    {"id_resp_p", "id.resp_p"},
    {"certificate_version", "certificate.version"},
    {"certificate_serial", "certificate.serial"},
    {"certificate_subject", "certificate.subject"},
    {"certificate_issuer", "certificate.issuer"},
    {"certificate_not_valid_before", "certificate.not_valid_before"},
    {"certificate_not_valid_after", "certificate.not_valid_after"},
    {"certificate_key_alg", "certificate.key_alg"},
    {"certificate_sig_alg", "certificate.sig_alg"},
    {"certificate_key_type", "certificate.key_type"},
    {"certificate_key_length", "certificate.key_length"},
    {"certificate_exponent", "certificate.exponent"},
    {"certificate_curve", "certificate.curve"},
    {"san_dns", "san.dns"},
    {"san_uri", "san.uri"},
    {"san_email", "san.email"},
    {"san_ip", "san.ip"},
    {"basic_constraints_ca", "basic_constraints.ca"},
    {"basic_constraints_path_len", "basic_constraints.path_len"},
    {"data_channel_passive", "data_channel.passive"},
    {"data_channel_orig_h", "data_channel.orig_h"},
    {"data_channel_resp_h", "data_channel.resp_h"},
    {"data_channel_resp_p", "data_channel.resp_p"},
};

struct field_ids {
  field_id orig_h = intern_field("id.orig_h");
  field_id orig_p = intern_field("id.orig_p");
  field_id resp_h = intern_field("id.resp_h");
  field_id resp_p = intern_field("id.resp_p");
  field_id proto = intern_field("proto");
  field_id uid = intern_field("uid");
  field_id conn_state = intern_field("conn_state");
  field_id orig_bytes = intern_field("orig_bytes");
  field_id resp_bytes = intern_field("resp_bytes");
  field_id query = intern_field("query");
  field_id qtype_name = intern_field("qtype_name");
  field_id rcode_name = intern_field("rcode_name");
  field_id method = intern_field("method");
  field_id host = intern_field("host");
  field_id uri = intern_field("uri");
  field_id user_agent = intern_field("user_agent");
  field_id referrer = intern_field("referrer");
  field_id status_code = intern_field("status_code");
  field_id request_body_len = intern_field("request_body_len");
  field_id response_body_len = intern_field("response_body_len");
  field_id resp_mime_types = intern_field("resp_mime_types");
  field_id username = intern_field("username");
  field_id version = intern_field("version");
  field_id server_name = intern_field("server_name");
  field_id established = intern_field("established");
  field_id auth_success = intern_field("auth_success");
  field_id cookie = intern_field("cookie");
  field_id result = intern_field("result");
  field_id domainname = intern_field("domainname");
  field_id success = intern_field("success");
  field_id server_dns_computer_name = intern_field("server_dns_computer_name");
  field_id server_nb_computer_name = intern_field("server_nb_computer_name");
  field_id request_type = intern_field("request_type");
  field_id client = intern_field("client");
  field_id error_msg = intern_field("error_msg");
  field_id status = intern_field("status");
  field_id service = intern_field("service");
};

const field_ids& ids() {
  static const field_ids f;
  return f;
}

std::string_view str(const event& ev, field_id id) {
  return ev.raw_string(id);
}

std::optional<std::int64_t> num(const event& ev, field_id id) {
  const value* v = ev.raw(id);
  return v != nullptr ? v->as_integer() : std::nullopt;
}

std::optional<bool> flag(const event& ev, field_id id) {
  const value* v = ev.raw(id);
  if (v == nullptr) return std::nullopt;
  if (v->type == value_type::boolean) return v->b;
  if (v->is_string()) {
    if (v->s == "T" || v->s == "true") return true;
    if (v->s == "F" || v->s == "false") return false;
  }
  return std::nullopt;
}

void copy_str(event& ev, attr a, field_id id) {
  if (auto s = str(ev, id); !s.empty()) ev.set(a, value::string(s));
}

void copy_num(event& ev, attr a, field_id id) {
  if (auto n = num(ev, id)) ev.set(a, value::integer(*n));
}

ocsf::status_id status_of(std::optional<bool> ok) {
  if (!ok) return ocsf::status_id::unknown;
  return *ok ? ocsf::status_id::success : ocsf::status_id::failure;
}

void endpoints(event& ev) {
  const field_ids& f = ids();
  copy_str(ev, attr::src_ip, f.orig_h);
  copy_num(ev, attr::src_port, f.orig_p);
  copy_str(ev, attr::dst_ip, f.resp_h);
  copy_num(ev, attr::dst_port, f.resp_p);
  copy_str(ev, attr::protocol_name, f.proto);
}

// OCSF Network Activity activity_id from Zeek's conn_state (Conn::Info documentation).
void conn(event& ev) {
  const field_ids& f = ids();
  ev.class_uid = ocsf::event_class::network_activity;
  const std::string_view state = str(ev, f.conn_state);
  if (state == "SF") {
    ev.activity_id = ocsf::activity::close;  // normal establishment and termination
    ev.status = ocsf::status_id::success;
  } else if (state == "REJ") {
    ev.activity_id = 5;  // Refuse
    ev.status = ocsf::status_id::failure;
  } else if (state == "S0") {
    ev.activity_id = 4;  // Fail: attempt seen, no reply
    ev.status = ocsf::status_id::failure;
  } else if (state.starts_with("RST")) {
    ev.activity_id = 3;  // Reset
  } else {
    ev.activity_id = ocsf::activity::traffic;
  }
  if (!state.empty()) ev.set(attr::status_code, value::string(state));
  // traffic.bytes_out: source → destination (originator payload); bytes_in: the reverse.
  const auto out = num(ev, f.orig_bytes);
  const auto in = num(ev, f.resp_bytes);
  if (out) ev.set(attr::bytes_out, value::integer(*out));
  if (in) ev.set(attr::bytes_in, value::integer(*in));
  if (out || in) ev.set(attr::bytes_total, value::integer(out.value_or(0) + in.value_or(0)));
}

void dns(event& ev) {
  const field_ids& f = ids();
  ev.class_uid = ocsf::event_class::dns_activity;
  copy_str(ev, attr::query_hostname, f.query);
  copy_str(ev, attr::query_type, f.qtype_name);
  const std::string_view rcode = str(ev, f.rcode_name);
  if (rcode.empty()) {
    ev.activity_id = ocsf::activity::query;
  } else {
    ev.activity_id = ocsf::activity::traffic_dns;  // query and response in one record
    ev.set(attr::dns_rcode, value::string(rcode));
    ev.status = rcode == "NOERROR" ? ocsf::status_id::success : ocsf::status_id::failure;
  }
}

void http(event& ev, decode_context& ctx) {
  const field_ids& f = ids();
  ev.class_uid = ocsf::event_class::http_activity;
  const std::string_view method = str(ev, f.method);
  ev.activity_id = text::http_activity(method);
  if (!method.empty()) ev.set(attr::http_method, value::string(method));
  const std::string_view host = str(ev, f.host);
  const std::string_view uri = str(ev, f.uri);
  if (!host.empty()) {
    ev.set(attr::http_url_hostname, value::string(host));
    if (!text::is_ip(host)) ev.set(attr::dst_hostname, value::string(host));
  }
  const auto port = num(ev, f.resp_p);
  if (port) ev.set(attr::http_url_port, value::integer(*port));
  if (!uri.empty()) {
    const text::url_parts u = text::parse_url(uri);
    if (!u.path.empty()) ev.set(attr::http_url_path, value::string(u.path));
    if (!u.scheme.empty()) {
      // A proxied request carries an absolute URI.
      ev.set(attr::http_url_scheme, value::string(u.scheme));
      ev.set(attr::http_url, value::string(uri));
    } else if (!host.empty()) {
      // HTTP::Info has no scheme: the URL as the client requested it over plain HTTP.
      std::string url = "http://";
      url.append(host);
      if (port && *port != 80 && host.find(':') == std::string_view::npos) {
        url.append(":").append(std::to_string(*port));
      }
      url.append(uri);
      ev.set(attr::http_url, value::string(ctx.store(url)));
    } else {
      ev.set(attr::http_url, value::string(uri));
    }
  }
  copy_str(ev, attr::http_user_agent, f.user_agent);
  copy_str(ev, attr::http_referrer, f.referrer);
  copy_str(ev, attr::actor_user_name, f.username);
  copy_str(ev, attr::http_content_type, f.resp_mime_types);
  if (auto code = num(ev, f.status_code)) {
    ev.set(attr::http_response_code, value::integer(*code));
    ev.status = *code >= 400 ? ocsf::status_id::failure : ocsf::status_id::success;
  }
  copy_num(ev, attr::bytes_out, f.request_body_len);
  copy_num(ev, attr::bytes_in, f.response_body_len);
}

void ssl(event& ev) {
  const field_ids& f = ids();
  // OCSF 1.3 has no TLS class: a TLS session is Network Activity with the tls object.
  ev.class_uid = ocsf::event_class::network_activity;
  ev.activity_id = ocsf::activity::traffic;
  const std::string_view sni = str(ev, f.server_name);
  if (!sni.empty()) {
    ev.set(attr::tls_sni, value::string(sni));
    if (!text::is_ip(sni)) ev.set(attr::dst_hostname, value::string(sni));
  }
  copy_str(ev, attr::tls_version, f.version);
  ev.status = status_of(flag(ev, f.established));
}

void ssh(event& ev) {
  const field_ids& f = ids();
  ev.class_uid = ocsf::event_class::ssh_activity;
  ev.activity_id = ocsf::activity::traffic;
  ev.status = status_of(flag(ev, f.auth_success));
}

void rdp(event& ev) {
  const field_ids& f = ids();
  ev.class_uid = ocsf::event_class::rdp_activity;
  ev.activity_id = ocsf::activity::traffic;
  copy_str(ev, attr::actor_user_name, f.cookie);
  const std::string_view result = str(ev, f.result);
  if (!result.empty()) {
    ev.set(attr::status_detail, value::string(result));
    // RDP::Info result: "Success" or the failure code name; "encrypted" = outcome not visible.
    if (result == "Success") {
      ev.status = ocsf::status_id::success;
    } else if (result != "encrypted") {
      ev.status = ocsf::status_id::failure;
    }
  }
}

void ntlm(event& ev) {
  const field_ids& f = ids();
  ev.class_uid = ocsf::event_class::authentication;
  ev.activity_id = ocsf::activity::logon;
  ev.set(attr::auth_protocol, value::string("NTLM"));
  copy_str(ev, attr::actor_user_name, f.username);
  copy_str(ev, attr::actor_user_domain, f.domainname);
  std::string_view server = str(ev, f.server_dns_computer_name);
  if (server.empty()) server = str(ev, f.server_nb_computer_name);
  if (!server.empty()) ev.set(attr::dst_hostname, value::string(server));
  ev.status = status_of(flag(ev, f.success));
  copy_str(ev, attr::status_detail, f.status);
}

void kerberos(event& ev) {
  const field_ids& f = ids();
  ev.class_uid = ocsf::event_class::authentication;
  ev.set(attr::auth_protocol, value::string("Kerberos"));
  const std::string_view type = str(ev, f.request_type);
  const std::string_view service = str(ev, f.service);
  if (type == "AS" || (type.empty() && service.starts_with("krbtgt/"))) {
    // AS-REQ, or (request_type unset) a request for the TGT service.
    ev.activity_id = ocsf::activity::authentication_ticket;
  } else if (type == "TGS" || !service.empty()) {
    ev.activity_id = ocsf::activity::service_ticket;
  }
  // client: "user/REALM"
  std::string_view client = str(ev, f.client);
  if (!client.empty()) {
    const std::size_t slash = client.rfind('/');
    ev.set(attr::actor_user_name, value::string(client.substr(0, slash)));
    if (slash != std::string_view::npos && slash + 1 < client.size()) {
      ev.set(attr::actor_user_domain, value::string(client.substr(slash + 1)));
    }
  }
  ev.status = status_of(flag(ev, f.success));
  copy_str(ev, attr::status_detail, f.error_msg);
}

}  // namespace

std::string_view path_from_filename(std::string_view path) {
  std::string_view name = path.substr(path.find_last_of('/') + 1);
  for (std::string_view ext : {".gz", ".zst", ".log", ".json", ".ndjson", ".tsv"}) {
    text::consume_back(name, ext);
  }
  // Rotated logs: "conn.00:00:00-01:00:00" → "conn"
  name = name.substr(0, name.find('.'));
  std::string_view best;
  for (std::string_view p : known_paths) {
    if (name == p) return p;
    // "NASHUA_conn" (a host prefix); the longest match wins ("smb_files" over "files").
    if (name.size() > p.size() && name.ends_with(p) && name[name.size() - p.size() - 1] == '_' &&
        p.size() > best.size()) {
      best = p;
    }
  }
  return best;
}

std::string_view canonical_name(std::string_view name) {
  if (name.find('_') == std::string_view::npos) return name;
  for (const auto& [from, to] : dotted)
    if (from == name) return to;
  return name;
}

void normalize(std::string_view path, event& ev, decode_context& ctx) {
  ev.set(attr::metadata_product, value::string("Zeek"));
  ev.set(attr::metadata_vendor, value::string("Zeek"));
  if (!path.empty()) ev.set(attr::metadata_log_name, value::string(path));
  if (path == "conn") {
    endpoints(ev);
    conn(ev);
  } else if (path == "dns") {
    endpoints(ev);
    dns(ev);
  } else if (path == "http") {
    endpoints(ev);
    http(ev, ctx);
  } else if (path == "ssl") {
    endpoints(ev);
    ssl(ev);
  } else if (path == "ssh") {
    endpoints(ev);
    ssh(ev);
  } else if (path == "rdp") {
    endpoints(ev);
    rdp(ev);
  } else if (path == "ntlm") {
    endpoints(ev);
    ntlm(ev);
  } else if (path == "kerberos") {
    endpoints(ev);
    kerberos(ev);
  }
}

}  // namespace mamori::zeek
