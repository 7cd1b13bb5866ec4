#include "service/demo_history.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "service/audit.hpp"
#include "service/daily_report.hpp"
#include "service/open_store.hpp"

namespace juwei::service {
namespace {

using namespace std::chrono;

class DemoHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    m_dir = std::filesystem::temp_directory_path() /
            ("juwei-history-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    m_store = open_store("sqlite:" + (m_dir / "juwei.db").string()).value();
  }
  void TearDown() override {
    m_store.reset();
    std::filesystem::remove_all(m_dir);
  }
  std::filesystem::path m_dir;
  std::unique_ptr<store::Store> m_store;
  // 2022-04-10 20:00 in Shanghai.
  TimePoint m_now = TimePoint{sys_days{year{2022} / 4 / 10}} + hours{12};
};

// Five days of history: the seed registered five days back, a round every day, the outbreak
// tube on the first day (9 days before the last is before the start, so day 1), its case the day
// after and the building sealed, every exit but the last day's back; the reports of those days
// count it all and the trail holds.
TEST_F(DemoHistoryTest, TheSeedsPastDaysAreInTheReports) {
  auto made = ensure_seed_with_history(*m_store, m_now, m_dir, 5, kOperator);
  ASSERT_TRUE(made.has_value()) << made.error().message;
  ASSERT_TRUE(made->seed.created);
  const HistoryFigures& h = made->history;
  EXPECT_EQ(h.days, 5);
  EXPECT_EQ(h.positive_tubes, 2);  // the pooled tube, then the single one
  EXPECT_EQ(h.exits, 10);
  EXPECT_EQ(h.returns, 8);
  EXPECT_GT(h.samples, 5 * 3400);
  const domain::CommunityId c = made->seed.community.id;

  Reports reports(*m_store, [this] { return m_now; });
  auto series = reports.series(c, "2022-04-01", "2022-04-10");
  ASSERT_TRUE(series.has_value()) << series.error().message;
  EXPECT_EQ(series->from, "2022-04-05");  // registered five days before the 10th
  ASSERT_EQ(series->days.size(), 6u);
  std::int64_t samples = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    const SeriesDay& d = series->days[i];
    const auto figure = [&](std::string_view key) {
      for (const auto& [k, v] : d.figures)
        if (k == key) return v;
      return std::int64_t{-1};
    };
    SCOPED_TRACE(d.day);
    EXPECT_TRUE(d.complete);
    EXPECT_EQ(figure("screening.rounds"), 1);
    EXPECT_GT(figure("screening.sampled"), 3400);
    EXPECT_LE(figure("screening.sampled"), figure("screening.due"));
    EXPECT_EQ(figure("exits.out_that_day"), 2);
    EXPECT_EQ(figure("exits.back"), i == 0 ? 0 : 2);
    EXPECT_GT(figure("antigen.reports"), 30);  // 30 at noon, and most who missed the swab
    EXPECT_EQ(figure("screening.positive_pooled"), i == 1 ? 1 : 0);
    EXPECT_EQ(figure("screening.positive_single"), i == 2 ? 1 : 0);
    EXPECT_EQ(figure("buildings.sealed"), i >= 2 ? 1 : 0);
    EXPECT_EQ(figure("buildings.unset"), 0);
    samples += figure("screening.swabs");
  }
  EXPECT_EQ(samples, h.samples);
  // Today is left to the user: no round yet.
  EXPECT_FALSE(series->days[5].complete);

  const auto check = verify_audit(*m_store, c);
  ASSERT_TRUE(check.has_value());
  EXPECT_FALSE(check->first_bad.has_value()) << check->problem;

  // Once made, the seed is left as it is.
  auto again = ensure_seed_with_history(*m_store, m_now, m_dir, 5, kOperator);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->seed.created);
  EXPECT_EQ(again->history.samples, 0);
}

TEST_F(DemoHistoryTest, ADayCountOutOfRangeIsRefused) {
  for (const int days : {0, -1, kMaxHistoryDays + 1}) {
    auto made = ensure_seed_with_history(*m_store, m_now, m_dir, days, kOperator);
    ASSERT_FALSE(made.has_value()) << days;
    EXPECT_EQ(made.error().fields.at(0).field, "history");
  }
}

}  // namespace
}  // namespace juwei::service
