// The clock seam: services read time only through a Clock, so tests can fix it. Times are
// kept in UTC; a community's calendar day is computed with its UTC offset (Asia/Shanghai is
// UTC+8 all year: China has no daylight saving time).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "domain/registry.hpp"

namespace juwei::service {

using TimePoint = std::chrono::sys_seconds;
using Clock = std::function<TimePoint()>;

Clock system_clock();
Clock fixed_clock(TimePoint at);

// "2022-04-04T02:00:00Z"
std::string iso_utc(TimePoint t);
// iso_utc(t) into `out`, reusing its buffer (for loops that format a time per row).
void assign_iso_utc(std::string& out, TimePoint t);
// The inverse of iso_utc; nullopt for any other shape or an impossible date or time.
std::optional<TimePoint> parse_iso_utc(std::string_view text);

inline constexpr std::chrono::minutes kShanghaiOffset{8 * 60};

// A time as people and labs write it: ISO-8601 with "Z" or an offset ("2022-04-05T10:00:00+08:00"),
// or a local time without one ("2022-04-05 10:00", "2022/04/05 10:00:00", "…T10:00"), read in
// the zone of `local_offset`. Seconds are optional. nullopt for anything else.
std::optional<TimePoint> parse_time(std::string_view text,
                                    std::chrono::minutes local_offset = kShanghaiOffset);

// The calendar day at t in a zone of the given UTC offset.
domain::Date local_date(TimePoint t, std::chrono::minutes utc_offset = kShanghaiOffset);

// An ISO-8601 UTC time as the committee reads it, in Shanghai time: "2022-04-05 10:00", and
// its day "2022-04-05"; the text as given when it is no such time.
std::string local_time_of(std::string_view iso);
std::string local_day_of(std::string_view iso);

}  // namespace juwei::service
