#include "domain/resident_input.hpp"

#include <gtest/gtest.h>

namespace juwei::domain {
namespace {

using namespace std::chrono;
constexpr Date kToday{year{2022}, month{4}, day{4}};

ResidentInput nurse() {
  return ResidentInput{.name = "王丽",
                       .gender = "女",
                       .birth_date = "1988-02-29",
                       .id_number = "310109198802290022",
                       .phone = "138 1234 5678",
                       .building = "12号楼",
                       .room = "301",
                       .relation = "配偶",
                       .vulnerabilities = "",
                       .volunteer = "否",
                       .notes = "护士，仁济医院"};
}

TEST(ResidentInput, AcceptsAFullRow) {
  const auto valid = validate_resident(nurse(), kToday);
  ASSERT_TRUE(valid.has_value());
  EXPECT_EQ(valid->resident.name, "王丽");
  EXPECT_EQ(valid->resident.gender, Gender::female);
  EXPECT_EQ(valid->resident.phone, "13812345678");
  EXPECT_EQ(valid->resident.relation, Relation::spouse);
  EXPECT_EQ(valid->building, "12号楼");
  EXPECT_EQ(valid->room, "301");
}

// A roster's 楼号 as people write it is the building's one name (normalize_building_name).
TEST(ResidentInput, NamesTheBuildingAsNormalized) {
  ResidentInput in = nurse();
  for (const std::string_view written : {"12", "12栋", "十二号楼", "１２号 楼"}) {
    in.building = written;
    const auto valid = validate_resident(in, kToday);
    ASSERT_TRUE(valid.has_value()) << written;
    EXPECT_EQ(valid->building, "12号楼") << written;
  }
}

TEST(ResidentInput, ReadsGenderAndBirthFromTheIdWhenLeftEmpty) {
  ResidentInput in = nurse();
  in.gender = "";
  in.birth_date = "";
  const auto valid = validate_resident(in, kToday);
  ASSERT_TRUE(valid.has_value());
  EXPECT_EQ(valid->resident.gender, Gender::female);
  EXPECT_EQ(format_date(valid->resident.birth_date), "1988-02-29");
}

struct BadCase {
  const char* what;
  void (*mutate)(ResidentInput&);
  const char* code;
};

const BadCase kBad[] = {
    {"no name", [](ResidentInput& in) { in.name = ""; }, "name.missing"},
    {"no id", [](ResidentInput& in) { in.id_number = ""; }, "id_number.missing"},
    {"check digit", [](ResidentInput& in) { in.id_number = "310109198802290023"; },
     "id_number.bad_check_digit"},
    {"gender vs id", [](ResidentInput& in) { in.gender = "男"; }, "gender.mismatch"},
    {"gender word", [](ResidentInput& in) { in.gender = "未知"; }, "gender.invalid"},
    {"birth vs id", [](ResidentInput& in) { in.birth_date = "1988-03-01"; }, "birth_date.mismatch"},
    {"birth format", [](ResidentInput& in) { in.birth_date = "29/02/1988"; }, "birth_date.invalid"},
    {"landline", [](ResidentInput& in) { in.phone = "021-6543 2100"; }, "phone.invalid"},
    {"short phone", [](ResidentInput& in) { in.phone = "1381234567"; }, "phone.invalid"},
    {"no building", [](ResidentInput& in) { in.building = ""; }, "building.missing"},
    {"no room", [](ResidentInput& in) { in.room = ""; }, "room.missing"},
    {"relation", [](ResidentInput& in) { in.relation = "邻居"; }, "relation.invalid"},
    {"tag", [](ResidentInput& in) { in.vulnerabilities = "孕妇；高血压"; },
     "vulnerabilities.invalid"},
    {"volunteer", [](ResidentInput& in) { in.volunteer = "也许"; }, "volunteer.invalid"},
};

TEST(ResidentInput, NamesTheFieldOfEveryProblem) {
  for (const BadCase& c : kBad) {
    SCOPED_TRACE(c.what);
    ResidentInput in = nurse();
    c.mutate(in);
    const auto result = validate_resident(in, kToday);
    ASSERT_FALSE(result.has_value());
    ASSERT_EQ(result.error().size(), 1u);
    EXPECT_EQ(result.error()[0].code, c.code);
    EXPECT_FALSE(result.error()[0].message_zh.empty());
    EXPECT_FALSE(result.error()[0].message_en.empty());
  }
}

TEST(ResidentInput, ReportsAllProblemsOfARowAtOnce) {
  ResidentInput in = nurse();
  in.name = "";
  in.phone = "12345";
  in.room = "";
  const auto result = validate_resident(in, kToday);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().size(), 3u);
}

TEST(ResidentInput, ParsesVulnerabilityListsInEitherLanguage) {
  ResidentInput in = nurse();
  in.vulnerabilities = "孕妇、透析; bedridden";
  const auto valid = validate_resident(in, kToday);
  ASSERT_TRUE(valid.has_value());
  const Vulnerabilities v = valid->resident.vulnerabilities;
  EXPECT_TRUE(v.has(Vulnerability::pregnant));
  EXPECT_TRUE(v.has(Vulnerability::dialysis));
  EXPECT_TRUE(v.has(Vulnerability::bedridden));
  EXPECT_FALSE(v.has(Vulnerability::infant));
  EXPECT_EQ(vulnerabilities_to_codes(v), "pregnant;dialysis;bedridden");
  EXPECT_EQ(vulnerabilities_to_labels_zh(v), "孕妇；透析；卧床");
}

TEST(Mobile, NormalizesCommonWritings) {
  const std::pair<const char*, const char*> cases[] = {
      {"13812345678", "13812345678"},   {"+86 138-1234-5678", "13812345678"},
      {"8613812345678", "13812345678"}, {"0086 19912345678", "19912345678"},
      {"12812345678", nullptr},         {"23812345678", nullptr},
      {"1381234567x", nullptr},         {"138123456789", nullptr},
  };
  for (const auto& [in, out] : cases) {
    SCOPED_TRACE(in);
    const auto got = normalize_mobile(in);
    if (out == nullptr) {
      EXPECT_FALSE(got.has_value());
    } else {
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, out);
    }
  }
}

