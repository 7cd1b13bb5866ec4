// Raw SQLite for the baselines that measure what the database itself costs, with no Juwei code
// between: a connection and a prepared statement that own their handles, and failures that
// throw std::runtime_error so that a benchmark fails loudly. Header-only; a Db is used by one
// thread at a time, as SQLite's connections are.
#pragma once

#include <fmt/format.h>
#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>

namespace juwei::bench {

inline void check_sqlite(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(fmt::format("{}: {}", what, sqlite3_errmsg(db)));
  }
}

struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::filesystem::path& file) {
    if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
      sqlite3_close(db);  // sqlite3_open hands back a handle even when it fails
      throw std::runtime_error("cannot open " + file.string());
    }
  }
  ~Db() { sqlite3_close(db); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  void exec(const char* sql) const {
    check_sqlite(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql);
  }
};

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(const Db& d, const char* sql) {
    check_sqlite(sqlite3_prepare_v2(d.db, sql, -1, &s, nullptr), d.db, sql);
  }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
};

}  // namespace juwei::bench
