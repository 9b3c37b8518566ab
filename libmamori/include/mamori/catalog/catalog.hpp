#pragma once
// The app catalog: cloud applications with their domains, category and risk attributes, loaded
// from JSONL files (one app per line, docs/catalog.md) in layers. Later layers override earlier
// ones: an app with the same id replaces the earlier definition, and a domain rule of a higher
// layer replaces the same rule of a lower one. The lowest layer (names: AdGuard trackers and
// services) only answers for hosts no rule of the other layers matches.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mamori/catalog/attributes.hpp"
#include "mamori/catalog/domain_matcher.hpp"
#include "mamori/catalog/host.hpp"
#include "mamori/catalog/score.hpp"
#include "mamori/core/diagnostic.hpp"
#include "mamori/core/result.hpp"

namespace mamori::catalog {

// Layers, lowest first. Within a layer, load order decides.
enum class layer : std::uint8_t { names = 0, shipped = 1, user = 2 };

// A domain rule as written in a catalog: "slack.com" (suffix), "*.slack.com" (wildcard),
// "full:files.slack.com" (exact; also "domain:slack.com" for an explicit suffix). IP
// literals are exact rules.
struct domain_rule {
  std::string domain;  // normalized, without "*." / "full:"
  rule_kind kind = rule_kind::suffix;
  host_kind host = host_kind::name;
};

// Parses one written rule; nullopt with `why` set when it is not a valid rule.
std::optional<domain_rule> parse_domain_rule(std::string_view written, std::string& why);
// The written form again ("*.slack.com", "full:a.b", "slack.com").
std::string format_domain_rule(const domain_rule& r);

struct app {
  std::string id;                 // stable key: lower-case [a-z0-9._-], e.g. "slack", "v2fly:baidu"
  std::string name;               // display name
  std::string category;           // main category (docs/catalog.md lists the vocabulary)
  std::vector<std::string> tags;  // other categories and labels
  std::string website;
  std::string description;
  std::vector<domain_rule> domains;
  attr_values attrs{};
  std::vector<std::string> sources;  // provenance: "curated", "v2fly:slack", "adguard:..."
  std::vector<std::string> v2fly;    // builder input only: v2fly lists whose domains join
  bool v2fly_given = false;          // "v2fly" was written ([] opts out of the default list)
  layer from = layer::shipped;
  std::string origin;  // file:line the definition came from
  // Computed by app_catalog::finalize.
  app_score score;
};

// One JSON line → app; errors name the problem (the caller adds file:line).
result<app> parse_app_json(std::string_view line);
// The catalog JSON form of an app (one line, keys in a fixed order, nulls for unknowns).
std::string app_to_json(const app& a, bool with_score = false);

struct lookup_result {
  const app* a = nullptr;
  rule_kind kind = rule_kind::suffix;
  std::string_view rule;  // the matched rule's domain
  explicit operator bool() const { return a != nullptr; }
};

class app_catalog {
 public:
  // Reads a JSONL catalog file into the given layer. Bad lines are diagnostics (file:line) and
  // skipped. Fails only when the file cannot be read.
  result<std::size_t> load_file(const std::string& path, layer l, diagnostics& diag);
  std::size_t load_text(std::string_view text, std::string_view name, layer l, diagnostics& diag);
  // Adds or replaces (same id) an app.
  void add(app a);

  // Builds the matcher and computes scores; call after loading, before lookups.
  void finalize(const score_weights& w);

  // For a normalized host (normalize_host) of the given kind.
  lookup_result lookup(std::string_view host, host_kind kind) const;
  // For anything a log calls a destination (URL, host:port, name); `scratch` holds the host.
  lookup_result lookup_destination(std::string_view raw, std::string& scratch) const;

  const app* find(std::string_view id) const;
  const std::vector<app>& apps() const { return apps_; }
  std::size_t size() const { return apps_.size(); }
  const domain_matcher& matcher() const { return matcher_; }
  const score_weights& weights() const { return weights_; }

 private:
  std::vector<app> apps_;
  std::unordered_map<std::string, std::size_t> index_;  // id -> apps_ index
  domain_matcher matcher_;                              // shipped and user layers
  domain_matcher fallback_;  // names layer (AdGuard): only hosts matcher_ does not know
  score_weights weights_ = score_weights::defaults();
};

}  // namespace mamori::catalog
