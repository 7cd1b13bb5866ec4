#include "domain/pass.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace juwei::domain {
namespace {

using namespace std::chrono;

constexpr minutes kOffset{8 * 60};
const Instant kNow = sys_days{year{2022} / 4 / 5} + hours{2};  // 10:00 in Shanghai

TEST(Pass, ClaimsRoundTripAndAnythingElseIsRefused) {
  const PassClaims claims{7, 12, 300000, 4567, PassKind::household, true, kNow, kNow + hours{24}};
  const std::string bytes = encode_claims(claims);
  EXPECT_LE(bytes.size(), 24u);
  EXPECT_EQ(decode_claims(bytes), claims);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_EQ(decode_claims(bytes.substr(0, cut)), std::nullopt) << cut;
  }
  EXPECT_EQ(decode_claims(bytes + "x"), std::nullopt);
  std::string other_version = bytes;
  other_version[0] = 2;
  EXPECT_EQ(decode_claims(other_version), std::nullopt);
  std::string unknown_flag = bytes;
  unknown_flag[1] = 8;
  EXPECT_EQ(decode_claims(unknown_flag), std::nullopt);
}

TEST(Pass, EveryRefusalIsParsedBackFromItsCode) {
  for (int r = 0; r <= static_cast<int>(kLastPassRefusal); ++r) {
    const auto refusal = static_cast<PassRefusal>(r);
    EXPECT_EQ(parse_pass_refusal(to_code(refusal)), refusal) << to_code(refusal);
  }
  EXPECT_EQ(parse_pass_refusal("gate.out"), std::nullopt);
  EXPECT_EQ(parse_pass_refusal(""), std::nullopt);
}

TEST(Pass, Base64UrlRoundTripsAndIsCanonical) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"\xff\xfe\xfd\xfc", "__79_A"}};
  for (const auto& [bytes, text] : cases) {
    EXPECT_EQ(base64url(bytes), text);
    EXPECT_EQ(from_base64url(text), bytes);
  }
  EXPECT_EQ(from_base64url("Zh"), std::nullopt);  // non-zero padding bits
  EXPECT_EQ(from_base64url("Z"), std::nullopt);
  EXPECT_EQ(from_base64url("Zm9v+"), std::nullopt);
}

