#pragma once
// Shared bookkeeping of the failure-burst analytics (brute force, password spraying): per key a
// state with `last`, `last_success`, `crossed`, `crossed_at` and `reported`. A burst that
// crossed its threshold is reported once it went quiet for the report delay, or a whole
// window after crossing, so the finding counts the whole burst rather than its first N events.

#include <algorithm>
#include <cstdint>

namespace mamori::analytics {

template <class StateMap, class Report>
void report_due(StateMap& states, std::int64_t now, std::int64_t delay, std::int64_t window,
                Report&& report) {
  for (auto& entry : states) {
    auto& s = entry.second;
    if (s.crossed && !s.reported && (now - s.last >= delay || now - s.crossed_at >= window)) {
      report(s);
    }
  }
}

// At the end of input every crossed burst is reported, quiet or not.
template <class StateMap, class Report>
void report_pending(StateMap& states, Report&& report) {
  for (auto& entry : states)
    if (entry.second.crossed && !entry.second.reported) report(entry.second);
}

// Forgets keys with no failure or success within `keep` and nothing left to report.
template <class StateMap>
void drop_idle(StateMap& states, std::int64_t now, std::int64_t keep) {
  for (auto it = states.begin(); it != states.end();) {
    const auto& s = it->second;
    if (now - std::max(s.last, s.last_success) > keep && (!s.crossed || s.reported)) {
      it = states.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace mamori::analytics
