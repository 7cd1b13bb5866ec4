// Backup and restore of a Juwei installation: its database, copied while `juwei serve` goes on
// writing, and the files of its data folder that it cannot work without. A backup is a folder:
//
//   juwei.db  the database as of the backup's moment (one SQLite file)
//   keys/     the private pass signing keys: without them no pass can be signed with the current
//             key (checking a pass needs only the public halves, which are in juwei.db)
//   proofs/   uploaded proofs and antigen photos, named by digest, as juwei.db points at them
//   tls/      the HTTPS certificate and its key, when the data folder has them
//
// All of it is its owner's only (files 0600, folders 0700): juwei.db holds ID numbers and phone
// numbers, keys/ and tls/ hold secrets. The database is copied first and the files after it: a
// key or a proof is written before the row that points at it commits, so every one the copy
// points at is in the folder. Nothing is replaced half-done: a backup is made beside its target
// and renamed into place; a restore checks the backup before it touches anything.
// Thread safety: calls share nothing; one call at a time per target.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

#include "domain/registry.hpp"
#include "service/audit.hpp"
#include "service/error.hpp"
#include "store/backup.hpp"

namespace juwei::service {

// The database's name in a backup folder.
inline constexpr std::string_view kBackupDatabase = "juwei.db";

struct BackupOptions {
  bool force = false;  // replace an existing backup at the target
  // Pages copied and pages in all, after each step of the copy.
  std::function<void(std::int64_t copied, std::int64_t total)> progress;
};

struct BackupReport {
  std::filesystem::path folder;
  store::DatabaseFacts database;  // of the copy, checked
  std::size_t files = 0;          // keys, proofs and TLS files copied beside it
};

// Backs up the database `url` names and its data folder into the new folder `folder`
// (conflict when it exists, unless options.force).
Result<BackupReport> backup(std::string_view url, const std::filesystem::path& folder,
                            const BackupOptions& options);

struct CommunityAudit {
  domain::Community community;
  AuditCheck check;
};

struct RestoreReport {
  std::filesystem::path database;
  store::DatabaseFacts backup;         // as checked before anything was touched
  std::size_t files = 0;               // restored into the data folder
  bool bare = false;                   // from a database file alone: no keys, proofs or TLS files
  std::vector<CommunityAudit> audits;  // every community's chain, verified after the restore
};

// Restores the backup folder `from` (or a bare database file) as the database `url` names, and
// its files into that database's data folder. invalid when `from` is missing, damaged or
// newer than this Juwei; conflict when the database exists and not `force`; invalid when a
// running server has it open, whatever `force` says.
Result<RestoreReport> restore(const std::filesystem::path& from, std::string_view url, bool force);

}  // namespace juwei::service
