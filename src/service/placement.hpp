// Where a resident lives, found or made: the building by name and the household by room,
// created when new and restored when removed. Shared by the import and the registry edits.
#pragma once

#include <string_view>

#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

struct Placed {
  std::int64_t id = 0;
  bool added = false;      // created by this call (not found, not restored)
  domain::Removal undone;  // restored by this call: the removal it undid; else empty
};

Result<Placed> ensure_building(store::Transaction& tx, domain::CommunityId c,
                               std::string_view name);
Result<Placed> ensure_household(store::Transaction& tx, domain::CommunityId c,
                                domain::BuildingId building, std::string_view room);

}  // namespace juwei::service
