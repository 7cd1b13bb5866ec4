#include "domain/lab_result.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace juwei::domain {
namespace {

using namespace std::chrono;

const Instant kDay = sys_days{year{2022} / 4 / 4};

TEST(LabResult, ReadsTheWaysLabsWriteResults) {
  const std::pair<const char*, std::optional<TestResult>> cases[] = {
      {"negative", TestResult::negative}, {"NEGATIVE", TestResult::negative},
      {"阴性", TestResult::negative},     {"neg", TestResult::negative},
      {"-", TestResult::negative},        {"positive", TestResult::positive},
      {"阳性", TestResult::positive},     {"Pos", TestResult::positive},
      {"+", TestResult::positive},        {"", std::nullopt},
      {"invalid", std::nullopt},          {"阴", std::nullopt},
  };
  for (const auto& [text, want] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_test_result(text), want);
  }
}

TEST(LabResult, AReportChangesNothingTwiceAndNeverOverwrites) {
  struct Case {
    const char* name;
    std::optional<TestResult> current;
    TestResult incoming;
    bool known;
    ResultIngest want;
  };
  const Case cases[] = {
      {"first result", std::nullopt, TestResult::negative, false, ResultIngest::add},
      {"first result, positive", std::nullopt, TestResult::positive, false, ResultIngest::add},
      {"the same again", TestResult::negative, TestResult::negative, false,
       ResultIngest::unchanged},
      {"a different result", TestResult::negative, TestResult::positive, false,
       ResultIngest::conflict},
      {"a different result kept already", TestResult::negative, TestResult::positive, true,
       ResultIngest::unchanged},
      {"positive, then negative", TestResult::positive, TestResult::negative, false,
       ResultIngest::conflict},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(classify_result(c.current, c.incoming, c.known), c.want);
  }
}

TEST(LabResult, ATubesResultSaysWhatToEachResidentInIt) {
  struct Case {
    TestKind kind;
    std::optional<TestResult> result;
    SwabOutcome want;
  };
  const Case cases[] = {
      {TestKind::pooled, std::nullopt, SwabOutcome::pending},
      {TestKind::pooled, TestResult::negative, SwabOutcome::negative},
      {TestKind::pooled, TestResult::positive, SwabOutcome::retest},
      {TestKind::single, std::nullopt, SwabOutcome::pending},
      {TestKind::single, TestResult::negative, SwabOutcome::negative},
      {TestKind::single, TestResult::positive, SwabOutcome::positive},
      {TestKind::antigen, TestResult::positive, SwabOutcome::retest},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(to_code(c.kind)) + " " +
                 (c.result ? std::string(to_code(*c.result)) : "pending"));
    EXPECT_EQ(swab_outcome(c.kind, c.result), c.want);
  }
}

TEST(LabResult, APositiveSealsForACaseAndControlsForAPool) {
  const PositiveFollowUp single = follow_up_of_positive(TubeKind::single);
  EXPECT_EQ(single.residents, SwabOutcome::positive);
  EXPECT_EQ(single.suggest, ZoneStatus::sealed);
  EXPECT_EQ(single.rule, kRulePositiveSeals);
  EXPECT_TRUE(single.building_retest);
  EXPECT_FALSE(single.housemates_to_home_sampling);
  const PositiveFollowUp pooled = follow_up_of_positive(TubeKind::pooled);
  EXPECT_EQ(pooled.residents, SwabOutcome::retest);
  EXPECT_EQ(pooled.suggest, ZoneStatus::controlled);
  EXPECT_EQ(pooled.rule, kRulePositivePoolControls);
  EXPECT_TRUE(pooled.housemates_to_home_sampling);
  EXPECT_FALSE(pooled.building_retest);
}

TestRecord swab(TestKind kind, int sampled_hour, std::optional<TestResult> result = std::nullopt,
                int reported_hour = 0) {
  return TestRecord{kind, kDay + hours{sampled_hour}, result, kDay + hours{reported_hour}};
}

constexpr auto N = TestResult::negative;
constexpr auto P = TestResult::positive;

