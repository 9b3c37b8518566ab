#pragma once
// A finding is what a detector concludes: an OCSF Detection Finding (class 2004) with the
// rule, why it fired and the evidence. Findings own their data (events are copied as JSON),
// because the batches they came from are reused.

#include <cstdint>
#include <string>
#include <vector>

#include "mamori/event/ocsf.hpp"

namespace mamori {

struct matched_value {
  std::string selection;  // Sigma selection name, or the analytic's feature ("distance_km")
  std::string field;      // field name as the rule addressed it
  std::string value;      // the event's value that matched
};

struct finding {
  std::int64_t time_ns = 0;  // event time of the (last) triggering event
  std::string rule_uid;      // Sigma id, or the analytic's stable name (mamori.brute_force)
  std::string rule_name;     // Sigma title or analytic title
  std::string rule_source;   // "sigma", "analytics", "correlation"
  std::string level;         // informational | low | medium | high | critical
  ocsf::severity_id severity = ocsf::severity_id::unknown;
  std::vector<std::string> attacks;    // ATT&CK technique ids (T1110.003)
  std::vector<std::string> tags;       // the rule's other tags
  std::string explanation;             // one sentence a Tier 1 analyst can verify
  std::vector<matched_value> matched;  // which selections/fields matched, with values
  std::vector<std::string> evidences;  // full matched events, each an OCSF JSON object
  std::string evidence_json;           // analytic evidence object (baselines used), or ""
  // Entities for summaries, case grouping and risk: first seen values, may be empty.
  std::string user;
  std::string host;
  std::string src_ip;
  // Where the (last) triggering event came from, for SARIF and case links; may be empty.
  std::string finding_uid;  // stable id (hash of rule and event); generated when empty
  std::string source_file;
  std::uint64_t source_line = 0;
  std::uint64_t source_offset = 0;
};

ocsf::severity_id severity_from_level(std::string_view level);

// Renders a finding as one OCSF Detection Finding JSON object (docs/findings.md).
std::string finding_to_json(const finding& f);

class finding_sink {
 public:
  virtual ~finding_sink() = default;
  virtual void emit(finding f) = 0;
};

}  // namespace mamori
