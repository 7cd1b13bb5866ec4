#include "service/zones.hpp"

#include "service/service_test_fixture.hpp"

namespace juwei::service {
namespace {

using namespace std::chrono;
using domain::ZoneStatus;

class ZonesTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    Registry registry(*m_store, clock());
    m_building = registry.create_building(m_community, {"12号楼", 6}, kOperator).value().value.id;
    m_other = registry.create_building(m_community, {"13号楼", 6}, kOperator).value().value.id;
  }
  domain::BuildingId m_building = 0;
  domain::BuildingId m_other = 0;
};

TEST_F(ZonesTest, TheTimersSuggestTheStepDownAndTheSecretaryConfirms) {
  Zones zones(*m_store, clock());
  ASSERT_TRUE(zones.set_status(m_community, m_building, ZoneStatus::sealed, 1, "阳性病例", ""));
  auto overview = zones.overview(m_community).value();
  ASSERT_EQ(overview.size(), 2u);
  ASSERT_TRUE(overview[0].current.has_value());
  EXPECT_EQ(overview[0].current->status, ZoneStatus::sealed);
  ASSERT_TRUE(overview[0].suggestion.has_value());
  EXPECT_EQ(overview[0].suggestion->next, ZoneStatus::controlled);
  EXPECT_EQ(overview[0].suggestion->remaining, days{7});
  EXPECT_FALSE(overview[1].current.has_value());  // no status set yet

  // Day 6 23:59:59: not yet; the step rule is refused, a manual change with a reason is not.
  m_now += days{7} - seconds{1};
  auto early = zones.set_status(m_community, m_building, ZoneStatus::controlled, 1, "满7天",
                                domain::kRuleSealedToControlled);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().kind, Error::Kind::conflict);
  m_now += seconds{1};
  EXPECT_TRUE(zones.overview(m_community).value()[0].suggestion->due);
  auto step = zones.set_status(m_community, m_building, ZoneStatus::controlled, 1, "满7天",
                               domain::kRuleSealedToControlled);
  ASSERT_TRUE(step.has_value()) << step.error().message;
  EXPECT_EQ(step->rule, domain::kRuleSealedToControlled);

  // Controlled: three more clean days to precaution.
  overview = zones.overview(m_community).value();
  EXPECT_EQ(overview[0].suggestion->next, ZoneStatus::precaution);
  EXPECT_EQ(overview[0].suggestion->due_at, m_now + days{3});

  const auto history = zones.history(m_community, m_building).value();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].reason, "阳性病例");
  EXPECT_EQ(history[0].rule, domain::kRuleManual);
  EXPECT_EQ(history[1].changed_at, iso_utc(m_now));
}

TEST_F(ZonesTest, ChangesNeedAReasonAKnownRuleAndAChange) {
  Zones zones(*m_store, clock());
  auto no_reason = zones.set_status(m_community, m_building, ZoneStatus::sealed, 1, "  ", "");
  ASSERT_FALSE(no_reason.has_value());
  EXPECT_EQ(no_reason.error().fields.at(0).field, "reason");
  EXPECT_EQ(zones.set_status(m_community, m_building, ZoneStatus::sealed, 1, "x", "zone.whim")
                .error()
                .kind,
            Error::Kind::invalid);
  ASSERT_TRUE(zones.set_status(m_community, m_building, ZoneStatus::sealed, 1, "阳性", ""));
  EXPECT_EQ(
      zones.set_status(m_community, m_building, ZoneStatus::sealed, 1, "again", "").error().kind,
      Error::Kind::conflict);
  EXPECT_EQ(zones.set_status(m_community, 999, ZoneStatus::sealed, 1, "x", "").error().kind,
            Error::Kind::not_found);
  EXPECT_EQ(zones.history(m_community, 999).error().kind, Error::Kind::not_found);
  // A step rule that does not match the suggestion is refused.
  EXPECT_EQ(zones
                .set_status(m_community, m_other, ZoneStatus::precaution, 1, "x",
                            domain::kRuleControlledToPrecaution)
                .error()
                .kind,
            Error::Kind::conflict);
}

TEST(Clock, IsoTimesRoundTrip) {
  const TimePoint t = sys_days{year{2022} / 4 / 4} + hours{23} + minutes{59} + seconds{58};
  EXPECT_EQ(parse_iso_utc(iso_utc(t)), t);
  EXPECT_FALSE(parse_iso_utc("2022-02-30T00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso_utc("2022-04-04 00:00:00").has_value());
  EXPECT_FALSE(parse_iso_utc("2022-04-04T24:00:00Z").has_value());
}

TEST(Clock, ReadsTimesAsLabsAndPeopleWriteThem) {
  const TimePoint ten_utc = sys_days{year{2022} / 4 / 5} + hours{2};  // 10:00 in Shanghai
  const std::pair<const char*, std::optional<TimePoint>> cases[] = {
      {"2022-04-05 10:00", ten_utc},
      {"2022-04-05 10:00:00", ten_utc},
      {"2022/04/05 10:00", ten_utc},
      {"2022-04-05T10:00", ten_utc},
      {"2022-04-05T02:00:00Z", ten_utc},
      {"2022-04-05T10:00:00+08:00", ten_utc},
      {"2022-04-05T10:00+0800", ten_utc},
      {"2022-04-04T21:00:00-05:00", ten_utc},
      {"2022-04-05 00:30", sys_days{year{2022} / 4 / 4} + hours{16} + minutes{30}},  // day before
      {"2022-04-05", std::nullopt},
      {"2022-04-31 10:00", std::nullopt},
      {"2022-04-05 25:00", std::nullopt},
      {"2022-04-05 10:00 extra", std::nullopt},
      {"04/05/2022 10:00", std::nullopt},
  };
  for (const auto& [text, want] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_time(text), want);
  }
}

}  // namespace
}  // namespace juwei::service
