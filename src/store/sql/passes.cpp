// Passes and the exits made on them.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

namespace {

constexpr const char* kPassColumns =
    "community_id, pass_id, kind, request_id, holder, household_id, reason, destination, "
    "valid_from, valid_until, return_required, return_by, emergency, override_rules, "
    "paperwork_due_at, policy_version, key_id, token, approved_at, approved_by, revoked_at, "
    "revoked_by, revoke_reason, quota, period_days, slots, negative_within_hours, test_age_from, "
    "short_code";

}  // namespace

Result<std::int64_t> SqlTransaction::insert_pass(const PassRow& p) {
  auto id = next_id(Sequence::pass, p.community_id);
  if (!id) return id;
  static const std::string sql =
      std::string("INSERT INTO passes (") + kPassColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
      "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)";
  auto s = prepare("passes.insert_pass", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id)
      .bind(2, *id)
      .bind(3, domain::to_code(p.kind))
      .bind(4, p.request_id)
      .bind(5, p.holder)
      .bind(6, p.household_id)
      .bind(7, p.reason)
      .bind(8, p.destination)
      .bind(9, p.valid_from)
      .bind(10, p.valid_until)
      .bind(11, std::int64_t{p.return_required})
      .bind(12, p.return_by)
      .bind(13, std::int64_t{p.emergency})
      .bind(14, std::int64_t{p.override_rules})
      .bind(15, p.paperwork_due_at)
      .bind(16, p.policy_version)
      .bind(17, static_cast<std::int64_t>(p.key_id))
      .bind(18, p.token)
      .bind(19, p.approved_at)
      .bind(20, p.approved_by)
      .bind(21, p.revoked_at)
      .bind(22, p.revoked_by)
      .bind(23, p.revoke_reason)
      .bind(24, std::int64_t{p.quota})
      .bind(25, std::int64_t{p.period_days})
      .bind(26, p.slots)
      .bind(27, std::int64_t{p.negative_within_hours})
      .bind(28, p.test_age_from.empty() ? std::string("sampled") : p.test_age_from)
      .bind(29, p.short_code);
  if (auto r = s->run("insert pass"); !r) return std::unexpected(r.error());
  return *id;
}

