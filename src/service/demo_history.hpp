// A lockdown's past weeks for the seed community, so the demo's charts and reports have days to
// show: the community is registered `days` days ago and each day then runs as a committee would
// run it, through the services where a person would act (rounds, results files, building
// statuses, emergency releases and the gate, antigen self-tests) and straight into the store for
// the thousands of swabs a day (one transaction and one audit record per day, as the register's
// generator does for residents).
//
// The story it tells: every building under precaution from the first morning; a whole-community
// round each day with a few residents missed; on one day a pooled tube positive, the next day its
// ten residents retested one tube each and one of them positive; that building sealed and its
// neighbours controlled, then eased a week later; two residents released each day for dialysis
// or a hospital visit and back the next day; antigen self-tests from the buildings not sealed.
// Everything is seeded by the day's number: the same days make the same records.
#pragma once

#include <cstdint>
#include <filesystem>

#include "domain/account.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "service/registry.hpp"
#include "store/store.hpp"

namespace juwei::service {

inline constexpr int kMaxHistoryDays = 60;

struct HistoryFigures {
  int days = 0;
  std::int64_t samples = 0;
  std::int64_t tubes = 0;
  std::int64_t positive_tubes = 0;
  std::int64_t status_changes = 0;
  std::int64_t exits = 0;
  std::int64_t returns = 0;
  std::int64_t antigen_reports = 0;
};

struct SeedHistory {
  SeedOutcome seed;
  HistoryFigures history;  // zero days when the seed was there already
};

// The seed community as Registry::ensure_seed_community makes it, registered `days` days before
// `now`'s day (1 to kMaxHistoryDays) with those days' records; today's day is left to the user.
// A seed community already there is returned as it is, without history.
Result<SeedHistory> ensure_seed_with_history(store::Store& store, TimePoint now,
                                             const std::filesystem::path& data_folder, int days,
                                             domain::UserId by);

}  // namespace juwei::service
