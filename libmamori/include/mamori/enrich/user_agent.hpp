#pragma once
// User agent → OS, browser and device family with the uap-core regexes (ua-parser project,
// Debian package uap-core: /usr/share/uap-core/regexes.yaml), compiled with RE2 so hostile
// user agents cost linear time. A Vectorscan literal prefilter (RE2's FilteredRE2 atoms)
// selects the few rules that can match, so a new user agent costs ~70 µs, not ~1 ms.
// Results are cached per distinct user agent.
// Fills src_endpoint.{os.name, os.version, browser.name, browser.version, device.family}.

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/enrich/enricher.hpp"

namespace mamori {

struct user_agent_info {
  std::string browser = "Other";  // uap "family"
  std::string browser_major;
  std::string browser_minor;
  std::string os = "Other";
  std::string os_major;
  std::string os_minor;
  std::string device = "Other";
  std::string device_brand;
  std::string device_model;
};

class user_agent_parser {
 public:
  ~user_agent_parser();
  user_agent_parser(const user_agent_parser&) = delete;
  user_agent_parser& operator=(const user_agent_parser&) = delete;

  static std::string default_regexes_path() { return "/usr/share/uap-core/regexes.yaml"; }
  // Loads regexes.yaml; rules RE2 cannot compile are skipped and counted.
  static result<std::unique_ptr<user_agent_parser>> load(const std::string& path);

  // Not thread-safe (scan scratch space is per parser).
  user_agent_info parse(std::string_view ua);
  std::size_t rules() const;
  std::size_t skipped_rules() const { return skipped_; }

 private:
  user_agent_parser();
  struct rule_list;
  std::unique_ptr<rule_list> browsers_;
  std::unique_ptr<rule_list> oses_;
  std::unique_ptr<rule_list> devices_;
  std::size_t skipped_ = 0;
  std::string lower_;
  std::vector<int> hits_;
};

class user_agent_enricher final : public enricher {
 public:
  explicit user_agent_enricher(std::unique_ptr<user_agent_parser> p,
                               std::size_t max_cache = 1u << 17)
      : parser_(std::move(p)), max_cache_(max_cache) {}
  std::string_view name() const override { return "user_agent"; }
  void enrich(event_batch& batch) override;
  const user_agent_info& lookup(std::string_view ua);
  std::size_t cache_misses() const { return misses_; }

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unique_ptr<user_agent_parser> parser_;
  std::size_t max_cache_;
  std::unordered_map<std::string, user_agent_info, hash, std::equal_to<>> cache_;
  std::size_t misses_ = 0;
};

}  // namespace mamori
