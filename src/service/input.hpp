// Checks of free text that several use cases share: the reason a person gives for a change,
// and codes people type or scan.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "service/clock.hpp"
#include "service/error.hpp"

namespace juwei::service {

inline constexpr std::size_t kMaxReasonBytes = 500;
inline constexpr std::size_t kMaxTubeCodeBytes = 64;

// The reason for a change (a removal, a status change): trimmed, not empty, at most
// kMaxReasonBytes; invalid naming the field "reason" otherwise.
Result<std::string> required_reason(std::string_view reason);

// Free text a person typed (a destination, a note): trimmed, at most `max` bytes, and not empty
// when `required`; invalid naming `field` otherwise.
Result<std::string> checked_text(std::string_view field, std::string_view value, std::size_t max,
                                 bool required);

// The start of a community day given as YYYY-MM-DD (the field "day"), in UTC; invalid naming
// the field otherwise.
Result<TimePoint> day_start(std::string_view day);

// Only visible ASCII (no spaces, no control or non-ASCII characters): tube codes, keys.
inline bool is_visible_ascii(std::string_view text) {
  return std::ranges::all_of(text, [](char ch) { return ch >= 0x21 && ch <= 0x7e; });
}

}  // namespace juwei::service
