#include "mamori/detect/sigma/sigma_detector.hpp"

#include <fmt/format.h>

#include <chrono>

#include "mamori/detect/sigma/matcher.hpp"
#include "mamori/event/time.hpp"
#include "mamori/output/event_writer.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::sigma {

result<sigma_load> load_sigma(const sigma_options& options,
                              const std::vector<std::string>& decoder_names) {
  const auto start = std::chrono::steady_clock::now();
  logsource_pipeline pipeline;
  if (options.default_pipeline) {
    auto p = logsource_pipeline::load_default();
    if (!p) return tl::unexpected(p.error());
    pipeline = std::move(*p);
  }
  for (const auto& f : options.pipeline_files) {
    auto r = pipeline.merge_file(f);
    if (!r) return tl::unexpected(r.error());
  }
  if (!options.placeholders_file.empty()) {
    auto r = load_placeholders(options.placeholders_file, pipeline.placeholders());
    if (!r) return tl::unexpected(r.error());
  }
  rule_collection rules;
  for (const auto& p : options.rule_paths) collect_path(p, rules);
  sigma_load out;
  compile_options copt;
  copt.min_level = options.min_level;
  copt.decoders = decoder_names;
  out.rules = compile_ruleset(rules, std::move(pipeline), copt, out.report);
  out.report.load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

namespace {

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string first_of(const event& e, const std::vector<field_id>& ids) {
  // The first listed name that the event has wins (the list is in preference order).
  for (auto id : ids)
    for (const auto& f : e.fields)
      if (f.id == id && !f.v.is_null()) {
        std::string s = f.v.to_string();
        if (!s.empty() && s != "-") return s;
      }
  return {};
}

std::string clip(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  std::size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "…";
}

}  // namespace

struct sigma_detector::impl {
  impl(std::shared_ptr<const compiled_ruleset> r, std::vector<std::string> names,
       correlation_limits limits)
      : rules(r), decoder_names(names), m(r, names), correlations(*r, limits) {}

  std::shared_ptr<const compiled_ruleset> rules;
  std::vector<std::string> decoder_names;
  matcher m;
  correlation_engine correlations;
  std::vector<match_ref> refs;
  sigma_detector_stats stats;

  void fill_common(finding& f, const rule_meta& meta) const {
    f.rule_uid = meta.uid;
    f.rule_name = meta.title;
    f.level = meta.level.empty() ? std::string("informational") : meta.level;
    f.severity = severity_from_level(f.level);
    f.attacks = meta.attacks;
    f.tags = meta.tags;
  }

  finding detection_finding(const match_ref& ref, const event& e) {
    const group& g = rules->groups[ref.group];
    const rule_instance& inst = g.instances[ref.instance];
    const rule_meta& meta = rules->rules[inst.rule];
    finding f;
    fill_common(f, meta);
    f.rule_source = "sigma";
    f.time_ns = e.time_ns;
    f.matched = m.explain(ref, e);
    f.host = first_of(e, rules->host_fields);
    f.user = first_of(e, rules->user_fields);
    f.src_ip = first_of(e, rules->src_ip_fields);
    f.source_file = std::string(source_table::global().path(e.source));
    f.source_line = e.line;
    f.source_offset = e.offset;
    std::string why;
    std::size_t shown = 0;
    for (const auto& mv : f.matched) {
      if (shown == 3) {
        why += fmt::format("; and {} more", f.matched.size() - shown);
        break;
      }
      why += shown == 0 ? "" : "; ";
      why += fmt::format("{}: {} = '{}'", mv.selection, mv.field, clip(mv.value, 120));
      ++shown;
    }
    f.explanation =
        fmt::format("Sigma rule '{}' ({}) matched {} event{}{}{}: {}", meta.title, f.level,
                    decoder_name(e), f.host.empty() ? "" : " on ", f.host,
                    f.user.empty() ? "" : fmt::format(" by {}", f.user),
                    why.empty() ? std::string("condition true") : why);
    std::string json;
    append_event_json(json, e, decoder_name(e));
    f.evidences.push_back(std::move(json));
    f.finding_uid = fmt::format(
        "{:016x}", fnv1a(fmt::format("{}|{}|{}|{}|{}", f.rule_uid, f.source_file, e.offset,
                                     e.line, e.time_ns)));
    return f;
  }

  std::string_view decoder_name(const event& e) const {
    return e.decoder < decoder_names.size() ? std::string_view(decoder_names[e.decoder])
                                            : std::string_view("unknown");
  }

  finding correlation_finding(const correlation_hit& hit) {
    const correlation_def& def = rules->correlations[hit.correlation];
    const rule_meta& meta = rules->rules[def.rule];
    finding f;
    fill_common(f, meta);
    f.rule_source = "correlation";
    f.time_ns = hit.time_ns;
    std::string group_text;
    for (const auto& [k, v] : hit.group) {
      f.matched.push_back({"group-by", k, v});
      if (!group_text.empty()) group_text += ", ";
      group_text += fmt::format("{}={}", k, v);
      for (auto id : rules->user_fields)
        if (field_registry::global().name(id) == k && f.user.empty()) f.user = v;
      for (auto id : rules->host_fields)
        if (field_registry::global().name(id) == k && f.host.empty()) f.host = v;
      for (auto id : rules->src_ip_fields)
        if (field_registry::global().name(id) == k && f.src_ip.empty()) f.src_ip = v;
    }
    const std::string measure = fmt::format("{}", hit.measure);
    f.matched.push_back({"condition", std::string(correlation_type_name(def.type)), measure});
    // Which input rules contributed, with counts.
    std::map<std::uint32_t, std::size_t> per_rule;
    for (auto r : hit.input_rules) ++per_rule[r];
    std::string inputs;
    std::string rules_json = "[";
    bool first = true;
    for (const auto& [r, n] : per_rule) {
      const rule_meta& im = rules->rules[r];
      if (!inputs.empty()) inputs += ", ";
      inputs += fmt::format("'{}' ×{}", im.title, n);
      if (!first) rules_json += ',';
      first = false;
      rules_json += "{\"uid\":";
      json_text::append_string(rules_json, im.uid);
      rules_json += ",\"name\":";
      json_text::append_string(rules_json, im.title);
      rules_json += fmt::format(",\"count\":{}}}", n);
    }
    rules_json += ']';
    const double span_s = static_cast<double>(def.timespan_ns) / 1e9;
    std::string cond = def.has_condition ? def.condition.to_string() : "all rules";
    f.explanation = fmt::format(
        "Correlation '{}' ({}): {} {} {} within {}s{}{} between {} and {} from {}",
        meta.title, correlation_type_name(def.type),
        def.type == correlation_type::value_count ? fmt::format("distinct {}", def.field)
        : def.type == correlation_type::value_sum ? fmt::format("sum of {}", def.field)
        : def.type == correlation_type::value_avg ? fmt::format("average of {}", def.field)
                                                  : std::string("count"),
        measure, cond, span_s, group_text.empty() ? "" : " for ", group_text,
        timeparse::format_rfc3339(hit.first_ns), timeparse::format_rfc3339(hit.time_ns),
        inputs);
    f.evidences = hit.evidence_json;
    std::string ev = "{\"correlation\":{\"type\":";
    json_text::append_string(ev, correlation_type_name(def.type));
    fmt::format_to(std::back_inserter(ev), ",\"timespan_s\":{},\"measure\":{},\"condition\":",
                   span_s, measure);
    json_text::append_string(ev, cond);
    if (!def.field.empty()) {
      ev += ",\"field\":";
      json_text::append_string(ev, def.field);
    }
    ev += ",\"group\":{";
    first = true;
    for (const auto& [k, v] : hit.group) {
      if (!first) ev += ',';
      first = false;
      json_text::append_string(ev, k);
      ev += ':';
      json_text::append_string(ev, v);
    }
    fmt::format_to(std::back_inserter(ev),
                   "}},\"events\":{},\"first_time\":\"{}\",\"last_time\":\"{}\",\"rules\":{}",
                   hit.events, timeparse::format_rfc3339(hit.first_ns),
                   timeparse::format_rfc3339(hit.time_ns), rules_json);
    if (!hit.values.empty()) {
      ev += ",\"values\":[";
      for (std::size_t k = 0; k < hit.values.size(); ++k) {
        if (k > 0) ev += ',';
        json_text::append_string(ev, hit.values[k]);
      }
      ev += ']';
    }
    ev += "}}";
    f.evidence_json = std::move(ev);
    f.finding_uid = fmt::format(
        "{:016x}", fnv1a(fmt::format("{}|{}|{}|{}", f.rule_uid, hit.first_ns, hit.time_ns,
                                     group_text)));
    return f;
  }
};

sigma_detector::sigma_detector(std::shared_ptr<const compiled_ruleset> rules,
                               std::vector<std::string> decoder_names, correlation_limits limits)
    : impl_(std::make_unique<impl>(std::move(rules), std::move(decoder_names), limits)) {}

sigma_detector::~sigma_detector() = default;

void sigma_detector::observe(const event_batch& batch, finding_sink& out) {
  impl& s = *impl_;
  auto emit_hit = [&](const correlation_hit& hit) {
    const auto& def = s.rules->correlations[hit.correlation];
    if (!s.rules->rules[def.rule].emit) return;
    ++s.stats.findings;
    out.emit(s.correlation_finding(hit));
  };
  for (const event& e : batch.events()) {
    ++s.stats.events;
    s.refs.clear();
    s.m.match(e, s.refs);
    for (const auto& ref : s.refs) {
      ++s.stats.matches;
      const auto rule = s.rules->groups[ref.group].instances[ref.instance].rule;
      const rule_meta& meta = s.rules->rules[rule];
      if (meta.emit) {
        ++s.stats.findings;
        out.emit(s.detection_finding(ref, e));
      }
      if (!meta.feeds.empty()) {
        const correlation_engine::render_fn render = [&]() {
          std::string json;
          append_event_json(json, e, s.decoder_name(e));
          return json;
        };
        s.correlations.on_match(rule, e, render, emit_hit);
      }
    }
  }
}

void sigma_detector::finish(finding_sink& out) {
  impl& s = *impl_;
  s.correlations.finish([&](const correlation_hit& hit) {
    const auto& def = s.rules->correlations[hit.correlation];
    if (!s.rules->rules[def.rule].emit) return;
    ++s.stats.findings;
    out.emit(s.correlation_finding(hit));
  });
}

sigma_detector_stats sigma_detector::stats() const {
  sigma_detector_stats st = impl_->stats;
  st.rule_evaluations = impl_->m.stats().rule_evaluations;
  st.correlations = impl_->correlations.stats();
  return st;
}

}  // namespace mamori::sigma
