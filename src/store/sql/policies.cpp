// Exit policy versions and pass signing keys.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

Result<std::int64_t> SqlTransaction::insert_policy(const PolicyVersion& p) {
  auto id = next_id(Sequence::policy, p.community_id);
  if (!id) return id;
  auto s = prepare(
      "policies.insert_policy",
      "INSERT INTO policies (community_id, policy_id, version, body, digest, set_at, set_by) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id)
      .bind(2, *id)
      .bind(3, p.version)
      .bind(4, p.body)
      .bind(5, p.digest)
      .bind(6, p.set_at)
      .bind(7, p.set_by);
  if (auto r = s->run("insert policy"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::vector<PolicyVersion>> SqlTransaction::list_policies(CommunityId c) {
  auto s =
      prepare("policies.list_policies",
              "SELECT community_id, policy_id, version, body, set_at, set_by, digest FROM policies "
              "WHERE community_id = ?1 ORDER BY policy_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list policies", [](const Stmt& row) {
    return PolicyVersion{row.integer(0), row.integer(1), row.text(2), row.text(3),
                         row.text(4),    row.integer(5), row.text(6)};
  });
}

Result<std::optional<PolicyVersion>> SqlTransaction::current_policy(CommunityId c) {
  auto s =
      prepare("policies.current_policy",
              "SELECT community_id, policy_id, version, body, set_at, set_by, digest FROM policies "
              "WHERE community_id = ?1 ORDER BY policy_id DESC LIMIT 1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto row = s->step("current policy");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<PolicyVersion>();
  return PolicyVersion{s->integer(0), s->integer(1), s->text(2), s->text(3),
                       s->text(4),    s->integer(5), s->text(6)};
}

Result<void> SqlTransaction::insert_signing_key(const SigningKey& k) {
  auto s =
      prepare("policies.insert_signing_key",
              "INSERT INTO signing_keys (community_id, key_id, public_key, created_at, retired_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, k.community_id)
      .bind(2, static_cast<std::int64_t>(k.key_id))
      .bind_blob(3, k.public_key)
      .bind(4, k.created_at)
      .bind(5, k.retired_at);
  return s->run("insert signing key");
}

Result<std::vector<SigningKey>> SqlTransaction::list_signing_keys(CommunityId c) {
  auto s = prepare("policies.list_signing_keys",
                   "SELECT key_id, public_key, created_at, retired_at FROM signing_keys "
                   "WHERE community_id = ?1 ORDER BY key_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list signing keys", [c](const Stmt& row) {
    return SigningKey{c, static_cast<std::uint32_t>(row.integer(0)), row.blob(1), row.text(2),
                      row.text(3)};
  });
}

Result<void> SqlTransaction::retire_signing_key(CommunityId c, std::uint32_t key_id,
                                                std::string_view at) {
  auto s =
      prepare("policies.retire_signing_key",
              "UPDATE signing_keys SET retired_at = ?3 WHERE community_id = ?1 AND key_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, static_cast<std::int64_t>(key_id)).bind(3, at);
  return run_changing_one(*s, "retire signing key");
}

}  // namespace juwei::store::sql
