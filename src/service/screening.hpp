// Screening rounds at the sampling point: open a round (a day; the whole community or some
// buildings), scan a tube, swab residents into it. Every refusal of the pooling rules
// (domain::check_sample) is a conflict naming its rule, in Chinese and English. Coverage per
// building tells the desk who is still missing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "domain/account.hpp"
#include "domain/screening.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

struct SampleInput {
  std::string tube_code;
  domain::TubeKind kind = domain::TubeKind::pooled;
  domain::ResidentId resident_id = 0;
  bool at_home = false;         // home sampling (bedridden residents)
  std::string resample_reason;  // needed when the resident has a sample in the round already
};

// The door-knock list (敲门名单): who in a round's buildings has no sample yet, building by
// building and floor by floor, for volunteers to walk.
struct DoorKnockFloor {
  int floor = 0;  // from the room: "1203" is floor 12, "301" floor 3; 0 when it cannot tell
  std::vector<store::ResidentRow> residents;
};
struct DoorKnockBuilding {
  domain::BuildingId building_id = 0;
  std::string building;
  std::vector<DoorKnockFloor> floors;  // ascending
};

// A member of a household brought to the sampling point at once (整户加入). `skip` is empty
// when they can go into a tube now, else why not: "sample.out_of_round" (the round does not
// cover their building), "sample.already_sampled_today" (a sample in a round of the same
// day), "sample.out_on_exit" (the register has them out, not back yet), or a screening mark
// ("mark.away", "mark.exempt", "mark.home": sampled elsewhere or not at all); `skip_zh` and
// `skip_en` say it to people.
struct HouseholdMemberForSampling {
  store::ResidentRow row;
  std::string skip;
  std::string skip_zh;
  std::string skip_en;
};

// The floor of a room number as committees write them ("301", "1203", "2-301", "301室").
int floor_of_room(std::string_view room);

class Screening {
 public:
  Screening(store::Store& store, Clock clock, domain::PoolingRules rules = {});

  // Rule screening.one_round_a_day: a day's second round is opened only when asked for
  // (`another_that_day`); without it, a conflict that names the round the day has.
  Result<store::ScreeningRound> create_round(domain::CommunityId c, std::string_view day,
                                             const std::vector<domain::BuildingId>& buildings,
                                             domain::UserId by, bool another_that_day = false);
  Result<std::vector<store::ScreeningRound>> rounds(domain::CommunityId c);
  Result<store::Sample> record_sample(domain::CommunityId c, std::int64_t round_id,
                                      const SampleInput& in, domain::UserId by);
  // ID numbers masked for the roles that see them masked (volunteers knock on doors).
  Result<std::vector<DoorKnockBuilding>> door_knock_list(domain::CommunityId c,
                                                         std::int64_t round_id,
                                                         domain::Role viewer);
  // Every live member of a household, each with whether they can be swabbed in the round now
  // (ID numbers masked for the roles that see them masked).
  Result<std::vector<HouseholdMemberForSampling>> household_for_sampling(
      domain::CommunityId c, std::int64_t round_id, domain::HouseholdId household,
      domain::Role viewer);
  // Marks a resident away, exempt or for home sampling, with a reason (replacing any mark).
  Result<store::ScreeningMarkRow> set_mark(domain::CommunityId c, domain::ResidentId resident,
                                           domain::ScreeningMark mark, std::string_view reason,
                                           domain::UserId by);
  Result<void> clear_mark(domain::CommunityId c, domain::ResidentId resident, domain::UserId by);
  Result<std::vector<store::ScreeningMarkRow>> marks(domain::CommunityId c);

  // The round's buildings (all live ones, or those it names) with expected and sampled counts.
  Result<std::vector<store::BuildingCoverage>> coverage(domain::CommunityId c,
                                                        std::int64_t round_id);

 private:
  store::Store& m_store;
  Clock m_clock;
  domain::PoolingRules m_rules;
};

}  // namespace juwei::service
