#include "domain/pinyin.hpp"

#include <algorithm>
#include <numeric>

#include "domain/pinyin_table.hpp"

namespace juwei::domain {
namespace {

// One code point from the front of `text` (valid UTF-8 is assumed: names are checked on the
// way in; a stray byte reads as itself and matches nothing).
char32_t next_code_point(std::string_view& text) {
  const auto c = static_cast<unsigned char>(text[0]);
  const std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (n == 1 || text.size() < n) {
    text.remove_prefix(1);
    return c;
  }
  char32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(text[k]) & 0x3F);
  text.remove_prefix(n);
  return cp;
}

bool ascii_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char lower(char32_t c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// Each syllable of the name with the ways it reads, most used first.
std::vector<std::vector<std::string>> syllables_of(std::string_view name) {
  std::vector<std::vector<std::string>> out;
  bool in_word = false;
  while (!name.empty()) {
    const char32_t c = next_code_point(name);
    if (ascii_letter(c)) {
      if (!in_word) out.push_back({""});
      out.back().front() += lower(c);
      in_word = true;
      continue;
    }
    in_word = false;
    const std::vector<std::string_view> readings = pinyin_readings(c);
    if (readings.empty()) continue;
    std::vector<std::string> ways;
    for (std::string_view r : readings) {
      ways.emplace_back(r);
      if (r.find('v') != std::string_view::npos) {  // lü is typed lv and lu
        std::string u(r);
        std::ranges::replace(u, 'v', 'u');
        ways.push_back(std::move(u));
      }
    }
    std::vector<std::string> unique;
    for (std::string& w : ways) {
      if (std::ranges::find(unique, w) == unique.end()) unique.push_back(std::move(w));
    }
    out.push_back(std::move(unique));
  }
  return out;
}

// Up to kMaxPinyinKeys keys, each the name read one way (`first_letters`: each syllable's
// first letter), most likely first: ways are ranked by the sum of their readings' ranks.
std::string keys_of(const std::vector<std::vector<std::string>>& syllables, bool first_letters) {
  if (syllables.empty()) return {};
  // Every way to read the name, as one index per syllable, until there are plenty to rank.
  constexpr std::size_t kEnough = 4096;
  std::vector<std::vector<std::size_t>> ways{{}};
  for (const auto& readings : syllables) {
    std::vector<std::vector<std::size_t>> longer;
    for (const auto& way : ways) {
      for (std::size_t i = 0; i < readings.size(); ++i) {
        if (i > 0 && longer.size() >= kEnough) break;
        longer.push_back(way);
        longer.back().push_back(i);
      }
    }
    ways = std::move(longer);
  }
  std::ranges::stable_sort(ways, {}, [](const std::vector<std::size_t>& way) {
    return std::accumulate(way.begin(), way.end(), std::size_t{0});
  });
  std::vector<std::string> keys;
  for (const auto& way : ways) {
    std::string key;
    for (std::size_t s = 0; s < way.size(); ++s) {
      const std::string& reading = syllables[s][way[s]];
      key += first_letters ? reading.substr(0, 1) : reading;
    }
    if (std::ranges::find(keys, key) == keys.end()) keys.push_back(std::move(key));
    if (keys.size() == kMaxPinyinKeys) break;
  }
  std::string out = " ";
  for (const std::string& key : keys)
    out += key + " ";
  return out;
}

}  // namespace

std::vector<std::string_view> pinyin_readings(char32_t c) {
  const auto* begin = pinyin_table::kEntries;
  const auto* end = begin + pinyin_table::kCount;
  const auto* found = std::lower_bound(
      begin, end, c, [](const pinyin_table::Entry& e, char32_t code) { return e.code < code; });
  std::vector<std::string_view> out;
  if (found == end || found->code != c) return out;
  std::string_view all = found->readings;
  while (!all.empty()) {
    const std::size_t space = all.find(' ');
    out.push_back(all.substr(0, space));
    if (space == std::string_view::npos) break;
    all.remove_prefix(space + 1);
  }
  return out;
}

NamePinyin name_pinyin(std::string_view name) {
  const auto syllables = syllables_of(name);
  return NamePinyin{keys_of(syllables, false), keys_of(syllables, true)};
}

std::optional<std::string> pinyin_query(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    if (text.starts_with("u:") || text.starts_with("U:")) {
      out += 'v';
      text.remove_prefix(2);
      continue;
    }
    const char32_t c = next_code_point(text);
    if (ascii_letter(c)) {
      out += lower(c);
    } else if (c == U'ü' || c == U'Ü') {
      out += 'v';
    } else if (c != ' ' && c != '\'' && c != U'\u3000' && c != U'’') {
      return std::nullopt;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace juwei::domain
