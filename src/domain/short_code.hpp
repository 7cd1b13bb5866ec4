// A pass's short code (出入证编码): eight characters a guard can type when a QR code cannot be
// scanned, printed under the code on paper and on the phone ("K7QM-2X9C"). Seven characters
// carry 35 random bits (the store keeps one code per pass, unique in its community); the eighth
// is a check character (Luhn mod 32), so any one mistyped character, or two swapped neighbours
// (but 0 and Z), is caught on the gate's phone before it reaches the server. The alphabet is
// Crockford's base 32: digits and capitals without I, L, O and U; typed text is read forgivingly
// (case, spaces and dashes ignored, I and L read as 1, O as 0). Pure.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace juwei::domain {

inline constexpr std::size_t kShortCodeLength = 8;
inline constexpr std::string_view kShortCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The code for the low 35 bits of `bits`: seven characters and the check character.
std::string make_short_code(std::uint64_t bits);

enum class ShortCodeProblem : std::uint8_t {
  length,     // not eight characters of the alphabet once spaces and dashes are dropped
  character,  // a character outside the alphabet
  check,      // the check character does not match: a character mistyped
};
std::string_view to_code(ShortCodeProblem p);  // "code.length", "code.character", "code.check"

// The code `typed` names, in its one spelling (eight capitals, no dash), or what is wrong.
std::expected<std::string, ShortCodeProblem> parse_short_code(std::string_view typed);

// Whether `typed` is meant as a short code rather than an ID number (15 or 18 characters) or a
// token: 6 to 10 characters once spaces and dashes are dropped.
bool looks_like_short_code(std::string_view typed);

// As printed and shown: "K7QM-2X9C".
std::string format_short_code(std::string_view code);

}  // namespace juwei::domain
