// One libpq connection and what lives on it: its prepared statements (keyed by Query id) and the
// state of its current transaction. Internal to store/postgres.
//
// A Connection is used by one thread at a time: the pool lends it to one Session, whose
// Statements borrow it in turn. It knows when it is no longer usable (the server dropped it, or
// it is not back at idle after a transaction); the pool then closes it and opens a new one.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/sql/driver.hpp"
#include "store/store.hpp"

namespace juwei::store::postgres {

class Statement;

struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultCloser>;

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnHandle = std::unique_ptr<PGconn, ConnCloser>;

// How connections are made: the URL, and the lock wait after which a statement gives up with
// busy (the SQLite backend's busy timeout is 5 s).
struct ConnectTarget {
  std::string url;
  std::chrono::milliseconds lock_timeout{5000};
};

class Connection {
 public:
  // Connects; unavailable with one line ("cannot connect to PostgreSQL at 127.0.0.1:5999:
  // connection refused") when it cannot.
  static Result<std::unique_ptr<Connection>> open(const ConnectTarget& target);

  explicit Connection(ConnHandle conn);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* raw() const { return m_conn.get(); }

  // The statement `q.id` names on this connection, made on first use (prepared on the server
  // at its first step). A second text under a known id is refused: ids are the cache's keys.
  Result<sql::Statement*> statement(const sql::Query& q);

  // Runs `sql` (no parameters; may be several statements) and returns its last result.
  Result<PgResult> run(std::string_view sql, std::string_view what);

  // Starts a transaction and forgets the last one's failure.
  Result<void> begin(TxMode mode);

  // Nothing while the current transaction has not failed; else the error `what` reports
  // instead of running, with the first failure's kind and message: PostgreSQL refuses every
  // later statement of a transaction in which one failed.
  Result<void> check_not_failed(std::string_view what) const;
  // `what` failed with `result` (null: libpq could not send it): the error, recorded as the
  // transaction's failure; a lost connection is marked so that the pool replaces it.
  Error fail(const PGresult* result, std::string_view what);
  // `what` failed with `result` and was undone to its savepoint: the error, while the
  // transaction goes on (a lost connection is still marked).
  Error fail_undone(const PGresult* result, std::string_view what);
  // Whether the current transaction may write (begun as TxMode::write).
  bool writing() const { return m_writing; }

  // Whether the connection can serve the next transaction: connected, not lost, and idle.
  bool usable() const;
  // Marks the connection lost: it is closed when it goes back to the pool.
  void drop() { m_lost = true; }
  // Called when the connection goes back to the pool: no statement keeps a result.
  void reset_statements();

 private:
  struct Cached {
    std::string portable;  // the Query text, to refuse a second text under the same id
    std::unique_ptr<Statement> statement;
  };

  ConnHandle m_conn;
  std::map<std::string, Cached, std::less<>> m_statements;
  std::optional<Error> m_failure;  // the current transaction's first failure
  bool m_lost = false;
  bool m_writing = false;
};

}  // namespace juwei::store::postgres
