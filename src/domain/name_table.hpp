// Tables that name an enum's values: a stable English code (database, API, CSV) and the
// Chinese label people read. Internal to domain; constexpr data, no state.
#pragma once

#include <optional>
#include <string_view>

namespace juwei::domain {

template <typename Value>
struct Name {
  Value value;
  std::string_view code;
  std::string_view zh;
};

template <typename Table, typename Value>
std::string_view code_of(const Table& table, Value v) {
  for (const auto& entry : table) {
    if (entry.value == v) return entry.code;
  }
  return {};
}

template <typename Table, typename Value>
std::string_view label_of(const Table& table, Value v) {
  for (const auto& entry : table) {
    if (entry.value == v) return entry.zh;
  }
  return {};
}

template <typename Table>
auto find_by_code(const Table& table, std::string_view code)
    -> std::optional<decltype(table[0].value)> {
  for (const auto& entry : table) {
    if (entry.code == code) return entry.value;
  }
  return std::nullopt;
}

}  // namespace juwei::domain
