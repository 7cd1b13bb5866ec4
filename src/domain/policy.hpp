// The exit policy as data (policy.toml): the reasons a resident may leave a sealed or
// controlled building and what each needs, the household passes of precaution buildings and
// the pledge's text. Every rule has a stable id that the policy file, the decision aid, the
// stored decisions and the tests cite. Plain values; loading and validating the file is the
// service's (service/policy_file).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/lab_result.hpp"

namespace juwei::domain {

// Rule ids a reason may list (`rules = [...]` in policy.toml).
inline constexpr std::string_view kRuleNeedsProof = "exit.needs_proof";
inline constexpr std::string_view kRuleNeedsPledge = "exit.needs_pledge";
inline constexpr std::string_view kRuleNeedsNegativeWithin = "exit.needs_negative_within";
inline constexpr std::string_view kRuleNotPositive = "exit.not_positive";
inline constexpr std::string_view kRuleReturnPlanned = "exit.return_planned";
// Rules every request is checked against, whatever its reason lists.
inline constexpr std::string_view kRuleReasonKnown = "exit.reason_known";
inline constexpr std::string_view kRuleResidentLive = "exit.resident_live";
// Household passes of precaution buildings.
inline constexpr std::string_view kRuleHouseholdQuota = "household.quota";
inline constexpr std::string_view kRuleHouseholdSlot = "household.time_slot";
inline constexpr std::string_view kRuleHouseholdNegativeWithin = "household.needs_negative_within";
// A household pass works only while its building is a precaution building (防范区): it stops
// when the building turns sealed or controlled; whether it resumes, and whether a building with
// no status counts, are HouseholdPassPolicy's settings.
inline constexpr std::string_view kRuleHouseholdBuilding = "household.building_precaution";

// What "not one released in error" means beyond any one reason's rules (DESIGN.md):
// an uncleared positive or retest known to Juwei stops every pass of its holder;
inline constexpr std::string_view kRuleHolderNotPositive = "pass.holder_not_positive";
// an individual pass is valid for the reason's pass_valid_hours from the planned exit (or from
// the approval, when that is later), and its planned return is ahead when it is filed and
// approved;
inline constexpr std::string_view kRulePassWindow = "pass.window";
// a person the register shows as out does not go out again until the return is recorded;
inline constexpr std::string_view kRuleOneOpenExit = "gate.one_open_exit";
// a return closes the holder's open exit, however the holder is identified;
inline constexpr std::string_view kRuleReturnClosesExit = "gate.return_closes_exit";
// every exit and return, from the gate, the desk or an offline sync, is one register event.
inline constexpr std::string_view kRuleRegisterEveryExit = "gate.register_every_exit";

// Every rule id a reason may list, in the order the decision aid reports them.
inline constexpr std::string_view kReasonRules[] = {kRuleNotPositive, kRuleNeedsNegativeWithin,
                                                    kRuleNeedsProof, kRuleNeedsPledge,
                                                    kRuleReturnPlanned};

// One reason to leave (出门事由) and what it needs.
struct ExitReason {
  std::string code;  // "medical_staff_return"
  std::string label_zh;
  std::string label_en;
  // Staff release at once (绿色通道); the rules below are paperwork due within
  // `paperwork_within` after the release.
  bool emergency = false;
  std::vector<std::string> rules;  // ids from kReasonRules
  // rule exit.needs_negative_within: a negative swab whose age at the planned exit is at most
  // this (counted from sampling or report: ExitPolicy::test_age_from).
  std::chrono::hours negative_within{48};
  // rule pass.window: from the planned exit (or the approval, when later) for this long
  std::chrono::hours pass_valid_for{24};
  bool return_required = true;
  // Return-by = the pass's start + this; none: no deadline (in hospital), still tracked.
  std::optional<std::chrono::hours> return_within;
  std::chrono::hours paperwork_within{24};  // emergencies: proof and pledge due after release
  bool lists(std::string_view rule) const;
};

// A time of day window (local time) in which a household pass may be used.
struct TimeSlot {
  std::chrono::minutes start{0};  // since local midnight
  std::chrono::minutes end{0};    // exclusive; after start

