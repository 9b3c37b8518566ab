#include "mamori/detect/sigma/correlation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>

#include "mamori/detect/sigma/compiler.hpp"

namespace mamori::sigma {

std::string_view correlation_type_name(correlation_type t) {
  switch (t) {
    case correlation_type::event_count:
      return "event_count";
    case correlation_type::value_count:
      return "value_count";
    case correlation_type::temporal:
      return "temporal";
    case correlation_type::temporal_ordered:
      return "temporal_ordered";
    case correlation_type::value_sum:
      return "value_sum";
    case correlation_type::value_avg:
      return "value_avg";
  }
  return "?";
}

bool count_condition::eval(double v) const {
  for (const auto& [op, n] : terms) {
    bool ok = false;
    switch (op) {
      case cmp_op::eq:
        ok = v == n;
        break;
      case cmp_op::neq:
        ok = v != n;
        break;
      case cmp_op::lt:
        ok = v < n;
        break;
      case cmp_op::lte:
        ok = v <= n;
        break;
      case cmp_op::gt:
        ok = v > n;
        break;
      case cmp_op::gte:
        ok = v >= n;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

bool count_condition::upper_bounded() const {
  for (const auto& t : terms)
    if (t.first == cmp_op::lt || t.first == cmp_op::lte || t.first == cmp_op::eq ||
        t.first == cmp_op::neq)
      return true;
  return false;
}

std::string count_condition::to_string() const {
  std::string out;
  for (const auto& [op, n] : terms) {
    if (!out.empty()) out += " and ";
    std::string_view name = op == cmp_op::eq    ? "="
                            : op == cmp_op::neq ? "!="
                            : op == cmp_op::lt  ? "<"
                            : op == cmp_op::lte ? "<="
                            : op == cmp_op::gt  ? ">"
                                                : ">=";
    out += fmt::format("{} {}", name, n);
  }
  return out;
}

struct correlation_engine::entry {
  std::int64_t time = 0;
  std::uint32_t rule = 0;
  std::string value;
  double number = 0;
};

struct correlation_engine::group_state {
  std::vector<std::pair<std::string, std::string>> key;
  std::deque<entry> entries;
  std::deque<std::pair<std::int64_t, std::string>> evidence;  // most recent events, as JSON
  std::map<std::string, std::size_t> distinct;                // value_count
  double sum = 0;
  std::int64_t window_start = 0;
  std::int64_t last = 0;
  std::vector<std::int64_t> last_seen;    // temporal: per input position
  std::vector<std::int64_t> chain_start;  // temporal_ordered: per position
  std::size_t total = 0;                  // matches in the current window or chain
};

struct correlation_engine::corr_state {
  std::unordered_map<std::string, group_state> groups;
  std::int64_t now = std::numeric_limits<std::int64_t>::min();
  std::int64_t last_sweep = std::numeric_limits<std::int64_t>::min();
};

namespace {
constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();

std::optional<std::string> first_text(const event& e, const std::vector<field_id>& ids) {
  for (const auto& f : e.fields) {
    if (f.v.is_null()) continue;
    if (std::find(ids.begin(), ids.end(), f.id) != ids.end()) return f.v.to_string();
  }
  return std::nullopt;
}
}  // namespace

correlation_engine::correlation_engine(const compiled_ruleset& rules, correlation_limits limits)
    : rules_(rules), limits_(limits) {
  for (std::size_t k = 0; k < rules.correlations.size(); ++k)
    states_.push_back(std::make_unique<corr_state>());
}

correlation_engine::~correlation_engine() = default;

void correlation_engine::on_match(std::uint32_t rule, const event& e, const render_fn& render,
                                  const emit_fn& emit) {
  const auto& feeds = rules_.rules[rule].feeds;
  for (std::size_t k = 0; k < feeds.size(); ++k) {
    // A rule listed twice in one correlation feeds it once (positions are handled inside).
    if (std::find(feeds.begin(), feeds.begin() + static_cast<std::ptrdiff_t>(k), feeds[k]) !=
        feeds.begin() + static_cast<std::ptrdiff_t>(k)) {
      continue;
    }
    feed(feeds[k], 0, rule, e, render, emit, 0);
  }
}

void correlation_engine::feed(std::uint32_t corr, std::uint32_t, std::uint32_t rule,
                              const event& e, const render_fn& render, const emit_fn& emit,
                              int depth) {
  if (depth > 16) return;
  const correlation_def& def = rules_.correlations[corr];
  corr_state& cs = *states_[corr];
  // Positions of this rule among the inputs.
  std::vector<std::size_t> positions;
  for (std::size_t p = 0; p < def.inputs.size(); ++p)
    if (def.inputs[p] == rule) positions.push_back(p);
  if (positions.empty()) return;
  const std::size_t first = positions.front();

  // Group key.
  std::vector<std::pair<std::string, std::string>> key_values;
  std::string key;
  for (std::size_t k = 0; k < def.group_by.size(); ++k) {
    auto v = first_text(e, def.group_fields[first][k]);
    if (!v) return;  // like a SIEM's `by` clause: events without the field are not grouped
    key += *v;
    key += '\x1f';
    key_values.emplace_back(def.group_by[k], std::move(*v));
  }
  const std::int64_t t = e.time_ns;
  if (t > cs.now) cs.now = t;
  sweep(corr, cs.now, emit);

  auto it = cs.groups.find(key);
  if (it == cs.groups.end()) {
    if (cs.groups.size() >= limits_.max_groups) {
      ++stats_.groups_dropped;
      return;
    }
    it = cs.groups.emplace(key, group_state{}).first;
    it->second.key = std::move(key_values);
    it->second.last_seen.assign(def.inputs.size(), none);
    it->second.chain_start.assign(def.inputs.size(), none);
  }
  group_state& g = it->second;
  if (g.last != 0 && t < g.last - def.timespan_ns) {
    ++stats_.late_events;
    return;
  }
  g.last = std::max(g.last, t);
  const std::int64_t horizon = t - def.timespan_ns;

  auto keep_evidence = [&] {
    if (limits_.max_evidence_events == 0) return;
    g.evidence.emplace_back(t, render ? render() : std::string());
    while (g.evidence.size() > limits_.max_evidence_events) g.evidence.pop_front();
  };
  auto push_entry = [&](entry en) {
    if (g.entries.size() >= limits_.max_entries_per_group) {
      const entry& old = g.entries.front();
      if (def.type == correlation_type::value_count) {
        auto d = g.distinct.find(old.value);
        if (d != g.distinct.end() && --d->second == 0) g.distinct.erase(d);
      }
      g.sum -= old.number;
      g.entries.pop_front();
      ++stats_.entries_dropped;
    }
    if (def.type == correlation_type::value_count) ++g.distinct[en.value];
    g.sum += en.number;
    g.entries.push_back(std::move(en));
  };
  auto evict_before = [&](std::int64_t h) {
    while (!g.entries.empty() && g.entries.front().time < h) {
      const entry& old = g.entries.front();
      if (def.type == correlation_type::value_count) {
        auto d = g.distinct.find(old.value);
        if (d != g.distinct.end() && --d->second == 0) g.distinct.erase(d);
      }
      g.sum -= old.number;
      g.entries.pop_front();
    }
    while (!g.evidence.empty() && g.evidence.front().first < h) g.evidence.pop_front();
  };
  auto measure = [&]() -> double {
    switch (def.type) {
      case correlation_type::event_count:
        return static_cast<double>(g.entries.size());
      case correlation_type::value_count:
        return static_cast<double>(g.distinct.size());
      case correlation_type::value_sum:
        return g.sum;
      case correlation_type::value_avg:
        return g.entries.empty() ? 0 : g.sum / static_cast<double>(g.entries.size());
      default:
        return 0;
    }
  };

  switch (def.type) {
    case correlation_type::event_count:
    case correlation_type::value_count:
    case correlation_type::value_sum:
    case correlation_type::value_avg: {
      entry en;
      en.time = t;
      en.rule = rule;
      if (def.type != correlation_type::event_count) {
        const auto& ids = def.value_fields[first];
        if (def.type == correlation_type::value_count) {
          auto v = first_text(e, ids);
          if (!v) return;
          en.value = std::move(*v);
        } else {
          std::optional<double> num;
          for (const auto& f : e.fields) {
            if (std::find(ids.begin(), ids.end(), f.id) == ids.end()) continue;
            num = f.v.as_real();
            if (num) break;
          }
          if (!num) return;
          en.number = *num;
        }
      }
      if (def.condition.upper_bounded()) {
        // Fixed window from the group's first event; judged when it closes.
        if (!g.entries.empty() && t > g.window_start + def.timespan_ns) judge_closed(corr, g, emit);
        if (g.entries.empty()) g.window_start = t;
        push_entry(std::move(en));
        keep_evidence();
        return;
      }
      evict_before(horizon);
      push_entry(std::move(en));
      keep_evidence();
      const double m = measure();
      if (def.condition.eval(m)) fire(corr, g, t, m, emit, &e, &render, depth);
      return;
    }
    case correlation_type::temporal: {
      evict_before(horizon);
      for (auto p : positions) g.last_seen[p] = t;
      entry en;
      en.time = t;
      en.rule = rule;
      push_entry(std::move(en));
      keep_evidence();
      std::size_t seen = 0;
      for (auto ls : g.last_seen)
        if (ls != none && ls >= horizon) ++seen;
      const bool ok = def.has_condition ? def.condition.eval(static_cast<double>(seen))
                                        : seen == def.inputs.size();
      if (ok) fire(corr, g, t, static_cast<double>(seen), emit, &e, &render, depth);
      return;
    }
    case correlation_type::temporal_ordered: {
      evict_before(horizon);
      // Descending, so one event never advances two positions of the chain.
      for (auto p = positions.rbegin(); p != positions.rend(); ++p) {
        if (*p == 0) {
          g.chain_start[0] = t;
        } else if (g.chain_start[*p - 1] != none && g.chain_start[*p - 1] >= horizon) {
          g.chain_start[*p] = std::max(g.chain_start[*p], g.chain_start[*p - 1]);
        }
      }
      entry en;
      en.time = t;
      en.rule = rule;
      push_entry(std::move(en));
      keep_evidence();
      const std::int64_t done = g.chain_start.back();
      if (done != none && done >= horizon) {
        fire(corr, g, t, static_cast<double>(def.inputs.size()), emit, &e, &render, depth);
      }
      return;
    }
  }
}

void correlation_engine::fire(std::uint32_t corr, group_state& g, std::int64_t now,
                              double measure, const emit_fn& emit, const event* e,
                              const render_fn* render, int depth) {
  const correlation_def& def = rules_.correlations[corr];
  correlation_hit hit;
  hit.correlation = corr;
  hit.time_ns = now;
  hit.first_ns = g.entries.empty() ? now : g.entries.front().time;
  hit.measure = measure;
  hit.group = g.key;
  hit.events = g.entries.size();
  for (const auto& en : g.entries) hit.input_rules.push_back(en.rule);
  for (auto& ev : g.evidence) hit.evidence_json.push_back(std::move(ev.second));
  if (def.type == correlation_type::value_count) {
    for (const auto& [v, n] : g.distinct) {
      (void)n;
      if (hit.values.size() >= 50) break;
      hit.values.push_back(v);
    }
  }
  ++stats_.fired;
  // Start afresh: one burst, one finding.
  g.entries.clear();
  g.evidence.clear();
  g.distinct.clear();
  g.sum = 0;
  std::fill(g.last_seen.begin(), g.last_seen.end(), none);
  std::fill(g.chain_start.begin(), g.chain_start.end(), none);
  emit(hit);
  // Chains: the correlation's own match feeds the correlations that use it.
  if (e != nullptr) {
    const auto& feeds = rules_.rules[def.rule].feeds;
    for (auto parent : feeds) feed(parent, 0, def.rule, *e, *render, emit, depth + 1);
  }
}

void correlation_engine::judge_closed(std::uint32_t corr, group_state& g, const emit_fn& emit) {
  const correlation_def& def = rules_.correlations[corr];
  double m = 0;
  switch (def.type) {
    case correlation_type::event_count:
      m = static_cast<double>(g.entries.size());
      break;
    case correlation_type::value_count:
      m = static_cast<double>(g.distinct.size());
      break;
    case correlation_type::value_sum:
      m = g.sum;
      break;
    case correlation_type::value_avg:
      m = g.entries.empty() ? 0 : g.sum / static_cast<double>(g.entries.size());
      break;
    default:
      return;
  }
  if (!g.entries.empty() && def.condition.eval(m)) {
    fire(corr, g, g.entries.back().time, m, emit, nullptr, nullptr, 0);
  } else {
    g.entries.clear();
    g.evidence.clear();
    g.distinct.clear();
    g.sum = 0;
  }
}

void correlation_engine::sweep(std::uint32_t corr, std::int64_t now, const emit_fn& emit) {
  corr_state& cs = *states_[corr];
  const correlation_def& def = rules_.correlations[corr];
  if (cs.last_sweep != none && now - cs.last_sweep < def.timespan_ns) return;
  cs.last_sweep = now;
  const bool windowed = def.condition.upper_bounded() &&
                        def.type != correlation_type::temporal &&
                        def.type != correlation_type::temporal_ordered;
  for (auto it = cs.groups.begin(); it != cs.groups.end();) {
    group_state& g = it->second;
    if (g.last < now - def.timespan_ns) {
      if (windowed && !g.entries.empty()) judge_closed(corr, g, emit);
      it = cs.groups.erase(it);
      ++stats_.groups_evicted;
    } else {
      ++it;
    }
  }
}

void correlation_engine::finish(const emit_fn& emit) {
  for (std::uint32_t corr = 0; corr < states_.size(); ++corr) {
    const correlation_def& def = rules_.correlations[corr];
    const bool windowed = def.condition.upper_bounded() &&
                          def.type != correlation_type::temporal &&
                          def.type != correlation_type::temporal_ordered;
    if (!windowed) continue;
    for (auto& [key, g] : states_[corr]->groups) {
      (void)key;
      if (!g.entries.empty()) judge_closed(corr, g, emit);
    }
  }
}

}  // namespace mamori::sigma
