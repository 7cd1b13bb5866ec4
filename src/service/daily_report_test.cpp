#include "service/daily_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "service/exits.hpp"
#include "service/lab_results.hpp"
#include "service/resident_import.hpp"
#include "service/screening_test_fixture.hpp"
#include "service/zones.hpp"

namespace juwei::service {
namespace {

using namespace std::chrono;
using domain::Role;

// A small community whose every figure on 2022-04-04 is counted by hand: 13 residents (12 in
// 12号楼: rooms 101 and 102; one in 13号楼), 12号楼 sealed at 10:00, one whole-community round,
// a positive pooled tube, one retest, an antigen report, the pregnant resident released at once
// and out through the gate, and one forged pass refused there.
class DailyReportTest : public ScreeningTest {
 protected:
  void SetUp() override {
    ScreeningTest::SetUp();  // 2022-04-04 10:00 in Shanghai
    ASSERT_TRUE(Zones(*m_store, clock())
                    .set_status(m_community, m_b12, domain::ZoneStatus::sealed, 1, "阳性病例",
                                domain::kRuleManual));
    Screening screening(*m_store, clock());
    const auto round = screening.create_round(m_community, "2022-04-04", {}, 1).value().id;
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(screening.record_sample(m_community, round, swab(i, i < 6 ? "P1" : "P2"), 1));
    }
    ASSERT_TRUE(screening.record_sample(m_community, round, swab(12, "P3"), 1));
    ASSERT_TRUE(
        screening.set_mark(m_community, m_residents[11], domain::ScreeningMark::away, "外地", 1));

    m_now += minutes{30};
    Exits exits(*m_store, clock(), m_dir);
    const domain::User staff{m_community, 2, "staff", Role::staff};
    const domain::User gate{m_community, 3, "gate", Role::gate};
    auto released = exits.release_emergency(
        m_community, {m_residents[0], "childbirth", "妇幼保健院", "临产"}, staff);
    ASSERT_TRUE(released.has_value()) << released.error().message;
    auto out = exits.gate_check(m_community, {released->pass->token, "", "out"}, gate);
    ASSERT_TRUE(out.has_value() && out->allow);
    auto forged = exits.gate_check(m_community, {"JW1.forged.token", "", "out"}, gate);
    ASSERT_TRUE(forged.has_value());
    EXPECT_FALSE(forged->allow);

    m_now = sys_days{year{2022} / 4 / 4} + hours{6};
    const std::string results =
        "tube_code,result,reported_at,lab\nP1,阳性,2022-04-04T05:55:00Z,华大\n"
        "P2,阴性,2022-04-04T05:55:00Z,华大\n";
    auto imported =
        import_results(*m_store, clock(), m_community, memory_source("r.csv", results), {});
    ASSERT_TRUE(imported.has_value()) << imported.error().message;

    m_now += hours{1};
    SampleInput retest = swab(1, "S1", TubeKind::single);
    retest.resample_reason = "混管阳性复核";
    auto again = screening.record_sample(m_community, round, retest, 1);
    ASSERT_TRUE(again.has_value()) << again.error().message;
    auto antigen = LabResults(*m_store, clock())
                       .report_antigen(m_community, {m_residents[12], "阴性", "2022-04-04 15:00"},
                                       domain::User{m_community, 4, "r12", Role::resident, false,
                                                    m_residents[12]});
    ASSERT_TRUE(antigen.has_value()) << antigen.error().message;

    m_now = sys_days{year{2022} / 4 / 5} + hours{3};  // the next morning, 11:00
  }

