#include "store/sqlite/backup.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <thread>

#include "store/sqlite/db.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace juwei::store::sqlite {
namespace {

namespace fs = std::filesystem;

struct BackupFinisher {
  void operator()(sqlite3_backup* b) const { sqlite3_backup_finish(b); }
};

Error io_error(std::string message) {
  return Error{Error::Kind::io, std::move(message)};
}

Error corrupt(const fs::path& path, std::string_view why) {
  return Error{Error::Kind::corrupt, fmt::format("{} is damaged: {}", path.string(), why)};
}

// fsync of a file or a folder (a folder's entry for a renamed file is durable only then).
Result<void> sync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(io_error("cannot open " + path.string() + " to sync it"));
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return std::unexpected(io_error("cannot sync " + path.string()));
  return {};
}

fs::path folder_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// Runs `sql`, handing each row it returns to `row`.
template <typename Row>
Result<void> each_row(sqlite3* db, const char* sql, Row row) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, sql));
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW)
    row(raw);
  if (rc != SQLITE_DONE) return std::unexpected(make_error(db, rc, sql));
  return {};
}

std::string text_of(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return text == nullptr ? std::string() : std::string(text);
}

}  // namespace

Result<void> copy_database(const fs::path& from, const fs::path& to, const CopyOptions& options) {
  std::error_code ec;
  if (fs::exists(to, ec)) return std::unexpected(io_error(to.string() + " exists already"));
  // Read-write but query-only: as the last connection to close, it folds the log back in and
  // removes it instead of leaving -wal and -shm beside an idle database.
  auto source = open_connection(from, SQLITE_OPEN_READWRITE, "PRAGMA query_only = ON");
  if (!source) return std::unexpected(source.error());
  // The snapshot: a read transaction held until the copy ends. Steps then read only it, so
  // the copy never restarts however much the server writes meanwhile.
  if (auto r =
          exec(source->get(), "BEGIN; SELECT count(*) FROM sqlite_schema", "read " + from.string());
      !r) {
    return std::unexpected(r.error());
  }
  auto app_id = pragma_int(source->get(), "PRAGMA application_id");
  if (!app_id) return std::unexpected(app_id.error());
  if (*app_id != kApplicationId) {
    return std::unexpected(Error{Error::Kind::corrupt, from.string() + " is not a Juwei database"});
  }
  auto dest = open_connection(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "");
  if (!dest) return std::unexpected(dest.error());
  {
    std::unique_ptr<sqlite3_backup, BackupFinisher> backup(
        sqlite3_backup_init(dest->get(), "main", source->get(), "main"));
    if (!backup) {
      return std::unexpected(
          make_error(dest->get(), sqlite3_errcode(dest->get()), "start copying " + from.string()));
    }
    int rc = SQLITE_OK;
    while ((rc = sqlite3_backup_step(backup.get(), options.pages_per_step)) == SQLITE_OK) {
      if (options.progress) {
        const int total = sqlite3_backup_pagecount(backup.get());
        options.progress(total - sqlite3_backup_remaining(backup.get()), total);
      }
      std::this_thread::sleep_for(options.pause);
    }
    if (rc != SQLITE_DONE) {
      return std::unexpected(make_error(dest->get(), rc, "copy " + from.string()));
    }
    if (options.progress) {
      const int total = sqlite3_backup_pagecount(backup.get());
      options.progress(total, total);
    }
  }
  // The pages came with the live file's WAL mark: a rollback journal makes the copy one file.
  if (auto r = exec(dest->get(), "PRAGMA journal_mode = DELETE", "finish " + to.string()); !r) {
    return std::unexpected(r.error());
  }
  dest->reset();
  source->reset();
  if (auto r = sync_path(to); !r) return r;
  return sync_path(folder_of(to));
}

