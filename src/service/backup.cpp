#include "service/backup.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include "service/files.hpp"
#include "service/open_store.hpp"
#include "service/transaction.hpp"
#include "store/sqlite/backup.hpp"

namespace juwei::service {
namespace {

namespace fs = std::filesystem;

// The data folder's sub-folders a backup carries (see backup.hpp for why each).
constexpr const char* kCarried[] = {"keys", "proofs", "tls"};

// What the backend reports about files is the user's to fix: a path, a permission, a full disk,
// a damaged or foreign file, a running server.
Error user_error(const store::Error& e) {
  return Error::invalid(e.message);
}

fs::path sibling(const fs::path& path, std::string_view suffix) {
  fs::path p = path;
  p += fmt::format(".{}-{}", suffix, ::getpid());
  return p;
}

fs::path folder_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// Removes a file or folder on scope exit unless released: what a failed call leaves behind.
class Scratch {
 public:
  explicit Scratch(fs::path path) : m_path(std::move(path)) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    std::error_code ec;
    if (!m_path.empty()) fs::remove_all(m_path, ec);
  }
  const fs::path& path() const { return m_path; }
  void release() { m_path.clear(); }

 private:
  fs::path m_path;
};

// Copies the files under `from` to the same names under `to`, each written whole beside its
// target and renamed over it, 0600 in 0700 folders, fsynced with its folder. Files still being
// written (*.part) and files that vanish meanwhile are skipped. Returns how many were copied.
Result<std::size_t> copy_private_tree(const fs::path& from, const fs::path& to) {
  std::error_code walk;
  if (!fs::is_directory(from, walk)) return 0;
  std::size_t copied = 0;
  std::set<fs::path> folders;
  for (auto it = fs::recursive_directory_iterator(from, walk); !walk && it != fs::end(it);
       it.increment(walk)) {
    std::error_code ec;
    if (!it->is_regular_file(ec) || it->path().extension() == ".part") continue;
    const auto size = fs::file_size(it->path(), ec);
    if (ec) continue;  // removed meanwhile: the file of an upload that failed
    const std::string bytes = read_file(it->path());
    if (bytes.size() != size) {
      return std::unexpected(Error::invalid("cannot read " + it->path().string()));
    }
    const fs::path target = to / it->path().lexically_relative(from);
    if (auto r = make_private_folder(target.parent_path()); !r) return std::unexpected(r.error());
    if (auto r = write_private_file_whole(target, bytes); !r) return std::unexpected(r.error());
    folders.insert(target.parent_path());
    ++copied;
  }
  if (walk) {
    return std::unexpected(Error::invalid("cannot read " + from.string() + ": " + walk.message()));
  }
  for (const fs::path& folder : folders) {
    if (!sync_folder(folder)) {
      return std::unexpected(Error::invalid("cannot sync " + folder.string()));
    }
  }
  return copied;
}

Result<std::size_t> copy_carried(const fs::path& from, const fs::path& to) {
  std::size_t copied = 0;
  for (const char* sub : kCarried) {
    auto n = copy_private_tree(from / sub, to / sub);
    if (!n) return n;
    copied += *n;
  }
  return copied;
}

// Every community's audit chain in the database `url` names, walked from its first record.
Result<std::vector<CommunityAudit>> verify_all(std::string_view url) {
  auto db = open_store(url);
  if (!db) return std::unexpected(db.error());
  auto communities = in_transaction(**db, store::TxMode::read, [](store::Transaction& tx) {
    return lift(tx.list_communities());
  });
  if (!communities) return std::unexpected(communities.error());
  std::vector<CommunityAudit> audits;
  for (domain::Community& c : *communities) {
    auto check = verify_audit(**db, c.id);
    if (!check) return std::unexpected(check.error());
    audits.push_back({std::move(c), std::move(*check)});
  }
  return audits;
}

}  // namespace

