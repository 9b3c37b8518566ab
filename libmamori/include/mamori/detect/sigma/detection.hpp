#pragma once
// A rule's detection section compiled to logic: leaves (modifiers.hpp), one expression per
// search identifier (maps AND, lists OR, scalars in lists are keywords), and the condition
// with identifiers inlined. Independent of where the events come from: field names are the
// rule's own until the logsource pipeline maps them (compiler.hpp).

#include <string>
#include <string_view>
#include <vector>

#include "mamori/detect/sigma/condition.hpp"
#include "mamori/detect/sigma/modifiers.hpp"
#include "mamori/detect/sigma/yaml.hpp"

namespace mamori::sigma {

struct rule_logic {
  std::vector<leaf_spec> leaves;
  std::vector<std::string> ident_names;  // search identifiers, in document order
  std::vector<dnode> idents;             // their expressions
  dnode condition;                       // the whole rule, identifiers inlined
  std::string condition_text;
};

// `section` is a detection section (or a filter section: `skip` lists keys that are not
// search identifiers, e.g. "rules"). Errors carry the line of the offending key.
tl::expected<rule_logic, build_error> compile_detection(
    const ynode& section, const placeholder_map* placeholders,
    const std::vector<std::string_view>& skip = {});

// Sigma filters: the target keeps matching only where the filter does not:
// condition := condition and not filter.condition. Identifiers are renamed
// "<prefix>:<name>" so explanations show where they came from.
void apply_filter(rule_logic& target, const rule_logic& filter, std::string_view prefix);

}  // namespace mamori::sigma
