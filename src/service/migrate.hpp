// juwei migrate: a committee that began on a laptop (SQLite) moves onto the district's server
// (PostgreSQL) with everything it has: every record (store/backends/move_community.hpp), its
// audit chain, which verifies on the server as it did on the laptop (its chain id moves with
// it), and the files beside the database that its records need, its pass signing keys (so the
// passes it issued still verify) and its uploaded proofs. A community already on the server, or
// a username taken there, is refused with nothing written.
//
// The rows go in one transaction of the server; the files are copied before it commits and
// removed again if it does not. The laptop is only read. Not thread-safe; one move at a time
// per community (a second finds the name taken).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "service/audit.hpp"
#include "service/error.hpp"
#include "store/backends/move_community.hpp"

namespace juwei::service {

struct MigrateRequest {
  std::string from;       // sqlite:PATH (or a bare PATH): the laptop's database
  std::string to;         // postgresql://USER@HOST:PORT/DBNAME: the server's
  std::string community;  // its name or id on the laptop; empty: the laptop's only one
};

struct MigrateReport {
  domain::Community source;  // as the laptop has it
  domain::Community target;  // as the server has it now: a new id, the same chain id
  std::vector<store::backends::MovedTable> tables;
  std::vector<store::backends::LeftTable> left;
  std::size_t key_files = 0;    // pass signing keys copied
  std::size_t proof_files = 0;  // uploaded proofs copied (or found there already)
  // Files the laptop's records name but its data folder lacks: not copied (they were lost there).
  std::vector<std::string> missing_files;
  AuditCheck audit;  // the chain on the server, walked after the move
  // The chain on the laptop, walked again after the move: more records than the server's are
  // changes the laptop made while it was moving (still running `juwei serve`), not moved.
  AuditCheck laptop_audit;
  std::chrono::milliseconds took{};
};

// Moves the community. Refuses (nothing written): --from that is not a SQLite file that exists,
// --to that is not PostgreSQL, a database either side that this Juwei cannot open (another
// program's, a newer Juwei's), several communities on the laptop without `community`, a chain
// that is already broken on the laptop, a name or username the server has (conflict).
Result<MigrateReport> migrate_community(const MigrateRequest& request);

}  // namespace juwei::service
