// What the command files share: the global options, failing with an Error, opening the
// database and finding the community a command acts on. Internal to cli.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "service/error.hpp"
#include "service/open_store.hpp"
#include "service/registry.hpp"
#include "service/resident_import.hpp"

namespace juwei::cli {

// What every command shares: the database and the community it acts on.
struct Globals {
  std::string db{service::kDefaultDatabase};
  std::string community;
};

// Thrown by a command to end with the exit code its Error kind maps to.
struct Failure {
  service::Error error;
};

[[noreturn]] void fail(service::Error e);

template <typename T>
T check(service::Result<T> r) {
  if (!r) fail(std::move(r.error()));
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

std::unique_ptr<store::Store> open_db(const Globals& g);
domain::Community community_of(service::Registry& registry, const Globals& g);
// The community of the global options, in an opened database.
domain::Community community_of(store::Store& db, const Globals& g);

text::Encoding encoding_option(const std::string& name);

// A stored UTC time as the desk reads it, in community time: "2022-04-04 10:00", the year left
// out today ("04-04 10:00"); the text as it is when it is not a time; "-" for none.
std::string local(std::string_view iso);

// Row problems of an import, one a line on stderr, at most `limit`.
void print_problems(const std::vector<service::RowProblem>& problems, std::size_t limit);
// Ends an import the service refused for its bad rows: what it would have done, then why not.
[[noreturn]] void refuse_file(const std::string& counts, std::int64_t rejected);

// juwei import results; rounds, results, tests, marks, home-sampling (screening_commands.cpp).
void add_results_import(CLI::App& import, Globals& g);
void add_screening_commands(CLI::App& app, Globals& g);
// juwei policy, requests, passes (pass_commands.cpp).
void add_pass_commands(CLI::App& app, Globals& g);
// juwei backup, restore (backup_commands.cpp).
void add_backup_commands(CLI::App& app, Globals& g);
// juwei community: the communities of the database (community_commands.cpp).
void add_community_commands(CLI::App& app, Globals& g);
// juwei zones: building status (zone_commands.cpp).
void add_zone_commands(CLI::App& app, Globals& g);
// juwei report: the daily report (report_commands.cpp).
void add_report_commands(CLI::App& app, Globals& g);
// juwei migrate: a laptop's community onto a server (migrate_command.cpp).
void add_migrate_command(CLI::App& app, Globals& g);

}  // namespace juwei::cli
