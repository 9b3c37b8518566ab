#pragma once
// Value modifiers (Sigma modifiers appendix v2.1) and the predicates they compile to.
// A field item `Field|mod1|mod2: value(s)` becomes an expression over leaves; a leaf is one
// predicate on one field (or, for keywords, on every string field of the event).
//
//   transformations (applied in the written order): contains startswith endswith base64
//     base64offset utf16le utf16be utf16 wide windash expand
//   types: re (+ i m s), cidr, lt lte gt gte, neq, exists, fieldref, cased,
//          minute hour day week month year (time parts, optionally with lt..gte/neq)
//   list linking: all (AND instead of OR)

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.hpp"
#include "mamori/detect/sigma/pattern.hpp"
#include "mamori/detect/sigma/yaml.hpp"

namespace mamori::sigma {

enum class leaf_kind : std::uint8_t {
  pattern,    // string equality with wildcards (contains/startswith/endswith are patterns)
  regex,      // re
  cidr,       // cidr
  compare,    // lt lte gt gte (numeric)
  null,       // field: null  → absent or null
  exists,     // field|exists: true/false
  fieldref,   // field|fieldref: other  (with contains/startswith/endswith)
  time_part,  // field|hour: 3, field|hour|gte: 20
};

enum class cmp_op : std::uint8_t { eq, neq, lt, lte, gt, gte };
enum class time_unit : std::uint8_t { minute, hour, day, week, month, year };
enum class ref_mode : std::uint8_t { equals, contains, startswith, endswith };

struct cidr_net {
  bool v6 = false;
  std::array<std::uint8_t, 16> addr{};
  std::uint8_t prefix = 0;

  static std::optional<cidr_net> parse(std::string_view text);
  bool contains(std::string_view ip_text) const;
};

struct leaf_spec {
  leaf_kind kind = leaf_kind::pattern;
  bool keyword = false;  // full-text: every string field of the event
  std::string field;     // field name as written in the rule ("" for keywords)
  // pattern
  sstring pattern;
  bool cased = false;
  // regex
  std::string regex;
  bool re_i = false;
  bool re_m = false;
  bool re_s = false;
  // cidr
  cidr_net net;
  // compare / time_part
  cmp_op op = cmp_op::eq;
  double number = 0;
  time_unit unit = time_unit::hour;
  // exists
  bool exists = true;
  // fieldref
  std::string ref_field;
  ref_mode mode = ref_mode::equals;

  // Identity of the predicate (field excluded): equal keys are the same test.
  std::string key() const;
  // "contains 'whoami'", "re '^a.*'", "is null" — for explanations.
  std::string describe() const;
};

// A boolean expression over leaves (detection items, selections, the rule condition).
struct dnode {
  enum class op : std::uint8_t { leaf, and_, or_, not_, yes, no };
  op o = op::yes;
  std::uint32_t leaf = 0;
  std::vector<dnode> children;

  static dnode make_leaf(std::uint32_t i) { return {op::leaf, i, {}}; }
  static dnode make(op o, std::vector<dnode> children) { return {o, 0, std::move(children)}; }
};

using placeholder_map = std::map<std::string, std::vector<std::string>, std::less<>>;

struct build_error {
  std::string reason;
  bool unsupported = false;  // valid Sigma this engine cannot run (vs. invalid Sigma)
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// `key` is the map key as written ("CommandLine|contains|all", "|all" for keywords, "" for a
// bare keyword list entry). Leaves are appended to `leaves`.
tl::expected<dnode, build_error> build_item(std::string_view key, const ynode& value,
                                            std::vector<leaf_spec>& leaves,
                                            const placeholder_map* placeholders);

// Encoders, exposed for tests.
std::string base64_encode(std::string_view bytes);
// The three shifted encodings of base64offset (Sigma modifiers appendix): the parts of the
// Base64 text that stay the same wherever the value sits in the encoded string.
std::vector<std::string> base64_offsets(std::string_view bytes);
enum class utf16_form : std::uint8_t { le, be, bom_le };
std::string utf16_encode(std::string_view utf8, utf16_form form);

}  // namespace mamori::sigma