  bool operator==(const TimeSlot&) const = default;
};

// "08:00-12:00" (24:00 may end a slot): the slot as written, ending possibly before it starts
// (the caller checks the order); nullopt for any other shape.
std::optional<TimeSlot> parse_time_slot(std::string_view text);
std::string to_text(const TimeSlot& slot);
// Slots joined with ',' ("08:00-12:00,14:00-18:00"), as a pass carries them, and back; a
// malformed one is left out.
std::string to_text(const std::vector<TimeSlot>& slots);
std::vector<TimeSlot> parse_time_slots(std::string_view text);
// "20:00" (00:00 to 24:00): the minutes since local midnight; nullopt for any other shape.
std::optional<std::chrono::minutes> parse_time_of_day(std::string_view text);

// Household passes (precaution buildings): one named member per household goes out, at most
// `quota` times per `period` days, inside one of the time slots (none: any time).
struct HouseholdPassPolicy {
  int quota = 2;
  int period_days = 7;
  std::vector<TimeSlot> slots;
  std::optional<std::chrono::hours> negative_within;  // rule household.needs_negative_within
  int valid_days = 14;                                // how long one household pass lasts
  // rule household.building_precaution: a pass stopped by its building turning sealed or
  // controlled works again once the building is back to precaution (false: it stays stopped,
  // and the desk issues a new one); a building whose status was never set counts as a
  // precaution building (false: no household pass is issued or used there).
  bool resumes_in_precaution = false;
  bool allow_without_status = false;
};

// A community's 14-day risk level (风险等级) for the street office, by the policy's rule
// ([risk] in policy.toml). A case is a resident swabbed into a positive single tube; a cluster
// is a building with at least `cluster_cases` cases; both counted over the last `window_days`.
enum class RiskLevel : std::uint8_t { low, medium, high };
std::string_view to_code(RiskLevel r);
std::string_view to_label_zh(RiskLevel r);  // 低风险 / 中风险 / 高风险

inline constexpr std::string_view kRuleRiskHigh = "risk.high";      // cases or clusters reach it
inline constexpr std::string_view kRuleRiskMedium = "risk.medium";  // a case in the window
inline constexpr std::string_view kRuleRiskLow = "risk.low";        // the window without a case

struct RiskPolicy {
  int window_days = 14;
  int high_cases = 10;
  int high_clusters = 2;
  int cluster_cases = 2;
};

struct RiskAssessment {
  RiskLevel level = RiskLevel::low;
  std::string_view rule = kRuleRiskLow;
};

// `cases` and `clusters` counted over the policy's window.
RiskAssessment assess_risk(std::int64_t cases, std::int64_t clusters, const RiskPolicy& policy);

// The testing cadence (检测频次) a building's status sets ([cadence] in policy.toml): the PCR
// swabs (one a day counts) and antigen self-tests a resident owes in the last `window_days`
// days. A PCR beyond those owed stands for an antigen test. When fewer days than the window can
// be counted (the community is younger, or the day is still running: its tests count, but it
// owes nothing until it is over), what is owed scales down, rounded up: the PCR swabs, and the
// tests in all, antigen being the rest.
inline constexpr std::string_view kRuleCadence = "cadence.by_status";

struct TestCadence {
  int pcr = 0;
  int antigen = 0;
};

struct CadencePolicy {
  int window_days = 7;
  // By ZoneStatus: sealed, PCR daily; controlled, 3 PCR and 4 antigen; precaution, 1 and 6.
  TestCadence by_status[3] = {{7, 0}, {3, 4}, {1, 6}};
};

struct CadenceCheck {
  int pcr_owed = 0;
  int antigen_owed = 0;
  bool behind = false;
};

// A resident with `pcr_days` days swabbed and `antigen` self-tests in the last `days` days
// (0 to the window: none owes nothing) against `cadence`.
CadenceCheck check_cadence(const TestCadence& cadence, int days, int window_days,
                           std::int64_t pcr_days, std::int64_t antigen);

// When the day's report is due at the street office ([report] in policy.toml): by `deadline`
// (community time) of that day; the street office's view marks a community that has not
// submitted by then, or submitted after it (rule report.deadline).
inline constexpr std::string_view kRuleReportDeadline = "report.deadline";
struct ReportPolicy {
  std::chrono::minutes deadline{20 * 60};
};

struct ExitPolicy {
  std::string version;  // "2022-04-01.1": who changed the rules, and when, is in the history
  CountedFrom test_age_from = CountedFrom::sampled;
  std::vector<ExitReason> reasons;
  HouseholdPassPolicy household;
  RiskPolicy risk;
  CadencePolicy cadence;
  ReportPolicy report;
  // The pledge (承诺书) with {name}, {id_number}, {building}, {room}, {destination}, {reason},
  // {exit}, {return} filled in.
  std::string pledge_template;

  const ExitReason* reason(std::string_view code) const;
};

}  // namespace juwei::domain
