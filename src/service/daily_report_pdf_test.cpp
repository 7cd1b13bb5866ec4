#include <fmt/format.h>

#include "../../tests/support/pdf_reader.hpp"
#include "service/daily_report.hpp"
#include "service/lab_results.hpp"
#include "service/resident_import.hpp"
#include "service/screening_test_fixture.hpp"
#include "service/zones.hpp"

namespace juwei::service {
namespace {

using namespace std::chrono;
using testing::PdfReader;
using testing::squeeze;

// 春晖居民区 on 2022-04-04 (ScreeningTest's 13 residents): 12号楼 sealed at 10:00, a round
// swabbing residents 0-9 into pooled tubes P1 (0-5) and P2 (6-9), and P1 reported positive at
// 13:55.
class DailyReportPdfTest : public ScreeningTest {
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
    m_now = sys_days{year{2022} / 4 / 4} + hours{6};
    auto imported = import_results(*m_store, clock(), m_community,
                                   memory_source("r.csv",
                                                 "tube_code,result,reported_at,lab\n"
                                                 "P1,阳性,2022-04-04T05:55:00Z,华大\n"
                                                 "P2,阴性,2022-04-04T05:55:00Z,华大\n"),
                                   {});
    ASSERT_TRUE(imported.has_value()) << imported.error().message;
  }

  DailyReport report(std::string_view day) {
    auto r = Reports(*m_store, clock()).daily(m_community, day);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.value_or(DailyReport{});
  }
};

TEST_F(DailyReportPdfTest, TheDayOnOnePageWithItsFiguresListsAndChainHead) {
  m_now = sys_days{year{2022} / 4 / 5} + hours{3};  // the next morning
  const DailyReport r = report("2022-04-04");
  ASSERT_TRUE(r.audit_head.has_value());
  const PdfReader pdf(daily_report_pdf(r, default_report_template()));
  EXPECT_EQ(pdf.pages(), 1);
  const std::string text = squeeze(pdf.text("-layout"));
  for (const std::string& expected : {
           std::string("居民区疫情防控日报"),
           std::string("春晖居民区2022-04-04"),
           std::string("居民人数13"),
           std::string("已采样人数10"),
           std::string("混管阳性1"),
           std::string("封控区1栋12号楼"),
           std::string("未定1栋13号楼"),
           std::string("12号楼：未定→封控区（阳性病例）10:00"),
           std::string("当日阳性（6人）"),
           std::string("12号楼101室居*0混管P113:55"),  // 13:55 in Shanghai
           fmt::format("#{}", r.audit_head->seq),
           r.audit_head->hash.substr(0, 16),
           std::string("报表格式2022-04"),
           std::string("生成于2022-04-0511:00"),
       })
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " in:\n" << text;
  EXPECT_EQ(text.find("截至"), std::string::npos) << "the day is over";
  // Residents by room and masked name: no ID number, whole or in part, and no full name.
  for (const char* id_number : id_numbers) {
    EXPECT_EQ(text.find(std::string_view(id_number).substr(0, 6)), std::string::npos);
    EXPECT_EQ(text.find(std::string_view(id_number).substr(14)), std::string::npos);
  }
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(text.find(fmt::format("居民{}", i)), std::string::npos) << i;
}

TEST_F(DailyReportPdfTest, ADayStillRunningSaysUntilWhen) {
  m_now = sys_days{year{2022} / 4 / 4} + hours{7} + minutes{30};  // 15:30 in Shanghai
  const std::string text = squeeze(
      PdfReader(daily_report_pdf(report("2022-04-04"), default_report_template())).text("-layout"));
  EXPECT_NE(text.find("截至15:30（当日未结束）"), std::string::npos) << text;
  EXPECT_NE(text.find("楼栋状态（截至现在）"), std::string::npos) << text;  // not 日终 yet
}

// A submitted day says so, with the chain head it was submitted at.
TEST_F(DailyReportPdfTest, ASubmittedDaySaysWhen) {
  m_now = sys_days{year{2022} / 4 / 5} + hours{1};  // 09:00 the next morning
  const domain::User secretary{m_community, 2, "secretary", domain::Role::secretary};
  auto submitted = Reports(*m_store, clock()).submit(m_community, "2022-04-04", secretary);
  ASSERT_TRUE(submitted.has_value()) << submitted.error().message;
  m_now += hours{2};
  const DailyReport r = report("2022-04-04");
  ASSERT_TRUE(r.submission.has_value());
  const std::string text =
      squeeze(PdfReader(daily_report_pdf(r, default_report_template())).text("-layout"));
  const std::string expected =
      fmt::format("已于2022-04-0509:00上报（审计链#{}）", r.submission->audit_seq);
  EXPECT_NE(text.find(expected), std::string::npos) << expected << " in:\n" << text;
  EXPECT_EQ(text.find("上报后记录有变动"), std::string::npos) << "nothing changed since";
}

// The template decides the figures' rows: another layout's labels, sections and order.
TEST_F(DailyReportPdfTest, TheTemplatesRowsAreTheFigures) {
  m_now = sys_days{year{2022} / 4 / 5} + hours{3};
  const auto layout = parse_report_template(R"(version = "街道-1"
title = "某街道居民区日报"
[[row]]
section = "基本"
label = "常住人口"
figure = "register.residents"
[[row]]
section = "采样"
label = "今日采样"
figure = "screening.sampled"
)");
  ASSERT_TRUE(layout.has_value()) << layout.error().message;
  const std::string text =
      squeeze(PdfReader(daily_report_pdf(report("2022-04-04"), *layout)).text("-layout"));
  for (const char* expected :
       {"某街道居民区日报", "基本", "常住人口13", "今日采样10", "报表格式街道-1"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " in:\n" << text;
  EXPECT_EQ(text.find("居民人数"), std::string::npos) << text;
}

}  // namespace
}  // namespace juwei::service
