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
  for (int r = 0; r <= static_cast<int>(PassRefusal::needs_negative); ++r) {
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
  const PassState fresh{PassKind::individual, kNow - hours{1}, kNow + hours{23}, kNow - hours{1}};
  const TestRecord positive_after{TestKind::single, kNow - hours{1}, TestResult::positive,
                                  kNow - minutes{10}};
  const TestRecord positive_before{TestKind::single, kNow - hours{30}, TestResult::positive,
                                   kNow - hours{20}};
  struct Case {
    const char* name;
    PassState pass;
    std::vector<TestRecord> history;
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
      {"before its window", fresh, {}, kNow - hours{2}, PassRefusal::not_yet_valid},
      {"at its end", fresh, {}, kNow + hours{23}, PassRefusal::expired},
      {"revoked", revoked, {}, kNow, PassRefusal::revoked},
      {"revoked later", revoked, {}, kNow - minutes{10}, std::nullopt},
      {"used", used, {}, kNow, PassRefusal::used},
      {"returned", back, {}, kNow, PassRefusal::returned},
      {"positive after approval", fresh, {positive_after}, kNow, PassRefusal::holder_positive},
      {"positive before approval is the decision's business",
       fresh,
       {positive_before},
       kNow,
       std::nullopt},
      {"household passes are used many times", household, {}, kNow, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(check_pass_exit(c.pass, c.history, c.at), c.want);
  }
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
  for (int r = 0; r <= static_cast<int>(PassRefusal::needs_negative); ++r) {
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
