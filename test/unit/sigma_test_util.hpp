#pragma once
// Helpers for the Sigma tests: compile rules from YAML text against a small pipeline, build
// events in memory, and match them twice: with the real matcher (Vectorscan) and with a
// reference evaluation that uses glob_match/eval_leaf for every leaf. Both must agree.

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mamori/detect/sigma/matcher.hpp"
#include "mamori/detect/sigma/sigma_detector.hpp"
#include "mamori/event/event.hpp"

namespace mamori::sigma::testing {

// Events of format "test" (decoder index 0) apply to logsource product: test.
inline constexpr std::string_view test_pipeline = R"(
replace: true
entities: {host: [Computer], user: [User]}
logsources:
  test:
    logsource: {product: test}
    when: {format: test}
  test-mapped:
    logsource: {product: test, category: mapped}
    when: {format: test, kind: mapped}
    fields: {Image: NewProcessName}
)";

using field_value = std::variant<std::string, std::int64_t, double, bool, std::nullptr_t>;

class event_builder {
 public:
  event_builder& add(std::string_view name, field_value v) {
    fields_.emplace_back(std::string(name), std::move(v));
    return *this;
  }
  event_builder& time(std::int64_t ns) {
    time_ = ns;
    return *this;
  }
  // Materialises into `e`; strings live in `store`.
  void build(event& e, std::deque<std::string>& store) const {
    e.reset();
    e.decoder = 0;
    e.time_ns = time_;
    for (const auto& [name, v] : fields_) {
      const field_id id = intern_field(name);
      if (const auto* s = std::get_if<std::string>(&v)) {
        store.push_back(*s);
        e.add_raw(id, value::string(store.back()));
      } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
        e.add_raw(id, value::integer(*i));
      } else if (const auto* d = std::get_if<double>(&v)) {
        e.add_raw(id, value::real(*d));
      } else if (const auto* b = std::get_if<bool>(&v)) {
        e.add_raw(id, value::boolean(*b));
      } else {
        e.add_raw(id, value::null());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, field_value>> fields_;
  std::int64_t time_ = 1'700'000'000'000'000'000;
};

inline event_builder ev() { return event_builder(); }

struct engine {
  rule_collection rules;
  load_report report;
  std::shared_ptr<const compiled_ruleset> compiled;
  std::unique_ptr<matcher> m;
  std::deque<std::string> store;

  explicit engine(std::string_view yaml, std::string_view extra_pipeline = {},
                  placeholder_map placeholders = {}) {
    collect_text(yaml, "test.yml", rules);
    logsource_pipeline p;
    auto ok = p.merge_text(test_pipeline, "test-pipeline");
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
    if (!extra_pipeline.empty()) {
      auto ok2 = p.merge_text(extra_pipeline, "extra-pipeline");
      EXPECT_TRUE(ok2) << (ok2 ? "" : ok2.error().message);
    }
    for (auto& [k, v] : placeholders) p.placeholders()[k] = v;
    compile_options opt;
    compiled = compile_ruleset(rules, std::move(p), opt, report);
    m = std::make_unique<matcher>(compiled, std::vector<std::string>{"test"});
  }

  // Problems of the rules, one line each (empty when everything loaded).
  std::string problems() const {
    std::string out;
    for (const auto& r : report.rules)
      if (r.status != rule_status::loaded) out += r.where.to_string() + ": " + r.reason + "\n";
    return out;
  }
  bool loaded() const { return report.loaded > 0 && report.invalid == 0 && report.unsupported == 0; }

  // Titles of the rules matching the event (matcher), checked against the reference.
  std::vector<std::string> titles(const event_builder& b) {
    event e;
    b.build(e, store);
    std::vector<match_ref> refs;
    m->match(e, refs);
    std::vector<std::string> out;
    std::vector<std::uint32_t> fast;
    for (const auto& r : refs) {
      const auto rule = compiled->groups[r.group].instances[r.instance].rule;
      fast.push_back(rule);
      out.push_back(compiled->rules[rule].title);
    }
    // Reference: every instance of every group the event's format selects, by eval_leaf.
    std::vector<std::uint32_t> slow;
    for (const auto& g : compiled->groups) {
      bool applies = true;
      for (const auto& c : g.entry.when) {
        if (c.field == "format") continue;
        bool any = false;
        for (const auto& f : e.fields) {
          if (field_registry::global().name(f.id) != c.field) continue;
          for (const auto& v : c.values) any = any || iequals(v, f.v.to_string());
        }
        applies = applies && any;
      }
      if (!applies) continue;
      for (const auto& inst : g.instances) {
        if (reference(g, inst.program, e, m->canon()) &&
            std::find(slow.begin(), slow.end(), inst.rule) == slow.end()) {
          slow.push_back(inst.rule);
        }
      }
    }
    std::sort(fast.begin(), fast.end());
    std::sort(slow.begin(), slow.end());
    EXPECT_EQ(fast, slow) << "Vectorscan path and reference evaluation disagree";
    return out;
  }

  bool matches(const event_builder& b) { return !titles(b).empty(); }

  static bool reference(const group& g, const dnode& d, const event& e, const field_canon& canon) {
    switch (d.o) {
      case dnode::op::leaf:
        return matcher::eval_leaf(g.leaves[d.leaf], e, canon);
      case dnode::op::and_:
        for (const auto& c : d.children)
          if (!reference(g, c, e, canon)) return false;
        return true;
      case dnode::op::or_:
        for (const auto& c : d.children)
          if (reference(g, c, e, canon)) return true;
        return false;
      case dnode::op::not_:
        return !reference(g, d.children[0], e, canon);
      case dnode::op::yes:
        return true;
      case dnode::op::no:
        return false;
    }
    return false;
  }
};

// A one-rule document with the given detection body (indented by 4 spaces in the YAML).
inline std::string rule(std::string_view detection, std::string_view title = "t",
                        std::string_view logsource = "product: test") {
  std::string out = "title: ";
  out += title;
  out += "\nlogsource:\n    ";
  out += logsource;
  out += "\ndetection:\n";
  out += detection;
  out += "\n";
  return out;
}

}  // namespace mamori::sigma::testing
