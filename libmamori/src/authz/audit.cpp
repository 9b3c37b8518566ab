#include "mamori/authz/audit.hpp"

#include <fmt/format.h>

#include "mamori/output/event_writer.hpp"

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

decision_log::decision_log(event_sink* sink, std::size_t capacity,
                           std::chrono::milliseconds flush_every)
    : sink_(sink), capacity_(capacity), every_(flush_every) {
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
  if (sink_ == nullptr) return;
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
  if (sink_ == nullptr) return;
  std::vector<decision_record> batch;
  drain(batch);
  if (batch.empty()) return;
  std::lock_guard lock(sink_mutex_);
  event_batch events;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    to_event(batch[i], events);
    if (events.size() == 1024 || i + 1 == batch.size()) {
      sink_->consume(events);
      events.clear();
    }
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
