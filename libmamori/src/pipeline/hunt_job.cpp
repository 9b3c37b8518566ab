#include "mamori/pipeline/hunt_job.hpp"

#include <fmt/format.h>

#include <chrono>

#include "mamori/output/json_text.hpp"

namespace mamori {

std::vector<std::string> decoder_names(const decoder_registry& registry) {
  std::vector<std::string> names;
  for (const auto& s : registry.all()) names.push_back(s.name);
  return names;
}

namespace {

// Counts findings on their way to the real sink.
class counting_findings final : public finding_sink {
 public:
  counting_findings(finding_sink& next, hunt_stats& stats) : next_(next), stats_(stats) {}
  void emit(finding f) override {
    ++stats_.findings;
    ++stats_.findings_by_level[f.level.empty() ? "informational" : f.level];
    ++stats_.findings_by_source[f.rule_source];
    next_.emit(std::move(f));
  }

 private:
  finding_sink& next_;
  hunt_stats& stats_;
};

// Lets the chain drive a detector the job keeps owning (so run() can be called again).
class borrowed_detector final : public detector {
 public:
  explicit borrowed_detector(detector& d) : d_(d) {}
  std::string_view name() const override { return d_.name(); }
  void observe(const event_batch& batch, finding_sink& out) override { d_.observe(batch, out); }
  void finish(finding_sink& out) override { d_.finish(out); }

 private:
  detector& d_;
};

}  // namespace

result<std::unique_ptr<hunt_job>> hunt_job::create(const decoder_registry& registry,
                                                   hunt_options options, diagnostics& diag) {
  std::unique_ptr<hunt_job> job(new hunt_job(registry, std::move(options), diag));
  const auto names = decoder_names(registry);
  if (job->options_.sigma_enabled) {
    auto loaded = sigma::load_sigma(job->options_.sigma, names);
    if (!loaded) return tl::unexpected(loaded.error());
    job->report_ = std::move(loaded->report);
    job->rules_ = loaded->rules;
    auto det = std::make_unique<sigma::sigma_detector>(job->rules_, names,
                                                       job->options_.sigma.limits);
    job->sigma_ = det.get();
    job->detectors_.push_back(std::move(det));
  }
  // The analytics (issue 4) run in the same pass, after the Sigma rules; their enrichers run
  // on every batch before any detector.
  auto analytics = load_analytics(job->options_.analytics.spec,
                                  job->options_.analytics.state_dir, diag);
  if (!analytics) return tl::unexpected(analytics.error());
  for (auto& d : analytics->detectors) job->detectors_.push_back(std::move(d));
  job->enrichers_ = std::move(analytics->enrich.enrichers);
  job->enrichment_notes_ = std::move(analytics->enrich.notes);
  return job;
}

void hunt_job::add_detector(std::unique_ptr<detector> d) { detectors_.push_back(std::move(d)); }

hunt_stats hunt_job::run(const std::vector<std::string>& files, finding_sink& out) {
  hunt_stats stats;
  counting_findings counter(out, stats);
  detector_chain chain(counter);
  for (auto& d : detectors_) chain.add(std::make_unique<borrowed_detector>(*d));
  const auto start = std::chrono::steady_clock::now();
  parse_job job(registry_, options_.parse, diag_);
  for (auto& e : enrichers_) job.add_enricher(*e);
  stats.parse = job.run(files, chain);
  chain.finish();
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.events_per_second =
      stats.seconds > 0 ? static_cast<double>(stats.parse.events) / stats.seconds : 0;
  stats.rules_loaded = report_.loaded;
  stats.rules_unsupported = report_.unsupported;
  stats.rules_invalid = report_.invalid;
  stats.load_ms = report_.load_ms;
  stats.compile_ms = report_.stats.compile_ms;
  stats.detectors = chain.detectors().size();
  if (sigma_ != nullptr) stats.sigma = sigma_->stats();
  return stats;
}

std::string hunt_stats::to_json() const {
  std::string out = fmt::format(
      "{{\"files\":{},\"events\":{},\"rejected\":{},\"findings\":{},\"rules_loaded\":{},"
      "\"rules_unsupported\":{},\"rules_invalid\":{},\"load_ms\":{:.1f},\"compile_ms\":{:.1f},"
      "\"seconds\":{:.3f},\"events_per_second\":{:.0f},\"detectors\":{},",
      parse.files, parse.events, parse.rejected, findings, rules_loaded, rules_unsupported,
      rules_invalid, load_ms, compile_ms, seconds, events_per_second, detectors);
  auto map_json = [&](const std::map<std::string, std::uint64_t>& m) {
    std::string s = "{";
    bool first = true;
    for (const auto& [k, v] : m) {
      if (!first) s += ',';
      first = false;
      json_text::append_string(s, k);
      s += fmt::format(":{}", v);
    }
    return s + "}";
  };
  out += "\"findings_by_level\":" + map_json(findings_by_level) + ",";
  out += "\"findings_by_source\":" + map_json(findings_by_source) + ",";
  fmt::format_to(std::back_inserter(out),
                 "\"sigma\":{{\"matches\":{},\"rule_evaluations\":{},\"correlation\":{{\"fired\":{},"
                 "\"groups_evicted\":{},\"groups_dropped\":{},\"entries_dropped\":{},"
                 "\"late_events\":{}}}}},",
                 sigma.matches, sigma.rule_evaluations, sigma.correlations.fired,
                 sigma.correlations.groups_evicted, sigma.correlations.groups_dropped,
                 sigma.correlations.entries_dropped, sigma.correlations.late_events);
  out += "\"parse\":" + parse.to_json() + "}";
  return out;
}

}  // namespace mamori
