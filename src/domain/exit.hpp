// The decision aid for exit requests (出门申请): given a request, its resident, their
// building's status and test history, the policy and the time, which rules are met and which
// are missing, each with a plain next step in Chinese and English. The secretary decides; this
// only tells. Pure: the time and the community's UTC offset are passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/lab_result.hpp"
#include "domain/policy.hpp"
#include "domain/zone.hpp"

namespace juwei::domain {

// What the aid needs to know of a request.
struct ExitRequestFacts {
  std::string_view reason;  // a policy reason code
  Instant planned_exit{};
  std::optional<Instant> planned_return;
  bool has_proof = false;
  bool pledge_signed = false;
};

struct ResidentFacts {
  bool live = true;                    // not removed from the register
  std::optional<ZoneStatus> building;  // none: never set (treated as precaution)
  bool round_today = true;             // a screening round covers their building today
};

struct RuleCheck {
  std::string id;  // a rule id of domain/policy.hpp
  bool met = false;
  // Emergencies: paperwork that does not hold up the release but is due after it.
  bool deferred = false;
  std::string note_zh;  // met: what satisfied it; missing: the next step
  std::string note_en;
};

struct ExitAssessment {
  bool eligible = false;   // every rule that is not deferred is met
  bool emergency = false;  // the reason is an emergency: staff may release at once
  std::string policy_version;
  std::vector<RuleCheck> rules;

  // The ids of the rules checked, and of those not met (deferred ones included).
  std::vector<std::string> applied() const;
  std::vector<std::string> unmet() const;
};

// `history`: the resident's tests, newest sampled first (as latest_negative wants them).
// `utc_offset`: the community's, for the times the notes show ("04-04 10:00").
ExitAssessment assess_exit(const ExitRequestFacts& request, const ResidentFacts& resident,
                           std::span<const TestRecord> history, const ExitPolicy& policy,
                           Instant now, std::chrono::minutes utc_offset);

// What is wrong with a request's planned times at `now`: an exit further back than
// kPlannedExitGrace (a request is for leaving, not a record of having left: that is the
// emergency release), a return not after the exit, or a return already past (rule
// pass.window: its holder would be overdue the moment they leave).
inline constexpr std::chrono::hours kPlannedExitGrace{24};
enum class PlanProblem : std::uint8_t { exit_past, return_not_after_exit, return_past };
std::vector<PlanProblem> check_planned_times(Instant exit, std::optional<Instant> planned_return,
                                             Instant now);

// "04-04 10:00" in the zone of `utc_offset`.
std::string local_minute(Instant t, std::chrono::minutes utc_offset);

// "2022-04-04 10:00" in the zone of `utc_offset`: the one format of a time people read (files
// such as the register's CSV in full; DESIGN.md, API conventions).
std::string local_date_time(Instant t, std::chrono::minutes utc_offset);
// The same on a screen or in a CLI table: the year left out when `t` is on the local day of
// `now` ("04-04 10:00"), in full on any other day.
std::string local_date_time(Instant t, Instant now, std::chrono::minutes utc_offset);

}  // namespace juwei::domain
