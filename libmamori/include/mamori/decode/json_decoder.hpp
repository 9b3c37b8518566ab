#pragma once
// Shared machinery for decoders of JSON sources: record framing (json_records.hpp), one
// simdjson parse per record, flattening into raw fields, and typed accessors. A JSON decoder
// only writes map(): record → event.

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mamori/decode/decoder.hpp"
#include "mamori/io/json_records.hpp"

namespace mamori {

// The first record of a JSON input, parsed, for sniffers. Empty when the head is not JSON.
struct json_probe {
  json_layout layout = json_layout::unknown;
  std::string wrapper_key;
  simdjson::dom::parser parser;
  std::optional<simdjson::dom::element> first;
};
// Parses the head of a sample once per sample (cached by head pointer).
const json_probe& probe_json(const sniff_sample& sample);

// Field-name → id cache private to one decoder, so hot loops do not take the registry lock.
class field_cache {
 public:
  field_id get(std::string_view name);

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, field_id, hash, std::equal_to<>> ids_;
};

// The dotted paths of a JSON source as a trie, so flattening a record looks up each key among
// its siblings (usually at the position predicted from the previous record, since a source
// writes its keys in a stable order) instead of hashing the whole path per leaf.
class field_path_trie {
 public:
  static constexpr std::uint32_t root = 0;
  field_path_trie() { nodes_.emplace_back(); }
  std::uint32_t child(std::uint32_t parent, std::string_view key);
  field_id id(std::uint32_t node);

 private:
  struct node {
    std::string path;
    field_id id = invalid_field;
    std::vector<std::pair<std::string, std::uint32_t>> children;
    std::size_t hint = 0;  // index of the child expected next
  };
  std::vector<node> nodes_;
};

class json_decoder : public decoder {
 public:
  void decode(input_reader& in, decode_context& ctx) final;

  // Fills ev from one record. Returns a reason to reject the record, or nullopt on success.
  // Public so wrapper formats (Panther test events, CloudTrail Lake) can delegate the inner
  // record to the decoder of its source.
  virtual std::optional<std::string> map(simdjson::dom::element record, event& ev,
                                         decode_context& ctx) = 0;

 protected:
  // Adds every leaf of `element` as a raw field named by its dotted path below `prefix`.
  // Array elements repeat the name of the array. Strings are copied into the batch.
  void flatten(simdjson::dom::element element, event& ev, decode_context& ctx,
               std::string_view prefix = {});

  field_cache fields_;

 private:
  void flatten_into(simdjson::dom::element element, event& ev, decode_context& ctx,
                    std::uint32_t node);
  field_path_trie paths_;
  simdjson::dom::parser parser_;
};

namespace json {
// Typed lookups by JSON pointer-free dotted path ("userIdentity.arn"); nullopt when absent or
// of another type. Strings view into the parser's buffer: store() them before keeping.
std::optional<std::string_view> str(simdjson::dom::element e, std::string_view path);
std::optional<std::int64_t> integer(simdjson::dom::element e, std::string_view path);
std::optional<bool> boolean(simdjson::dom::element e, std::string_view path);
std::optional<simdjson::dom::element> at(simdjson::dom::element e, std::string_view path);
bool has(simdjson::dom::element e, std::string_view key);
// Converts a JSON scalar to a value, storing strings in the batch.
value to_value(simdjson::dom::element e, decode_context& ctx);
}  // namespace json

// Sets a normalized string attribute from a JSON path if present (copied into the batch).
void set_from(event& ev, ocsf::attr a, simdjson::dom::element rec, std::string_view path,
              decode_context& ctx);

}  // namespace mamori
