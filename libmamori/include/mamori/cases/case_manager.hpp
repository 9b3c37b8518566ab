#pragma once
// Cases (docs/cases.md): findings of one entity (user, else source address, else host, in
// the configured priority) within a time window join one open case; each case carries the
// scenario templates of its findings, whose evidence queries run when the scenario joins the
// case and are stored with it. The workflow:
//
//   new ──take──▶ triage ──verdict confirmed (assignee)──▶ escalated ──contain──▶ contained ──close──▶ closed
//                   │  ╰──verdict refuted (reason)──────────────────────────────────────────────▶ closed
//                   ╰──verdict undetermined (follow-up)──▶ watching ──follow-up due / new finding──▶ triage
//
// Every transition, assignment, comment and action is appended to the audit log.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <thread>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "mamori/cases/scenario.hpp"
#include "mamori/respond/signals.hpp"
#include "mamori/server/pipeline.hpp"
#include "mamori/server/services.hpp"

namespace mamori::cases {

struct case_options {
  double window_s = 3600;
  std::vector<std::string> entities = {"user", "src_ip", "host"};
  std::string events_dir;  // where evidence queries run
  std::string main_db;     // the evidence worker's own connection
};

class case_manager final : public server::finding_consumer, public server::case_service {
 public:
  case_manager(std::vector<scenario_template> templates, case_options options,
               respond::signal_bus& bus);
  ~case_manager() override;

  // finding_consumer (store thread)
  void on_findings(server::state_db& db,
                   std::vector<std::pair<std::int64_t, server::stored_finding>>& found) override;
  void after_commit(server::state_db& db) override;

  // case_service (worker threads)
  server::http_response list(server::state_db& db, const std::map<std::string, std::string>& query) override;
  server::http_response show(server::state_db& db, std::int64_t id) override;
  server::http_response update(server::state_db& db, std::int64_t id, const std::string& verb,
                               const server::token_info& who, const std::string& body) override;

  // Reopens watching cases whose follow-up time has passed; returns how many.
  result<int> apply_follow_ups(server::state_db& db, std::int64_t now_ns);
  // Runs the evidence queries of a scenario for a case and appends them to it.
  result<void> collect_evidence(server::state_db& db, std::int64_t case_id, const std::string& scenario);

  const std::vector<scenario_template>& templates() const { return templates_; }
  // The case summary (no findings or audit): used by actions (webhook payloads).
  result<std::string> summary_json(server::state_db& db, std::int64_t id);

 private:
  const scenario_template* find_template(const std::string& id) const;

  std::vector<scenario_template> templates_;
  case_options options_;
  respond::signal_bus& bus_;
  void evidence_loop();

  // Work deferred until the store thread's transaction commits.
  std::vector<std::pair<std::int64_t, std::string>> pending_evidence_;
  std::vector<respond::signal> pending_signals_;
  std::mutex update_mutex_;
  // Evidence queries run on their own thread: a slow search never stalls storage.
  std::mutex evidence_mutex_;
  std::condition_variable evidence_cv_;
  std::deque<std::pair<std::int64_t, std::string>> evidence_queue_;
  bool evidence_stop_ = false;
  std::thread evidence_thread_;
};

}  // namespace mamori::cases
