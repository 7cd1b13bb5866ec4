// The connection handle and the few calls on it that every file of the SQLite backend makes:
// opening a configured connection, running SQL, reading one integer, and mapping SQLite's
// result codes to store::Error. Internal to store/sqlite. A connection is used by one thread
// at a time (connections open with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "store/store.hpp"

namespace juwei::store::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

// `what` failed with `rc`: busy, conflict, corrupt or io, with SQLite's message.
Error make_error(sqlite3* db, int rc, std::string_view what);

// Runs one or more statements that return no rows.
Result<void> exec(sqlite3* db, std::string_view sql, std::string_view what);

// The first column of the first row of `sql` (0 when there is no row).
Result<std::int64_t> pragma_int(sqlite3* db, const char* sql);

// Opens `path` with `flags`, a 5 s busy timeout and extended result codes, then runs `setup`.
Result<DbHandle> open_connection(const std::filesystem::path& path, int flags,
                                 std::string_view setup);

}  // namespace juwei::store::sqlite
