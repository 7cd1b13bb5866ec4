#include "domain/place.hpp"

#include <gtest/gtest.h>

namespace juwei::domain {
namespace {

// Issue 17 item 6: a roster's 楼号 "3" and a search for 三号楼 are the same building.
TEST(Place, NormalizesBuildingNamesAsPeopleWriteThem) {
  const struct {
    std::string_view in;
    std::string_view out;
  } cases[] = {
      {"3", "3号楼"},
      {"3号", "3号楼"},
      {"3号楼", "3号楼"},
      {"3幢", "3号楼"},
      {"3栋", "3号楼"},
      {"3号栋", "3号楼"},
      {"3号幢", "3号楼"},
      {"3#", "3号楼"},
      {"3#楼", "3号楼"},
      {"3号 楼", "3号楼"},
      {" 3 号楼　", "3号楼"},
      {"03", "3号楼"},
      {"３", "3号楼"},
      {"１２号楼", "12号楼"},
      {"３＃", "3号楼"},
      {"三号楼", "3号楼"},
      {"三栋", "3号楼"},
      {"第三幢", "3号楼"},
      {"第3栋", "3号楼"},
      {"十号楼", "10号楼"},
      {"十二号楼", "12号楼"},
      {"二十号楼", "20号楼"},
      {"二十三号楼", "23号楼"},
      {"两号楼", "2号楼"},
      {"一百零五号楼", "105号楼"},
      {"一二号楼", "12号楼"},
      {"9999", "9999号楼"},
      // Not a numbered building: kept, trimmed.
      {"综合楼", "综合楼"},
      {" A座 ", "A座"},
      {"商铺", "商铺"},
      {"3楼", "3楼"},  // a floor, as people read it
      {"3座", "3座"},
      {"12A", "12A"},
      {"三", "三"},  // a Chinese numeral needs 号, 栋, 幢 or #
      {"第3", "第3"},
      {"0", "0"},
      {"10000", "10000"},
      {"3号楼301", "3号楼301"},
      {"二三十号楼", "二三十号楼"},
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(normalize_building_name(c.in), c.out) << c.in;
    EXPECT_EQ(normalize_building_name(c.out), c.out) << "not idempotent: " << c.out;
  }
}

TEST(Place, ReadsABuildingAndRoomFromASearchText) {
  const struct {
    std::string_view in;
    std::optional<PlaceText> out;
  } cases[] = {
      {"3号楼", PlaceText{"3号楼", ""}},
      {"三号楼", PlaceText{"3号楼", ""}},
      {"3栋", PlaceText{"3号楼", ""}},
      {"3号楼301", PlaceText{"3号楼", "301"}},
      {"3号楼 301", PlaceText{"3号楼", "301"}},
      {"3号楼-301", PlaceText{"3号楼", "301"}},
      {"3号楼301室", PlaceText{"3号楼", "301"}},
      {"3栋301室", PlaceText{"3号楼", "301"}},
      {"3幢301号", PlaceText{"3号楼", "301"}},
      {"3#301", PlaceText{"3号楼", "301"}},
      {"3号301", PlaceText{"3号楼", "301"}},
      {"3-301", PlaceText{"3号楼", "301"}},
      {"3 - 301", PlaceText{"3号楼", "301"}},
      {"３－３０１", PlaceText{"3号楼", "301"}},
      {"十二号楼1203", PlaceText{"12号楼", "1203"}},
      {"12-1203", PlaceText{"12号楼", "1203"}},
      {"3号楼B12", PlaceText{"3号楼", "B12"}},
      // A room or phone fragment, a name, or not a room.
      {"301", std::nullopt},
      {"3 301", std::nullopt},
      {"3-", std::nullopt},
      {"王丽", std::nullopt},
      {"综合楼101", std::nullopt},
      {"3号楼2单元301", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_place(c.in), c.out) << c.in;
  }
}

}  // namespace
}  // namespace juwei::domain
