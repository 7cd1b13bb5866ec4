// Where the program chooses its backend: a --db URL becomes a Store. The rest of Juwei sees
// only store::Store; this is the one place that knows every backend.
//
//   sqlite:PATH or a bare PATH          the embedded database (store/sqlite)
//   postgresql://user@host:port/name    a PostgreSQL server (store/postgres); postgres:// too
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "store/store.hpp"

namespace juwei::store::backends {

enum class Kind { sqlite, postgresql };

struct Target {
  Kind kind = Kind::sqlite;
  std::filesystem::path file;  // sqlite: the database file
  std::string url;             // postgresql: the connection URL as given
};

// What a --db URL names; an unknown scheme or an empty path is an Error (Kind::io, with a
// message for people).
Result<Target> parse_url(std::string_view url);

// Opens (creating when new, migrating when old) the database `url` names. A SQLite file's
// folder is created when missing.
Result<std::unique_ptr<Store>> open(std::string_view url);

}  // namespace juwei::store::backends
