// How PostgreSQL's failures become store::Error: one mapping from SQLSTATE to Error::Kind, and
// the one-line messages for a connection that could not be made. Internal to store/postgres.
// Pure functions (no connection state) except make_error, which reads the connection's status.
// Messages never carry the URL's password, and never a failed row's values (a unique key's
// DETAIL names them: ID numbers, phone numbers), only the server's primary message.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>

#include "store/store.hpp"

namespace juwei::store::postgres {

// The kind a SQLSTATE maps to, the same kinds SQLite's codes map to (store/sqlite/db.cpp):
// integrity (class 23) → conflict; serialization failure, deadlock, lock timeout → busy
// (retryable); the session gone (is_connection_lost) → unavailable; data or index corruption
// → corrupt; everything else → io.
Error::Kind kind_of(std::string_view sqlstate);

// True when the SQLSTATE says the session is gone: connection exceptions (class 08) and the
// server ending the session (57P01 administrator command, 57P02 crash, 57P03 starting up).
bool is_connection_lost(std::string_view sqlstate);

// Whether the failure `result` (null when libpq could not even send it) on `conn` lost the
// connection: a lost SQLSTATE, or libpq no longer connected.
bool is_lost(PGconn* conn, const PGresult* result);

// `what` failed with `result` (null when libpq could not even send it) on `conn`. A lost
// connection is unavailable, with "connection lost" in the message: the pool replaces it on
// next use.
Error make_error(PGconn* conn, const PGresult* result, std::string_view what);

// The part of libpq's connection failure message a person needs, on one line:
// `connection to server at "h", port 1 failed: FATAL:  database "x" does not exist` →
// `database "x" does not exist`.
std::string connect_failure_reason(std::string_view libpq_message);

// Where a URL points, for messages: no user, no password.
struct Target {
  std::string server;    // "127.0.0.1:5432"; libpq's defaults where the URL names none
  std::string database;  // empty when the URL names none (libpq then uses the user's name)
};

// The target of `url`; io "not a PostgreSQL URL" when libpq cannot parse it.
Result<Target> parse_target(std::string_view url);

// `text` with every copy of the password in `url` replaced by "***".
std::string without_password(std::string text, std::string_view url);

}  // namespace juwei::store::postgres
