// What the reports count (the daily report, the street office's view): the register by
// building and a window's counts, each one statement whatever the community's size.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

Result<std::vector<BuildingRegister>> SqlTransaction::register_by_building(CommunityId c) {
  static_assert(domain::kVulnerabilityCount == 7, "one sum per vulnerability below");
  // Residents and households are grouped by building each in one pass, then joined to the
  // buildings: a join from each building down to its rows would scan the community per row.
  auto s = prepare(
      "reports.register_by_building",
      "SELECT b.building_id, b.name, coalesce(hh.households, 0), coalesce(t.residents, 0), "
      "coalesce(t.v0, 0), coalesce(t.v1, 0), coalesce(t.v2, 0), coalesce(t.v3, 0), "
      "coalesce(t.v4, 0), coalesce(t.v5, 0), coalesce(t.v6, 0) FROM buildings b "
      "LEFT JOIN (SELECT building_id, count(*) AS households FROM households "
      "WHERE community_id = ?1 AND deleted_at IS NULL GROUP BY building_id) hh "
      "ON hh.building_id = b.building_id "
      "LEFT JOIN (SELECT h.building_id, count(*) AS residents, "
      "sum(CASE WHEN (r.vulnerabilities & 1) <> 0 THEN 1 ELSE 0 END) AS v0, "
      "sum(CASE WHEN (r.vulnerabilities & 2) <> 0 THEN 1 ELSE 0 END) AS v1, "
      "sum(CASE WHEN (r.vulnerabilities & 4) <> 0 THEN 1 ELSE 0 END) AS v2, "
      "sum(CASE WHEN (r.vulnerabilities & 8) <> 0 THEN 1 ELSE 0 END) AS v3, "
      "sum(CASE WHEN (r.vulnerabilities & 16) <> 0 THEN 1 ELSE 0 END) AS v4, "
      "sum(CASE WHEN (r.vulnerabilities & 32) <> 0 THEN 1 ELSE 0 END) AS v5, "
      "sum(CASE WHEN (r.vulnerabilities & 64) <> 0 THEN 1 ELSE 0 END) AS v6 "
      "FROM residents r JOIN households h ON h.community_id = r.community_id AND "
      "h.household_id = r.household_id AND h.deleted_at IS NULL "
      "WHERE r.community_id = ?1 AND r.deleted_at IS NULL GROUP BY h.building_id) t "
      "ON t.building_id = b.building_id "
      "WHERE b.community_id = ?1 AND b.deleted_at IS NULL ORDER BY b.building_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "register by building", [](const Stmt& row) {
    BuildingRegister b;
    b.building_id = row.integer(0);
    b.building = row.text(1);
    b.households = row.integer(2);
    b.residents = row.integer(3);
    for (int i = 0; i < domain::kVulnerabilityCount; ++i) b.by_vulnerability[i] = row.integer(4 + i);
    return b;
  });
}

