#include "mamori/simulate/simulate.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <utime.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <unordered_map>

#include "mamori/simulate/text.hpp"
#include "mamori/simulate/wire.hpp"

namespace mamori::sim {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------
// Small pieces of engine.hpp

void emitter::commit(std::int64_t t, std::uint32_t file, std::uint32_t truth) {
  records_.push_back(record{t, seq_++, file, truth, arena_.store(scratch_)});
}

std::int64_t sim_context::end_ns() const {
  return options.start_ns + static_cast<std::int64_t>(options.days) * ns_per_day;
}

void sim_context::prepare_day(std::int64_t utc_day) {
  if (today_index == utc_day) return;
  today_index = utc_day;
  today.assign(co.people.size(), {});
  const std::int64_t day_start = utc_day * ns_per_day;
  const std::int64_t day_end = day_start + ns_per_day;
  for (const person& p : co.people) {
    auto& pd = today[p.index];
    for (std::int64_t local = utc_day - 1; local <= utc_day + 1; ++local) {
      const day_plan plan = plan_day(co, p, local);
      if (local == utc_day) pd.workday = plan.workday;
      for (int k = 0; k < plan.n; ++k) {
        const session& s = plan.s[k];
        if (s.end > day_start && s.start < day_end) pd.sessions.push_back(s);
      }
    }
  }
}

std::uint32_t truth_book::add_campaign(truth_campaign c) {
  campaigns_.push_back(std::move(c));
  return static_cast<std::uint32_t>(campaigns_.size() - 1);
}

std::uint32_t truth_book::add_event(std::uint32_t campaign, std::string step, std::string source,
                                    std::string uid) {
  events_.push_back(
      truth_event{campaign, std::move(step), std::move(source), std::move(uid), {}, 0, 0, false});
  return static_cast<std::uint32_t>(events_.size());
}

namespace {

void json_list(std::string& o, const std::vector<std::string>& v) {
  o += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) o += ',';
    append_json(o, v[i]);
  }
  o += ']';
}

}  // namespace

std::string truth_book::to_ndjson() const {
  std::string o;
  if (!benign_.empty()) {
    o += benign_;
    o += '\n';
  }
  for (std::uint32_t ci = 0; ci < campaigns_.size(); ++ci) {
    const truth_campaign& c = campaigns_[ci];
    std::int64_t start = 0, end = 0;
    std::size_t n = 0;
    for (const auto& e : events_) {
      if (e.campaign != ci || !e.written) continue;
      if (n == 0 || e.t < start) start = e.t;
      if (n == 0 || e.t > end) end = e.t;
      ++n;
    }
    if (n == 0) continue;  // the scenario's sources were all disabled
    o += "{\"type\":\"campaign\",\"version\":1,\"campaign_id\":";
    append_json(o, c.campaign_id);
    o += ",\"scenario\":";
    append_json(o, c.scenario);
    o += ",\"description\":";
    append_json(o, c.description);
    o += ",\"start\":\"";
    append_iso_utc(o, start, 3);
    o += "\",\"end\":\"";
    append_iso_utc(o, end, 3);
    o += "\",\"entities\":{\"users\":";
    json_list(o, c.users);
    o += ",\"src_ips\":";
    json_list(o, c.src_ips);
    o += ",\"hosts\":";
    json_list(o, c.hosts);
    o += ",\"cloud_accounts\":";
    json_list(o, c.cloud_accounts);
    o += "},\"expected_detections\":[";
    for (std::size_t i = 0; i < c.expected.size(); ++i) {
      const auto& x = c.expected[i];
      if (i > 0) o += ',';
      o += "{\"rule_uid\":";
      if (x.rule_uid.size() == 1) {
        append_json(o, x.rule_uid[0]);
      } else {
        json_list(o, x.rule_uid);
      }
      if (!x.entity_key.empty()) {
        o += ",\"entity\":{";
        append_json(o, x.entity_key);
        o += ':';
        append_json(o, x.entity_value);
        o += '}';
      }
      if (x.by != 0) {
        o += ",\"by\":\"";
        append_iso_utc(o, x.by, 0);
        o += '"';
      }
      if (x.optional) o += ",\"optional\":true";
      o += '}';
    }
    o += "],\"parameters\":{";
    bool first = true;
    for (const auto& [k, v] : c.parameters) {
      if (!first) o += ',';
      first = false;
      append_json(o, k);
      o += ':';
      append_json(o, v);
    }
    o += "},\"events\":";
    append_uint(o, n);
    o += "}\n";
    for (const auto& e : events_) {
      if (e.campaign != ci || !e.written) continue;
      o += "{\"type\":\"event\",\"campaign_id\":";
      append_json(o, c.campaign_id);
      o += ",\"source\":";
      append_json(o, e.file);
      if (!e.uid.empty()) {
        o += ",\"uid\":";
        append_json(o, e.uid);
      }
      if (e.uid.empty() || e.line_identifies) {
        o += ",\"line\":";
        append_uint(o, e.line);
      }
      o += ",\"time\":\"";
      append_iso_utc(o, e.t, 3);
      o += "\",\"step\":";
      append_json(o, e.step);
      o += ",\"log\":";
      append_json(o, e.source);
      o += "}\n";
    }
  }
  return o;
}