Result<void> SqlTransaction::set_pass_token(CommunityId c, std::int64_t id, std::uint32_t key_id,
                                            std::string_view token) {
  auto s =
      prepare("passes.set_pass_token",
              "UPDATE passes SET key_id = ?3, token = ?4 WHERE community_id = ?1 AND pass_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, static_cast<std::int64_t>(key_id)).bind(4, token);
  return run_changing_one(*s, "set pass token");
}

Result<PassRow> SqlTransaction::read_pass(const Stmt& row) {
  PassRow p;
  p.community_id = row.integer(0);
  p.id = row.integer(1);
  p.kind = row.view(2) == "household" ? domain::PassKind::household : domain::PassKind::individual;
  p.request_id = row.integer(3);
  p.holder = row.integer(4);
  p.household_id = row.integer(5);
  p.reason = row.text(6);
  p.destination = row.text(7);
  p.valid_from = row.text(8);
  p.valid_until = row.text(9);
  p.return_required = row.integer(10) != 0;
  p.return_by = row.text(11);
  p.emergency = row.integer(12) != 0;
  p.override_rules = row.integer(13) != 0;
  p.paperwork_due_at = row.text(14);
  p.policy_version = row.text(15);
  p.key_id = static_cast<std::uint32_t>(row.integer(16));
  p.token = row.text(17);
  p.approved_at = row.text(18);
  p.approved_by = row.integer(19);
  p.revoked_at = row.text(20);
  p.revoked_by = row.integer(21);
  p.revoke_reason = row.text(22);
  p.quota = static_cast<int>(row.integer(23));
  p.period_days = static_cast<int>(row.integer(24));
  p.slots = row.text(25);
  p.negative_within_hours = static_cast<int>(row.integer(26));
  p.test_age_from = row.text(27);
  p.short_code = row.text(28);
  auto s = prepare(
      "passes.read_pass",
      "SELECT exit_id, exited_at, exited_by, exited_via, returned_at, returned_by, returned_via "
      "FROM pass_exits WHERE community_id = ?1 AND pass_id = ?2 ORDER BY exited_at, exit_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id).bind(2, p.id);
  auto exits = collect(*s, "list pass exits", [](const Stmt& e) {
    return PassExit{e.integer(0), e.text(1),    e.integer(2), e.text(3),
                    e.text(4),    e.integer(5), e.text(6)};
  });
  if (!exits) return std::unexpected(exits.error());
  p.exits = std::move(*exits);
  return p;
}

Result<std::optional<PassRow>> SqlTransaction::get_pass(CommunityId c, std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kPassColumns +
                                 " FROM passes WHERE community_id = ?1 AND pass_id = ?2";
  auto s = prepare("passes.get_pass", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get pass");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<PassRow>();
  auto pass = read_pass(*s);
  if (!pass) return std::unexpected(pass.error());
  return std::optional<PassRow>(std::move(*pass));
}

Result<std::optional<PassRow>> SqlTransaction::find_pass_by_short_code(CommunityId c,
                                                                       std::string_view code) {
  static const std::string sql = std::string("SELECT ") + kPassColumns +
                                 " FROM passes WHERE community_id = ?1 AND short_code = ?2";
  auto s = prepare("passes.find_pass_by_short_code", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code);
  auto row = s->step("find pass by short code");
  if (!row) return std::unexpected(row.error());
  if (!*row || code.empty()) return std::optional<PassRow>();
  auto pass = read_pass(*s);
  if (!pass) return std::unexpected(pass.error());
  return std::optional<PassRow>(std::move(*pass));
}

Result<std::optional<PassRow>> SqlTransaction::find_pass_of_request(CommunityId c,
                                                                    std::int64_t request_id) {
  static const std::string sql = std::string("SELECT ") + kPassColumns +
                                 " FROM passes WHERE community_id = ?1 AND request_id = ?2 "
                                 "ORDER BY pass_id DESC LIMIT 1";
  auto s = prepare("passes.find_pass_of_request", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, request_id);
  auto row = s->step("find pass of request");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<PassRow>();
  auto pass = read_pass(*s);
  if (!pass) return std::unexpected(pass.error());
  return std::optional<PassRow>(std::move(*pass));
}

Result<std::vector<PassRow>> SqlTransaction::list_passes(const PassQuery& q) {
  // Open: not revoked, and either never used, or out and not back (a household pass stays
  // open for its whole window). A holder's passes are read by their own index (the gate asks
  // for them on every check).
  static const std::string kOpen =
      "AND (?5 = 0 OR (revoked_at = '' AND (kind = 'household' OR NOT EXISTS "
      "(SELECT 1 FROM pass_exits e WHERE e.community_id = p.community_id AND e.pass_id = "
      "p.pass_id) OR EXISTS (SELECT 1 FROM pass_exits e WHERE e.community_id = p.community_id "
      "AND e.pass_id = p.pass_id AND e.returned_at = '' AND p.return_required = 1)))) "
      "ORDER BY pass_id LIMIT ?6";
  static const std::string kAny =
      std::string("SELECT ") + kPassColumns +
      " FROM passes p WHERE community_id = ?1 AND pass_id > ?2 "
      "AND (CAST(?3 AS BIGINT) IS NULL OR household_id = ?3) AND CAST(?4 AS BIGINT) IS NULL " +
      kOpen;
  static const std::string kOfHolder =
      std::string("SELECT ") + kPassColumns +
      " FROM passes p INDEXED BY passes_by_holder WHERE community_id = ?1 AND holder = ?4 "
      "AND pass_id > ?2 AND (CAST(?3 AS BIGINT) IS NULL OR household_id = ?3) " +
      kOpen;
  auto s = prepare(q.holder ? "passes.list_passes.of_holder" : "passes.list_passes",
                   q.holder ? kOfHolder : kAny);
  if (!s) return std::unexpected(s.error());
  s->bind(1, q.community_id).bind(2, q.after);
  if (q.household) {
    s->bind(3, *q.household);
  } else {
    s->bind_null(3);
  }
  if (q.holder) {
    s->bind(4, *q.holder);
  } else {
    s->bind_null(4);
  }
  s->bind(5, std::int64_t{q.open_only}).bind(6, static_cast<std::int64_t>(q.limit));
  std::vector<PassRow> out;
  while (true) {
    auto row = s->step("list passes");
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    auto pass = read_pass(*s);
    if (!pass) return std::unexpected(pass.error());
    out.push_back(std::move(*pass));
  }
}

Result<void> SqlTransaction::revoke_pass(CommunityId c, std::int64_t id, std::string_view at,
                                         domain::UserId by, std::string_view reason) {
  auto s = prepare("passes.revoke_pass",
                   "UPDATE passes SET revoked_at = ?3, revoked_by = ?4, revoke_reason = ?5 "
                   "WHERE community_id = ?1 AND pass_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, at).bind(4, by).bind(5, reason);
  return run_changing_one(*s, "revoke pass");
}

Result<std::int64_t> SqlTransaction::insert_pass_exit(CommunityId c, std::int64_t pass_id,
                                                      const PassExit& e) {
  auto s = prepare(
      "passes.insert_pass_exit",
      "INSERT INTO pass_exits (community_id, pass_id, exit_id, exited_at, exited_by, exited_via, "
      "returned_at, returned_by, returned_via) SELECT ?1, ?2, coalesce(max(exit_id), 0) + 1, "
      "?3, ?4, ?5, ?6, ?7, ?8 FROM pass_exits WHERE community_id = ?1 AND pass_id = ?2 "
      "RETURNING exit_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c)
      .bind(2, pass_id)
      .bind(3, e.exited_at)
      .bind(4, e.exited_by)
      .bind(5, e.exited_via)
      .bind(6, e.returned_at)
      .bind(7, e.returned_by)
      .bind(8, e.returned_via);
  auto row = s->step("insert pass exit");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  if (auto done = s->step("insert pass exit"); !done) return std::unexpected(done.error());
  return id;
}

Result<void> SqlTransaction::return_pass_exit(CommunityId c, std::int64_t pass_id,
                                              const PassExit& e) {
  auto s = prepare("passes.return_pass_exit",
                   "UPDATE pass_exits SET returned_at = ?4, returned_by = ?5, returned_via = ?6 "
                   "WHERE community_id = ?1 AND pass_id = ?2 AND exit_id = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c)
      .bind(2, pass_id)
      .bind(3, e.id)
      .bind(4, e.returned_at)
      .bind(5, e.returned_by)
      .bind(6, e.returned_via);
  return run_changing_one(*s, "return pass exit");
}

}  // namespace juwei::store::sql
