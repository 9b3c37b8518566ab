#pragma once
// The logsource pipeline (docs/sigma-pipeline.md): which decoded events a Sigma logsource
// (product / service / category) applies to, and how the rule's field names map to the
// event's. Shipped as data/sigma/pipeline.yml (compiled into the binary and installed under
// share/mamori/sigma/); `--pipeline FILE` extends or overrides it entry by entry.
//
//   formats:      named groups of decoder names       windows: [evtx, winlogbeat, ...]
//   format_fields: per decoder, alternative names of fields (prefixes and renames)
//   placeholders: values for the expand modifier      Administrators: [admin, adm_*]
//   entities:     fields that name the host / user / source address of an event
//   logsources:   name → {logsource, when: {format, field: value(s)}, unless: {field: value(s)},
//                 fields: {sigma field: event field(s)}}

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/detect/sigma/modifiers.hpp"
#include "mamori/detect/sigma/rule.hpp"

namespace mamori::sigma {

struct pipeline_condition {
  std::string field;                // event field ("Channel", "EventID"), or class_uid
  std::vector<std::string> values;  // any of (case-insensitive text comparison)
};

struct pipeline_entry {
  std::string name;
  location where;
  logsource source;
  std::vector<std::string> formats;  // decoder names; empty = events of any format
  std::vector<pipeline_condition> when;
  std::vector<pipeline_condition> unless;  // the entry does not apply when one of these holds
  std::map<std::string, std::vector<std::string>, std::less<>> fields;  // sigma → event names
};

struct format_fields {
  std::vector<std::string> prefixes;                                    // tried after the name
  std::map<std::string, std::vector<std::string>, std::less<>> renames;  // name → alternatives
};

class logsource_pipeline {
 public:
  // The shipped default (data/sigma/pipeline.yml, embedded at build time).
  static result<logsource_pipeline> load_default();
  static std::string_view default_text();

  // Adds a pipeline document: entries with a known name replace the old ones (`disabled:
  // true` removes them), new names are added; `replace: true` at the top drops everything
  // loaded before.
  result<void> merge_text(std::string_view yaml, const std::string& name);
  result<void> merge_file(const std::string& path);

  // Entries a rule's logsource applies to: those declaring exactly the rule's keys with the
  // same values; if there are none, the more specific ones (declaring more keys).
  std::vector<const pipeline_entry*> resolve(const logsource& ls) const;

  // Candidate event field names for a rule's field under an entry (field mapping, then the
  // per-format alternatives of each name).
  std::vector<std::string> event_fields(const pipeline_entry& e, std::string_view field) const;
  // Alternatives of an event field name for one format (condition fields, entities).
  std::vector<std::string> format_names(std::string_view format, std::string_view field) const;

  const std::vector<pipeline_entry>& entries() const { return entries_; }
  const placeholder_map& placeholders() const { return placeholders_; }
  placeholder_map& placeholders() { return placeholders_; }
  const std::vector<std::string>& entity_fields(std::string_view kind) const;
  const std::vector<std::string>& format_group(std::string_view name) const;
  std::vector<std::string> sources() const { return sources_; }

 private:
  std::vector<pipeline_entry> entries_;
  std::map<std::string, std::vector<std::string>, std::less<>> groups_;
  std::map<std::string, format_fields, std::less<>> format_fields_;
  std::map<std::string, std::vector<std::string>, std::less<>> entities_;
  placeholder_map placeholders_;
  std::vector<std::string> sources_;  // names of the documents merged, in order
};

// Reads a placeholder file: a YAML mapping of name → value or list of values.
result<void> load_placeholders(const std::string& path, placeholder_map& out);

}  // namespace mamori::sigma
