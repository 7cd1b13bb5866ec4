// Opens the database a --db URL names: "sqlite:PATH" (or a bare PATH) for the embedded store,
// "postgresql://user@host:port/dbname" for a server; store/backends chooses the backend.
// backup.cpp, which copies SQLite files, is the one place in service that knows a backend.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

inline constexpr std::string_view kDefaultDatabase = "sqlite:juwei-data/juwei.db";

Result<std::unique_ptr<store::Store>> open_store(std::string_view url);

// The file of a sqlite: URL (or a bare PATH); invalid for any other URL.
Result<std::filesystem::path> sqlite_file(std::string_view url);

// The data folder of a --db URL, where the pass signing keys and uploaded proofs live: the
// folder of the SQLite file ("juwei-data"), or juwei-data/DBNAME for a PostgreSQL database.
std::filesystem::path data_folder(std::string_view url);

}  // namespace juwei::service