  DailyReport report(std::string_view day) {
    auto r = Reports(*m_store, clock()).daily(m_community, day);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.value_or(DailyReport{});
  }
};

TEST_F(DailyReportTest, EveryFigureOfTheDayIsCountedFromTheRecords) {
  const DailyReport r = report("2022-04-04");
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.from, "2022-04-03T16:00:00Z");
  EXPECT_EQ(r.to, "2022-04-04T16:00:00Z");
  const std::pair<std::string_view, std::int64_t> expected[] = {
      {"register.buildings", 2},
      {"register.households", 3},
      {"register.residents", 13},
      {"vulnerable.dialysis", 0},
      {"buildings.sealed", 1},
      {"buildings.controlled", 0},
      {"buildings.precaution", 0},
      {"buildings.unset", 1},
      {"buildings.changes", 1},
      {"screening.rounds", 1},
      {"screening.due", 12},      // 13 less resident 11, away
      {"screening.sampled", 11},  // 0-9 and 12; resident 0 swabbed before she left
      {"screening.missing", 1},   // resident 10
      {"screening.excused", 1},
      {"screening.tubes", 4},
      {"screening.swabs", 12},
      {"screening.results", 2},
      {"screening.positive_pooled", 1},
      {"screening.positive_single", 0},
      {"screening.retest_due", 6},
      {"screening.retest_done", 1},
      {"antigen.reports", 1},
      {"antigen.positive", 0},
      {"exits.requests", 1},
      {"exits.approved", 0},
      {"exits.denied", 0},
      {"exits.emergency", 1},
      {"exits.out_that_day", 1},
      {"exits.back", 0},
      {"exits.out", 1},
      {"exits.overdue", 0},
      {"exits.paperwork_overdue", 0},  // due the next morning
      {"gate.denials", 1},
      // 12号楼 sealed at the day's end owes a PCR a day (one day counted: the community began
      // that day); 13号楼 has no status, so no cadence. Resident 11 is away; 10 was not swabbed.
      {"cadence.residents", 11},
      {"cadence.behind", 1},
      {"cadence.behind_sealed", 1},
      {"cadence.behind_controlled", 0},
      {"cadence.behind_precaution", 0},
  };
  for (const auto& [key, value] : expected)
    EXPECT_EQ(r.figure(key), value) << key;
  EXPECT_EQ(r.figures.size(), report_figures().size());

  ASSERT_EQ(r.buildings.size(), 2u);
  EXPECT_EQ(r.buildings[0].status, domain::ZoneStatus::sealed);
  EXPECT_EQ(r.buildings[0].due, 11);
  EXPECT_EQ(r.buildings[0].missing(), 1);
  EXPECT_FALSE(r.buildings[1].status.has_value());
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_FALSE(r.changes[0].from.has_value());
  EXPECT_EQ(r.changes[0].reason, "阳性病例");
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.missing[0].resident.id, m_residents[10]);
  EXPECT_EQ(r.positives.size(), 6u);
  EXPECT_TRUE(std::ranges::all_of(r.positives, [](const ReportPositive& p) {
    return p.tube_code == "P1" && p.kind == TubeKind::pooled;
  }));
  ASSERT_EQ(r.counts.gate_denials.size(), 1u);
  EXPECT_EQ(r.cadence_days, 1);
  EXPECT_EQ(r.cadence_window_days, 7);
  ASSERT_EQ(r.cadence.size(), 3u);
  EXPECT_EQ(r.cadence[0].status, domain::ZoneStatus::sealed);
  EXPECT_EQ(r.cadence[0].pcr_owed, 1);
  EXPECT_EQ(r.cadence[0].residents, 11);
  ASSERT_EQ(r.behind.size(), 1u);
  EXPECT_EQ(r.behind[0].tests.resident_id, m_residents[10]);
  EXPECT_EQ(r.behind[0].tests.pcr_days, 0);
  EXPECT_EQ(r.behind[0].pcr_owed, 1);
  // The chain's head at the day's end: the trail's last record, all of it made that day.
  ASSERT_TRUE(r.audit_head.has_value());
  EXPECT_EQ(r.audit_head->seq, trail().back().seq);
}

TEST_F(DailyReportTest, ADayStillRunningIsCountedUpToNow) {
  const DailyReport r = report("2022-04-05");
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.to, "2022-04-05T03:00:01Z");  // this second included
  EXPECT_EQ(r.figure("exits.requests"), 0);
  EXPECT_EQ(r.figure("exits.out"), 1);
  EXPECT_EQ(r.figure("exits.paperwork_overdue"), 1);  // due at 10:00, nothing in
  EXPECT_EQ(r.figure("buildings.sealed"), 1);
  EXPECT_EQ(r.figure("buildings.changes"), 0);
  EXPECT_EQ(r.figure("screening.rounds"), 0);
  EXPECT_EQ(r.figure("screening.due"), 0);
  EXPECT_EQ(r.figure("screening.retest_due"), 6);
  EXPECT_TRUE(r.missing.empty());
  // Today owes nothing until it is over: the cadence counts yesterday's, so resident 10 only.
  EXPECT_EQ(r.cadence_days, 1);
  EXPECT_EQ(r.figure("cadence.behind"), 1);
}

