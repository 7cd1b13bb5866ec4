#include "service/lab_results.hpp"

#include <list>
#include <set>

#include "service/accounts.hpp"
#include "service/screening_test_fixture.hpp"
#include "service/zones.hpp"

namespace juwei::service {
namespace {

using namespace std::chrono;
using domain::ResidentStanding;
using domain::TestResult;

class LabResultsTest : public ScreeningTest {
 protected:
  void SetUp() override {
    ScreeningTest::SetUp();
    Screening screening(*m_store, clock());
    m_round = screening.create_round(m_community, "2022-04-04", {}, 1).value().id;
    // P1: residents 0-5 (room 101) and 6-9 (room 102); P2: resident 10; S1: resident 11 alone;
    // resident 12 (13号楼) in P3.
    for (int i = 0; i < 10; ++i)
      EXPECT_TRUE(screening.record_sample(m_community, m_round, swab(i, "P1"), 1));
    EXPECT_TRUE(screening.record_sample(m_community, m_round, swab(10, "P2"), 1));
    EXPECT_TRUE(screening.record_sample(m_community, m_round, swab(11, "S1", TubeKind::single), 1));
    EXPECT_TRUE(screening.record_sample(m_community, m_round, swab(12, "P3"), 1));
    m_now += hours{6};  // results come in the afternoon
  }

  ResultsReport ingest(const std::string& csv, ResultsOptions options = {}) {
    m_files.push_back(csv);
    auto report = import_results(*m_store, clock(), m_community,
                                 memory_source("results.csv", m_files.back()), options);
    EXPECT_TRUE(report.has_value()) << report.error().message;
    return report.value_or(ResultsReport{});
  }
  ResidentStanding standing(int resident) {
    return LabResults(*m_store, clock())
        .history(m_community, m_residents.at(resident))
        .value()
        .standing;
  }
  std::optional<TestResult> stored(const std::string& tube) {
    auto tx = m_store->begin(store::TxMode::read).value();
    auto r = tx->get_tube_result(m_community, tube).value();
    return r ? std::optional(r->result) : std::nullopt;
  }

  std::int64_t m_round = 0;
  std::list<std::string> m_files;  // uploads outlive their import
};

constexpr const char* kNegatives =
    "tube_code,result,reported_at,lab\n"
    "P1,阴性,2022-04-04 14:00,华大\n"
    "P2,negative,2022-04-04T06:00:00Z,华大\n"
    "S1,阴性,2022-04-04 14:00:00,华大\n";

TEST_F(LabResultsTest, ANegativeTubeClearsItsResidentsAndResendingChangesNothing) {
  const std::int64_t before = last_seq();
  const ResultsReport first = ingest(kNegatives);
  EXPECT_TRUE(first.committed);
  // The import is in the audit trail, by the operator (ingest() names nobody).
  const auto audited_import = audited(before);
  ASSERT_EQ(audited_import.size(), 1u);
  EXPECT_EQ(audited_import[0].action, "results.import");
  EXPECT_EQ(audited_import[0].entity, "import");
  EXPECT_EQ(audited_import[0].actor, kOperator);
  EXPECT_EQ(first.added, 3);
  EXPECT_TRUE(first.positives.empty());
  for (int i : {0, 9, 10, 11})
    EXPECT_EQ(standing(i), ResidentStanding::negative) << i;
  EXPECT_EQ(standing(12), ResidentStanding::pending);  // P3 not reported yet

  auto imports_before = [&] {
    auto tx = m_store->begin(store::TxMode::read).value();
    return tx->list_imports(m_community).value().size();
  };
  const auto history_rows = imports_before();
  const ResultsReport again = ingest(kNegatives);
  EXPECT_TRUE(again.committed);
  EXPECT_EQ(again.added, 0);
  EXPECT_EQ(again.unchanged, 3);
  EXPECT_EQ(again.conflicts, 0);
  EXPECT_EQ(imports_before(), history_rows);  // nothing at all changed
  EXPECT_EQ(audited(before).size(), 1u);      // nor in the trail
}

TEST_F(LabResultsTest, ADifferentResultIsKeptAsAConflictNeverOverwritten) {
  ingest(kNegatives);
  const std::string disagreeing =
      "试管编码,检测结果,报告时间,检测机构\n"
      "P2,阳性,2022-04-04 15:00,复核实验室\n";
  const ResultsReport r = ingest(disagreeing);
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(stored("P2"), TestResult::negative);
  EXPECT_EQ(ingest(disagreeing).conflicts, 0);  // the same conflict is not kept twice

  LabResults results(*m_store, clock());
  auto open = results.conflicts(m_community, true).value();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].tube_code, "P2");
  EXPECT_EQ(open[0].stored_result, TestResult::negative);
  EXPECT_EQ(open[0].source, "results.csv line 2");

