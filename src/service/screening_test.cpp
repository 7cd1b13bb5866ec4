#include "service/screening.hpp"

#include "service/screening_test_fixture.hpp"

namespace juwei::service {
namespace {

TEST_F(ScreeningTest, ASamplingPointFillsTubesAndCoverageCountsThem) {
  Screening screening(*m_store, clock());
  const auto round = screening.create_round(m_community, "2022-04-04", {}, 1).value();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(screening.record_sample(m_community, round.id, swab(i, "T0001"), 1))
        << "swab " << i;
  }
  auto eleventh = screening.record_sample(m_community, round.id, swab(10, "T0001"), 1);
  ASSERT_FALSE(eleventh.has_value());
  EXPECT_EQ(eleventh.error().kind, Error::Kind::conflict);
  EXPECT_EQ(eleventh.error().fields.at(0).code, "sample.tube_full");
  ASSERT_TRUE(screening.record_sample(m_community, round.id, swab(10, "T0002"), 1));

  // Twice in a round only as a resample with a reason.
  auto twice =
      screening.record_sample(m_community, round.id, swab(0, "S0001", TubeKind::single), 1);
  EXPECT_EQ(twice.error().fields.at(0).code, "sample.already_sampled");
  auto resample = swab(0, "S0001", TubeKind::single);
  resample.resample_reason = "试管破损";
  auto again = screening.record_sample(m_community, round.id, resample, 1);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->resample_reason, "试管破损");

  const auto coverage = screening.coverage(m_community, round.id).value();
  ASSERT_EQ(coverage.size(), 2u);
  EXPECT_EQ(coverage[0].building_id, m_b12);
  EXPECT_EQ(coverage[0].expected, 12);
  EXPECT_EQ(coverage[0].sampled, 11);  // resident 11 is missing; the resample counts once
  EXPECT_EQ(coverage[1].expected, 1);
  EXPECT_EQ(coverage[1].sampled, 0);

  // The next round cannot reuse a tube.
  const auto next = screening.create_round(m_community, "2022-04-05", {}, 1).value();
  auto reused = screening.record_sample(m_community, next.id, swab(11, "T0002"), 1);
  EXPECT_EQ(reused.error().fields.at(0).code, "sample.tube_reused");
}

// Issue 17 item 2 (rule screening.one_round_a_day): a day's second round is made only when
// asked for, numbered 第2轮; its door-knock list and coverage count the swabs of the day's
// first round, so volunteers knock on no door already swabbed.
TEST_F(ScreeningTest, ADaysSecondRoundIsConfirmedAndCountsTheFirstRoundsSwabs) {
  Screening screening(*m_store, clock());
  const auto first = screening.create_round(m_community, "2022-04-04", {}, 1).value();
  EXPECT_EQ(first.number_in_day, 1);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(screening.record_sample(m_community, first.id, swab(i, "T1"), 1));
  }
  const auto refused = screening.create_round(m_community, "2022-04-04", {m_b13}, 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, Error::Kind::conflict);
  EXPECT_EQ(refused.error().fields.at(0).code, "round.same_day");
  EXPECT_NE(refused.error().message.find("screening.one_round_a_day"), std::string::npos);
  EXPECT_EQ(screening.rounds(m_community).value().size(), 1u);

  const auto second = screening.create_round(m_community, "2022-04-04", {}, 1, true).value();
  EXPECT_EQ(second.number_in_day, 2);
  const auto listed = screening.rounds(m_community).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].number_in_day, 1);
  EXPECT_EQ(listed[1].number_in_day, 2);
  // The second round's list: only the three nobody swabbed that day.
  const auto list = screening.door_knock_list(m_community, second.id, domain::Role::staff).value();
  std::vector<domain::ResidentId> missing;
  for (const auto& b : list) {
    for (const auto& f : b.floors) {
      for (const auto& r : f.residents)
        missing.push_back(r.resident.id);
    }
  }
  EXPECT_EQ(missing,
            (std::vector<domain::ResidentId>{m_residents[10], m_residents[11], m_residents[12]}));
  // A swab in the second round counts for the first too; coverage is the day's.
  ASSERT_TRUE(screening.record_sample(m_community, second.id, swab(10, "T2"), 1));
  const auto coverage = screening.coverage(m_community, first.id).value();
  ASSERT_EQ(coverage.size(), 2u);
  EXPECT_EQ(coverage[0].sampled, 11);
  EXPECT_EQ(screening.coverage(m_community, second.id).value()[0].sampled, 11);
  // Another day is a day of its own.
  EXPECT_EQ(screening.create_round(m_community, "2022-04-05", {}, 1).value().number_in_day, 1);
}

