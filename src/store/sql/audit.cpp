// The audit trail: appended records, the chain head, and listings with names.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

namespace {

constexpr const char* kAuditColumns =
    "community_id, seq, at, actor, role, action, entity, entity_id, before_digest, "
    "after_digest, policy_version, prev_hash, hash";

// The chain id of community ?1, which every read of the trail returns with its records (the
// hash covers it): a subquery of no outer column, so it is read once per statement, not per row.
constexpr const char* kChainIdOfCommunity =
    "(SELECT k.chain_id FROM communities k WHERE k.community_id = ?1)";

// A record of kAuditColumns, then its chain id in column `chain`.
AuditRecord read_audit(const Stmt& s, int chain) {
  AuditRecord r{s.integer(0), s.integer(1), s.text(2), s.integer(3), s.text(4),
                s.text(5),    s.text(6),    s.text(7), s.text(8),    s.text(9),
                s.text(10),   s.text(11),   s.text(12)};
  r.chain_id = s.integer(chain);
  return r;
}

}  // namespace

Result<void> SqlTransaction::insert_audit(const AuditRecord& r) {
  static const std::string sql =
      std::string("INSERT INTO audit_log (") + kAuditColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
  auto s = prepare("audit.insert_audit", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.seq)
      .bind(3, r.at)
      .bind(4, r.actor)
      .bind(5, r.role)
      .bind(6, r.action)
      .bind(7, r.entity)
      .bind(8, r.entity_id)
      .bind(9, r.before_digest)
      .bind(10, r.after_digest)
      .bind(11, r.policy_version)
      .bind(12, r.prev_hash)
      .bind(13, r.hash);
  return s->run("insert audit record");
}