  EXPECT_EQ(results.resolve_conflict(m_community, open[0].id, true, "", 1).error().kind,
            Error::Kind::invalid);  // a reason is required
  auto accepted = results.resolve_conflict(m_community, open[0].id, true, "实验室复核确认", 1);
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(stored("P2"), TestResult::positive);
  EXPECT_EQ(standing(10), ResidentStanding::retest);
  EXPECT_EQ(results.resolve_conflict(m_community, open[0].id, false, "再改", 1).error().kind,
            Error::Kind::conflict);
  EXPECT_TRUE(results.conflicts(m_community, true).value().empty());
  // The original file again: its result was replaced by a decision, so nothing changes.
  const ResultsReport resent = ingest(kNegatives);
  EXPECT_EQ(resent.conflicts, 0);
  EXPECT_EQ(stored("P2"), TestResult::positive);
}

TEST_F(LabResultsTest, BadRowsAreNamedByLineAndFieldAndRefuseTheFile) {
  const std::string csv =
      "tube_code,result,reported_at,lab\n"
      "P1,negative,2022-04-04 14:00,A\n"
      "P2,maybe,2022-04-04 14:00,A\n"
      "S1,negative,04/04/2022,A\n"
      "NOPE,negative,2022-04-04 14:00,A\n"
      "P3,negative,2022-04-05 14:00,A\n"
      "P3,negative,2022-04-03 14:00,A\n";
  const ResultsReport r = ingest(csv);
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.rejected, 4);
  EXPECT_EQ(r.unknown, 1);
  std::vector<std::pair<std::size_t, std::string>> got;
  for (const RowProblem& p : r.problems)
    got.emplace_back(p.line, p.code);
  const std::vector<std::pair<std::size_t, std::string>> want = {
      {3, "result.invalid"},     {4, "reported_at.invalid"},         {5, "tube_code.unknown"},
      {6, "reported_at.future"}, {7, "reported_at.before_sampling"},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(stored("P1"), std::nullopt);  // nothing from a refused file

  ResultsOptions skip;
  skip.skip_invalid = true;
  const ResultsReport rest = ingest(csv, skip);
  EXPECT_TRUE(rest.committed);
  EXPECT_EQ(rest.added, 1);
  EXPECT_EQ(stored("P1"), TestResult::negative);
}

TEST_F(LabResultsTest, AnUnknownTubeIsReportedAndTheRestCounts) {
  const ResultsReport r = ingest(
      "tube_code,result,reported_at\n"
      "P1,negative,2022-04-04 14:00\n"
      "X9,negative,2022-04-04 14:00\n");
  EXPECT_TRUE(r.committed);
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(r.unknown, 1);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 3u);
  EXPECT_EQ(r.problems[0].field, "tube_code");
}

TEST_F(LabResultsTest, AReportInTheSecondOfTheSwabCountsAndOneSecondEarlierDoesNot) {
  // The tubes were swabbed at 2022-04-04T02:00:00Z.
  const ResultsReport r = ingest(
      "tube_code,result,reported_at\n"
      "P1,negative,2022-04-04T02:00:00Z\n"
      "P2,negative,2022-04-04 09:59:59\n"
      "P1,negative,2022-04-04 14:00\n");
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(r.rejected, 1);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 3u);
  EXPECT_EQ(r.problems[0].code, "reported_at.before_sampling");
}

