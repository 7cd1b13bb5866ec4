#include "domain/id_number.hpp"

#include <gtest/gtest.h>

namespace juwei::domain {
namespace {

using namespace std::chrono;
constexpr Date kToday{year{2022}, month{4}, day{4}};

struct IdCase {
  std::string_view input;
  std::optional<IdNumberProblem> problem;  // nullopt = valid
  Gender gender = Gender::male;
  Date birth{};
};

// Check digits computed with the GB 11643 weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, mod 11.
const IdCase kCases[] = {
    {"11010519491231002X", std::nullopt, Gender::female, Date{year{1949}, month{12}, day{31}}},
    {"11010519491231002x", std::nullopt, Gender::female, Date{year{1949}, month{12}, day{31}}},
    {"310109199003071231", std::nullopt, Gender::male, Date{year{1990}, month{3}, day{7}}},
    {"44030419850615231X", std::nullopt, Gender::male, Date{year{1985}, month{6}, day{15}}},
    {"310109202203010040", std::nullopt, Gender::female, Date{year{2022}, month{3}, day{1}}},
    {"310109198802290022", std::nullopt, Gender::female, Date{year{1988}, month{2}, day{29}}},
    {"", IdNumberProblem::wrong_length},
    {"11010519491231002", IdNumberProblem::wrong_length},
    {"11010519491231002X1", IdNumberProblem::wrong_length},
    {"1101051949123100AX", IdNumberProblem::bad_characters},
    {"X10105194912310021", IdNumberProblem::bad_characters},
    {"110105194912310020", IdNumberProblem::bad_check_digit},
    {"310109199003071232", IdNumberProblem::bad_check_digit},
    {"44030419850615231 ", IdNumberProblem::bad_characters},
    {"990105194912310020", IdNumberProblem::bad_region},
    {"001011199001011230", IdNumberProblem::bad_region},
    {"310109199002301230", IdNumberProblem::bad_birth_date},  // 30 February
    {"310109199013011230", IdNumberProblem::bad_birth_date},  // month 13
    {"310109189912311230", IdNumberProblem::bad_birth_date},  // before 1900
    {"310109198702290020", IdNumberProblem::bad_birth_date},  // 1987 is no leap year
    {"310109202205010000", IdNumberProblem::birth_in_future},
};

TEST(IdNumber, ValidatesAgainstGb11643) {
  for (const IdCase& c : kCases) {
    SCOPED_TRACE(std::string(c.input));
    const auto facts = parse_id_number(c.input, kToday);
    if (!c.problem) {
      ASSERT_TRUE(facts.has_value());
      EXPECT_EQ(facts->gender, c.gender);
      EXPECT_EQ(facts->birth_date, c.birth);
      EXPECT_EQ(facts->normalized.back(), std::toupper(c.input.back()));
    } else {
      ASSERT_FALSE(facts.has_value());
      EXPECT_EQ(facts.error(), *c.problem);
      EXPECT_FALSE(describe_zh(facts.error()).empty());
      EXPECT_FALSE(describe_en(facts.error()).empty());
    }
  }
}

TEST(IdNumber, CheckCharacterCoversEveryValue) {
  // Each of the 11 check characters is reachable; X stands for 10.
  EXPECT_EQ(id_check_character("11010519491231002"), 'X');
  EXPECT_EQ(id_check_character("31010919900307123"), '1');
  EXPECT_EQ(id_check_character("31010920220301004"), '0');
}

TEST(Names, MaskedAllButTheirFirstAndLastCharacter) {
  EXPECT_EQ(mask_name("李小英"), "李*英");
  EXPECT_EQ(mask_name("王丽"), "王*");
  EXPECT_EQ(mask_name("欧阳小锋"), "欧**锋");
  EXPECT_EQ(mask_name("王"), "王");
  EXPECT_EQ(mask_name(""), "");
}

TEST(IdNumber, MasksAllButFirstAndLastFour) {
  EXPECT_EQ(mask_id_number("31010919900307123X"), "3101**********123X");
  EXPECT_EQ(mask_id_number("1234"), "****");
}

}  // namespace
}  // namespace juwei::domain
