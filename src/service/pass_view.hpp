// What exits.cpp and gate.cpp share about passes inside a transaction: the policy in force, a
// pass as its holder, the desk and the gate see it now, and logging an exit and a return.
// Internal to the service layer.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "service/exits.hpp"
#include "service/transaction.hpp"

namespace juwei::service {

std::optional<TimePoint> time_of(std::string_view iso);  // empty text: none

Error hidden_pass(std::int64_t id);  // not found: the same for a pass one may not see

// The community's policy, or the built-in default when it has set none.
Result<PolicyInForce> load_policy(store::Transaction& tx, domain::CommunityId c);

// rule: gate.register_every_exit — the holder of `pass` going out at `at` (a new exit of the
// pass) or coming back (closing `exit`), with its one register event (出入登记), whoever
// records it: `event` says where from (source, the gate's device and id, a note, the holder's
// resident id and building); its time, direction, decision, code and pass are set here. `via`
// is the pass exit's own record of it: "gate", "staff" or "resident". Returns the event's id.
Result<std::int64_t> log_exit(store::Transaction& tx, const store::PassRow& pass,
                              store::GateEvent event, const domain::User& by, std::string_view via,
                              TimePoint at);
Result<std::int64_t> log_return(store::Transaction& tx, const store::PassRow& pass,
                                store::PassExit exit, store::GateEvent event,
                                const domain::User& by, std::string_view via, TimePoint at);
// A register event of community `c` for `holder`, recorded by `by` from `source`.
store::GateEvent register_event(domain::CommunityId c, const store::ResidentRow& holder,
                                const domain::User& by, std::string_view source);

// Every pass `holder` holds, revoked and expired ones too, oldest first.
Result<std::vector<store::PassRow>> passes_of_holder(store::Transaction& tx, domain::CommunityId c,
                                                     domain::ResidentId holder);
// rule: gate.one_open_exit — the exit the register shows `holder` out on (the latest exit made
// by `at` with no return recorded), with its pass; none when they are home.
struct OpenExit {
  store::PassRow pass;
  store::PassExit exit;
};
std::optional<OpenExit> open_exit_of(const std::vector<store::PassRow>& passes, TimePoint at);
Result<std::optional<OpenExit>> holder_open_exit(store::Transaction& tx, domain::CommunityId c,
                                                 domain::ResidentId holder, TimePoint at);

// The status history of the building `household` is in, oldest first (none set: empty).
Result<std::vector<domain::StatusSince>> building_history(store::Transaction& tx,
                                                          domain::CommunityId c,
                                                          domain::HouseholdId household);

Result<std::vector<domain::TestRecord>> tests_of(store::Transaction& tx, domain::CommunityId c,
                                                 domain::ResidentId r);

// An emergency's proof and pledge are both in (a store error is an error, never "missing").
Result<bool> has_paperwork(store::Transaction& tx, domain::CommunityId c, std::int64_t request_id);

// Where `pass` stands at `now` by its exits alone: not out, out, overdue, back, or out on a pass
// that needs no return. What the pass board sorts passes by.
domain::ReturnState return_state_of(const store::PassRow& pass, TimePoint now);
// Whether `pass`'s holder came back on it today (community time) and within 24 hours: the
// board's "back today".
bool back_today(const store::PassRow& pass, TimePoint now);

// The pass at `now` under `policy`: its refusal, return state, uses left. The refusal is the
// pass's own (its window, revocation, single use, the holder's known test standing, a
// household pass's quota, slots, test window and building); whether its holder is out on
// another pass is the gate's question (holder_open_exit).
Result<PassView> pass_view(store::Transaction& tx, domain::CommunityId c, store::PassRow pass,
                           const domain::ExitPolicy& policy, TimePoint now);
// The same for passes of a holder read once: their register row and their tests (newest
// sampled first), so a check weighing several passes of one person reads them once.
struct HolderFacts {
  store::ResidentRow row;
  std::vector<domain::TestRecord> tests;
};
Result<HolderFacts> holder_facts(store::Transaction& tx, domain::CommunityId c,
                                 domain::ResidentId holder);
Result<PassView> pass_view(store::Transaction& tx, domain::CommunityId c, store::PassRow pass,
                           const HolderFacts& holder, const domain::ExitPolicy& policy,
                           TimePoint now);
// The same for a pass `viewer` may see; not found otherwise.
Result<PassView> visible_pass(store::Transaction& tx, domain::CommunityId c, std::int64_t id,
                              const domain::User& viewer, TimePoint now);

// A scanned token's claims (the token as the caller trimmed it, once), its signature checked
// against the community's keys (read when `keys` is empty) and its community this one; the
// refusal otherwise (malformed, bad_signature, wrong_community).
Result<std::expected<domain::PassClaims, domain::PassRefusal>> verified_claims(
    store::Transaction& tx, domain::CommunityId c, std::string_view token,
    std::span<const store::SigningKey> keys = {});
// The pass verified `claims` name among `passes` (its holder's), or none (unknown_pass).
std::optional<store::PassRow> pass_named(const std::vector<store::PassRow>& passes,
                                         const domain::PassClaims& claims);
// The pass a scanned token names: verified_claims, then this community's pass with that id and
// holder; the refusal otherwise (malformed, bad_signature, wrong_community, unknown_pass).
Result<std::expected<store::PassRow, domain::PassRefusal>> scanned_pass(
    store::Transaction& tx, domain::CommunityId c, std::string_view token,
    std::span<const store::SigningKey> keys = {});

// The title a pass carries on paper: 家庭出入证, 出入证（绿色通道）, 出入证.
std::string_view pass_title_zh(const store::PassRow& p);
// A pass as files and tables people read name it: its title and number, its holder and, on an
// individual pass, its reason ("出入证 #3：王丽，医护人员返岗", "家庭出入证 #7：王丽").
// Hook: once passes carry a short code (issue 17), the code replaces "#<id>" here, and every
// reader (the register's CSV, the CLI) follows.
std::string pass_name_zh(const store::PassRow& p, std::string_view holder,
                         const domain::ExitPolicy& policy);
// A resident as files people read name them: 姓名（楼号室号室，masked ID number）,
// "王丽（12号楼301室，310109********0022）".
std::string resident_name_zh(const store::ResidentRow& row);

// Every pass `q` selects, a page at a time (q.after and q.limit are the pager's).
template <typename Each>
Result<void> for_each_pass(store::Transaction& tx, store::PassQuery q, Each each) {
  q.after = 0;
  q.limit = 500;
  for (;;) {
    auto rows = lift(tx.list_passes(q));
    if (!rows) return std::unexpected(rows.error());
    for (store::PassRow& row : *rows) {
      q.after = row.id;
      if (auto r = each(std::move(row)); !r) return r;
    }
    if (rows->size() < q.limit) return {};
  }
}

}  // namespace juwei::service
