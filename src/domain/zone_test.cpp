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

TEST(ZoneStatus, CodesAndLabels) {
  for (ZoneStatus s : {ZoneStatus::sealed, ZoneStatus::controlled, ZoneStatus::precaution}) {
    EXPECT_EQ(zone_status_from_code(to_code(s)), s);
  }
  EXPECT_EQ(to_label_zh(ZoneStatus::sealed), "封控区");
  EXPECT_FALSE(zone_status_from_code("closed").has_value());
}

}  // namespace
}  // namespace juwei::domain
