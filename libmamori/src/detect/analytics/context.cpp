#include "mamori/detect/analytics/context.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>

#include "mamori/decode/decoder.hpp"
#include "mamori/enrich/ip_reputation.hpp"
#include "mamori/event/time.hpp"
#include "mamori/output/event_writer.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::analytics {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && std::tolower(static_cast<unsigned char>(hay[i + k])) ==
                                    std::tolower(static_cast<unsigned char>(needle[k]))) {
      ++k;
    }
    if (k == needle.size()) return true;
  }
  return false;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  return true;
}

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes)
    if (s.starts_with(p)) return true;
  return false;
}

// Read-only API verbs (AWS naming; most SaaS admin APIs follow it).
bool read_only_operation(std::string_view op) {
  return starts_with_any(
      op, {"Get",      "List",     "Describe", "Head",    "Lookup", "Search", "Select",
           "Scan",     "Query",    "BatchGet", "View",    "Read",   "Check",  "Test",
           "Simulate", "Validate", "Estimate", "Preview", "get",    "list"});
}

// Services whose write operations change who can do what (identity, keys, audit, guardrails).
bool control_service(std::string_view service) {
  static constexpr std::string_view names[] = {"iam.",
                                               "organizations.",
                                               "kms.",
                                               "cloudtrail.",
                                               "config.",
                                               "guardduty.",
                                               "securityhub.",
                                               "sso.",
                                               "identitystore.",
                                               "access-analyzer.",
                                               "AzureActiveDirectory",
                                               "Directory",
                                               "admin",
                                               "Admin",
                                               "Okta",
                                               "directory"};
  for (auto n : names)
    if (service.find(n) != std::string_view::npos) return true;
  return false;
}

file_op classify_file_op(const event& e, std::string_view service, std::string_view op) {
  if (e.class_uid == ocsf::event_class::file_hosting_activity) {
    switch (e.activity_id) {
      case 1:
        return file_op::upload;  // OCSF File Hosting Activity: Upload
      case 2:
        return file_op::download;  // Download
      case 4:
        return file_op::remove;  // Delete
      default:
        break;
    }
  }
  if (op.empty()) return file_op::none;
  // AWS S3 data events.
  if (op == "GetObject") return file_op::download;
  if (op == "PutObject" || op == "CompleteMultipartUpload") return file_op::upload;
  if (op == "DeleteObject" || op == "DeleteObjects") return file_op::remove;
  if (service.find("amazonaws.com") != std::string_view::npos) return file_op::none;
  // SaaS file events: M365 FileDownloaded/FileUploaded/FileDeleted*, Box DOWNLOAD/UPLOAD/
  // DELETE, Google Drive download/upload/delete/trash.
  if (icontains(op, "download")) return file_op::download;
  if (icontains(op, "upload")) return file_op::upload;
  const bool file_context = e.class_uid == ocsf::event_class::file_hosting_activity ||
                            icontains(op, "file") || icontains(service, "drive") ||
                            icontains(service, "box") || icontains(service, "sharepoint") ||
                            icontains(service, "onedrive");
  if (file_context &&
      (icontains(op, "delete") || icontains(op, "recycle") || icontains(op, "trash"))) {
    return file_op::remove;
  }
  return file_op::none;
}

// The finding's severity from its level (the same mapping as Sigma levels).
ocsf::severity_id severity_of(std::string_view level) {
  if (level == "informational") return ocsf::severity_id::informational;
  if (level == "low") return ocsf::severity_id::low;
  if (level == "medium") return ocsf::severity_id::medium;
  if (level == "high") return ocsf::severity_id::high;
  if (level == "critical") return ocsf::severity_id::critical;
  return ocsf::severity_id::unknown;
}

bool mobile_agent(std::string_view os, std::string_view browser, std::string_view device) {
  return os.starts_with("iOS") || os.starts_with("Android") || os.starts_with("iPadOS") ||
         os.starts_with("Windows Phone") || device == "iPhone" || device == "iPad" ||
         browser.find("Mobile") != std::string_view::npos;
}

}  // namespace

