#include "domain/short_code.hpp"

#include <gtest/gtest.h>

#include <random>
#include <utility>

namespace juwei::domain {
namespace {

TEST(ShortCode, IsEightCharactersOfTheAlphabetAndReadsBack) {
  std::mt19937_64 random(17);
  for (int i = 0; i < 10000; ++i) {
    const std::string code = make_short_code(random());
    ASSERT_EQ(code.size(), kShortCodeLength);
    for (char c : code) EXPECT_NE(kShortCodeAlphabet.find(c), std::string_view::npos) << code;
    const auto read = parse_short_code(code);
    ASSERT_TRUE(read) << code;
    EXPECT_EQ(*read, code);
  }
  EXPECT_EQ(make_short_code(0), "00000000");
  EXPECT_EQ(make_short_code((std::uint64_t{1} << 35) - 1), "ZZZZZZZ7");
  // Only the low 35 bits count.
  EXPECT_EQ(make_short_code(std::uint64_t{1} << 35), make_short_code(0));
}

TEST(ShortCode, TypedTextIsReadForgivingly) {
  const std::string code = make_short_code(24253932965);  // "PJTB9D5R"
  ASSERT_EQ(code, "PJTB9D5R");
  for (std::string_view typed : {"PJTB9D5R", "pjtb9d5r", "PJTB-9D5R", " pjtb 9d5r ", "P-J-T-B-9-D-5-R"}) {
    EXPECT_EQ(parse_short_code(typed).value_or("?"), code) << typed;
  }
  // I and L read as 1, O as 0.
  const std::string ones = make_short_code(1 + 32 * 1 + 32 * 32 * 0);  // "0000010?" style
  std::string typed = ones;
  for (char& c : typed) {
    if (c == '1') c = 'l';
    if (c == '0') c = 'O';
  }
  EXPECT_EQ(parse_short_code(typed).value_or("?"), ones) << typed;
  EXPECT_EQ(format_short_code(code), "PJTB-9D5R");
}

TEST(ShortCode, SaysWhatIsWrong) {
  EXPECT_EQ(parse_short_code("PJTB9D5"), std::unexpected(ShortCodeProblem::length));
  EXPECT_EQ(parse_short_code("PJTB9D5RR"), std::unexpected(ShortCodeProblem::length));
  EXPECT_EQ(parse_short_code(""), std::unexpected(ShortCodeProblem::length));
  EXPECT_EQ(parse_short_code("PJTB9D5U"), std::unexpected(ShortCodeProblem::character));
  EXPECT_EQ(parse_short_code("PJTB9D一R"), std::unexpected(ShortCodeProblem::length));
  EXPECT_EQ(parse_short_code("PJTB9D5S"), std::unexpected(ShortCodeProblem::check));
  EXPECT_EQ(to_code(ShortCodeProblem::check), "code.check");
}

// The check character catches every single mistyped character, and every swap of two
// neighbours but 0 and Z (Luhn mod 32's one blind spot, as 0 and 9 are Luhn's).
TEST(ShortCode, CatchesOneMistypedCharacterAndSwappedNeighbours) {
  std::mt19937_64 random(2022);
  int swaps_checked = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string code = make_short_code(random());
    for (std::size_t at = 0; at < code.size(); ++at) {
      for (char c : kShortCodeAlphabet) {
        if (c == code[at]) continue;
        std::string typo = code;
        typo[at] = c;
        EXPECT_FALSE(parse_short_code(typo)) << code << " read as " << typo;
      }
      if (at + 1 < code.size() && code[at] != code[at + 1]) {
        std::string swapped = code;
        std::swap(swapped[at], swapped[at + 1]);
        const std::pair pair{std::min(code[at], code[at + 1]), std::max(code[at], code[at + 1])};
        if (pair == std::pair{'0', 'Z'}) continue;
        ++swaps_checked;
        EXPECT_FALSE(parse_short_code(swapped)) << code << " read as " << swapped;
      }
    }
  }
  EXPECT_GT(swaps_checked, 1000);
}

TEST(ShortCode, IsToldApartFromIdNumbersAndTokens) {
  EXPECT_TRUE(looks_like_short_code("PJTB-9D5R"));
  EXPECT_TRUE(looks_like_short_code("pjtb9d5"));
  EXPECT_TRUE(looks_like_short_code("12345678"));
  EXPECT_FALSE(looks_like_short_code("310101199001011234"));
  EXPECT_FALSE(looks_like_short_code("310101900101123"));
  EXPECT_FALSE(looks_like_short_code("JW1.AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"));
  EXPECT_FALSE(looks_like_short_code(""));
}

}  // namespace
}  // namespace juwei::domain