TEST_F(LabResultsTest, APositiveSingleTubeIsACaseThatSealsItsBuilding) {
  Zones zones(*m_store, clock());
  ASSERT_TRUE(zones.set_status(m_community, m_b12, domain::ZoneStatus::controlled, 1, "管控",
                               domain::kRuleManual));
  m_now += hours{2};
  const ResultsReport r = ingest("tube_code,result,reported_at\nS1,阳性,2022-04-04 17:00\n");
  ASSERT_EQ(r.positives.size(), 1u);
  const PositiveNotice& n = r.positives[0];
  EXPECT_EQ(n.residents, std::vector{m_residents[11]});
  EXPECT_EQ(n.buildings, std::vector{m_b12});
  EXPECT_EQ(n.follow_up.suggest, domain::ZoneStatus::sealed);
  EXPECT_EQ(n.building_retest_after, "2022-04-05T09:00:00Z");
  EXPECT_EQ(standing(11), ResidentStanding::positive);

  const auto overview = zones.overview(m_community).value();
  const auto& b12 = overview.at(0);
  ASSERT_EQ(b12.building.id, m_b12);
  ASSERT_TRUE(b12.suggestion);
  EXPECT_EQ(b12.suggestion->next, domain::ZoneStatus::sealed);
  EXPECT_EQ(b12.suggestion->rule, domain::kRulePositiveSeals);
  EXPECT_TRUE(b12.suggestion->due);
  EXPECT_EQ(b12.retest_due_at, sys_days{year{2022} / 4 / 5} + hours{9});
  // The secretary confirms by the rule; the sealed clock starts then.
  ASSERT_TRUE(zones.set_status(m_community, m_b12, domain::ZoneStatus::sealed, 1, "确诊",
                               domain::kRulePositiveSeals));
  // A round covering the building after the report answers the retest.
  m_now += hours{24};
  Screening(*m_store, clock()).create_round(m_community, "2022-04-05", {m_b12}, 1).value();
  EXPECT_FALSE(zones.overview(m_community).value().at(0).retest_due_at);
}

TEST_F(LabResultsTest, APositivePoolPutsItsResidentsOnRetestAndTheirHousematesOnTheHomeList) {
  Zones zones(*m_store, clock());
  ASSERT_TRUE(zones.set_status(m_community, m_b12, domain::ZoneStatus::precaution, 1, "防范",
                               domain::kRuleManual));
  m_now += hours{2};
  // Resident 10 lives in room 102 with residents 6-9 (in P1) and 11 (in S1).
  const ResultsReport r =
      ingest("tube_code,result,reported_at\nP2,阳性,2022-04-04 17:00\nS1,阴性,2022-04-04 17:00\n");
  ASSERT_EQ(r.positives.size(), 1u);
  EXPECT_EQ(r.positives[0].follow_up.suggest, domain::ZoneStatus::controlled);
  EXPECT_EQ(r.positives[0].housemates, 5);
  EXPECT_EQ(standing(10), ResidentStanding::retest);

  LabResults results(*m_store, clock());
  const auto positives = results.round_positives(m_community, m_round).value();
  ASSERT_EQ(positives.size(), 1u);
  EXPECT_EQ(positives[0].outcome, domain::SwabOutcome::retest);
  EXPECT_FALSE(positives[0].cleared);

  auto home = results.home_sampling_list(m_community).value();
  std::vector<std::pair<domain::ResidentId, std::string>> listed;
  for (const auto& e : home)
    listed.emplace_back(e.resident.resident.id, e.reason);
  EXPECT_EQ(listed.size(), 6u);  // 10 on retest, 6-9 and 11 with them
  EXPECT_TRUE(std::ranges::count(listed, std::pair{m_residents[10], std::string("retest")}));
  EXPECT_TRUE(
      std::ranges::count(listed, std::pair{m_residents[6], std::string("housemate_of_retest")}));

  auto overview = zones.overview(m_community).value();
  ASSERT_TRUE(overview.at(0).suggestion);
  EXPECT_EQ(overview.at(0).suggestion->next, domain::ZoneStatus::controlled);
  EXPECT_EQ(overview.at(0).suggestion->rule, domain::kRulePositivePoolControls);
  ASSERT_TRUE(zones.set_status(m_community, m_b12, domain::ZoneStatus::controlled, 1, "混管阳性",
                               domain::kRulePositivePoolControls));
  m_now += days{4};
  overview = zones.overview(m_community).value();
  ASSERT_TRUE(overview.at(0).suggestion);
  EXPECT_TRUE(overview.at(0).suggestion->held);  // 3 clean days, but the retest is open

  // The retest at home in a single tube, negative: cleared; the step down is free.
  Screening screening(*m_store, clock());
  const auto retest = screening.create_round(m_community, "2022-04-08", {m_b12}, 1).value().id;
  auto single = swab(10, "S2", TubeKind::single);
  single.at_home = true;
  ASSERT_TRUE(screening.record_sample(m_community, retest, single, 1));
  m_now += hours{4};
  EXPECT_EQ(ingest("tube_code,result,reported_at\nS2,阴性,2022-04-08 21:00\n").added, 1);
  EXPECT_EQ(standing(10), ResidentStanding::negative);
  EXPECT_TRUE(results.round_positives(m_community, m_round).value().at(0).cleared);
  overview = zones.overview(m_community).value();
  ASSERT_TRUE(overview.at(0).suggestion);
  EXPECT_FALSE(overview.at(0).suggestion->held);
  EXPECT_TRUE(overview.at(0).suggestion->due);
  home = results.home_sampling_list(m_community).value();
  EXPECT_EQ(home.size(), 5u);  // the housemates still wait for their swab
}

