// The gate without the server (离线核验): what a gate keeps to check passes while its network
// is down, and the check itself. The server hands the gate a bundle (its public keys and, for
// every pass that may still be shown, what stood against it when the bundle was made); the gate
// adds its own queued checks since, so a person let out offline is not let out again on the
// same gate, on any pass, until it lets them back in. Two gates offline at once can both let
// the same person out: the server finds that when they sync, and flags it for the desk. Pure;
// the signature is the caller's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/pass.hpp"
#include "domain/policy.hpp"

namespace juwei::domain {

// A pass as the bundle knows it.
struct OfflinePass {
  std::int64_t id = 0;
  ResidentId holder = 0;
  PassKind kind = PassKind::individual;
  // What stood against the pass when the bundle was made and will not lapse by itself:
  // revoked, used, returned, holder_positive, needs_negative, building_closed (the holder's
  // test standing and the building's status travel with the pass this way).
  std::optional<PassRefusal> refusal;
  bool out = false;  // an exit of it is open: its holder is out (rule gate.one_open_exit)
  // Household passes: what the pass carries, and its exits in the period before the bundle.
  int quota = 0;
  int period_days = 0;
  std::vector<TimeSlot> slots;
  std::vector<Instant> uses;
  // What the gate shows: name, building-room, masked ID number.
  std::string name;
  std::string building;
  std::string room;
  std::string masked_id_number;
  // For a code typed at the gate (domain::short_code): the pass's code and its signed token,
  // checked as if scanned. Empty in a bundle from before short codes.
  std::string short_code;
  std::string token;
};

struct OfflineBundle {
  CommunityId community_id = 0;
  // The community's chain id (Community::chain_id): passes signed before the community moved to
  // this server (juwei migrate) name it instead of community_id. 0: the same as community_id.
  CommunityId chain_id = 0;
  Instant issued_at{};
  Instant stale_after{};  // past it the gate refuses everything until it fetches a new one
  std::vector<std::pair<std::uint32_t, std::string>> keys;  // key id, 32-byte public key
  std::vector<OfflinePass> passes;                          // sorted by id
  const OfflinePass* find(std::int64_t pass_id) const;
  // The pass whose short code is `code` (its one spelling), or nullptr.
  const OfflinePass* find_by_short_code(std::string_view code) const;
};

// A check the gate made while offline, kept until it syncs.
struct OfflineCheck {
  std::int64_t pass_id = 0;
  bool out = true;  // direction
  bool allow = false;
  Instant at{};
  ResidentId holder = 0;  // the token's; 0: the bundle's holder of pass_id
};

// Beyond a pass's own refusals (PassRefusal) and the gate's outcomes (GateOutcome).
enum class OfflineRefusal : std::uint8_t {
  stale,            // the bundle is past stale_after: fetch a new one
  needs_network,    // a typed ID number cannot be checked offline
  unknown_offline,  // signed, but older than the bundle and not in it
};
std::string_view to_code(OfflineRefusal r);
std::string_view to_label_zh(OfflineRefusal r);
std::string_view to_label_en(OfflineRefusal r);

struct OfflineVerdict {
  bool allow = false;
  std::string_view code;  // a GateOutcome, PassRefusal or OfflineRefusal code
  std::string_view label_zh;
  std::string_view label_en;
  const OfflinePass* pass = nullptr;  // the bundle's record, when it has one
};

// The verdict at `now` for verified `claims`, going out or coming in, given the checks this gate
// queued since the bundle (`queued`, any order). The holder is out when this gate's last allowed
// check of them (on any pass) was an exit, or, with none, when the bundle shows an exit of any
// of their passes open; then domain::decide_gate decides, as online.
OfflineVerdict check_offline(const OfflineBundle& bundle, const PassClaims& claims, bool out,
                             std::span<const OfflineCheck> queued, Instant now,
                             std::chrono::minutes utc_offset);

// An exit the server has logged on a pass.
struct LoggedExit {
  Instant exited_at{};
  std::optional<Instant> returned_at;
};

// What the server finds, when a gate syncs, against an exit the gate allowed offline at `at`,
// beyond the pass's own state then: the exits already logged, at any time (online meanwhile,
// later ones too). Rule gate.one_open_exit: the holder was not out then on any of their passes
// (`holder_exits`), nor is a later exit of theirs logged before the return that would close
// this one (`back_at`: the holder's first return after `at` the same sync brings; none: no
// return) — either is gate.already_out. An individual pass has one exit (`exits`: its own,
// pass.used); no period of `period_days` holding `at` may count more than `quota` exits of a
// household pass (household.quota). The code found, or nothing.
std::optional<std::string_view> check_synced_exit(PassKind kind, std::span<const LoggedExit> exits,
                                                  std::span<const LoggedExit> holder_exits,
                                                  int quota, int period_days, Instant at,
                                                  std::optional<Instant> back_at);

// The Chinese label of any code a gate check records (GateOutcome, PassRefusal,
// OfflineRefusal); the code itself when it is none of them.
std::string_view gate_label_zh(std::string_view code);
std::string_view gate_label_en(std::string_view code);

// The same verdict for a token whose signature did not verify, or an ID number typed offline.
OfflineVerdict refuse_offline(PassRefusal r);
OfflineVerdict refuse_offline(OfflineRefusal r);

}  // namespace juwei::domain
