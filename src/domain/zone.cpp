#include "domain/zone.hpp"

#include <algorithm>
#include <array>

#include "domain/name_table.hpp"

namespace juwei::domain {
namespace {

constexpr std::array kZoneStatuses = {
    Name<ZoneStatus>{ZoneStatus::sealed, "sealed", "封控区"},
    Name<ZoneStatus>{ZoneStatus::controlled, "controlled", "管控区"},
    Name<ZoneStatus>{ZoneStatus::precaution, "precaution", "防范区"},
};

}  // namespace

std::string_view to_code(ZoneStatus s) {
  return code_of(kZoneStatuses, s);
}

std::string_view to_label_zh(ZoneStatus s) {
  return label_of(kZoneStatuses, s);
}

std::optional<ZoneStatus> zone_status_from_code(std::string_view code) {
  return find_by_code(kZoneStatuses, code);
}

ZoneSuggestion suggest_zone_step(ZoneStatus status, Instant since,
                                 std::optional<Instant> last_positive, Instant now,
                                 const ZoneTimers& timers) {
  ZoneSuggestion s;
  int clean_days = 0;
  switch (status) {
    case ZoneStatus::sealed:
      s.next = ZoneStatus::controlled;
      s.rule = kRuleSealedToControlled;
      clean_days = timers.sealed_clean_days;
      break;
    case ZoneStatus::controlled:
      s.next = ZoneStatus::precaution;
      s.rule = kRuleControlledToPrecaution;
      clean_days = timers.controlled_clean_days;
      break;
    case ZoneStatus::precaution:
      return s;
  }
  // Clean days count from the later of entering the status and the last positive.
  const Instant start = last_positive ? std::max(since, *last_positive) : since;
  s.due_at = start + std::chrono::days(clean_days);
  s.due = now >= s.due_at;
  s.remaining = s.due ? std::chrono::seconds(0) : s.due_at - now;
  return s;
}

}  // namespace juwei::domain
