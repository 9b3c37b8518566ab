#pragma once
// Scenario templates (docs/cases.md): for each analytic or rule family, the question Tier 1
// answers, the steps to verify it, and the evidence queries the server runs when a case
// opens. YAML files under data/cases/ (one per scenario), e.g.
//
//   id: brute_force
//   title: "Brute force against {entity}"
//   match: {rules: [mamori.brute_force], tags: [attack.t1110.001]}
//   question: Did any of the attempts succeed?
//   steps: [...]
//   evidence:
//     - {name: failures, title: ..., query: 'user={user} status_id=2 earliest={start} latest={end} | head 50'}
//   verdicts: {confirmed: ..., refuted: ..., undetermined: ...}
//   watch: 24h
//
// Placeholders in titles and queries: {user} {src_ip} {host} {entity} {rule} (quoted for the
// query language), {start} {end} (the case window), {baseline_start} (30 days before start).

#include <map>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"
#include "mamori/detect/finding.hpp"

namespace mamori::cases {

struct evidence_query {
  std::string name;
  std::string title;
  std::string query;
};

struct scenario_template {
  std::string id;
  std::string title;
  std::string description;
  std::vector<std::string> rules;  // finding rule uids; a trailing * matches a prefix
  std::vector<std::string> tags;   // ATT&CK technique ids or tags (t1110, attack.t1110.003)
  std::vector<std::string> sources;  // rule_source values ("sigma", "analytics", "correlation")
  std::string question;
  std::vector<std::string> steps;
  std::vector<evidence_query> evidence;
  std::map<std::string, std::string> verdicts;  // confirmed / refuted / undetermined → guidance
  double watch_s = 86400;
  std::string file;
};

// Loads every *.yaml in DIR; problems are reported per file (file, line, reason) and the
// file skipped. Fails only when DIR cannot be read or holds no usable template.
result<std::vector<scenario_template>> load_scenarios(const std::string& dir, diagnostics& diag);

// The template for a finding: an exact or prefix rule match first, then a tag match, then a
// rule-source match, then the template with id "generic". nullptr if none.
const scenario_template* match_scenario(const std::vector<scenario_template>& all, const finding& f);

// Quotes a value for the search language: "a \"b\"".
std::string quote_value(std::string_view v);

}  // namespace mamori::cases
