// The transaction itself: its end, its statements and its per-community ids. The aggregates'
// statements are in the other files of this folder.
#include "store/sql/sql_transaction.hpp"

#include "store/sql/transaction.hpp"

namespace juwei::store::sql {

std::unique_ptr<Transaction> make_transaction(std::unique_ptr<Session> session) {
  return std::make_unique<SqlTransaction>(std::move(session));
}

SqlTransaction::~SqlTransaction() {
  if (!m_done) m_session->rollback();
}

Result<void> SqlTransaction::commit() {
  if (m_done) return std::unexpected(Error{Error::Kind::io, "commit: the transaction has ended"});
  m_done = true;  // committed or not, the transaction is over: the backend has ended it
  return m_session->commit();
}

Result<Stmt> SqlTransaction::prepare(std::string_view id, std::string_view text) {
  auto statement = m_session->prepare(Query{id, text});
  if (!statement) return std::unexpected(statement.error());
  return Result<Stmt>(std::in_place, *statement);
}

Result<void> SqlTransaction::run_changing_one(Stmt& s, std::string_view what) {
  if (auto r = s.run(what); !r) return r;
  if (s.changes() == 0) {
    return std::unexpected(Error{Error::Kind::not_found, std::string(what) + ": no such record"});
  }
  return {};
}

namespace {

// The highest id of each sequence's table, plus one.
Query next_id_query(int seq) {
  static constexpr Query kQueries[] = {
      {"next_id.building",
       "SELECT coalesce(max(building_id), 0) + 1 FROM buildings WHERE community_id = ?1"},
      {"next_id.household",
       "SELECT coalesce(max(household_id), 0) + 1 FROM households WHERE community_id = ?1"},
      {"next_id.resident",
       "SELECT coalesce(max(resident_id), 0) + 1 FROM residents WHERE community_id = ?1"},
      {"next_id.import",
       "SELECT coalesce(max(import_id), 0) + 1 FROM imports WHERE community_id = ?1"},
      {"next_id.user", "SELECT coalesce(max(user_id), 0) + 1 FROM users WHERE community_id = ?1"},
      {"next_id.round",
       "SELECT coalesce(max(round_id), 0) + 1 FROM screening_rounds WHERE community_id = ?1"},
      {"next_id.conflict",
       "SELECT coalesce(max(conflict_id), 0) + 1 FROM result_conflicts WHERE community_id = ?1"},
      {"next_id.antigen",
       "SELECT coalesce(max(test_id), 0) + 1 FROM antigen_tests WHERE community_id = ?1"},
      {"next_id.policy",
       "SELECT coalesce(max(policy_id), 0) + 1 FROM policies WHERE community_id = ?1"},
      {"next_id.request",
       "SELECT coalesce(max(request_id), 0) + 1 FROM exit_requests WHERE community_id = ?1"},
      {"next_id.proof",
       "SELECT coalesce(max(proof_id), 0) + 1 FROM proofs WHERE community_id = ?1"},
      {"next_id.decision",
       "SELECT coalesce(max(decision_id), 0) + 1 FROM decisions WHERE community_id = ?1"},
      {"next_id.pass", "SELECT coalesce(max(pass_id), 0) + 1 FROM passes WHERE community_id = ?1"},
      {"next_id.gate_event",
       "SELECT coalesce(max(event_id), 0) + 1 FROM gate_events WHERE community_id = ?1"},
  };
  return kQueries[seq];
}

}  // namespace

Result<std::int64_t> SqlTransaction::next_id(Sequence seq, CommunityId c) {
  const auto key = std::make_pair(seq, c);
  if (auto it = m_next_ids.find(key); it != m_next_ids.end()) return it->second++;
  if (auto r = m_session->lock_community(c); !r) return std::unexpected(r.error());
  const Query q = next_id_query(static_cast<int>(seq));
  auto s = prepare(q.id, q.text);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto row = s->step("next id");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  m_next_ids[key] = id + 1;
  return id;
}

}  // namespace juwei::store::sql
