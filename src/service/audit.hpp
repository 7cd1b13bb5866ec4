// The audit trail: every state change appends a record in the same transaction as the change,
// chained per community with BLAKE2b (each record's hash covers all its columns and the
// previous record's hash), so an edited, deleted or reordered record is found by verify_audit.
// There is no way to change a record through the program. Thread-safe as its Store is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/account.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

struct AuditEntry {
  std::string action;  // "pass.revoke"
  std::string entity;  // "pass"
  std::string entity_id;
  std::string before;  // the record before the change, as text (digested); empty when created
  std::string after;   // and after
  std::string policy_version;
};

// Appends `entry` to the community's chain inside `tx`.
Result<void> audit(store::Transaction& tx, domain::CommunityId c, const domain::User& actor,
                   const AuditEntry& entry, TimePoint now);

// The machine's operator, who acts through the command line: not a stored user.
inline constexpr domain::UserId kOperator = 0;
// The role the trail records for the operator, whatever the command acts as.
inline constexpr std::string_view kOperatorRole = "operator";

// The same for an actor known by id (their role is looked up; kOperator is kOperatorRole).
Result<void> audit(store::Transaction& tx, domain::CommunityId c, domain::UserId actor,
                   const AuditEntry& entry, TimePoint now);

// BLAKE2b (hex) over every column of `r` but its hash, prev_hash included, with its chain id
// in the place of its community id: a chain verifies in any database its community moves to.
std::string audit_hash(const store::AuditRecord& r);

// The chain id of community c (domain::Community::chain_id): the id its chain's hashes and the
// passes signed before a move (juwei migrate) carry. not_found when there is no community c.
Result<domain::CommunityId> chain_id_of(store::Transaction& tx, domain::CommunityId c);

struct AuditCheck {
  std::int64_t records = 0;
  std::optional<std::int64_t> first_bad;  // the seq of the first record that breaks the chain
  std::string problem;                    // what is wrong with it
  std::string head;                       // the last record's hash (while the chain holds)
};

// Walks the community's chain from the first record.
Result<AuditCheck> verify_audit(store::Store& store, domain::CommunityId c);

// A page of the trail, oldest first, after record `after`.
Result<std::vector<store::AuditRecord>> audit_records(store::Store& store, domain::CommunityId c,
                                                      std::int64_t after, std::size_t limit);

// What the desk asks of the trail ("who approved 李龙?"). Empty fields match every record.
struct AuditFilter {
  std::optional<domain::UserId> actor;
  std::string action;  // "decision.approved"
  std::string entity;  // "exit_request"
  std::string entity_id;
  // Records about the residents this finds as the register's search does (a name, a room...).
  std::string resident;
  std::string day;  // YYYY-MM-DD, community time
  bool newest_first = true;
  std::int64_t after = 0;  // the previous page's last seq
  std::size_t limit = 50;
};

// A page of the records `filter` matches, with the names of their actors and objects.
Result<std::vector<store::AuditListing>> find_audit(store::Store& store, domain::CommunityId c,
                                                    const AuditFilter& filter);

// The last record of a community day (YYYY-MM-DD, community time) or before it: its hash is the
// day's head, printed so a paper copy can later prove the log unchanged.
Result<std::optional<store::AuditRecord>> audit_head(store::Store& store, domain::CommunityId c,
                                                     std::string_view day);

}  // namespace juwei::service
