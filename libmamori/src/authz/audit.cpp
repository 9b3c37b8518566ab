#include "mamori/authz/audit.hpp"

#include <fmt/format.h>

#include "mamori/authz/timezone.hpp"
#include "mamori/event/time.hpp"
#include "mamori/output/event_writer.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::authz {

namespace {

struct raw_ids {
  field_id rule = intern_field("authz.rule");
  field_id outcome = intern_field("authz.outcome");
  field_id application = intern_field("authz.application");
  field_id generation = intern_field("authz.policy_generation");
  field_id groups = intern_field("authz.groups");
  field_id mfa = intern_field("authz.mfa");
  field_id proxy = intern_field("authz.proxy");
  field_id guard = intern_field("authz.guard");
};

const raw_ids& ids() {
  static const raw_ids r;
  return r;
}

std::uint32_t audit_source() {
  static const std::uint32_t id = source_table::global().add("mamori authz");
  return id;
}

std::string_view guard_name(guard g) {
  switch (g) {
    case guard::none:
      return "rule";
    case guard::no_application:
      return "no_application";
    case guard::session_revoked:
      return "session_revoked";
    case guard::device_isolated:
      return "device_isolated";
    case guard::default_deny:
      return "default_deny";
  }
  return "?";
}

}  // namespace

void to_event(const decision_record& r, event_batch& b) {
  event& e = b.add();
  e.time_ns = r.time_ns;
  e.source = audit_source();
  e.class_uid = ocsf::event_class::web_resource_access;
  // OCSF 6004 activities: 1 Access Grant, 2 Access Deny, 3 Access Revoke, 4 Access Error.
  e.activity_id = r.result == outcome::allow ? 1 : r.why == guard::session_revoked ? 3 : 2;
  e.status = r.result == outcome::allow ? ocsf::status_id::success : ocsf::status_id::failure;
  e.severity = r.result == outcome::allow ? ocsf::severity_id::informational
               : (r.why == guard::device_isolated || r.why == guard::session_revoked)
                   ? ocsf::severity_id::medium
                   : ocsf::severity_id::low;
  auto s = [&](ocsf::attr a, std::string_view v) {
    if (!v.empty()) e.set(a, value::string(b.store(v)));
  };
  s(ocsf::attr::status_code, outcome_name(r.result));
  s(ocsf::attr::status_detail, r.reason);
  s(ocsf::attr::message, r.reason);
  s(ocsf::attr::actor_user_name, r.user);
  s(ocsf::attr::actor_user_email, r.email);
  s(ocsf::attr::actor_session_uid, r.session);
  s(ocsf::attr::src_ip, r.source_ip);
  s(ocsf::attr::src_country, r.country);
  s(ocsf::attr::device_uid, r.device);
  s(ocsf::attr::http_url_hostname, r.host);
  s(ocsf::attr::http_url_path, r.path);
  s(ocsf::attr::http_method, r.method);
  s(ocsf::attr::http_user_agent, r.user_agent);
  s(ocsf::attr::dst_svc_name, r.application);
  s(ocsf::attr::metadata_product, "mamori authz");
  s(ocsf::attr::metadata_vendor, "mamori");
  s(ocsf::attr::metadata_log_name, "authz");
  const raw_ids& f = ids();
  e.add_raw(f.outcome, value::string(b.store(outcome_name(r.result))));
  e.add_raw(f.guard, value::string(b.store(guard_name(r.why))));
  if (!r.rule.empty()) e.add_raw(f.rule, value::string(b.store(r.rule)));
  if (!r.application.empty()) e.add_raw(f.application, value::string(b.store(r.application)));
  if (!r.groups.empty()) e.add_raw(f.groups, value::string(b.store(r.groups)));
  if (!r.proxy.empty()) e.add_raw(f.proxy, value::string(b.store(r.proxy)));
  e.add_raw(f.mfa, value::boolean(r.mfa));
  e.add_raw(f.generation, value::integer(static_cast<std::int64_t>(r.policy_generation)));
}

