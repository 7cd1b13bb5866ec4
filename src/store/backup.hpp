// What a backend reports of a database file it copied for a backup or checked before a
// restore. Each backend copies and checks its own way (store/sqlite/backup.hpp); service's
// backup use cases pick the backend and read these facts only. Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/registry.hpp"

namespace juwei::store {

// The last record of a community's audit chain: the chain's head at the copy's moment.
struct AuditHead {
  domain::CommunityId community_id = 0;
  std::int64_t seq = 0;
  std::string hash;
};

struct DatabaseFacts {
  std::uintmax_t bytes = 0;
  std::int64_t pages = 0;
  int schema_version = 0;
  std::vector<AuditHead> heads;  // by community id
};

}  // namespace juwei::store
