// The pinyin readings of Han characters, generated at build time from the Unihan database
// (src/domain/gen/pinyin_table.cpp, reading Debian unicode-data's Unihan_Readings.txt).
// Internal to domain: domain/pinyin.hpp is the interface. Constant data.
#pragma once

#include <cstddef>

namespace juwei::domain::pinyin_table {

struct Entry {
  char32_t code;
  // Every reading, tones dropped, ü as v, most used first, separated by one space:
  // "mao", "zhang chang".
  const char* readings;
};

// Sorted by code.
extern const Entry kEntries[];
extern const std::size_t kCount;

}  // namespace juwei::domain::pinyin_table
