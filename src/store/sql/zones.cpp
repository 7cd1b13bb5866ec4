// Building status (封控/管控/防范): appended changes, the latest in force.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

Result<std::int64_t> SqlTransaction::insert_status_change(const StatusChange& change) {
  auto s = prepare(
      "zones.insert_status_change",
      "INSERT INTO building_status (community_id, building_id, change_id, status, changed_at, "
      "changed_by, reason, rule) SELECT ?1, ?2, coalesce(max(change_id), 0) + 1, ?3, ?4, ?5, ?6, "
      "?7 FROM building_status WHERE community_id = ?1 AND building_id = ?2 "
      "RETURNING change_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, change.community_id)
      .bind(2, change.building_id)
      .bind(3, domain::to_code(change.status))
      .bind(4, change.changed_at)
      .bind(5, change.changed_by)
      .bind(6, change.reason)
      .bind(7, change.rule);
  auto row = s->step("insert status change");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  if (auto done = s->step("insert status change"); !done) return std::unexpected(done.error());
  return id;
}

StatusChange read_status_change(CommunityId c, const Stmt& s) {
  return StatusChange{
      c,
      s.integer(0),
      s.integer(1),
      domain::zone_status_from_code(s.text(2)).value_or(domain::ZoneStatus::precaution),
      s.text(3),
      s.integer(4),
      s.text(5),
      s.text(6)};
}

Result<std::vector<StatusChange>> SqlTransaction::list_status_changes(CommunityId c, BuildingId b) {
  auto s = prepare(
      "zones.list_status_changes",
      "SELECT building_id, change_id, status, changed_at, changed_by, reason, rule "
      "FROM building_status WHERE community_id = ?1 AND building_id = ?2 ORDER BY change_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, b);
  return collect(*s, "list status changes",
                 [&](const Stmt& row) { return read_status_change(c, row); });
}

Result<std::vector<StatusChange>> SqlTransaction::current_statuses(CommunityId c) {
  auto s = prepare(
      "zones.current_statuses",
      "SELECT s.building_id, s.change_id, s.status, s.changed_at, s.changed_by, s.reason, s.rule "
      "FROM building_status s WHERE s.community_id = ?1 AND s.change_id = "
      "(SELECT max(change_id) FROM building_status t WHERE t.community_id = s.community_id "
      "AND t.building_id = s.building_id) ORDER BY s.building_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "current statuses",
                 [&](const Stmt& row) { return read_status_change(c, row); });
}

Result<std::vector<StatusChange>> SqlTransaction::status_changes_before(CommunityId c,
                                                                        std::string_view to) {
  auto s = prepare("zones.status_changes_before",
                   "SELECT building_id, change_id, status, changed_at, changed_by, reason, rule "
                   "FROM building_status WHERE community_id = ?1 AND changed_at < ?2 "
                   "ORDER BY building_id, change_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, to);
  return collect(*s, "status changes before",
                 [&](const Stmt& row) { return read_status_change(c, row); });
}

}  // namespace juwei::store::sql
