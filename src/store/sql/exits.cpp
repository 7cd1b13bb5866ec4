// Exit requests, their proofs, pledges and decisions.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

namespace {

std::string join_rule_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

std::vector<std::string> split_rule_ids(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

constexpr const char* kRequestColumns =
    "q.community_id, q.request_id, q.resident_id, q.reason, q.destination, q.planned_exit, "
    "q.planned_return, q.note, q.asked_by, q.asked_via, q.created_at, q.status";

ExitRequest read_request(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.integer(2), s.text(3), s.text(4),  s.text(5),
          s.text(6),    s.text(7),    s.integer(8), s.text(9), s.text(10), s.text(11)};
}

constexpr const char* kProofColumns =
    "community_id, proof_id, request_id, kind, digest, content_type, size, filename, "
    "uploaded_by, uploaded_at";

Proof read_proof(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.integer(2), s.text(3),    s.text(4),
          s.text(5),    s.integer(6), s.text(7),    s.integer(8), s.text(9)};
}

}  // namespace

Result<std::int64_t> SqlTransaction::insert_exit_request(const ExitRequest& r) {
  auto id = next_id(Sequence::request, r.community_id);
  if (!id) return id;
  auto s = prepare(
      "exits.insert_exit_request",
      "INSERT INTO exit_requests (community_id, request_id, resident_id, reason, destination, "
      "planned_exit, planned_return, note, asked_by, asked_via, created_at, status) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, *id)
      .bind(3, r.resident_id)
      .bind(4, r.reason)
      .bind(5, r.destination)
      .bind(6, r.planned_exit)
      .bind(7, r.planned_return)
      .bind(8, r.note)
      .bind(9, r.asked_by)
      .bind(10, r.asked_via)
      .bind(11, r.created_at)
      .bind(12, r.status);
  if (auto run = s->run("insert exit request"); !run) return std::unexpected(run.error());
  return *id;
}

Result<std::optional<ExitRequest>> SqlTransaction::get_exit_request(CommunityId c,
                                                                    std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kRequestColumns +
      " FROM exit_requests q WHERE q.community_id = ?1 AND q.request_id = ?2";
  auto s = prepare("exits.get_exit_request", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get exit request");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ExitRequest>();
  return read_request(*s);
}

namespace {

// The building filter of ExitRequestQuery, on the resident r joined to the request q.
constexpr const char* kRequestInBuilding =
    "AND (CAST(?7 AS BIGINT) IS NULL OR r.household_id IN (SELECT household_id FROM households "
    "WHERE community_id = ?1 AND building_id = ?7))";

// Binds ExitRequestQuery's community (?1), household (?3), resident (?4) and building (?7).
void bind_request_filters(Stmt& s, const ExitRequestQuery& q) {
  s.bind(1, q.community_id);
  if (q.household) {
    s.bind(3, *q.household);
  } else {
    s.bind_null(3);
  }
  if (q.resident) {
    s.bind(4, *q.resident);
  } else {
    s.bind_null(4);
  }
  if (q.building) {
    s.bind(7, *q.building);
  } else {
    s.bind_null(7);
  }
}

}  // namespace

Result<std::vector<ExitRequest>> SqlTransaction::list_exit_requests(const ExitRequestQuery& q) {
  static const std::string sql =
      std::string("SELECT ") + kRequestColumns +
      " FROM exit_requests q JOIN residents r ON r.community_id = q.community_id "
      "AND r.resident_id = q.resident_id WHERE q.community_id = ?1 "
      "AND (?2 = '' OR q.status = ?2) AND (CAST(?3 AS BIGINT) IS NULL OR r.household_id = ?3) "
      "AND (CAST(?4 AS BIGINT) IS NULL OR q.resident_id = ?4) AND q.request_id > ?5 " +
      kRequestInBuilding + " ORDER BY q.request_id LIMIT ?6";
  auto s = prepare("exits.list_exit_requests", sql);
  if (!s) return std::unexpected(s.error());
  bind_request_filters(*s, q);
  s->bind(2, q.status).bind(5, q.after).bind(6, static_cast<std::int64_t>(q.limit));
  return collect(*s, "list exit requests", read_request);
}

Result<ExitRequestCounts> SqlTransaction::count_exit_requests(const ExitRequestQuery& q) {
  static const std::string sql =
      std::string("SELECT q.status, count(*) FROM exit_requests q JOIN residents r ") +
      "ON r.community_id = q.community_id AND r.resident_id = q.resident_id "
      "WHERE q.community_id = ?1 AND (CAST(?3 AS BIGINT) IS NULL OR r.household_id = ?3) "
      "AND (CAST(?4 AS BIGINT) IS NULL OR q.resident_id = ?4) " +
      kRequestInBuilding + " GROUP BY q.status ORDER BY q.status";
  auto s = prepare("exits.count_exit_requests", sql);
  if (!s) return std::unexpected(s.error());
  bind_request_filters(*s, q);
  return collect(*s, "count exit requests", [](const Stmt& row) {
    return std::pair<std::string, std::int64_t>(row.text(0), row.integer(1));
  });
}

Result<void> SqlTransaction::set_exit_request_status(CommunityId c, std::int64_t id,
                                                     std::string_view status) {
  auto s =
      prepare("exits.set_exit_request_status",
              "UPDATE exit_requests SET status = ?3 WHERE community_id = ?1 AND request_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, status);
  return run_changing_one(*s, "set exit request status");
}

Result<std::int64_t> SqlTransaction::insert_proof(const Proof& p) {
  auto id = next_id(Sequence::proof, p.community_id);
  if (!id) return id;
  static const std::string sql = std::string("INSERT INTO proofs (") + kProofColumns +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
  auto s = prepare("exits.insert_proof", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id)
      .bind(2, *id)
      .bind(3, p.request_id)
      .bind(4, p.kind)
      .bind(5, p.digest)
      .bind(6, p.content_type)
      .bind(7, p.size)
      .bind(8, p.filename)
      .bind(9, p.uploaded_by)
      .bind(10, p.uploaded_at);
  if (auto r = s->run("insert proof"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<Proof>> SqlTransaction::get_proof(CommunityId c, std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kProofColumns +
                                 " FROM proofs WHERE community_id = ?1 AND proof_id = ?2";
  auto s = prepare("exits.get_proof", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get proof");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Proof>();
  return read_proof(*s);
}

Result<std::vector<Proof>> SqlTransaction::list_proofs(CommunityId c, std::int64_t request_id) {
  static const std::string sql =
      std::string("SELECT ") + kProofColumns +
      " FROM proofs WHERE community_id = ?1 AND request_id = ?2 ORDER BY proof_id";
  auto s = prepare("exits.list_proofs", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, request_id);
  return collect(*s, "list proofs", read_proof);
}

Result<void> SqlTransaction::insert_pledge(const Pledge& p) {
  auto s = prepare(
      "exits.insert_pledge",
      "INSERT INTO pledges (community_id, request_id, text, method, signed_name, photo_proof_id, "
      "signed_at, recorded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id)
      .bind(2, p.request_id)
      .bind(3, p.text)
      .bind(4, p.method)
      .bind(5, p.signed_name)
      .bind(6, p.photo_proof_id)
      .bind(7, p.signed_at)
      .bind(8, p.recorded_by);
  return s->run("insert pledge");
}

Result<std::optional<Pledge>> SqlTransaction::get_pledge(CommunityId c, std::int64_t request_id) {
  auto s = prepare(
      "exits.get_pledge",
      "SELECT text, method, signed_name, photo_proof_id, signed_at, recorded_by FROM pledges "
      "WHERE community_id = ?1 AND request_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, request_id);
  auto row = s->step("get pledge");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Pledge>();
  return Pledge{c,          request_id,    s->text(0), s->text(1),
                s->text(2), s->integer(3), s->text(4), s->integer(5)};
}

Result<std::int64_t> SqlTransaction::insert_decision(const Decision& d) {
  auto id = next_id(Sequence::decision, d.community_id);
  if (!id) return id;
  auto s = prepare(
      "exits.insert_decision",
      "INSERT INTO decisions (community_id, decision_id, request_id, outcome, override_rules, "
      "reason, policy_version, rules_applied, rules_unmet, decided_by, decided_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, d.community_id)
      .bind(2, *id)
      .bind(3, d.request_id)
      .bind(4, d.outcome)
      .bind(5, std::int64_t{d.override_rules})
      .bind(6, d.reason)
      .bind(7, d.policy_version)
      .bind(8, join_rule_ids(d.rules_applied))
      .bind(9, join_rule_ids(d.rules_unmet))
      .bind(10, d.decided_by)
      .bind(11, d.decided_at);
  if (auto r = s->run("insert decision"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::vector<Decision>> SqlTransaction::list_decisions(CommunityId c,
                                                             std::int64_t request_id) {
  auto s =
      prepare("exits.list_decisions",
              "SELECT decision_id, outcome, override_rules, reason, policy_version, rules_applied, "
              "rules_unmet, decided_by, decided_at FROM decisions WHERE community_id = ?1 AND "
              "request_id = ?2 ORDER BY decision_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, request_id);
  return collect(*s, "list decisions", [&](const Stmt& row) {
    return Decision{c,
                    row.integer(0),
                    request_id,
                    row.text(1),
                    row.integer(2) != 0,
                    row.text(3),
                    row.text(4),
                    split_rule_ids(row.view(5)),
                    split_rule_ids(row.view(6)),
                    row.integer(7),
                    row.text(8)};
  });
}

}  // namespace juwei::store::sql
