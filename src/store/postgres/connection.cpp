// Opening a connection, its statement cache, and running plain SQL on it (see connection.hpp).
#include "store/postgres/connection.hpp"

#include <fmt/format.h>

#include <functional>
#include <utility>

#include "store/postgres/dialect.hpp"
#include "store/postgres/error.hpp"
#include "store/postgres/statement.hpp"

namespace juwei::store::postgres {
namespace {

// libpq prints the server's notices to stderr unless told otherwise; Juwei logs what it needs.
void ignore_notice(void*, const char*) {}

// The server keeps only the first 63 bytes of a statement's name: a longer id gets a hash of
// itself so that two long ids with the same start never share a prepared statement.
std::string statement_name(std::string_view id) {
  constexpr std::size_t kNameMax = 63;
  if (id.size() <= kNameMax) return std::string(id);
  return fmt::format("{}#{:016x}", id.substr(0, 46), std::hash<std::string_view>{}(id));
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const ConnectTarget& target) {
  auto where = parse_target(target.url);
  if (!where) return std::unexpected(where.error());
  // Keys before dbname are defaults the URL may override; keys after it are Juwei's rules
  // (text goes both ways as UTF-8). A server that never answers gives up after 10 s.
  const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", "client_encoding",
                        nullptr};
  const char* values[] = {"10", "juwei", target.url.c_str(), "UTF8", nullptr};
  ConnHandle conn(PQconnectdbParams(keys, values, /*expand_dbname*/ 1));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    const std::string reason =
        conn ? connect_failure_reason(PQerrorMessage(conn.get())) : "out of memory";
    return std::unexpected(
        Error{Error::Kind::unavailable,
              without_password(
                  fmt::format("cannot connect to PostgreSQL at {}: {}", where->server, reason),
                  target.url)});
  }
  PQsetNoticeProcessor(conn.get(), ignore_notice, nullptr);
  auto c = std::make_unique<Connection>(std::move(conn));
  // lock_timeout bounds every lock wait, advisory locks included: a writer stuck behind
  // another for longer gets busy (55P03), which the caller may retry.
  if (auto r = c->run(fmt::format("SET lock_timeout = {}", target.lock_timeout.count()),
                      "configure the connection");
      !r) {
    return std::unexpected(r.error());
  }
  return c;
}

Connection::Connection(ConnHandle conn) : m_conn(std::move(conn)) {}

Connection::~Connection() = default;

Result<sql::Statement*> Connection::statement(const sql::Query& q) {
  if (auto it = m_statements.find(q.id); it != m_statements.end()) {
    if (it->second.portable != q.text) {
      return std::unexpected(
          Error{Error::Kind::io, fmt::format("statement {}: a second, different text under the "
                                             "same id (one id must always mean one text)",
                                             q.id)});
    }
    return it->second.statement.get();
  }
  int params = 0;
  std::string text = translate(q.text, &params);
  auto statement =
      std::make_unique<Statement>(*this, statement_name(q.id), std::move(text), params);
  Statement* borrowed = statement.get();
  m_statements.emplace(std::string(q.id), Cached{std::string(q.text), std::move(statement)});
  return borrowed;
}

Result<PgResult> Connection::run(std::string_view sql, std::string_view what) {
  PgResult r(PQexec(m_conn.get(), std::string(sql).c_str()));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(fail(r.get(), what));
  }
  return r;
}

Result<void> Connection::begin(TxMode mode) {
  m_failure.reset();
  m_writing = mode == TxMode::write;
  // Writers read the latest committed rows after taking their community's lock (READ
  // COMMITTED); readers see one snapshot from their first statement on.
  const char* sql = mode == TxMode::write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                          : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  auto r = run(sql, "begin a transaction");
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> Connection::check_not_failed(std::string_view what) const {
  if (!m_failure) return {};
  return std::unexpected(Error{
      m_failure->kind,
      fmt::format("{}: refused: this transaction failed earlier: {}", what, m_failure->message)});
}

Error Connection::fail(const PGresult* result, std::string_view what) {
  if (is_lost(m_conn.get(), result)) m_lost = true;
  Error e = make_error(m_conn.get(), result, what);
  if (!m_failure) m_failure = e;
  return e;
}

Error Connection::fail_undone(const PGresult* result, std::string_view what) {
  if (is_lost(m_conn.get(), result)) m_lost = true;
  return make_error(m_conn.get(), result, what);
}

bool Connection::usable() const {
  return !m_lost && PQstatus(m_conn.get()) == CONNECTION_OK &&
         PQtransactionStatus(m_conn.get()) == PQTRANS_IDLE;
}

void Connection::reset_statements() {
  for (auto& [id, cached] : m_statements)
    cached.statement->reset();
  m_failure.reset();
}

}  // namespace juwei::store::postgres