namespace {

void digits(std::string& out, std::int64_t v, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

// timeparse::format_rfc3339 without the formatting library: the same text, ~20x faster.
void append_rfc3339(std::string& out, std::int64_t ns) {
  std::int64_t secs = ns / 1'000'000'000;
  std::int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  if (y < 0 || y > 9999) {
    out += timeparse::format_rfc3339(ns);
    return;
  }
  digits(out, y, 4);
  out += '-';
  digits(out, m, 2);
  out += '-';
  digits(out, d, 2);
  out += 'T';
  digits(out, rem / 3600, 2);
  out += ':';
  digits(out, (rem / 60) % 60, 2);
  out += ':';
  digits(out, rem % 60, 2);
  if (frac != 0) {
    out += '.';
    if (frac % 1'000'000 == 0) {
      digits(out, frac / 1'000'000, 3);
    } else if (frac % 1000 == 0) {
      digits(out, frac / 1000, 6);
    } else {
      digits(out, frac, 9);
    }
  }
  out += 'Z';
}

}  // namespace

void append_decision_json(std::string& out, const decision_record& r) {
  // Mirrors to_event + append_event_json: header, then the normalised attributes as nested
  // objects in lexicographic path order, then the source fields under "unmapped".
  const int activity = r.result == outcome::allow ? 1 : r.why == guard::session_revoked ? 3 : 2;
  const bool ok = r.result == outcome::allow;
  const int severity = ok                                                                     ? 1
                       : (r.why == guard::device_isolated || r.why == guard::session_revoked) ? 3
                                                                                              : 2;
  out +=
      "{\"class_uid\":6004,\"class_name\":\"Web Resource Access Activity\",\"category_uid\":6,"
      "\"category_name\":\"Application Activity\",";
  fmt::format_to(std::back_inserter(out), "\"activity_id\":{},\"type_uid\":{},", activity,
                 600400 + activity);
  if (r.time_ns != 0) {
    fmt::format_to(std::back_inserter(out), "\"time\":{},\"time_dt\":\"", r.time_ns / 1'000'000);
    append_rfc3339(out, r.time_ns);
    out += "\",";
  }
  fmt::format_to(std::back_inserter(out),
                 "\"severity_id\":{},\"status_id\":{},\"status\":\"{}\",\"severity\":\"{}\"",
                 severity, ok ? 1 : 2, ok ? "Success" : "Failure",
                 ocsf::severity_name(static_cast<ocsf::severity_id>(severity)));
  auto str = [&](std::string_view key, std::string_view v) {
    out += '"';
    out += key;
    out += "\":";
    json_text::append_string(out, v);
  };
  // actor.{session.uid, user.{email_addr, name}}
  if (!r.session.empty() || !r.email.empty() || !r.user.empty()) {
    out += ",\"actor\":{";
    bool first = true;
    if (!r.session.empty()) {
      out += "\"session\":{";
      str("uid", r.session);
      out += '}';
      first = false;
    }
    if (!r.email.empty() || !r.user.empty()) {
      if (!first) out += ',';
      out += "\"user\":{";
      if (!r.email.empty()) str("email_addr", r.email);
      if (!r.user.empty()) {
        if (!r.email.empty()) out += ',';
        str("name", r.user);
      }
      out += '}';
    }
    out += '}';
  }
  if (!r.device.empty()) {
    out += ",\"device\":{";
    str("uid", r.device);
    out += '}';
  }
  if (!r.application.empty()) {
    out += ",\"dst_endpoint\":{";
    str("svc_name", r.application);
    out += '}';
  }
  if (!r.method.empty() || !r.host.empty() || !r.path.empty() || !r.user_agent.empty()) {
    out += ",\"http_request\":{";
    bool first = true;
    auto sep = [&] {
      if (!first) out += ',';
      first = false;
    };
    if (!r.method.empty()) {
      sep();
      str("http_method", r.method);
    }
    if (!r.host.empty() || !r.path.empty()) {
      sep();
      out += "\"url\":{";
      if (!r.host.empty()) str("hostname", r.host);
      if (!r.path.empty()) {
        if (!r.host.empty()) out += ',';
        str("path", r.path);
      }
      out += '}';
    }
    if (!r.user_agent.empty()) {
      sep();
      str("user_agent", r.user_agent);
    }
    out += '}';
  }
  if (!r.reason.empty()) {
    out += ',';
    str("message", r.reason);
  }
  out += ",\"metadata\":{\"log_format\":\"mamori.authz\",\"log_name\":\"authz\",\"log_offset\":0,";
  str("log_source", source_table::global().path(audit_source()));
  out +=
      ",\"product\":{\"name\":\"mamori authz\",\"vendor_name\":\"mamori\"},\"version\":\"1.3.0\"}";
  if (!r.source_ip.empty() || !r.country.empty()) {
    out += ",\"src_endpoint\":{";
    if (!r.source_ip.empty()) str("ip", r.source_ip);
    if (!r.country.empty()) {
      if (!r.source_ip.empty()) out += ',';
      out += "\"location\":{";
      str("country", r.country);
      out += '}';
    }
    out += '}';
  }
  out += ',';
  str("status_code", outcome_name(r.result));
  if (!r.reason.empty()) {
    out += ',';
    str("status_detail", r.reason);
  }
  out += ",\"unmapped\":{";
  str("authz.outcome", outcome_name(r.result));
  out += ',';
  str("authz.guard", guard_name(r.why));
  if (!r.rule.empty()) {
    out += ',';
    str("authz.rule", r.rule);
  }
  if (!r.application.empty()) {
    out += ',';
    str("authz.application", r.application);
  }
  if (!r.groups.empty()) {
    out += ',';
    str("authz.groups", r.groups);
  }
  if (!r.proxy.empty()) {
    out += ',';
    str("authz.proxy", r.proxy);
  }
  fmt::format_to(std::back_inserter(out), ",\"authz.mfa\":{},\"authz.policy_generation\":{}}}}}",
                 r.mfa, r.policy_generation);
}

decision_log::decision_log(event_sink* sink, std::FILE* ndjson, std::size_t capacity,
                           std::chrono::milliseconds flush_every)
    : sink_(sink), ndjson_(ndjson), capacity_(capacity), every_(flush_every) {
  queue_.reserve(std::min<std::size_t>(capacity_, 4096));
  thread_ = std::thread([this] { run(); });
}

decision_log::~decision_log() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  flush();
}

