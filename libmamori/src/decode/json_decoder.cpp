#include "mamori/decode/json_decoder.hpp"

#include <fmt/format.h>

#include <memory>
#include <mutex>

namespace mamori {

field_id field_cache::get(std::string_view name) {
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  field_id id = intern_field(name);
  ids_.emplace(std::string(name), id);
  return id;
}

const json_probe& probe_json(const sniff_sample& sample) {
  // Sniffers of every JSON decoder ask for the same sample: parse it once per thread.
  thread_local std::uint64_t cached_id = 0;
  thread_local std::unique_ptr<json_probe> probe;
  if (probe && sample.id != 0 && cached_id == sample.id) return *probe;
  probe = std::make_unique<json_probe>();
  cached_id = sample.id;
  input_reader in(memory_input(std::string(sample.head)));
  json_record_reader records(in, sample.head.size() + 1);
  auto first = records.next();
  probe->layout = records.layout();
  probe->wrapper_key = std::string(records.wrapper_key());
  if (first) {
    auto doc = probe->parser.parse(first->text.data(), first->text.size(), true);
    if (!doc.error()) probe->first = doc.value();
  }
  return *probe;
}

void json_decoder::decode(input_reader& in, decode_context& ctx) {
  json_record_reader records(in, ctx.options().max_record_size);
  auto report_problems = [&] {
    for (auto& p : records.take_problems()) {
      if (p.kind != json_record_reader::problem_kind::truncated) {
        ++ctx.counters().records;
        ctx.reject(p.line, p.offset, std::move(p.reason));
      } else if (!in.stream_error()) {
        // A truncated JSON value after a stream error is the same problem, reported once below.
        ctx.report(severity_level::error, p.line, p.offset, std::move(p.reason),
                   "records before this point were kept");
      }
    }
  };
  while (auto rec = records.next()) {
    report_problems();
    ++ctx.counters().records;
    // The record view is followed by input_reader::padding readable bytes.
    auto doc = parser_.parse(rec->text.data(), rec->text.size(), false);
    if (doc.error()) {
      ctx.reject(rec->line, rec->offset,
                 fmt::format("invalid JSON: {}", simdjson::error_message(doc.error())));
      continue;
    }
    event& ev = ctx.begin_event(rec->line, rec->offset);
    std::optional<std::string> reason;
    try {
      reason = map(doc.value(), ev, ctx);
    } catch (const simdjson::simdjson_error& e) {
      reason = fmt::format("unexpected JSON shape: {}", e.what());
    }
    if (reason) {
      ctx.abandon_event();
      ctx.reject(rec->line, rec->offset, std::move(*reason));
      continue;
    }
    ctx.commit_event();
  }
  report_problems();
  if (in.stream_error()) {
    ctx.report(severity_level::error, 0, in.offset(), *in.stream_error(),
               "records before this point were kept");
  }
}

std::uint32_t field_path_trie::child(std::uint32_t parent, std::string_view key) {
  node& p = nodes_[parent];
  const std::size_t n = p.children.size();
  if (p.hint < n && p.children[p.hint].first == key) {
    return p.children[p.hint++].second;
  }
  for (std::size_t k = 0; k < n; ++k) {
    if (p.children[k].first == key) {
      p.hint = k + 1;
      return p.children[k].second;
    }
  }
  std::string path = p.path.empty() ? std::string(key) : p.path + "." + std::string(key);
  const auto index = static_cast<std::uint32_t>(nodes_.size());
  nodes_[parent].children.emplace_back(std::string(key), index);
  nodes_[parent].hint = nodes_[parent].children.size();
  nodes_.push_back(node{std::move(path), invalid_field, {}, 0});
  return index;
}

field_id field_path_trie::id(std::uint32_t n) {
  node& nd = nodes_[n];
  if (nd.id == invalid_field) nd.id = intern_field(nd.path);
  return nd.id;
}

void json_decoder::flatten(simdjson::dom::element element, event& ev, decode_context& ctx,
                           std::string_view prefix) {
  std::uint32_t node = field_path_trie::root;
  // A prefix ("log", "properties") is a chain of trie nodes, one per dotted segment.
  while (!prefix.empty()) {
    const std::size_t dot = prefix.find('.');
    node = paths_.child(node, prefix.substr(0, dot));
    if (dot == std::string_view::npos) break;
    prefix.remove_prefix(dot + 1);
  }
  flatten_into(element, ev, ctx, node);
}

void json_decoder::flatten_into(simdjson::dom::element element, event& ev, decode_context& ctx,
                                std::uint32_t node) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::OBJECT:
      for (auto [key, child] : element.get_object()) {
        flatten_into(child, ev, ctx, paths_.child(node, key));
      }
      return;
    case element_type::ARRAY:
      for (auto child : element.get_array()) flatten_into(child, ev, ctx, node);
      return;
    default:
      if (node == field_path_trie::root) return;
      ev.add_raw(paths_.id(node), json::to_value(element, ctx));
  }
}

namespace json {

std::optional<simdjson::dom::element> at(simdjson::dom::element e, std::string_view path) {
  while (true) {
    if (!e.is_object()) return std::nullopt;
    std::size_t dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    auto child = e.get_object().at_key(key);
    if (child.error()) return std::nullopt;
    e = child.value();
    if (dot == std::string_view::npos) return e;
    path.remove_prefix(dot + 1);
  }
}

std::optional<std::string_view> str(simdjson::dom::element e, std::string_view path) {
  auto v = at(e, path);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string().value());
}

std::optional<std::int64_t> integer(simdjson::dom::element e, std::string_view path) {
  auto v = at(e, path);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64().value();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64().value());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double().value());
  if (v->is_string()) {
    value tmp = value::string(v->get_string().value());
    return tmp.as_integer();
  }
  return std::nullopt;
}

std::optional<bool> boolean(simdjson::dom::element e, std::string_view path) {
  auto v = at(e, path);
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->get_bool().value();
  if (v->is_string()) {
    std::string_view s = v->get_string().value();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  return std::nullopt;
}

bool has(simdjson::dom::element e, std::string_view key) {
  return e.is_object() && !e.get_object().at_key(key).error();
}

value to_value(simdjson::dom::element e, decode_context& ctx) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::STRING:
      return value::string(ctx.store(e.get_string().value()));
    case element_type::INT64:
      return value::integer(e.get_int64().value());
    case element_type::UINT64:
      return value::integer(static_cast<std::int64_t>(e.get_uint64().value()));
    case element_type::DOUBLE:
      return value::real(e.get_double().value());
    case element_type::BOOL:
      return value::boolean(e.get_bool().value());
    case element_type::NULL_VALUE:
      return value::null();
    default:
      // Objects and arrays as values: keep their JSON text.
      return value::string(ctx.store(simdjson::minify(e)));
  }
}

}  // namespace json

void set_from(event& ev, ocsf::attr a, simdjson::dom::element rec, std::string_view path,
              decode_context& ctx) {
  auto v = json::at(rec, path);
  if (!v || v->is_null()) return;
  if (v->is_string()) {
    std::string_view s = v->get_string().value();
    if (s.empty()) return;
    ev.set(a, value::string(ctx.store(s)));
    return;
  }
  ev.set(a, json::to_value(*v, ctx));
}

}  // namespace mamori
