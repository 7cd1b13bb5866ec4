// juwei migrate: moves a community that began on a laptop (SQLite) onto the district's server
// (PostgreSQL), audit chain, signing keys and proofs included; then walks the chain on the
// server and prints what moved. Acts as the operator at the machine.
#include <fmt/format.h>

#include <iostream>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "service/migrate.hpp"

namespace juwei::cli {

void add_migrate_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "migrate",
      "Move a laptop's community onto a PostgreSQL server: records, audit chain, keys, proofs");
  auto request = std::make_shared<service::MigrateRequest>();
  cmd->add_option("--from", request->from,
                  "The laptop's database: sqlite:PATH (--community NAME picks one of several)")
      ->required();
  cmd->add_option("--to", request->to, "The server's database: postgresql://USER@HOST:PORT/DBNAME")
      ->required();
  cmd->callback([&g, request] {
    request->community = g.community;
    const auto report = check(service::migrate_community(*request));
    std::cout << fmt::format(
        "moved '{}' (community {} on the laptop) onto the server as community {} in {:.2f} s\n",
        report.source.name, report.source.id, report.target.id,
        static_cast<double>(report.took.count()) / 1000.0);
    Table table({"table", "rows"});
    std::int64_t rows = 0;
    for (const auto& t : report.tables) {
      table.add({t.name, std::to_string(t.rows)});
      rows += t.rows;
    }
    table.add({"(all)", std::to_string(rows)});
    table.print(std::cout);
    for (const auto& t : report.left)
      std::cout << fmt::format("not moved: {} ({})\n", t.name, t.why);
    std::cout << fmt::format("files: {} pass signing keys, {} proofs\n", report.key_files,
                             report.proof_files);
    for (const std::string& missing : report.missing_files)
      std::cerr << fmt::format("note: {} is missing on the laptop; not copied\n", missing);
    if (report.laptop_audit.records > report.audit.records) {
      std::cerr << fmt::format(
          "note: the laptop's trail has {} records, the server's {}: the laptop changed while "
          "moving (stop juwei there first); those changes are not on the server\n",
          report.laptop_audit.records, report.audit.records);
    }
    if (report.audit.first_bad) {
      std::cout << fmt::format(
          "audit chain on the server: 审计记录被改动 (broken) at record {}: {}\n",
          *report.audit.first_bad, report.audit.problem);
      fail(service::Error::internal("moved, but the audit chain does not verify on the server: " +
                                    report.audit.problem));
    }
    std::cout << fmt::format("audit chain on the server: 完好 (intact): {} records, head {}\n",
                             report.audit.records,
                             report.audit.head.empty() ? "-" : report.audit.head);
  });
}

}  // namespace juwei::cli
