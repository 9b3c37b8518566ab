// mamori.mass_download / mamori.mass_upload / mamori.mass_delete: files (and bytes) per user
// per window (default 1 h, aligned to the epoch) against the user's own history of active
// windows, with robust statistics: the threshold is the largest of an absolute floor, the
// median plus k × 1.4826 × MAD, and a multiple of the 90th percentile. Without enough history
// the floor is multiplied instead. docs/analytics.md#mass-download-upload-delete

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "mamori/detect/analytics/analytic_list.hpp"
#include "mamori/detect/analytics/explain.hpp"

namespace mamori::analytics {

namespace {

struct robust {
  double median = 0;
  double mad = 0;
  double p90 = 0;
  std::size_t n = 0;
};

robust stats_of(std::vector<double> v) {
  robust r;
  r.n = v.size();
  if (v.empty()) return r;
  std::sort(v.begin(), v.end());
  auto quantile = [&](const std::vector<double>& s, double q) {
    const double pos = q * static_cast<double>(s.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = static_cast<std::size_t>(std::ceil(pos));
    return s[lo] + (s[hi] - s[lo]) * (pos - static_cast<double>(lo));
  };
  r.median = quantile(v, 0.5);
  r.p90 = quantile(v, 0.9);
  std::vector<double> dev;
  dev.reserve(v.size());
  for (double x : v) dev.push_back(std::fabs(x - r.median));
  std::sort(dev.begin(), dev.end());
  r.mad = quantile(dev, 0.5);
  return r;
}

const char* verb(file_op k) {
  switch (k) {
    case file_op::download:
      return "downloaded";
    case file_op::upload:
      return "uploaded";
    case file_op::remove:
      return "deleted";
    default:
      return "touched";
  }
}

class mass_activity final : public analytic {
 public:
  mass_activity(ctx_ptr ctx, const mass_activity_params& p, file_op kind)
      : analytic(std::move(ctx),
                 kind == file_op::download ? "mamori.mass_download"
                 : kind == file_op::upload ? "mamori.mass_upload"
                                           : "mamori.mass_delete",
                 kind == file_op::download ? "Mass download"
                 : kind == file_op::upload ? "Mass upload"
                                           : "Mass delete"),
        p_(p),
        kind_(kind) {}

  std::uint32_t wants() const override {
    return want(obs_kind::file_op) | want(obs_kind::web_upload);
  }

  void on_observation(const observation& o, user_profile& prof, finding_sink& out) override {
    if (o.fop != kind_ || o.status == ocsf::status_id::failure) return;
    volume_series& v = prof.volume[static_cast<std::size_t>(kind_) - 1];
    const std::int64_t ws = o.time_ns - ((o.time_ns % p_.window) + p_.window) % p_.window;
    if (v.window_start != ws) {
      if (ws < v.window_start) return;  // a late event for a closed window: not re-judged
      if (v.window_start != 0 && v.count > 0) {
        v.push(v.count,
               static_cast<std::uint32_t>(std::min<std::uint64_t>(v.bytes >> 10, 0xffffffffu)));
      }
      v.window_start = ws;
      v.count = 0;
      v.bytes = 0;
    }
    ++v.count;
    v.bytes += o.bytes;
    prof.dirty = true;
    auto& recent = recent_[o.user_key];
    if (recent.size() < 20) recent.push_back(o.ref);
    if (recent.size() >= 20) recent[19] = o.ref;  // keep the latest as the last one
    auto al = alerted_.find(o.user_key);
    if (al != alerted_.end() && al->second == ws) return;

    std::vector<double> counts;
    std::vector<double> kbytes;
    for (std::uint8_t k = 0; k < v.n; ++k) {
      counts.push_back(v.counts[k]);
      kbytes.push_back(v.kbytes[k]);
    }
    const robust rc = stats_of(counts);
    const robust rb = stats_of(kbytes);
    const int floor_count = kind_ == file_op::download ? p_.download_floor
                            : kind_ == file_op::upload ? p_.upload_floor
                                                       : p_.delete_floor;
    const bool baseline = static_cast<int>(v.n) >= p_.min_history;
    const std::uint64_t bytes_floor =
        kind_ == file_op::upload ? p_.upload_bytes_floor : p_.bytes_floor;
    double thr_count = 0;
    double thr_bytes = 0;
    if (baseline) {
      thr_count = std::max({static_cast<double>(floor_count),
                            rc.median + p_.mad_k * 1.4826 * rc.mad, p_.min_ratio * rc.p90});
      thr_bytes = std::max({static_cast<double>(bytes_floor),
                            (rb.median + p_.mad_k * 1.4826 * rb.mad) * 1024.0,
                            p_.min_ratio * rb.p90 * 1024.0});
    } else {
      thr_count = floor_count * p_.no_baseline_factor;
      thr_bytes = static_cast<double>(bytes_floor) * p_.no_baseline_factor;
    }
    const bool by_count = static_cast<double>(v.count) >= thr_count;
    const bool by_bytes = kind_ != file_op::remove && static_cast<double>(v.bytes) >= thr_bytes;
    if (!by_count && !by_bytes) return;
    alerted_[o.user_key] = ws;

    finding f = make_finding(o, p_.level);
    const std::string base =
        baseline ? fmt::format(
                       "its baseline over {} active windows: median {:.0f} files, MAD "
                       "{:.0f}, 90th percentile {:.0f} files / {}",
                       rc.n, rc.median, rc.mad, rc.p90,
                       bytes_text(static_cast<std::uint64_t>(rb.p90 * 1024)))
                 : fmt::format(
                       "no baseline yet ({} active windows, {} needed), so the floor × {:.0f} "
                       "applies",
                       v.n, p_.min_history, p_.no_baseline_factor);
    f.explanation = fmt::format(
        "{} {} {} files ({}) between {} and {} ({} window); threshold {:.0f} files or {} from "
        "{}.",
        o.user, verb(kind_), v.count, bytes_text(v.bytes), clock_time(ws), clock_time(o.time_ns),
        span_text(p_.window), thr_count,
        kind_ == file_op::remove ? std::string("(bytes not used)")
                                 : bytes_text(static_cast<std::uint64_t>(thr_bytes)),
        base);
    json_object ev;
    ev.str("analytic", uid())
        .str("window_start", date_time(ws))
        .num("window_seconds", static_cast<double>(p_.window) / 1e9)
        .integer("files", v.count)
        .integer("bytes", static_cast<std::int64_t>(v.bytes))
        .num("threshold_files", thr_count)
        .num("threshold_bytes", thr_bytes)
        .boolean("baseline", baseline)
        .integer("history_windows", v.n)
        .num("median_files", rc.median)
        .num("mad_files", rc.mad)
        .num("p90_files", rc.p90)
        .num("median_kbytes", rb.median)
        .num("p90_kbytes", rb.p90)
        .raw("events", refs_json(recent));
    f.evidence_json = ev.done();
    f.matched.push_back({"files", "file.name", std::to_string(v.count)});
    f.attacks = kind_ == file_op::download ? std::vector<std::string>{"T1530"}
                : kind_ == file_op::upload ? std::vector<std::string>{"T1567"}
                                           : std::vector<std::string>{"T1485"};
    recent.clear();
    emit(out, std::move(f));
  }

  void on_time(std::int64_t now, finding_sink&) override {
    if (now - last_sweep_ < p_.window) return;
    last_sweep_ = now;
    for (auto it = alerted_.begin(); it != alerted_.end();) {
      if (now - it->second > 2 * p_.window) {
        recent_.erase(it->first);
        it = alerted_.erase(it);
      } else {
        ++it;
      }
    }
    if (recent_.size() > ctx().config().max_keys) recent_.clear();
  }

 private:
  mass_activity_params p_;
  file_op kind_;
  std::unordered_map<std::string, std::int64_t> alerted_;  // user → window already reported
  std::unordered_map<std::string, std::vector<event_ref>> recent_;
  std::int64_t last_sweep_ = 0;
};

}  // namespace

std::unique_ptr<analytic> make_mass_activity(ctx_ptr ctx, const mass_activity_params& p,
                                             file_op kind) {
  return std::make_unique<mass_activity>(std::move(ctx), p, kind);
}

}  // namespace mamori::analytics