TEST_F(LabResultsTest, LatestNegativeIsWhatExitPassesAsk) {
  LabResults results(*m_store, clock());
  const auto resident = m_residents[11];
  EXPECT_FALSE(
      results.latest_negative(m_community, resident, m_now, domain::CountedFrom::sampled).value());
  ingest(kNegatives);
  const auto got =
      results.latest_negative(m_community, resident, m_now, domain::CountedFrom::reported).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->tube_code, "S1");
  EXPECT_EQ(got->sampled_at, "2022-04-04T02:00:00Z");
  EXPECT_EQ(got->reported_at, "2022-04-04T06:00:00Z");
  // Asked as of before the report, there was none.
  EXPECT_FALSE(
      results.latest_negative(m_community, resident, m_now - hours{3}, domain::CountedFrom::sampled)
          .value());
}

// latest_negative reads only the newest tests: it must answer as the whole history does.
TEST_F(LabResultsTest, LatestNegativeAgreesWithTheWholeHistory) {
  Screening screening(*m_store, clock());
  LabResults results(*m_store, clock());
  const domain::User staff{m_community, 51, "s", domain::Role::staff, false, 0};
  const auto sample = [&](std::string_view day, const std::string& tube) {
    const auto round = screening.create_round(m_community, day, {}, 1, true).value().id;
    ASSERT_TRUE(screening.record_sample(m_community, round, swab(0, tube), 1));
  };
  const auto self_test = [&](const std::string& result, const std::string& tested_at) {
    ASSERT_TRUE(
        results.report_antigen(m_community, {m_residents[0], result, tested_at, ""}, staff));
  };
  // Swabbed 2022-04-04T02:00Z into P1 (the fixture), negative.
  ingest("tube_code,result,reported_at\nP1,阴性,2022-04-04 13:00\n");
  // The next day, twice in the same second: a positive, then (a later round, read first) a
  // negative, reported two hours apart.
  m_now = sys_days{2022y / 4 / 5} + hours{2};
  sample("2022-04-05", "POS2");
  sample("2022-04-05", "NEG2");
  m_now += hours{10};
  ingest("tube_code,result,reported_at\nNEG2,阴性,2022-04-05 16:00\nPOS2,阳性,2022-04-05 18:00\n");
  // A negative self-test (it does not count), then a negative swab.
  m_now = sys_days{2022y / 4 / 6} + hours{2};
  self_test("阴性", "2022-04-06 09:00");
  sample("2022-04-06", "NEG3");
  m_now += hours{10};
  ingest("tube_code,result,reported_at\nNEG3,阴性,2022-04-06 14:00\n");
  // A positive self-test, then a negative swab after it; last a swab without a result.
  m_now = sys_days{2022y / 4 / 7} + hours{2};
  self_test("阳性", "2022-04-07 09:30");
  sample("2022-04-07", "NEG4");
  m_now += hours{10};
  ingest("tube_code,result,reported_at\nNEG4,阴性,2022-04-07 15:00\n");
  m_now = sys_days{2022y / 4 / 8} + hours{2};
  sample("2022-04-08", "NONE5");

  const auto tests = results.history(m_community, m_residents[0]).value().tests;
  ASSERT_EQ(tests.size(), 8u);
  std::vector<domain::TestRecord> records;
  for (const store::ResidentTest& t : tests) {
    records.push_back(domain::TestRecord{t.kind, parse_iso_utc(t.sampled_at).value(), t.result,
                                         parse_iso_utc(t.reported_at).value_or(TimePoint{})});
  }
  std::set<std::string> answers;
  for (const auto counted_from : {domain::CountedFrom::sampled, domain::CountedFrom::reported}) {
    for (TimePoint at = sys_days{2022y / 4 / 4}; at < sys_days{2022y / 4 / 9}; at += minutes{30}) {
      const domain::TestRecord* want = domain::latest_negative(records, at, counted_from);
      const auto got = results.latest_negative(m_community, m_residents[0], at, counted_from);
      ASSERT_TRUE(got);
      ASSERT_EQ(got->has_value(), want != nullptr) << iso_utc(at);
      if (want == nullptr) continue;
      const store::ResidentTest& expected = tests[static_cast<std::size_t>(want - records.data())];
      EXPECT_EQ((*got)->tube_code, expected.tube_code) << iso_utc(at);
      answers.insert(expected.tube_code);
    }
  }
  EXPECT_EQ(answers, (std::set<std::string>{"P1", "NEG2", "NEG3", "NEG4"}));
}

