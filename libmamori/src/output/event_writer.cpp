#include "mamori/output/event_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori {

namespace {

constexpr std::string_view ocsf_version = "1.3.0";

struct entry {
  std::string_view path;
  const value* v = nullptr;
  std::string_view raw_json;  // pre-rendered JSON (arrays), used when v is null
};

std::string_view segment(std::string_view path, std::size_t depth) {
  for (std::size_t k = 0; k < depth; ++k) {
    std::size_t dot = path.find('.');
    if (dot == std::string_view::npos) return {};
    path.remove_prefix(dot + 1);
  }
  return path.substr(0, path.find('.'));
}

std::size_t depth_of(std::string_view path) {
  return std::count(path.begin(), path.end(), '.');
}

// Emits sorted dotted paths as nested objects. Lexicographic order keeps every prefix group
// contiguous, so one pass with a stack of open objects suffices.
void emit_nested(std::string& out, std::vector<entry>& entries) {
  std::sort(entries.begin(), entries.end(),
            [](const entry& a, const entry& b) { return a.path < b.path; });
  std::vector<std::string_view> open;  // names of open objects below the root
  bool first_in_object = true;
  for (const entry& e : entries) {
    const std::size_t depth = depth_of(e.path);
    // Close objects that are not a prefix of this path.
    std::size_t common = 0;
    while (common < open.size() && common < depth && segment(e.path, common) == open[common]) {
      ++common;
    }
    while (open.size() > common) {
      out += '}';
      open.pop_back();
      first_in_object = false;
    }
    for (std::size_t k = open.size(); k < depth; ++k) {
      if (!first_in_object) out += ',';
      json_text::append_string(out, segment(e.path, k));
      out += ":{";
      open.push_back(segment(e.path, k));
      first_in_object = true;
    }
    if (!first_in_object) out += ',';
    json_text::append_string(out, segment(e.path, depth));
    out += ':';
    if (e.v != nullptr) {
      json_text::append_value(out, *e.v);
    } else {
      out += e.raw_json;
    }
    first_in_object = false;
  }
  while (!open.empty()) {
    out += '}';
    open.pop_back();
  }
}

}  // namespace

void append_event_json(std::string& out, const event& e, std::string_view decoder_name) {
  auto& registry = field_registry::global();
  const auto cls = static_cast<std::uint32_t>(e.class_uid);
  const std::uint16_t cat = ocsf::category_of(e.class_uid);
  fmt::format_to(std::back_inserter(out),
                 "{{\"class_uid\":{},\"class_name\":\"{}\",\"category_uid\":{},"
                 "\"category_name\":\"{}\",\"activity_id\":{},\"type_uid\":{},",
                 cls, ocsf::class_name(e.class_uid), cat, ocsf::category_name(cat), e.activity_id,
                 e.type_uid());
  if (e.time_ns != 0) {
    fmt::format_to(std::back_inserter(out), "\"time\":{},\"time_dt\":\"{}\",",
                   e.time_ns / 1'000'000, timeparse::format_rfc3339(e.time_ns));
  }
  fmt::format_to(std::back_inserter(out), "\"severity_id\":{},\"status_id\":{},\"status\":\"{}\",",
                 static_cast<int>(e.severity), static_cast<int>(e.status),
                 ocsf::status_name(e.status));
  if (e.get(ocsf::attr::severity) == nullptr) {
    fmt::format_to(std::back_inserter(out), "\"severity\":\"{}\",",
                   ocsf::severity_name(e.severity));
  }

  // Normalized attributes, plus metadata the pipeline knows.
  std::vector<entry> entries;
  entries.reserve(e.fields.size() + 6);
  std::string hashes;
  for (const auto& f : e.fields) {
    if (f.origin != field_origin::normalized) continue;
    if (f.id == ocsf::id(ocsf::attr::status)) continue;  // rendered from status_id above
    if (f.id == ocsf::id(ocsf::attr::file_md5) || f.id == ocsf::id(ocsf::attr::file_sha1) ||
        f.id == ocsf::id(ocsf::attr::file_sha256)) {
      // OCSF fingerprint objects: algorithm_id 1 = MD5, 2 = SHA-1, 3 = SHA-256.
      const int alg = f.id == ocsf::id(ocsf::attr::file_md5)    ? 1
                      : f.id == ocsf::id(ocsf::attr::file_sha1) ? 2
                                                                : 3;
      hashes += hashes.empty() ? "[" : ",";
      fmt::format_to(std::back_inserter(hashes), "{{\"algorithm_id\":{},\"value\":", alg);
      json_text::append_value(hashes, f.v);
      hashes += '}';
      continue;
    }
    entries.push_back({registry.name(f.id), &f.v, {}});
  }
  if (!hashes.empty()) {
    hashes += ']';
    entries.push_back({"file.hashes", nullptr, hashes});
  }
  const value version = value::string(ocsf_version);
  const value product_name = value::string("mamori");
  const value log_source = value::string(source_table::global().path(e.source));
  const value log_format = value::string(decoder_name);
  const value sequence = value::integer(static_cast<std::int64_t>(e.line));
  const value log_offset = value::integer(static_cast<std::int64_t>(e.offset));
  entries.push_back({"metadata.version", &version, {}});
  if (e.get(ocsf::attr::metadata_product) == nullptr) {
    entries.push_back({"metadata.product.name", &product_name, {}});
  }
  entries.push_back({"metadata.log_source", &log_source, {}});
  entries.push_back({"metadata.log_format", &log_format, {}});
  if (e.line > 0) entries.push_back({"metadata.sequence", &sequence, {}});
  entries.push_back({"metadata.log_offset", &log_offset, {}});
  emit_nested(out, entries);

  // Source fields under their own names, in the record's order; a repeated name becomes an
  // array at the place of its first occurrence. A per-thread stamp table (indexed by field id)
  // marks names already written, so this stays linear in the number of fields.
  thread_local std::vector<std::uint32_t> stamps;
  thread_local std::uint32_t generation = 0;
  if (++generation == 0) {
    std::fill(stamps.begin(), stamps.end(), 0);
    generation = 1;
  }
  bool first_raw = true;
  for (std::size_t k = 0; k < e.fields.size(); ++k) {
    const field& f = e.fields[k];
    if (f.origin != field_origin::raw) continue;
    if (f.id >= stamps.size()) stamps.resize(f.id + 1024, 0);
    if (stamps[f.id] == generation) continue;
    stamps[f.id] = generation;
    out += first_raw ? ",\"unmapped\":{" : ",";
    first_raw = false;
    json_text::append_string(out, registry.name(f.id));
    out += ':';
    std::size_t repeats = 0;
    for (std::size_t m = k + 1; m < e.fields.size(); ++m)
      if (e.fields[m].id == f.id && e.fields[m].origin == field_origin::raw) ++repeats;
    if (repeats == 0) {
      json_text::append_value(out, f.v);
      continue;
    }
    out += '[';
    json_text::append_value(out, f.v);
    for (std::size_t m = k + 1; m < e.fields.size(); ++m) {
      if (e.fields[m].id != f.id || e.fields[m].origin != field_origin::raw) continue;
      out += ',';
      json_text::append_value(out, e.fields[m].v);
    }
    out += ']';
  }
  if (!first_raw) out += '}';
  out += '}';
}

}  // namespace mamori
