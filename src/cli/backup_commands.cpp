// juwei backup; juwei restore: a copy of the database and its data folder while the server
// runs, and the way back from one (service/backup.hpp says what a backup holds).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "cli/common.hpp"
#include "service/backup.hpp"

namespace juwei::cli {
namespace {

using service::Error;

std::string heads_text(const std::vector<store::AuditHead>& heads) {
  if (heads.empty()) return "audit trail empty";
  std::string text;
  for (const store::AuditHead& h : heads) {
    text += fmt::format("{}audit head of community {}: record {} {}", text.empty() ? "" : ", ",
                        h.community_id, h.seq, h.hash);
  }
  return text;
}

std::string files_text(std::size_t files) {
  return fmt::format("{} file{} of keys/, proofs/, tls/", files, files == 1 ? "" : "s");
}

std::string size_text(std::uintmax_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

// Where a command writes to or reads from, and whether it may replace what is there.
struct Target {
  std::string path;
  bool force = false;
};

std::shared_ptr<Target> add_target(CLI::App& cmd, const char* option, const char* help,
                                   const char* force_help) {
  auto target = std::make_shared<Target>();
  cmd.add_option(option, target->path, help)->required();
  cmd.add_flag("--force", target->force, force_help);
  return target;
}

// juwei backup --out FOLDER
void add_backup(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "backup",
      "Copy the database (while the server runs), its pass signing keys, proofs and TLS files "
      "into a new folder");
  auto args =
      add_target(*cmd, "--out", "The backup folder to create (keep it private: it holds keys)",
                 "Replace an existing backup at --out");
  cmd->callback([&g, args] {
    service::BackupOptions options;
    options.force = args->force;
    const bool terminal = isatty(STDERR_FILENO) != 0;
    if (terminal) {
      options.progress = [](std::int64_t copied, std::int64_t total) {
        std::cerr << fmt::format("\rcopied {} of {} pages", copied, total) << std::flush;
      };
    }
    const auto started = std::chrono::steady_clock::now();
    auto report = service::backup(g.db, args->path, options);
    if (terminal) std::cerr << '\n';
    const auto made = check(std::move(report));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    std::cout << fmt::format(
        "backed up to {}: {} {}, {} pages, schema version {}; {}; {}; {:.2f} s\n",
        made.folder.string(), service::kBackupDatabase, size_text(made.database.bytes),
        made.database.pages, made.database.schema_version, files_text(made.files),
        heads_text(made.database.heads), took.count());
  });
}

// juwei restore --from FOLDER
void add_restore(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "restore",
      "Restore a backup folder as --db, its keys, proofs and TLS files beside it; stop the "
      "server first");
  auto args = add_target(*cmd, "--from", "The backup folder (or a database file alone)",
                         "Replace an existing database (its data is lost)");
  cmd->callback([&g, args] {
    const auto done = check(service::restore(args->path, g.db, args->force));
    std::cout << fmt::format("restored {} from {} ({} pages, schema version {}) and {} beside it\n",
                             done.database.string(), args->path, done.backup.pages,
                             done.backup.schema_version, files_text(done.files));
    if (done.bare) {
      std::cerr << "note: a database file alone brings no pass signing keys: if they are lost, "
                   "`juwei passes rotate-key` makes new ones (passes issued before still verify)\n";
    }
    const service::CommunityAudit* broken = nullptr;
    for (const service::CommunityAudit& a : done.audits) {
      if (a.check.first_bad) {
        std::cout << fmt::format("{} (id {}): 审计记录被改动 (broken) at record {}: {}\n",
                                 a.community.name, a.community.id, *a.check.first_bad,
                                 a.check.problem);
        if (broken == nullptr) broken = &a;
        continue;
      }
      std::cout << fmt::format("{} (id {}): 完好 (intact): {} records, head {}\n", a.community.name,
                               a.community.id, a.check.records,
                               a.check.head.empty() ? "-" : a.check.head);
    }
    if (broken != nullptr) {
      fail(Error::conflict(fmt::format("the restored audit trail of {} is broken: {}",
                                       broken->community.name, broken->check.problem)));
    }
  });
}

}  // namespace

void add_backup_commands(CLI::App& app, Globals& g) {
  add_backup(app, g);
  add_restore(app, g);
}

}  // namespace juwei::cli
