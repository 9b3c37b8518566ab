#include "mamori/detect/sigma/yaml.hpp"

#include <yaml.h>

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace mamori::sigma {

namespace {

bool plain_null(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// Builds the tree from libyaml's event stream.
class builder {
 public:
  explicit builder(yaml_parser_t& p) : parser_(p) {}

  tl::expected<std::vector<ynode>, yaml_error> run() {
    std::vector<ynode> docs;
    while (true) {
      yaml_event_t ev;
      if (!next(ev)) return tl::unexpected(error());
      const auto type = ev.type;
      yaml_event_delete(&ev);
      if (type == YAML_STREAM_END_EVENT) break;
      if (type == YAML_DOCUMENT_START_EVENT) {
        anchors_.clear();
        ynode root;
        yaml_event_t first;
        if (!next(first)) return tl::unexpected(error());
        if (first.type == YAML_DOCUMENT_END_EVENT) {
          yaml_event_delete(&first);
          docs.push_back(std::move(root));
          continue;
        }
        if (!node(first, root)) return tl::unexpected(error());
        yaml_event_t end;
        if (!next(end)) return tl::unexpected(error());
        yaml_event_delete(&end);
        docs.push_back(std::move(root));
      }
    }
    return docs;
  }

 private:
  bool next(yaml_event_t& ev) {
    if (!yaml_parser_parse(&parser_, &ev)) {
      failed_ = true;
      return false;
    }
    return true;
  }

  yaml_error error() const {
    yaml_error e;
    if (!custom_.empty()) {
      e.message = custom_;
      e.line = custom_line_;
      e.column = custom_column_;
      return e;
    }
    e.message = parser_.problem != nullptr ? parser_.problem : "invalid YAML";
    if (parser_.context != nullptr) e.message = std::string(parser_.context) + ": " + e.message;
    e.line = static_cast<std::uint32_t>(parser_.problem_mark.line + 1);
    e.column = static_cast<std::uint32_t>(parser_.problem_mark.column + 1);
    return e;
  }

  bool fail(const yaml_event_t& ev, std::string message) {
    custom_ = std::move(message);
    custom_line_ = static_cast<std::uint32_t>(ev.start_mark.line + 1);
    custom_column_ = static_cast<std::uint32_t>(ev.start_mark.column + 1);
    return false;
  }

  // Consumes `ev` (and, for collections, the events up to its end) into `out`.
  bool node(yaml_event_t& ev, ynode& out, int depth = 0) {
    out.line = static_cast<std::uint32_t>(ev.start_mark.line + 1);
    out.column = static_cast<std::uint32_t>(ev.start_mark.column + 1);
    if (depth > 64) {
      bool r = fail(ev, "YAML nested deeper than 64 levels");
      yaml_event_delete(&ev);
      return r;
    }
    switch (ev.type) {
      case YAML_ALIAS_EVENT: {
        std::string name(reinterpret_cast<const char*>(ev.data.alias.anchor));
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          bool r = fail(ev, "unknown YAML alias *" + name);
          yaml_event_delete(&ev);
          return r;
        }
        const auto line = out.line;
        const auto column = out.column;
        out = it->second;
        out.line = line;
        out.column = column;
        yaml_event_delete(&ev);
        return true;
      }
      case YAML_SCALAR_EVENT: {
        std::string_view text(reinterpret_cast<const char*>(ev.data.scalar.value),
                              ev.data.scalar.length);
        const bool plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
                           ev.data.scalar.style == YAML_ANY_SCALAR_STYLE;
        const bool tagged_str =
            ev.data.scalar.tag != nullptr &&
            std::string_view(reinterpret_cast<const char*>(ev.data.scalar.tag)) ==
                "tag:yaml.org,2002:str";
        if (plain && !tagged_str && plain_null(text)) {
          out.k = ynode::kind::null;
        } else {
          out.k = ynode::kind::scalar;
          out.text = std::string(text);
          out.quoted = !plain || tagged_str;
        }
        remember(ev.data.scalar.anchor, out);
        yaml_event_delete(&ev);
        return true;
      }
      case YAML_SEQUENCE_START_EVENT: {
        out.k = ynode::kind::sequence;
        yaml_char_t* anchor = ev.data.sequence_start.anchor;
        std::string anchor_name = anchor ? reinterpret_cast<const char*>(anchor) : "";
        yaml_event_delete(&ev);
        while (true) {
          yaml_event_t child;
          if (!next(child)) return false;
          if (child.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&child);
            break;
          }
          ynode item;
          if (!node(child, item, depth + 1)) return false;
          out.items.push_back(std::move(item));
        }
        if (!anchor_name.empty()) anchors_[anchor_name] = out;
        return true;
      }
      case YAML_MAPPING_START_EVENT: {
        out.k = ynode::kind::mapping;
        yaml_char_t* anchor = ev.data.mapping_start.anchor;
        std::string anchor_name = anchor ? reinterpret_cast<const char*>(anchor) : "";
        yaml_event_delete(&ev);
        while (true) {
          yaml_event_t key_ev;
          if (!next(key_ev)) return false;
          if (key_ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key_ev);
            break;
          }
          ynode key;
          if (!node(key_ev, key, depth + 1)) return false;
          yaml_event_t value_ev;
          if (!next(value_ev)) return false;
          ynode value;
          if (!node(value_ev, value, depth + 1)) return false;
          if (value.is_null() && value.line == 0) value.line = key.line;
          // YAML merge key (<<: *anchor) as used in hand-written pipelines.
          if (key.is_scalar() && !key.quoted && key.text == "<<" && value.is_mapping()) {
            for (auto& e : value.entries) {
              if (out.get(e.first.text) == nullptr) out.entries.push_back(e);
            }
            continue;
          }
          out.entries.push_back({std::move(key), std::move(value)});
        }
        if (!anchor_name.empty()) anchors_[anchor_name] = out;
        return true;
      }
      default: {
        bool r = fail(ev, "unexpected YAML event");
        yaml_event_delete(&ev);
        return r;
      }
    }
  }

  void remember(yaml_char_t* anchor, const ynode& n) {
    if (anchor != nullptr) anchors_[reinterpret_cast<const char*>(anchor)] = n;
  }

  yaml_parser_t& parser_;
  bool failed_ = false;
  std::string custom_;
  std::uint32_t custom_line_ = 0;
  std::uint32_t custom_column_ = 0;
  std::map<std::string, ynode> anchors_;
};

}  // namespace