TEST_F(LabResultsTest, AwayAndExemptResidentsAreNotKnockedForOrExpected) {
  Screening screening(*m_store, clock());
  const auto round = screening.create_round(m_community, "2022-04-05", {}, 1).value().id;
  ASSERT_TRUE(
      screening.set_mark(m_community, m_residents[0], domain::ScreeningMark::away, "住院", 1));
  ASSERT_TRUE(
      screening.set_mark(m_community, m_residents[1], domain::ScreeningMark::exempt, "婴儿", 1));
  ASSERT_TRUE(
      screening.set_mark(m_community, m_residents[2], domain::ScreeningMark::home, "卧床", 1));
  EXPECT_EQ(screening.set_mark(m_community, m_residents[3], domain::ScreeningMark::away, " ", 1)
                .error()
                .kind,
            Error::Kind::invalid);
  const auto coverage = screening.coverage(m_community, round).value();
  EXPECT_EQ(coverage.at(0).expected, 10);
  EXPECT_EQ(coverage.at(0).excused, 2);
  std::size_t knocked = 0;
  const auto knock = screening.door_knock_list(m_community, round, domain::Role::staff).value();
  for (const auto& b : knock)
    for (const auto& f : b.floors)
      knocked += f.residents.size();
  EXPECT_EQ(knocked, 11u);  // 13 less the away and the exempt; the bedridden one is knocked for
  auto home = LabResults(*m_store, clock()).home_sampling_list(m_community).value();
  ASSERT_EQ(home.size(), 1u);
  EXPECT_EQ(home[0].reason, "home");
  // Bedridden in the register: on the list without a mark, unless away or exempt.
  Registry registry(*m_store, clock());
  for (int i : {5, 0}) {
    ResidentChange change;
    change.vulnerabilities = "卧床";
    ASSERT_TRUE(registry.update_resident(m_community, m_residents[i], change, kOperator));
  }
  home = LabResults(*m_store, clock()).home_sampling_list(m_community).value();
  ASSERT_EQ(home.size(), 2u);  // resident 0 is away
  EXPECT_EQ(home[1].resident.resident.id, m_residents[5]);
  EXPECT_EQ(home[1].reason, "bedridden");
  const std::int64_t before_clear = last_seq();
  ASSERT_TRUE(screening.clear_mark(m_community, m_residents[0], 7));
  EXPECT_EQ(audited(before_clear), (std::vector<Audited>{{"screening_mark.clear", "resident",
                                                          std::to_string(m_residents[0]), 7}}));
  EXPECT_EQ(screening.clear_mark(m_community, m_residents[0], 7).error().kind,
            Error::Kind::not_found);
  EXPECT_EQ(audited(before_clear).size(), 1u);
  EXPECT_EQ(screening.coverage(m_community, round).value().at(0).expected, 11);
}

TEST_F(LabResultsTest, ResidentsReportAntigenTestsForTheirOwnHousehold) {
  Accounts accounts(*m_store, clock());
  domain::User own{m_community, 50, "r0", domain::Role::resident, false, m_residents[0]};
  domain::User staff{m_community, 51, "s", domain::Role::staff, false, 0};
  LabResults results(*m_store, clock());
  AntigenInput in{m_residents[1], "阳性", "2022-04-04 07:30", ""};
  const std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + "pixels";
  in.photo = png;
  auto reported = results.report_antigen(m_community, in, own);  // same household (room 101)
  ASSERT_TRUE(reported) << reported.error().message;
  EXPECT_EQ(reported->photo_type, "image/png");
  EXPECT_EQ(standing(1), ResidentStanding::retest);
  EXPECT_EQ(results.antigen_photo(m_community, reported->id, staff).value().photo, png);

  in.resident_id = m_residents[6];  // room 102: not theirs
  EXPECT_EQ(results.report_antigen(m_community, in, own).error().kind, Error::Kind::not_found);
  EXPECT_EQ(results
                .antigen_photo(m_community, reported->id,
                               domain::User{m_community, 52, "r6", domain::Role::resident, false,
                                            m_residents[6]})
                .error()
                .kind,
            Error::Kind::not_found);
  in.resident_id = m_residents[6];
  in.photo = "GIF89a";
  in.tested_at = "2022-04-05 07:30";
  const auto bad = results.report_antigen(m_community, in, staff);
  ASSERT_FALSE(bad);
  std::vector<std::string> fields;
  for (const auto& f : bad.error().fields)
    fields.push_back(f.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"tested_at", "photo"}));
}

}  // namespace
}  // namespace juwei::service
