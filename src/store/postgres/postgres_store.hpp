// The server backend: a PostgreSQL 15 database (postgresql://user@host:port/dbname) that many
// Juwei processes and communities share. Opening one checks that the database compares text
// byte by byte (collation C) and holds Juwei's schema, creating it in an empty database and
// applying pending migrations (forward only); a database of another program or of a newer
// Juwei is refused, never touched.
//
// Thread safety: the Store may be shared between threads. Each Transaction runs on its own
// pooled connection; writers to one community serialize on that community's advisory lock
// (session.hpp), readers run beside them on a snapshot. A connection the server dropped is
// replaced when next used, so Juwei outlives a database restart.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "store/store.hpp"

namespace juwei::store::postgres {

struct Options {
  // Connections kept at most; opened when first needed.
  std::size_t pool_size = 8;
  // How long a transaction waits for a free connection before busy.
  std::chrono::milliseconds acquire_timeout{5000};
  // How long a statement waits for a lock (a community's, a row's) before busy: the SQLite
  // backend's busy timeout.
  std::chrono::milliseconds lock_timeout{5000};
};

// Errors carry one line for a person: "cannot connect to PostgreSQL at 127.0.0.1:5999:
// connection refused" (unavailable: a wrong password or a missing database too, since libpq
// gives no SQLSTATE for a failed connection), "... is not a Juwei database" (corrupt), "... uses
// collation en_US.UTF-8 ..." (corrupt), "... was written by a newer Juwei" (too_new). Never the
// password.
Result<std::unique_ptr<Store>> open(std::string_view url, const Options& options = {});

}  // namespace juwei::store::postgres
