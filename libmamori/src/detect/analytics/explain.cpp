#include "mamori/detect/analytics/explain.hpp"

#include <fmt/format.h>

#include <cmath>

#include "mamori/enrich/geoip.hpp"
#include "mamori/event/time.hpp"
#include "mamori/output/json_text.hpp"

namespace mamori::analytics {

double distance_km(double lat1, double lon1, double lat2, double lon2) {
  constexpr double r = 6371.0088;
  constexpr double rad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * rad;
  const double dlon = (lon2 - lon1) * rad;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * rad) * std::cos(lat2 * rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * r * std::asin(std::min(1.0, std::sqrt(a)));
}

std::string clock_time(std::int64_t ns) {
  const std::string t = timeparse::format_rfc3339(ns);  // 2026-06-03T09:02:11[.fff]Z
  return t.size() >= 19 ? t.substr(11, 8) + " UTC" : t;
}

std::string date_time(std::int64_t ns) {
  const std::string t = timeparse::format_rfc3339(ns);
  return t.size() >= 19 ? t.substr(0, 10) + " " + t.substr(11, 8) + " UTC" : t;
}

std::string span_text(std::int64_t ns) {
  const double s = static_cast<double>(ns) / 1e9;
  if (s < 0.1) return fmt::format("{:.0f} ms", s * 1000);
  if (s < 10) return fmt::format("{:.1f} s", s);
  if (s < 120) return fmt::format("{:.0f} s", s);
  const auto minutes = static_cast<std::int64_t>(s / 60);
  if (minutes < 120) return fmt::format("{} min", minutes);
  const std::int64_t hours = minutes / 60;
  if (hours < 48) return fmt::format("{} h {:02d} min", hours, minutes % 60);
  return fmt::format("{} d {} h", hours / 24, hours % 24);
}

std::string thousands(double v) {
  auto n = static_cast<long long>(std::llround(v));
  const bool neg = n < 0;
  if (neg) n = -n;
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return neg ? "-" + out : out;
}

std::string bytes_text(std::uint64_t b) {
  const double v = static_cast<double>(b);
  if (v >= 1e9) return fmt::format("{:.1f} GB", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.1f} MB", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.0f} KB", v / 1e3);
  return fmt::format("{} B", b);
}

std::string place(std::string_view city, std::string_view country, std::uint32_t asn,
                  std::string_view ip) {
  std::string out;
  if (!city.empty()) out += city;
  if (!country.empty()) {
    if (!out.empty()) out += ", ";
    out += country;
  }
  if (out.empty()) out = ip.empty() ? "an unknown place" : std::string(ip);
  if (asn != 0) out += fmt::format(" (AS{})", asn);
  return out;
}

std::string place(const observation& o) {
  return place(o.city, o.country, o.asn, o.ip);
}

std::string geo_footer(std::string_view a, std::string_view b) {
  if (a == "DB-IP" || b == "DB-IP") return std::string(" ") + std::string(geoip_attribution) + ".";
  return {};
}

void json_object::key(std::string_view k) {
  if (out_.size() > 1) out_ += ',';
  json_text::append_string(out_, k);
  out_ += ':';
}

json_object& json_object::str(std::string_view k, std::string_view v) {
  key(k);
  json_text::append_string(out_, v);
  return *this;
}

json_object& json_object::num(std::string_view k, double v) {
  key(k);
  if (!std::isfinite(v)) {
    out_ += "null";
  } else {
    fmt::format_to(std::back_inserter(out_), "{}", std::round(v * 1000) / 1000);
  }
  return *this;
}

json_object& json_object::integer(std::string_view k, std::int64_t v) {
  key(k);
  out_ += std::to_string(v);
  return *this;
}

json_object& json_object::boolean(std::string_view k, bool v) {
  key(k);
  out_ += v ? "true" : "false";
  return *this;
}

json_object& json_object::raw(std::string_view k, std::string_view json) {
  key(k);
  out_ += json;
  return *this;
}

json_object& json_object::strings(std::string_view k, const std::vector<std::string>& v) {
  key(k);
  out_ += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out_ += ',';
    json_text::append_string(out_, v[i]);
  }
  out_ += ']';
  return *this;
}

std::string refs_json(const std::vector<event_ref>& refs, std::size_t max) {
  std::string out = "[";
  auto add = [&](const event_ref& r) {
    if (out.size() > 1) out += ',';
    out += ref_json(r);
  };
  if (refs.size() <= max) {
    for (const auto& r : refs) add(r);
  } else {
    for (std::size_t i = 0; i < max / 2; ++i) add(refs[i]);
    for (std::size_t i = refs.size() - max / 2; i < refs.size(); ++i) add(refs[i]);
  }
  out += ']';
  return out;
}

}  // namespace mamori::analytics
