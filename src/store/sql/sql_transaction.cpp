// The transaction itself: its end, its statements and its per-community ids. The aggregates'
// statements are in the other files of this folder.
#include "store/sql/sql_transaction.hpp"

#include <fmt/format.h>

#include "store/sql/transaction.hpp"

namespace juwei::store::sql {

Result<void> Session::load_scratch(const ScratchTable& t,
                                   std::span<const std::string_view> cells) {
  // The texts depend on the table only; ids name the table, so each has one text.
  const std::string create =
      fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} ({})", t.name, t.columns);
  const std::string create_id = fmt::format("scratch.create.{}", t.name);
  const std::string clear = fmt::format("DELETE FROM {}", t.name);
  const std::string clear_id = fmt::format("scratch.clear.{}", t.name);
  std::string insert = fmt::format("INSERT INTO {} VALUES (", t.name);
  for (int i = 1; i <= t.width; ++i) insert += fmt::format("{}?{}", i == 1 ? "" : ", ", i);
  insert += ")";
  const std::string insert_id = fmt::format("scratch.insert.{}", t.name);
  // The table first: the other two statements cannot be prepared before it exists.
  for (const auto& [id, text] : {std::pair{create_id, create}, std::pair{clear_id, clear}}) {
    auto s = prepare(Query{id, text});
    if (!s) return std::unexpected(s.error());
    Stmt run(*s);
    if (auto r = run.run("prepare a bulk load"); !r) return r;
  }
  auto s = prepare(Query{insert_id, insert});
  if (!s) return std::unexpected(s.error());
  Stmt row(*s);
  const auto width = static_cast<std::size_t>(t.width);
  for (std::size_t at = 0; at + width <= cells.size(); at += width) {
    for (std::size_t i = 0; i < width; ++i) {
      row.bind_borrowed(static_cast<int>(i + 1), cells[at + i]);
    }
    if (auto r = row.run("load a row for a bulk write"); !r) return r;
    (*s)->reset();
  }
  return {};
}

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
  auto id = first_free_id(seq, c);
  if (id) use_ids(seq, c, 1);
  return id;
}

void SqlTransaction::use_ids(Sequence seq, CommunityId c, std::int64_t count) {
  m_next_ids[std::make_pair(seq, c)] += count;
}

Result<void> SqlTransaction::lock_community(CommunityId c) {
  if (m_locked.contains(c)) return {};
  if (auto r = m_session->lock_community(c); !r) return r;
  m_locked.insert(c);
  return {};
}

Result<std::int64_t> SqlTransaction::first_free_id(Sequence seq, CommunityId c) {
  const auto key = std::make_pair(seq, c);
  if (auto it = m_next_ids.find(key); it != m_next_ids.end()) return it->second;
  if (auto r = lock_community(c); !r) return std::unexpected(r.error());
  const Query q = next_id_query(static_cast<int>(seq));
  auto s = prepare(q.id, q.text);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto row = s->step("next id");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  m_next_ids[key] = id;
  return id;
}

}  // namespace juwei::store::sql
