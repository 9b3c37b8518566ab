#pragma once
// `mamori eval`: scores findings (OCSF Detection Findings as `mamori hunt` writes them) against
// a ground truth (docs/truth-format.md): per detector true/false positives, expected
// detections met or missed, precision, recall and time to detect; per scenario detected,
// partial or missed; false positives per 10,000 users per day of benign activity.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"

namespace mamori::eval {

struct expectation {
  std::vector<std::string> rules;  // alternatives; a trailing '*' is a prefix
  std::string entity_key;          // "user", "src_ip", "host" or ""
  std::string entity_value;
  std::int64_t by = 0;  // deadline (event time, ns); 0 = none
  bool optional = false;
};

// An event as the truth or a finding names it: the file and one of uid / line / offset.
struct event_key {
  std::string source;
  std::string uid;
  std::uint64_t line = 0;
  std::optional<std::uint64_t> offset;
};

struct campaign {
  std::string id;
  std::string scenario;
  std::string description;
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::set<std::string> entities;  // lowercased users, addresses, hosts, cloud accounts
  std::vector<expectation> expected;
  std::vector<event_key> events;
};

struct truth {
  std::vector<campaign> campaigns;
  double benign_users = 0;  // from the "benign" line; 0 = unknown
  double benign_days = 0;
};

// Reads truth.ndjson; bad lines are reported (file:line: reason) and skipped.
result<truth> load_truth(const std::string& path, diagnostics& diag);

struct finding_record {
  std::string rule_uid;
  std::string rule_name;
  std::string rule_source;  // sigma, correlation, analytics
  std::string level;
  std::int64_t time = 0;
  std::string user;
  std::string src_ip;
  std::string host;
  std::vector<event_key> events;   // evidences and analytic evidence events
  std::set<std::string> entities;  // lowercased, from the finding and its evidences
  std::uint64_t line = 0;          // in the findings file
};

result<std::vector<finding_record>> load_findings(const std::string& path, diagnostics& diag);

struct options {
  std::int64_t slack = 3600ll * 1'000'000'000;  // entity matches within campaign ± slack
  std::string only;  // rule uid prefix to evaluate ("mamori." = analytics only)
  double users = 0;  // override the truth's benign population
  double days = 0;
};

struct detector_row {
  std::string rule;
  std::string name;
  std::size_t findings = 0;
  std::size_t tp = 0;  // findings attributed to a campaign
  std::size_t fp = 0;
  std::size_t expected = 0;  // required expectations naming this detector
  std::size_t met = 0;
  std::size_t fn = 0;
  std::size_t optional_met = 0;
  std::vector<std::int64_t> ttd;  // per met expectation, ns
  double precision() const;
  double recall() const;
};

struct scenario_row {
  std::string campaign;
  std::string scenario;
  std::string status;  // detected, partial, missed, no expectations
  std::size_t required = 0;
  std::size_t met = 0;
  std::vector<std::string> detected_by;  // rules of the findings attributed to it
  std::vector<std::string> missed;       // required expectations not met
  std::int64_t ttd = -1;                 // first required expectation met, ns after start
};

struct report {
  std::vector<detector_row> detectors;
  std::vector<scenario_row> scenarios;
  std::size_t findings = 0;
  std::size_t tp = 0;
  std::size_t fp = 0;
  std::size_t expected = 0;
  std::size_t met = 0;
  double users = 0;
  double days = 0;
  bool population_estimated = false;
  double fp_per_10k_user_days() const;
};

report evaluate(const truth& t, const std::vector<finding_record>& findings, const options& o);

std::string render_table(const report& r);
std::string render_json(const report& r);

}  // namespace mamori::eval
