#include "service/migrate.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "service/exits.hpp"
#include "service/files.hpp"
#include "service/open_store.hpp"
#include "service/pass_keys.hpp"
#include "service/registry.hpp"
#include "service/transaction.hpp"
#include "store/backends/open.hpp"

namespace juwei::service {
namespace {

namespace fs = std::filesystem;

// What the community's records need from the laptop's data folder: its pass signing keys (by
// key id) and the contents of its proofs (by digest).
struct FilesOfCommunity {
  std::vector<std::uint32_t> keys;
  std::set<std::string> proofs;
};

Result<FilesOfCommunity> files_of(store::Store& source, domain::CommunityId c) {
  return in_transaction(source, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<FilesOfCommunity> {
                          FilesOfCommunity files;
                          auto keys = lift(tx.list_signing_keys(c));
                          if (!keys) return std::unexpected(keys.error());
                          for (const store::SigningKey& k : *keys)
                            files.keys.push_back(k.key_id);
                          // Proofs hang off requests: page through every request, and take each
                          // one's proofs.
                          store::ExitRequestQuery q{.community_id = c, .limit = 500};
                          while (true) {
                            auto page = lift(tx.list_exit_requests(q));
                            if (!page) return std::unexpected(page.error());
                            for (const store::ExitRequest& r : *page) {
                              auto proofs = lift(tx.list_proofs(c, r.id));
                              if (!proofs) return std::unexpected(proofs.error());
                              for (const store::Proof& p : *proofs)
                                files.proofs.insert(p.digest);
                            }
                            if (page->size() < q.limit) break;
                            q.after = page->back().id;
                          }
                          return files;
                        });
}

// The files a move wrote, removed again unless kept (the move did not commit).
class WrittenFiles {
 public:
  WrittenFiles() = default;
  WrittenFiles(const WrittenFiles&) = delete;
  WrittenFiles& operator=(const WrittenFiles&) = delete;
  ~WrittenFiles() {
    std::error_code ec;
    for (const fs::path& p : m_paths)
      fs::remove(p, ec);
  }
  void add(fs::path p) { m_paths.push_back(std::move(p)); }
  void keep() { m_paths.clear(); }

 private:
  std::vector<fs::path> m_paths;
};

// Writes `bytes` as the new file `to` (0600, durable, whole or not at all: written beside it,
// then renamed). A file already there is refused, never overwritten.
Result<void> write_new_file(const fs::path& to, const std::string& bytes, WrittenFiles& written) {
  if (auto r = make_private_folder(to.parent_path()); !r) return r;
  std::error_code ec;
  if (fs::exists(to, ec)) {
    return std::unexpected(Error::conflict(
        fmt::format("{} exists already on the server's side: it is not overwritten; nothing moved",
                    to.string())));
  }
  if (auto r = write_private_file_whole(to, bytes); !r) return r;
  written.add(to);
  if (!sync_folder(to.parent_path())) {
    return std::unexpected(Error::invalid("cannot sync " + to.parent_path().string()));
  }
  return {};
}

// Copies the community's keys (named by its new id there) and proofs from the laptop's data
// folder into the server's.
Result<void> copy_files(const FilesOfCommunity& files, const fs::path& from, const fs::path& to,
                        domain::CommunityId old_id, domain::CommunityId new_id,
                        MigrateReport& report, WrittenFiles& written) {
  // The keys folder of a data folder, as service::Exits keeps it.
  const fs::path from_keys = from / "keys";
  const fs::path to_keys = to / "keys";
  for (const std::uint32_t key : files.keys) {
    const fs::path source = pass_key_file(from_keys, old_id, key);
    const std::string bytes = read_file(source);
    if (bytes.empty()) {
      report.missing_files.push_back(source.string());
      continue;
    }
    if (auto r = write_new_file(pass_key_file(to_keys, new_id, key), bytes, written); !r) return r;
    ++report.key_files;
  }
  for (const std::string& digest : files.proofs) {
    const fs::path target = proof_path(to, digest);
    std::error_code ec;
    // Stored by content: a file of that name is these bytes (another community's upload).
    if (fs::exists(target, ec)) {
      ++report.proof_files;
      continue;
    }
    const fs::path source = proof_path(from, digest);
    std::string bytes = read_file(source);
    if (bytes.empty() && !fs::exists(source, ec)) {
      report.missing_files.push_back(source.string());
      continue;
    }
    if (auto r = write_new_file(target, bytes, written); !r) return r;
    ++report.proof_files;
  }
  return {};
}

// The laptop's file, after checking that the URLs name a SQLite file that exists and a
// PostgreSQL database.
Result<fs::path> check_urls(const MigrateRequest& request) {
  auto from = store::backends::parse_url(request.from);
  if (!from || from->kind != store::backends::Kind::sqlite) {
    return std::unexpected(
        Error::invalid("--from wants the laptop's database: sqlite:PATH (" + request.from + ")"));
  }
  std::error_code ec;
  if (!fs::is_regular_file(from->file, ec)) {
    return std::unexpected(Error::invalid("no database at " + from->file.string()));
  }
  auto to = store::backends::parse_url(request.to);
  if (!to || to->kind != store::backends::Kind::postgresql) {
    return std::unexpected(
        Error::invalid("--to wants the server's database: postgresql://USER@HOST:PORT/DBNAME (" +
                       request.to + ")"));
  }
  return from->file;
}

}  // namespace

Result<MigrateReport> migrate_community(const MigrateRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  auto file = check_urls(request);
  if (!file) return std::unexpected(file.error());

  // Both databases through the normal open: migrated to this Juwei's schema, or refused.
  auto source = open_store(request.from);
  if (!source) return std::unexpected(source.error());
  Registry registry(**source, system_clock());
  auto community = registry.resolve_community(
      request.community.empty() ? std::nullopt
                                : std::optional<std::string_view>(request.community));
  if (!community) return std::unexpected(community.error());
  // A break found on the server must not be one the move could have made.
  auto before = verify_audit(**source, community->id);
  if (!before) return std::unexpected(before.error());
  if (before->first_bad) {
    return std::unexpected(Error::conflict(fmt::format(
        "the audit chain of '{}' is already broken on the laptop at record {} ({}): not moved",
        community->name, *before->first_bad, before->problem)));
  }
  auto files = files_of(**source, community->id);
  if (!files) return std::unexpected(files.error());
  auto target = open_store(request.to);
  if (!target) return std::unexpected(target.error());

  auto pending = lift(store::backends::write_community(*file, community->id, request.to));
  if (!pending) return std::unexpected(pending.error());
  MigrateReport report;
  report.source = (*pending)->source();
  report.target = (*pending)->target();
  report.tables.assign((*pending)->tables().begin(), (*pending)->tables().end());
  report.left.assign((*pending)->left().begin(), (*pending)->left().end());

  WrittenFiles written;
  if (auto r = copy_files(*files, data_folder(request.from), data_folder(request.to),
                          report.source.id, report.target.id, report, written);
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = lift((*pending)->commit()); !r) return std::unexpected(r.error());
  written.keep();

  auto after = verify_audit(**target, report.target.id);
  if (!after) return std::unexpected(after.error());
  report.audit = std::move(*after);
  auto laptop = verify_audit(**source, community->id);
  if (!laptop) return std::unexpected(laptop.error());
  report.laptop_audit = std::move(*laptop);
  report.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return report;
}

}  // namespace juwei::service
