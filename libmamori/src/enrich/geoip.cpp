#include "mamori/enrich/geoip.hpp"

#include <maxminddb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "mamori/event/event.hpp"

namespace mamori {

struct geoip_database::handle {
  MMDB_s mmdb{};
  bool v6 = false;  // the file's tree holds IPv6 (IPv4 then lives under ::ffff:0:0/96)
  ~handle() { MMDB_close(&mmdb); }
};

geoip_database::geoip_database() = default;
geoip_database::~geoip_database() = default;

namespace {

std::optional<std::string> get_string(MMDB_entry_s& entry,
                                      std::initializer_list<const char*> path) {
  std::vector<const char*> p(path);
  p.push_back(nullptr);
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, p.data()) != MMDB_SUCCESS || !data.has_data) {
    return std::nullopt;
  }
  if (data.type != MMDB_DATA_TYPE_UTF8_STRING) return std::nullopt;
  return std::string(data.utf8_string, data.data_size);
}

std::optional<double> get_number(MMDB_entry_s& entry, std::initializer_list<const char*> path) {
  std::vector<const char*> p(path);
  p.push_back(nullptr);
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, p.data()) != MMDB_SUCCESS || !data.has_data) {
    return std::nullopt;
  }
  switch (data.type) {
    case MMDB_DATA_TYPE_DOUBLE:
      return data.double_value;
    case MMDB_DATA_TYPE_FLOAT:
      return data.float_value;
    case MMDB_DATA_TYPE_UINT16:
      return data.uint16;
    case MMDB_DATA_TYPE_UINT32:
      return data.uint32;
    case MMDB_DATA_TYPE_INT32:
      return data.int32;
    case MMDB_DATA_TYPE_UTF8_STRING: {
      std::string s(data.utf8_string, data.data_size);
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (end == s.c_str()) return std::nullopt;
      return v;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

result<void> geoip_database::add_file(const std::string& path) {
  auto h = std::make_unique<handle>();
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &h->mmdb);
  if (status != MMDB_SUCCESS) {
    return fail(path + ": cannot open GeoIP database: " + MMDB_strerror(status));
  }
  h->v6 = h->mmdb.metadata.ip_version == 6;
  std::string type =
      h->mmdb.metadata.database_type != nullptr ? h->mmdb.metadata.database_type : "";
  if (provider_.empty()) {
    provider_ = type.find("GeoLite") != std::string::npos || type.find("GeoIP") != std::string::npos
                    ? "MaxMind"
                    : "DB-IP";
  }
  handles_.push_back(std::move(h));
  files_.push_back(path);
  return {};
}

result<std::unique_ptr<geoip_database>> geoip_database::open_dir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return fail(dir + ": no such directory");
  std::vector<std::string> all;
  std::vector<std::string> city;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string p = entry.path().string();
    if (entry.path().extension() != ".mmdb") continue;
    all.push_back(p);
    if (entry.path().filename().string().find("city") != std::string::npos) city.push_back(p);
  }
  std::vector<std::string>& chosen = city.empty() ? all : city;
  if (chosen.empty()) return fail(dir + ": no .mmdb file");
  // IPv4 files first: they answer IPv4 addresses without the mapped-subtree detour.
  std::sort(chosen.begin(), chosen.end(), [](const std::string& a, const std::string& b) {
    const bool a4 = a.find("ipv4") != std::string::npos;
    const bool b4 = b.find("ipv4") != std::string::npos;
    if (a4 != b4) return a4;
    return a < b;
  });
  auto db = std::make_unique<geoip_database>();
  for (const auto& p : chosen) {
    if (auto r = db->add_file(p); !r) return tl::unexpected(r.error());
  }
  return db;
}

std::optional<geo_location> geoip_database::lookup(const ip_address& a) const {
  if (a.is_internal()) return std::nullopt;
  sockaddr_storage ss{};
  if (a.v4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(a.v4_value());
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    uint128 v = a.value;
    for (int k = 15; k >= 0; --k) {
      sin6->sin6_addr.s6_addr[k] = static_cast<unsigned char>(v & 0xff);
      v >>= 8;
    }
  }
  for (const auto& h : handles_) {
    if (!a.v4 && !h->v6) continue;  // an IPv4-only tree cannot answer an IPv6 address
    int err = 0;
    MMDB_lookup_result_s res =
        MMDB_lookup_sockaddr(&h->mmdb, reinterpret_cast<const sockaddr*>(&ss), &err);
    if (err != MMDB_SUCCESS || !res.found_entry) continue;
    geo_location g;
    if (auto c = get_string(res.entry, {"country_code"})) {
      g.country = *c;  // ip-location-db flat layout
      g.region = get_string(res.entry, {"state1"}).value_or("");
      g.city = get_string(res.entry, {"city"}).value_or("");
      auto lat = get_number(res.entry, {"latitude"});
      auto lon = get_number(res.entry, {"longitude"});
      if (lat && lon) {
        g.lat = *lat;
        g.lon = *lon;
        g.has_coordinates = true;
      }
    } else {
      g.country = get_string(res.entry, {"country", "iso_code"}).value_or("");  // MaxMind
      g.region = get_string(res.entry, {"subdivisions", "0", "names", "en"}).value_or("");
      g.city = get_string(res.entry, {"city", "names", "en"}).value_or("");
      auto lat = get_number(res.entry, {"location", "latitude"});
      auto lon = get_number(res.entry, {"location", "longitude"});
      if (lat && lon) {
        g.lat = *lat;
        g.lon = *lon;
        g.has_coordinates = true;
      }
      if (auto acc = get_number(res.entry, {"location", "accuracy_radius"})) {
        g.accuracy_km = static_cast<std::uint32_t>(*acc);
      }
    }
    if (g.country.empty() && !g.has_coordinates) continue;
    return g;
  }
  return std::nullopt;
}

void geoip_enricher::enrich(event_batch& batch) {
  for (event& e : batch.events()) {
    if (e.get(ocsf::attr::src_lat) != nullptr) continue;  // the source's own geo wins
    auto ip = event_src_ip(e);
    if (!ip) continue;
    const auto& geo = cache_.get(*ip, [&](const ip_address& a) { return db_->lookup(a); });
    if (!geo) continue;
    const std::string_view given_country = e.get_string(ocsf::attr::src_country);
    if (!given_country.empty() && given_country != geo->country) continue;
    if (given_country.empty() && !geo->country.empty()) {
      e.set(ocsf::attr::src_country, value::string(batch.store(geo->country)));
    }
    if (!geo->region.empty() && e.get(ocsf::attr::src_region) == nullptr) {
      e.set(ocsf::attr::src_region, value::string(batch.store(geo->region)));
    }
    if (!geo->city.empty() && e.get(ocsf::attr::src_city) == nullptr) {
      e.set(ocsf::attr::src_city, value::string(batch.store(geo->city)));
    }
    if (geo->has_coordinates) {
      e.set(ocsf::attr::src_lat, value::real(geo->lat));
      e.set(ocsf::attr::src_long, value::real(geo->lon));
    }
    if (geo->accuracy_km > 0) {
      e.set(ocsf::attr::src_geo_accuracy, value::integer(geo->accuracy_km));
    }
    e.set(ocsf::attr::src_geo_provider,
          value::string(db_->provider() == "MaxMind" ? "MaxMind" : "DB-IP"));
  }
}

std::string default_geoip_dir() {
  if (const char* d = std::getenv("MAMORI_GEOIP_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != '\0') {
    return std::string(x) + "/mamori/geoip";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return std::string(h) + "/.cache/mamori/geoip";
  }
  return {};
}

}  // namespace mamori
