#include "mamori/detect/sigma/matcher.hpp"

#include <fmt/format.h>
#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>

#include "hs_db.hpp"
#include "mamori/event/time.hpp"

namespace mamori::sigma {

namespace {

bool has_id(const std::vector<field_id>& ids, field_id id) {
  for (auto i : ids)
    if (i == id) return true;
  return false;
}

bool compare(double a, cmp_op op, double b) {
  switch (op) {
    case cmp_op::eq:
      return a == b;
    case cmp_op::neq:
      return a != b;
    case cmp_op::lt:
      return a < b;
    case cmp_op::lte:
      return a <= b;
    case cmp_op::gt:
      return a > b;
    case cmp_op::gte:
      return a >= b;
  }
  return false;
}

// Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant's civil_from_days).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2 ? 1 : 0));
}

std::optional<std::int64_t> time_of(const value& v) {
  if (v.is_string()) {
    if (auto t = timeparse::iso8601(v.s)) return t;
    return timeparse::epoch_seconds(v.s);
  }
  if (auto i = v.as_integer()) {
    // Seconds, or milliseconds when the number is too large to be seconds.
    if (*i > 100'000'000'000LL) return *i * 1'000'000;
    return *i * 1'000'000'000;
  }
  return std::nullopt;
}

bool ref_compare(std::string_view a, std::string_view b, ref_mode mode, bool cased) {
  switch (mode) {
    case ref_mode::equals:
      return cased ? a == b : iequals(a, b);
    case ref_mode::contains:
      return cased ? a.find(b) != std::string_view::npos : icontains(a, b);
    case ref_mode::startswith:
      return cased ? a.starts_with(b) : istarts_with(a, b);
    case ref_mode::endswith:
      return cased ? a.ends_with(b) : iends_with(a, b);
  }
  return false;
}

// Calls f(field) for each field of e the leaf addresses (all string fields for keywords).
template <typename F>
bool any_value(const compiled_leaf& l, const event& e, const field_canon& canon, F&& f) {
  for (const auto& fl : e.fields) {
    if (l.spec.keyword ? fl.v.is_string() : has_id(l.fields, canon(fl.id))) {
      if (f(fl)) return true;
    }
  }
  return false;
}

}  // namespace

void field_canon::cover(const event& e) {
  field_id top = 0;
  for (const auto& f : e.fields) top = std::max(top, f.id);
  if (top < table_.size()) return;
  auto& registry = field_registry::global();
  for (field_id id = static_cast<field_id>(table_.size()); id <= top; ++id) {
    const std::string_view name = registry.name(id);
    field_id to = id;
    if (name.find(' ') != std::string_view::npos) {
      std::string stripped;
      for (char c : name)
        if (c != ' ') stripped += c;
      if (const field_id s = registry.find(stripped); s != invalid_field) to = s;
    }
    table_.push_back(to);
  }
}

int time_part_of(std::int64_t ns, time_unit unit) {
  std::int64_t secs = ns / 1'000'000'000;
  if (ns % 1'000'000'000 < 0) --secs;
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  switch (unit) {
    case time_unit::minute:
      return static_cast<int>((rem / 60) % 60);
    case time_unit::hour:
      return static_cast<int>(rem / 3600);
    case time_unit::day:
      return static_cast<int>(d);
    case time_unit::month:
      return static_cast<int>(m);
    case time_unit::year:
      return y;
    case time_unit::week: {
      // ISO 8601: the week with the year's first Thursday is week 1; weeks start on Monday.
      const int wday = static_cast<int>(((days % 7) + 7 + 3) % 7);  // Monday = 0
      const std::int64_t thursday = days - wday + 3;
      int ty = 0;
      unsigned tm = 0, td = 0;
      civil_from_days(thursday, ty, tm, td);
      const std::int64_t jan1 = timeparse::days_from_civil(ty, 1, 1);
      return static_cast<int>((thursday - jan1) / 7 + 1);
    }
  }
  return 0;
}

struct matcher::dispatch {
  struct key_field {
    std::string name;
    std::vector<field_id> ids;
    int special = 0;  // 1 class_uid, 2 activity_id
  };
  std::vector<std::uint32_t> candidates;
  std::vector<key_field> keys;
  std::vector<std::vector<int>> cond_key;  // per candidate, per condition → key index
  std::unordered_map<std::string, std::vector<std::uint32_t>> cache;
  std::vector<std::string> values;
  std::vector<bool> present;
};

struct matcher_group_state {
  std::uint32_t gen = 0;
  std::vector<std::uint32_t> leaf_gen;
  std::vector<std::uint8_t> leaf_val;
  std::vector<std::uint32_t> inst_gen;
  std::vector<std::uint32_t> candidates;
  std::uint32_t value_gen = 0;
  std::vector<std::uint32_t> verify_gen;
  std::vector<std::uint32_t> atom_gen;       // regex prefilter atoms found in this event
  std::vector<int> atoms_hit;
  std::vector<std::uint32_t> regex_pass_gen;  // regexes whose prefilter passed
  std::vector<int> potentials;
};

matcher::matcher(std::shared_ptr<const compiled_ruleset> rules,
                 std::vector<std::string> decoder_names)
    : rules_(std::move(rules)),
      decoder_names_(std::move(decoder_names)),
      scratch_(std::make_unique<hs_scratch>()) {
  states_.resize(rules_->groups.size());
  for (std::size_t k = 0; k < rules_->groups.size(); ++k) {
    const group& g = rules_->groups[k];
    states_[k].leaf_gen.assign(g.leaves.size(), 0);
    states_[k].leaf_val.assign(g.leaves.size(), 0);
    states_[k].inst_gen.assign(g.instances.size(), 0);
    states_[k].verify_gen.assign(g.leaves.size(), 0);
    states_[k].atom_gen.assign(g.atoms, 0);
    states_[k].regex_pass_gen.assign(g.leaf_of_regex.size(), 0);
    if (g.scan.db) scratch_->fit(*g.scan.db);
    if (g.keyword_scan.db) scratch_->fit(*g.keyword_scan.db);
  }
  rule_seen_.assign(rules_->rules.size(), 0);
}

matcher::~matcher() = default;

std::string_view matcher::decoder_name(std::uint16_t index) const {
  return index < decoder_names_.size() ? std::string_view(decoder_names_[index])
                                       : std::string_view();
}

matcher::dispatch& matcher::dispatch_for(std::uint16_t decoder) {
  if (decoder >= dispatch_.size()) dispatch_.resize(decoder + 1u);
  if (dispatch_[decoder]) return *dispatch_[decoder];
  auto d = std::make_unique<dispatch>();
  const std::string_view name = decoder_name(decoder);
  const auto& pipeline = rules_->pipeline;
  for (std::uint32_t gi = 0; gi < rules_->groups.size(); ++gi) {
    const pipeline_entry& entry = rules_->groups[gi].entry;
    if (!entry.formats.empty() &&
        std::find(entry.formats.begin(), entry.formats.end(), name) == entry.formats.end()) {
      continue;
    }
    std::vector<int> conds;
    auto key_index = [&](const std::string& field) {
      for (std::size_t k = 0; k < d->keys.size(); ++k)
        if (d->keys[k].name == field) return static_cast<int>(k);
      dispatch::key_field kf;
      kf.name = field;
      if (field == "class_uid") {
        kf.special = 1;
      } else if (field == "activity_id") {
        kf.special = 2;
      } else {
        for (const auto& alt : pipeline.format_names(name, field)) {
          const field_id id = intern_field(alt);
          if (!has_id(kf.ids, id)) kf.ids.push_back(id);
        }
      }
      d->keys.push_back(std::move(kf));
      return static_cast<int>(d->keys.size() - 1);
    };
    for (const auto& c : entry.when) conds.push_back(key_index(c.field));
    for (const auto& c : entry.unless) conds.push_back(key_index(c.field));
    d->candidates.push_back(gi);
    d->cond_key.push_back(std::move(conds));
  }
  d->values.resize(d->keys.size());
  d->present.resize(d->keys.size());
  dispatch_[decoder] = std::move(d);
  return *dispatch_[decoder];
}

const std::vector<std::uint32_t>& matcher::groups_for(const event& e) {
  dispatch& d = dispatch_for(e.decoder);
  key_.clear();
  for (std::size_t k = 0; k < d.keys.size(); ++k) {
    d.present[k] = false;
    d.values[k].clear();
    const auto& kf = d.keys[k];
    if (kf.special == 1) {
      d.values[k] = std::to_string(static_cast<std::uint32_t>(e.class_uid));
      d.present[k] = true;
    } else if (kf.special == 2) {
      d.values[k] = std::to_string(e.activity_id);
      d.present[k] = true;
    } else {
      for (const auto& f : e.fields) {
        if (!f.v.is_null() && has_id(kf.ids, canon_(f.id))) {
          d.values[k].assign(f.v.text(text_));  // reuses the string's capacity
          d.present[k] = true;
          break;
        }
      }
    }
    key_ += d.present[k] ? '+' : '-';
    for (char c : d.values[k]) key_ += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    key_ += '\x1f';
  }
  auto it = d.cache.find(key_);
  if (it != d.cache.end()) return it->second;
  std::vector<std::uint32_t> selected;
  for (std::size_t c = 0; c < d.candidates.size(); ++c) {
    const pipeline_entry& entry = rules_->groups[d.candidates[c]].entry;
    auto holds = [&](const pipeline_condition& cond, int k) {
      if (!d.present[static_cast<std::size_t>(k)]) return false;
      for (const auto& v : cond.values)
        if (iequals(v, d.values[static_cast<std::size_t>(k)])) return true;
      return false;
    };
    bool ok = true;
    const std::size_t nw = entry.when.size();
    for (std::size_t w = 0; ok && w < nw; ++w) ok = holds(entry.when[w], d.cond_key[c][w]);
    for (std::size_t u = 0; ok && u < entry.unless.size(); ++u)
      ok = !holds(entry.unless[u], d.cond_key[c][nw + u]);
    if (ok) selected.push_back(d.candidates[c]);
  }
  // Bounded: discriminators are low-cardinality fields; a hostile input cannot grow it.
  if (d.cache.size() >= 65536) d.cache.clear();
  return d.cache.emplace(key_, std::move(selected)).first->second;
}

void matcher::match(const event& e, std::vector<match_ref>& out) {
  ++stats_.events;
  ++event_gen_;
  if (event_gen_ == 0) {
    std::fill(rule_seen_.begin(), rule_seen_.end(), 0);
    event_gen_ = 1;
  }
  canon_.cover(e);
  const auto& groups = groups_for(e);
  for (auto gi : groups) run_group(gi, e, out);
}

namespace {
using segment = scan_segment;

struct scan_ctx {
  const group* g;
  const group_scan* scan;
  matcher_group_state* st;
  const std::string* buffer;
  const std::vector<segment>* segments;
  std::uint32_t stamp_base;
  std::uint64_t* hits;
};

inline void mark_true(const group& g, matcher_group_state& s, std::uint32_t leaf) {
  s.leaf_gen[leaf] = s.gen;
  s.leaf_val[leaf] = 1;
  for (auto inst : g.triggers[leaf]) {
    if (s.inst_gen[inst] != s.gen) {
      s.inst_gen[inst] = s.gen;
      s.candidates.push_back(inst);
    }
  }
}

int on_hit(unsigned int id, unsigned long long, unsigned long long to_, unsigned int,
           void* context) {
  auto* c = static_cast<scan_ctx*>(context);
  matcher_group_state& s = *c->st;
  ++*c->hits;
  const group_scan& gs = *c->scan;
  const auto to = static_cast<std::uint32_t>(to_);
  const std::uint32_t first = gs.first[id];
  const std::uint32_t length = gs.targets[first].length;
  if (to < length) return 0;
  const std::uint32_t from = to - length;
  // The value the hit lies in: the first segment ending at or after `to`.
  const auto& segs = *c->segments;
  std::size_t lo = 0, hi = segs.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (segs[mid].end < to) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == segs.size()) return 0;
  const segment& sg = segs[lo];
  if (from < sg.begin) return 0;  // spans two values
  for (std::uint32_t k = first; k < gs.first[id + 1]; ++k) {
    const scan_target& t = gs.targets[k];
    if (t.field == invalid_field ? !sg.is_string : t.field != sg.field) continue;
    if (t.check == scan_check::atom) {
      if (s.atom_gen[t.leaf] != s.gen) {
        s.atom_gen[t.leaf] = s.gen;
        s.atoms_hit.push_back(static_cast<int>(t.leaf));
      }
      continue;
    }
    if (s.leaf_gen[t.leaf] == s.gen) continue;  // already true for this event
    bool ok = false;
    switch (t.check) {
      case scan_check::none:
        ok = true;
        break;
      case scan_check::start:
        ok = from == sg.begin;
        break;
      case scan_check::end:
        ok = to == sg.end;
        break;
      case scan_check::both:
        ok = from == sg.begin && to == sg.end;
        break;
      case scan_check::verify: {
        // Once per leaf and value, however often the literal occurs.
        const std::uint32_t stamp = c->stamp_base + static_cast<std::uint32_t>(lo) + 1;
        if (s.verify_gen[t.leaf] == stamp) continue;
        s.verify_gen[t.leaf] = stamp;
        const compiled_leaf& l = c->g->leaves[t.leaf];
        ok = glob_match(l.spec.pattern,
                        std::string_view(*c->buffer).substr(sg.begin, sg.end - sg.begin),
                        l.spec.cased);
        break;
      }
      case scan_check::atom:
        break;  // handled above
    }
    if (ok) mark_true(*c->g, s, t.leaf);
  }
  return 0;
}

}  // namespace

void matcher::scan(const group& g, const group_scan& gs, group_state& st, const std::string& buffer,
                   const std::vector<scan_segment>& segments) {
  if (segments.empty()) return;
  // Stamps identify (scan, value) pairs for the once-per-value glob confirmation.
  if (st.value_gen > 0xF0000000u - segments.size()) {
    std::fill(st.verify_gen.begin(), st.verify_gen.end(), 0);
    st.value_gen = 1;
  }
  scan_ctx ctx{&g, &gs, &st, &buffer, &segments, st.value_gen, &stats_.hits};
  st.value_gen += static_cast<std::uint32_t>(segments.size()) + 1;
  hs_scan(gs.db->get(), buffer.data(), static_cast<unsigned>(buffer.size()), 0, scratch_->get(),
          on_hit, &ctx);
  ++stats_.scans;
}

void matcher::run_group(std::uint32_t gi, const event& e, std::vector<match_ref>& out) {
  const group& g = rules_->groups[gi];
  group_state& st = states_[gi];
  ++stats_.group_evaluations;
  if (++st.gen == 0) {
    std::fill(st.leaf_gen.begin(), st.leaf_gen.end(), 0);
    std::fill(st.inst_gen.begin(), st.inst_gen.end(), 0);
    std::fill(st.atom_gen.begin(), st.atom_gen.end(), 0);
    std::fill(st.regex_pass_gen.begin(), st.regex_pass_gen.end(), 0);
    st.gen = 1;
  }
  st.candidates.clear();
  st.atoms_hit.clear();
  // One pass over the event: equality lookups, and the buffers to scan.
  buffer_.clear();
  segments_.clear();
  kw_buffer_.clear();
  kw_segments_.clear();
  const auto& wanted = g.scan.fields;
  const bool field_scan = static_cast<bool>(g.scan.db);
  const bool keyword_scan = static_cast<bool>(g.keyword_scan.db);
  const auto& eq = g.equals;
  for (const auto& f : e.fields) {
    if (f.v.is_null()) continue;
    const field_id id = canon_(f.id);
    const bool equality = id < eq.of_field.size() && eq.of_field[id] >= 0;
    const bool read = field_scan && id < wanted.size() && wanted[id] != 0;
    const bool keyword = keyword_scan && f.v.is_string();
    if (!equality && !read && !keyword) continue;
    const std::string_view text = f.v.text(text_);
    if (equality) {
      lower_.assign(text);
      for (char& ch : lower_)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      const auto& map = eq.maps[static_cast<std::size_t>(eq.of_field[id])];
      if (auto it = map.find(lower_); it != map.end()) {
        for (auto leaf : it->second)
          if (st.leaf_gen[leaf] != st.gen) mark_true(g, st, leaf);
      }
    }
    if (text.empty()) continue;
    if (read) {
      segment sg{static_cast<std::uint32_t>(buffer_.size()), 0, id, f.v.is_string()};
      buffer_.append(text);
      sg.end = static_cast<std::uint32_t>(buffer_.size());
      segments_.push_back(sg);
    }
    if (keyword) {
      segment sg{static_cast<std::uint32_t>(kw_buffer_.size()), 0, id, true};
      kw_buffer_.append(text);
      sg.end = static_cast<std::uint32_t>(kw_buffer_.size());
      kw_segments_.push_back(sg);
    }
  }
  if (field_scan) scan(g, g.scan, st, buffer_, segments_);
  if (keyword_scan) scan(g, g.keyword_scan, st, kw_buffer_, kw_segments_);
  // Regexes whose prefilter passed: marked, and their rules become candidates.
  if (g.regex_filter && !st.atoms_hit.empty()) {
    g.regex_filter->AllPotentials(st.atoms_hit, &st.potentials);
    for (int r : st.potentials) {
      st.regex_pass_gen[static_cast<std::size_t>(r)] = st.gen;
      const std::uint32_t leaf = g.leaf_of_regex[static_cast<std::size_t>(r)];
      if (!g.leaves[leaf].prefiltered) continue;
      for (auto inst : g.triggers[leaf]) {
        if (st.inst_gen[inst] != st.gen) {
          st.inst_gen[inst] = st.gen;
          st.candidates.push_back(inst);
        }
      }
    }
  }
  for (auto inst : g.always) {
    if (st.inst_gen[inst] != st.gen) {
      st.inst_gen[inst] = st.gen;
      st.candidates.push_back(inst);
    }
  }
  // Rules in the order they were loaded, so findings come out deterministically.
  std::sort(st.candidates.begin(), st.candidates.end());
  for (auto inst : st.candidates) {
    const rule_instance& ri = g.instances[inst];
    if (rule_seen_[ri.rule] == event_gen_) continue;
    ++stats_.rule_evaluations;
    if (eval(g, st, ri.program, e)) {
      rule_seen_[ri.rule] = event_gen_;
      ++stats_.matches;
      out.push_back({gi, inst});
    }
  }
}

bool matcher::eval(const group& g, group_state& st, const dnode& d, const event& e) {
  switch (d.o) {
    case dnode::op::leaf:
      return leaf_value(g, st, d.leaf, e);
    case dnode::op::and_:
      for (const auto& c : d.children)
        if (!eval(g, st, c, e)) return false;
      return true;
    case dnode::op::or_:
      for (const auto& c : d.children)
        if (eval(g, st, c, e)) return true;
      return false;
    case dnode::op::not_:
      return !eval(g, st, d.children[0], e);
    case dnode::op::yes:
      return true;
    case dnode::op::no:
      return false;
  }
  return false;
}

bool matcher::leaf_value(const group& g, group_state& st, std::uint32_t leaf, const event& e) {
  if (st.leaf_gen[leaf] == st.gen) return st.leaf_val[leaf] != 0;
  const compiled_leaf& l = g.leaves[leaf];
  if (l.scanned) return false;  // a scanned leaf that did not hit is false
  if (l.prefiltered && st.regex_pass_gen[static_cast<std::size_t>(l.regex)] != st.gen) {
    return false;  // its atoms are not in the event: the regex cannot match
  }
  const bool v = eval_leaf(l, e, canon_);
  st.leaf_gen[leaf] = st.gen;
  st.leaf_val[leaf] = v ? 1 : 0;
  return v;
}

bool matcher::eval_leaf(const compiled_leaf& l, const event& e, const field_canon& canon) {
  std::string scratch;
  switch (l.spec.kind) {
    case leaf_kind::pattern:
      return any_value(l, e, canon, [&](const field& f) {
        if (f.v.is_null()) return false;
        return glob_match(l.spec.pattern, f.v.text(scratch), l.spec.cased);
      });
    case leaf_kind::regex:
      return any_value(l, e, canon, [&](const field& f) {
        if (f.v.is_null() || !l.re) return false;
        const std::string_view t = f.v.text(scratch);
        return re2::RE2::PartialMatch(re2::StringPiece(t.data(), t.size()), *l.re);
      });
    case leaf_kind::cidr:
      return any_value(l, e, canon, [&](const field& f) {
        return f.v.is_string() && l.spec.net.contains(f.v.s);
      });
    case leaf_kind::compare:
      return any_value(l, e, canon, [&](const field& f) {
        auto d = f.v.as_real();
        return d && compare(*d, l.spec.op, l.spec.number);
      });
    case leaf_kind::null: {
      bool non_null = false;
      any_value(l, e, canon, [&](const field& f) {
        non_null = !f.v.is_null();
        return non_null;
      });
      return !non_null;
    }
    case leaf_kind::exists: {
      const bool present = any_value(l, e, canon, [](const field&) { return true; });
      return present == l.spec.exists;
    }
    case leaf_kind::fieldref:
      return any_value(l, e, canon, [&](const field& a) {
        if (a.v.is_null()) return false;
        std::string sa;
        const std::string_view ta = a.v.text(sa);
        for (const auto& b : e.fields) {
          if (!has_id(l.ref_fields, canon(b.id)) || b.v.is_null()) continue;
          std::string sb;
          if (ref_compare(ta, b.v.text(sb), l.spec.mode, l.spec.cased)) return true;
        }
        return false;
      });
    case leaf_kind::time_part:
      return any_value(l, e, canon, [&](const field& f) {
        auto t = time_of(f.v);
        return t && compare(time_part_of(*t, l.spec.unit), l.spec.op, l.spec.number);
      });
  }
  return false;
}

void matcher::collect(const group& g, group_state& st, const dnode& d, const event& e,
                      const std::string& ident, std::vector<matched_value>& out) {
  switch (d.o) {
    case dnode::op::leaf: {
      if (!leaf_value(g, st, d.leaf, e)) return;
      const compiled_leaf& l = g.leaves[d.leaf];
      auto& registry = field_registry::global();
      std::string scratch;
      matched_value mv;
      mv.selection = ident;
      mv.field = l.spec.keyword ? std::string() : l.spec.field;
      for (const auto& f : e.fields) {
        const bool addressed = l.spec.keyword ? f.v.is_string() : has_id(l.fields, canon_(f.id));
        if (!addressed) continue;
        bool ok = true;
        if (l.spec.kind == leaf_kind::pattern) {
          ok = !f.v.is_null() && glob_match(l.spec.pattern, f.v.text(scratch), l.spec.cased);
        } else if (l.spec.kind == leaf_kind::regex) {
          const std::string_view t = f.v.text(scratch);
          ok = l.re && re2::RE2::PartialMatch(re2::StringPiece(t.data(), t.size()), *l.re);
        } else if (l.spec.kind == leaf_kind::cidr) {
          ok = f.v.is_string() && l.spec.net.contains(f.v.s);
        }
        if (!ok) continue;
        mv.value = f.v.to_string();
        if (l.spec.keyword || (l.fields.size() > 1 && registry.name(f.id) != l.spec.field)) {
          mv.field = std::string(registry.name(f.id));
        }
        break;
      }
      // Keep the rule's wording of the test for the explanation.
      mv.selection = ident;
      out.push_back(std::move(mv));
      out.back().selection = ident;
      out.back().field = out.back().field.empty() ? std::string("(keyword)") : out.back().field;
      return;
    }
    case dnode::op::and_:
    case dnode::op::or_:
      for (const auto& c : d.children) collect(g, st, c, e, ident, out);
      return;
    case dnode::op::not_:
    case dnode::op::yes:
    case dnode::op::no:
      return;  // negated parts contribute no matched values
  }
}

std::vector<matched_value> matcher::explain(const match_ref& m, const event& e) {
  std::vector<matched_value> out;
  const group& g = rules_->groups[m.group];
  group_state& st = states_[m.group];
  const rule_instance& ri = g.instances[m.instance];
  const rule_meta& meta = rules_->rules[ri.rule];
  for (std::size_t k = 0; k < ri.idents.size(); ++k) {
    if (!eval(g, st, ri.idents[k], e)) continue;
    const std::string& name =
        meta.logic && k < meta.logic->ident_names.size() ? meta.logic->ident_names[k] : "";
    collect(g, st, ri.idents[k], e, name, out);
  }
  return out;
}

}  // namespace mamori::sigma
