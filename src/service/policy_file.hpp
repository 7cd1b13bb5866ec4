// The exit policy's file (policy.toml): reading and checking it into a domain::ExitPolicy, and
// the default policy, whose text is embedded in the program at build time. Parsing is a pure
// function of the text; default_policy() is parsed once and is safe to call from any thread.
#pragma once

#include <string_view>

#include "domain/policy.hpp"
#include "service/error.hpp"

namespace juwei::service {

// Reads and checks a policy file. On any problem, Error::invalid with one FieldIssue per
// problem, all of them at once: `field` is the key path ("reasons.childbirth.rules[1]",
// "household.slots[0]"; empty for a syntax error), `code` one of
//   policy.syntax       not TOML (the message gives line and column)
//   policy.missing      a required key is absent, or its text is blank
//   policy.type         a value of the wrong TOML type
//   policy.range        a number out of its bounds, a value not in its set, a time slot that
//                       does not end after it starts
//   policy.format       a malformed reason code or time slot
//   policy.unknown_key  a key the policy does not have: a typo never falls back to a default
//   policy.unknown_rule a rule id not in domain::kReasonRules
//   policy.duplicate    a rule listed twice
//   policy.inconsistent a key that would have no effect (return_within_hours without
//                       return_required, negative_within_hours without its rule,
//                       paperwork_within_hours on a reason that is not an emergency)
//   policy.unknown_placeholder  a {word} in pledge_template that is not filled in, or a lone {
// Reasons keep the order of the file.
Result<domain::ExitPolicy> parse_policy(std::string_view toml_text);

// The text of src/service/policy.toml as built into the program.
std::string_view default_policy_toml();

// default_policy_toml(), parsed on first use. The tests guarantee it is valid.
const domain::ExitPolicy& default_policy();

}  // namespace juwei::service
