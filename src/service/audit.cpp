#include "service/audit.hpp"

#include <fmt/format.h>

#include "service/digest.hpp"
#include "service/input.hpp"
#include "service/transaction.hpp"

namespace juwei::service {

namespace {

constexpr std::size_t kMaxAuditResidents = 200;

std::string digest_or_empty(std::string_view text) {
  return text.empty() ? std::string() : blake2b_hex(text);
}

}  // namespace

std::string audit_hash(const store::AuditRecord& r) {
  // Unit separators cannot occur in the columns (ISO times, codes, ids, hex digests). The chain
  // id stands where the community id stood before communities could move: for a chain that began
  // in its database it is that id, so every chain hashed before verifies as it was.
  const std::string canonical =
      fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}",
                  r.chain_id, r.seq, r.at, r.actor, r.role, r.action, r.entity, r.entity_id,
                  r.before_digest, r.after_digest, r.policy_version, r.prev_hash);
  return blake2b_hex(canonical);
}

Result<domain::CommunityId> chain_id_of(store::Transaction& tx, domain::CommunityId c) {
  auto community = lift(tx.get_community(c));
  if (!community) return std::unexpected(community.error());
  if (!*community) return std::unexpected(Error::not_found(fmt::format("no community {}", c)));
  return (*community)->chain_id;
}

Result<void> audit(store::Transaction& tx, domain::CommunityId c, const domain::User& actor,
                   const AuditEntry& entry, TimePoint now) {
  auto last = lift(tx.last_audit(c));
  if (!last) return std::unexpected(last.error());
  // The head brings its chain id along; only a chain's first record (once per community) asks.
  auto chain = *last ? Result<domain::CommunityId>((*last)->chain_id) : chain_id_of(tx, c);
  if (!chain) return std::unexpected(chain.error());
  store::AuditRecord r{
      c, *last ? (*last)->seq + 1 : 1, iso_utc(now), actor.id,
      // The machine's operator acts with whatever powers the command needs.
      actor.id == kOperator ? std::string(kOperatorRole) : std::string(domain::to_code(actor.role)),
      entry.action, entry.entity, entry.entity_id, digest_or_empty(entry.before),
      digest_or_empty(entry.after), entry.policy_version, *last ? (*last)->hash : std::string(), "",
      *chain};
  r.hash = audit_hash(r);
  return lift(tx.insert_audit(r));
}

Result<void> audit(store::Transaction& tx, domain::CommunityId c, domain::UserId actor,
                   const AuditEntry& entry, TimePoint now) {
  domain::User user{c, actor, "", domain::Role::admin};
  if (actor != kOperator) {
    auto stored = lift(tx.get_user(c, actor));
    if (!stored) return std::unexpected(stored.error());
    if (*stored) user = (*stored)->user;
  }
  return audit(tx, c, user, entry, now);
}

Result<AuditCheck> verify_audit(store::Store& store, domain::CommunityId c) {
  return in_transaction(
      store, store::TxMode::read, [&](store::Transaction& tx) -> Result<AuditCheck> {
        AuditCheck check;
        std::string prev;
        std::int64_t expected = 1;
        auto walked = lift(tx.for_each_audit(c, 0, [&](const store::AuditRecord& r) {
          ++check.records;
          if (r.seq != expected) {
            check.first_bad = r.seq;
            check.problem = fmt::format("record {} follows record {}: record {} was deleted", r.seq,
                                        expected - 1, expected);
          } else if (r.prev_hash != prev) {
            check.first_bad = r.seq;
            check.problem = fmt::format(
                "record {} does not follow record {}: a record before it "
                "was deleted, reordered or edited",
                r.seq, r.seq - 1);
          } else if (audit_hash(r) != r.hash) {
            check.first_bad = r.seq;
            check.problem =
                fmt::format("record {} was edited: its hash does not match its columns", r.seq);
          }
          prev = r.hash;
          ++expected;
          return !check.first_bad;
        }));
        if (!walked) return std::unexpected(walked.error());
        if (!check.first_bad) check.head = prev;
        return check;
      });
}

Result<std::vector<store::AuditRecord>> audit_records(store::Store& store, domain::CommunityId c,
                                                      std::int64_t after, std::size_t limit) {
  return in_transaction(store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<std::vector<store::AuditRecord>> {
                          std::vector<store::AuditRecord> page;
                          auto walked = lift(tx.for_each_audit(c, after, [&](const auto& r) {
                            page.push_back(r);
                            return page.size() < limit;
                          }));
                          if (!walked) return std::unexpected(walked.error());
                          return page;
                        });
}

Result<std::vector<store::AuditListing>> find_audit(store::Store& store, domain::CommunityId c,
                                                    const AuditFilter& filter) {
  store::AuditQuery q{.community_id = c,
                      .actor = filter.actor,
                      .action = filter.action,
                      .entity = filter.entity,
                      .entity_id = filter.entity_id,
                      .newest_first = filter.newest_first,
                      .after = filter.after,
                      .limit = filter.limit};
  if (!filter.day.empty()) {
    const auto start = day_start(filter.day);
    if (!start) return std::unexpected(start.error());
    q.from = iso_utc(*start);
    q.to = iso_utc(*start + std::chrono::days{1});
  }
  return in_transaction(store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<std::vector<store::AuditListing>> {
                          if (!filter.resident.empty()) {
                            // Enough for every namesake; a search that finds more is not a name.
                            auto found =
                                lift(tx.search_residents({.community_id = c,
                                                          .text = std::string(filter.resident),
                                                          .limit = kMaxAuditResidents}));
                            if (!found) return std::unexpected(found.error());
                            if (found->empty()) return std::vector<store::AuditListing>();
                            q.residents.emplace();
                            for (const store::ResidentRow& row : *found)
                              q.residents->push_back(row.resident.id);
                          }
                          return lift(tx.list_audit(q));
                        });
}

Result<std::optional<store::AuditRecord>> audit_head(store::Store& store, domain::CommunityId c,
                                                     std::string_view day) {
  const auto start = day_start(day);
  if (!start) return std::unexpected(start.error());
  const std::string end = iso_utc(*start + std::chrono::days{1});
  return in_transaction(store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<std::optional<store::AuditRecord>> {
                          std::optional<store::AuditRecord> head;
                          auto walked = lift(tx.for_each_audit(c, 0, [&](const auto& r) {
                            if (r.at >= end) return false;
                            head = r;
                            return true;
                          }));
                          if (!walked) return std::unexpected(walked.error());
                          return head;
                        });
}

}  // namespace juwei::service
