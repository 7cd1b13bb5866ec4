#include "domain/id_number.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace juwei::domain {
namespace {

constexpr std::array<int, 17> kWeights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr std::string_view kCheckCharacters = "10X98765432";

// Province-level codes of GB/T 2260 (and 71/81/82 for Taiwan, Hong Kong, Macao residents'
// mainland cards; 83 for Taiwan residents' residence permits).
constexpr std::array kProvinces = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                   35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                   53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
int digits_value(std::string_view s) {
  int v = 0;
  for (char c : s)
    v = v * 10 + (c - '0');
  return v;
}

}  // namespace

char id_check_character(std::string_view first17) {
  int sum = 0;
  for (std::size_t i = 0; i < kWeights.size(); ++i)
    sum += (first17[i] - '0') * kWeights[i];
  return kCheckCharacters[static_cast<std::size_t>(sum % 11)];
}

std::expected<IdNumberFacts, IdNumberProblem> parse_id_number(std::string_view text, Date today) {
  if (text.size() != 18) return std::unexpected(IdNumberProblem::wrong_length);
  std::string id(text);
  if (id[17] == 'x') id[17] = 'X';
  if (!std::all_of(id.begin(), id.begin() + 17, is_digit) || !(is_digit(id[17]) || id[17] == 'X')) {
    return std::unexpected(IdNumberProblem::bad_characters);
  }
  const int province = digits_value(std::string_view(id).substr(0, 2));
  if (province == 0 ||
      std::find(kProvinces.begin(), kProvinces.end(), province) == kProvinces.end()) {
    return std::unexpected(IdNumberProblem::bad_region);
  }
  const std::string_view view(id);
  const Date birth{std::chrono::year{digits_value(view.substr(6, 4))},
                   std::chrono::month{static_cast<unsigned>(digits_value(view.substr(10, 2)))},
                   std::chrono::day{static_cast<unsigned>(digits_value(view.substr(12, 2)))}};
  if (!birth.ok() || birth.year() < std::chrono::year{1900}) {
    return std::unexpected(IdNumberProblem::bad_birth_date);
  }
  if (birth > today) return std::unexpected(IdNumberProblem::birth_in_future);
  if (id_check_character(view.substr(0, 17)) != id[17]) {
    return std::unexpected(IdNumberProblem::bad_check_digit);
  }
  const Gender gender = ((id[16] - '0') % 2 == 1) ? Gender::male : Gender::female;
  return IdNumberFacts{std::move(id), birth, gender};
}

std::string mask_id_number(std::string_view id_number) {
  if (id_number.size() <= 8) return std::string(id_number.size(), '*');
  std::string masked(id_number);
  std::fill(masked.begin() + 4, masked.end() - 4, '*');
  return masked;
}

std::string mask_name(std::string_view name) {
  std::vector<std::string_view> chars;  // UTF-8 sequences
  for (std::size_t i = 0; i < name.size();) {
    std::size_t n = 1;
    while (i + n < name.size() && (static_cast<unsigned char>(name[i + n]) & 0xC0) == 0x80)
      ++n;
    chars.push_back(name.substr(i, n));
    i += n;
  }
  if (chars.size() < 2) return std::string(name);
  std::string masked(chars.front());
  for (std::size_t i = 1; i + 1 < chars.size(); ++i)
    masked += '*';
  masked += chars.size() == 2 ? std::string_view("*") : chars.back();
  return masked;
}

std::string_view describe_zh(IdNumberProblem p) {
  switch (p) {
    case IdNumberProblem::wrong_length:
      return "身份证号应为18位";
    case IdNumberProblem::bad_characters:
      return "身份证号应为17位数字加一位数字或X";
    case IdNumberProblem::bad_region:
      return "身份证号前两位不是有效的省级行政区代码";
    case IdNumberProblem::bad_birth_date:
      return "身份证号中的出生日期无效";
    case IdNumberProblem::birth_in_future:
      return "身份证号中的出生日期晚于今天";
    case IdNumberProblem::bad_check_digit:
      return "身份证号校验位错误";
  }
  return {};
}

std::string_view describe_en(IdNumberProblem p) {
  switch (p) {
    case IdNumberProblem::wrong_length:
      return "ID number must have 18 characters";
    case IdNumberProblem::bad_characters:
      return "ID number must be 17 digits then a digit or X";
    case IdNumberProblem::bad_region:
      return "ID number does not start with a valid province code";
    case IdNumberProblem::bad_birth_date:
      return "ID number embeds an invalid birth date";
    case IdNumberProblem::birth_in_future:
      return "ID number embeds a birth date after today";
    case IdNumberProblem::bad_check_digit:
      return "ID number check digit is wrong";
  }
  return {};
}

}  // namespace juwei::domain
