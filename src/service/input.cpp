#include "service/input.hpp"

#include <fmt/format.h>

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

}  // namespace juwei::service
