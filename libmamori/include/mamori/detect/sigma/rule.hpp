#pragma once
// Stage 2 of Sigma loading (collector): YAML documents → rule documents. Handles files and
// whole directory trees, multi-document collections (`action: global` / `reset` / `repeat`,
// Sigma 1.0 collections), and tells detection rules, filter rules (Sigma filters
// specification v2.1) and correlation rules (Sigma correlation rules specification v2.1)
// apart. Every problem is recorded with file, line and reason; loading never stops early.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/detect/sigma/yaml.hpp"

namespace mamori::sigma {

struct location {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  std::string to_string() const;  // "file:line:column"
};

// Sigma logsource: the three keys converters evaluate; values lower case.
struct logsource {
  std::string product;
  std::string service;
  std::string category;

  bool empty() const { return product.empty() && service.empty() && category.empty(); }
  std::string to_string() const;  // "product=windows category=process_creation"
};

enum class rule_type : std::uint8_t { detection, filter, correlation };

// One rule document after collection (globals merged). The detection, filter and
// correlation sections stay YAML trees: the compiler reads them with their positions.
struct rule {
  rule_type type = rule_type::detection;
  location where;
  std::string title;
  std::string id;
  std::string name;
  std::string status;
  std::string level;
  std::string description;
  std::string author;
  std::vector<std::string> tags;
  std::vector<std::string> falsepositives;
  std::vector<std::string> references;
  logsource source;
  ynode detection;    // detection rules
  ynode filter;       // filter rules: the `filter` section
  ynode correlation;  // correlation rules: the `correlation` section
  std::string generate;  // correlation `generate` as written ("" when absent)

  std::string display_name() const;  // title, else id, else file:line
};

enum class problem_kind : std::uint8_t { invalid, unsupported };

struct problem {
  problem_kind kind = problem_kind::invalid;
  location where;
  std::string rule;     // title or id of the rule, empty when the file itself failed
  std::string rule_id;  // Sigma id when known
  std::string reason;   // short, groupable ("unknown modifier 'foo'")
};

struct rule_collection {
  std::vector<rule> rules;
  std::vector<problem> problems;
  std::size_t files = 0;
  std::size_t documents = 0;
};

// Collects one file, or every *.yml / *.yaml file below a directory (sorted, recursive).
// A path that does not exist is recorded as a problem.
void collect_path(const std::string& path, rule_collection& out);
// Collects the documents of YAML text (tests, the server's rule upload).
void collect_text(std::string_view text, const std::string& name, rule_collection& out);

// Lower-cased ASCII copy.
std::string ascii_lower(std::string_view s);

}  // namespace mamori::sigma
