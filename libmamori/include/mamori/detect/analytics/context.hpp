#pragma once
// The machinery the analytics share: observations (the few fields of an event the analytics
// read, copied out of the batch), the event-time reorder buffer with its lateness bound, the
// profile store, and the base class every analytic derives from.

#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "mamori/detect/analytics/analytics.hpp"
#include "mamori/detect/analytics/profile_store.hpp"
#include "mamori/enrich/ip_address.hpp"

namespace mamori::analytics {

enum class obs_kind : std::uint8_t { sign_in, api_call, file_op, web_upload };
enum class file_op : std::uint8_t { none = 0, download = 1, upload = 2, remove = 3 };

// Where an event came from, to cite it in evidence and to match ground truth.
struct event_ref {
  std::uint32_t source = 0;  // source_table id
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  std::string uid;  // metadata.uid
  std::int64_t time_ns = 0;
};

// Low-cardinality strings (places, agents, services) are views into the context's string
// pool, so a pending observation costs ~300 bytes and batch hunts can hold many.
struct observation {
  std::int64_t time_ns = 0;
  std::uint64_t seq = 0;  // arrival order: ties in time keep input order
  obs_kind kind = obs_kind::sign_in;
  ocsf::status_id status = ocsf::status_id::unknown;
  std::string user;        // as the source spells it
  std::string user_key;    // lowercased: profiles and windows key on it
  std::string_view actor;  // the requesting account when it differs (Windows SubjectUserName)
  std::string ip;          // as given ("" when none)
  bool has_ip = false;
  bool ip_internal = false;
  ip_address addr;
  std::string_view src_host;  // workstation or source host name (Windows WorkstationName)
  bool has_geo = false;
  double lat = 0;
  double lon = 0;
  std::string_view country;
  std::string_view city;
  std::string_view region;
  std::uint32_t accuracy_km = 0;
  std::string_view geo_provider;
  std::uint32_t asn = 0;
  std::string_view as_name;
  std::uint32_t flags = 0;  // ip_flag bits
  std::string_view user_agent;
  std::string_view os;
  std::string_view browser;
  std::string_view device;
  bool mobile = false;
  std::string_view service;    // api.service.name ("s3.amazonaws.com", "Exchange")
  std::string_view operation;  // api.operation
  bool admin_op = false;       // an administrative (write) operation on an identity/control service
  file_op fop = file_op::none;
  std::uint64_t bytes = 0;
  bool is_root = false;
  std::string_view cloud_account;
  // Security-critical configuration change (CloudTrail), "" when none.
  std::string critical;
  std::string_view critical_kind;  // "logging" "network" "storage" "iam"
  bool critical_high = false;
  bool critical_failed = false;  // the call failed: an attempt
  std::string critical_error;    // its errorCode
  std::string_view product;      // metadata.product.name
  std::string event_json;        // the full event, kept only for single-event findings
  event_ref ref;
};

// Evidence citation for an event: {"source":...,"line":...,"uid":...,"time":...}.
std::string ref_json(const event_ref& r);
std::string ref_text(const event_ref& r);

class analytics_context;

// An analytic: sees every observation in event-time order with the user's profile as it was
// before the observation (the context updates profiles after every analytic has looked).
class analytic : public detector {
 public:
  analytic(std::shared_ptr<analytics_context> ctx, std::string uid, std::string title);
  std::string_view name() const override { return uid_; }
  const std::string& uid() const { return uid_; }
  const std::string& title() const { return title_; }
  void observe(const event_batch& batch, finding_sink& out) final;
  void finish(finding_sink& out) final;

  virtual void on_observation(const observation& o, user_profile& user, finding_sink& out) = 0;
  // Event time moved forward to `now` (watermark minus lateness): close windows, evict.
  virtual void on_time(std::int64_t now, finding_sink& out) { (void)now, (void)out; }
  // End of input: emit what is pending.
  virtual void on_flush(finding_sink& out) { (void)out; }
  // Which observation kinds this analytic wants (bit per obs_kind).
  virtual std::uint32_t wants() const = 0;

