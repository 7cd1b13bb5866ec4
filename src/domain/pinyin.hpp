// Pinyin of people's names, for search: "maoqi", "mao qi", "MaoQi" and "mq" find 毛琪. The
// readings are Unihan's (Debian unicode-data, read into a table at build time): every reading
// the modern dictionaries give a character, so a name with a character read two ways (曾
// zeng/ceng, 单 shan/dan) is found by either (src/domain/gen/pinyin_table.cpp says which
// Unihan fields). Pure functions of the text; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace juwei::domain {

// At most this many keys per name in each of NamePinyin's lists: the readings most used come
// first, so a name of many characters read several ways keeps its likely spellings.
inline constexpr std::size_t kMaxPinyinKeys = 16;

// A name's search keys. Each list holds one key per way of reading the name, separated by one
// space, with a space at both ends (" maoqi " / " mq "), so that a key starting with q is
// `LIKE '% q%'`. Han characters give their readings (tones dropped, ü as v and also as u);
// runs of ASCII letters are kept, lower-cased, as one syllable ("Anna李" → " annali ", " al ");
// anything else (digits, "·", spaces, a character with no reading) is skipped. A name with
// nothing to read has empty lists.
struct NamePinyin {
  std::string full;      // " maoqi "
  std::string initials;  // " mq "
  friend bool operator==(const NamePinyin&, const NamePinyin&) = default;
};
NamePinyin name_pinyin(std::string_view name);

// What someone typed as a pinyin search key: ASCII letters lower-cased, spaces and apostrophes
// dropped, ü (or "u:") as v: "Mao Qi" → "maoqi", "xi'an" → "xian", "lü" → "lv". Nullopt when
// the text is not pinyin: anything but those characters, or no letter at all.
std::optional<std::string> pinyin_query(std::string_view text);

// The readings of one character, most used first ("zhang", "chang" for 长); empty when Unihan
// gives it none (not a Han character, or a rare one without a Mandarin reading).
std::vector<std::string_view> pinyin_readings(char32_t c);

}  // namespace juwei::domain
