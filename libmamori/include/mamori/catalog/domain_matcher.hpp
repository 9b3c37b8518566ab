#pragma once
// Maps normalized host names to values (app indexes, category sets) by rule:
//   exact     "files.slack.com"   that name only
//   suffix    "slack.com"         that name and every name below it
//   wildcard  "*.slack.com"       every name below it, not the name itself
// Precedence: the rule anchored at the longest suffix of the host wins; at the same anchor an
// exact rule beats a wildcard, which beats a suffix rule. So "files.slack.com" (exact) beats
// "*.slack.com" beats "slack.com" for files.slack.com, and "slack.com" alone answers
// slack.com and x.y.slack.com.
//
// Layout: one open-addressing hash table keyed by domain text. Every suffix of every rule's
// domain is present (as an interior entry when it has no rule of its own), so a lookup walks
// the host's suffixes from the top-level label down and stops at the first absent one: a few
// probes per lookup, all hashes computed in one right-to-left pass over the host
// (docs/design/2026-11-24-app-catalog.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::catalog {

enum class rule_kind : std::uint8_t { exact = 0, wildcard = 1, suffix = 2 };

std::string_view rule_kind_name(rule_kind k);

class domain_matcher {
 public:
  static constexpr std::uint32_t none = 0xffffffffu;

  struct result {
    std::uint32_t value = none;
    rule_kind kind = rule_kind::suffix;
    std::string_view domain;  // the rule's domain (without "*."), valid while the matcher lives
    explicit operator bool() const { return value != none; }
  };

  // The value slot of (domain, kind), created with `none` if absent: callers may merge values.
  // `domain` must be normalized (catalog::normalize_host) and not start with "*.".
  std::uint32_t& slot(std::string_view domain, rule_kind kind);
  void set(std::string_view domain, rule_kind kind, std::uint32_t v) { slot(domain, kind) = v; }
  // The value of exactly this rule, `none` when absent.
  std::uint32_t get(std::string_view domain, rule_kind kind) const;

  // Best rule for a normalized host; `suffixes` false restricts to exact rules (IP literals).
  result match(std::string_view host, bool suffixes = true) const;

  std::size_t rules() const { return rules_; }
  std::size_t entries() const { return used_; }
  std::size_t memory_bytes() const { return table_.capacity() * sizeof(entry) + keys_.capacity(); }

  // Calls f(value, kind) for every rule matching a normalized name host, from the top-level
  // label down (shallowest first): for lists where every matching rule counts (categories).
  template <typename F>
  void visit(std::string_view host, F&& f) const {
    if (host.empty() || table_.empty()) return;
    std::uint64_t h = hash_seed;
    for (std::size_t i = host.size(); i-- > 0;) {
      h = hash_step(h, host[i]);
      if (i > 0 && host[i - 1] != '.') continue;
      const entry* e = find(host.substr(i), h);
      if (e == nullptr) return;
      if (i == 0) {
        if (e->v[0] != none) f(e->v[0], rule_kind::exact);
        if (e->v[2] != none) f(e->v[2], rule_kind::suffix);
      } else {
        if (e->v[1] != none) f(e->v[1], rule_kind::wildcard);
        if (e->v[2] != none) f(e->v[2], rule_kind::suffix);
      }
    }
  }

  // Calls f(domain, kind, value) for every rule (unspecified order).
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& e : table_) {
      if (e.key_len == 0) continue;
      for (int k = 0; k < 3; ++k)
        if (e.v[k] != none) f(key(e), static_cast<rule_kind>(k), e.v[k]);
    }
  }

 private:
  // FNV-1a over the bytes right to left: one pass from the end of a host yields the hash of
  // every suffix. The table index mixes it further (splitmix64).
  static constexpr std::uint64_t hash_seed = 0xcbf29ce484222325ull;
  static constexpr std::uint64_t hash_step(std::uint64_t h, char c) {
    return (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }

  struct entry {
    std::uint64_t hash = 0;
    std::uint32_t key_off = 0;
    std::uint32_t key_len = 0;  // 0 = empty slot
    std::uint32_t v[3] = {none, none, none};
  };

  static std::uint64_t hash_of(std::string_view s);
  std::string_view key(const entry& e) const { return {keys_.data() + e.key_off, e.key_len}; }
  const entry* find(std::string_view name, std::uint64_t h) const;
  entry& insert(std::string_view name, std::uint64_t h);
  void grow();

  std::vector<entry> table_;
  std::string keys_;
  std::size_t used_ = 0;
  std::size_t rules_ = 0;
};

}  // namespace mamori::catalog
