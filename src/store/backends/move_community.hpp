// Moving one community from a SQLite database (a committee that began on a laptop) into a
// PostgreSQL database (the district's server), for `juwei migrate`: its street office (found or
// made by name), its row of communities (a new id; its chain id kept, so its audit chain still
// verifies) and every row of every table that has a community_id column, with the new id and
// every other value as it was (per-community ids too, so references stay right), written with
// COPY in one transaction of the target. The tables and their columns come from the source's
// catalog, in foreign-key order: a table a later schema adds moves with no change here, and a
// table this cannot move (no community_id, and not streets or communities) is refused, never
// left behind.
//
// Both databases must be at this Juwei's schema version: the caller opens each through open()
// first, which migrates it or refuses it. The source is read in one snapshot. Not thread-safe:
// a PendingMove belongs to the thread that made it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace juwei::store::backends {

struct MovedTable {
  std::string name;
  std::int64_t rows = 0;
};

// A table of the community that is not moved, and why.
struct LeftTable {
  std::string name;
  std::string_view why;
};

// The community written into the target, its transaction still open: commit() makes it so,
// and destroying it uncommitted rolls every row back.
class PendingMove {
 public:
  virtual ~PendingMove() = default;
  // As the source has it, and as the target will (its new id, the same chain id).
  virtual const domain::Community& source() const = 0;
  virtual const domain::Community& target() const = 0;
  // Rows per table, in the order written.
  virtual std::span<const MovedTable> tables() const = 0;
  virtual std::span<const LeftTable> left() const = 0;
  virtual Result<void> commit() = 0;
};

// Writes community `community` of the SQLite file `source` into the PostgreSQL database at
// `target_url`, uncommitted. Refuses, writing nothing: a community of the same name on the
// target, or a username of the community taken there (conflict, naming it); a source table it
// cannot move, or a target table without the source's columns (io).
Result<std::unique_ptr<PendingMove>> write_community(const std::filesystem::path& source,
                                                     domain::CommunityId community,
                                                     std::string_view target_url);

}  // namespace juwei::store::backends
