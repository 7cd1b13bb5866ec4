#include "render/pdf.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../../tests/support/juwei_process.hpp"
#include "render/qr.hpp"

namespace juwei::render {
namespace {

// `text` without ASCII white space: pdftotext breaks lines where Pango did, and spaces them as
// it guesses.
std::string squeeze(std::string text) {
  std::erase_if(text, [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
  return text;
}

// A page as pdftoppm -gray draws it: a binary PGM.
struct Raster {
  explicit Raster(const std::string& pgm) {
    std::istringstream in(pgm);
    std::string magic;
    int max = 0;
    in >> magic >> width >> height >> max;
    in.get();
    if (magic != "P5") throw std::runtime_error("pdftoppm wrote no PGM");
    pixels.assign(std::istreambuf_iterator<char>(in), {});
    if (pixels.size() != static_cast<std::size_t>(width) * height)
      throw std::runtime_error("pdftoppm wrote a short PGM");
  }
  bool dark(int x, int y) const {
    return static_cast<unsigned char>(pixels[static_cast<std::size_t>(y) * width + x]) < 128;
  }
  int dark_count() const {
    return static_cast<int>(
        std::ranges::count_if(pixels, [](char c) { return static_cast<unsigned char>(c) < 128; }));
  }

  int width = 0;
  int height = 0;
  std::string pixels;  // row by row, one byte a pixel, 0 black
};

// Reads the PDFs back with poppler-utils, which `make test` installs. A missing tool fails the
// test rather than skipping it, so a machine without it cannot pass silently.
class PdfTest : public ::testing::Test {
 protected:
  void SetUp() override { m_scratch = testing::scratch_dir("juwei-render-test-"); }
  void TearDown() override { std::filesystem::remove_all(m_scratch); }

  // What `tool OPTIONS FILE AFTER` prints for `pdf` written to FILE.
  std::string run(const std::string& tool, const std::string& options, const std::string& pdf,
                  const std::string& after = "") {
    const auto file = m_scratch / "doc.pdf";
    std::ofstream(file, std::ios::binary) << pdf;
    const testing::Output o = testing::run_shell(
        fmt::format("{} {} {} {}", tool, options, testing::quote(file.string()), after), m_scratch);
    if (o.code == 127)
      throw std::runtime_error(tool +
                               " not found: install poppler-utils (scripts/install-deps test)");
    if (o.code != 0) throw std::runtime_error(tool + " failed: " + o.err);
    return o.out;
  }
  // The text of every page, each page ended by a form feed; with -layout, a line of text is a
  // line on the page even across columns.
  std::string text_of(const std::string& pdf, const std::string& options = "") {
    return run("pdftotext", "-enc UTF-8 " + options, pdf, "-");
  }
  // The first page at `dpi`, in gray.
  Raster raster_of(const std::string& pdf, int dpi) {
    return Raster(run("pdftoppm", fmt::format("-gray -r {} -singlefile", dpi), pdf));
  }

  std::filesystem::path m_scratch;
};

constexpr char kBody[] =
    "本人李秀英，住幸福里小区3号楼502室，因就医需要申请出门，现郑重承诺：\n"
    "一、外出期间全程规范佩戴口罩，不前往人员密集场所和中高风险地区；\n"
    "二、按申请的时间返回，返回后配合社区进行核酸检测。";

TEST_F(PdfTest, PledgeCarriesItsTextInNotoSerifCjk) {
  const std::string pdf = pledge_pdf({.title = "出门承诺书",
                                      .body = kBody,
                                      .signature = "承诺人：李秀英    2022-04-05 10:00",
                                      .footer = "幸福里社区 · 申请 42 · 政策 v3"});
  ASSERT_TRUE(pdf.starts_with("%PDF-"));
  const std::string text = text_of(pdf);
  EXPECT_EQ(std::ranges::count(text, '\f'), 1) << "one page";
  const std::string squeezed = squeeze(text);
  for (const char* expected : {"出门承诺书", "本人李秀英", "现郑重承诺：",
                               "二、按申请的时间返回，返回后配合社区进行核酸检测。",
                               "承诺人：李秀英", "2022-04-0510:00", "幸福里社区·申请42·政策v3"})
    EXPECT_NE(squeezed.find(expected), std::string::npos) << expected << " in:\n" << text;
  EXPECT_EQ(squeezed.find("页"), std::string::npos) << "no page numbers on a single page";
  // The font is embedded, not substituted: a fallback font would print other glyph shapes.
  EXPECT_NE(run("pdffonts", "", pdf).find("NotoSerifCJKsc"), std::string::npos);
}

// cairo 1.16 embeds some glyphs of Noto Sans CJK SC empty (如 in the regular weight), so they
// print blank while pdftotext still finds them. A page holding only such a character (no
// title, footer or signing line) must have ink.
TEST_F(PdfTest, EveryCharacterGetsInk) {
  for (const char* text : {"如", "瘃", "忉", "烪", "Ã"}) {
    EXPECT_GT(raster_of(pledge_pdf({.body = text, .signature = " "}), 72).dark_count(), 10)
        << text << " in the body";
    EXPECT_GT(raster_of(pledge_pdf({.title = text, .signature = " "}), 72).dark_count(), 10)
        << text << " in the (bold) title";
  }
}

TEST_F(PdfTest, UnsignedPledgeLeavesALineToSignOn) {
  const std::string text =
      squeeze(text_of(pledge_pdf({.title = "出门承诺书", .body = kBody, .footer = "申请 42"})));
  EXPECT_NE(text.find("承诺人（签名）："), std::string::npos) << text;
  EXPECT_NE(text.find("日期："), std::string::npos) << text;
}

TEST_F(PdfTest, LongPledgeContinuesOnTheNextPages) {
  std::string body;
  constexpr int kClauses = 80;
  for (int i = 1; i <= kClauses; ++i)
    body += fmt::format(
        "第{}条：本人承诺遵守社区防疫规定，如实报告行程和健康状况，配合核酸检测"
        "和居家健康监测，如有隐瞒愿承担相应责任。\n",
        i);
  const std::string text = text_of(pledge_pdf({.title = "出门承诺书",
                                               .body = body,
                                               .signature = "承诺人：李秀英",
                                               .footer = "幸福里社区 · 申请 42"}));
  const auto pages = std::ranges::count(text, '\f');
  EXPECT_GE(pages, 2);
  // Every clause, in order, and the signature after the last: nothing is cut.
  const std::string squeezed = squeeze(text);
  std::size_t at = 0;
  for (int i = 1; i <= kClauses; ++i) {
    at = squeezed.find(fmt::format("第{}条：", i), at);
    ASSERT_NE(at, std::string::npos) << "clause " << i << " in:\n" << text;
  }
  EXPECT_NE(squeezed.find("承诺人：李秀英", at), std::string::npos);
  for (int page = 1; page <= pages; ++page) {
    const std::string number = fmt::format("第{}页，共{}页", page, pages);
    EXPECT_NE(squeezed.find(number), std::string::npos) << number;
  }
}

TEST_F(PdfTest, InvalidUtf8PrintsAsReplacementCharacters) {
  constexpr char kMangled[] = "李秀英\xC3(\0在家";  // a truncated sequence and a NUL
  const std::string text = text_of(pledge_pdf({.title = "承诺\xFF书",
                                               .body = std::string(kMangled, sizeof kMangled - 1),
                                               .signature = "承诺人：李秀英"}));
  EXPECT_NE(squeeze(text).find("承诺\uFFFD书"), std::string::npos) << text;
  EXPECT_NE(squeeze(text).find("李秀英\uFFFD(\uFFFD在家"), std::string::npos) << text;
}

const PassDoc kPass{.title = "出入证（绿色通道）",
                    .token = "JW1.42.7.a8Zk3qT0",
                    .fields = {{"持证人", "李秀英"},
                               {"楼栋房号", "3号楼502室"},
                               {"事由", "就医（血液透析）"},
                               {"目的地", "上海市第一人民医院"},
                               {"有效期", "2022-04-05 08:00 至 12:00"},
                               {"须返回时间", "2022-04-05 12:00"}},
                    .footer = "幸福里社区 · 通行证 7"};

TEST_F(PdfTest, PassCarriesItsFieldsOnOnePage) {
  const std::string text = text_of(pass_pdf(kPass), "-layout");
  EXPECT_EQ(std::ranges::count(text, '\f'), 1) << "one page";
  const std::string squeezed = squeeze(text);
  EXPECT_NE(squeezed.find("出入证（绿色通道）"), std::string::npos) << text;
  for (const auto& [label, value] : kPass.fields)
    EXPECT_NE(squeezed.find(squeeze(label + value)), std::string::npos) << label << " in:\n"
                                                                        << text;
  EXPECT_NE(squeezed.find("幸福里社区·通行证7"), std::string::npos) << text;
}

// A page with nothing but the QR code, rendered at 144 dpi: the dark pixels span the symbol,
// and the centre of each module is dark exactly where the code has a dark module.
TEST_F(PdfTest, PassQrIsAtLeast6CmWideAndEncodesTheToken) {
  constexpr int kDpi = 144;
  const Raster page = raster_of(pass_pdf({.token = kPass.token}), kDpi);
  int left = page.width, right = -1, top = page.height, bottom = -1;
  for (int y = 0; y < page.height; ++y) {
    for (int x = 0; x < page.width; ++x) {
      if (!page.dark(x, y)) continue;
      left = std::min(left, x);
      right = std::max(right, x);
      top = std::min(top, y);
      bottom = std::max(bottom, y);
    }
  }
  const double cm = kDpi / 2.54;
  EXPECT_GE((right - left + 1) / cm, 6.0);
  EXPECT_NEAR(right - left, bottom - top, 2) << "square";

  const QrModules qr = qr_modules(kPass.token);
  const double module = (right - left + 1) / static_cast<double>(qr.width);
  for (int y = 0; y < qr.width; ++y) {
    for (int x = 0; x < qr.width; ++x) {
      EXPECT_EQ(page.dark(left + static_cast<int>((x + 0.5) * module),
                          top + static_cast<int>((y + 0.5) * module)),
                qr.is_dark(x, y))
          << "module " << x << "," << y;
    }
  }
}

// Calls on several threads at once (a server's) each get the document one call alone makes,
// fonts included. Before documents were made one at a time, a thread now and then embedded
// other fonts (129,360 bytes against 180,172).
TEST(Pdf, RendersOnSeveralThreadsAtOnce) {
  std::vector<std::string> pdfs(8);
  {
    std::vector<std::jthread> threads;
    for (std::string& pdf : pdfs)
      threads.emplace_back([&pdf] { pdf = pass_pdf(kPass); });
  }
  const std::string alone = pass_pdf(kPass);
  for (const std::string& pdf : pdfs) {
    EXPECT_TRUE(pdf.starts_with("%PDF-"));
    EXPECT_EQ(pdf.size(), alone.size());
  }
}

}  // namespace
}  // namespace juwei::render