Result<DatabaseFacts> check_database(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return std::unexpected(io_error("no database file at " + path.string()));
  }
  DatabaseFacts facts;
  facts.bytes = fs::file_size(path, ec);
  auto db = open_connection(path, SQLITE_OPEN_READONLY, "");
  if (!db) return std::unexpected(db.error());
  auto app_id = pragma_int(db->get(), "PRAGMA application_id");
  if (!app_id) return std::unexpected(corrupt(path, app_id.error().message));
  if (*app_id != kApplicationId) {
    return std::unexpected(Error{Error::Kind::corrupt, path.string() + " is not a Juwei database"});
  }
  auto version = pragma_int(db->get(), "PRAGMA user_version");
  auto page_size = pragma_int(db->get(), "PRAGMA page_size");
  auto pages = pragma_int(db->get(), "PRAGMA page_count");
  if (!version || !page_size || !pages) {
    return std::unexpected(corrupt(path, (!version     ? version
                                          : !page_size ? page_size
                                                       : pages)
                                             .error()
                                             .message));
  }
  const int latest = static_cast<int>(migrations().size());
  if (*version > latest) {
    return std::unexpected(Error{
        Error::Kind::too_new,
        fmt::format("{} has schema version {}, newer than this Juwei knows ({}); use a newer juwei",
                    path.string(), *version, latest)});
  }
  if (*version < 1) return std::unexpected(corrupt(path, "it has no schema version"));
  const std::uintmax_t expected = static_cast<std::uintmax_t>(*pages * *page_size);
  if (facts.bytes < expected) {
    return std::unexpected(
        corrupt(path, fmt::format("{} bytes of its {} pages' {}", facts.bytes, *pages, expected)));
  }
  std::string verdict;  // the first line: "ok", or the first problem
  auto checked = each_row(db->get(), "PRAGMA integrity_check", [&](sqlite3_stmt* row) {
    if (verdict.empty()) verdict = text_of(row, 0);
  });
  if (!checked) return std::unexpected(corrupt(path, checked.error().message));
  if (verdict != "ok") {
    // Its first problem may span lines ("*** in database main ***\nPage 187: ..."): one line.
    std::ranges::replace(verdict, '\n', ' ');
    return std::unexpected(corrupt(path, "integrity_check: " + verdict));
  }
  // SQLite takes a bare column of an aggregate query from the row that max() picked.
  auto heads = each_row(db->get(),
                        "SELECT community_id, max(seq), hash FROM audit_log "
                        "GROUP BY community_id ORDER BY community_id",
                        [&](sqlite3_stmt* row) {
                          facts.heads.push_back({sqlite3_column_int64(row, 0),
                                                 sqlite3_column_int64(row, 1), text_of(row, 2)});
                        });
  if (!heads) return std::unexpected(corrupt(path, heads.error().message));
  facts.pages = *pages;
  facts.schema_version = static_cast<int>(*version);
  return facts;
}

Result<void> ensure_closed(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  auto db = open_connection(path, SQLITE_OPEN_READWRITE, "");
  if (!db) return std::unexpected(db.error());
  // Every connection to a WAL database holds a shared lock on the file while it is open, and
  // leaving WAL mode needs the exclusive one: it fails at once while any other is open.
  sqlite3_busy_timeout(db->get(), 0);
  auto r = exec(db->get(), "PRAGMA journal_mode = DELETE", "check " + path.string());
  if (!r && r.error().kind == Error::Kind::busy) {
    return std::unexpected(
        Error{Error::Kind::busy,
              fmt::format("{} is open in another process (a running `juwei serve`?): stop it first",
                          path.string())});
  }
  // A file that is no database at all is in no server's use.
  if (!r && r.error().kind != Error::Kind::corrupt) return r;
  return {};
}

Result<void> replace_database(const fs::path& from, const fs::path& to) {
  if (auto r = ensure_closed(to); !r) return r;
  std::error_code ec;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    fs::path side = to;
    side += suffix;
    fs::remove(side, ec);
    if (ec)
      return std::unexpected(io_error("cannot remove " + side.string() + ": " + ec.message()));
  }
  fs::rename(from, to, ec);
  if (ec) {
    return std::unexpected(io_error(
        fmt::format("cannot move {} to {}: {}", from.string(), to.string(), ec.message())));
  }
  return sync_path(folder_of(to));
}

}  // namespace juwei::store::sqlite
