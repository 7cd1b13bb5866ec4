#include "service/idempotency.hpp"

#include <algorithm>

#include "service/digest.hpp"
#include "service/input.hpp"
#include "service/transaction.hpp"

namespace juwei::service {

Idempotency::Idempotency(store::Store& store, Clock clock)
    : m_store(store), m_clock(std::move(clock)) {}

Result<std::optional<StoredAnswer>> Idempotency::claim(domain::CommunityId c, domain::UserId user,
                                                       std::string_view key,
                                                       std::string_view request) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyBytes || !is_visible_ascii(key)) {
    return std::unexpected(Error::invalid(
        "Idempotency-Key must be 1 to 255 visible ASCII characters",
        {FieldIssue{"Idempotency-Key", "idempotency_key.malformed",
                    "1 to 255 visible ASCII characters", "应为 1 到 255 个可见 ASCII 字符"}}));
  }
  const TimePoint now = m_clock();
  const std::string fingerprint = blake2b_hex(request);
  using Answer = std::optional<StoredAnswer>;
  return in_transaction(m_store, store::TxMode::write, [&](store::Transaction& tx) -> Result<Answer> {
        if (auto purged = lift(tx.purge_idempotency_keys(iso_utc(now - kIdempotencyKeyLifetime)));
            !purged) {
          return std::unexpected(purged.error());
        }
        auto found = lift(tx.find_idempotency_key(c, user, key));
        if (!found) return std::unexpected(found.error());
        if (*found) {
          const store::IdempotencyRecord& r = **found;
          if (r.request_hash != fingerprint) {
            return std::unexpected(Error::conflict(
                "this Idempotency-Key was used for a different request; use a new key"));
          }
          if (r.status != 0) return Answer(StoredAnswer{r.status, r.content_type, r.body});
          if (r.created_at > iso_utc(now - kIdempotencyClaimTimeout)) {
            return std::unexpected(Error::conflict(
                "a request with this Idempotency-Key is still being handled; retry shortly"));
          }
          if (auto gone = lift(tx.delete_idempotency_key(c, user, key)); !gone) {
            return std::unexpected(gone.error());
          }
        }
        store::IdempotencyRecord claim{c,  user, std::string(key), fingerprint, 0,
                                       "", "",   iso_utc(now)};
        if (auto r = lift(tx.insert_idempotency_key(claim)); !r) return std::unexpected(r.error());
        return Answer();
      });
}

Result<void> Idempotency::remember(domain::CommunityId c, domain::UserId user, std::string_view key,
                                   const StoredAnswer& answer) {
  return in_transaction(m_store, store::TxMode::write, [&](store::Transaction& tx) {
    auto found = lift(tx.find_idempotency_key(c, user, key));
    if (!found) return Result<void>(std::unexpected(found.error()));
    if (!*found) return Result<void>();  // purged meanwhile: nothing to remember it by
    store::IdempotencyRecord r = **found;
    r.status = answer.status;
    r.content_type = answer.content_type;
    r.body = answer.body;
    return lift(tx.finish_idempotency_key(r));
  });
}

Result<void> Idempotency::forget(domain::CommunityId c, domain::UserId user, std::string_view key) {
  return in_transaction(m_store, store::TxMode::write, [&](store::Transaction& tx) {
    return lift(tx.delete_idempotency_key(c, user, key));
  });
}

}  // namespace juwei::service
