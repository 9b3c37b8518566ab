#include "mamori/detect/sigma/compiler.hpp"

#include <fmt/format.h>
#include <hs/hs.h>
#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>

#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"
#include "hs_db.hpp"

namespace mamori::sigma {

int level_rank(std::string_view level) {
  if (level == "informational") return 1;
  if (level == "low") return 2;
  if (level == "medium") return 3;
  if (level == "high") return 4;
  if (level == "critical") return 5;
  return 0;
}

namespace {

using clock_type = std::chrono::steady_clock;

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

ocsf::severity_id severity_of(std::string_view level) {
  switch (level_rank(level)) {
    case 1:
      return ocsf::severity_id::informational;
    case 2:
      return ocsf::severity_id::low;
    case 3:
      return ocsf::severity_id::medium;
    case 4:
      return ocsf::severity_id::high;
    case 5:
      return ocsf::severity_id::critical;
    default:
      return ocsf::severity_id::unknown;
  }
}

// "attack.t1059.001" → "T1059.001"; other tags stay tags.
void split_tags(const std::vector<std::string>& tags, rule_meta& m) {
  for (const auto& t : tags) {
    std::string_view v = t;
    if (v.starts_with("attack.t") && v.size() > 9 && v[8] >= '0' && v[8] <= '9') {
      std::string id(v.substr(7));
      for (char& c : id)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      m.attacks.push_back(std::move(id));
    } else {
      m.tags.push_back(t);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Vectorscan expressions

void append_escaped(std::string& out, std::string_view bytes) {
  for (unsigned char c : bytes) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
}

// The literal(s) Vectorscan looks for to find a pattern, and how a hit is confirmed.
struct prefilter {
  std::vector<std::string> literals;  // alternatives (windash expansions)
  scan_check check = scan_check::verify;
};

std::optional<prefilter> make_prefilter(const sstring& s) {
  const auto& ps = s.pieces();
  std::size_t b = 0, e = ps.size();
  bool anchor_start = true, anchor_end = true;
  if (b < e && ps[b].kind == piece_kind::star) {
    anchor_start = false;
    ++b;
  }
  if (e > b && ps[e - 1].kind == piece_kind::star) {
    anchor_end = false;
    --e;
  }
  // Best run of literal and dash pieces (score: literal bytes, a dash counts one).
  std::size_t best_b = 0, best_e = 0, best_score = 0;
  for (std::size_t i = b; i < e;) {
    if (ps[i].kind != piece_kind::literal && ps[i].kind != piece_kind::dash) {
      ++i;
      continue;
    }
    std::size_t j = i, score = 0;
    while (j < e && (ps[j].kind == piece_kind::literal || ps[j].kind == piece_kind::dash)) {
      score += ps[j].kind == piece_kind::literal ? ps[j].text.size() : 1;
      ++j;
    }
    if (score > best_score) {
      best_score = score;
      best_b = i;
      best_e = j;
    }
    i = j;
  }
  if (best_score == 0) return std::nullopt;
  std::size_t dash_count = 0;
  for (std::size_t i = best_b; i < best_e; ++i) dash_count += ps[i].kind == piece_kind::dash;
  bool whole = best_b == b && best_e == e;
  if (dash_count > 2) {
    // Too many combinations: use the longest plain literal of the run and confirm by glob.
    std::size_t k_best = best_b;
    std::size_t len = 0;
    for (std::size_t i = best_b; i < best_e; ++i) {
      if (ps[i].kind == piece_kind::literal && ps[i].text.size() > len) {
        len = ps[i].text.size();
        k_best = i;
      }
    }
    if (len == 0) return std::nullopt;
    best_b = k_best;
    best_e = k_best + 1;
    dash_count = 0;
    whole = false;
  }
  prefilter pf;
  pf.literals.push_back({});
  for (std::size_t i = best_b; i < best_e; ++i) {
    if (ps[i].kind == piece_kind::literal) {
      for (auto& l : pf.literals) l += ps[i].text;
      continue;
    }
    std::vector<std::string> next;
    for (const auto& l : pf.literals) {
      next.push_back(l + "-");
      next.push_back(l + "/");
      next.push_back(l + "\xe2\x80\x93");
      next.push_back(l + "\xe2\x80\x94");
      next.push_back(l + "\xe2\x80\x95");
    }
    pf.literals = std::move(next);
  }
  if (!whole) {
    pf.check = scan_check::verify;
  } else if (anchor_start && anchor_end) {
    pf.check = scan_check::both;
  } else if (anchor_start) {
    pf.check = scan_check::start;
  } else if (anchor_end) {
    pf.check = scan_check::end;
  } else {
    pf.check = scan_check::none;
  }
  return pf;
}

std::string hs_literal(std::string_view bytes) {
  std::string out;
  append_escaped(out, bytes);
  return out;
}

// ---------------------------------------------------------------------------------------
// correlation parsing

std::optional<std::int64_t> parse_timespan(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  const char unit = s.back();
  std::int64_t n = 0;
  for (char c : s.substr(0, s.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
    if (n > 100'000'000) return std::nullopt;
  }
  std::int64_t mult = 0;
  switch (unit) {
    case 's':
      mult = 1;
      break;
    case 'm':
      mult = 60;
      break;
    case 'h':
      mult = 3600;
      break;
    case 'd':
      mult = 86400;
      break;
    case 'w':
      mult = 7 * 86400;
      break;
    default:
      return std::nullopt;
  }
  if (n <= 0) return std::nullopt;
  return timeparse::scale_to_ns(n, mult * 1'000'000'000);
}

std::vector<std::string> list_of(const ynode* n) {
  std::vector<std::string> out;
  if (n == nullptr) return out;
  if (n->is_scalar()) out.push_back(n->text);
  if (n->is_sequence())
    for (const auto& i : n->items)
      if (i.is_scalar()) out.push_back(i.text);
  return out;
}

struct builder {
  builder(const rule_collection& in, const compile_options& opt, load_report& rep,
          std::shared_ptr<compiled_ruleset> o)
      : input(in), options(opt), report(rep), out(std::move(o)) {}

  const rule_collection& input;
  const compile_options& options;
  load_report& report;
  std::shared_ptr<compiled_ruleset> out;

  // Per input rule: index in out->rules (or -1 when not loaded) and report index.
  std::vector<std::int64_t> meta_of;
  std::vector<std::size_t> report_of;
  std::vector<std::shared_ptr<rule_logic>> logic_of;
  std::map<std::string, std::size_t, std::less<>> by_ref;  // id or name → input index
  std::map<std::string, std::uint32_t, std::less<>> group_of_entry;
  std::map<std::string, std::shared_ptr<const re2::RE2>, std::less<>> regex_cache;
  std::map<std::string, std::string, std::less<>> regex_errors;
  std::map<std::string, std::shared_ptr<const hs_db>, std::less<>> db_cache;
  // Rules reachable from an emitting rule or correlation (only those are compiled).
  std::vector<bool> needed;
  std::vector<std::vector<const pipeline_entry*>> entries_of;

  void set_status(std::size_t i, rule_status s, std::string reason) {
    auto& r = report.rules[report_of[i]];
    r.status = s;
    r.reason = std::move(reason);
  }

  void run() {
    const auto n = input.rules.size();
    meta_of.assign(n, -1);
    report_of.assign(n, 0);
    logic_of.assign(n, nullptr);
    needed.assign(n, false);
    entries_of.assign(n, {});
    for (const auto& p : input.problems) {
      rule_report r;
      r.status = p.kind == problem_kind::invalid ? rule_status::invalid : rule_status::unsupported;
      r.title = p.rule;
      r.id = p.rule_id;
      r.where = p.where;
      r.reason = p.reason;
      report.rules.push_back(std::move(r));
    }
    for (std::size_t i = 0; i < n; ++i) {
      const rule& rl = input.rules[i];
      rule_report r;
      r.type = rl.type;
      r.title = rl.title;
      r.id = rl.id;
      r.where = rl.where;
      report_of[i] = report.rules.size();
      report.rules.push_back(std::move(r));
      if (!rl.id.empty()) {
        if (by_ref.count(rl.id) != 0 && rl.type != rule_type::filter) {
          const auto& other = input.rules[by_ref[rl.id]];
          set_status(i, rule_status::invalid,
                     fmt::format("duplicate id {} (also {})", rl.id, other.where.to_string()));
          continue;
        }
        by_ref[rl.id] = i;
      }
      if (!rl.name.empty()) by_ref.emplace(rl.name, i);
    }

    // Detection logic.
    for (std::size_t i = 0; i < n; ++i) {
      const rule& rl = input.rules[i];
      if (report.rules[report_of[i]].status != rule_status::loaded) continue;
      if (rl.status == "unsupported") {
        set_status(i, rule_status::unsupported, "rule status is `unsupported`");
        continue;
      }
      if (rl.type == rule_type::detection) {
        auto logic = compile_detection(rl.detection, &out->pipeline.placeholders());
        if (!logic) {
          location where = rl.where;
          if (logic.error().line != 0) {
            where.line = logic.error().line;
            where.column = logic.error().column;
          }
          report.rules[report_of[i]].where = where;
          set_status(i, logic.error().unsupported ? rule_status::unsupported : rule_status::invalid,
                     logic.error().reason);
          continue;
        }
        if (auto err = check_regexes(*logic)) {
          set_status(i, rule_status::unsupported, *err);
          continue;
        }
        logic_of[i] = std::make_shared<rule_logic>(std::move(*logic));
        report.rules[report_of[i]].compiled = true;
      }
    }

    // Filters modify the logic of the rules they name.
    for (std::size_t i = 0; i < n; ++i) {
      const rule& rl = input.rules[i];
      if (rl.type != rule_type::filter || report.rules[report_of[i]].status != rule_status::loaded)
        continue;
      const ynode* targets = rl.filter.get("rules");
      auto refs = list_of(targets);
      if (refs.empty()) {
        set_status(i, rule_status::invalid, "filter without `rules` to apply to");
        continue;
      }
      auto logic = compile_detection(rl.filter, &out->pipeline.placeholders(), {"rules"});
      if (!logic) {
        set_status(i, logic.error().unsupported ? rule_status::unsupported : rule_status::invalid,
                   logic.error().reason);
        continue;
      }
      if (auto err = check_regexes(*logic)) {
        set_status(i, rule_status::unsupported, *err);
        continue;
      }
      report.rules[report_of[i]].compiled = true;
      std::vector<std::string> missing;
      std::size_t applied = 0;
      for (const auto& ref : refs) {
        auto it = by_ref.find(ref);
        if (it == by_ref.end() || !logic_of[it->second]) {
          missing.push_back(ref);
          continue;
        }
        apply_filter(*logic_of[it->second], *logic,
                     rl.name.empty() ? std::string_view("filter") : std::string_view(rl.name));
        ++applied;
      }
      if (applied == 0) {
        set_status(i, rule_status::unsupported,
                   fmt::format("filter applies to no loaded rule ({})", fmt::join(missing, ", ")));
      } else if (!missing.empty()) {
        report.rules[report_of[i]].reason =
            fmt::format("note: rules not loaded: {}", fmt::join(missing, ", "));
      }
    }

    // Correlations: resolve references, then decide which rules emit.
    std::vector<std::vector<std::size_t>> corr_inputs(n);
    for (std::size_t i = 0; i < n; ++i) {
      const rule& rl = input.rules[i];
      if (rl.type != rule_type::correlation ||
          report.rules[report_of[i]].status != rule_status::loaded) {
        continue;
      }
      auto refs = list_of(rl.correlation.get("rules"));
      if (refs.empty()) {
        set_status(i, rule_status::invalid, "correlation without `rules`");
        continue;
      }
      for (const auto& ref : refs) {
        auto it = by_ref.find(ref);
        if (it == by_ref.end()) {
          set_status(i, rule_status::invalid,
                     fmt::format("correlation references unknown rule '{}'", ref));
          break;
        }
        if (it->second == i) {
          set_status(i, rule_status::invalid, "correlation references itself");
          break;
        }
        corr_inputs[i].push_back(it->second);
      }
    }
    // A correlation whose input is not loaded cannot run (checked to a fixed point: chains).
    for (bool changed = true; changed;) {
      changed = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (input.rules[i].type != rule_type::correlation ||
            report.rules[report_of[i]].status != rule_status::loaded) {
          continue;
        }
        for (auto in : corr_inputs[i]) {
          if (report.rules[report_of[in]].status != rule_status::loaded ||
              input.rules[in].type == rule_type::filter) {
            set_status(i, rule_status::unsupported,
                       fmt::format("input rule '{}' is not loaded",
                                   input.rules[in].display_name()));
            changed = true;
            break;
          }
        }
      }
    }

    // Logsource resolution for detection rules.
    for (std::size_t i = 0; i < n; ++i) {
      const rule& rl = input.rules[i];
      if (rl.type != rule_type::detection || !logic_of[i]) continue;
      entries_of[i] = out->pipeline.resolve(rl.source);
      if (entries_of[i].empty()) {
        set_status(i, rule_status::unsupported,
                   fmt::format("logsource {} has no pipeline mapping", rl.source.to_string()));
        logic_of[i].reset();
      }
    }
    // Again: correlations over unsupported rules.
    for (bool changed = true; changed;) {
      changed = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (input.rules[i].type != rule_type::correlation ||
            report.rules[report_of[i]].status != rule_status::loaded) {
          continue;
        }
        for (auto in : corr_inputs[i]) {
          if (report.rules[report_of[in]].status != rule_status::loaded) {
            set_status(i, rule_status::unsupported,
                       fmt::format("input rule '{}' is not loaded: {}",
                                   input.rules[in].display_name(),
                                   report.rules[report_of[in]].reason));
            changed = true;
            break;
          }
        }
      }
    }

    // Metadata for every loaded detection and correlation rule.
    std::vector<bool> referenced_quiet(n, false);  // fed into a correlation without generate
    std::vector<bool> referenced_generate(n, false);
    for (std::size_t i = 0; i < n; ++i) {
      if (input.rules[i].type != rule_type::correlation ||
          report.rules[report_of[i]].status != rule_status::loaded) {
        continue;
      }
      const bool generate = input.rules[i].generate == "true" || input.rules[i].generate == "True";
      for (auto in : corr_inputs[i]) (generate ? referenced_generate : referenced_quiet)[in] = true;
    }
    const int min_rank = level_rank(options.min_level);
    for (std::size_t i = 0; i < n; ++i) {
      const rule& rl = input.rules[i];
      if (rl.type == rule_type::filter) continue;
      if (report.rules[report_of[i]].status != rule_status::loaded) continue;
      rule_meta m;
      m.uid = !rl.id.empty() ? rl.id : fmt::format("title:{:016x}", fnv1a(rl.title));
      m.title = rl.title;
      m.name = rl.name;
      m.level = rl.level;
      m.status = rl.status;
      m.file = rl.where.file;
      m.line = rl.where.line;
      m.severity = severity_of(rl.level);
      m.description = rl.description;
      split_tags(rl.tags, m);
      const bool quiet = referenced_quiet[i] && !referenced_generate[i];
      m.emit = !quiet && (min_rank == 0 || level_rank(rl.level) >= min_rank ||
                          (rl.level.empty() && min_rank <= 1));
      m.logic = logic_of[i];
      meta_of[i] = static_cast<std::int64_t>(out->rules.size());
      out->rules.push_back(std::move(m));
    }
    // Needed: emitting rules and everything feeding a needed correlation.
    for (std::size_t i = 0; i < n; ++i)
      if (meta_of[i] >= 0 && out->rules[static_cast<std::size_t>(meta_of[i])].emit) mark(i, corr_inputs);

    // Correlation definitions.
    for (std::size_t i = 0; i < n; ++i) {
      if (input.rules[i].type != rule_type::correlation || meta_of[i] < 0 || !needed[i]) continue;
      auto def = build_correlation(i, corr_inputs[i]);
      if (!def) {
        set_status(i, rule_status::invalid, def.error());
        out->rules[static_cast<std::size_t>(meta_of[i])].emit = false;
        continue;
      }
      report.rules[report_of[i]].compiled = true;
      const auto ci = static_cast<std::uint32_t>(out->correlations.size());
      for (auto in : corr_inputs[i])
        out->rules[static_cast<std::size_t>(meta_of[in])].feeds.push_back(ci);
      out->correlations.push_back(std::move(*def));
    }

    // Groups and rule instances.
    for (std::size_t i = 0; i < n; ++i) {
      if (!logic_of[i] || meta_of[i] < 0) continue;
      auto& rep = report.rules[report_of[i]];
      for (const pipeline_entry* e : entries_of[i]) rep.targets.push_back(e->name);
      if (!options.decoders.empty()) {
        bool fed = false;
        for (const pipeline_entry* e : entries_of[i]) {
          if (e->formats.empty()) fed = true;
          for (const auto& f : e->formats)
            if (std::find(options.decoders.begin(), options.decoders.end(), f) !=
                options.decoders.end())
              fed = true;
        }
        rep.no_decoder = !fed;
      }
      if (!needed[i]) continue;
      for (const pipeline_entry* e : entries_of[i])
        add_instance(*e, static_cast<std::uint32_t>(meta_of[i]), *logic_of[i]);
    }
    for (auto& g : out->groups) finish_group(g);

    auto ids = [&](std::string_view kind) {
      std::vector<field_id> v;
      for (const auto& name : out->pipeline.entity_fields(kind)) v.push_back(intern_field(name));
      return v;
    };
    out->host_fields = ids("host");
    out->user_fields = ids("user");
    out->src_ip_fields = ids("src_ip");

    for (const auto& r : report.rules) {
      switch (r.status) {
        case rule_status::loaded:
          ++report.loaded;
          if (r.type == rule_type::detection) ++report.detection;
          if (r.type == rule_type::correlation) ++report.correlation;
          if (r.type == rule_type::filter) ++report.filter;
          break;
        case rule_status::unsupported:
          ++report.unsupported;
          break;
        case rule_status::invalid:
          ++report.invalid;
          break;
      }
    }
  }

  void mark(std::size_t i, const std::vector<std::vector<std::size_t>>& inputs) {
    if (needed[i]) return;
    needed[i] = true;
    for (auto in : inputs[i]) mark(in, inputs);
  }

  std::optional<std::string> check_regexes(const rule_logic& logic) {
    for (const auto& l : logic.leaves) {
      if (l.kind != leaf_kind::regex) continue;
      auto r = regex(l);
      if (!r) return r.error();
    }
    return std::nullopt;
  }

  tl::expected<std::shared_ptr<const re2::RE2>, std::string> regex(const leaf_spec& l) {
    const std::string key = l.key();
    if (auto it = regex_cache.find(key); it != regex_cache.end()) return it->second;
    if (auto it = regex_errors.find(key); it != regex_errors.end()) {
      return tl::unexpected(it->second);
    }
    std::string flags;
    if (l.re_i) flags += 'i';
    if (l.re_m) flags += 'm';
    if (l.re_s) flags += 's';
    const std::string pattern = flags.empty() ? l.regex : fmt::format("(?{}){}", flags, l.regex);
    re2::RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_max_mem(64 << 20);
    auto re = std::make_shared<re2::RE2>(pattern, opt);
    if (!re->ok()) {
      std::string msg = fmt::format("regex '{}' is not supported by RE2 (linear-time engine): {}",
                                    l.regex, re->error());
      regex_errors[key] = msg;
      return tl::unexpected(msg);
    }
    regex_cache[key] = re;
    return re;
  }

  tl::expected<correlation_def, std::string> build_correlation(
      std::size_t i, const std::vector<std::size_t>& inputs) {
    const rule& rl = input.rules[i];
    const ynode& c = rl.correlation;
    correlation_def d;
    d.rule = static_cast<std::uint32_t>(meta_of[i]);
    const std::string type(c.get_text("type"));
    if (type == "event_count") {
      d.type = correlation_type::event_count;
    } else if (type == "value_count") {
      d.type = correlation_type::value_count;
    } else if (type == "temporal") {
      d.type = correlation_type::temporal;
    } else if (type == "temporal_ordered") {
      d.type = correlation_type::temporal_ordered;
    } else if (type == "value_sum") {
      d.type = correlation_type::value_sum;
    } else if (type == "value_avg") {
      d.type = correlation_type::value_avg;
    } else if (type.empty()) {
      return tl::unexpected(std::string("correlation without `type`"));
    } else {
      return tl::unexpected(fmt::format("correlation type '{}' is not supported", type));
    }
    for (auto in : inputs) d.inputs.push_back(static_cast<std::uint32_t>(meta_of[in]));
    auto span = parse_timespan(c.get_text("timespan"));
    if (!span) {
      return tl::unexpected(fmt::format("timespan '{}' is not <number><s|m|h|d>",
                                        c.get_text("timespan")));
    }
    d.timespan_ns = *span;
    d.group_by = list_of(c.get("group-by"));
    if (const ynode* cond = c.get("condition")) {
      if (!cond->is_mapping()) return tl::unexpected(std::string("condition must be a mapping"));
      for (const auto& [k, v] : cond->entries) {
        if (k.text == "field") {
          d.field = v.is_scalar() ? v.text : "";
          continue;
        }
        cmp_op op;
        if (k.text == "gt") {
          op = cmp_op::gt;
        } else if (k.text == "gte") {
          op = cmp_op::gte;
        } else if (k.text == "lt") {
          op = cmp_op::lt;
        } else if (k.text == "lte") {
          op = cmp_op::lte;
        } else if (k.text == "eq") {
          op = cmp_op::eq;
        } else if (k.text == "neq") {
          op = cmp_op::neq;
        } else {
          return tl::unexpected(fmt::format("unknown condition operator '{}'", k.text));
        }
        if (!v.is_plain_number() && !(v.is_scalar() && !v.text.empty())) {
          return tl::unexpected(fmt::format("condition {} needs a number", k.text));
        }
        double num = 0;
        try {
          num = std::stod(v.text);
        } catch (...) {
          return tl::unexpected(fmt::format("condition {}: '{}' is not a number", k.text, v.text));
        }
        d.condition.terms.emplace_back(op, num);
      }
      d.has_condition = !d.condition.terms.empty();
    }
    if (d.field.empty()) d.field = std::string(c.get_text("field"));
    const bool needs_condition = d.type != correlation_type::temporal &&
                                 d.type != correlation_type::temporal_ordered;
    if (needs_condition && !d.has_condition) {
      return tl::unexpected(fmt::format("{} needs a condition", type));
    }
    const bool needs_field = d.type == correlation_type::value_count ||
                             d.type == correlation_type::value_sum ||
                             d.type == correlation_type::value_avg;
    if (needs_field && d.field.empty()) {
      return tl::unexpected(fmt::format("{} needs `field` in its condition", type));
    }
    // Aliases: alias → rule name → field.
    std::map<std::string, std::map<std::string, std::string>> aliases;
    if (const ynode* a = c.get("aliases"); a != nullptr && a->is_mapping()) {
      for (const auto& [ak, av] : a->entries) {
        if (!av.is_mapping()) continue;
        for (const auto& [rk, rv] : av.entries)
          if (rv.is_scalar()) aliases[ak.text][rk.text] = rv.text;
      }
    }
    // Field ids for each input: the names through every pipeline entry the input runs on.
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      const std::size_t in = inputs[k];
      const rule& ir = input.rules[in];
      std::vector<const pipeline_entry*> entries;
      collect_entries(in, entries, 0);
      auto resolve = [&](const std::string& name) {
        std::vector<field_id> ids;
        auto add = [&](const std::string& n) {
          const field_id id = intern_field(n);
          if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
        };
        add(name);
        for (const pipeline_entry* e : entries)
          for (const auto& alt : out->pipeline.event_fields(*e, name)) add(alt);
        return ids;
      };
      std::vector<std::vector<field_id>> keys;
      for (const auto& g : d.group_by) {
        std::string field = g;
        if (auto a = aliases.find(g); a != aliases.end()) {
          auto r = a->second.find(ir.name);
          if (r == a->second.end()) r = a->second.find(ir.id);
          if (r != a->second.end()) field = r->second;
        }
        keys.push_back(resolve(field));
      }
      d.group_fields.push_back(std::move(keys));
      d.value_fields.push_back(d.field.empty() ? std::vector<field_id>{} : resolve(d.field));
    }
    return d;
  }

  void collect_entries(std::size_t i, std::vector<const pipeline_entry*>& out_entries, int depth) {
    if (depth > 16) return;
    for (const pipeline_entry* e : entries_of[i])
      if (std::find(out_entries.begin(), out_entries.end(), e) == out_entries.end())
        out_entries.push_back(e);
    if (input.rules[i].type == rule_type::correlation) {
      for (const auto& ref : list_of(input.rules[i].correlation.get("rules"))) {
        auto it = by_ref.find(ref);
        if (it != by_ref.end()) collect_entries(it->second, out_entries, depth + 1);
      }
    }
  }

  // ---- groups

  group& group_for(const pipeline_entry& e) {
    auto it = group_of_entry.find(e.name);
    if (it != group_of_entry.end()) return out->groups[it->second];
    group_of_entry[e.name] = static_cast<std::uint32_t>(out->groups.size());
    out->groups.push_back({});
    leaf_index.emplace_back();
    out->groups.back().entry = e;
    return out->groups.back();
  }

  // Per group: leaf identity → leaf index (identical predicates are shared).
  std::vector<std::unordered_map<std::string, std::uint32_t>> leaf_index;

  std::vector<field_id> ids_for(const pipeline_entry& e, const std::string& field) {
    std::vector<field_id> ids;
    for (const auto& name : out->pipeline.event_fields(e, field)) {
      const field_id id = intern_field(name);
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    return ids;
  }

  void add_instance(const pipeline_entry& e, std::uint32_t meta, const rule_logic& logic) {
    group& g = group_for(e);
    auto& leaf_index_cache = leaf_index[group_of_entry[e.name]];
    std::vector<std::uint32_t> map(logic.leaves.size());
    for (std::size_t k = 0; k < logic.leaves.size(); ++k) {
      compiled_leaf cl;
      cl.spec = logic.leaves[k];
      if (!cl.spec.keyword) cl.fields = ids_for(e, cl.spec.field);
      if (cl.spec.kind == leaf_kind::fieldref) cl.ref_fields = ids_for(e, cl.spec.ref_field);
      if (cl.spec.kind == leaf_kind::regex) cl.re = *regex(cl.spec);
      const std::string id = leaf_identity(cl);
      auto it = leaf_index_cache.find(id);
      if (it != leaf_index_cache.end()) {
        map[k] = it->second;
      } else {
        map[k] = static_cast<std::uint32_t>(g.leaves.size());
        leaf_index_cache[id] = map[k];
        g.leaves.push_back(std::move(cl));
      }
    }
    rule_instance inst;
    inst.rule = meta;
    inst.program = remap(logic.condition, map);
    for (const auto& d : logic.idents) inst.idents.push_back(remap(d, map));
    g.instances.push_back(std::move(inst));
  }

  static std::string leaf_identity(const compiled_leaf& l) {
    std::string id = l.spec.key();
    id += l.spec.keyword ? "|kw" : "|f";
    for (auto f : l.fields) id += fmt::format(":{}", f);
    return id;
  }

  static dnode remap(const dnode& d, const std::vector<std::uint32_t>& map) {
    dnode out;
    out.o = d.o;
    out.leaf = d.o == dnode::op::leaf ? map[d.leaf] : 0;
    out.children.reserve(d.children.size());
    for (const auto& c : d.children) out.children.push_back(remap(c, map));
    return out;
  }

  // Trigger set: leaves of which one must hit for `d` to be true; nullopt when there is none.
  struct req {
    std::vector<std::uint32_t> leaves;
    float cost = 0;
  };
  std::optional<req> requirement(const group& g, const dnode& d) {
    switch (d.o) {
      case dnode::op::leaf: {
        const auto& l = g.leaves[d.leaf];
        if (!l.scanned) return std::nullopt;
        return req{{d.leaf}, l.cost};
      }
      case dnode::op::no:
        return req{};
      case dnode::op::yes:
      case dnode::op::not_:
        return std::nullopt;
      case dnode::op::and_: {
        std::optional<req> best;
        for (const auto& c : d.children) {
          auto r = requirement(g, c);
          if (r && (!best || r->cost < best->cost)) best = std::move(r);
        }
        return best;
      }
      case dnode::op::or_: {
        req all;
        for (const auto& c : d.children) {
          auto r = requirement(g, c);
          if (!r) return std::nullopt;
          all.leaves.insert(all.leaves.end(), r->leaves.begin(), r->leaves.end());
          all.cost += r->cost;
        }
        return all;
      }
    }
    return std::nullopt;
  }

  void finish_group(group& g) {
    // Which leaves Vectorscan decides, per field (and the keyword pseudo-field).
    std::set<field_id> when_fields;
    for (const auto& c : g.entry.when)
      for (const auto& name : out->pipeline.event_fields(g.entry, c.field))
        when_fields.insert(intern_field(name));
    // Per field (and the keyword pseudo-field -1): distinct literal → the leaves it serves.
    struct pending {
      std::map<std::pair<std::string, bool>, std::vector<scan_target>> literals;
    };
    std::map<std::int64_t, pending> per_field;
    for (std::uint32_t k = 0; k < g.leaves.size(); ++k) {
      auto& l = g.leaves[k];
      if (l.spec.kind != leaf_kind::pattern || l.spec.pattern.can_match_empty()) continue;
      auto pf = make_prefilter(l.spec.pattern);
      if (!pf) continue;  // no literal to look for (e.g. only `?`): glob_match decides
      std::size_t shortest = SIZE_MAX;
      for (const auto& lit : pf->literals) shortest = std::min(shortest, lit.size());
      l.cost = 1.0f / static_cast<float>(1 + std::min<std::size_t>(shortest, 32));
      bool on_when_field = false;
      for (auto f : l.fields) on_when_field = on_when_field || when_fields.count(f) != 0;
      if (on_when_field) l.cost = 1.0f;
      auto add = [&](std::int64_t field) {
        auto& p = per_field[field];
        for (const auto& lit : pf->literals) {
          p.literals[{lit, l.spec.cased}].push_back(
              {k, pf->check, static_cast<std::uint32_t>(lit.size())});
        }
      };
      if (l.spec.keyword) {
        add(-1);
      } else {
        for (auto f : l.fields) add(static_cast<std::int64_t>(f));
      }
      l.scanned = true;
    }
    for (auto& [field, p] : per_field) {
      std::vector<std::string> exprs;
      std::vector<unsigned> flags;
      std::vector<const std::vector<scan_target>*> targets;
      std::string cache_key;
      for (const auto& [lit, t] : p.literals) {
        exprs.push_back(hs_literal(lit.first));
        // No SINGLEMATCH and no anchors: both multiply Vectorscan's compile time.
        flags.push_back(lit.second ? 0u : static_cast<unsigned>(HS_FLAG_CASELESS));
        targets.push_back(&t);
        cache_key += fmt::format("{}:{}\n", flags.back(), exprs.back());
      }
      std::shared_ptr<const hs_db> db;
      if (auto it = db_cache.find(cache_key); it != db_cache.end()) {
        db = it->second;
      } else {
        std::vector<const char*> ptrs;
        std::vector<unsigned> ids;
        for (std::size_t k = 0; k < exprs.size(); ++k) {
          ptrs.push_back(exprs[k].c_str());
          ids.push_back(static_cast<unsigned>(k));
        }
        auto compiled = hs_db::compile(ptrs, flags, ids);
        if (compiled.db) {
          db = compiled.db;
          db_cache[cache_key] = db;
          ++out->stats.databases;
        }
      }
      if (!db) {
        // Literals always compile; if Vectorscan still refuses, glob_match decides.
        for (const auto* t : targets)
          for (const auto& tg : *t) g.leaves[tg.leaf].scanned = false;
        out->stats.fallback_patterns += targets.size();
        continue;
      }
      field_scan scan;
      scan.db = db;
      for (const auto* t : targets) {
        scan.first.push_back(static_cast<std::uint32_t>(scan.targets.size()));
        scan.targets.insert(scan.targets.end(), t->begin(), t->end());
      }
      scan.first.push_back(static_cast<std::uint32_t>(scan.targets.size()));
      out->stats.scanned_patterns += exprs.size();
      const auto index = static_cast<std::int32_t>(g.scans.size());
      g.scans.push_back(std::move(scan));
      if (field < 0) {
        g.keyword_scan = index;
      } else {
        const auto f = static_cast<std::size_t>(field);
        if (g.scan_of_field.size() <= f) g.scan_of_field.resize(f + 1, -1);
        g.scan_of_field[f] = index;
      }
    }
    // A leaf whose database failed is unscanned everywhere, but a database that did compile
    // may still report it: such hits are confirmed by glob_match (see matcher.cpp).
    for (auto& sc : g.scans)
      for (auto& t : sc.targets)
        if (!g.leaves[t.leaf].scanned) t.check = scan_check::verify;

    g.triggers.assign(g.leaves.size(), {});
    for (std::uint32_t k = 0; k < g.instances.size(); ++k) {
      auto r = requirement(g, g.instances[k].program);
      if (!r) {
        g.always.push_back(k);
        continue;
      }
      std::sort(r->leaves.begin(), r->leaves.end());
      r->leaves.erase(std::unique(r->leaves.begin(), r->leaves.end()), r->leaves.end());
      for (auto leaf : r->leaves) g.triggers[leaf].push_back(k);
    }
    out->stats.groups++;
    out->stats.instances += g.instances.size();
    out->stats.leaves += g.leaves.size();
    out->stats.always_instances += g.always.size();
    for (const auto& l : g.leaves)
      if (l.spec.kind == leaf_kind::regex) ++out->stats.regexes;
  }
};

}  // namespace

std::shared_ptr<const compiled_ruleset> compile_ruleset(const rule_collection& rules,
                                                        logsource_pipeline pipeline,
                                                        const compile_options& options,
                                                        load_report& report) {
  const auto start = clock_type::now();
  auto out = std::make_shared<compiled_ruleset>();
  out->pipeline = std::move(pipeline);
  out->min_level = options.min_level;
  report.files = rules.files;
  builder b(rules, options, report, out);
  b.run();
  out->stats.compile_ms =
      std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  report.stats = out->stats;
  return out;
}

// ---------------------------------------------------------------------------------------
// reports

namespace {
std::string_view status_name(rule_status s) {
  switch (s) {
    case rule_status::loaded:
      return "loaded";
    case rule_status::unsupported:
      return "unsupported";
    case rule_status::invalid:
      return "invalid";
  }
  return "?";
}
std::string_view type_name(rule_type t) {
  switch (t) {
    case rule_type::detection:
      return "detection";
    case rule_type::filter:
      return "filter";
    case rule_type::correlation:
      return "correlation";
  }
  return "?";
}

// Groups reasons that differ only by quoted details ("logsource product=x ...").
std::string reason_group(const std::string& reason) { return reason; }
}  // namespace

std::string load_report::to_json() const {
  std::string out = fmt::format(
      "{{\"files\":{},\"loaded\":{},\"unsupported\":{},\"invalid\":{},\"detection\":{},"
      "\"correlation\":{},\"filter\":{},\"load_ms\":{:.1f},\"compile_ms\":{:.1f},"
      "\"groups\":{},\"patterns\":{},\"fallback_patterns\":{},\"databases\":{},"
      "\"always_evaluated\":{},\"rules\":[",
      files, loaded, unsupported, invalid, detection, correlation, filter, load_ms,
      stats.compile_ms, stats.groups, stats.scanned_patterns, stats.fallback_patterns,
      stats.databases, stats.always_instances);
  bool first = true;
  for (const auto& r : rules) {
    if (!first) out += ',';
    first = false;
    out += "{\"status\":";
    json_text::append_string(out, status_name(r.status));
    out += ",\"type\":";
    json_text::append_string(out, type_name(r.type));
    out += ",\"title\":";
    json_text::append_string(out, r.title);
    out += ",\"id\":";
    json_text::append_string(out, r.id);
    out += ",\"file\":";
    json_text::append_string(out, r.where.file);
    fmt::format_to(std::back_inserter(out), ",\"line\":{},\"column\":{}", r.where.line,
                   r.where.column);
    if (!r.reason.empty()) {
      out += ",\"reason\":";
      json_text::append_string(out, r.reason);
    }
    if (!r.targets.empty()) {
      out += ",\"targets\":[";
      for (std::size_t k = 0; k < r.targets.size(); ++k) {
        if (k > 0) out += ',';
        json_text::append_string(out, r.targets[k]);
      }
      out += ']';
    }
    if (r.no_decoder) out += ",\"no_decoder\":true";
    out += '}';
  }
  out += "]}";
  return out;
}

std::string load_report::to_text(bool verbose) const {
  std::string out = fmt::format(
      "loaded: {} rules ({} detection, {} correlation, {} filter) from {} files in {:.0f} ms "
      "(compile {:.0f} ms)\n",
      loaded, detection, correlation, filter, files, load_ms, stats.compile_ms);
  std::size_t no_decoder = 0;
  for (const auto& r : rules)
    if (r.status == rule_status::loaded && r.no_decoder) ++no_decoder;
  if (no_decoder > 0) {
    out += fmt::format(
        "  of which {} run on log sources no decoder of this build reads yet (they match "
        "nothing until one does)\n",
        no_decoder);
  }
  // Unsupported, grouped by reason.
  std::map<std::string, std::vector<const rule_report*>> groups;
  for (const auto& r : rules)
    if (r.status == rule_status::unsupported) groups[reason_group(r.reason)].push_back(&r);
  out += fmt::format("unsupported: {}\n", unsupported);
  std::vector<std::pair<std::string, std::vector<const rule_report*>>> sorted(groups.begin(),
                                                                             groups.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  for (const auto& [reason, list] : sorted) {
    out += fmt::format("  {} ({})\n", reason, list.size());
    const std::size_t show = verbose ? list.size() : std::min<std::size_t>(list.size(), 3);
    for (std::size_t k = 0; k < show; ++k) {
      out += fmt::format("    {} {}\n", list[k]->where.to_string(), list[k]->title);
    }
    if (show < list.size()) out += fmt::format("    ... and {} more\n", list.size() - show);
  }
  out += fmt::format("invalid: {}\n", invalid);
  for (const auto& r : rules) {
    if (r.status != rule_status::invalid) continue;
    out += fmt::format("  {}: {}{}\n", r.where.to_string(), r.reason,
                       r.title.empty() ? "" : fmt::format(" [{}]", r.title));
  }
  return out;
}

}  // namespace mamori::sigma
