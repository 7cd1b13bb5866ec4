// Where a household is, as people write it: a building's name in a roster or a form ("3",
// "3栋", "三号楼") and a building with a room in a search box ("3号楼301", "3-301"). Pure
// functions of the text; every way a building name enters Juwei (roster import, the registry
// API and CLI, search and register filters, the schema migration) goes through
// normalize_building_name, so one building has one name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace juwei::domain {

// The one spelling of a building's name. A numbered building, however it is written, is
// "<n>号楼": an optional 第, the number (ASCII or full-width digits, leading zeros dropped, or
// Chinese numerals up to 九百九十九: 三, 十二, 二十三, 一百零五, 一二), then 号楼, 号, 栋, 幢,
// 号栋, 号幢, # or #楼 (Chinese numerals need one of these), spaces anywhere. "3", "3号",
// "3 号 楼", "３栋", "第三幢", "十二号楼" are "3号楼" … "12号楼". Any other name ("综合楼",
// "A座", "商铺", "3楼", which people read as a floor, "0") is kept, trimmed of spaces (ASCII and
// U+3000) at both ends. Idempotent.
std::string normalize_building_name(std::string_view text);

// A building, and a room in it, typed as one search text.
struct PlaceText {
  std::string building;  // as normalize_building_name spells it
  std::string room;      // ASCII letters, digits and '-'; empty: the whole building
  friend bool operator==(const PlaceText&, const PlaceText&) = default;
};

// Reads a search text that names a numbered building: "3号楼", "三号楼" (the building), or
// "3号楼301", "3号楼 301", "3栋301室", "3#301", "3-301", "３－３０１" (room 301 in 3号楼).
// A room after a bare number needs a dash ("3-301"); a bare number alone ("301") is no place:
// it may be a room or part of a phone number. Nullopt for anything else.
std::optional<PlaceText> parse_place(std::string_view text);

}  // namespace juwei::domain