// Raw (source) field ids the analytics read, interned once.
struct analytics_context::field_ids {
  field_id identity_type = intern_field("userIdentity.type");
  field_id invoked_by = intern_field("userIdentity.invokedBy");
  field_id event_name = intern_field("eventName");
  field_id event_source = intern_field("eventSource");
  field_id trail_name = intern_field("requestParameters.name");
  field_id bucket = intern_field("requestParameters.bucketName");
  field_id group_id = intern_field("requestParameters.groupId");
  field_id from_port = intern_field("requestParameters.ipPermissions.items.fromPort");
  field_id to_port = intern_field("requestParameters.ipPermissions.items.toPort");
  field_id from_port_flat = intern_field("requestParameters.fromPort");  // EC2 classic form
  field_id to_port_flat = intern_field("requestParameters.toPort");
  field_id error_code = intern_field("errorCode");
  field_id policy_arn = intern_field("requestParameters.policyArn");
  field_id policy_name = intern_field("requestParameters.policyName");
  field_id policy_document = intern_field("requestParameters.policyDocument");
  field_id role_name = intern_field("requestParameters.roleName");
  field_id user_name = intern_field("requestParameters.userName");
  field_id group_name = intern_field("requestParameters.groupName");
  field_id bytes_out = intern_field("additionalEventData.bytesTransferredOut");
  field_id bytes_in = intern_field("additionalEventData.bytesTransferredIn");
};

std::string ref_json(const event_ref& r) {
  std::string out = "{\"source\":";
  json_text::append_string(out, source_table::global().path(r.source));
  if (r.line > 0) fmt::format_to(std::back_inserter(out), ",\"line\":{}", r.line);
  fmt::format_to(std::back_inserter(out), ",\"offset\":{}", r.offset);
  if (!r.uid.empty()) {
    out += ",\"uid\":";
    json_text::append_string(out, r.uid);
  }
  if (r.time_ns != 0) {
    fmt::format_to(std::back_inserter(out), ",\"time\":\"{}\"",
                   timeparse::format_rfc3339(r.time_ns));
  }
  out += '}';
  return out;
}

