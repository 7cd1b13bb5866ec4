#include "domain/offline_gate.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace juwei::domain {
namespace {

using namespace std::chrono;

constexpr minutes kOffset{8 * 60};
const Instant kBundleAt = sys_days{year{2022} / 4 / 5} + hours{1};  // 09:00 in Shanghai
const Instant kNow = kBundleAt + hours{1};

OfflinePass individual(std::int64_t id, ResidentId holder) {
  OfflinePass p;
  p.id = id;
  p.holder = holder;
  p.name = "张护士";
  return p;
}

OfflineBundle bundle_with(std::vector<OfflinePass> passes) {
  OfflineBundle b;
  b.community_id = 1;
  b.issued_at = kBundleAt;
  b.stale_after = kBundleAt + hours{24};
  b.passes = std::move(passes);
  return b;
}

PassClaims claims_of(std::int64_t pass, ResidentId holder, PassKind kind = PassKind::individual) {
  return {1, 1, pass, holder, kind, false, kBundleAt - hours{2}, kBundleAt + hours{22}};
}

TEST(OfflineGate, AValidPassGoesOutOnceOnThisGate) {
  const OfflineBundle b = bundle_with({individual(3, 30), individual(5, 50)});
  const PassClaims c = claims_of(5, 50);
  const OfflineVerdict first = check_offline(b, c, true, {}, kNow, kOffset);
  EXPECT_TRUE(first.allow);
  EXPECT_EQ(first.code, "gate.out");
  ASSERT_NE(first.pass, nullptr);
  EXPECT_EQ(first.pass->name, "张护士");

  const std::vector<OfflineCheck> queued{{5, true, true, kNow}};
  const OfflineVerdict again = check_offline(b, c, true, queued, kNow + minutes{5}, kOffset);
  EXPECT_FALSE(again.allow);
  EXPECT_EQ(again.code, "gate.already_out");  // rule: gate.one_open_exit
  // Back in on this gate: the pass was used.
  const std::vector<OfflineCheck> back{{5, true, true, kNow}, {5, false, true, kNow + minutes{5}}};
  EXPECT_EQ(check_offline(b, c, true, back, kNow + minutes{9}, kOffset).code, "pass.used");
  // A refused check of another pass does not count against this one.
  const std::vector<OfflineCheck> other{{3, true, true, kNow}, {5, true, false, kNow}};
  EXPECT_TRUE(check_offline(b, c, true, other, kNow, kOffset).allow);
}

TEST(OfflineGate, WhatStoodAgainstThePassAtTheBundleStillRefusesIt) {
  for (const PassRefusal r : {PassRefusal::revoked, PassRefusal::used, PassRefusal::returned,
                              PassRefusal::holder_positive, PassRefusal::building_closed}) {
    OfflinePass p = individual(5, 50);
    p.refusal = r;
    const OfflineVerdict v =
        check_offline(bundle_with({p}), claims_of(5, 50), true, {}, kNow, kOffset);
    EXPECT_FALSE(v.allow) << to_code(r);
    EXPECT_EQ(v.code, to_code(r));
  }
}

TEST(OfflineGate, ValidityStaleBundlesAndUnknownPasses) {
  const OfflineBundle b = bundle_with({individual(5, 50)});
  PassClaims c = claims_of(5, 50);
  EXPECT_EQ(check_offline(b, c, true, {}, c.valid_until, kOffset).code, "pass.expired");
  EXPECT_EQ(check_offline(b, c, true, {}, c.valid_from - seconds{1}, kOffset).code,
            "pass.not_yet_valid");
  OfflineBundle stale = b;
  stale.stale_after = kNow - seconds{1};
  EXPECT_EQ(check_offline(stale, c, true, {}, kNow, kOffset).code, "offline.stale");
  // Coming in is never refused, even on stale data.
  EXPECT_TRUE(check_offline(stale, c, false, {}, kNow, kOffset).allow);

  // Not in the bundle: older than it means unknown; issued since, it goes out once.
  PassClaims older = claims_of(9, 90);
  EXPECT_EQ(check_offline(b, older, true, {}, kNow, kOffset).code, "offline.unknown_pass");
  PassClaims newer = older;
  newer.valid_from = kBundleAt + minutes{10};
  EXPECT_TRUE(check_offline(b, newer, true, {}, kNow, kOffset).allow);
  const std::vector<OfflineCheck> queued{{9, true, true, kNow, 90}};
  EXPECT_EQ(check_offline(b, newer, true, queued, kNow, kOffset).code, "gate.already_out");

  PassClaims someone_else = c;
  someone_else.holder = 51;
  EXPECT_EQ(check_offline(b, someone_else, true, {}, kNow, kOffset).code, "pass.unknown");
  PassClaims elsewhere = c;
  elsewhere.community_id = 2;
  EXPECT_EQ(check_offline(b, elsewhere, true, {}, kNow, kOffset).code, "pass.wrong_community");
}

TEST(OfflineGate, ComingInClosesAnExitFromTheBundleOrFromThisGate) {
  OfflinePass out = individual(5, 50);
  out.out = true;
  const OfflineBundle b = bundle_with({individual(3, 30), out});
  EXPECT_EQ(check_offline(b, claims_of(5, 50), false, {}, kNow, kOffset).code, "gate.in");
  EXPECT_EQ(check_offline(b, claims_of(3, 30), false, {}, kNow, kOffset).code,
            "gate.in_without_exit");
  const std::vector<OfflineCheck> went{{3, true, true, kNow}};
  EXPECT_EQ(check_offline(b, claims_of(3, 30), false, went, kNow, kOffset).code, "gate.in");
  const std::vector<OfflineCheck> came_back{{5, false, true, kNow}};
  EXPECT_EQ(check_offline(b, claims_of(5, 50), false, came_back, kNow, kOffset).code,
            "gate.in_without_exit");
}

TEST(OfflineGate, HouseholdPassesCountTheBundlesUsesAndThisGates) {
  OfflinePass h = individual(7, 70);
  h.kind = PassKind::household;
  h.quota = 2;
  h.period_days = 7;
  h.slots = parse_time_slots("08:00-12:00,14:00-18:00");
  h.uses = {kBundleAt - days{2}};
  const OfflineBundle b = bundle_with({h});
  const PassClaims c = claims_of(7, 70, PassKind::household);
  EXPECT_TRUE(check_offline(b, c, true, {}, kNow, kOffset).allow);
  // 13:00 in Shanghai is between the slots.
  EXPECT_EQ(check_offline(b, c, true, {}, kBundleAt + hours{4}, kOffset).code,
            "household.time_slot");
  // Out and back on this gate: the second use of the week is the last.
  const std::vector<OfflineCheck> one_more{{7, true, true, kNow},
                                           {7, false, true, kNow + hours{1}}};
  EXPECT_EQ(check_offline(b, c, true, one_more, kNow + hours{2}, kOffset).code, "household.quota");
  // Still out: the same pass cannot let a second person out.
  const std::vector<OfflineCheck> still_out{{7, true, true, kNow}};
  EXPECT_EQ(check_offline(b, c, true, still_out, kNow + hours{1}, kOffset).code,
            "gate.already_out");
}

// rule: gate.one_open_exit, gate.return_closes_exit — one person, two passes: out on one, the
// other does not let them out again, and coming in on either closes the exit.
TEST(OfflineGate, ThePersonIsOutWhicheverPassTheyShow) {
  OfflinePass household = individual(7, 70);
  household.kind = PassKind::household;
  household.quota = 2;
  household.period_days = 7;
  household.out = true;  // out on it when the bundle was made
  const OfflineBundle b = bundle_with({individual(5, 70), household});
  const PassClaims other = claims_of(5, 70);
  EXPECT_EQ(check_offline(b, other, true, {}, kNow, kOffset).code, "gate.already_out");
  EXPECT_EQ(check_offline(b, other, false, {}, kNow, kOffset).code, "gate.in");
  // Back in on the other pass at this gate: the person is home, the individual pass still valid.
  const std::vector<OfflineCheck> came_back{{5, false, true, kNow}};
  EXPECT_EQ(check_offline(b, other, true, came_back, kNow + minutes{1}, kOffset).code, "gate.out");
  // Out on the individual pass at this gate: the household pass does not let them out again.
  const std::vector<OfflineCheck> went{{5, false, true, kNow}, {5, true, true, kNow + minutes{1}}};
  EXPECT_EQ(check_offline(b, claims_of(7, 70, PassKind::household), true, went, kNow + minutes{2},
                          kOffset)
                .code,
            "gate.already_out");
}

// An exit an offline gate allowed, checked when it syncs against the exits logged meanwhile.
TEST(OfflineGate, ASyncedExitCountsEveryExitOfItsPassLaterOnesToo) {
  const Instant t = kNow;
  const std::vector<LoggedExit> none;
  const std::optional<Instant> no_return;
  EXPECT_EQ(check_synced_exit(PassKind::individual, none, none, 0, 0, t, no_return), std::nullopt);
  const std::vector<LoggedExit> later{{t + hours{1}, t + hours{2}}};
  EXPECT_EQ(check_synced_exit(PassKind::individual, later, later, 0, 0, t, t + minutes{30}),
            "pass.used");

  // `back`: the holder's return the same sync brings.
  struct Case {
    const char* name;
    std::vector<LoggedExit> exits;
    std::optional<Instant> back;
    std::optional<std::string_view> expected;
  } cases[] = {
      {"no exits", {}, no_return, std::nullopt},
      {"one before, back", {{t - hours{3}, t - hours{2}}}, no_return, std::nullopt},
      {"out at that moment", {{t - hours{1}, std::nullopt}}, no_return, "gate.already_out"},
      {"out then, back later", {{t - hours{1}, t + hours{1}}}, no_return, "gate.already_out"},
      {"two before in the week",
       {{t - days{2}, t - days{2} + hours{1}}, {t - days{1}, t - days{1} + hours{1}}},
       no_return,
       "household.quota"},
      // The seed case: one before and one logged after it, within a week of each other.
      {"one before, one after",
       {{t - hours{1}, t - minutes{50}}, {t + minutes{20}, t + hours{1}}},
       t + minutes{10},
       "household.quota"},
      {"one after only, back before it",
       {{t + minutes{20}, t + hours{1}}},
       t + minutes{10},
       std::nullopt},
      // Out again later with no return in between: this exit would stay open behind it.
      {"one after only, no return before it",
       {{t + minutes{20}, t + hours{1}}},
       t + minutes{30},
       "gate.already_out"},
      {"one after only, no return at all",
       {{t + minutes{20}, t + hours{1}}},
       no_return,
       "gate.already_out"},
      {"older than a week",
       {{t - days{8}, t - days{8} + hours{1}}, {t - days{7}, t - days{7} + hours{1}}},
       no_return,
       std::nullopt},
      {"two after, a week later",
       {{t + days{7}, t + days{7} + hours{1}}, {t + days{8}, t + days{8} + hours{1}}},
       t + hours{1},
       std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(check_synced_exit(PassKind::household, c.exits, c.exits, 2, 7, t, c.back), c.expected)
        << c.name;
  }
  // rule: gate.one_open_exit — out then on another pass of theirs.
  const std::vector<LoggedExit> elsewhere{{t - hours{1}, t + hours{1}}};
  EXPECT_EQ(check_synced_exit(PassKind::individual, none, elsewhere, 0, 0, t, no_return),
            "gate.already_out");
  EXPECT_EQ(check_synced_exit(PassKind::household, none, elsewhere, 2, 7, t, no_return),
            "gate.already_out");
  const std::vector<LoggedExit> back_before{{t - hours{2}, t - hours{1}}};
  EXPECT_EQ(check_synced_exit(PassKind::individual, none, back_before, 0, 0, t, no_return),
            std::nullopt);
}

TEST(OfflineGate, RefusalsWithoutAPassCarryTheirCodes) {
  EXPECT_EQ(refuse_offline(OfflineRefusal::needs_network).code, "offline.needs_network");
  EXPECT_FALSE(refuse_offline(PassRefusal::bad_signature).allow);
  EXPECT_EQ(to_label_zh(OfflineRefusal::stale), "离线数据已过期，请联网更新后再核验");
  EXPECT_EQ(gate_label_zh("offline.stale"), to_label_zh(OfflineRefusal::stale));
  EXPECT_EQ(gate_label_zh("pass.used"), to_label_zh(PassRefusal::used));
  EXPECT_EQ(gate_label_zh("gate.in"), to_label_zh(GateOutcome::in));
  EXPECT_EQ(gate_label_zh("gate.already_out"), to_label_zh(GateOutcome::already_out));
  EXPECT_EQ(gate_label_zh("household.building_closed"), to_label_zh(PassRefusal::building_closed));
  EXPECT_EQ(gate_label_zh("no.such"), "no.such");
}

}  // namespace
}  // namespace juwei::domain
