// The embedded backend: one SQLite file in WAL mode, foreign keys on, synchronous=FULL so an
// acknowledged commit survives a power cut. Opening a file applies every pending migration
// (forward only) in one transaction; a file from a newer Juwei is refused, never downgraded.
//
// Thread safety: the Store may be shared. Write transactions run one at a time on its writer
// connection, each in a savepoint of an outer transaction that concurrent writes share (group
// commit): commit() returns once the COMMIT that includes it is durable, so they share one
// fsync; a write destroyed without commit() undoes its own savepoint only. Reads run beside
// them on a pool of connections and see committed data only (an in-memory database reads on
// the writer, after committing any open batch).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "store/store.hpp"

struct sqlite3;

namespace juwei::store::sqlite {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
  // A step on the data that SQL alone cannot write, run after `sql` in the same transaction
  // (none: nullptr). It changes rows, never the schema: a file built from the SQL of every
  // migration has the latest schema.
  Result<void> (*data)(sqlite3* db) = nullptr;
};

// Every migration, in order; migrations()[i].version == i + 1. Never edit a released one:
// add a new one.
std::span<const Migration> migrations();

// The application_id stamped into every Juwei database file ("JUWE").
inline constexpr int kApplicationId = 0x4A555745;

Result<std::unique_ptr<Store>> open(const std::filesystem::path& path);

}  // namespace juwei::store::sqlite