bool ynode::is_plain_bool() const { return as_bool().has_value(); }

std::optional<bool> ynode::as_bool() const {
  if (k != kind::scalar || quoted) return std::nullopt;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

bool ynode::is_plain_number() const {
  if (k != kind::scalar || quoted || text.empty()) return false;
  double d = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  return ec == std::errc() && p == text.data() + text.size();
}

const ynode* ynode::get(std::string_view key) const {
  if (k != kind::mapping) return nullptr;
  for (const auto& [kn, v] : entries)
    if (kn.k == kind::scalar && kn.text == key) return &v;
  return nullptr;
}

std::string_view ynode::get_text(std::string_view key) const {
  const ynode* n = get(key);
  return n != nullptr && n->is_scalar() ? std::string_view(n->text) : std::string_view();
}

tl::expected<std::vector<ynode>, yaml_error> parse_yaml(std::string_view text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    return tl::unexpected(yaml_error{0, 0, "cannot initialise the YAML parser"});
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  builder b(parser);
  auto r = b.run();
  yaml_parser_delete(&parser);
  return r;
}

tl::expected<std::vector<ynode>, yaml_error> parse_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected(yaml_error{0, 0, "cannot open file"});
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return tl::unexpected(yaml_error{0, 0, "cannot read file"});
  return parse_yaml(ss.str());
}

}  // namespace mamori::sigma
