#include "mamori/detect/sigma/matcher.hpp"

#include <fmt/format.h>
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
    if (*i > 100'000'000'000LL) return timeparse::scale_to_ns(*i, 1'000'000);
    return timeparse::scale_to_ns(*i, 1'000'000'000);
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

struct matcher::group_state {
  std::uint32_t gen = 0;
  std::vector<std::uint32_t> leaf_gen;
  std::vector<std::uint8_t> leaf_val;
  std::vector<std::uint32_t> inst_gen;
  std::vector<std::uint32_t> candidates;
  std::uint32_t value_gen = 0;
  std::vector<std::uint32_t> verify_gen;
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
    for (const auto& s : g.scans) scratch_->fit(*s.db);
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
      d.values[k] = fmt::format("{}", static_cast<std::uint32_t>(e.class_uid));
      d.present[k] = true;
    } else if (kf.special == 2) {
      d.values[k] = fmt::format("{}", e.activity_id);
      d.present[k] = true;
    } else {
      for (const auto& f : e.fields) {
        if (has_id(kf.ids, canon_(f.id)) && !f.v.is_null()) {
          std::string scratch;
          d.values[k] = std::string(f.v.text(scratch));
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
struct scan_ctx {
  const group* g;
  void* st;
  const field_scan* scan;
  std::string_view text;
};
}  // namespace

void matcher::run_group(std::uint32_t gi, const event& e, std::vector<match_ref>& out) {
  const group& g = rules_->groups[gi];
  group_state& st = states_[gi];
  ++stats_.group_evaluations;
  if (++st.gen == 0) {
    std::fill(st.leaf_gen.begin(), st.leaf_gen.end(), 0);
    std::fill(st.inst_gen.begin(), st.inst_gen.end(), 0);
    st.gen = 1;
  }
  st.candidates.clear();
  auto on_hit = [](unsigned int id, unsigned long long, unsigned long long to, unsigned int,
                   void* ctx) -> int {
    auto* c = static_cast<scan_ctx*>(ctx);
    auto* s = static_cast<group_state*>(c->st);
    const field_scan& fs = *c->scan;
    for (std::uint32_t k = fs.first[id]; k < fs.first[id + 1]; ++k) {
      const scan_target& t = fs.targets[k];
      if (s->leaf_gen[t.leaf] == s->gen) continue;  // already true for this event
      bool ok = false;
      switch (t.check) {
        case scan_check::none:
          ok = true;
          break;
        case scan_check::start:
          ok = to == t.length;
          break;
        case scan_check::end:
          ok = to == c->text.size();
          break;
        case scan_check::both:
          ok = to == t.length && to == c->text.size();
          break;
        case scan_check::verify: {
          // Once per leaf and value, however often the literal occurs.
          if (s->verify_gen[t.leaf] == s->value_gen) continue;
          s->verify_gen[t.leaf] = s->value_gen;
          const compiled_leaf& l = c->g->leaves[t.leaf];
          ok = glob_match(l.spec.pattern, c->text, l.spec.cased);
          break;
        }
      }
      if (!ok) continue;
      s->leaf_gen[t.leaf] = s->gen;
      s->leaf_val[t.leaf] = 1;
      for (auto inst : c->g->triggers[t.leaf]) {
        if (s->inst_gen[inst] != s->gen) {
          s->inst_gen[inst] = s->gen;
          s->candidates.push_back(inst);
        }
      }
    }
    return 0;
  };
  const field_scan* keyword = g.keyword_scan >= 0 ? &g.scans[static_cast<std::size_t>(g.keyword_scan)]
                                                  : nullptr;
  for (const auto& f : e.fields) {
    if (f.v.is_null()) continue;
    const field_scan* scan = nullptr;
    const field_id id = canon_(f.id);
    if (id < g.scan_of_field.size() && g.scan_of_field[id] >= 0) {
      scan = &g.scans[static_cast<std::size_t>(g.scan_of_field[id])];
    }
    if (scan == nullptr && (keyword == nullptr || !f.v.is_string())) continue;
    const std::string_view text = f.v.text(text_);
    if (++st.value_gen == 0) {
      std::fill(st.verify_gen.begin(), st.verify_gen.end(), 0);
      st.value_gen = 1;
    }
    if (scan != nullptr) {
      scan_ctx ctx{&g, &st, scan, text};
      hs_scan(scan->db->get(), text.data(), static_cast<unsigned>(text.size()), 0,
              scratch_->get(), on_hit, &ctx);
      ++stats_.scans;
    }
    if (keyword != nullptr && f.v.is_string()) {
      scan_ctx ctx{&g, &st, keyword, text};
      hs_scan(keyword->db->get(), text.data(), static_cast<unsigned>(text.size()), 0,
              scratch_->get(), on_hit, &ctx);
      ++stats_.scans;
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
