#include "service/clock.hpp"

#include <fmt/format.h>

#include "domain/exit.hpp"

namespace juwei::service {

Clock system_clock() {
  return [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); };
}

Clock fixed_clock(TimePoint at) {
  return [at] { return at; };
}

std::string iso_utc(TimePoint t) {
  std::string out;
  assign_iso_utc(out, t);
  return out;
}

void assign_iso_utc(std::string& out, TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // no longer YYYY: let fmt pad and sign it
    out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year,
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      hms.hours().count(), hms.minutes().count(), hms.seconds().count());
    return;
  }
  // Formatted by hand: this runs once per row of a lab's results file.
  out.assign("0000-00-00T00:00:00Z");
  const auto put = [&](std::size_t at, std::size_t digits, long long value) {
    for (std::size_t i = at + digits; i > at; --i, value /= 10)
      out[i - 1] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, year);
  put(5, 2, static_cast<unsigned>(ymd.month()));
  put(8, 2, static_cast<unsigned>(ymd.day()));
  put(11, 2, hms.hours().count());
  put(14, 2, hms.minutes().count());
  put(17, 2, hms.seconds().count());
}

domain::Date local_date(TimePoint t, std::chrono::minutes utc_offset) {
  return domain::Date{std::chrono::floor<std::chrono::days>(t + utc_offset)};
}

std::optional<TimePoint> parse_iso_utc(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SSZ, exactly.
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const auto y = number(0, 4), mo = number(5, 2), d = number(8, 2);
  const auto h = number(11, 2), mi = number(14, 2), s = number(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*y},
                                         std::chrono::month{static_cast<unsigned>(*mo)},
                                         std::chrono::day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{*h} + std::chrono::minutes{*mi} +
         std::chrono::seconds{*s};
}

std::optional<TimePoint> parse_time(std::string_view text, std::chrono::minutes local_offset) {
  // YYYY-MM-DD[T ]HH:MM[:SS][Z|±HH:MM|±HHMM], '/' allowed for '-' in the date.
  std::size_t i = 0;
  auto number = [&](std::size_t n) -> std::optional<int> {
    if (i + n > text.size()) return std::nullopt;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char ch = text[i + k];
      if (ch < '0' || ch > '9') return std::nullopt;
      v = v * 10 + (ch - '0');
    }
    i += n;
    return v;
  };
  auto take = [&](std::string_view any_of) {
    if (i < text.size() && any_of.find(text[i]) != std::string_view::npos) {
      ++i;
      return true;
    }
    return false;
  };
  const auto y = number(4);
  if (!y || !take("-/")) return std::nullopt;
  const auto mo = number(2);
  if (!mo || !take("-/")) return std::nullopt;
  const auto d = number(2);
  if (!d || !take("T ")) return std::nullopt;
  const auto h = number(2);
  if (!h || !take(":")) return std::nullopt;
  const auto mi = number(2);
  if (!mi) return std::nullopt;
  int sec = 0;
  if (take(":")) {
    const auto s = number(2);
    if (!s) return std::nullopt;
    sec = *s;
  }
  std::chrono::minutes offset = local_offset;
  if (take("Z")) {
    offset = std::chrono::minutes{0};
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const int sign = text[i] == '-' ? -1 : 1;
    ++i;
    const auto oh = number(2);
    if (!oh) return std::nullopt;
    take(":");
    const auto om = number(2);
    if (!om || *oh > 14 || *om > 59) return std::nullopt;
    offset = std::chrono::minutes{sign * (*oh * 60 + *om)};
  }
  if (i != text.size() || *h > 23 || *mi > 59 || sec > 59) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*y},
                                         std::chrono::month{static_cast<unsigned>(*mo)},
                                         std::chrono::day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{*h} + std::chrono::minutes{*mi} +
         std::chrono::seconds{sec} - offset;
}

std::string local_time_of(std::string_view iso) {
  const auto t = parse_iso_utc(iso);
  return t ? domain::local_date_time(*t, kShanghaiOffset) : std::string(iso);
}

std::string local_day_of(std::string_view iso) {
  const auto t = parse_iso_utc(iso);
  return t ? domain::format_date(local_date(*t)) : std::string(iso);
}

}  // namespace juwei::service
