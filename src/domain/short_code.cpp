#include "domain/short_code.hpp"

#include <array>
#include <optional>
#include <span>

namespace juwei::domain {
namespace {

constexpr int kBase = static_cast<int>(kShortCodeAlphabet.size());

// The value of a typed character, read forgivingly; nothing for a character outside the
// alphabet.
std::optional<int> value_of(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'I' || c == 'L') c = '1';
  if (c == 'O') c = '0';
  const auto at = kShortCodeAlphabet.find(c);
  if (at == std::string_view::npos) return std::nullopt;
  return static_cast<int>(at);
}

// Luhn mod N over the values, the rightmost doubled first: the sum that a valid code's check
// character brings to a multiple of the base.
int luhn_sum(std::span<const int> values, bool double_rightmost) {
  int sum = 0;
  bool twice = double_rightmost;
  for (auto it = values.rbegin(); it != values.rend(); ++it) {
    int addend = twice ? 2 * *it : *it;
    addend = addend / kBase + addend % kBase;
    sum += addend;
    twice = !twice;
  }
  return sum % kBase;
}

}  // namespace

std::string make_short_code(std::uint64_t bits) {
  std::array<int, kShortCodeLength - 1> values{};
  for (auto it = values.rbegin(); it != values.rend(); ++it) {
    *it = static_cast<int>(bits % kBase);
    bits /= kBase;
  }
  const int check = (kBase - luhn_sum(values, true)) % kBase;
  std::string code;
  for (int v : values)
    code += kShortCodeAlphabet[static_cast<std::size_t>(v)];
  code += kShortCodeAlphabet[static_cast<std::size_t>(check)];
  return code;
}

std::string_view to_code(ShortCodeProblem p) {
  switch (p) {
    case ShortCodeProblem::length:
      return "code.length";
    case ShortCodeProblem::character:
      return "code.character";
    case ShortCodeProblem::check:
      return "code.check";
  }
  return "code.length";
}

std::expected<std::string, ShortCodeProblem> parse_short_code(std::string_view typed) {
  std::array<int, kShortCodeLength> values{};
  std::size_t n = 0;
  bool foreign = false;
  for (char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    const auto v = value_of(c);
    if (!v) foreign = true;
    if (n < values.size() && v) values[n] = *v;
    ++n;
  }
  if (n != kShortCodeLength) return std::unexpected(ShortCodeProblem::length);
  if (foreign) return std::unexpected(ShortCodeProblem::character);
  if (luhn_sum(values, false) != 0) return std::unexpected(ShortCodeProblem::check);
  std::string code;
  for (int v : values)
    code += kShortCodeAlphabet[static_cast<std::size_t>(v)];
  return code;
}

bool looks_like_short_code(std::string_view typed) {
  std::size_t n = 0;
  for (char c : typed) {
    if (c != ' ' && c != '-' && c != '\t') ++n;
  }
  return n >= kShortCodeLength - 2 && n <= kShortCodeLength + 2;
}

std::string format_short_code(std::string_view code) {
  if (code.size() != kShortCodeLength) return std::string(code);
  return std::string(code.substr(0, 4)) + "-" + std::string(code.substr(4));
}

}  // namespace juwei::domain
