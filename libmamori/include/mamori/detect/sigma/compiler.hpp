#pragma once
// Stage 3 of Sigma loading (compiler): rule documents + logsource pipeline → one immutable
// compiled ruleset shared by every matcher thread.
//
//  - Rules are grouped by pipeline entry (logsource → which events); an event is only tested
//    against the groups its format and discriminator fields (Channel, EventID, ...) select.
//  - Field names are resolved to field ids once, here.
//  - Within a group, identical predicates are shared, and every string pattern (equals,
//    contains, startswith, endswith, wildcards, windash, encodings) on one field goes into
//    one Vectorscan database: scanning a field value once yields every pattern hit.
//  - Each rule is a small boolean program over leaves, with a trigger set: leaves of which
//    at least one must hit for the rule to possibly match. A rule is evaluated only when one
//    of its triggers hit (or always, when no such set exists: `not x`, regex-only rules).
// docs/sigma.md explains the design and its measurements.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mamori/detect/sigma/correlation.hpp"
#include "mamori/detect/sigma/detection.hpp"
#include "mamori/detect/sigma/pipeline.hpp"
#include "mamori/detect/sigma/rule.hpp"
#include "mamori/event/field_registry.hpp"
#include "mamori/event/ocsf.hpp"

namespace re2 {
class RE2;
}

namespace mamori::sigma {

// Metadata a finding needs, per loaded rule (detection or correlation).
struct rule_meta {
  std::string uid;  // Sigma id, or "title:<hash>" when the rule has none
  std::string title;
  std::string name;
  std::string level;  // "" when absent
  std::string status;
  std::string file;
  std::uint32_t line = 0;
  ocsf::severity_id severity = ocsf::severity_id::unknown;
  std::vector<std::string> attacks;  // T1059.001
  std::vector<std::string> tags;     // other tags
  std::string description;
  bool emit = true;                       // emits findings of its own
  std::vector<std::uint32_t> feeds;       // correlations this rule's matches feed
  std::shared_ptr<const rule_logic> logic;  // detection rules only (explanations)
};

struct compiled_leaf {
  leaf_spec spec;
  std::vector<field_id> fields;      // candidate event field ids (empty for keywords)
  std::vector<field_id> ref_fields;  // fieldref: the other field's candidate ids
  bool scanned = false;              // decided by a Vectorscan scan (hit = true)
  std::shared_ptr<const re2::RE2> re;
  float cost = 1;  // how often it is expected to hit (trigger selection)
};

struct rule_instance {
  std::uint32_t rule = 0;  // index into compiled_ruleset::rules
  dnode program;           // leaves: indices into the group's leaves
  std::vector<dnode> idents;  // per search identifier (same order as rule_logic)
};

class hs_db;  // Vectorscan database (RAII), compiler.cpp

// What a hit of one Vectorscan literal means. Every pattern is scanned as an unanchored
// literal (its longest literal run; windash classes expanded), which compiles an order of
// magnitude faster than anchored expressions; anchors are checked from the match offset, and
// patterns with inner wildcards are confirmed with glob_match on the value that hit.
enum class scan_check : std::uint8_t {
  none,    // contains: the hit is the match
  start,   // startswith: the literal ends at its own length
  end,     // endswith: the literal ends at the end of the value
  both,    // equals
  verify,  // the literal is only part of the pattern: glob_match decides
};

struct scan_target {
  std::uint32_t leaf = 0;
  scan_check check = scan_check::none;
  std::uint32_t length = 0;  // literal length (offset checks)
};

struct field_scan {
  std::shared_ptr<const hs_db> db;
  std::vector<std::uint32_t> first;  // pattern id → first index into targets (size n+1)
  std::vector<scan_target> targets;
};

struct group {
  pipeline_entry entry;
  std::vector<compiled_leaf> leaves;
  std::vector<rule_instance> instances;
  std::vector<std::vector<std::uint32_t>> triggers;  // leaf → instances it triggers
  std::vector<std::uint32_t> always;                 // instances evaluated on every event
  std::vector<std::int32_t> scan_of_field;           // field id → index into scans, -1
  std::vector<field_scan> scans;
  std::int32_t keyword_scan = -1;                     // index into scans, -1 if none
};

struct compile_stats {
  std::size_t groups = 0;
  std::size_t instances = 0;
  std::size_t leaves = 0;
  std::size_t scanned_patterns = 0;
  std::size_t fallback_patterns = 0;  // patterns Vectorscan cannot take (glob_match instead)
  std::size_t databases = 0;
  std::size_t always_instances = 0;
  std::size_t regexes = 0;
  double compile_ms = 0;
};

class compiled_ruleset {
 public:
  std::vector<rule_meta> rules;
  std::vector<group> groups;
  std::vector<correlation_def> correlations;
  logsource_pipeline pipeline;
  std::string min_level;  // findings below this level are not emitted
  compile_stats stats;
  std::vector<field_id> host_fields;
  std::vector<field_id> user_fields;
  std::vector<field_id> src_ip_fields;
};

// Per-rule outcome of loading, for `mamori rules check` and hunt's summary.
enum class rule_status : std::uint8_t { loaded, unsupported, invalid };

struct rule_report {
  rule_status status = rule_status::loaded;
  rule_type type = rule_type::detection;
  std::string title;
  std::string id;
  location where;
  std::string reason;                // why unsupported/invalid
  std::vector<std::string> targets;  // pipeline entries a loaded rule runs on
  bool no_decoder = false;           // loaded, but no registered decoder feeds its targets
};

struct load_report {
  std::vector<rule_report> rules;
  std::size_t files = 0;
  std::size_t loaded = 0;
  std::size_t unsupported = 0;
  std::size_t invalid = 0;
  std::size_t detection = 0;
  std::size_t correlation = 0;
  std::size_t filter = 0;
  double load_ms = 0;
  compile_stats stats;

  std::string to_json() const;
  std::string to_text(bool verbose) const;
};

struct compile_options {
  std::string min_level;
  // Decoder names known to this build (to flag rules no decoder can feed); empty = skip.
  std::vector<std::string> decoders;
};

// Compiles everything that can run; every rule gets a report entry.
std::shared_ptr<const compiled_ruleset> compile_ruleset(const rule_collection& rules,
                                                        logsource_pipeline pipeline,
                                                        const compile_options& options,
                                                        load_report& report);

int level_rank(std::string_view level);  // informational 1 … critical 5, unknown/"" 0

}  // namespace mamori::sigma
