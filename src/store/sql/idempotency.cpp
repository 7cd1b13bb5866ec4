// Idempotency keys: the remembered answers to POSTs sent again.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

Result<void> SqlTransaction::insert_idempotency_key(const IdempotencyRecord& r) {
  auto s = prepare(
      "idempotency.insert_idempotency_key",
      "INSERT INTO idempotency_keys (community_id, user_id, idem_key, request_hash, status, "
      "content_type, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.user_id)
      .bind(3, r.key)
      .bind(4, r.request_hash)
      .bind(5, std::int64_t{r.status})
      .bind(6, r.content_type)
      .bind(7, r.body)
      .bind(8, r.created_at);
  return s->run("insert idempotency key");
}

Result<std::optional<IdempotencyRecord>> SqlTransaction::find_idempotency_key(
    CommunityId c, domain::UserId user, std::string_view key) {
  auto s =
      prepare("idempotency.find_idempotency_key",
              "SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys "
              "WHERE community_id = ?1 AND user_id = ?2 AND idem_key = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, user).bind(3, key);
  auto row = s->step("find idempotency key");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<IdempotencyRecord>();
  return IdempotencyRecord{
      c,          user,       std::string(key), s->text(0), static_cast<int>(s->integer(1)),
      s->text(2), s->text(3), s->text(4)};
}

Result<void> SqlTransaction::finish_idempotency_key(const IdempotencyRecord& r) {
  auto s = prepare("idempotency.finish_idempotency_key",
                   "UPDATE idempotency_keys SET status = ?4, content_type = ?5, body = ?6 "
                   "WHERE community_id = ?1 AND user_id = ?2 AND idem_key = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.user_id)
      .bind(3, r.key)
      .bind(4, std::int64_t{r.status})
      .bind(5, r.content_type)
      .bind(6, r.body);
  return run_changing_one(*s, "finish idempotency key");
}

Result<void> SqlTransaction::delete_idempotency_key(CommunityId c, domain::UserId user,
                                                    std::string_view key) {
  auto s = prepare(
      "idempotency.delete_idempotency_key",
      "DELETE FROM idempotency_keys WHERE community_id = ?1 AND user_id = ?2 AND idem_key = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, user).bind(3, key);
  return s->run("delete idempotency key");
}

Result<std::int64_t> SqlTransaction::purge_idempotency_keys(std::string_view before) {
  auto s = prepare("idempotency.purge_idempotency_keys",
                   "DELETE FROM idempotency_keys WHERE created_at < ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, before);
  if (auto r = s->run("purge idempotency keys"); !r) return std::unexpected(r.error());
  return s->changes();
}

}  // namespace juwei::store::sql
