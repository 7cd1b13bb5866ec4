#include "domain/policy.hpp"

#include <algorithm>

namespace juwei::domain {

bool ExitReason::lists(std::string_view rule) const {
  return std::ranges::find(rules, rule) != rules.end();
}

const ExitReason* ExitPolicy::reason(std::string_view code) const {
  auto it = std::ranges::find(reasons, code, &ExitReason::code);
  return it == reasons.end() ? nullptr : &*it;
}

}  // namespace juwei::domain