  finding_sink* sink() const { return sink_; }
  std::uint64_t findings() const { return findings_; }
  std::string context_stats_json() const;

 protected:
  finding make_finding(const observation& o, std::string_view level) const;
  void emit(finding_sink& out, finding f) {
    ++findings_;
    out.emit(std::move(f));
  }
  analytics_context& ctx() { return *ctx_; }
  const analytics_context& ctx() const { return *ctx_; }

 private:
  friend class analytics_context;
  std::shared_ptr<analytics_context> ctx_;
  std::string uid_;
  std::string title_;
  finding_sink* sink_ = nullptr;
  std::uint64_t seen_batches_ = 0;
  std::uint64_t findings_ = 0;
};

constexpr std::uint32_t want(obs_kind k) {
  return 1u << static_cast<unsigned>(k);
}

struct context_stats {
  std::uint64_t events = 0;        // events seen
  std::uint64_t observations = 0;  // events the analytics looked at
  std::uint64_t late = 0;          // arrived after their time had been released
  std::uint64_t forced = 0;        // released early because the reorder buffer was full
  std::uint64_t window_drops = 0;  // window state dropped for the per-analytic key bound
  std::uint64_t no_geo = 0;        // sign-ins without a location
};

class analytics_context {
 public:
  explicit analytics_context(const analytics_config& config);
  ~analytics_context();

  void add(analytic* a) { analytics_.push_back(a); }
  void arrive(analytic& a, const event_batch& batch, finding_sink& out);
  void finish(analytic& a, finding_sink& out);

  const analytics_config& config() const { return config_; }
  profile_store& store() { return *store_; }
  org_profile& org() { return store_->org(); }
  string_pool& pool() { return store_->pool(); }
  context_stats& stats() { return stats_; }
  std::int64_t now() const { return clock_; }
  bool store_ok() const { return store_ok_; }
  // A stable view of s (interned in the profile store's pool).
  std::string_view intern(std::string_view s) {
    return s.empty() ? std::string_view() : store_->pool().get(store_->pool().intern(s));
  }

  // Learning: has this user (and the organisation) been observed long enough?
  bool user_mature(const user_profile& p, std::int64_t t) const {
    return t - p.first_seen >= config_.learning_period;
  }
  bool org_mature(std::int64_t t) const {
    return store_->org().first_seen != 0 && t - store_->org().first_seen >= config_.learning_period;
  }
  void report(severity_level level, std::string message);
  const std::vector<analytic*>& analytics() const { return analytics_; }
  std::string stats_json() const;

 private:
  struct later {
    bool operator()(const observation* a, const observation* b) const {
      if (a->time_ns != b->time_ns) return a->time_ns > b->time_ns;
      return a->seq > b->seq;
    }
  };
  void ingest(const event_batch& batch);
  void release(std::int64_t until);
  void dispatch(observation& o);
  void update_profile(const observation& o, user_profile& p, bool created);

  analytics_config config_;
  std::unique_ptr<profile_store> store_;
  bool store_ok_ = true;
  std::vector<analytic*> analytics_;
  std::uint64_t ingested_ = 0;
  std::size_t arrived_ = 0;
  std::size_t finished_ = 0;
  bool flushed_ = false;
  std::priority_queue<observation*, std::vector<observation*>, later> pending_;
  std::vector<std::unique_ptr<observation>> free_;  // recycled observations
  std::int64_t watermark_ = 0;                      // highest event time seen
  std::int64_t released_ = 0;                       // time of the last released observation
  std::int64_t clock_ = 0;                          // analytics' notion of now
  std::int64_t last_tick_ = 0;
  std::uint64_t seq_ = 0;
  context_stats stats_;
  struct field_ids;
  std::unique_ptr<field_ids> ids_;
  std::unordered_map<std::string, bool> ignore_;
};

}  // namespace mamori::analytics