TEST(LabResult, AResidentsStandingFollowsTheirTests) {
  struct Case {
    const char* name;
    std::vector<TestRecord> history;  // newest first
    int at_hour;
    ResidentStanding want;
  };
  const Case cases[] = {
      {"no tests", {}, 100, ResidentStanding::none},
      {"swabbed, not reported", {swab(TestKind::pooled, 8)}, 100, ResidentStanding::pending},
      {"pooled negative", {swab(TestKind::pooled, 8, N, 20)}, 100, ResidentStanding::negative},
      {"reported after `at` does not count yet",
       {swab(TestKind::pooled, 8, N, 20)},
       10,
       ResidentStanding::pending},
      {"pooled positive: retest",
       {swab(TestKind::pooled, 8, P, 20)},
       100,
       ResidentStanding::retest},
      {"a later pooled negative does not clear a retest",
       {swab(TestKind::pooled, 32, N, 44), swab(TestKind::pooled, 8, P, 20)},
       100,
       ResidentStanding::retest},
      {"a single negative clears it",
       {swab(TestKind::single, 32, N, 44), swab(TestKind::pooled, 8, P, 20)},
       100,
       ResidentStanding::negative},
      {"a single positive is a case",
       {swab(TestKind::single, 32, P, 44), swab(TestKind::pooled, 8, P, 20)},
       100,
       ResidentStanding::positive},
      {"a case stays a case",
       {swab(TestKind::pooled, 56, N, 70), swab(TestKind::single, 32, P, 44)},
       100,
       ResidentStanding::positive},
      {"a positive antigen self-test: retest",
       {swab(TestKind::antigen, 30, P, 30), swab(TestKind::pooled, 8, N, 20)},
       100,
       ResidentStanding::retest},
      {"a negative antigen self-test changes nothing",
       {swab(TestKind::antigen, 30, N, 30)},
       100,
       ResidentStanding::none},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(resident_standing(c.history, kDay + hours{c.at_hour}), c.want);
  }
}

TEST(LabResult, LatestNegativeCountsFromSamplingOrReportAndNotAcrossADoubt) {
  struct Case {
    const char* name;
    std::vector<TestRecord> history;
    int at_hour;
    CountedFrom from;
    int want_index;  // into history; -1: none
  };
  const Case cases[] = {
      {"none", {}, 100, CountedFrom::sampled, -1},
      {"the newest negative",
       {swab(TestKind::pooled, 32, N, 44), swab(TestKind::pooled, 8, N, 20)},
       100,
       CountedFrom::sampled,
       0},
      {"not reported yet by `at`",
       {swab(TestKind::pooled, 32, N, 44), swab(TestKind::pooled, 8, N, 20)},
       40,
       CountedFrom::sampled,
       1},
      {"a later report wins when counted from the report",
       {swab(TestKind::single, 32, N, 34), swab(TestKind::pooled, 30, N, 50)},
       100,
       CountedFrom::reported,
       1},
      {"the later sampling wins when counted from sampling",
       {swab(TestKind::single, 32, N, 34), swab(TestKind::pooled, 30, N, 50)},
       100,
       CountedFrom::sampled,
       0},
      {"a negative before a positive pool does not count",
       {swab(TestKind::pooled, 32, P, 44), swab(TestKind::pooled, 8, N, 20)},
       100,
       CountedFrom::sampled,
       -1},
      {"until that positive is known",
       {swab(TestKind::pooled, 32, P, 44), swab(TestKind::pooled, 8, N, 20)},
       40,
       CountedFrom::sampled,
       1},
      {"a single negative after the positive counts",
       {swab(TestKind::single, 50, N, 60), swab(TestKind::pooled, 32, P, 44)},
       100,
       CountedFrom::sampled,
       0},
      {"antigen negatives never count",
       {swab(TestKind::antigen, 30, N, 30)},
       100,
       CountedFrom::sampled,
       -1},
      {"a positive antigen test voids earlier negatives",
       {swab(TestKind::antigen, 30, P, 30), swab(TestKind::pooled, 8, N, 20)},
       100,
       CountedFrom::sampled,
       -1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const TestRecord* got = latest_negative(c.history, kDay + hours{c.at_hour}, c.from);
    if (c.want_index < 0) {
      EXPECT_EQ(got, nullptr);
    } else {
      EXPECT_EQ(got, &c.history[static_cast<std::size_t>(c.want_index)]);
    }
    // Reading only as far as older tests matter gives the same answer.
    OlderTestsMatter matters(kDay + hours{c.at_hour}, c.from);
    std::size_t read = 0;
    while (read < c.history.size() && matters(c.history[read]))
      ++read;
    const TestRecord* early =
        latest_negative(std::span(c.history).first(read), kDay + hours{c.at_hour}, c.from);
    EXPECT_EQ(early, got);
  }
}

}  // namespace
}  // namespace juwei::domain
