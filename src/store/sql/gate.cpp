// The gate log.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

Result<std::int64_t> SqlTransaction::insert_gate_event(const GateEvent& e) {
  auto id = next_id(Sequence::gate_event, e.community_id);
  if (!id) return id;
  auto s = prepare(
      "gate.insert_gate_event",
      "INSERT INTO gate_events (community_id, event_id, at, direction, decision, code, pass_id, "
      "resident_id, building, gate_user, source, device, client_event_id, synced_at, conflict, "
      "note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, e.community_id)
      .bind(2, *id)
      .bind(3, e.at)
      .bind(4, e.direction)
      .bind(5, e.decision)
      .bind(6, e.code)
      .bind(7, e.pass_id)
      .bind(8, e.resident_id)
      .bind(9, e.building)
      .bind(10, e.gate_user)
      .bind(11, e.source)
      .bind(12, e.device)
      .bind(13, e.client_event_id)
      .bind(14, e.synced_at)
      .bind(15, e.conflict)
      .bind(16, e.note);
  if (auto r = s->run("insert gate event"); !r) return std::unexpected(r.error());
  return *id;
}

namespace {

constexpr const char* kGateEventColumns =
    "community_id, event_id, at, direction, decision, code, pass_id, resident_id, building, "
    "gate_user, source, device, client_event_id, synced_at, conflict, followed_up_at, "
    "followed_up_by, follow_up_note, note";

GateEvent read_gate_event(const Stmt& s) {
  return {s.integer(0), s.integer(1),  s.text(2),    s.text(3),  s.text(4),
          s.text(5),    s.integer(6),  s.integer(7), s.text(8),  s.integer(9),
          s.text(10),   s.text(11),    s.text(12),   s.text(13), s.text(14),
          s.text(15),   s.integer(16), s.text(17),   s.text(18)};
}

}  // namespace

Result<std::vector<GateEvent>> SqlTransaction::list_gate_events(const GateEventQuery& q) {
  static const std::string sql =
      std::string("SELECT ") + kGateEventColumns +
      " FROM gate_events WHERE community_id = ?1 AND event_id > ?2 "
      "AND (?3 = '' OR at >= ?3) AND (?4 = '' OR at < ?4) AND (?5 = '' OR direction = ?5) "
      "AND (?6 = '' OR decision = ?6) AND (?7 = '' OR building = ?7) "
      "AND (?8 = 0 OR pass_id = ?8) AND (?9 = 0 OR conflict <> '') "
      "AND (CAST(?11 AS BIGINT) IS NULL OR (CASE WHEN followed_up_at <> '' THEN 1 ELSE 0 END) = "
      "?11) ORDER BY event_id LIMIT ?10";
  auto s = prepare("gate.list_gate_events", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, q.community_id)
      .bind(2, q.after)
      .bind(3, q.from)
      .bind(4, q.to)
      .bind(5, q.direction)
      .bind(6, q.decision)
      .bind(7, q.building)
      .bind(8, q.pass_id)
      .bind(9, static_cast<std::int64_t>(q.conflicts_only))
      .bind(10, static_cast<std::int64_t>(q.limit));
  if (q.followed_up) s->bind(11, static_cast<std::int64_t>(*q.followed_up));
  return collect(*s, "list gate events", read_gate_event);
}

Result<std::optional<GateEvent>> SqlTransaction::get_gate_event(CommunityId c, std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kGateEventColumns +
                                 " FROM gate_events WHERE community_id = ?1 AND event_id = ?2";
  auto s = prepare("gate.get_gate_event", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get gate event");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<GateEvent>();
  return std::optional<GateEvent>(read_gate_event(*s));
}

Result<void> SqlTransaction::follow_up_gate_event(const GateEvent& e) {
  auto s = prepare(
      "gate.follow_up_gate_event",
      "UPDATE gate_events SET followed_up_at = ?3, followed_up_by = ?4, follow_up_note = ?5 "
      "WHERE community_id = ?1 AND event_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, e.community_id)
      .bind(2, e.id)
      .bind(3, e.followed_up_at)
      .bind(4, e.followed_up_by)
      .bind(5, e.follow_up_note);
  return run_changing_one(*s, "follow up gate event");
}

Result<std::optional<GateEvent>> SqlTransaction::find_gate_event(CommunityId c,
                                                                 std::string_view device,
                                                                 std::string_view client_event_id) {
  static const std::string sql = std::string("SELECT ") + kGateEventColumns +
                                 " FROM gate_events WHERE community_id = ?1 AND device = ?2 "
                                 "AND client_event_id = ?3";
  auto s = prepare("gate.find_gate_event", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, device).bind(3, client_event_id);
  auto row = s->step("find gate event");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<GateEvent>();
  return std::optional<GateEvent>(read_gate_event(*s));
}

}  // namespace juwei::store::sql
