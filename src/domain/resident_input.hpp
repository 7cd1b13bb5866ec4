// Validation of a resident as a person or a spreadsheet row gives it: text fields in, a
// Resident plus its building and room out, or every problem found (not only the first), each
// naming its field with a Chinese and an English message. Pure; today's date is passed in.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/registry.hpp"

namespace juwei::domain {

// Field names are the English codes used in CSV headers, the API and error reports.
struct ResidentInput {
  std::string_view name;
  std::string_view gender;
  std::string_view birth_date;
  std::string_view id_number;
  std::string_view phone;
  std::string_view building;
  std::string_view room;
  std::string_view relation;
  std::string_view vulnerabilities;  // several, separated by ; ； , ， 、 | or spaces
  std::string_view volunteer;
  std::string_view notes;
};

struct FieldProblem {
  std::string field;  // "id_number"
  std::string code;   // stable: "id_number.bad_check_digit"
  std::string message_zh;
  std::string message_en;
};

struct ValidResident {
  Resident resident;     // ids unset
  std::string building;  // by normalize_building_name: "3" is "3号楼"
  std::string room;
};

inline constexpr std::size_t kMaxNameBytes = 90;  // 30 CJK characters
inline constexpr std::size_t kMaxNotesBytes = 2000;
inline constexpr std::size_t kMaxPlaceBytes = 60;  // building name, room

// One rule for every name people type (a resident's name, a building's, a room): not empty, at
// most `max_bytes`, and no control character (U+0000 to U+001F, U+007F): a name is one line.
enum class NameProblem : std::uint8_t { missing, too_long, control_character };
std::optional<NameProblem> check_name(std::string_view text, std::size_t max_bytes);

// Validates input (fields already trimmed). Gender and birth date may be left empty: they are
// read from the ID number; when given, they must agree with it.
std::expected<ValidResident, std::vector<FieldProblem>> validate_resident(const ResidentInput& in,
                                                                          Date today);

// A mainland mobile number: 11 digits starting 13-19, after dropping spaces, dashes and a
// +86 / 86 / 0086 prefix. Returns the 11 digits.
std::optional<std::string> normalize_mobile(std::string_view text);

}  // namespace juwei::domain