std::int64_t scenario_context::day_start(double fraction) const {
  const int days = std::max(1, ctx_.options.days);
  auto day = static_cast<std::int64_t>(std::floor(fraction * days));
  day = std::clamp<std::int64_t>(day, 0, days - 1);
  // Snap to an HQ working day (attacks on people need them at work), earlier first.
  auto working = [&](std::int64_t d) {
    const civil_time c = to_civil(ctx_.options.start_ns + d * ns_per_day);
    return c.weekday != 0 && c.weekday != 6 && !is_public_holiday("JP", c.month, c.day);
  };
  for (std::int64_t back = 0; back < days; ++back) {
    if (day - back >= 0 && working(day - back)) {
      day -= back;
      break;
    }
    if (day + back < days && working(day + back)) {
      day += back;
      break;
    }
  }
  // HQ working day: Tokyo midnight of that simulated day.
  return ctx_.options.start_ns + day * ns_per_day - 9 * ns_per_hour;
}

void scenario_context::at(std::int64_t t, step_fn fn) {
  const std::int64_t lo = ctx_.options.start_ns;
  const std::int64_t hi = ctx_.end_ns() - 1;
  steps_.emplace_back(std::clamp(t, lo, hi), std::move(fn));
}

emitter* sim_io::source(std::string_view name) {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return emitters_[i];
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// Output files

namespace {

class out_file {
 public:
  static std::unique_ptr<out_file> open(const fs::path& path, bool gzip, std::string& error) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    auto f = std::make_unique<out_file>();
    f->path_ = path;
    if (gzip) {
      f->gz_ = gzopen(path.c_str(), "wb6");
      if (f->gz_ == nullptr) {
        error = "cannot create " + path.string();
        return nullptr;
      }
      gzbuffer(f->gz_, 256 * 1024);
    } else {
      f->file_ = std::fopen(path.c_str(), "wb");
      if (f->file_ == nullptr) {
        error = "cannot create " + path.string();
        return nullptr;
      }
    }
    f->buf_.reserve(1 << 20);
    return f;
  }
  ~out_file() { close(); }

  void write(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= (1u << 20)) flush();
  }
  bool close() {
    if (file_ == nullptr && gz_ == nullptr) return ok_;
    flush();
    if (file_ != nullptr) {
      ok_ = std::fclose(file_) == 0 && ok_;
      file_ = nullptr;
    }
    if (gz_ != nullptr) {
      ok_ = gzclose(gz_) == Z_OK && ok_;
      gz_ = nullptr;
    }
    return ok_;
  }
  const fs::path& path() const { return path_; }

 private:
  void flush() {
    if (buf_.empty()) return;
    if (file_ != nullptr) {
      ok_ = std::fwrite(buf_.data(), 1, buf_.size(), file_) == buf_.size() && ok_;
    } else if (gz_ != nullptr) {
      ok_ = gzwrite(gz_, buf_.data(), static_cast<unsigned>(buf_.size())) ==
                static_cast<int>(buf_.size()) &&
            ok_;
    }
    buf_.clear();
  }
  fs::path path_;
  std::FILE* file_ = nullptr;
  gzFile gz_ = nullptr;
  std::string buf_;
  bool ok_ = true;
};

