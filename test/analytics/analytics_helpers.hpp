#pragma once
// Test helpers: build normalized events the way decoders do, run the analytics, collect
// findings.

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mamori/detect/analytics/analytics.hpp"
#include "mamori/detect/detector.hpp"
#include "mamori/enrich/enricher.hpp"
#include "mamori/event/event.hpp"

namespace mamori::test {

struct collect final : finding_sink {
  std::vector<finding> all;
  void emit(finding f) override { all.push_back(std::move(f)); }
  std::vector<const finding*> of(std::string_view uid) const {
    std::vector<const finding*> out;
    for (const auto& f : all)
      if (f.rule_uid == uid) out.push_back(&f);
    return out;
  }
};

// One event's normalized fields, set like a decoder would.
struct ev {
  std::int64_t time_ns = 0;
  ocsf::event_class cls = ocsf::event_class::authentication;
  std::uint8_t activity = ocsf::activity::logon;
  ocsf::status_id status = ocsf::status_id::success;
  // Strings are owned here (values point into the batch arena only once run() copies them).
  struct item {
    ocsf::attr a;
    value v;
    std::string s;
  };
  std::vector<item> attrs;
  std::vector<std::pair<std::string, std::string>> raw;
  std::string source = "test";
  std::uint64_t line = 0;

  ev& set(ocsf::attr a, std::string s) {
    for (auto& it : attrs) {
      if (it.a == a) {
        it.v = value::string("");
        it.s = std::move(s);
        return *this;
      }
    }
    attrs.push_back({a, value::string(""), std::move(s)});
    return *this;
  }
  ev& set(ocsf::attr a, value v) {
    attrs.push_back({a, v, {}});
    return *this;
  }
  ev& add_raw(std::string name, std::string s) {
    raw.emplace_back(std::move(name), std::move(s));
    return *this;
  }
  std::string get(ocsf::attr a) const {
    for (const auto& it : attrs)
      if (it.a == a) return it.s;
    return {};
  }
};

// Feeds events in batches of `batch_size` to the detectors, then finishes them.
inline void run(std::vector<std::unique_ptr<detector>>& dets, const std::vector<ev>& events,
                collect& out, std::size_t batch_size = 512,
                const std::vector<enricher*>& enrichers = {}) {
  detector_chain chain(out);
  for (auto& d : dets) chain.add(std::move(d));
  event_batch batch;
  std::map<std::string, std::uint32_t> sources;
  auto flush = [&] {
    if (batch.empty()) return;
    for (enricher* en : enrichers) en->enrich(batch);
    chain.consume(batch);
    batch.clear();
  };
  for (const auto& x : events) {
    event& e = batch.add();
    e.time_ns = x.time_ns;
    e.class_uid = x.cls;
    e.activity_id = x.activity;
    e.status = x.status;
    auto src = sources.find(x.source);
    if (src == sources.end())
      src = sources.emplace(x.source, source_table::global().add(x.source)).first;
    e.source = src->second;
    e.line = x.line;
    for (const auto& it : x.attrs) {
      e.set(it.a, it.v.is_string() ? value::string(batch.store(it.s)) : it.v);
    }
    for (const auto& [n, v] : x.raw) e.add_raw(intern_field(n), value::string(batch.store(v)));
    if (batch.size() >= batch_size) flush();
  }
  flush();
  chain.finish();
}

}  // namespace mamori::test