TEST_F(DailyReportTest, ABadDayIsRefusedNamingTheField) {
  Reports reports(*m_store, clock());
  for (const auto& [day, code] :
       {std::pair{"2022-4-4", "day.malformed"}, std::pair{"yesterday", "day.malformed"},
        std::pair{"2022-02-30", "day.malformed"}, std::pair{"2022-04-06", "day.future"},
        std::pair{"2022-04-03", "day.before_community"}}) {
    auto r = reports.daily(m_community, day);
    ASSERT_FALSE(r.has_value()) << day;
    EXPECT_EQ(r.error().kind, Error::Kind::invalid);
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].field, "day");
    EXPECT_EQ(r.error().fields[0].code, code) << day;
  }
}

// The charts' series: each day's figures as that day's report has them; the days before the
// community existed left out; a bad range refused naming its end.
TEST_F(DailyReportTest, TheSeriesHasEachDaysFiguresAsItsReport) {
  Reports reports(*m_store, clock());
  auto series = reports.series(m_community, "2022-04-01", "2022-04-05");
  ASSERT_TRUE(series.has_value()) << series.error().message;
  EXPECT_EQ(series->from, "2022-04-04");
  EXPECT_EQ(series->to, "2022-04-05");
  ASSERT_EQ(series->days.size(), 2u);
  EXPECT_EQ(series->days[0].day, "2022-04-04");
  EXPECT_TRUE(series->days[0].complete);
  EXPECT_EQ(series->days[0].figures, report("2022-04-04").figures);
  const SeriesDay& today = series->days[1];
  EXPECT_FALSE(today.complete);
  EXPECT_EQ(today.figures, report("2022-04-05").figures);
  const auto value = [&](std::string_view key) {
    const auto it =
        std::ranges::find(today.figures, key, &std::pair<std::string_view, std::int64_t>::first);
    return it == today.figures.end() ? -1 : it->second;
  };
  EXPECT_EQ(value("buildings.sealed"), 1);  // sealed the day before, still sealed
  EXPECT_EQ(value("screening.rounds"), 0);
  EXPECT_EQ(value("exits.out"), 1);  // the released resident is not back
  EXPECT_EQ(value("exits.out_that_day"), 0);

  for (const auto& [from, to, field, code] :
       {std::tuple{"2022-04-05", "2022-04-04", "from", "range.reversed"},
        std::tuple{"2022-01-01", "2022-04-05", "from", "range.too_long"},
        std::tuple{"2022-04-04", "2022-04-06", "to", "day.future"},
        std::tuple{"4/4", "2022-04-05", "from", "day.malformed"}}) {
    auto r = reports.series(m_community, from, to);
    ASSERT_FALSE(r.has_value()) << from << ".." << to;
    EXPECT_EQ(r.error().kind, Error::Kind::invalid);
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].field, field) << from << ".." << to;
    EXPECT_EQ(r.error().fields[0].code, code) << from << ".." << to;
  }
  // Before the community existed: no day at all, not an error.
  auto before = reports.series(m_community, "2022-03-01", "2022-03-31");
  ASSERT_TRUE(before.has_value());
  EXPECT_TRUE(before->days.empty());
}

TEST_F(DailyReportTest, TheFilesCarryTheTotalsInTheLayoutsOrder) {
  const DailyReport r = report("2022-04-04");
  const std::string csv = daily_report_csv(r, default_report_template());
  EXPECT_TRUE(csv.starts_with("\xEF\xBB\xBF居民区疫情防控日报,春晖居民区\r\n"));
  EXPECT_NE(csv.find("核酸筛查,未采样人数,1,screening.missing\r\n"), std::string::npos);
  EXPECT_NE(csv.find("出入管理,紧急放行,1,exits.emergency\r\n"), std::string::npos);
  EXPECT_LT(csv.find("register.households"), csv.find("exits.emergency"));
  EXPECT_NE(csv.find("12号楼,封控区,2,12,11,10,1,1\r\n"), std::string::npos);
  EXPECT_NE(csv.find(fmt::format("#{} {}", r.audit_head->seq, r.audit_head->hash)),
            std::string::npos);
  const std::string book = daily_report_xlsx(r, default_report_template());
  EXPECT_TRUE(book.starts_with("PK"));
}