namespace {

// ?1 the community, ?2 and ?3 the window. An exit is out at the window's end when it began
// before it and had not returned by then.
constexpr std::string_view kWindowCounts =
    "SELECT "
    "(SELECT count(*) FROM exit_requests WHERE community_id = ?1 AND created_at >= ?2 AND "
    "created_at < ?3), "
    "(SELECT count(*) FROM decisions WHERE community_id = ?1 AND decided_at >= ?2 AND "
    "decided_at < ?3 AND outcome = 'approved'), "
    "(SELECT count(*) FROM decisions WHERE community_id = ?1 AND decided_at >= ?2 AND "
    "decided_at < ?3 AND outcome = 'denied'), "
    "(SELECT count(*) FROM decisions WHERE community_id = ?1 AND decided_at >= ?2 AND "
    "decided_at < ?3 AND outcome = 'released'), "
    "(SELECT count(*) FROM pass_exits WHERE community_id = ?1 AND exited_at >= ?2 AND "
    "exited_at < ?3), "
    "(SELECT count(*) FROM pass_exits WHERE community_id = ?1 AND returned_at >= ?2 AND "
    "returned_at < ?3), "
    "(SELECT count(*) FROM pass_exits WHERE community_id = ?1 AND exited_at < ?3 AND "
    "(returned_at = '' OR returned_at >= ?3)), "
    "(SELECT count(*) FROM pass_exits e JOIN passes p ON p.community_id = e.community_id AND "
    "p.pass_id = e.pass_id WHERE e.community_id = ?1 AND e.exited_at < ?3 AND "
    "(e.returned_at = '' OR e.returned_at >= ?3) AND p.return_required = 1 AND "
    "p.return_by <> '' AND p.return_by < ?3), "
    "(SELECT count(*) FROM passes p WHERE p.community_id = ?1 AND p.emergency = 1 AND "
    "p.paperwork_due_at <> '' AND p.paperwork_due_at < ?3 AND (NOT EXISTS (SELECT 1 FROM "
    "pledges g WHERE g.community_id = p.community_id AND g.request_id = p.request_id AND "
    "g.signed_at < ?3) OR NOT EXISTS (SELECT 1 FROM proofs f WHERE f.community_id = "
    "p.community_id AND f.request_id = p.request_id AND f.kind = 'proof' AND "
    "f.uploaded_at < ?3))), "
    "(SELECT count(*) FROM tubes WHERE community_id = ?1 AND created_at >= ?2 AND "
    "created_at < ?3), "
    "(SELECT count(*) FROM samples WHERE community_id = ?1 AND sampled_at >= ?2 AND "
    "sampled_at < ?3), "
    "(SELECT count(*) FROM tube_results WHERE community_id = ?1 AND received_at >= ?2 AND "
    "received_at < ?3), "
    "(SELECT count(*) FROM tube_results r JOIN tubes t ON t.community_id = r.community_id AND "
    "t.tube_code = r.tube_code WHERE r.community_id = ?1 AND r.reported_at >= ?2 AND "
    "r.reported_at < ?3 AND r.result = 'positive' AND t.kind = 'pooled'), "
    "(SELECT count(*) FROM tube_results r JOIN tubes t ON t.community_id = r.community_id AND "
    "t.tube_code = r.tube_code WHERE r.community_id = ?1 AND r.reported_at >= ?2 AND "
    "r.reported_at < ?3 AND r.result = 'positive' AND t.kind = 'single'), "
    "(SELECT count(DISTINCT s.resident_id) FROM samples s JOIN tubes t ON t.community_id = "
    "s.community_id AND t.tube_code = s.tube_code JOIN tube_results r ON r.community_id = "
    "s.community_id AND r.tube_code = s.tube_code WHERE s.community_id = ?1 AND "
    "t.kind = 'pooled' AND r.result = 'positive' AND r.received_at < ?3), "
    "(SELECT count(DISTINCT s.resident_id) FROM samples s JOIN tubes t ON t.community_id = "
    "s.community_id AND t.tube_code = s.tube_code JOIN tube_results r ON r.community_id = "
    "s.community_id AND r.tube_code = s.tube_code WHERE s.community_id = ?1 AND "
    "t.kind = 'pooled' AND r.result = 'positive' AND r.received_at < ?3 AND EXISTS (SELECT 1 "
    "FROM samples s2 JOIN tubes t2 ON t2.community_id = s2.community_id AND t2.tube_code = "
    "s2.tube_code WHERE s2.community_id = ?1 AND s2.resident_id = s.resident_id AND "
    "t2.kind = 'single' AND s2.sampled_at > r.reported_at AND s2.sampled_at < ?3)), "
    "(SELECT count(*) FROM antigen_tests WHERE community_id = ?1 AND reported_at >= ?2 AND "
    "reported_at < ?3), "
    "(SELECT count(*) FROM antigen_tests WHERE community_id = ?1 AND reported_at >= ?2 AND "
    "reported_at < ?3 AND result = 'positive')";

}  // namespace