Result<std::optional<AuditRecord>> SqlTransaction::last_audit(CommunityId c) {
  // The head is read to append after it: no other writer of the community may append first
  // (the contract in store.hpp).
  if (auto r = lock_community(c); !r) return std::unexpected(r.error());
  static const std::string sql =
      std::string("SELECT ") + kAuditColumns + ", " + kChainIdOfCommunity +
      " FROM audit_log WHERE community_id = ?1 ORDER BY seq DESC LIMIT 1";
  auto s = prepare("audit.last_audit", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto row = s->step("last audit record");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<AuditRecord>();
  return read_audit(*s, 13);
}

Result<void> SqlTransaction::for_each_audit(CommunityId c, std::int64_t after,
                                            const std::function<bool(const AuditRecord&)>& f) {
  static const std::string sql =
      std::string("SELECT ") + kAuditColumns + ", " + kChainIdOfCommunity +
      " FROM audit_log WHERE community_id = ?1 AND seq > ?2 ORDER BY seq";
  auto s = prepare("audit.for_each_audit", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, after);
  while (true) {
    auto row = s->step("audit records");
    if (!row) return std::unexpected(row.error());
    if (!*row || !f(read_audit(*s, 13))) return {};
  }
}

namespace {

// The resident a record of the trail is about, from its object (`p` is the record): a
// request's, a proof's or a pledge's resident, a pass's holder, a gate check's, a swab's (a
// sample's id is per round: the swab is the one its record wrote, at the record's time) or an
// antigen self-test's resident. NULL when it names none.
constexpr const char* kAuditSubject =
    "CASE p.entity WHEN 'resident' THEN CAST(p.entity_id AS INTEGER)"
    " WHEN 'exit_request' THEN (SELECT x.resident_id FROM exit_requests x"
    "  WHERE x.community_id = p.community_id AND x.request_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'pledge' THEN (SELECT x.resident_id FROM exit_requests x"
    "  WHERE x.community_id = p.community_id AND x.request_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'proof' THEN (SELECT x.resident_id FROM proofs y JOIN exit_requests x"
    "  ON x.community_id = y.community_id AND x.request_id = y.request_id"
    "  WHERE y.community_id = p.community_id AND y.proof_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'pass' THEN (SELECT x.holder FROM passes x"
    "  WHERE x.community_id = p.community_id AND x.pass_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'gate_event' THEN (SELECT nullif(x.resident_id, 0) FROM gate_events x"
    "  WHERE x.community_id = p.community_id AND x.event_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'sample' THEN (SELECT x.resident_id FROM samples x"
    "  WHERE x.community_id = p.community_id AND x.round_id IN (SELECT y.round_id"
    "  FROM screening_rounds y WHERE y.community_id = p.community_id)"
    "  AND x.sample_id = CAST(p.entity_id AS INTEGER) AND x.sampled_at = p.at)"
    " WHEN 'antigen_test' THEN (SELECT x.resident_id FROM antigen_tests x"
    "  WHERE x.community_id = p.community_id AND x.test_id = CAST(p.entity_id AS INTEGER))"
    " END";

// The name of a record's object that is not about a resident (`p` is the record).
constexpr const char* kAuditObjectName =
    "CASE p.entity WHEN 'building' THEN (SELECT x.name FROM buildings x"
    "  WHERE x.community_id = p.community_id AND x.building_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'household' THEN (SELECT y.name || ' ' || x.room FROM households x JOIN buildings y"
    "  ON y.community_id = x.community_id AND y.building_id = x.building_id"
    "  WHERE x.community_id = p.community_id AND x.household_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'user' THEN (SELECT x.username FROM users x"
    "  WHERE x.community_id = p.community_id AND x.user_id = CAST(p.entity_id AS INTEGER))"
    // A community by the id the record was written with: in a chain that began in another
    // database (juwei migrate), ids of that database, of which only its own is known here.
    " WHEN 'community' THEN (SELECT x.name FROM communities x"
    "  WHERE (x.community_id = CAST(p.entity_id AS INTEGER) AND EXISTS (SELECT 1 FROM"
    "  communities k WHERE k.community_id = p.community_id AND k.chain_id = k.community_id))"
    "  OR (x.community_id = p.community_id AND x.chain_id <> x.community_id"
    "  AND x.chain_id = CAST(p.entity_id AS INTEGER)))"
    " WHEN 'round' THEN (SELECT x.day FROM screening_rounds x"
    "  WHERE x.community_id = p.community_id AND x.round_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'policy' THEN (SELECT x.version FROM policies x"
    "  WHERE x.community_id = p.community_id AND x.policy_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'import' THEN (SELECT x.source FROM imports x"
    "  WHERE x.community_id = p.community_id AND x.import_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'result_conflict' THEN (SELECT x.tube_code FROM result_conflicts x"
    "  WHERE x.community_id = p.community_id AND x.conflict_id = CAST(p.entity_id AS INTEGER))"
    " END";

// Records about the residents of the JSON array ?9, as kAuditSubject finds them, written as
// one IN list per kind of object (each list is built once per query, not per record).
constexpr const char* kAuditAboutResidents =
    " AND ((a.entity = 'resident' AND a.entity_id IN (SELECT CAST(value AS TEXT)"
    "  FROM json_each(?9)))"
    " OR (a.entity IN ('exit_request', 'pledge') AND a.entity_id IN (SELECT"
    "  CAST(x.request_id AS TEXT) FROM exit_requests x WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?9))))"
    " OR (a.entity = 'proof' AND a.entity_id IN (SELECT CAST(y.proof_id AS TEXT)"
    "  FROM exit_requests x JOIN proofs y ON y.community_id = x.community_id"
    "  AND y.request_id = x.request_id WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?9))))"
    " OR (a.entity = 'pass' AND a.entity_id IN (SELECT CAST(x.pass_id AS TEXT) FROM passes x"
    "  WHERE x.community_id = ?1 AND x.holder IN (SELECT CAST(value AS BIGINT) FROM "
    "json_each(?9))))"
    " OR (a.entity = 'gate_event' AND a.entity_id IN (SELECT CAST(x.event_id AS TEXT)"
    "  FROM gate_events x WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?9))))"
    " OR (a.entity = 'sample' AND (a.entity_id, a.at) IN (SELECT CAST(x.sample_id AS TEXT),"
    "  x.sampled_at FROM samples x WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?9))))"
    " OR (a.entity = 'antigen_test' AND a.entity_id IN (SELECT CAST(x.test_id AS TEXT)"
    "  FROM antigen_tests x WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?9)))))";

}  // namespace

Result<std::vector<AuditListing>> SqlTransaction::list_audit(const AuditQuery& q) {
  // One statement per order and with or without the residents' filter: the page is read by
  // seq (the primary key) from the cursor on, and only its records are named.
  static const std::array<std::string, 4> statements = [] {
    std::array<std::string, 4> out;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const bool newest = (i & 1U) != 0;
      const bool about = (i & 2U) != 0;
      out[i] = std::string("WITH page AS (SELECT a.* FROM audit_log a") +
               " WHERE a.community_id = ?1 AND a.seq " + (newest ? "<" : ">") +
               " ?2 AND (CAST(?3 AS BIGINT) IS NULL OR a.actor = ?3) AND (?4 = '' OR a.action = ?4)"
               " AND (?5 = '' OR a.entity = ?5) AND (?6 = '' OR a.entity_id = ?6)"
               " AND (?7 = '' OR a.at >= ?7) AND (?8 = '' OR a.at < ?8)" +
               (about ? kAuditAboutResidents : "") + " ORDER BY a.seq" + (newest ? " DESC" : "") +
               " LIMIT ?10), named AS (SELECT p.*, " + kAuditSubject +
               " AS resident FROM page p)"
               " SELECT p.community_id, p.seq, p.at, p.actor, p.role, p.action, p.entity,"
               " p.entity_id, p.before_digest, p.after_digest, p.policy_version, p.prev_hash,"
               " p.hash, coalesce(u.username, ''), coalesce(r.resident_id, 0),"
               " coalesce(r.name, " +
               kAuditObjectName + ", ''), coalesce(b.name, ''), coalesce(h.room, ''), " +
               kChainIdOfCommunity +
               " FROM named p"
               " LEFT JOIN users u ON u.community_id = p.community_id AND u.user_id = p.actor"
               " LEFT JOIN residents r ON r.community_id = p.community_id"
               " AND r.resident_id = p.resident"
               " LEFT JOIN households h ON h.community_id = r.community_id"
               " AND h.household_id = r.household_id"
               " LEFT JOIN buildings b ON b.community_id = h.community_id"
               " AND b.building_id = h.building_id ORDER BY p.seq" +
               (newest ? " DESC" : "");
    }
    return out;
  }();
  const std::size_t variant = (q.newest_first ? 1U : 0U) | (q.residents ? 2U : 0U);
  static constexpr std::string_view kIds[] = {"audit.list_audit.oldest", "audit.list_audit.newest",
                                              "audit.list_audit.oldest_about",
                                              "audit.list_audit.newest_about"};
  auto s = prepare(kIds[variant], statements[variant]);
  if (!s) return std::unexpected(s.error());
  std::string residents = "[";
  if (q.residents) {
    for (const ResidentId id : *q.residents)
      residents += (residents.size() > 1 ? "," : "") + std::to_string(id);
  }
  residents += "]";
  const std::int64_t after =
      q.after == 0 && q.newest_first ? std::numeric_limits<std::int64_t>::max() : q.after;
  s->bind(1, q.community_id)
      .bind(2, after)
      .bind(4, q.action)
      .bind(5, q.entity)
      .bind(6, q.entity_id)
      .bind(7, q.from)
      .bind(8, q.to)
      .bind(9, residents)
      .bind(10, static_cast<std::int64_t>(q.limit));
  if (q.actor) s->bind(3, *q.actor);  // unbound parameters are NULL
  return collect(*s, "list audit records", [](const Stmt& row) {
    return AuditListing{read_audit(row, 18), row.text(13), row.text(15),
                        row.integer(14),     row.text(16), row.text(17)};
  });
}

}  // namespace juwei::store::sql
