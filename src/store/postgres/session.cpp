// One transaction on a pooled connection (see session.hpp).
#include "store/postgres/session.hpp"

#include <fmt/format.h>

#include "store/postgres/copy_in.hpp"

#include <limits>
#include <string>
#include <utility>

namespace juwei::store::postgres {

Result<std::unique_ptr<Session>> Session::begin(const std::shared_ptr<Pool>& pool, TxMode mode) {
  auto lease = pool->acquire();
  if (!lease) return std::unexpected(lease.error());
  auto begun = lease->conn().begin(mode);
  if (!begun && lease->reused() && !lease->conn().usable()) {
    // The server dropped this idle connection (a restart, pg_terminate_backend, a network
    // cut). Nothing ran on it, so a new connection can take its place without losing a write.
    if (auto r = lease->reconnect(); !r) return std::unexpected(r.error());
    begun = lease->conn().begin(mode);
  }
  if (!begun) return std::unexpected(begun.error());
  return std::unique_ptr<Session>(new Session(std::move(*lease)));
}

Session::Session(Lease lease) : m_lease(std::move(lease)) {}

Session::~Session() {
  rollback();
}

Result<void> Session::ended(std::string_view what) const {
  if (m_open) return {};
  return std::unexpected(
      Error{Error::Kind::io, fmt::format("{}: the transaction has already ended", what)});
}

Result<sql::Statement*> Session::prepare(const sql::Query& q) {
  if (auto r = ended(q.id); !r) return std::unexpected(r.error());
  return m_lease.conn().statement(q);
}

Result<void> Session::load_scratch(const sql::ScratchTable& t,
                                   std::span<const std::string_view> cells) {
  const std::string what = fmt::format("load {}", t.name);
  if (auto r = ended(what); !r) return r;
  Connection& conn = m_lease.conn();
  if (auto r = conn.check_not_failed(what); !r) return r;
  // Made by the first load of the connection's life (or again after the transaction that made
  // it rolled back); emptied by TRUNCATE rather than DELETE, which would leave a dead row per
  // row loaded for every later statement of the transaction to step over.
  auto made = conn.run(fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} ({}) ON COMMIT DELETE ROWS; "
                                   "TRUNCATE {}",
                                   t.name, t.columns, t.name),
                       what);
  if (!made) return std::unexpected(made.error());
  auto copy = CopyIn::start(conn, t.name, {});  // every column, in the table's order
  if (!copy) return std::unexpected(copy.error());
  const auto width = static_cast<std::size_t>(t.width);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    copy->text(cells[i]);
    if ((i + 1) % width == 0) {
      if (auto r = copy->end_row(); !r) return r;
    }
  }
  auto copied = copy->finish();
  if (!copied) return std::unexpected(copied.error());
  return {};
}

Result<void> Session::refresh_statistics(std::string_view table) {
  const std::string what = fmt::format("analyze {}", table);
  if (auto r = ended(what); !r) return r;
  Connection& conn = m_lease.conn();
  if (auto r = conn.check_not_failed(what); !r) return r;
  auto r = conn.run(fmt::format("ANALYZE {}", table), what);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> Session::lock_community(domain::CommunityId c) {
  const std::string what = fmt::format("lock community {}", c);
  if (auto r = ended(what); !r) return r;
  if (c < std::numeric_limits<std::int32_t>::min() ||
      c > std::numeric_limits<std::int32_t>::max()) {
    return std::unexpected(
        Error{Error::Kind::io, what + ": the id is outside the lock's int4 key"});
  }
  Connection& conn = m_lease.conn();
  if (auto r = conn.check_not_failed(what); !r) return r;
  auto r =
      conn.run(fmt::format("SELECT pg_advisory_xact_lock({}, {})", kCommunityLockSpace, c), what);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> Session::commit() {
  if (auto r = ended("commit"); !r) return r;
  m_open = false;
  Connection& conn = m_lease.conn();
  if (auto failed = conn.check_not_failed("commit"); !failed) {
    if (!conn.run("ROLLBACK", "roll back")) conn.drop();
    return failed;
  }
  auto r = conn.run("COMMIT", "commit");
  if (!r) {
    Error e = r.error();
    if (!conn.usable()) {  // lost: the COMMIT may have reached the server before the cut
      e.message += " (the server may have committed before the connection was lost)";
    }
    return std::unexpected(std::move(e));
  }
  // A transaction the server had already aborted answers COMMIT with ROLLBACK, not an error.
  if (std::string_view(PQcmdStatus(r->get())) != "COMMIT") {
    return std::unexpected(
        Error{Error::Kind::io, "commit: the server rolled the transaction back"});
  }
  return {};
}

void Session::rollback() {
  if (!m_open) return;
  m_open = false;
  Connection& conn = m_lease.conn();
  if (!conn.run("ROLLBACK", "roll back")) conn.drop();  // closed when it goes back to the pool
}

}  // namespace juwei::store::postgres
