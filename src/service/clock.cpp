#include "service/clock.hpp"

#include <fmt/format.h>

namespace juwei::service {

Clock system_clock() {
  return [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); };
}

Clock fixed_clock(TimePoint at) {
  return [at] { return at; };
}

std::string iso_utc(TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

domain::Date local_date(TimePoint t, std::chrono::minutes utc_offset) {
  return domain::Date{std::chrono::floor<std::chrono::days>(t + utc_offset)};
}

}  // namespace juwei::service
