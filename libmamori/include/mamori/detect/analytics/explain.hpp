#pragma once
// Formatting for explanations (one sentence a Tier 1 analyst can verify: places, times,
// distances, baselines) and evidence objects (JSON) of analytics findings.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/detect/analytics/context.hpp"

namespace mamori::analytics {

// Great-circle distance (haversine, mean Earth radius 6371.0088 km).
double distance_km(double lat1, double lon1, double lat2, double lon2);

std::string clock_time(std::int64_t ns);  // "09:02:11 UTC"
std::string date_time(std::int64_t ns);   // "2026-06-03 09:02:11 UTC"
std::string span_text(std::int64_t ns);   // "0.2 s", "38 min", "2 h 05 min", "3 d"
std::string thousands(double v);          // 18500 → "18,500"
std::string bytes_text(std::uint64_t b);  // "1.2 GB"
// "Tokyo, JP (AS2516)"; falls back to the address when there is no location.
std::string place(std::string_view city, std::string_view country, std::uint32_t asn,
                  std::string_view ip);
std::string place(const observation& o);
// The attribution sentence for geo results (DB-IP licence), or "" if no DB-IP data was used.
std::string geo_footer(std::string_view provider_a, std::string_view provider_b = {});

// A small JSON object writer for evidence.
class json_object {
 public:
  json_object& str(std::string_view key, std::string_view v);
  json_object& num(std::string_view key, double v);
  json_object& integer(std::string_view key, std::int64_t v);
  json_object& boolean(std::string_view key, bool v);
  json_object& raw(std::string_view key, std::string_view json);  // pre-rendered value
  json_object& strings(std::string_view key, const std::vector<std::string>& v);
  std::string done() const { return out_ + "}"; }

 private:
  void key(std::string_view k);
  std::string out_ = "{";
};

// "[ref,ref,...]" of up to `max` events (the first max/2 and the last max/2 when longer).
std::string refs_json(const std::vector<event_ref>& refs, std::size_t max = 20);

}  // namespace mamori::analytics