struct open_file {
  std::unique_ptr<out_file> out;
  std::string rel;
  std::size_t source = 0;
  std::uint64_t records = 0;
  std::uint64_t newlines = 0;
  std::int64_t last_t = 0;
};

std::uint64_t count_newlines(std::string_view s) {
  return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

struct pending_record {
  record r;
  std::string text;
};

}  // namespace

std::int64_t default_start_ns() {
  return from_civil(2025, 3, 3);
}

std::string sim_summary::to_json() const {
  std::string o = fmt::format(
      "{{\"users\":{},\"days\":{},\"events\":{},\"bytes\":{},\"disk_bytes\":{},\"files\":{},"
      "\"campaigns\":{},\"truth_events\":{},\"seconds\":{:.3f},\"events_per_second\":{:.0f},"
      "\"events_by_source\":{{",
      users, days, events, bytes, disk_bytes, files, campaigns, truth_events, seconds,
      seconds > 0 ? static_cast<double>(events) / seconds : 0.0);
  bool first = true;
  for (const auto& [k, v] : events_by_source) {
    if (!first) o += ',';
    first = false;
    append_json(o, k);
    o += ':';
    append_uint(o, v);
  }
  o += "},\"files_by_source\":{";
  first = true;
  for (const auto& [k, v] : files_by_source) {
    if (!first) o += ',';
    first = false;
    append_json(o, k);
    o += ':';
    append_uint(o, v);
  }
  o += "},\"notes\":";
  json_list(o, notes);
  o += '}';
  return o;
}

namespace {

// The roster and trips: not logs, but what an analyst would get from HR and travel
// booking, and what explains some benign anomalies.
void write_company(const sim_context& ctx, const fs::path& dir) {
  std::string o;
  for (const person& p : ctx.co.people) {
    o += "{\"upn\":";
    append_json(o, p.upn);
    o += ",\"name\":";
    append_json(o, p.display_name);
    o += ",\"sam\":";
    append_json(o, p.sam);
    o += ",\"role\":\"";
    o += role_name(p.job);
    o += "\",\"department\":";
    append_json(o, p.department);
    o += ",\"office\":";
    append_json(o, ctx.co.offices[p.office].name);
    o += ",\"home_city\":";
    append_json(o, cities()[p.home_city].name);
    o += ",\"home_ip\":\"";
    append_ipv4(o, p.home_ip);
    o += "\",\"mobile_carrier\":";
    append_json(o, p.mobile_net->isp);
    o += ",\"mfa\":";
    o += p.mfa ? "true" : "false";
    o += ",\"laptop\":";
    append_json(o, p.laptop_host);
    o += ",\"laptop_os\":";
    append_json(o, device_profiles()[p.laptop_profile].os_name);
    o += ",\"phone_os\":";
    append_json(o, device_profiles()[p.phone_profile].os_name);
    o += "}\n";
  }
  std::FILE* f = std::fopen((dir / "people.ndjson").c_str(), "wb");
  if (f != nullptr) {
    std::fwrite(o.data(), 1, o.size(), f);
    std::fclose(f);
  }
  o.clear();
  for (const trip& t : ctx.co.trips) {
    const person& p = ctx.co.people[t.person];
    const city& from = ctx.co.home_city_of(p);
    const city& to = cities()[t.dest_city];
    o += "{\"user\":";
    append_json(o, p.upn);
    o += ",\"from\":";
    append_json(o, std::string(from.name) + ", " + std::string(from.country));
    o += ",\"to\":";
    append_json(o, std::string(to.name) + ", " + std::string(to.country));
    o += ",\"distance_km\":";
    append_uint(o, static_cast<std::uint64_t>(distance_km(from, to)));
    o += ",\"depart\":\"";
    append_iso_utc(o, t.out_depart_ns, 0);
    o += "\",\"arrive\":\"";
    append_iso_utc(o, t.out_arrive_ns, 0);
    o += "\",\"return_depart\":\"";
    append_iso_utc(o, t.back_depart_ns, 0);
    o += "\",\"return_arrive\":\"";
    append_iso_utc(o, t.back_arrive_ns, 0);
    o += "\",\"hotel_ip\":\"";
    append_ipv4(o, t.hotel_ip);
    o += "\"}\n";
  }
  f = std::fopen((dir / "trips.ndjson").c_str(), "wb");
  if (f != nullptr) {
    std::fwrite(o.data(), 1, o.size(), f);
    std::fclose(f);
  }
}

void set_mtime(const fs::path& p, std::int64_t t_ns) {
  struct utimbuf times {};
  times.actime = static_cast<time_t>(t_ns / ns_per_s);
  times.modtime = times.actime;
  ::utime(p.c_str(), &times);
}

}  // namespace

