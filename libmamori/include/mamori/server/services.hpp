#pragma once
// The case and response-action endpoints, behind small interfaces so the API does not depend
// on how cases are grouped or how actions run (cases/case_manager.hpp, respond/action.hpp).

#include <cstdint>
#include <map>
#include <string>

#include "mamori/server/api.hpp"
#include "mamori/server/state.hpp"

namespace mamori::server {

class case_service {
 public:
  virtual ~case_service() = default;
  virtual http_response list(state_db& db, const std::map<std::string, std::string>& query) = 0;
  virtual http_response show(state_db& db, std::int64_t id) = 0;
  // POST /api/v1/cases/{id}/{verb}: assign, transition, verdict, comment.
  virtual http_response update(state_db& db, std::int64_t id, const std::string& verb,
                               const token_info& who, const std::string& body) = 0;
};

class action_service {
 public:
  virtual ~action_service() = default;
  virtual http_response list() = 0;
  // POST /api/v1/cases/{id}/actions, or /api/v1/actions (case_id 0: not tied to a case).
  virtual http_response run(state_db& db, std::int64_t case_id, const token_info& who,
                            const std::string& body) = 0;
};

}  // namespace mamori::server
