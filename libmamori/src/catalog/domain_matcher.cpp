#include "mamori/catalog/domain_matcher.hpp"

#include <array>
#include <cassert>

namespace mamori::catalog {

namespace {

constexpr std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

std::uint64_t domain_matcher::hash_of(std::string_view s) {
  std::uint64_t h = hash_seed;
  for (std::size_t i = s.size(); i-- > 0;) h = hash_step(h, s[i]);
  return h;
}

std::string_view rule_kind_name(rule_kind k) {
  switch (k) {
    case rule_kind::exact:
      return "exact";
    case rule_kind::wildcard:
      return "wildcard";
    case rule_kind::suffix:
      return "suffix";
  }
  return "suffix";
}

const domain_matcher::entry* domain_matcher::find(std::string_view name, std::uint64_t h) const {
  if (table_.empty()) return nullptr;
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = mix(h) & mask;; i = (i + 1) & mask) {
    const entry& e = table_[i];
    if (e.key_len == 0) return nullptr;
    if (e.hash == h && key(e) == name) return &e;
  }
}

void domain_matcher::grow() {
  std::vector<entry> old = std::move(table_);
  table_.assign(old.empty() ? 1024 : old.size() * 2, entry{});
  const std::size_t mask = table_.size() - 1;
  for (const entry& e : old) {
    if (e.key_len == 0) continue;
    std::size_t i = mix(e.hash) & mask;
    while (table_[i].key_len != 0) i = (i + 1) & mask;
    table_[i] = e;
  }
}

domain_matcher::entry& domain_matcher::insert(std::string_view name, std::uint64_t h) {
  assert(!name.empty());
  if ((used_ + 1) * 2 > table_.size()) grow();
  const std::size_t mask = table_.size() - 1;
  std::size_t i = mix(h) & mask;
  while (table_[i].key_len != 0) {
    if (table_[i].hash == h && key(table_[i]) == name) return table_[i];
    i = (i + 1) & mask;
  }
  entry& e = table_[i];
  e.hash = h;
  e.key_off = static_cast<std::uint32_t>(keys_.size());
  e.key_len = static_cast<std::uint32_t>(name.size());
  keys_.append(name);
  ++used_;
  return e;
}

std::uint32_t& domain_matcher::slot(std::string_view domain, rule_kind kind) {
  // Interior entries for every proper suffix, so lookups can stop at the first absent suffix.
  std::uint64_t h = hash_seed;
  for (std::size_t i = domain.size(); i-- > 0;) {
    h = hash_step(h, domain[i]);
    if (i > 0 && domain[i - 1] == '.') insert(domain.substr(i), h);
  }
  entry& e = insert(domain, h);
  std::uint32_t& v = e.v[static_cast<int>(kind)];
  if (v == none) ++rules_;
  return v;
}

std::uint32_t domain_matcher::get(std::string_view domain, rule_kind kind) const {
  const entry* e = find(domain, hash_of(domain));
  return e == nullptr ? none : e->v[static_cast<int>(kind)];
}

domain_matcher::result domain_matcher::match(std::string_view host, bool suffixes) const {
  result best;
  if (host.empty() || table_.empty()) return best;
  if (!suffixes) {
    if (const entry* e = find(host, hash_of(host)))
      if (e->v[0] != none) best = {e->v[0], rule_kind::exact, key(*e)};
    return best;
  }
  std::uint64_t h = hash_seed;
  for (std::size_t i = host.size(); i-- > 0;) {
    h = hash_step(h, host[i]);
    if (i > 0 && host[i - 1] != '.') continue;
    const entry* e = find(host.substr(i), h);
    if (e == nullptr) break;  // no rule below an absent suffix
    if (i == 0) {
      if (e->v[0] != none) return {e->v[0], rule_kind::exact, key(*e)};
      if (e->v[2] != none) return {e->v[2], rule_kind::suffix, key(*e)};
    } else if (e->v[1] != none) {
      best = {e->v[1], rule_kind::wildcard, key(*e)};
    } else if (e->v[2] != none) {
      best = {e->v[2], rule_kind::suffix, key(*e)};
    }
  }
  return best;
}

}  // namespace mamori::catalog
