#include "domain/zone.hpp"

#include <gtest/gtest.h>

namespace juwei::domain {
namespace {

using namespace std::chrono;

const Instant kSealed = sys_days{year{2022} / 3 / 28} + hours{2};

struct StepCase {
  const char* name;
  ZoneStatus status;
  std::optional<Instant> last_positive;
  Instant now;
  std::optional<ZoneStatus> next;
  bool due;
  Instant due_at;
};

TEST(ZoneTimers, SuggestTheNextStepWhenTheCleanDaysAreDone) {
  const StepCase cases[] = {
      {"sealed, day 3", ZoneStatus::sealed, std::nullopt, kSealed + days{3}, ZoneStatus::controlled,
       false, kSealed + days{7}},
      {"sealed, a second before day 7", ZoneStatus::sealed, std::nullopt,
       kSealed + days{7} - seconds{1}, ZoneStatus::controlled, false, kSealed + days{7}},
      {"sealed, day 7 exactly", ZoneStatus::sealed, std::nullopt, kSealed + days{7},
       ZoneStatus::controlled, true, kSealed + days{7}},
      {"sealed, a positive on day 5 restarts the clock", ZoneStatus::sealed, kSealed + days{5},
       kSealed + days{8}, ZoneStatus::controlled, false, kSealed + days{12}},
      {"sealed, a positive before sealing does not", ZoneStatus::sealed, kSealed - days{1},
       kSealed + days{7}, ZoneStatus::controlled, true, kSealed + days{7}},
      {"controlled, 3 clean days", ZoneStatus::controlled, std::nullopt, kSealed + days{3},
       ZoneStatus::precaution, true, kSealed + days{3}},
      {"controlled, day 2", ZoneStatus::controlled, std::nullopt, kSealed + days{2},
       ZoneStatus::precaution, false, kSealed + days{3}},
      {"precaution is the last step", ZoneStatus::precaution, std::nullopt, kSealed + days{30},
       std::nullopt, false, Instant{}},
  };
  for (const StepCase& c : cases) {
    SCOPED_TRACE(c.name);
    const ZoneSuggestion s = suggest_zone_step(c.status, kSealed, c.last_positive, c.now);
    EXPECT_EQ(s.next, c.next);
    EXPECT_EQ(s.due, c.due);
    EXPECT_EQ(s.due_at, c.due_at);
    if (c.next && !c.due) {
      EXPECT_EQ(s.remaining, c.due_at - c.now);
    }
  }
}

TEST(ZoneTimers, FollowTheTimersTheyAreGiven) {
  const ZoneTimers fast{2, 1};
  EXPECT_TRUE(
      suggest_zone_step(ZoneStatus::sealed, kSealed, std::nullopt, kSealed + days{2}, fast).due);
  EXPECT_EQ(suggest_zone_step(ZoneStatus::sealed, kSealed, std::nullopt, kSealed, fast).rule,
            kRuleSealedToControlled);
}

TEST(ZoneStatusChange, StepRulesApplyOnlyWhenSuggestedAndDue) {
  using Kind = StatusChangeRefusal::Kind;
  const auto due = suggest_zone_step(ZoneStatus::sealed, kSealed, std::nullopt, kSealed + days{7});
  const auto early =
      suggest_zone_step(ZoneStatus::sealed, kSealed, std::nullopt, kSealed + days{2});
  struct Case {
    const char* name;
    std::optional<ZoneStatus> current;
    std::optional<ZoneSuggestion> suggestion;
    ZoneStatus requested;
    std::string_view rule;
    std::optional<Kind> refusal;
  };
  const Case cases[] = {
      {"first status, manual", std::nullopt, std::nullopt, ZoneStatus::sealed, kRuleManual,
       std::nullopt},
      {"unknown rule", std::nullopt, std::nullopt, ZoneStatus::sealed, "zone.whim",
       Kind::unknown_rule},
      {"unchanged", ZoneStatus::sealed, early, ZoneStatus::sealed, kRuleManual, Kind::unchanged},
      {"manual early step", ZoneStatus::sealed, early, ZoneStatus::controlled, kRuleManual,
       std::nullopt},
      {"step rule early", ZoneStatus::sealed, early, ZoneStatus::controlled,
       kRuleSealedToControlled, Kind::step_not_due},
      {"step rule due", ZoneStatus::sealed, due, ZoneStatus::controlled, kRuleSealedToControlled,
       std::nullopt},
      {"step rule to the wrong status", ZoneStatus::sealed, due, ZoneStatus::precaution,
       kRuleSealedToControlled, Kind::step_not_suggested},
      {"the other step rule", ZoneStatus::sealed, due, ZoneStatus::controlled,
       kRuleControlledToPrecaution, Kind::step_not_suggested},
      {"step rule with no status yet", std::nullopt, std::nullopt, ZoneStatus::precaution,
       kRuleControlledToPrecaution, Kind::step_not_suggested},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto refusal = check_status_change(c.current, c.suggestion, c.requested, c.rule);
    ASSERT_EQ(refusal.has_value(), c.refusal.has_value());
    if (refusal) {
      EXPECT_EQ(refusal->kind, *c.refusal);
      EXPECT_FALSE(refusal->message_zh.empty());
    }
  }
}

TEST(ZoneStatus, CodesAndLabels) {
  for (ZoneStatus s : {ZoneStatus::sealed, ZoneStatus::controlled, ZoneStatus::precaution}) {
    EXPECT_EQ(zone_status_from_code(to_code(s)), s);
  }
  EXPECT_EQ(to_label_zh(ZoneStatus::sealed), "封控区");
  EXPECT_FALSE(zone_status_from_code("closed").has_value());
}

}  // namespace
}  // namespace juwei::domain

