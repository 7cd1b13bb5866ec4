// The PostgreSQL schema as forward-only steps, and the one place that applies them. Internal to
// store/postgres.
//
// PostgreSQL support begins at the schema version SQLite had reached then (kBaselineVersion):
// the baseline is the whole schema (schema.sql, built into the binary) and runs only on an empty
// database; each later step moves a database one version up. migrate() runs inside one
// transaction that holds an advisory lock, so two Juwei processes opening the same database at
// once never both create or migrate it: the second waits, then finds the work done.
#pragma once

#include <span>
#include <string_view>

#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace juwei::store::postgres {

inline constexpr int kBaselineVersion = 17;

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every step in order, the baseline first; versions rise by one. Never edit a released step:
// add one.
std::span<const Migration> migrations();

// schema.sql: generated into the build from src/store/postgres/schema.sql (see CMakeLists.txt).
std::string_view schema_sql();

// Brings the database `conn` is connected to up to the latest version and returns it. `where`
// names the database in messages. Refuses, without changing anything: a database with tables but
// no Juwei mark (corrupt "not a Juwei database"), one from a newer Juwei (too_new).
Result<int> migrate(Connection& conn, std::string_view where);

}  // namespace juwei::store::postgres