TEST(Pass, LetsTheHolderOutOnlyWhileValid) {
  const PassState fresh{PassKind::individual, kNow - hours{1}, kNow + hours{23}};
  // The lab's clock (reported_at) and when the result reached Juwei (known_at).
  const auto test = [](TestKind kind, TestResult result, Instant reported, Instant known) {
    return TestRecord{kind, reported - hours{6}, result, reported, known};
  };
  const TestRecord positive_after =
      test(TestKind::single, TestResult::positive, kNow - minutes{10}, kNow - minutes{10});
  const TestRecord positive_before =
      test(TestKind::single, TestResult::positive, kNow - hours{20}, kNow - hours{20});
  // Reported by the lab before the approval, imported after it.
  const TestRecord positive_late =
      test(TestKind::single, TestResult::positive, kNow - hours{3}, kNow - minutes{5});
  const TestRecord pool_positive =
      test(TestKind::pooled, TestResult::positive, kNow - hours{2}, kNow - hours{2});
  TestRecord cleared =
      test(TestKind::single, TestResult::negative, kNow - hours{1}, kNow - hours{1});
  cleared.sampled_at = kNow - hours{1} - minutes{30};  // sampled after the pool's swab
  struct Case {
    const char* name;
    PassState pass;
    std::vector<TestRecord> history;  // newest sampled first
    Instant at;
    std::optional<PassRefusal> want;
  };
  PassState revoked = fresh;
  revoked.revoked_at = kNow - minutes{5};
  PassState used = fresh;
  used.exited_at = kNow - minutes{30};
  PassState back = used;
  back.returned_at = kNow - minutes{1};
  PassState household = fresh;
  household.kind = PassKind::household;
  household.exited_at = kNow - minutes{30};
  const Case cases[] = {
      {"valid", fresh, {}, kNow, std::nullopt},
      // rule: pass.window
      {"before its window", fresh, {}, kNow - hours{2}, PassRefusal::not_yet_valid},
      {"at its end", fresh, {}, kNow + hours{23}, PassRefusal::expired},
      {"revoked", revoked, {}, kNow, PassRefusal::revoked},
      {"revoked later", revoked, {}, kNow - minutes{10}, std::nullopt},
      {"used", used, {}, kNow, PassRefusal::used},
      {"returned", back, {}, kNow, PassRefusal::returned},
      // rule: pass.holder_not_positive — what is known at the check, whatever the lab's clock.
      {"positive after approval", fresh, {positive_after}, kNow, PassRefusal::holder_positive},
      {"positive before approval, uncleared",
       fresh,
       {positive_before},
       kNow,
       PassRefusal::holder_positive},
      {"positive by the lab's clock before approval, known after",
       fresh,
       {positive_late},
       kNow,
       PassRefusal::holder_positive},
      {"a positive not yet known at the check",
       fresh,
       {positive_late},
       kNow - minutes{6},
       std::nullopt},
      {"a positive pool: on retest", fresh, {pool_positive}, kNow, PassRefusal::holder_positive},
      {"the retest cleared it", fresh, {cleared, pool_positive}, kNow, std::nullopt},
      {"household passes are used many times", household, {}, kNow, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(check_pass_exit(c.pass, c.history, c.at), c.want);
  }
}

// rule: pass.window
TEST(Pass, AnIndividualPassIsValidFromThePlannedExitForTheReasonsHours) {
  struct Case {
    const char* name;
    Instant approved;
    Instant planned_exit;
    PassWindow want;
  } cases[] = {
      {"tomorrow evening: not valid now",
       kNow,
       kNow + hours{32},
       {kNow + hours{32}, kNow + hours{56}}},
      {"in an hour", kNow, kNow + hours{1}, {kNow + hours{1}, kNow + hours{25}}},
      {"planned in the past: from the approval", kNow, kNow - hours{3}, {kNow, kNow + hours{24}}},
      {"now", kNow, kNow, {kNow, kNow + hours{24}}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(individual_pass_window(c.approved, c.planned_exit, hours{24}), c.want) << c.name;
  }
}

// rule: household.building_precaution
TEST(Pass, AHouseholdPassStopsWithItsBuilding) {
  const Instant issued = kNow - days{2};
  const StatusSince precaution{kNow - days{5}, ZoneStatus::precaution};
  const StatusSince sealed{kNow - days{1}, ZoneStatus::sealed};
  const StatusSince controlled{kNow - days{1}, ZoneStatus::controlled};
  const StatusSince reopened{kNow - hours{2}, ZoneStatus::precaution};
  HouseholdPassPolicy resumes;
  resumes.resumes_in_precaution = true;
  HouseholdPassPolicy stays_stopped;
  HouseholdPassPolicy unset_allowed;
  unset_allowed.allow_without_status = true;
  struct Case {
    const char* name;
    std::vector<StatusSince> history;
    Instant at;
    const HouseholdPassPolicy& policy;
    std::optional<PassRefusal> want;
  } cases[] = {
      {"precaution", {precaution}, kNow, resumes, std::nullopt},
      {"sealed since", {precaution, sealed}, kNow, resumes, PassRefusal::building_closed},
      {"controlled since", {precaution, controlled}, kNow, resumes, PassRefusal::building_closed},
      {"before it was sealed",
       {precaution, sealed},
       kNow - days{1} - seconds{1},
       resumes,
       std::nullopt},
      {"back to precaution, the policy resumes",
       {precaution, sealed, reopened},
       kNow,
       resumes,
       std::nullopt},
      {"back to precaution, the policy does not resume",
       {precaution, sealed, reopened},
       kNow,
       stays_stopped,
       PassRefusal::building_closed},
      {"no status, the policy refuses", {}, kNow, stays_stopped, PassRefusal::building_closed},
      {"no status, the policy allows", {}, kNow, unset_allowed, std::nullopt},
      {"sealed before the pass, precaution at its issue",
       {StatusSince{kNow - days{9}, ZoneStatus::sealed}, precaution},
       kNow,
       stays_stopped,
       std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(check_household_building(c.history, issued, c.at, c.policy), c.want) << c.name;
  }
  EXPECT_TRUE(household_building_open(ZoneStatus::precaution, stays_stopped));
  EXPECT_FALSE(household_building_open(ZoneStatus::sealed, unset_allowed));
  EXPECT_FALSE(household_building_open(std::nullopt, stays_stopped));
  EXPECT_TRUE(household_building_open(std::nullopt, unset_allowed));
}

// rule: gate.one_open_exit, gate.return_closes_exit — the gate's one decider.
TEST(Pass, TheGateDecidesByThePersonThenByThePass) {
  struct Case {
    const char* name;
    GateFacts facts;
    bool allow;
    std::string_view code;
  } cases[] = {
      {"out on a valid pass", {true, false, true, std::nullopt}, true, "gate.out"},
      {"out while out", {true, true, true, std::nullopt}, false, "gate.already_out"},
      {"out while out, the pass refused too",
       {true, true, true, PassRefusal::revoked},
       false,
       "gate.already_out"},
      {"out on a refused pass", {true, false, true, PassRefusal::expired}, false, "pass.expired"},
      {"a typed ID number, no pass fits",
       {true, false, false, std::nullopt},
       false,
       "gate.no_valid_pass"},
      {"in while out: closes the exit", {false, true, true, PassRefusal::revoked}, true, "gate.in"},
      {"in while home", {false, false, true, std::nullopt}, true, "gate.in_without_exit"},
      {"in without a pass", {false, true, false, std::nullopt}, true, "gate.in"},
  };
  for (const Case& c : cases) {
    const GateDecision d = decide_gate(c.facts);
    EXPECT_EQ(d.allow, c.allow) << c.name;
    EXPECT_EQ(d.code, c.code) << c.name;
    EXPECT_FALSE(d.label_zh.empty()) << c.name;
  }
  EXPECT_TRUE(to_label_zh(GateOutcome::already_out).starts_with("已外出未返回"));
}

// rule: household.quota, household.time_slot, household.needs_negative_within
TEST(Pass, HouseholdPassesKeepTheirQuotaSlotsAndTestWindow) {
  HouseholdPassPolicy policy;
  policy.quota = 2;
  policy.period_days = 7;
  policy.slots = {{hours{8}, hours{12}}, {hours{14}, hours{18}}};
  const std::vector<Instant> none;
  const std::vector<Instant> one = {kNow - days{3}};
  const std::vector<Instant> two = {kNow - days{3}, kNow - days{1}};
  const std::vector<Instant> old_two = {kNow - days{8}, kNow - days{7}};
  EXPECT_EQ(household_uses_left(none, policy, kNow), 2);
  EXPECT_EQ(household_uses_left(one, policy, kNow), 1);
  EXPECT_EQ(household_uses_left(old_two, policy, kNow), 2);
  EXPECT_EQ(check_household_use(one, policy, CountedFrom::sampled, {}, kNow, kOffset),
            std::nullopt);
  EXPECT_EQ(check_household_use(two, policy, CountedFrom::sampled, {}, kNow, kOffset),
            PassRefusal::quota_used);
  // 13:00 local: between the slots; 14:00 is inside; 18:00 is not.
  EXPECT_EQ(check_household_use(none, policy, CountedFrom::sampled, {}, kNow + hours{3}, kOffset),
            PassRefusal::outside_slot);
  EXPECT_EQ(check_household_use(none, policy, CountedFrom::sampled, {}, kNow + hours{4}, kOffset),
            std::nullopt);
  EXPECT_EQ(check_household_use(none, policy, CountedFrom::sampled, {}, kNow + hours{8}, kOffset),
            PassRefusal::outside_slot);
  policy.negative_within = hours{72};
  EXPECT_EQ(check_household_use(none, policy, CountedFrom::sampled, {}, kNow, kOffset),
            PassRefusal::needs_negative);
  const std::vector<TestRecord> negative = {
      {TestKind::pooled, kNow - hours{70}, TestResult::negative, kNow - hours{60}}};
  EXPECT_EQ(check_household_use(none, policy, CountedFrom::sampled, negative, kNow, kOffset),
            std::nullopt);
  EXPECT_EQ(check_household_use(none, policy, CountedFrom::sampled, negative,
                                kNow + hours{3} + hours{1}, kOffset),
            PassRefusal::needs_negative);
}

TEST(Pass, ReturnsAreTrackedUntilTheHolderIsBack) {
  const Instant out = kNow - hours{5};
  const Instant by = kNow - hours{1};
  EXPECT_EQ(return_state(true, std::nullopt, std::nullopt, by, kNow), ReturnState::not_out);
  EXPECT_EQ(return_state(true, out, std::nullopt, by, kNow), ReturnState::overdue);
  EXPECT_EQ(return_state(true, out, std::nullopt, by, kNow - hours{2}), ReturnState::out);
  EXPECT_EQ(return_state(true, out, std::nullopt, std::nullopt, kNow + days{30}), ReturnState::out);
  EXPECT_EQ(return_state(true, out, kNow, by, kNow + hours{3}), ReturnState::returned);
  EXPECT_EQ(return_state(false, out, std::nullopt, std::nullopt, kNow), ReturnState::not_required);
}

TEST(Pass, TimeSlotsAreReadAndWrittenAsPassesCarryThem) {
  EXPECT_EQ(parse_time_slot("08:00-12:00"), (TimeSlot{hours{8}, hours{12}}));
  EXPECT_EQ(parse_time_slot("14:30-24:00"), (TimeSlot{hours{14} + minutes{30}, hours{24}}));
  for (const char* bad : {"", "8:00-12:00", "08:00~12:00", "24:00-24:00", "08:60-09:00",
                          "25:00-26:00", "08:00-12:00,"}) {
    EXPECT_EQ(parse_time_slot(bad), std::nullopt) << bad;
  }
  const std::vector<TimeSlot> slots = {{hours{8}, hours{12}}, {hours{14}, hours{18}}};
  EXPECT_EQ(to_text(slots), "08:00-12:00,14:00-18:00");
  EXPECT_EQ(parse_time_slots(to_text(slots)), slots);
  EXPECT_TRUE(parse_time_slots("").empty());
}

TEST(Pass, EveryRefusalHasAStableCodeAndBothLabels) {
  for (int r = 0; r <= static_cast<int>(kLastPassRefusal); ++r) {
    const auto refusal = static_cast<PassRefusal>(r);
    EXPECT_FALSE(to_label_zh(refusal).empty());
    EXPECT_FALSE(to_label_en(refusal).empty());
    EXPECT_NE(to_code(refusal), "") << r;
  }
  EXPECT_EQ(to_code(PassRefusal::quota_used), kRuleHouseholdQuota);
  EXPECT_EQ(to_code(PassRefusal::outside_slot), kRuleHouseholdSlot);
  EXPECT_EQ(to_code(PassRefusal::needs_negative), kRuleHouseholdNegativeWithin);
}

}  // namespace
}  // namespace juwei::domain
