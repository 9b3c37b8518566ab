#include "mamori/server/server.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "mamori/server/api.hpp"
#include "mamori/server/network.hpp"
#include "mamori/server/pipeline.hpp"
#include "mamori/server/services.hpp"
#include "mamori/server/state.hpp"
#include "mamori/server/tailer.hpp"
#include "mamori/store/event_store.hpp"
#include "mamori/store/wal.hpp"

namespace mamori::server {

namespace {

// Persists every published signal (the authz side reads them back after a restart).
class signal_recorder final : public respond::signal_listener {
 public:
  explicit signal_recorder(std::unique_ptr<state_db> db) : db_(std::move(db)) {}
  void on_signal(const respond::signal& s) override {
    std::lock_guard lock(mutex_);
    if (auto r = db_->save_signal(s); !r)
      fmt::print(stderr, "mamori serve: cannot record signal: {}\n", r.error().message);
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<state_db> db_;
};

result<void> write_secret_file(const std::string& path, const std::string& secret) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  const std::string text = secret + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::fsync(fd);
  ::close(fd);
  if (!ok) return fail(fmt::format("{}: cannot write", path));
  return {};
}

}  // namespace

struct server::impl {
  server_config config;
  std::unique_ptr<store::wal> wal;
  std::unique_ptr<store::event_store> events;
  std::unique_ptr<pipeline> pipe;
  std::unique_ptr<state_pool> states;
  token_cache tokens;
  respond::signal_bus bus;
  std::unique_ptr<signal_recorder> recorder;
  std::atomic<bool> ready{false};
  std::atomic<std::uint64_t> udp_dropped{0};
  std::unique_ptr<api> handler;
  std::unique_ptr<network> net;
  std::unique_ptr<tailer> tail;
  std::unique_ptr<case_service> cases;
  std::unique_ptr<action_service> actions;
  finding_consumer* consumer = nullptr;
  std::vector<std::unique_ptr<detector>> detectors;
  std::vector<std::unique_ptr<enricher>> enrichers;
  std::string token_path;
  // Lives as long as the server: the analytics report through it from the decode thread.
  std::unique_ptr<diagnostics> detect_diag;
  bool started = false;
  bool stopped = false;
};

// Cases and response actions are wired here (cases/case_manager.cpp, respond/actions.cpp).
void attach_case_services(server::impl& s, state_pool& states, respond::signal_bus& bus,
                          const server_config& config, std::unique_ptr<case_service>& cases,
                          std::unique_ptr<action_service>& actions, finding_consumer*& consumer);

server::server(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

server::~server() { stop(); }

result<std::unique_ptr<server>> server::create(server_config config) {
  auto s = std::make_unique<impl>();
  s->config = std::move(config);
  const std::string data = s->config.data;
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  if (ec) return fail(fmt::format("{}: cannot create data directory: {}", data, ec.message()));
  ::chmod(data.c_str(), 0700);
  diagnostics diag([](const diagnostic& d) { fmt::print(stderr, "mamori serve: {}\n", render(d)); });
  s->wal = MAMORI_TRY(store::wal::open(data + "/wal", {64u << 20, s->config.wal_sync}, diag));
  store::event_store_options eo;
  eo.dir = data + "/events";
  s->events = MAMORI_TRY(store::event_store::open(eo, diag));
  s->states = std::make_unique<state_pool>(data + "/main.db");
  {
    auto db = MAMORI_TRY(s->states->get());
    auto existing = MAMORI_TRY(db->tokens(true));
    if (existing.empty()) {
      auto secret = MAMORI_TRY(db->create_token("admin", role::admin, {"*"}));
      s->token_path = data + "/admin.token";
      MAMORI_CHECK(write_secret_file(s->token_path, secret));
      (void)db->audit("mamori", "token.create", "token:admin", "{\"name\":\"admin\",\"role\":\"admin\",\"bootstrap\":true}");
    }
    s->tokens.load(MAMORI_TRY(db->tokens(false)));
    s->bus.set_version(MAMORI_TRY(db->last_signal_version()));
  }
  s->recorder = std::make_unique<signal_recorder>(MAMORI_TRY(state_db::open(data + "/main.db")));
  s->bus.subscribe(s->recorder.get());
  return std::unique_ptr<server>(new server(std::move(s)));
}

void server::add_detector(std::unique_ptr<detector> d) { impl_->detectors.push_back(std::move(d)); }
void server::add_enricher(std::unique_ptr<enricher> e) { impl_->enrichers.push_back(std::move(e)); }
const server_config& server::config() const { return impl_->config; }
respond::signal_bus& server::signals() { return impl_->bus; }
const std::string& server::bootstrap_token_path() const { return impl_->token_path; }

result<server_addresses> server::start() {
  impl& s = *impl_;
  const std::string data = s.config.data;
  pipeline_options po;
  po.queue_bytes = s.config.queue_bytes;
  s.pipe = std::make_unique<pipeline>(decoder_registry::builtin(), *s.wal, *s.events,
                                      MAMORI_TRY(state_db::open(data + "/main.db")), po);
  {
    s.detect_diag = std::make_unique<diagnostics>(
        [](const diagnostic& d) { fmt::print(stderr, "mamori serve: {}\n", render(d)); });
    auto detection = MAMORI_TRY(make_server_detection(s.config, *s.detect_diag));
    for (const auto& n : detection.notes) fmt::print(stderr, "mamori serve: {}\n", n);
    for (auto& e : detection.enrichers) s.pipe->add_enricher(std::move(e));
    for (auto& d : detection.detectors) s.pipe->add_detector(std::move(d));
  }
  for (auto& e : s.enrichers) s.pipe->add_enricher(std::move(e));
  s.enrichers.clear();
  for (auto& d : s.detectors) s.pipe->add_detector(std::move(d));
  s.detectors.clear();
  attach_case_services(s, *s.states, s.bus, s.config, s.cases, s.actions, s.consumer);
  s.pipe->set_finding_consumer(s.consumer);
  const int days = s.config.retention_days;
  const std::uint64_t bytes = s.config.retention_bytes;
  s.pipe->set_maintenance(60, [days, bytes](store::event_store& es, state_db&) {
    if (days == 0 && bytes == 0) return;
    auto r = es.apply_retention(days, bytes, now_ns());
    if (!r) fmt::print(stderr, "mamori serve: retention: {}\n", r.error().message);
    else if (!r->removed.empty())
      fmt::print(stderr, "mamori serve: retention removed {} day partitions ({} bytes)\n",
                 r->removed.size(), r->bytes_removed);
  });
  if (!s.config.tail.empty()) {
    s.tail = std::make_unique<tailer>(s.config.tail, s.config.tail_interval_s, *s.pipe,
                                      MAMORI_TRY(state_db::open(data + "/main.db")));
    MAMORI_CHECK(s.tail->load());
    s.pipe->set_replay_observer([t = s.tail.get()](const store::wal_entry& e) { t->observe(e); });
  }
  const auto replayed = MAMORI_TRY(s.pipe->start());
  if (replayed > 0)
    fmt::print(stderr, "mamori serve: replayed {} write-ahead log entries not stored before the last stop\n", replayed);

  api_context ctx;
  ctx.config = &s.config;
  ctx.pipe = s.pipe.get();
  ctx.states = s.states.get();
  ctx.events_dir = data + "/events";
  ctx.registry = &decoder_registry::builtin();
  ctx.signals = &s.bus;
  ctx.cases = s.cases.get();
  ctx.actions = s.actions.get();
  ctx.tokens = &s.tokens;
  ctx.run_blocking = [p = &s](std::function<void()> fn) { p->net->run_blocking(std::move(fn)); };
  ctx.run_query = [p = &s](std::function<void()> fn) { p->net->run_query(std::move(fn)); };
  ctx.ready = &s.ready;
  ctx.udp_dropped = &s.udp_dropped;
  s.handler = std::make_unique<api>(std::move(ctx));
  s.net = std::make_unique<network>(s.config, *s.handler, *s.pipe, s.udp_dropped);
  server_addresses out;
  out.http = MAMORI_TRY(s.net->listen_http(s.config.listen));
  for (const auto& l : s.config.syslog) out.syslog.push_back(MAMORI_TRY(s.net->listen_syslog(l)));
  s.net->start();
  if (s.tail) s.tail->start();
  s.started = true;
  s.ready = true;
  return out;
}

void server::stop() {
  if (!impl_ || !impl_->started || impl_->stopped) return;
  impl& s = *impl_;
  s.stopped = true;
  s.ready = false;
  if (s.net) s.net->stop();
  if (s.tail) s.tail->stop();
  if (s.pipe) s.pipe->stop();
}

}  // namespace mamori::server