TEST_F(DailyReportTest, ASubmittedReportIsFrozenAndLaterChangesShowAsDifferences) {
  Reports reports(*m_store, clock());
  const domain::User secretary{m_community, 1, "secretary", Role::secretary};
  const std::int64_t before = last_seq();
  auto sent = reports.submit(m_community, "2022-04-04", secretary);
  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  ASSERT_TRUE(sent->submission.has_value());
  EXPECT_EQ(sent->submission->audit_seq, sent->audit_head->seq);
  EXPECT_EQ(audited(before),
            (std::vector<Audited>{{"report.submit", "daily_report", "2022-04-04", 1}}));
  auto again = reports.submit(m_community, "2022-04-04", secretary);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, Error::Kind::conflict);
  EXPECT_TRUE(report("2022-04-04").differences.empty());

  // A result of that day comes in late: the day's figures move, the submitted copy does not.
  auto late = import_results(
      *m_store, clock(), m_community,
      memory_source("late.csv",
                    "tube_code,result,reported_at,lab\nP3,阳性,2022-04-04T07:00:00Z,华大\n"),
      {});
  ASSERT_TRUE(late.has_value()) << late.error().message;
  const DailyReport now = report("2022-04-04");
  ASSERT_EQ(now.differences.size(), 1u);
  EXPECT_EQ(now.differences[0].figure, "screening.positive_pooled");
  EXPECT_EQ(now.differences[0].submitted, 1);
  EXPECT_EQ(now.differences[0].now, 2);
  EXPECT_EQ(now.submission->submitted_by, 1);
}

// Submitted while the day ran, the cadence owed the days before it; once the day is over it
// owes that day too. That is no change to the records: no difference against the copy.
TEST_F(DailyReportTest, ADaySubmittedWhileRunningShowsNoCadenceDifferenceAfterIt) {
  Reports reports(*m_store, clock());
  m_now = sys_days{year{2022} / 4 / 5} + hours{11};  // 19:00 in Shanghai
  auto sent = reports.submit(m_community, "2022-04-05",
                             domain::User{m_community, 1, "secretary", Role::secretary});
  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  EXPECT_EQ(sent->figure("cadence.behind"), 1);
  m_now += hours{15};  // the next morning
  const DailyReport later = report("2022-04-05");
  EXPECT_TRUE(later.complete);
  EXPECT_EQ(later.figure("cadence.behind"), 11);  // now owing two days of PCR: one done
  EXPECT_TRUE(later.differences.empty()) << later.differences.front().figure;
}

