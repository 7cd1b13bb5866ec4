// Build-time generator of the pinyin table (domain/pinyin.cpp reads it): Unihan_Readings.txt
// (Debian's unicode-data) on stdin, C++ source on stdout. For each Han character it writes
// the Mandarin readings of the modern dictionaries Unihan cites, tones dropped and ü written
// v, most used first: kMandarin, then kHanyuPinlu (frequency order), kTGHZ2013 (通用规范汉字字典),
// kXHC1983 (现代汉语词典). Hanyu Da Zidian's readings (kHanyuPinyin), archaic ones among them
// (董 zhong, 吴 tun), count only for a character none of those has.
#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

// The field order is the preference order.
constexpr std::string_view kFields[] = {"kMandarin", "kHanyuPinlu", "kTGHZ2013", "kXHC1983",
                                        "kHanyuPinyin"};
constexpr std::size_t kFallback = 4;  // kHanyuPinyin: only when the others have nothing

// A reading as Unihan writes it ("lǚ", "zhǎng", "ê̄") in the table's form: a-z only, ü as v,
// tones and other marks dropped. Empty when something else is left (nothing in Unihan 15).
std::string fold(std::string_view reading) {
  std::string out;
  for (std::size_t i = 0; i < reading.size();) {
    const auto c = static_cast<unsigned char>(reading[i]);
    if (c < 0x80) {
      if (c >= 'a' && c <= 'z')
        out += static_cast<char>(c);
      else if (c >= 'A' && c <= 'Z')
        out += static_cast<char>(c - 'A' + 'a');
      else
        return {};
      ++i;
      continue;
    }
    const std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    char32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < n && i + k < reading.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(reading[i + k]) & 0x3F);
    }
    i += n;
    if (cp >= 0x300 && cp <= 0x36F) continue;  // a combining tone mark
    switch (cp) {
      case U'ā':
      case U'á':
      case U'ǎ':
      case U'à':
        out += 'a';
        break;
      case U'ē':
      case U'é':
      case U'ě':
      case U'è':
      case U'ê':
      case U'ế':
      case U'ề':
        out += 'e';
        break;
      case U'ī':
      case U'í':
      case U'ǐ':
      case U'ì':
        out += 'i';
        break;
      case U'ō':
      case U'ó':
      case U'ǒ':
      case U'ò':
        out += 'o';
        break;
      case U'ū':
      case U'ú':
      case U'ǔ':
      case U'ù':
        out += 'u';
        break;
      case U'ü':
      case U'ǖ':
      case U'ǘ':
      case U'ǚ':
      case U'ǜ':
        out += 'v';
        break;
      case U'ń':
      case U'ň':
      case U'ǹ':
        out += 'n';
        break;
      case U'ḿ':
        out += 'm';
        break;
      default:
        return {};
    }
  }
  return out;
}

// The readings of one field's value, in the order written: "máo(503) mao(33)" (kHanyuPinlu),
// "0121.041:cháng 1456.021:zhǎng" (kXHC1983), "21521.030:zēng,céng" (kHanyuPinyin), "máo".
std::vector<std::string> readings_of(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find_first_of(" ,", start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view word = value.substr(start, end - start);
    if (auto colon = word.find(':'); colon != std::string_view::npos) word.remove_prefix(colon + 1);
    if (auto paren = word.find('('); paren != std::string_view::npos) word = word.substr(0, paren);
    if (std::string r = fold(word); !r.empty()) out.push_back(std::move(r));
    start = end + 1;
  }
  return out;
}

}  // namespace

int main() {
  // code point -> readings per field
  std::map<unsigned long, std::vector<std::vector<std::string>>> table;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("U+", 0) != 0) continue;
    const std::size_t tab1 = line.find('\t');
    const std::size_t tab2 = line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab2 == std::string::npos) continue;
    const std::string_view field = std::string_view(line).substr(tab1 + 1, tab2 - tab1 - 1);
    const auto rank = std::ranges::find(kFields, field) - std::begin(kFields);
    if (rank == std::ssize(kFields)) continue;
    const unsigned long cp = std::stoul(line.substr(2, tab1 - 2), nullptr, 16);
    auto& fields = table[cp];
    fields.resize(std::size(kFields));
    fields[rank] = readings_of(std::string_view(line).substr(tab2 + 1));
  }
  if (table.empty()) {
    std::cerr << "pinyin_table: no readings on stdin (expected Unihan_Readings.txt)\n";
    return 1;
  }
  std::cout
      << "// Generated at build time from Unihan_Readings.txt by src/domain/gen/pinyin_table.cpp."
         "\n// Do not edit.\n#include \"domain/pinyin_table.hpp\"\n\n"
         "namespace juwei::domain::pinyin_table {\n\nconst Entry kEntries[] = {\n";
  std::size_t count = 0;
  for (const auto& [cp, fields] : table) {
    std::vector<std::string> all;
    for (std::size_t f = 0; f < fields.size(); ++f) {
      if (f == kFallback && !all.empty()) break;
      for (const std::string& r : fields[f]) {
        if (std::ranges::find(all, r) == all.end()) all.push_back(r);
      }
    }
    if (all.empty()) continue;
    std::string joined;
    for (const std::string& r : all)
      joined += (joined.empty() ? "" : " ") + r;
    std::cout << "    {0x" << std::hex << std::uppercase << cp << std::dec << ", \"" << joined
              << "\"},\n";
    ++count;
  }
  std::cout << "};\n\nconst std::size_t kCount = " << count
            << ";\n\n}  // namespace juwei::domain::pinyin_table\n";
  return 0;
}
