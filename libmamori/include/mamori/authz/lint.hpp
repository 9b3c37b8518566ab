#pragma once
// `mamori authz lint`: finds rules that can never decide anything and rules that contradict
// each other, by static reasoning over the policy (no requests needed):
//   - a rule whose own conditions can never hold together (countries ⊆ not_countries,
//     user_min ≥ user_max, known: false with managed: true, ...)                → error
//   - an allow/step_up rule every request of which a deny rule also matches
//     (deny overrides: the rule is unreachable; identical conditions = contradictory) → error
//   - an allow rule that needs an isolated device while isolated devices are denied → error
//   - a rule that an earlier rule of the same effect always pre-empts (shadowed)      → warning
//   - an application where no rule allows anything                                    → warning
//   - forbidden_software in a deny rule (it holds when none is installed)             → warning
// "Covers" is decided condition by condition, soundly but not completely: lint never
// reports a rule that can decide, but may miss overlaps that need arithmetic across
// conditions.

#include <vector>

#include "mamori/authz/policy.hpp"
#include "mamori/core/diagnostic.hpp"

namespace mamori::authz {

std::vector<diagnostic> lint_policy(const policy& p);

// True when every request that matches `specific` also matches `general` (scope and
// conditions). With ignore_specific_how, `specific`'s `how` conditions are not used
// (a step_up rule fires when they fail).
bool rule_covers(const rule& general, const rule& specific, bool ignore_specific_how = false);

}  // namespace mamori::authz
