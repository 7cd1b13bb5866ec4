// Backups of a Juwei SQLite database while it is in use, and the checks a copy passes before it
// is trusted. The copy reads one snapshot through SQLite's online backup API in small steps: the
// server's writers (WAL) go on beside it and are never blocked. Each function opens its own
// connections and works on files, not on a Store. Thread-safe: nothing is shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "store/backup.hpp"
#include "store/store.hpp"

namespace juwei::store::sqlite {

struct CopyOptions {
  int pages_per_step = 256;            // 1 MiB of 4 KiB pages
  std::chrono::milliseconds pause{2};  // between steps: room for the server's disk and CPU
  // After each step: pages copied, pages in all.
  std::function<void(std::int64_t copied, std::int64_t total)> progress;
};

// Copies the database `from` into the new file `to` as of one moment, the copy's start: every
// write committed before it is in the copy, none after it. `to` must not exist; when this
// returns it is complete and fsynced, one file in rollback-journal mode (nothing beside it).
// corrupt when `from` is not a Juwei database; io when it cannot be read or `to` written.
Result<void> copy_database(const std::filesystem::path& from, const std::filesystem::path& to,
                           const CopyOptions& options = {});

// Whether `path` is a whole Juwei database this Juwei can open, and what it holds: corrupt when
// damaged (PRAGMA integrity_check, a file shorter than its pages), not a Juwei database or of
// no schema version; too_new when its schema is newer than this Juwei's. Opens it read-only.
Result<DatabaseFacts> check_database(const std::filesystem::path& path);

// Puts the database file `from` at `to` in one rename, in the same folder: `to`'s -wal, -shm and
// -journal belong to the file being replaced (SQLite would apply them to the new one) and go
// first. busy, changing nothing, when another process has `to` open (see ensure_closed).
Result<void> replace_database(const std::filesystem::path& from, const std::filesystem::path& to);

// ok when no other process has the database `path` open (or there is none there); busy when one
// has, as a running `juwei serve` always does. Checks by taking the lock that leaving WAL mode
// needs, so a database that is not in use leaves WAL mode, its log folded in.
Result<void> ensure_closed(const std::filesystem::path& path);

}  // namespace juwei::store::sqlite
