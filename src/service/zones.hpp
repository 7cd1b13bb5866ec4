// Building status (封控区 / 管控区 / 防范区) for the desk: every building with its status, how
// long it has had it, and what the zone timers suggest; the history of each building; and the
// secretary's changes, each kept with who, when, why and the rule it follows.
// Lab results feed the clocks: a case restarts a building's clean days and suggests sealing it;
// open retests suggest control and hold the step down (domain::suggest_zone_change).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "domain/zone.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

struct BuildingZone {
  domain::Building building;
  std::optional<store::StatusChange> current;  // none: no status set yet
  std::optional<domain::ZoneSuggestion> suggestion;
  domain::ZoneEvidence evidence;
  // A case calls for a whole-building retest 24 h after its report; none once a round
  // covering the building has been created since, or without a case.
  std::optional<TimePoint> retest_due_at;
};

inline constexpr std::chrono::hours kBuildingRetestAfter{24};

class Zones {
 public:
  Zones(store::Store& store, Clock clock, domain::ZoneTimers timers = {});

  // Every live building of the community, by id.
  Result<std::vector<BuildingZone>> overview(domain::CommunityId c);
  Result<std::vector<store::StatusChange>> history(domain::CommunityId c, domain::BuildingId b);

  // Sets a building's status. `rule` is zone.manual (any change, with a reason) or the rule of
  // the step the timers suggest, which is refused (conflict) until that step is due. Setting
  // the status a building has already is a conflict.
  Result<store::StatusChange> set_status(domain::CommunityId c, domain::BuildingId b,
                                         domain::ZoneStatus status, domain::UserId by,
                                         std::string_view reason, std::string_view rule);

 private:
  store::Store& m_store;
  Clock m_clock;
  domain::ZoneTimers m_timers;
};

}  // namespace juwei::service