namespace juwei::domain {
namespace {

struct ChangeCase {
  const char* name;
  std::optional<ZoneStatus> status;
  ZoneEvidence evidence;
  Instant now;
  std::optional<ZoneStatus> next;
  std::string_view rule;
  bool due;
  bool held;
};

TEST(ZoneChange, ResultsEscalateAtOnceAndRetestsHoldTheStepDown) {
  const Instant case_day5 = kSealed + days{5};
  const ChangeCase cases[] = {
      {"a case in a controlled building seals it",
       ZoneStatus::controlled,
       {case_day5, {}},
       kSealed + days{6},
       ZoneStatus::sealed,
       kRulePositiveSeals,
       true,
       false},
      {"a case in a building with no status seals it",
       std::nullopt,
       {case_day5, {}},
       kSealed + days{6},
       ZoneStatus::sealed,
       kRulePositiveSeals,
       true,
       false},
      {"a case before the building stepped down does not",
       ZoneStatus::controlled,
       {kSealed - days{1}, {}},
       kSealed + days{1},
       ZoneStatus::precaution,
       kRuleControlledToPrecaution,
       false,
       false},
      {"a case in a sealed building restarts its clock",
       ZoneStatus::sealed,
       {case_day5, {}},
       kSealed + days{8},
       ZoneStatus::controlled,
       kRuleSealedToControlled,
       false,
       false},
      {"open retests put a precaution building under control",
       ZoneStatus::precaution,
       {{}, case_day5},
       kSealed + days{6},
       ZoneStatus::controlled,
       kRulePositivePoolControls,
       true,
       false},
      {"open retests hold a controlled building's step down",
       ZoneStatus::controlled,
       {{}, case_day5},
       kSealed + days{9},
       ZoneStatus::precaution,
       kRuleControlledToPrecaution,
       false,
       true},
      {"open retests hold a sealed building's step down",
       ZoneStatus::sealed,
       {{}, case_day5},
       kSealed + days{9},
       ZoneStatus::controlled,
       kRuleSealedToControlled,
       false,
       true},
      {"nothing known, nothing set", std::nullopt, {}, kSealed, std::nullopt, "", false, false},
      {"clean precaution stays",
       ZoneStatus::precaution,
       {},
       kSealed + days{9},
       std::nullopt,
       "",
       false,
       false},
  };
  for (const ChangeCase& c : cases) {
    SCOPED_TRACE(c.name);
    const ZoneSuggestion s = suggest_zone_change(c.status, kSealed, c.evidence, c.now);
    EXPECT_EQ(s.next, c.next);
    EXPECT_EQ(s.rule, c.rule);
    EXPECT_EQ(s.due, c.due);
    EXPECT_EQ(s.held, c.held);
  }
}

TEST(ZoneChange, EscalationsAreConfirmedByTheirRuleAndHeldStepsAreRefused) {
  using Kind = StatusChangeRefusal::Kind;
  const auto seal = suggest_zone_change(ZoneStatus::controlled, kSealed,
                                        ZoneEvidence{kSealed + days{1}, {}}, kSealed + days{1});
  EXPECT_FALSE(
      check_status_change(ZoneStatus::controlled, seal, ZoneStatus::sealed, kRulePositiveSeals));
  const auto held = suggest_zone_change(ZoneStatus::controlled, kSealed,
                                        ZoneEvidence{{}, kSealed + days{1}}, kSealed + days{9});
  const auto refusal = check_status_change(ZoneStatus::controlled, held, ZoneStatus::precaution,
                                           kRuleControlledToPrecaution);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->kind, Kind::step_not_due);
  EXPECT_NE(refusal->message_en.find("retests"), std::string::npos);
}

}  // namespace
}  // namespace juwei::domain