TEST_F(ScreeningTest, TheDoorKnockListNamesWhoIsMissingByBuildingAndFloor) {
  Screening screening(*m_store, clock());
  const auto round = screening.create_round(m_community, "2022-04-04", {}, 1).value();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(screening.record_sample(m_community, round.id, swab(i, "T1"), 1));
  }
  const auto list = screening.door_knock_list(m_community, round.id, domain::Role::staff).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].building, "12号楼");
  ASSERT_EQ(list[0].floors.size(), 1u);
  EXPECT_EQ(list[0].floors[0].floor, 1);  // room 102
  ASSERT_EQ(list[0].floors[0].residents.size(), 2u);
  EXPECT_EQ(list[0].floors[0].residents[0].resident.id, m_residents[10]);
  EXPECT_EQ(list[1].building, "13号楼");
  EXPECT_EQ(list[1].floors[0].residents.at(0).resident.id, m_residents[12]);

  // A round of 13号楼 only knocks there.
  const auto some = screening.create_round(m_community, "2022-04-05", {m_b13}, 1).value();
  const auto narrow =
      screening.door_knock_list(m_community, some.id, domain::Role::volunteer).value();
  ASSERT_EQ(narrow.size(), 1u);
  EXPECT_EQ(narrow[0].building_id, m_b13);
  EXPECT_NE(narrow[0].floors.at(0).residents.at(0).resident.id_number.find("**********"),
            std::string::npos);  // masked for a volunteer
}

TEST(DoorKnock, FloorsComeFromRoomNumbers) {
  EXPECT_EQ(floor_of_room("301"), 3);
  EXPECT_EQ(floor_of_room("1203"), 12);
  EXPECT_EQ(floor_of_room("2-1501"), 15);
  EXPECT_EQ(floor_of_room("301室"), 3);
  EXPECT_EQ(floor_of_room("12"), 0);
  EXPECT_EQ(floor_of_room("地下室"), 0);
}

TEST_F(ScreeningTest, ARoundOfSomeBuildingsCoversOnlyThem) {
  Screening screening(*m_store, clock());
  const auto round = screening.create_round(m_community, "2022-04-04", {m_b13}, 1).value();
  EXPECT_EQ(round.buildings, (std::vector<domain::BuildingId>{m_b13}));
  auto outside = screening.record_sample(m_community, round.id, swab(0, "T1"), 1);
  EXPECT_EQ(outside.error().kind, Error::Kind::conflict);
  ASSERT_TRUE(screening.record_sample(m_community, round.id, swab(12, "T1"), 1));
  const auto coverage = screening.coverage(m_community, round.id).value();
  ASSERT_EQ(coverage.size(), 1u);
  EXPECT_EQ(coverage[0].sampled, 1);
}

TEST_F(ScreeningTest, BadInputIsNamed) {
  Screening screening(*m_store, clock());
  EXPECT_EQ(screening.create_round(m_community, "4月4日", {}, 1).error().fields.at(0).field, "day");
  EXPECT_EQ(screening.create_round(m_community, "2022-04-04", {999}, 1).error().fields.at(0).field,
            "buildings");
  const auto round = screening.create_round(m_community, "2022-04-04", {}, 1).value();
  EXPECT_EQ(
      screening.record_sample(m_community, round.id, swab(0, " "), 1).error().fields.at(0).field,
      "tube_code");
  SampleInput ghost = swab(0, "T9");
  ghost.resident_id = 9999;
  EXPECT_EQ(screening.record_sample(m_community, round.id, ghost, 1).error().fields.at(0).field,
            "resident_id");
  EXPECT_EQ(screening.record_sample(m_community, 77, swab(0, "T9"), 1).error().kind,
            Error::Kind::not_found);
}

}  // namespace
}  // namespace juwei::service
