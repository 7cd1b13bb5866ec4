// Accounts and their sessions.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

Result<domain::UserId> SqlTransaction::insert_user(const domain::User& u,
                                                   std::string_view password_hash,
                                                   std::string_view now) {
  auto id = next_id(Sequence::user, u.community_id);
  if (!id) return id;
  auto s =
      prepare("accounts.insert_user",
              "INSERT INTO users (community_id, user_id, username, role, password_hash, disabled, "
              "created_at, resident_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, u.community_id)
      .bind(2, *id)
      .bind(3, u.username)
      .bind(4, domain::to_code(u.role))
      .bind(5, password_hash)
      .bind(6, std::int64_t{u.disabled ? 1 : 0})
      .bind(7, now)
      .bind(8, u.resident_id);
  if (auto r = s->run("insert user"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<StoredUser>> SqlTransaction::read_user(Stmt& s, std::string_view what) {
  auto row = s.step(what);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<StoredUser>();
  StoredUser u;
  u.user.community_id = s.integer(0);
  u.user.id = s.integer(1);
  u.user.username = s.text(2);
  u.user.role = domain::role_from_code(s.text(3)).value_or(domain::Role::resident);
  u.password_hash = s.text(4);
  u.user.disabled = s.integer(5) != 0;
  u.user.resident_id = s.integer(6);
  u.failed_logins = static_cast<int>(s.integer(7));
  u.locked_until = s.text(8);
  return u;
}

Result<std::optional<StoredUser>> SqlTransaction::find_user(std::string_view username) {
  auto s =
      prepare("accounts.find_user",
              "SELECT community_id, user_id, username, role, password_hash, disabled, resident_id, "
              "failed_logins, locked_until FROM users "
              "WHERE username = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, username);
  return read_user(*s, "find user");
}

Result<std::optional<StoredUser>> SqlTransaction::get_user(CommunityId c, domain::UserId id) {
  auto s =
      prepare("accounts.get_user",
              "SELECT community_id, user_id, username, role, password_hash, disabled, resident_id, "
              "failed_logins, locked_until FROM users "
              "WHERE community_id = ?1 AND user_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  return read_user(*s, "get user");
}

Result<std::vector<domain::User>> SqlTransaction::list_users(CommunityId c) {
  auto s =
      prepare("accounts.list_users",
              "SELECT community_id, user_id, username, role, password_hash, disabled, resident_id, "
              "failed_logins, locked_until FROM users "
              "WHERE community_id = ?1 ORDER BY user_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  std::vector<domain::User> out;
  while (true) {
    auto u = read_user(*s, "list users");
    if (!u) return std::unexpected(u.error());
    if (!*u) break;
    out.push_back((*u)->user);
  }
  return out;
}

Result<void> SqlTransaction::set_user_password(CommunityId c, domain::UserId id,
                                               std::string_view password_hash) {
  auto s = prepare("accounts.set_user_password",
                   "UPDATE users SET password_hash = ?3 WHERE community_id = ?1 AND user_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, password_hash);
  return run_changing_one(*s, "set password");
}

Result<void> SqlTransaction::set_user_disabled(CommunityId c, domain::UserId id, bool disabled) {
  auto s = prepare("accounts.set_user_disabled",
                   "UPDATE users SET disabled = ?3 WHERE community_id = ?1 AND user_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, std::int64_t{disabled ? 1 : 0});
  return run_changing_one(*s, "disable user");
}

Result<void> SqlTransaction::set_login_failures(CommunityId c, domain::UserId id, int failures,
                                                std::string_view locked_until) {
  auto s = prepare("accounts.set_login_failures",
                   "UPDATE users SET failed_logins = ?3, locked_until = ?4 "
                   "WHERE community_id = ?1 AND user_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, std::int64_t{failures}).bind(4, locked_until);
  return run_changing_one(*s, "set login failures");
}

Result<void> SqlTransaction::insert_session(const store::Session& session) {
  auto s =
      prepare("accounts.insert_session",
              "INSERT INTO sessions (community_id, token_hash, user_id, created_at, expires_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, session.community_id)
      .bind(2, session.token_hash)
      .bind(3, session.user_id)
      .bind(4, session.created_at)
      .bind(5, session.expires_at);
  return s->run("insert session");
}

Result<std::optional<store::Session>> SqlTransaction::find_session(CommunityId c,
                                                                   std::string_view token_hash) {
  auto s = prepare("accounts.find_session",
                   "SELECT user_id, created_at, expires_at, coalesce(revoked_at, '') FROM sessions "
                   "WHERE community_id = ?1 AND token_hash = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, token_hash);
  auto row = s->step("find session");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<store::Session>();
  return store::Session{c,         std::string(token_hash), s->integer(0), s->text(1), s->text(2),
                        s->text(3)};
}

Result<void> SqlTransaction::revoke_session(CommunityId c, std::string_view token_hash,
                                            std::string_view now) {
  auto s = prepare("accounts.revoke_session",
                   "UPDATE sessions SET revoked_at = coalesce(revoked_at, ?3) "
                   "WHERE community_id = ?1 AND token_hash = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, token_hash).bind(3, now);
  return run_changing_one(*s, "revoke session");
}

Result<void> SqlTransaction::revoke_sessions_of(CommunityId c, domain::UserId id,
                                                std::string_view now) {
  auto s =
      prepare("accounts.revoke_sessions_of",
              "UPDATE sessions SET revoked_at = ?3 WHERE community_id = ?1 AND user_id = ?2 AND "
              "revoked_at IS NULL");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, now);
  return s->run("revoke sessions");
}

}  // namespace juwei::store::sql