result<sim_summary> simulate(const sim_options& in) {
  const auto started = std::chrono::steady_clock::now();
  sim_options opt = in;
  if (opt.start_ns == 0) opt.start_ns = default_start_ns();
  if (opt.days < 1) return fail("--days must be at least 1");
  if (opt.users < 1) return fail("--users must be at least 1");
  if (!(opt.scale > 0)) return fail("--scale must be positive");
  if (opt.out_dir.empty()) return fail("--out is required");

  // Sources and scenarios selected.
  const auto& all_sources = builtin_sources();
  std::vector<const source_spec*> sources;
  for (const auto& s : all_sources) {
    if (opt.sources.empty() ||
        std::find(opt.sources.begin(), opt.sources.end(), s.name) != opt.sources.end()) {
      sources.push_back(&s);
    }
  }
  for (const auto& name : opt.sources) {
    if (std::none_of(all_sources.begin(), all_sources.end(),
                     [&](const source_spec& s) { return s.name == name; })) {
      return fail("unknown source '" + name + "' (see `mamori simulate --list`)");
    }
  }
  const auto& all_scenarios = builtin_scenarios();
  std::vector<const scenario_spec*> scenarios;
  const bool no_attacks = opt.scenarios.size() == 1 && opt.scenarios[0] == "none";
  for (const auto& name : opt.scenarios) {
    if (name == "none") continue;
    if (std::none_of(all_scenarios.begin(), all_scenarios.end(),
                     [&](const scenario_spec& s) { return s.name == name; })) {
      return fail("unknown scenario '" + name + "' (see `mamori simulate --list`)");
    }
  }
  if (!no_attacks) {
    for (const auto& s : all_scenarios) {
      if (opt.scenarios.empty() ||
          std::find(opt.scenarios.begin(), opt.scenarios.end(), s.name) != opt.scenarios.end()) {
        scenarios.push_back(&s);
      }
    }
  }

  sim_summary summary;
  company_options co;
  co.seed = opt.seed;
  co.users = static_cast<std::uint32_t>(std::max(1.0, std::round(opt.users * opt.scale)));
  co.start_ns = opt.start_ns;
  co.days = opt.days;
  app_catalog apps = app_catalog::load(opt.reference_dir, summary.notes);
  sim_context ctx(opt, company::build(co), std::move(apps));
  summary.users = co.users;
  summary.days = opt.days;

  const fs::path out_dir(opt.out_dir);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return fail("cannot create " + opt.out_dir + ": " + ec.message());

  arena text(4 << 20);
  std::vector<std::unique_ptr<source_generator>> gens;
  std::vector<std::unique_ptr<emitter>> emitters;
  std::vector<std::string> names;
  std::vector<emitter*> raw;
  for (const auto* s : sources) {
    gens.push_back(s->make(ctx));
    emitters.push_back(std::make_unique<emitter>(text));
    names.push_back(s->name);
    raw.push_back(emitters.back().get());
  }

  // Plan the attacks.
  truth_book truth;
  struct step {
    std::int64_t t;
    std::size_t seq;
    scenario_context::step_fn fn;
  };
  std::vector<step> steps;
  for (const auto* s : scenarios) {
    scenario_context sc(ctx, truth);
    s->plan(sc);
    for (auto& [t, fn] : sc.steps()) steps.push_back(step{t, steps.size(), std::move(fn)});
  }
  std::sort(steps.begin(), steps.end(),
            [](const step& a, const step& b) { return a.t != b.t ? a.t < b.t : a.seq < b.seq; });
  std::size_t next_step = 0;
  sim_io io(ctx, truth, raw, names);

  std::unordered_map<std::string, open_file> files;
  std::set<std::string> closed;  // a file is written once: reopening it would truncate it
  std::vector<std::vector<pending_record>> pending(sources.size());
  std::vector<std::string> due_texts;
  std::string scratch;
  std::string failure;

  auto close_file = [&](open_file& f) {
    scratch.clear();
    gens[f.source]->epilogue(scratch, f.records);
    f.out->write(scratch);
    summary.bytes += scratch.size();
    if (!f.out->close()) failure = "write failed: " + f.out->path().string();
    set_mtime(f.out->path(), f.last_t);
    ++summary.files;
    ++summary.files_by_source[names[f.source]];
    if (opt.record_files) summary.written.emplace_back(names[f.source], f.rel);
  };
  auto close_where = [&](auto pred) {
    std::vector<std::string> done;
    for (auto& [path, f] : files)
      if (pred(f)) done.push_back(path);
    std::sort(done.begin(), done.end());
    for (const auto& p : done) {
      closed.insert(p);
      close_file(files.at(p));
      files.erase(p);
    }
  };

  const std::int64_t first_day = utc_day_of(opt.start_ns);
  const std::int64_t windows_per_day = ns_per_day / window_ns;
  std::int64_t window_index = 0;
  for (int d = 0; d < opt.days && failure.empty(); ++d) {
    const std::int64_t day = first_day + d;
    ctx.prepare_day(day);
    for (std::int64_t k = 0; k < windows_per_day && failure.empty(); ++k, ++window_index) {
      const window w{day * ns_per_day + k * window_ns, day * ns_per_day + (k + 1) * window_ns, day,
                     window_index};
      for (std::size_t i = 0; i < gens.size(); ++i) gens[i]->generate(ctx, w, *emitters[i]);
      while (next_step < steps.size() && steps[next_step].t < w.end) {
        steps[next_step].fn(io);
        ++next_step;
      }
      for (std::size_t i = 0; i < gens.size(); ++i) {
        auto& recs = emitters[i]->records();
        // Records of later windows (an SSH logout, a scheduled follow-up) wait for them.
        auto future = std::stable_partition(recs.begin(), recs.end(),
                                            [&](const record& r) { return r.t < w.end; });
        for (auto it = future; it != recs.end(); ++it) {
          pending[i].push_back(pending_record{*it, std::string(it->text)});
        }
        recs.erase(future, recs.end());
        // A generator may not write into a window already written: such a record is moved to
        // the start of this window (its file would be closed already).
        for (record& r : recs) r.t = std::max(r.t, w.start);
        auto& pend = pending[i];
        auto due = std::stable_partition(pend.begin(), pend.end(),
                                         [&](const pending_record& p) { return p.r.t < w.end; });
        for (auto it = pend.begin(); it != due; ++it) {
          record r = it->r;
          r.text = text.store(it->text);
          recs.push_back(r);
        }
        pend.erase(pend.begin(), due);
        std::sort(recs.begin(), recs.end(), [](const record& a, const record& b) {
          return a.t != b.t ? a.t < b.t : a.seq < b.seq;
        });
        std::string last_path_key;
        open_file* current = nullptr;
        std::uint32_t last_file = 0xffffffff;
        std::int64_t last_day = -1;
        for (const record& r : recs) {
          const std::int64_t rday = utc_day_of(r.t);
          if (current == nullptr || r.file != last_file || rday != last_day ||
              gens[i]->per_window()) {
            std::string rel = gens[i]->path(ctx, r);
            auto it = files.find(rel);
            if (it == files.end()) {
              if (closed.count(rel) != 0) {
                failure = "internal error: " + rel + " written again after it was closed";
                break;
              }
              std::string err;
              auto out = out_file::open(out_dir / rel, gens[i]->gzip(), err);
              if (!out) {
                failure = err;
                break;
              }
              open_file f;
              f.out = std::move(out);
              f.rel = rel;
              f.source = i;
              scratch.clear();
              gens[i]->prologue(scratch, ctx, r);
              f.out->write(scratch);
              f.newlines = count_newlines(scratch);
              summary.bytes += scratch.size();
              it = files.emplace(rel, std::move(f)).first;
            }
            current = &it->second;
            last_file = r.file;
            last_day = rday;
          }
          open_file& f = *current;
          scratch.clear();
          if (f.records > 0) {
            scratch += gens[i]->separator();
            f.newlines += count_newlines(gens[i]->separator());
          }
          std::string id = gens[i]->write_record(scratch, r);
          f.out->write(scratch);
          summary.bytes += scratch.size();
          ++f.records;
          f.last_t = r.t;
          ++summary.events_by_source[names[i]];
          ++summary.events;
          if (r.truth != 0) {
            truth_event& e = truth.event(r.truth);
            e.file = f.rel;
            e.line = f.newlines + 1;
            e.t = r.t;
            e.written = true;
            e.line_identifies = gens[i]->line_per_record();
            if (!id.empty()) e.uid = id;
          }
        }
        recs.clear();
        if (gens[i]->per_window()) {
          close_where([&](const open_file& f) { return f.source == i; });
        }
      }
      text.clear();
    }
    close_where([](const open_file&) { return true; });
  }
  close_where([](const open_file&) { return true; });
  if (!failure.empty()) return fail(failure);

  truth.set_benign(fmt::format(
      "{{\"type\":\"benign\",\"users\":{},\"days\":{},\"start\":\"{}\",\"end\":\"{}\","
      "\"generator\":\"mamori simulate\",\"seed\":{}}}",
      co.users, opt.days,
      [&] {
        std::string s;
        append_iso_utc(s, opt.start_ns, 0);
        return s;
      }(),
      [&] {
        std::string s;
        append_iso_utc(s, ctx.end_ns(), 0);
        return s;
      }(),
      opt.seed));
  const std::string truth_text = truth.to_ndjson();
  {
    std::FILE* f = std::fopen((out_dir / "truth.ndjson").c_str(), "wb");
    if (f == nullptr) return fail("cannot write " + (out_dir / "truth.ndjson").string());
    std::fwrite(truth_text.data(), 1, truth_text.size(), f);
    std::fclose(f);
  }
  fs::create_directories(out_dir / "company", ec);
  write_company(ctx, out_dir / "company");

  for (const auto& e : truth.events()) summary.truth_events += e.written ? 1 : 0;
  std::set<std::uint32_t> campaigns;
  for (const auto& e : truth.events())
    if (e.written) campaigns.insert(e.campaign);
  summary.campaigns = campaigns.size();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& entry : fs::recursive_directory_iterator(out_dir, ec)) {
    if (entry.is_regular_file()) summary.disk_bytes += entry.file_size();
  }
  return summary;
}

}  // namespace mamori::sim
