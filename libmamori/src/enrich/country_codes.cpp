#include "mamori/enrich/country_codes.hpp"

#include <simdjson.h>

#include <cctype>

#include "mamori/event/event.hpp"

namespace mamori {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

result<std::unique_ptr<country_codes>> country_codes::load(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(path).get(doc)) return fail(path + ": cannot read the ISO 3166-1 table");
  simdjson::dom::array list;
  if (doc["3166-1"].get(list)) return fail(path + ": no \"3166-1\" list");
  auto t = std::make_unique<country_codes>();
  for (auto c : list) {
    std::string_view code;
    if (c["alpha_2"].get(code) || code.size() != 2) continue;
    t->by_name_.emplace(lower(code), std::string(code));
    for (const char* key : {"name", "common_name", "official_name", "alpha_3"}) {
      std::string_view v;
      if (!c[key].get(v)) t->by_name_.emplace(lower(v), std::string(code));
    }
  }
  if (t->by_name_.empty()) return fail(path + ": empty ISO 3166-1 table");
  // Everyday spellings the standard does not carry.
  static constexpr std::pair<const char*, const char*> aliases[] = {
      {"usa", "US"},
      {"united states of america", "US"},
      {"uk", "GB"},
      {"great britain", "GB"},
      {"england", "GB"},
      {"russia", "RU"},
      {"south korea", "KR"},
      {"korea", "KR"},
      {"north korea", "KP"},
      {"turkey", "TR"},
      {"czech republic", "CZ"},
      {"iran", "IR"},
      {"vietnam", "VN"},
      {"laos", "LA"},
      {"syria", "SY"},
      {"bolivia", "BO"},
      {"venezuela", "VE"},
      {"tanzania", "TZ"},
      {"moldova", "MD"},
      {"macedonia", "MK"},
      {"ivory coast", "CI"},
      {"hong kong", "HK"},
      {"macau", "MO"},
      {"palestine", "PS"}};
  for (auto [name, code] : aliases) t->by_name_.emplace(name, code);
  return t;
}

std::string_view country_codes::code(std::string_view name) const {
  auto it = by_name_.find(lower(name));
  return it == by_name_.end() ? std::string_view() : std::string_view(it->second);
}

void country_code_enricher::enrich(event_batch& batch) {
  for (event& e : batch.events()) {
    std::string_view c = e.get_string(ocsf::attr::src_country);
    if (c.empty()) continue;
    if (c.size() == 2 && std::isupper(static_cast<unsigned char>(c[0])) &&
        std::isupper(static_cast<unsigned char>(c[1]))) {
      continue;
    }
    std::string_view code = table_->code(c);
    if (!code.empty()) e.set(ocsf::attr::src_country, value::string(code));
  }
}

}  // namespace mamori