std::string ref_text(const event_ref& r) {
  std::string_view path = source_table::global().path(r.source);
  if (auto slash = path.rfind('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (!r.uid.empty()) return fmt::format("{} {}", path, r.uid);
  if (r.line > 0) return fmt::format("{}:{}", path, r.line);
  return fmt::format("{}@{}", path, r.offset);
}

analytic::analytic(std::shared_ptr<analytics_context> ctx, std::string uid, std::string title)
    : ctx_(std::move(ctx)), uid_(std::move(uid)), title_(std::move(title)) {
  ctx_->add(this);
}

void analytic::observe(const event_batch& batch, finding_sink& out) {
  ctx_->arrive(*this, batch, out);
}

void analytic::finish(finding_sink& out) {
  ctx_->finish(*this, out);
}

std::string analytic::context_stats_json() const {
  return ctx_->stats_json();
}

std::string analytics_context::stats_json() const {
  const store_stats s = store_->stats();
  std::string by;
  for (const analytic* a : analytics_) {
    if (!by.empty()) by += ',';
    fmt::format_to(std::back_inserter(by), "\"{}\":{}", a->uid(), a->findings());
  }
  return fmt::format(
      "{{\"events\":{},\"observations\":{},\"late\":{},\"forced\":{},\"window_drops\":{},"
      "\"sign_ins_without_location\":{},\"profiles_in_memory\":{},\"profiles_created\":{},"
      "\"profiles_loaded\":{},\"profiles_evicted\":{},\"profiles_dropped\":{},"
      "\"profiles_saved\":{},\"bytes_per_stored_profile\":{},\"bytes_per_profile_in_memory\":{},"
      "\"persistent\":{},\"findings\":{{{}}}}}",
      stats_.events, stats_.observations, stats_.late, stats_.forced, stats_.window_drops,
      stats_.no_geo, s.in_memory, s.created, s.loaded, s.evicted, s.dropped, s.saved,
      s.saved == 0 ? 0 : s.bytes_serialized / s.saved, store_->memory_per_profile(),
      store_->persistent() ? "true" : "false", by);
}

finding analytic::make_finding(const observation& o, std::string_view level) const {
  finding f;
  f.time_ns = o.time_ns;
  f.rule_uid = uid_;
  f.rule_name = title_;
  f.rule_source = "analytics";
  f.level = std::string(level);
  f.severity = severity_of(level);
  f.user = o.user;
  f.host = o.src_host;
  f.src_ip = o.ip;
  f.source_file = std::string(source_table::global().path(o.ref.source));
  f.source_line = o.ref.line;
  f.source_offset = o.ref.offset;
  return f;
}

analytics_context::analytics_context(const analytics_config& config)
    : config_(config), ids_(std::make_unique<field_ids>()) {
  auto store = profile_store::open(config.state_dir, config.max_profiles);
  if (!store) {
    report(severity_level::error,
           store.error().message + "; baselines are kept in memory only for this run");
    store_ok_ = false;
    store = profile_store::open("", config.max_profiles);
  }
  store_ = std::move(*store);
  for (const auto& u : config.ignore_users) ignore_.emplace(lower(u), true);
}

analytics_context::~analytics_context() {
  while (!pending_.empty()) {
    delete pending_.top();
    pending_.pop();
  }
  if (!flushed_ && store_ != nullptr) store_->save();
}

void analytics_context::report(severity_level level, std::string message) {
  if (config_.diag != nullptr) {
    config_.diag->report(level, {"analytics", 0, 0}, std::move(message));
  } else {
    std::fprintf(stderr, "analytics: %s: %s\n",
                 level == severity_level::error ? "error" : "warning", message.c_str());
  }
}

void analytics_context::arrive(analytic& a, const event_batch& batch, finding_sink& out) {
  a.sink_ = &out;
  ++a.seen_batches_;
  if (a.seen_batches_ > ingested_) {
    ingest(batch);
    ingested_ = a.seen_batches_;
    arrived_ = 0;
  }
  if (a.seen_batches_ == ingested_) ++arrived_;
  if (arrived_ == analytics_.size() && !config_.batch) {
    const std::int64_t until = watermark_ - config_.lateness;
    release(until);
  }
}

void analytics_context::finish(analytic& a, finding_sink& out) {
  a.sink_ = &out;
  ++finished_;
  if (finished_ < analytics_.size() || flushed_) return;
  release(std::numeric_limits<std::int64_t>::max());
  for (analytic* x : analytics_) {
    finding_sink* s = x->sink_ != nullptr ? x->sink_ : &out;
    x->on_time(clock_ + config_.lateness + days_ns, *s);
    x->on_flush(*s);
  }
  flushed_ = true;
  if (auto r = store_->save(); !r) report(severity_level::error, r.error().message);
}

void analytics_context::ingest(const event_batch& batch) {
  const field_ids& ids = *ids_;
  const auto& registry = decoder_registry::builtin();
  for (const event& e : batch.events()) {
    ++stats_.events;
    obs_kind kind;
    switch (e.class_uid) {
      case ocsf::event_class::authentication:
        if (e.activity_id == ocsf::activity::logoff) continue;
        kind = obs_kind::sign_in;
        break;
      case ocsf::event_class::api_activity:
      case ocsf::event_class::file_hosting_activity:
      case ocsf::event_class::datastore_activity:
      case ocsf::event_class::web_resources_activity:
      case ocsf::event_class::account_change:
      case ocsf::event_class::user_access:
      case ocsf::event_class::entity_management:
      case ocsf::event_class::group_management:
        kind = obs_kind::api_call;
        break;
      case ocsf::event_class::http_activity: {
        // A proxy log line is an upload when a body left the client (POST/PUT with at least
        // 1 KB out; smaller ones are forms and beacons).
        std::string_view method = e.get_string(ocsf::attr::http_method);
        const value* out = e.get(ocsf::attr::bytes_out);
        const auto n = out != nullptr ? out->as_integer() : std::nullopt;
        if (!(method == "POST" || method == "PUT") || !n || *n < 1024) continue;
        kind = obs_kind::web_upload;
        break;
      }
      default:
        continue;
    }
    // The account: for authentication the user being authenticated (OCSF `user`), else the
    // actor; decoders fill one or the other.
    std::string_view user;
    if (kind == obs_kind::sign_in) {
      user = e.get_string(ocsf::attr::user_name);
      if (user.empty()) user = e.get_string(ocsf::attr::actor_user_name);
    } else {
      user = e.get_string(ocsf::attr::actor_user_name);
      if (user.empty()) user = e.get_string(ocsf::attr::user_name);
    }
    if (user.empty()) user = e.get_string(ocsf::attr::actor_user_email);
    if (user.empty() || user == "-" || iequals(user, "ANONYMOUS LOGON")) continue;
    if (config_.ignore_machine_accounts && user.back() == '$') continue;
    std::unique_ptr<observation> op;
    if (!free_.empty()) {
      op = std::move(free_.back());
      free_.pop_back();
      *op = observation{};
    } else {
      op = std::make_unique<observation>();
    }
    observation& o = *op;
    o.user_key = lower(user);
    if (!ignore_.empty() && ignore_.count(o.user_key) > 0) {
      free_.push_back(std::move(op));
      continue;
    }
    o.user = std::string(user);
    if (std::string_view actor = e.get_string(ocsf::attr::actor_user_name);
        !actor.empty() && actor != user) {
      o.actor = intern(actor);
    }
    o.kind = kind;
    o.time_ns = e.time_ns;
    o.seq = seq_++;
    o.status = e.status;
    o.ip = std::string(e.get_string(ocsf::attr::src_ip));
    if (auto a = ip_address::parse(o.ip)) {
      o.has_ip = true;
      o.addr = *a;
      o.ip_internal = a->is_internal();
      o.ip = a->to_string();  // one spelling per address ("::ffff:10.0.0.1" = "10.0.0.1")
    }
    o.src_host = intern(e.get_string(ocsf::attr::src_hostname));
    if (o.src_host.empty()) o.src_host = intern(e.get_string(ocsf::attr::device_hostname));
    const value* lat = e.get(ocsf::attr::src_lat);
    const value* lon = e.get(ocsf::attr::src_long);
    if (lat != nullptr && lon != nullptr) {
      auto la = lat->as_real();
      auto lo = lon->as_real();
      if (la && lo && !(*la == 0 && *lo == 0)) {
        o.has_geo = true;
        o.lat = *la;
        o.lon = *lo;
      }
    }
    o.country = intern(e.get_string(ocsf::attr::src_country));
    o.city = intern(e.get_string(ocsf::attr::src_city));
    o.region = intern(e.get_string(ocsf::attr::src_region));
    o.geo_provider = intern(e.get_string(ocsf::attr::src_geo_provider));
    if (const value* acc = e.get(ocsf::attr::src_geo_accuracy)) {
      o.accuracy_km = static_cast<std::uint32_t>(acc->as_integer().value_or(0));
    }
    if (const value* asn = e.get(ocsf::attr::src_asn)) {
      o.asn = static_cast<std::uint32_t>(asn->as_integer().value_or(0));
    }
    o.as_name = intern(e.get_string(ocsf::attr::src_as_name));
    auto flag = [&](ocsf::attr a, std::uint32_t bit) {
      const value* v = e.get(a);
      if (v != nullptr && v->type == value_type::boolean && v->b) o.flags |= bit;
    };
    flag(ocsf::attr::src_is_vpn, ip_flag::vpn);
    flag(ocsf::attr::src_is_hosting, ip_flag::hosting);
    flag(ocsf::attr::src_is_tor, ip_flag::tor);
    flag(ocsf::attr::src_is_relay, ip_flag::relay);
    flag(ocsf::attr::src_is_corporate, ip_flag::corporate);
    flag(ocsf::attr::src_is_known_bad, ip_flag::known_bad);
    o.user_agent = intern(e.get_string(ocsf::attr::http_user_agent).substr(0, 512));
    o.os = intern(e.get_string(ocsf::attr::src_os_name));
    o.browser = intern(e.get_string(ocsf::attr::src_browser_name));
    o.device = intern(e.get_string(ocsf::attr::src_device_family));
    o.mobile = mobile_agent(o.os, o.browser, o.device);
    o.service = intern(e.get_string(ocsf::attr::api_service));
    o.operation = intern(e.get_string(ocsf::attr::api_operation));
    o.cloud_account = intern(e.get_string(ocsf::attr::cloud_account));
    o.product = intern(e.get_string(ocsf::attr::metadata_product));
    if (kind == obs_kind::api_call) {
      o.fop = classify_file_op(e, o.service, o.operation);
      if (o.fop != file_op::none) o.kind = obs_kind::file_op;
      o.admin_op = control_service(o.service) && !read_only_operation(o.operation) &&
                   e.activity_id != ocsf::activity::read;
    } else if (kind == obs_kind::web_upload) {
      o.fop = file_op::upload;
    }
    auto number = [&](ocsf::attr a) -> std::optional<std::int64_t> {
      const value* v = e.get(a);
      return v != nullptr ? v->as_integer() : std::nullopt;
    };
    auto raw_number = [&](field_id id) -> std::optional<std::int64_t> {
      const value* v = e.raw(id);
      if (v == nullptr) return std::nullopt;
      if (auto i = v->as_integer()) return i;
      if (auto d = v->as_real()) return static_cast<std::int64_t>(*d);
      return std::nullopt;
    };
    if (o.fop != file_op::none) {
      std::optional<std::int64_t> b = number(ocsf::attr::file_size);
      if (!b) b = o.fop == file_op::download ? raw_number(ids.bytes_out) : raw_number(ids.bytes_in);
      if (!b)
        b = o.fop == file_op::download ? number(ocsf::attr::bytes_in)
                                       : number(ocsf::attr::bytes_out);
      if (!b) b = number(ocsf::attr::bytes_total);
      o.bytes = b && *b > 0 ? static_cast<std::uint64_t>(*b) : 0;
    }
    // AWS root and security-critical changes (CloudTrail field names).
    const std::string_view identity_type = e.raw_string(ids.identity_type);
    const std::string_view actor_type = e.get_string(ocsf::attr::actor_user_type);
    if ((identity_type == "Root" || actor_type == "Root") && e.raw(ids.invoked_by) == nullptr) {
      o.is_root = true;
    }
    if (!o.operation.empty() && !e.raw_string(ids.event_source).empty()) {
      const std::string_view op = o.operation;
      const std::string_view svc = o.service;
      auto any_raw = [&](auto&& pred) {
        for (const auto& f : e.fields)
          if (f.origin == field_origin::raw && f.v.is_string() &&
              pred(field_registry::global().name(f.id), f.v.s)) {
            return true;
          }
        return false;
      };
      if (op == "StopLogging" || op == "DeleteTrail") {
        o.critical = fmt::format("{} on trail '{}'", op, e.raw_string(ids.trail_name));
        o.critical_kind = "logging";
        o.critical_high = true;
      } else if (op == "DeleteFlowLogs" || op == "DeleteDetector" || op == "DisableSecurityHub" ||
                 op == "StopConfigurationRecorder" || op == "DeleteConfigurationRecorder" ||
                 op == "DeleteDeliveryChannel" || op == "UpdateDetector") {
        if (op != "UpdateDetector" || any_raw([](std::string_view n, std::string_view v) {
              return n == "requestParameters.enable" && v == "false";
            })) {
          o.critical = fmt::format("{} ({})", op, svc);
          o.critical_kind = "logging";
          o.critical_high = true;
        }
      } else if (op == "AuthorizeSecurityGroupIngress" || op == "ModifySecurityGroupRules") {
        const bool open = any_raw([](std::string_view n, std::string_view v) {
          return (v == "0.0.0.0/0" || v == "::/0") && icontains(n, "cidrip");
        });
        if (open) {
          const value* fp = e.raw(ids.from_port);
          const value* tp = e.raw(ids.to_port);
          if (fp == nullptr) fp = e.raw(ids.from_port_flat);
          if (tp == nullptr) tp = e.raw(ids.to_port_flat);
          const std::int64_t from = fp != nullptr ? fp->as_integer().value_or(-1) : -1;
          const std::int64_t to = tp != nullptr ? tp->as_integer().value_or(-1) : -1;
          std::string ports = from < 0     ? std::string("all ports")
                              : from == to ? fmt::format("port {}", from)
                                           : fmt::format("ports {}-{}", from, to);
          o.critical = fmt::format("security group {} opened to the internet (0.0.0.0/0) on {}",
                                   e.raw_string(ids.group_id), ports);
          o.critical_kind = "network";
          const auto covers = [&](std::int64_t p) { return from <= p && p <= to; };
          o.critical_high = from < 0 || covers(22) || covers(3389) || (to - from) > 1000;
        }
      } else if (op == "PutBucketAcl" || op == "PutObjectAcl") {
        const bool public_grant = any_raw([](std::string_view, std::string_view v) {
          return v.find("acs.amazonaws.com/groups/global/AllUsers") != std::string_view::npos ||
                 v.find("acs.amazonaws.com/groups/global/AuthenticatedUsers") !=
                     std::string_view::npos;
        });
        if (public_grant) {
          o.critical =
              fmt::format("{} grants public access on bucket '{}'", op, e.raw_string(ids.bucket));
          o.critical_kind = "storage";
          o.critical_high = op == "PutBucketAcl";
        }
      } else if (op == "PutBucketPolicy") {
        const bool star = any_raw([](std::string_view n, std::string_view v) {
          return v == "*" && icontains(n, "Principal");
        });
        if (star) {
          o.critical =
              fmt::format("bucket policy on '{}' allows Principal \"*\"", e.raw_string(ids.bucket));
          o.critical_kind = "storage";
          o.critical_high = true;
        }
      } else if (op == "DeleteBucketPublicAccessBlock" || op == "DeletePublicAccessBlock" ||
                 op == "DeleteAccountPublicAccessBlock") {
        o.critical = fmt::format("{} on '{}'", op, e.raw_string(ids.bucket));
        o.critical_kind = "storage";
        o.critical_high = true;
      } else if (op == "PutBucketPublicAccessBlock" || op == "PutPublicAccessBlock") {
        const bool weakened = any_raw([](std::string_view n, std::string_view v) {
          return v == "false" && (icontains(n, "BlockPublic") || icontains(n, "RestrictPublic") ||
                                  icontains(n, "IgnorePublic"));
        });
        // Booleans arrive as JSON booleans, not strings: check those too.
        bool weakened_bool = false;
        for (const auto& f : e.fields) {
          if (f.origin != field_origin::raw || f.v.type != value_type::boolean || f.v.b) continue;
          std::string_view n = field_registry::global().name(f.id);
          if (icontains(n, "BlockPublic") || icontains(n, "RestrictPublic") ||
              icontains(n, "IgnorePublic")) {
            weakened_bool = true;
          }
        }
        if (weakened || weakened_bool) {
          o.critical =
              fmt::format("public access block weakened on '{}'", e.raw_string(ids.bucket));
          o.critical_kind = "storage";
          o.critical_high = true;
        }
      } else if ((op == "ModifySnapshotAttribute" || op == "ModifyImageAttribute" ||
                  op == "ModifyDBSnapshotAttribute") &&
                 any_raw([](std::string_view n, std::string_view v) {
                   return (v == "all" && icontains(n, "group")) ||
                          (v == "all" && icontains(n, "valuesToAdd"));
                 })) {
        o.critical = fmt::format("{} shares a snapshot/image with everyone", op);
        o.critical_kind = "storage";
        o.critical_high = true;
      } else if (svc.starts_with("iam.") &&
                 (op.starts_with("Put") || op.starts_with("Attach") || op.starts_with("Detach") ||
                  op == "CreatePolicy" || op == "CreatePolicyVersion" || op == "DeletePolicy" ||
                  op == "DeletePolicyVersion" || op == "SetDefaultPolicyVersion" ||
                  op == "UpdateAssumeRolePolicy") &&
                 op.find("Policy") != std::string_view::npos) {
        std::string_view target = e.raw_string(ids.role_name);
        if (target.empty()) target = e.raw_string(ids.user_name);
        if (target.empty()) target = e.raw_string(ids.group_name);
        std::string_view policy = e.raw_string(ids.policy_arn);
        if (policy.empty()) policy = e.raw_string(ids.policy_name);
        o.critical = target.empty() ? fmt::format("IAM {} ({})", op, policy)
                                    : fmt::format("IAM {} on '{}' ({})", op, target, policy);
        o.critical_kind = "iam";
        const std::string_view doc = e.raw_string(ids.policy_document);
        o.critical_high = policy.find("AdministratorAccess") != std::string_view::npos ||
                          (doc.find("\"Action\":\"*\"") != std::string_view::npos ||
                           doc.find("\"Action\": \"*\"") != std::string_view::npos ||
                           doc.find("%22Action%22%3A%22%2A%22") != std::string_view::npos);
      }
    }
    if (!o.critical.empty() && e.status == ocsf::status_id::failure) {
      // An attempt that failed (AccessDenied, TrailNotFound...) still shows intent.
      o.critical_failed = true;
      o.critical_error = std::string(e.raw_string(ids.error_code));
    }
    const bool single_event =
        o.is_root || !o.critical.empty() || (o.flags & (ip_flag::tor | ip_flag::known_bad)) != 0;
    if (single_event) {
      append_event_json(o.event_json, e, registry.at(e.decoder).name);
    }
    o.ref.source = e.source;
    o.ref.line = e.line;
    o.ref.offset = e.offset;
    o.ref.uid = std::string(e.get_string(ocsf::attr::metadata_uid));
    o.ref.time_ns = e.time_ns;
    if (o.kind == obs_kind::sign_in && !o.has_geo && o.has_ip && !o.ip_internal) ++stats_.no_geo;
    ++stats_.observations;
    if (o.time_ns < released_) ++stats_.late;
    watermark_ = std::max(watermark_, o.time_ns);
    pending_.push(op.release());
    if (pending_.size() > config_.max_pending) {
      ++stats_.forced;
      observation* top = pending_.top();
      pending_.pop();
      dispatch(*top);
      free_.emplace_back(top);
    }
  }
}

void analytics_context::release(std::int64_t until) {
  while (!pending_.empty() && pending_.top()->time_ns <= until) {
    observation* o = pending_.top();
    pending_.pop();
    dispatch(*o);
    if (free_.size() < 4096) {
      free_.emplace_back(o);
    } else {
      delete o;
    }
  }
}

void analytics_context::dispatch(observation& o) {
  released_ = std::max(released_, o.time_ns);
  clock_ = std::max(clock_, o.time_ns);
  if (store_->org().first_seen == 0) {
    store_->org().first_seen = o.time_ns;
    store_->org().dirty = true;
  }
  bool created = false;
  user_profile& p = store_->get(o.user_key, o.user, o.time_ns, &created);
  if (created) {
    ++store_->org().users;
    store_->org().dirty = true;
  }
  const std::uint32_t bit = want(o.kind);
  for (analytic* a : analytics_) {
    if ((a->wants() & bit) == 0) continue;
    finding_sink* s = a->sink_;
    if (s == nullptr) {
      for (analytic* b : analytics_)
        if (b->sink_ != nullptr) s = b->sink_;
    }
    if (s == nullptr) continue;
    a->on_observation(o, p, *s);
  }
  update_profile(o, p, created);
  if (clock_ - last_tick_ >= minutes_ns) {
    last_tick_ = clock_;
    for (analytic* a : analytics_) {
      if (a->sink_ != nullptr) a->on_time(clock_, *a->sink_);
    }
  }
}

void analytics_context::update_profile(const observation& o, user_profile& p, bool created) {
  (void)created;
  p.dirty = true;
  p.last_seen = std::max(p.last_seen, o.time_ns);
  p.first_seen = std::min(p.first_seen, o.time_ns);
  const std::int64_t secs_of_day = ((o.time_ns / seconds_ns) % 86400 + 86400) % 86400;
  auto& h = p.hours[static_cast<std::size_t>(secs_of_day / 3600)];
  if (h < 0xffff) ++h;
  string_pool& pool = store_->pool();
  const bool success = o.status != ocsf::status_id::failure;
  if (o.kind == obs_kind::sign_in) {
    if (!success) {
      ++p.failures;
      return;
    }
    ++p.sign_ins;
    p.egress |= o.flags;
    if (!o.os.empty() && o.os != "Other") p.os.add(pool.intern(o.os));
    if (!o.browser.empty() && o.browser != "Other") p.browsers.add(pool.intern(o.browser));
    if (!o.device.empty() && o.device != "Other") p.devices.add(pool.intern(o.device));
  } else {
    ++p.api_calls;
    if (!success) return;
    if (!o.service.empty()) p.services.add(pool.intern(o.service));
    if (o.admin_op) ++p.admin_ops;
  }
  if (o.asn != 0 && p.asns.add(o.asn) == 0) {
    ++store_->org().asn_users[o.asn];
    store_->org().dirty = true;
  }
  if (!o.country.empty()) {
    const std::uint32_t c = pool.intern(o.country);
    if (p.countries.add(c) == 0) {
      ++store_->org().country_users[c];
      store_->org().dirty = true;
    }
  }
  if (o.kind == obs_kind::sign_in && o.has_geo && (!p.last || p.last->time_ns <= o.time_ns)) {
    last_location l;
    l.time_ns = o.time_ns;
    l.lat = o.lat;
    l.lon = o.lon;
    l.country = pool.intern(o.country);
    l.city = pool.intern(o.city);
    l.asn = o.asn;
    l.accuracy_km = o.accuracy_km;
    l.flags = o.flags;
    l.mobile = o.mobile;
    l.ip = o.addr;
    l.event_ref = ref_text(o.ref);
    p.last = std::move(l);
  }
}

}  // namespace mamori::analytics
