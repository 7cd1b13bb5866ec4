#include "render/report_pdf.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../tests/support/pdf_reader.hpp"

namespace juwei::render {
namespace {

using testing::PdfReader;
using testing::PdfWord;
using testing::squeeze;

constexpr double kMm = 72.0 / 25.4;

// A daily report's shape: 43 figures in 7 sections (report_daily.toml's), each value a number
// of its own (9000 + its index), so a test can find it.
std::vector<ReportDoc::Section> figures(int count_per_section = 0) {
  const std::pair<const char*, int> sections[] = {
      {"人口", 3},     {"重点人群", 7}, {"楼栋管控", 5}, {"核酸筛查", 11},
      {"抗原自测", 2}, {"检测频次", 5}, {"出入管理", 10}};
  std::vector<ReportDoc::Section> out;
  int n = 0;
  for (const auto& [name, rows] : sections) {
    out.push_back({name, {}});
    for (int i = 0; i < (count_per_section > 0 ? count_per_section : rows); ++i) {
      out.back().rows.push_back({fmt::format("{}指标{}", name, i + 1), std::to_string(9000 + n)});
      ++n;
    }
  }
  return out;
}

ReportDoc report(std::vector<ReportDoc::Section> sections) {
  ReportDoc doc;
  doc.title = "居民区疫情防控日报";
  doc.subtitle = "幸福里居民区　2022-04-05　截至 11:00（当日未结束）";
  doc.sections = std::move(sections);
  doc.sections[0].rows[0] = {"居民人数", "1234"};
  doc.sections[3].rows[4] = {"免采（外出、外地、豁免）", "7"};
  doc.groups_title = "楼栋状态（日终）";
  doc.groups = {{"封控区", "1 栋", {"12号楼"}, "栋"},
                {"管控区", "2 栋", {"11号楼", "13号楼"}, "栋"},
                {"防范区", "0 栋", {}, "栋"}};
  doc.lists = {{"当日状态变更（1 项）", {{"12号楼：未定 → 封控区（阳性病例）", "10:00"}}},
               {"当日阳性（0 人）", {}, "无", "人"},
               {"门岗拦截（3 次）", {{"通行证已过期", "2"}, {"通行证无效", "1"}}, "无", "类"}};
  doc.proof_label = "审计链末条";
  doc.proof =
      "#128  2022-04-05 10:58  "
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  doc.signers = {"填报人", "审核人", "日期"};
  doc.footer = "生成于 2022-04-05 11:00　报表格式 2022-04　本页由 Juwei 根据记录自动生成";
  return doc;
}

bool overlap(const PdfWord& a, const PdfWord& b) {
  // pdftotext's boxes are the font's full height; lines set close may touch by a point.
  constexpr double kSlack = 1.0;
  return a.x_min + kSlack < b.x_max && b.x_min + kSlack < a.x_max && a.y_min + kSlack < b.y_max &&
         b.y_min + kSlack < a.y_max;
}

// Every word inside the page's margins (10 mm and more), none over another, and all above the
// proof line ("审计链末条 …") well above it: nothing cut at the foot of the lists' room.
void expect_laid_out_cleanly(const std::vector<PdfWord>& words) {
  ASSERT_FALSE(words.empty());
  const auto proof = std::ranges::find(words, std::string("审计链末条"), &PdfWord::text);
  ASSERT_NE(proof, words.end());
  for (const PdfWord& w : words) {
    if (w.y_min < proof->y_min - 1) {
      EXPECT_LT(w.y_max, proof->y_min - 3 * kMm) << w.text;
    }
  }
  for (const PdfWord& w : words) {
    EXPECT_GE(w.x_min, 10 * kMm) << w.text;
    EXPECT_LE(w.x_max, 200 * kMm) << w.text;
    EXPECT_GE(w.y_min, 10 * kMm) << w.text;
    EXPECT_LE(w.y_max, 287 * kMm) << w.text;
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    for (std::size_t j = i + 1; j < words.size(); ++j) {
      EXPECT_FALSE(overlap(words[i], words[j]))
          << words[i].text << " (" << words[i].x_min << "," << words[i].y_min << ") and "
          << words[j].text << " (" << words[j].x_min << "," << words[j].y_min << ")";
    }
  }
}

TEST(ReportPdf, ShowsEveryFigureGroupAndRowOnOnePage) {
  const ReportDoc doc = report(figures());
  const PdfReader pdf(report_pdf(doc));
  EXPECT_EQ(pdf.pages(), 1);
  const std::string text = squeeze(pdf.text("-layout"));
  for (const std::string& expected :
       {doc.title, squeeze(doc.subtitle), std::string("居民人数1234"),
        std::string("免采（外出、外地、豁免）7"), std::string("封控区1栋12号楼"),
        std::string("管控区2栋11号楼、13号楼"), std::string("当日阳性（0人）无"),
        std::string("12号楼：未定→封控区（阳性病例）10:00"), std::string("通行证已过期2"),
        squeeze(doc.proof), std::string("填报人："), std::string("审核人："), squeeze(doc.footer)})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " in:\n" << text;
  for (const ReportDoc::Section& s : doc.sections) {
    EXPECT_NE(text.find(s.name), std::string::npos) << s.name;
    for (const ReportDoc::Row& row : s.rows)
      EXPECT_NE(text.find(row.label + row.value), std::string::npos) << row.label << " in:\n"
                                                                     << text;
  }
  EXPECT_EQ(text.find("未列出"), std::string::npos) << "nothing left out";
  EXPECT_EQ(text.find("（续）"), std::string::npos) << "no section split across columns";
  expect_laid_out_cleanly(pdf.words());
}

// The figures' values end at their column's right edge: as many right edges as columns.
TEST(ReportPdf, NumbersAreRightAligned) {
  const ReportDoc doc = report(figures());
  std::set<std::string> values;
  for (const ReportDoc::Section& s : doc.sections) {
    for (const ReportDoc::Row& row : s.rows)
      values.insert(row.value);
  }
  std::vector<double> right_edges;
  std::size_t found = 0;
  for (const PdfWord& w : PdfReader(report_pdf(doc)).words()) {
    if (!values.contains(w.text)) continue;
    ++found;
    if (std::ranges::none_of(right_edges, [&](double x) { return std::abs(x - w.x_max) < 0.5; }))
      right_edges.push_back(w.x_max);
  }
  EXPECT_GE(found, values.size());
  EXPECT_GE(right_edges.size(), 2u);
  EXPECT_LE(right_edges.size(), 3u) << "the values of a column share its right edge";
}

// Lists far too long for the page show what fits and count the rest; the page stays one, and
// every row shown is whole and in order.
TEST(ReportPdf, LongListsAreCutToFitOnePage) {
  ReportDoc doc = report(figures());
  doc.groups[2].names.clear();
  for (int i = 1; i <= 400; ++i)
    doc.groups[2].names.push_back(fmt::format("{}号楼", i));
  ReportDoc::List& changes = doc.lists[0];
  ReportDoc::List& positives = doc.lists[1];
  ReportDoc::List& denials = doc.lists[2];
  changes.rows.clear();
  denials.rows.clear();
  for (int i = 0; i < 80; ++i) {
    changes.rows.push_back(
        {fmt::format("变更楼{}：防范区 → 管控区（与阳性病例同单元，按规则自动调整，理由很长很长很长"
                     "很长很长很长很长很长很长很长很长很长很长很长很长很长很长）",
                     i),
         "11:00"});
  }
  for (int i = 0; i < 300; ++i)
    positives.rows.push_back({fmt::format("阳性居民{}　12号楼101室　混管 P{}", i, i), "13:55"});
  for (int i = 0; i < 40; ++i)
    denials.rows.push_back({fmt::format("拦截原因{}", i), std::to_string(i + 1)});

  const PdfReader pdf(report_pdf(doc));
  EXPECT_EQ(pdf.pages(), 1);
  const std::string text = squeeze(pdf.text("-layout"));
  EXPECT_NE(text.find("1号楼、2号楼"), std::string::npos) << text;
  EXPECT_NE(text.find("等400栋"), std::string::npos) << text;
  EXPECT_EQ(text.find("400号楼"), std::string::npos) << text;
  // Each list: the rows shown, from the first, and the count of the others.
  for (const auto& [list, prefix] :
       {std::pair{&changes, "变更楼"}, std::pair{&positives, "阳性居民"},
        std::pair{&denials, "拦截原因"}}) {
    const std::size_t total = list->rows.size();
    int shown = 0;
    while (text.find(fmt::format("{}{}", prefix, shown)) != std::string::npos)
      ++shown;
    ASSERT_GT(shown, 0) << prefix;
    const std::string more = fmt::format("……等{}{}，另{}{}未列出", total, list->unit,
                                         total - static_cast<std::size_t>(shown), list->unit);
    EXPECT_NE(text.find(more), std::string::npos) << more << " in:\n" << text;
  }
  EXPECT_NE(text.find("居民人数1234"), std::string::npos);
  EXPECT_NE(text.find(squeeze(doc.proof)), std::string::npos);
  EXPECT_NE(text.find(squeeze(doc.footer)), std::string::npos);
  expect_laid_out_cleanly(pdf.words());
}

// A layout with far more figures than a page holds: smaller type in more columns, and past
// that the rows that do not fit counted; the rest of the page still there.
TEST(ReportPdf, ManyFiguresStillFitOnePage) {
  const ReportDoc doc = report(figures(40));  // 280 rows
  const PdfReader pdf(report_pdf(doc));
  EXPECT_EQ(pdf.pages(), 1);
  const std::string text = squeeze(pdf.text("-layout"));
  std::size_t shown = 0;
  for (const ReportDoc::Section& s : doc.sections) {
    for (const ReportDoc::Row& row : s.rows)
      shown += text.find(row.label + row.value) != std::string::npos ? 1 : 0;
  }
  EXPECT_GT(shown, 100u);
  EXPECT_NE(text.find(fmt::format("……另{}项未列出", 280 - shown)), std::string::npos) << text;
  EXPECT_NE(text.find("（续）"), std::string::npos) << "sections continue across columns";
  for (const char* expected : {"封控区1栋12号楼", "通行证已过期2", "填报人："})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  expect_laid_out_cleanly(pdf.words());
}

TEST(ReportPdf, TheProofLineIsMonospaceAndTheRestSerif) {
  const std::string fonts = PdfReader(report_pdf(report(figures()))).run("pdffonts", "");
  EXPECT_NE(fonts.find("NotoSerifCJKsc"), std::string::npos) << fonts;
  EXPECT_NE(fonts.find("NotoSansMonoCJKsc"), std::string::npos) << fonts;
}

// Calls on several threads at once (a server's) each get the document one call alone makes,
// fonts included (see typeset.hpp).
TEST(ReportPdf, RendersOnSeveralThreadsAtOnce) {
  const ReportDoc doc = report(figures());
  std::vector<std::string> pdfs(6);
  {
    std::vector<std::jthread> threads;
    for (std::string& pdf : pdfs)
      threads.emplace_back([&pdf, &doc] { pdf = report_pdf(doc); });
  }
  const std::string alone = report_pdf(doc);
  for (const std::string& pdf : pdfs) {
    EXPECT_TRUE(pdf.starts_with("%PDF-"));
    EXPECT_EQ(pdf.size(), alone.size());
  }
}

TEST(ReportPdf, InvalidUtf8PrintsAsReplacementCharacters) {
  ReportDoc doc = report(figures());
  doc.title = "日\xFF报";
  constexpr char kWithNul[] = "楼\0栋";
  doc.lists[0].rows[0].label = std::string(kWithNul, sizeof kWithNul - 1);
  const std::string text = squeeze(PdfReader(report_pdf(doc)).text("-layout"));
  EXPECT_NE(text.find("日\uFFFD报"), std::string::npos) << text;
  EXPECT_NE(text.find("楼\uFFFD栋"), std::string::npos) << text;
}

}  // namespace
}  // namespace juwei::render
