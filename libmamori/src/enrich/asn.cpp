#include "mamori/enrich/asn.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "mamori/event/event.hpp"

namespace mamori {

namespace {

// Splits one CSV line into at most 4 fields, honouring "quoted, fields" with "" escapes.
std::size_t split_csv(std::string_view line, std::string_view* out, std::string* quoted) {
  std::size_t n = 0;
  std::size_t i = 0;
  while (n < 4 && i <= line.size()) {
    if (i < line.size() && line[i] == '"') {
      quoted->clear();
      ++i;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            quoted->push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        quoted->push_back(line[i++]);
      }
      out[n++] = *quoted;
      if (i < line.size() && line[i] == ',') ++i;
      if (i >= line.size()) break;
      continue;
    }
    std::size_t comma = line.find(',', i);
    if (comma == std::string_view::npos || n == 3) {
      out[n++] = line.substr(i);
      break;
    }
    out[n++] = line.substr(i, comma - i);
    i = comma + 1;
  }
  return n;
}

}  // namespace

result<void> asn_database::add_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(path + ": cannot open ASN ranges");
  std::unordered_map<std::string, std::uint32_t> name_index;
  for (std::uint32_t k = 0; k < names_.size(); ++k) name_index.emplace(names_[k], k);
  std::string line;
  std::string quoted;
  std::string_view f[4];
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (split_csv(line, f, &quoted) < 3) {
      ++bad_lines_;
      continue;
    }
    auto first = ip_address::parse(f[0]);
    auto last = ip_address::parse(f[1]);
    std::uint32_t number = 0;
    auto [ptr, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), number);
    if (!first || !last || ec != std::errc() || first->value > last->value) {
      ++bad_lines_;
      continue;
    }
    std::string name = f[3].data() != nullptr ? std::string(f[3]) : std::string();
    auto [it, inserted] = name_index.emplace(name, static_cast<std::uint32_t>(names_.size()));
    if (inserted) names_.push_back(name);
    table_.add(first->value, last->value, entry{number, it->second});
  }
  return {};
}

result<std::unique_ptr<asn_database>> asn_database::open_dir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return fail(dir + ": no such directory");
  auto db = std::make_unique<asn_database>();
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string fname = entry.path().filename().string();
    if (entry.path().extension() != ".csv" || fname.find("asn") == std::string::npos ||
        fname.find("-num") != std::string::npos) {
      continue;
    }
    if (auto r = db->add_csv(entry.path().string()); !r) return tl::unexpected(r.error());
    ++files;
  }
  if (files == 0) return fail(dir + ": no asn-ipv4.csv / asn-ipv6.csv");
  db->build();
  return db;
}

std::optional<asn_info> asn_database::lookup(const ip_address& a) const {
  const entry* e = table_.find(a);
  if (e == nullptr) return std::nullopt;
  return asn_info{e->number, names_[e->name]};
}

void asn_enricher::enrich(event_batch& batch) {
  for (event& e : batch.events()) {
    if (e.get(ocsf::attr::src_asn) != nullptr) continue;
    auto ip = event_src_ip(e);
    if (!ip || ip->is_internal()) continue;
    const auto& info = cache_.get(*ip, [&](const ip_address& a) { return db_->lookup(a); });
    if (!info) continue;
    e.set(ocsf::attr::src_asn, value::integer(info->number));
    if (!info->name.empty()) e.set(ocsf::attr::src_as_name, value::string(batch.store(info->name)));
  }
}

}  // namespace mamori
