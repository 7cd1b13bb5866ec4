// Resident ID numbers (居民身份证号码) under GB 11643-1999: 6 digits of region, 8 of birth
// date, 3 of sequence (odd = male), and an ISO 7064 MOD 11-2 check character (0-9 or X).
// Pure functions; the caller passes today's date, the domain never reads the clock.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "domain/registry.hpp"

namespace juwei::domain {

enum class IdNumberProblem {
  wrong_length,     // not 18 characters
  bad_characters,   // not 17 digits followed by a digit or X
  bad_region,       // the first two digits are no province-level code
  bad_birth_date,   // digits 7-14 are not a calendar date after 1900-01-01
  birth_in_future,  // the embedded birth date is after today
  bad_check_digit,  // the 18th character does not match the first 17
};

struct IdNumberFacts {
  std::string normalized;  // upper-case X
  Date birth_date;
  Gender gender;
};

std::expected<IdNumberFacts, IdNumberProblem> parse_id_number(std::string_view text, Date today);

// The check character for the first 17 digits (which must be digits).
char id_check_character(std::string_view first17);

// "310109199001011234" -> "3101**********1234"; for roles that need no more.
std::string mask_id_number(std::string_view id_number);
// A name with all but its first and last characters hidden, as printed notices show it:
// 李*英, 王*, 欧**锋; one character stays as it is (UTF-8, by character).
std::string mask_name(std::string_view name);

std::string_view describe_zh(IdNumberProblem p);
std::string_view describe_en(IdNumberProblem p);

}  // namespace juwei::domain
