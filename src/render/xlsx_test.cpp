#include "render/xlsx.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "../../tests/support/juwei_process.hpp"

namespace juwei::render {
namespace {

// The workbook unpacked by unzip, as Excel reads it: a sheet's XML and the shared strings.
class Xlsx : public ::testing::Test {
 protected:
  void SetUp() override { m_scratch = testing::scratch_dir("juwei-xlsx-test-"); }
  void TearDown() override { std::filesystem::remove_all(m_scratch); }

  std::string part(const std::string& bytes, const std::string& name) {
    const auto file = m_scratch / "book.xlsx";
    std::ofstream(file, std::ios::binary) << bytes;
    const testing::Output o = testing::run_shell(
        "unzip -p " + testing::quote(file.string()) + " " + testing::quote(name), m_scratch);
    EXPECT_EQ(o.code, 0) << o.err;
    return o.out;
  }

  std::filesystem::path m_scratch;
};

XlsxSheet residents() {
  return XlsxSheet{"3号楼 住户",
                   {{"姓名", 10}, {"身份证号", 22}, {"年龄", 6}, {"出生日期", 12}, {"手机", 14}},
                   {{std::string("毛琪"), std::string("310101199003071234"), 36.0,
                     XlsxDate{1990, 3, 7}, std::string("13800001111")},
                    {std::string("李龙"), std::string("3101**********1234"), 70.0}}};
}

// Issue 17 item 10: Chinese headers, the header row frozen, column widths, numbers as
// numbers, ID and phone numbers as text, dates as dates.
TEST_F(Xlsx, HeaderIsFrozenNumbersAreNumbersIdsStayText) {
  const std::string bytes = xlsx({residents()});
  ASSERT_TRUE(bytes.starts_with("PK")) << "not a zip";
  const std::string sheet = part(bytes, "xl/worksheets/sheet1.xml");
  const std::string strings = part(bytes, "xl/sharedStrings.xml");
  for (const char* text : {"姓名", "身份证号", "年龄", "毛琪", "310101199003071234",
                           "3101**********1234", "13800001111"}) {
    EXPECT_NE(strings.find(text), std::string::npos) << text;
  }
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<pane ySplit="1"[^>]*state="frozen")")))
      << sheet;
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<col min="2" max="2" width="22)"))) << sheet;
  // Numbers are written as values, not as shared strings (t="s").
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<c r="C2"[^>]*><v>36</v>)"))) << sheet;
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<c r="C3"[^>]*><v>70</v>)"))) << sheet;
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<c r="B2"[^>]* t="s")"))) << sheet;
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<c r="E2"[^>]* t="s")"))) << sheet;
  // 1990-03-07 is Excel's day 32939.
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<c r="D2"[^>]*><v>32939</v>)"))) << sheet;
  EXPECT_NE(sheet.find("<autoFilter ref=\"A1:E3\""), std::string::npos) << sheet;
  const std::string book = part(bytes, "xl/workbook.xml");
  EXPECT_NE(book.find("name=\"3号楼 住户\""), std::string::npos) << book;
}

TEST_F(Xlsx, SheetNamesExcelRejectsAreMended) {
  XlsxSheet sheet = residents();
  // 31 characters are kept (14 ASCII and 17 Han), not 31 bytes.
  sheet.name = "a/b:c[d]*e?f\\ 一二三四五六七八九十一二三四五六七八九十一二三四五";
  const std::string book = part(xlsx({sheet}), "xl/workbook.xml");
  EXPECT_NE(book.find("name=\"a_b_c_d__e_f_ 一二三四五六七八九十一二三四五六七\""),
            std::string::npos)
      << book;
}

TEST_F(Xlsx, AnEmptyListStillHasItsHeader) {
  XlsxSheet sheet = residents();
  sheet.rows.clear();
  const std::string bytes = xlsx({sheet});
  EXPECT_NE(part(bytes, "xl/sharedStrings.xml").find("身份证号"), std::string::npos);
}

}  // namespace
}  // namespace juwei::render