Result<BackupReport> backup(std::string_view url, const fs::path& folder,
                            const BackupOptions& options) {
  // "monday/" names the folder "monday": the scratch folder goes beside it, not into it.
  const fs::path out = folder.has_filename() ? folder : folder.parent_path();
  auto source = sqlite_file(url);
  if (!source) return std::unexpected(source.error());
  std::error_code ec;
  if (!fs::is_regular_file(*source, ec)) {
    return std::unexpected(Error::invalid("no database at " + source->string()));
  }
  const bool replace = fs::exists(out, ec);
  if (replace && !options.force) {
    return std::unexpected(Error::conflict(out.string() + " exists already; --force replaces it"));
  }
  Scratch made(sibling(out, "partial"));
  fs::remove_all(made.path(), ec);
  if (auto r = make_private_folder(made.path()); !r) return std::unexpected(r.error());

  BackupReport report;
  const fs::path copy = made.path() / kBackupDatabase;
  store::sqlite::CopyOptions copying;
  copying.progress = options.progress;
  if (auto r = store::sqlite::copy_database(*source, copy, copying); !r) {
    return std::unexpected(user_error(r.error()));
  }
  auto facts = store::sqlite::check_database(copy);
  if (!facts) return std::unexpected(user_error(facts.error()));
  report.database = std::move(*facts);
  fs::permissions(copy, fs::perms::owner_read | fs::perms::owner_write, ec);
  // After the copy: every key and proof the copy points at was on disk before it began.
  auto files = copy_carried(data_folder(url), made.path());
  if (!files) return std::unexpected(files.error());
  report.files = *files;
  if (!sync_folder(made.path())) {
    return std::unexpected(Error::invalid("cannot sync " + made.path().string()));
  }

  // Into place in one rename. An old backup is swapped with the new one in the same step (the
  // scratch folder then holds the old one and goes); no other appears at `out` meanwhile.
  const unsigned flags = replace ? RENAME_EXCHANGE : RENAME_NOREPLACE;
  if (::renameat2(AT_FDCWD, made.path().c_str(), AT_FDCWD, out.c_str(), flags) != 0) {
    return std::unexpected(Error::invalid(fmt::format(
        "cannot move {} to {}: {}", made.path().string(), out.string(), std::strerror(errno))));
  }
  if (!replace) made.release();
  if (!sync_folder(folder_of(out))) {
    return std::unexpected(Error::invalid("cannot sync " + folder_of(out).string()));
  }
  report.folder = out;
  return report;
}

Result<RestoreReport> restore(const fs::path& from, std::string_view url, bool force) {
  auto target = sqlite_file(url);
  if (!target) return std::unexpected(target.error());
  std::error_code ec;
  RestoreReport report;
  report.bare = !fs::is_directory(from, ec);
  const fs::path backup_db = report.bare ? from : from / kBackupDatabase;
  if (!fs::exists(backup_db, ec)) {
    return std::unexpected(Error::invalid("no backup at " + backup_db.string()));
  }
  auto facts = store::sqlite::check_database(backup_db);
  if (!facts) {
    return std::unexpected(
        Error::invalid("not a usable backup: " + user_error(facts.error()).message));
  }
  report.backup = std::move(*facts);
  if (fs::exists(*target, ec) && !force) {
    return std::unexpected(Error::conflict(target->string() +
                                           " exists already; --force replaces it (its data "
                                           "is lost: back it up first)"));
  }
  if (auto r = store::sqlite::ensure_closed(*target); !r) {
    return std::unexpected(user_error(r.error()));
  }
  if (auto r = make_private_folder(folder_of(*target)); !r) return std::unexpected(r.error());

  // A fresh copy beside the target; the files before the database, so that a restored
  // database never lacks its keys.
  Scratch copy(sibling(*target, "restoring"));
  fs::remove(copy.path(), ec);
  if (auto r = store::sqlite::copy_database(backup_db, copy.path()); !r) {
    return std::unexpected(user_error(r.error()));
  }
  if (!report.bare) {
    auto files = copy_carried(from, data_folder(url));
    if (!files) return std::unexpected(files.error());
    report.files = *files;
  }
  if (auto r = store::sqlite::replace_database(copy.path(), *target); !r) {
    return std::unexpected(user_error(r.error()));
  }
  copy.release();
  report.database = *target;

  auto audits = verify_all(url);
  if (!audits) return std::unexpected(audits.error());
  report.audits = std::move(*audits);
  return report;
}

}  // namespace juwei::service
