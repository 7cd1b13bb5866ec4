#include "store/sqlite/db.hpp"

#include <string>

namespace juwei::store::sqlite {

Error make_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  Error::Kind kind = Error::Kind::io;
  if (primary == SQLITE_CONSTRAINT) {
    kind = Error::Kind::conflict;
  } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    kind = Error::Kind::busy;
  } else if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    kind = Error::Kind::corrupt;
  }
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{kind, std::move(message)};
}

Result<void> exec(sqlite3* db, std::string_view sql, std::string_view what) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text = std::string(what) + ": " + (message != nullptr ? message : sqlite3_errstr(rc));
  sqlite3_free(message);
  Error e = make_error(db, rc, what);
  e.message = std::move(text);
  return std::unexpected(std::move(e));
}

Result<std::int64_t> pragma_int(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, sql));
  std::int64_t value = 0;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::unexpected(make_error(db, rc, sql));
  return value;
}

Result<DbHandle> open_connection(const std::filesystem::path& path, int flags,
                                 std::string_view setup) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    return std::unexpected(make_error(db.get(), rc, "open " + path.string()));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), 5000);
  if (auto r = exec(db.get(), setup, "configure " + path.string()); !r) {
    return std::unexpected(r.error());
  }
  return db;
}

}  // namespace juwei::store::sqlite