TEST(Registry, CodesAndLabelsRoundTrip) {
  for (Relation r : {Relation::head, Relation::spouse, Relation::child, Relation::parent,
                     Relation::grandchild, Relation::grandparent, Relation::sibling,
                     Relation::child_in_law, Relation::tenant, Relation::other}) {
    EXPECT_EQ(relation_from_code(to_code(r)), r);
    EXPECT_EQ(parse_relation(to_label_zh(r)), r);
  }
  for (Vulnerability v : kAllVulnerabilities) {
    EXPECT_EQ(vulnerability_from_code(to_code(v)), v);
    EXPECT_EQ(parse_vulnerability(to_label_zh(v)), v);
  }
  EXPECT_EQ(parse_relation("妻子"), Relation::spouse);
  EXPECT_EQ(parse_gender("F"), Gender::female);
  EXPECT_EQ(parse_yes_no("是"), true);
  EXPECT_EQ(parse_yes_no("N"), false);
}

TEST(Registry, AgeCountsBirthdays) {
  using namespace std::chrono;
  const Date birth{year{1988}, month{2}, day{29}};
  EXPECT_EQ(age_on(birth, Date{year{2022}, month{2}, day{28}}), 33);
  EXPECT_EQ(age_on(birth, Date{year{2022}, month{3}, day{1}}), 34);
  EXPECT_EQ(parse_iso_date("1988/02/29"), birth);
  EXPECT_FALSE(parse_iso_date("1987-02-29").has_value());
}

}  // namespace
}  // namespace juwei::domain

namespace juwei::domain {
namespace {

// One rule for every name: a resident's, a building's, a room.
TEST(Names, OneRuleForEveryName) {
  using enum NameProblem;
  const std::pair<std::string, std::optional<NameProblem>> cases[] = {
      {"12号楼", std::nullopt},
      {"王丽", std::nullopt},
      {"", missing},
      {std::string("12号楼\0", 10), control_character},
      {"12\t楼", control_character},
      {"301\n", control_character},
      {"a\x7F", control_character},
      {std::string(61, 'a'), too_long},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(check_name(text, kMaxPlaceBytes), want) << text.size();
  }
}

}  // namespace
}  // namespace juwei::domain
