// The exit policy's file (policy.toml), as PUT /api/v1/policy and `juwei policy set` read it:
// any text through service::parse_policy. A policy it refuses must come back as an invalid
// Error naming at least one problem; a policy it takes must hold what parse_policy promises:
// known rules, none listed twice, and time slots that end after they start and read back as
// they are written.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string_view>
#include <vector>

#include "domain/policy.hpp"
#include "service/policy_file.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_policy: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace juwei;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto policy = service::parse_policy(text);
  if (!policy) {
    if (policy.error().kind != service::Error::Kind::invalid || policy.error().fields.empty()) {
      fail("a refused policy is not an invalid Error naming its problems");
    }
    return 0;
  }
  for (const domain::ExitReason& reason : policy->reasons) {
    for (std::size_t i = 0; i < reason.rules.size(); ++i) {
      if (std::ranges::find(domain::kReasonRules, reason.rules[i]) ==
          std::end(domain::kReasonRules)) {
        fail("a reason lists an unknown rule");
      }
      if (std::ranges::count(reason.rules, reason.rules[i]) != 1) fail("a rule listed twice");
    }
  }
  const std::vector<domain::TimeSlot>& slots = policy->household.slots;
  for (const domain::TimeSlot& slot : slots) {
    if (slot.start >= slot.end) fail("a time slot that does not end after it starts");
  }
  if (domain::parse_time_slots(domain::to_text(slots)) != slots) {
    fail("the time slots do not read back as written");
  }
  return 0;
}