void decision_log::record(decision_record r) {
  recorded_.fetch_add(1, std::memory_order_relaxed);
  if (sink_ == nullptr && ndjson_ == nullptr) return;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(r));
    wake = queue_.size() == 1024;
  }
  if (wake) wake_.notify_one();
}

void decision_log::drain(std::vector<decision_record>& out) {
  std::lock_guard lock(mutex_);
  out.swap(queue_);
}

void decision_log::flush() {
  if (sink_ == nullptr && ndjson_ == nullptr) return;
  std::vector<decision_record> batch;
  drain(batch);
  if (batch.empty()) return;
  std::lock_guard lock(sink_mutex_);
  if (sink_ != nullptr) {
    event_batch events;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      to_event(batch[i], events);
      if (events.size() == 1024 || i + 1 == batch.size()) {
        sink_->consume(events);
        events.clear();
      }
    }
  }
  if (ndjson_ != nullptr) {
    line_buf_.clear();
    for (const auto& r : batch) {
      append_decision_json(line_buf_, r);
      line_buf_ += '\n';
      if (line_buf_.size() > (1 << 20)) {
        std::fwrite(line_buf_.data(), 1, line_buf_.size(), ndjson_);
        line_buf_.clear();
      }
    }
    std::fwrite(line_buf_.data(), 1, line_buf_.size(), ndjson_);
    std::fflush(ndjson_);
  }
}

void decision_log::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, every_, [&] { return stop_ || queue_.size() >= 1024; });
    lock.unlock();
    flush();
    lock.lock();
  }
}

namespace {

class audit_file final : public event_sink {
 public:
  audit_file(std::FILE* f, bool owned) : f_(f), owned_(owned) {}
  ~audit_file() override {
    if (owned_) std::fclose(f_);
  }
  void consume(const event_batch& batch) override {
    buf_.clear();
    for (const event& e : batch.events()) {
      append_event_json(buf_, e, "mamori.authz");
      buf_ += '\n';
    }
    std::fwrite(buf_.data(), 1, buf_.size(), f_);
    std::fflush(f_);
  }

 private:
  std::FILE* f_;
  bool owned_;
  std::string buf_;
};

}  // namespace

std::unique_ptr<event_sink> make_audit_file_sink(const std::string& path) {
  if (path == "-") return std::make_unique<audit_file>(stdout, false);
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return nullptr;
  return std::make_unique<audit_file>(f, true);
}

}  // namespace mamori::authz
