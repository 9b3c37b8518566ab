#pragma once
// Time zones for `when: hours` conditions. libstdc++ 12 has no std::chrono::locate_zone, so
// this reads the system's TZif files (RFC 8536, /usr/share/zoneinfo from Debian's tzdata;
// TZDIR overrides) once at policy compile time: transitions, then the POSIX TZ footer rule
// (e.g. "CET-1CEST,M3.5.0,M10.5.0/3") for instants after the last transition. Lookups are
// a binary search, no locks, no allocation.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.hpp"

namespace mamori::authz {

class time_zone {
 public:
  // "UTC", "Z", fixed offsets "+09:00" / "-05:30", or an IANA name ("Asia/Tokyo").
  static result<std::shared_ptr<const time_zone>> load(std::string_view name);
  // Parses TZif bytes (tests, and TZDIR-less systems).
  static result<std::shared_ptr<const time_zone>> from_tzif(std::string name,
                                                            std::string_view bytes);

  // Seconds east of UTC in effect at the UTC instant (seconds since the epoch).
  std::int32_t offset_at(std::int64_t utc_seconds) const;
  const std::string& name() const { return name_; }

  struct posix_rule {
    // Day rule: kind 'M' (month.week.day), 'J' (Julian 1..365, no Feb 29), 'N' (0..365).
    char kind = 'M';
    int month = 0, week = 0, day = 0;
    std::int32_t time = 7200;  // local seconds after midnight (may be negative or > 24h)
  };
  struct posix_tz {
    std::int32_t std_offset = 0;  // seconds east of UTC
    std::int32_t dst_offset = 0;
    bool has_dst = false;
    posix_rule start, end;
  };
  // "CET-1CEST,M3.5.0,M10.5.0/3", "JST-9", "<+0330>-3:30": offsets in POSIX sign (west > 0).
  static result<posix_tz> parse_posix(std::string_view spec);

 private:
  std::string name_;
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::int32_t> offsets_;      // offset in effect from transitions_[i]
  std::int32_t initial_offset_ = 0;        // before the first transition
  bool has_footer_ = false;
  posix_tz footer_;
};

// Proleptic Gregorian civil date from days since 1970-01-01 (H. Hinnant's civil_from_days).
void civil_from_days(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d);

}  // namespace mamori::authz
