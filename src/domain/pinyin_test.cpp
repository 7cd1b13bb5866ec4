#include "domain/pinyin.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace juwei::domain {
namespace {

// A key is found the way the store's search finds it: the typed text, folded, starts one of
// the name's keys.
bool finds(const NamePinyin& keys, std::string_view typed) {
  const auto q = pinyin_query(typed);
  if (!q) return false;
  return keys.full.find(" " + *q) != std::string::npos ||
         keys.initials.find(" " + *q) != std::string::npos;
}

// Issue 17 item 10: `maoqi`, `mao qi` and `mq` find 毛琪, from the Unihan readings.
TEST(Pinyin, TypedPinyinAndInitialsFindTheName) {
  const struct {
    std::string_view name;
    std::string_view typed;
    bool found;
  } cases[] = {
      {"毛琪", "maoqi", true},
      {"毛琪", "mao qi", true},
      {"毛琪", "MaoQi", true},
      {"毛琪", "mq", true},
      {"毛琪", "mao", true},
      {"毛琪", "maoq", true},
      {"毛琪", "m", true},
      {"毛琪", "mqi", false},  // initials and syllables are not mixed
      {"毛琪", "qi", false},   // keys match from the start of the name
      {"毛琪", "lq", false},
      {"毛琪", "毛", false},  // not pinyin: the name search finds that
      {"张三", "zhangsan", true},
      {"张三", "zs", true},
      {"李龙", "lilong", true},
      {"李龙", "l l", true},
      {"曾小红", "zengxiaohong", true},  // 曾 read as the surname zeng, not only ceng
      {"曾小红", "cengxiaohong", true},
      {"曾小红", "zxh", true},
      {"单田芳", "shantianfang", true},  // 单 as a surname is shan
      {"单田芳", "dantianfang", true},
      {"吕兰", "lvlan", true},  // ü typed as v, as u, or as ü
      {"吕兰", "lulan", true},
      {"吕兰", "lülan", true},
      {"长江", "zhangjiang", true},
      {"长江", "changjiang", true},
      {"买买提·艾力", "maimaitiaili", true},  // the middle dot is skipped
      {"买买提·艾力", "mmtal", true},
      {"Anna李", "annali", true},
      {"Anna李", "al", true},
      {"王 芳", "wangfang", true},
      {"王\U00020086", "wangyi", true},  // a character outside the BMP (U+20086, yi)
  };
  for (const auto& c : cases) {
    EXPECT_EQ(finds(name_pinyin(c.name), c.typed), c.found) << c.name << " / " << c.typed;
  }
}

TEST(Pinyin, KeysAreSpaceSeparatedMostLikelyFirst) {
  EXPECT_EQ(name_pinyin("毛琪"), (NamePinyin{" maoqi ", " mq "}));
  EXPECT_EQ(name_pinyin("长").full, " zhang chang ");
  EXPECT_EQ(name_pinyin("").full, "");
  EXPECT_EQ(name_pinyin("123·").initials, "");
}

TEST(Pinyin, ManyReadingsAreCapped) {
  // 行 has several readings; six of them give hundreds of ways, and the list keeps the first.
  const NamePinyin keys = name_pinyin("行行行行行行");
  EXPECT_EQ(std::ranges::count(keys.full, ' '), kMaxPinyinKeys + 1);
  EXPECT_TRUE(keys.full.starts_with(" xingxingxingxingxingxing "));
}

TEST(Pinyin, QueryFoldsWhatPeopleType) {
  EXPECT_EQ(pinyin_query("Mao Qi"), "maoqi");
  EXPECT_EQ(pinyin_query("xi'an"), "xian");
  EXPECT_EQ(pinyin_query("lü"), "lv");
  EXPECT_EQ(pinyin_query("lu:"), "lv");
  EXPECT_EQ(pinyin_query("　mq　"), "mq");
  EXPECT_EQ(pinyin_query("301"), std::nullopt);
  EXPECT_EQ(pinyin_query("3号楼"), std::nullopt);
  EXPECT_EQ(pinyin_query("毛琪"), std::nullopt);
  EXPECT_EQ(pinyin_query("  "), std::nullopt);
}

TEST(Pinyin, TableComesFromUnihan) {
  ASSERT_FALSE(pinyin_readings(U'毛').empty());
  EXPECT_EQ(pinyin_readings(U'毛').front(), "mao");
  EXPECT_TRUE(pinyin_readings(U'a').empty());
  EXPECT_TRUE(pinyin_readings(U'·').empty());
}

}  // namespace
}  // namespace juwei::domain
