#include "domain/place.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace juwei::domain {
namespace {

constexpr std::string_view kIdeographicSpace = "\u3000";
constexpr int kMaxBuildingNumber = 9999;

// The length of the space (ASCII space, tab, U+3000) at the start of `text`; 0 for none.
std::size_t space_at(std::string_view text) {
  if (text.starts_with(' ') || text.starts_with('\t')) return 1;
  if (text.starts_with(kIdeographicSpace)) return kIdeographicSpace.size();
  return 0;
}

std::string_view trim_spaces(std::string_view text) {
  while (const std::size_t n = space_at(text))
    text.remove_prefix(n);
  while (!text.empty()) {
    if (text.ends_with(' ') || text.ends_with('\t')) {
      text.remove_suffix(1);
    } else if (text.ends_with(kIdeographicSpace)) {
      text.remove_suffix(kIdeographicSpace.size());
    } else {
      break;
    }
  }
  return text;
}

// The text with full-width digits, '＃' and '－' (U+FF10..FF19, U+FF03, U+FF0D: EF BC xx in
// UTF-8) as ASCII, and without spaces when `drop_spaces`.
std::string narrow(std::string_view text, bool drop_spaces) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::string_view rest = text.substr(i);
    if (const std::size_t n = space_at(rest); n > 0 && drop_spaces) {
      i += n;
      continue;
    }
    if (rest.size() >= 3 && rest.starts_with("\xEF\xBC")) {
      const auto c = static_cast<unsigned char>(rest[2]);
      if (c >= 0x90 && c <= 0x99) {
        out += static_cast<char>('0' + (c - 0x90));
        i += 3;
        continue;
      }
      if (c == 0x83 || c == 0x8D) {
        out += c == 0x83 ? '#' : '-';
        i += 3;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

// Chinese numerals: digits 零〇一二两三四五六七八九 and the units 十, 百.
constexpr std::array<std::pair<std::string_view, int>, 14> kNumerals = {{
    {"零", 0},
    {"〇", 0},
    {"一", 1},
    {"二", 2},
    {"两", 2},
    {"三", 3},
    {"四", 4},
    {"五", 5},
    {"六", 6},
    {"七", 7},
    {"八", 8},
    {"九", 9},
    {"十", 10},
    {"百", 100},
}};

// The numeral at the start of `text` and its length in bytes.
std::optional<std::pair<int, std::size_t>> numeral_at(std::string_view text) {
  for (const auto& [spelling, value] : kNumerals) {
    if (text.starts_with(spelling)) return std::pair{value, spelling.size()};
  }
  return std::nullopt;
}

// The value of a run of Chinese numerals: digit by digit ("一二" 12, "三" 3) when it has no
// unit, else [D百][零][D]十[D] ("一百零五", "十二", "二十三"); nullopt when malformed.
std::optional<int> chinese_value(const std::vector<int>& run) {
  const bool units = std::ranges::any_of(run, [](int v) { return v >= 10; });
  if (!units) {
    if (run.size() > 4) return std::nullopt;
    int value = 0;
    for (const int d : run)
      value = value * 10 + d;
    return value;
  }
  std::size_t i = 0;
  const auto digit = [&](std::size_t at) {
    return at < run.size() && run[at] >= 1 && run[at] <= 9;
  };
  int value = 0;
  if (digit(i) && i + 1 < run.size() && run[i + 1] == 100) {
    value += run[i] * 100;
    i += 2;
    if (i < run.size() && run[i] == 0) ++i;  // 一百零五
  }
  if (digit(i) && i + 1 < run.size() && run[i + 1] == 10) {
    value += run[i] * 10;
    i += 2;
  } else if (i < run.size() && run[i] == 10) {
    value += 10;  // 十二, 一百十
    ++i;
  }
  if (digit(i)) value += run[i++];
  if (i != run.size()) return std::nullopt;
  return value;
}

// What may follow a building's number, longest first.
constexpr std::array<std::string_view, 8> kSuffixes = {"号楼", "号栋", "号幢", "#楼",
                                                       "号",   "栋",   "幢",   "#"};

struct NumberedBuilding {
  int number = 0;
  std::size_t end = 0;  // bytes of the text read
  bool suffixed = false;
};

// A numbered building at the start of `text` (narrowed): [第] number [suffix].
std::optional<NumberedBuilding> numbered_building_at(std::string_view text) {
  std::size_t i = 0;
  bool ordinal = false;
  if (text.starts_with("第")) {
    i = std::string_view("第").size();
    ordinal = true;
  }
  std::optional<int> number;
  bool chinese = false;
  if (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    std::size_t start = i;
    while (i < text.size() && text[i] == '0')
      ++i;
    if (i < text.size() && text[i] >= '0' && text[i] <= '9') start = i;
    int value = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (i - start >= 4) return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    number = value;
  } else {
    std::vector<int> run;
    while (const auto n = numeral_at(text.substr(i))) {
      run.push_back(n->first);
      i += n->second;
    }
    if (run.empty()) return std::nullopt;
    number = chinese_value(run);
    chinese = true;
  }
  if (!number || *number < 1 || *number > kMaxBuildingNumber) return std::nullopt;
  bool suffixed = false;
  for (const std::string_view suffix : kSuffixes) {
    if (text.substr(i).starts_with(suffix)) {
      i += suffix.size();
      suffixed = true;
      break;
    }
  }
  if ((chinese || ordinal) && !suffixed) return std::nullopt;
  return NumberedBuilding{*number, i, suffixed};
}

std::string building_name(int number) {
  return std::to_string(number) + "号楼";
}

bool room_character(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
}

}  // namespace

std::string normalize_building_name(std::string_view text) {
  const std::string_view trimmed = trim_spaces(text);
  const std::string compact = narrow(trimmed, true);
  const auto numbered = numbered_building_at(compact);
  if (numbered && numbered->end == compact.size()) return building_name(numbered->number);
  return std::string(trimmed);
}

std::optional<PlaceText> parse_place(std::string_view text) {
  const std::string s = narrow(trim_spaces(text), false);
  const auto numbered = numbered_building_at(s);
  if (!numbered) return std::nullopt;
  std::string_view rest = std::string_view(s).substr(numbered->end);
  if (rest.empty()) {
    if (!numbered->suffixed) return std::nullopt;
    return PlaceText{building_name(numbered->number), ""};
  }
  bool dash = false;
  while (!rest.empty()) {
    if (const std::size_t n = space_at(rest)) {
      rest.remove_prefix(n);
    } else if (rest.starts_with('-')) {
      dash = true;
      rest.remove_prefix(1);
    } else {
      break;
    }
  }
  if (!numbered->suffixed && !dash) return std::nullopt;
  if (rest.ends_with("室")) {
    rest.remove_suffix(std::string_view("室").size());
  } else if (rest.ends_with("号")) {
    rest.remove_suffix(std::string_view("号").size());
  }
  if (rest.empty() || !std::ranges::all_of(rest, room_character)) return std::nullopt;
  return PlaceText{building_name(numbered->number), std::string(rest)};
}

}  // namespace juwei::domain
