#include "service/input.hpp"

#include <fmt/format.h>

#include "domain/registry.hpp"
#include "text/csv.hpp"

namespace juwei::service {

Result<std::string> required_reason(std::string_view reason) {
  std::string trimmed(text::trim(reason));
  if (trimmed.empty()) {
    return std::unexpected(
        Error::invalid("a reason is required",
                       {FieldIssue{"reason", "reason.missing", "is required", "请填写原因"}}));
  }
  if (trimmed.size() > kMaxReasonBytes) {
    return std::unexpected(
        Error::invalid("the reason is too long",
                       {FieldIssue{"reason", "reason.too_long",
                                   fmt::format("at most {} bytes", kMaxReasonBytes), "原因太长"}}));
  }
  return trimmed;
}

Result<TimePoint> day_start(std::string_view day) {
  const auto start =
      domain::parse_iso_date(day) ? parse_time(std::string(day) + " 00:00") : std::nullopt;
  if (!start) {
    return std::unexpected(Error::invalid(
        "day: YYYY-MM-DD",
        {FieldIssue{"day", "day.invalid", "a day, YYYY-MM-DD", "日期应为 YYYY-MM-DD"}}));
  }
  return *start;
}

Result<std::string> checked_text(std::string_view field, std::string_view value, std::size_t max,
                                 bool required) {
  std::string text(text::trim(value));
  if (required && text.empty()) {
    return std::unexpected(Error::invalid(
        fmt::format("{} is required", field),
        {FieldIssue{std::string(field), std::string(field) + ".missing", "required", "必填"}}));
  }
  if (text.size() > max) {
    return std::unexpected(Error::invalid(
        fmt::format("{} is too long", field),
        {FieldIssue{std::string(field), std::string(field) + ".too_long",
                    fmt::format("at most {} bytes", max), fmt::format("最多 {} 字节", max)}}));
  }
  return text;
}

}  // namespace juwei::service
