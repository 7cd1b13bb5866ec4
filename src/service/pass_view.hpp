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

// Logs the holder of `pass` going out (a new exit) or coming back (closing the open exit),
// by the desk or the gate.
Result<store::PassExit> log_exit(store::Transaction& tx, const store::PassRow& pass,
                                 const domain::User& by, std::string_view via, TimePoint now);
Result<store::PassExit> log_return(store::Transaction& tx, const store::PassRow& pass,
                                   const domain::User& by, std::string_view via, TimePoint now);
// Closes `exit` of `pass` (a gate's return synced late closes the exit it follows).
Result<store::PassExit> log_return(store::Transaction& tx, const store::PassRow& pass,
                                   store::PassExit exit, const domain::User& by,
                                   std::string_view via, TimePoint now);

Result<std::vector<domain::TestRecord>> tests_of(store::Transaction& tx, domain::CommunityId c,
                                                 domain::ResidentId r);

// An emergency's proof and pledge are both in.
bool has_paperwork(store::Transaction& tx, domain::CommunityId c, std::int64_t request_id);

// The pass at `now` under `policy`: its refusal, return state, uses left.
Result<PassView> pass_view(store::Transaction& tx, domain::CommunityId c, store::PassRow pass,
                           const domain::ExitPolicy& policy, TimePoint now);
// The same for a pass `viewer` may see; not found otherwise.
Result<PassView> visible_pass(store::Transaction& tx, domain::CommunityId c, std::int64_t id,
                              const domain::User& viewer, TimePoint now);

// The pass a scanned token names: its signature checked against the community's keys (the
// keys are read when `keys` is empty), then this community's pass with that id and holder; the
// refusal otherwise (malformed, bad_signature, wrong_community, unknown_pass).
Result<std::expected<store::PassRow, domain::PassRefusal>> scanned_pass(
    store::Transaction& tx, domain::CommunityId c, std::string_view token,
    std::span<const store::SigningKey> keys = {});

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
