// Passes (出入证): what a pass token carries, how it is written compactly for a QR code, and
// the rules that say whether a pass lets its holder out now, whether a household pass has a
// use left, and whether a pass is overdue for its return. Signing is the service's (Ed25519
// over the encoded claims); these functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/lab_result.hpp"
#include "domain/policy.hpp"
#include "domain/registry.hpp"

namespace juwei::domain {

enum class PassKind : std::uint8_t {
  individual,  // one exit for a request, approved or an emergency
  household,   // a precaution building's household: one named member, a quota of exits
};
std::string_view to_code(PassKind k);

// What a token says, signed by the community's key `key_id`.
struct PassClaims {
  std::uint32_t key_id = 0;
  CommunityId community_id = 0;
  std::int64_t pass_id = 0;
  ResidentId holder = 0;
  PassKind kind = PassKind::individual;
  bool emergency = false;
  Instant valid_from{};
  Instant valid_until{};

  bool operator==(const PassClaims&) const = default;
};

// The signed bytes: a version byte, flags, then the fields (little-endian, varints for ids),
// about 20 bytes. decode_claims refuses anything that is not exactly one such encoding.
std::string encode_claims(const PassClaims& claims);
std::optional<PassClaims> decode_claims(std::string_view bytes);

// A token as text: "JW1." + base64url(claims || signature), short enough for a small QR code.
inline constexpr std::string_view kTokenPrefix = "JW1.";
inline constexpr std::size_t kSignatureBytes = 64;
std::string base64url(std::string_view bytes);
std::optional<std::string> from_base64url(std::string_view text);

// Why a pass does not let its holder out, or nothing: it does. Codes are stable.
enum class PassRefusal : std::uint8_t {
  malformed,        // not a Juwei token
  bad_signature,    // edited, or signed by a key this community does not have
  wrong_community,  // another community's pass
  unknown_pass,     // signed, but no such pass here
  not_yet_valid,    // rule pass.window
  expired,          // rule pass.window
  revoked,
  used,             // single exit, already out (or back)
  returned,         // closed by its return
  holder_positive,  // rule pass.holder_not_positive: an uncleared positive or retest is known
  quota_used,       // household pass: no exits left in this period
  outside_slot,     // household pass: not inside a time slot
  needs_negative,   // household pass: the pass's test window is not met
  building_closed,  // household pass: its building is not a precaution building
};
inline constexpr PassRefusal kLastPassRefusal = PassRefusal::building_closed;
std::string_view to_code(PassRefusal r);
// The refusal a code names ("pass.used"), or nothing for any other text.
std::optional<PassRefusal> parse_pass_refusal(std::string_view code);
std::string_view to_label_zh(PassRefusal r);
std::string_view to_label_en(PassRefusal r);

// A pass as the store keeps it, for the exit rules.
struct PassState {
  PassKind kind = PassKind::individual;
  Instant valid_from{};
  Instant valid_until{};
  std::optional<Instant> revoked_at;
  std::optional<Instant> exited_at;  // individual passes: the one exit
  std::optional<Instant> returned_at;
};

// Why the pass does not let its holder out at `now`, or nothing. `history`: the holder's tests,
// newest sampled first; what Juwei knew of them at `now` counts (rule pass.holder_not_positive).
std::optional<PassRefusal> check_pass_exit(const PassState& pass,
                                           std::span<const TestRecord> history, Instant now);

// rule: pass.window — an individual pass approved at `approved_at` for an exit planned at
// `planned_exit` may be used from the planned exit (or the approval, when later) for the
// reason's `valid_for`; an emergency release is its own planned exit.
struct PassWindow {
  Instant from{};
  Instant until{};
  bool operator==(const PassWindow&) const = default;
};
PassWindow individual_pass_window(Instant approved_at, Instant planned_exit,
                                  std::chrono::hours valid_for);

// A building's status from `at` on (its history: oldest first).
struct StatusSince {
  Instant at{};
  ZoneStatus status = ZoneStatus::precaution;
};
// rule: household.building_precaution — whether a building whose status is `status` now (none:
// never set) may have household passes issued and used.
bool household_building_open(std::optional<ZoneStatus> status, const HouseholdPassPolicy& policy);
// Whether a household pass valid from `issued_at` is stopped at `now` by its building's status
// history: the building is not open now, or (unless the policy resumes passes) it was closed at
// some time since the pass was issued.
std::optional<PassRefusal> check_household_building(std::span<const StatusSince> history,
                                                    Instant issued_at, Instant now,
                                                    const HouseholdPassPolicy& policy);

// Household passes: exits used so far (times), the policy, the holder's tests. Checks the
// quota in the period ending at `now` (rule household.quota), the time slots
// (household.time_slot) and the test window (household.needs_negative_within).
std::optional<PassRefusal> check_household_use(std::span<const Instant> uses,
                                               const HouseholdPassPolicy& policy,
                                               CountedFrom counted_from,
                                               std::span<const TestRecord> history, Instant now,
                                               std::chrono::minutes utc_offset);
// Exits left in the period ending at `now`.
int household_uses_left(std::span<const Instant> uses, const HouseholdPassPolicy& policy,
                        Instant now);

// What the gate says beyond a pass's own refusals.
enum class GateOutcome : std::uint8_t {
  out,              // allowed out on a valid pass (gate.out)
  in,               // back: the holder's open exit is closed (gate.in)
  in_without_exit,  // let in, but no exit of theirs is open: the desk looks at it
  no_valid_pass,    // typed ID number: the resident holds no pass that lets them out now
  unknown_person,   // typed ID number: not a registered resident
  already_out,      // rule gate.one_open_exit: the register shows them out (已外出未返回)
};
inline constexpr GateOutcome kLastGateOutcome = GateOutcome::already_out;
std::string_view to_code(GateOutcome o);
std::string_view to_label_zh(GateOutcome o);
std::string_view to_label_en(GateOutcome o);

// What the gate knows at a check once the token named a pass of this community (or a typed ID
// number a resident), from the server's records or from an offline bundle and its queue.
struct GateFacts {
  bool out = true;  // the direction
  // rule gate.one_open_exit: the register shows the holder out, on any of their passes
  bool holder_out = false;
  bool has_pass = true;                // a typed ID number may find none that fits
  std::optional<PassRefusal> refusal;  // the pass's own, at the check; none: valid
};
struct GateDecision {
  bool allow = false;
  std::string_view code;
  std::string_view label_zh;
  std::string_view label_en;
};
// The gate's one decider, online and offline. Coming in is never refused: with the holder out it
// closes their open exit (rule gate.return_closes_exit), else the desk sees an entry without an
// exit. Going out: not while the register shows them out, then the pass's own refusal.
GateDecision decide_gate(const GateFacts& facts);
GateDecision decision_of(PassRefusal r);
GateDecision decision_of(GateOutcome o);

// Where a pass that must come back stands.
enum class ReturnState : std::uint8_t {
  not_out,   // not used yet
  out,       // out, return not yet due (or no deadline)
  overdue,   // out past its return-by
  returned,  // back
  not_required,
};
std::string_view to_code(ReturnState s);
std::string_view to_label_zh(ReturnState s);  // 未出门 / 外出中 / 逾期未归 / 已返回 / 无需返回
ReturnState return_state(bool return_required, std::optional<Instant> exited_at,
                         std::optional<Instant> returned_at, std::optional<Instant> return_by,
                         Instant now);

}  // namespace juwei::domain