Result<WindowCounts> SqlTransaction::count_window(CommunityId c, std::string_view from,
                                                  std::string_view to) {
  WindowCounts w;
  {
    auto s = prepare("reports.count_window", kWindowCounts);
    if (!s) return std::unexpected(s.error());
    s->bind(1, c).bind(2, from).bind(3, to);
    if (auto row = s->step("count window"); !row) return std::unexpected(row.error());
    std::int64_t* const fields[] = {
        &w.requests_filed, &w.approved,        &w.denied,          &w.released,
        &w.exits,          &w.returns,         &w.out_at_end,      &w.overdue_at_end,
        &w.paperwork_overdue_at_end,           &w.tubes,           &w.swabs,
        &w.results,        &w.positive_pooled, &w.positive_single, &w.retest_due,
        &w.retest_done,    &w.antigen_reports, &w.antigen_positive};
    for (int i = 0; i < static_cast<int>(std::size(fields)); ++i) *fields[i] = s->integer(i);
  }
  auto s = prepare("reports.gate_denials",
                   "SELECT code, count(*) FROM gate_events WHERE community_id = ?1 AND "
                   "decision = 'deny' AND at >= ?2 AND at < ?3 GROUP BY code "
                   "ORDER BY count(*) DESC, code");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, from).bind(3, to);
  auto denials = collect(*s, "gate denials", [](const Stmt& row) {
    return std::pair<std::string, std::int64_t>(row.text(0), row.integer(1));
  });
  if (!denials) return std::unexpected(denials.error());
  w.gate_denials = std::move(*denials);
  return w;
}

Result<std::vector<ResidentTestCount>> SqlTransaction::test_counts(CommunityId c,
                                                                   std::string_view from,
                                                                   std::string_view to) {
  // The window's swabs and self-tests grouped by resident once each, then joined to the
  // register: a count per resident would scan the window per row. The register is read from
  // the residents up (CROSS JOIN ... ON keeps SQLite's order; PostgreSQL's dialect plans it freely): from the
  // buildings down, SQLite scanned the community's residents once per household.
  auto s = prepare(
      "reports.test_counts",
      "SELECT r.resident_id, r.name, b.building_id, b.name, h.room, coalesce(p.n, 0), "
      "coalesce(a.n, 0) FROM residents r CROSS JOIN households h ON h.community_id = "
      "r.community_id AND h.household_id = r.household_id AND h.deleted_at IS NULL "
      "CROSS JOIN buildings b ON b.community_id = h.community_id AND b.building_id = "
      "h.building_id AND b.deleted_at IS NULL "
      "LEFT JOIN (SELECT s.resident_id, count(DISTINCT sr.day) AS n FROM samples s "
      "JOIN screening_rounds sr ON sr.community_id = s.community_id AND sr.round_id = s.round_id "
      "WHERE s.community_id = ?1 AND s.sampled_at >= ?2 AND s.sampled_at < ?3 "
      "GROUP BY s.resident_id) p ON p.resident_id = r.resident_id "
      "LEFT JOIN (SELECT resident_id, count(*) AS n FROM antigen_tests WHERE community_id = ?1 "
      "AND tested_at >= ?2 AND tested_at < ?3 GROUP BY resident_id) a "
      "ON a.resident_id = r.resident_id "
      "WHERE r.community_id = ?1 AND r.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM "
      "screening_marks m WHERE m.community_id = ?1 AND m.resident_id = r.resident_id AND "
      "m.mark IN ('away', 'exempt')) "
      "ORDER BY b.building_id, h.room, r.resident_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, from).bind(3, to);
  return collect(*s, "test counts", [](const Stmt& row) {
    return ResidentTestCount{row.integer(0), row.text(1), row.integer(2), row.text(3),
                             row.text(4),    row.integer(5), row.integer(6)};
  });
}

Result<void> SqlTransaction::insert_report_submission(const ReportSubmission& r) {
  auto s = prepare("reports.insert_report_submission",
                   "INSERT INTO report_submissions (community_id, day, submitted_at, "
                   "submitted_by, figures, audit_seq, audit_hash) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.day)
      .bind(3, r.submitted_at)
      .bind(4, r.submitted_by)
      .bind(5, r.figures)
      .bind(6, r.audit_seq)
      .bind(7, r.audit_hash);
  return s->run("insert report submission");
}

Result<std::optional<ReportSubmission>> SqlTransaction::get_report_submission(
    CommunityId c, std::string_view day) {
  auto s = prepare("reports.get_report_submission",
                   "SELECT submitted_at, submitted_by, figures, audit_seq, audit_hash "
                   "FROM report_submissions WHERE community_id = ?1 AND day = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, day);
  auto row = s->step("get report submission");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::nullopt;
  return ReportSubmission{c, std::string(day), s->text(0), s->integer(1), s->text(2),
                          s->integer(3), s->text(4)};
}

}  // namespace juwei::store::sql
