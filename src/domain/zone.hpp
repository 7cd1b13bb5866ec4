// Building status in a lockdown (封控区 / 管控区 / 防范区) and the zone timers that suggest when
// a building may step down. The secretary decides; these functions only suggest. Pure: the
// time is passed in.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace juwei::domain {

enum class ZoneStatus : std::uint8_t {
  sealed,      // 封控区: nobody leaves the flat or building without an approved pass
  controlled,  // 管控区: nobody leaves the community without an approved pass
  precaution,  // 防范区: movement under general rules (household passes)
};

std::string_view to_code(ZoneStatus s);
std::string_view to_label_zh(ZoneStatus s);
std::optional<ZoneStatus> zone_status_from_code(std::string_view code);

// The timers of the default policy (Shanghai 2022); policy.toml will set them.
struct ZoneTimers {
  int sealed_clean_days = 7;      // clean days that take sealed to controlled
  int controlled_clean_days = 3;  // further clean days that take controlled to precaution
};

// Stable rule ids, cited by suggestions and recorded with status changes.
inline constexpr std::string_view kRuleSealedToControlled = "zone.sealed_to_controlled";
inline constexpr std::string_view kRuleControlledToPrecaution = "zone.controlled_to_precaution";
inline constexpr std::string_view kRulePositiveSeals = "zone.positive_seals";
inline constexpr std::string_view kRulePositivePoolControls = "zone.positive_pool_controls";
inline constexpr std::string_view kRuleManual = "zone.manual";

using Instant = std::chrono::sys_seconds;

// What the timers suggest for a building now: the next status and when it is due, or nothing
// (precaution is the last step).
struct ZoneSuggestion {
  std::optional<ZoneStatus> next;
  Instant due_at{};                   // when the clean days are complete
  bool due = false;                   // due_at has passed: the step can be confirmed now
  std::chrono::seconds remaining{0};  // until due_at; 0 when due
  std::string_view rule;              // the rule behind the suggestion
  bool held = false;                  // a step down waits for open retests to come back
};

// `since`: when the building entered its status. `last_positive`: the latest positive result
// of a resident of the building, if any; a positive restarts the clean days.
ZoneSuggestion suggest_zone_step(ZoneStatus status, Instant since,
                                 std::optional<Instant> last_positive, Instant now,
                                 const ZoneTimers& timers = {});

// What the building's residents' results say: the latest case (a positive single tube) and
// since when residents have been on retest (a positive pooled tube not yet cleared).
struct ZoneEvidence {
  std::optional<Instant> last_positive;
  std::optional<Instant> retests_open_since;
};

// The change to suggest for a building, results first: a case reported since the building
// entered its status suggests sealed at once (rule zone.positive_seals); open retests suggest
// controlled for a precaution building (zone.positive_pool_controls) and hold any step down
// until they clear. Otherwise the timers' step down. `status`: none when never set.
ZoneSuggestion suggest_zone_change(std::optional<ZoneStatus> status, Instant since,
                                   const ZoneEvidence& evidence, Instant now,
                                   const ZoneTimers& timers = {});

// Why a requested status change is refused, or nothing. `rule` is kRuleManual (any change)
// or a suggested rule (a step down, or a positive's escalation), which applies only when
// `suggestion` (the timers' suggestion for the current status; none when no status is set) names
// it, for this status, and is due.
struct StatusChangeRefusal {
  enum class Kind { unknown_rule, unchanged, step_not_suggested, step_not_due };
  Kind kind;
  std::string message_en;
  std::string message_zh;
};
std::optional<StatusChangeRefusal> check_status_change(
    std::optional<ZoneStatus> current, const std::optional<ZoneSuggestion>& suggestion,
    ZoneStatus requested, std::string_view rule);

}  // namespace juwei::domain