TEST_F(DailyReportTest, TheStreetViewShowsEachCommunityWithItsRiskByThePolicysRule) {
  // Resident 1's retest tube comes back positive: a case (a single tube) in the window.
  auto single = import_results(
      *m_store, clock(), m_community,
      memory_source("s.csv",
                    "tube_code,result,reported_at,lab\nS1,阳性,2022-04-04T10:00:00Z,华大\n"),
      {});
  ASSERT_TRUE(single.has_value()) << single.error().message;
  Reports reports(*m_store, clock());
  const domain::User admin{m_community, 9, "admin", Role::admin};
  auto o = reports.street(admin, "2022-04-04");
  ASSERT_TRUE(o.has_value()) << o.error().message;
  ASSERT_EQ(o->rows.size(), 1u);
  const StreetRow& r = o->rows[0];
  EXPECT_EQ(r.community.name, "春晖居民区");
  EXPECT_EQ(r.residents, 13);
  EXPECT_EQ(r.sealed, 1);
  EXPECT_EQ(r.unset, 1);
  EXPECT_EQ(r.due, 12);
  EXPECT_EQ(r.sampled, 11);
  EXPECT_EQ(r.positives, 6);  // resident 1 once, in the pooled tube and in the single one
  EXPECT_EQ(r.cases, 1);
  EXPECT_EQ(r.clusters, 0);  // one case in 12号楼: a cluster takes two
  EXPECT_EQ(r.risk.level, domain::RiskLevel::medium);
  EXPECT_EQ(r.risk.rule, domain::kRuleRiskMedium);
  EXPECT_EQ(r.out, 1);
  EXPECT_FALSE(r.submission.has_value());
  EXPECT_EQ(o->total.residents, 13);
  EXPECT_EQ(o->total.risk.rule, domain::kRuleRiskMedium);

  // Due by 20:00 that day (the policy's [report] deadline): now the next morning, late.
  EXPECT_EQ(r.deadline, "2022-04-04T12:00:00Z");
  EXPECT_TRUE(r.late);
  EXPECT_EQ(o->late, 1);
  EXPECT_EQ(o->submitted, 0);

  const domain::User secretary{m_community, 1, "secretary", Role::secretary};
  ASSERT_TRUE(reports.submit(m_community, "2022-04-04", secretary));
  auto after = reports.street(admin, "2022-04-04");
  EXPECT_TRUE(after->rows[0].submission.has_value());
  EXPECT_TRUE(after->rows[0].late);  // submitted the next morning: late still
  EXPECT_EQ(after->submitted, 1);
  // Today before 20:00: not late, not submitted; submitted at 19:00, on time.
  auto today = reports.street(admin, "2022-04-05");
  EXPECT_FALSE(today->rows[0].late);
  EXPECT_EQ(today->late, 0);
  m_now = sys_days{year{2022} / 4 / 5} + hours{11};  // 19:00 in Shanghai
  ASSERT_TRUE(reports.submit(m_community, "2022-04-05", secretary));
  today = reports.street(admin, "2022-04-05");
  EXPECT_FALSE(today->rows[0].late);
  EXPECT_EQ(today->submitted, 1);
  m_now += hours{2};  // past the deadline, submitted before it: on time still
  EXPECT_FALSE(reports.street(admin, "2022-04-05")->rows[0].late);
  // Fifteen days on, the case has left the window: low risk again.
  m_now += days{15};
  EXPECT_EQ(reports.street(admin, "2022-04-19")->rows[0].risk.rule, domain::kRuleRiskLow);
  // A resident (or the desk) sees no street: the admin and street offices only.
  const domain::User staff{m_community, 2, "staff", Role::staff};
  EXPECT_TRUE(reports.street(staff, "2022-04-04")->rows.empty());
}

TEST(RiskLevel, ThePolicysThresholdsDecideIt) {
  const domain::RiskPolicy policy;  // the defaults: 10 cases or 2 clusters in 14 days
  EXPECT_EQ(domain::assess_risk(10, 0, policy).rule, domain::kRuleRiskHigh);
  EXPECT_EQ(domain::assess_risk(3, 2, policy).rule, domain::kRuleRiskHigh);
  EXPECT_EQ(domain::assess_risk(9, 1, policy).rule, domain::kRuleRiskMedium);
  EXPECT_EQ(domain::assess_risk(0, 0, policy).rule, domain::kRuleRiskLow);
  EXPECT_EQ(domain::assess_risk(2, 0, domain::RiskPolicy{14, 2, 2, 2}).level,
            domain::RiskLevel::high);
}

TEST(ReportTemplate, TheBuiltInLayoutNamesOnlyKnownFigures) {
  const ReportTemplate& layout = default_report_template();
  EXPECT_FALSE(layout.rows.empty());
  for (const ReportRow& row : layout.rows)
    EXPECT_NE(find_report_figure(row.figure), nullptr) << row.figure;
}

TEST(ReportTemplate, AnInvalidLayoutNamesEachFieldAtFault) {
  auto r = parse_report_template(
      "version = \"x\"\ntitle = \"日报\"\ncolour = 1\n[[row]]\nsection = \"人口\"\n"
      "label = \"户数\"\nfigure = \"register.househlds\"\n[[row]]\nsection = \"人口\"\n"
      "figure = \"register.residents\"\n");
  ASSERT_FALSE(r.has_value());
  std::vector<std::string> fields;
  for (const FieldIssue& f : r.error().fields)
    fields.push_back(f.field + " " + f.code);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"row[1].figure report.unknown_figure",
                                      "row[2].label report.missing", "colour report.unknown_key"}));
  EXPECT_FALSE(parse_report_template("version = ").has_value());
  EXPECT_FALSE(parse_report_template("version = \"x\"\ntitle = \"t\"\n").has_value());
}

}  // namespace
}  // namespace juwei::service
