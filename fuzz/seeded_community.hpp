// A community for the fuzz targets that read into a database: a fresh SQLite file in a scratch
// folder under $TMPDIR (removed at exit), with five residents in two buildings, a screening round
// whose three tubes were swabbed at 10:00 in Shanghai on 2022-04-05 (P1 and S1 unreported, P2
// reported negative), a secretary, an admin and resident 3 logged in, and a clock that stays at
// 16:00 that day (08:00 UTC). Built on first use, once per process; libFuzzer runs inputs on one
// thread, and so must its users.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "service/accounts.hpp"
#include "service/clock.hpp"
#include "service/registry.hpp"
#include "store/store.hpp"

namespace juwei::fuzz {

struct SeededCommunity {
  SeededCommunity();
  ~SeededCommunity();
  SeededCommunity(const SeededCommunity&) = delete;
  SeededCommunity& operator=(const SeededCommunity&) = delete;

  std::filesystem::path dir;  // the database and the data folder (pass keys, proofs)
  std::unique_ptr<store::Store> store;
  service::TimePoint now;
  service::Clock clock;  // reads `now`
  domain::CommunityId community = 0;
  std::unique_ptr<service::Registry> registry;
  std::unique_ptr<service::Accounts> accounts;
  std::string secretary_token;  // bearer tokens of the three accounts
  std::string admin_token;
  std::string resident_token;  // resident 3's own account
};

SeededCommunity& seeded_community();

// Stops the process with `what` on standard error: a setup step or an invariant failed.
[[noreturn]] void fail(std::string_view target, std::string_view what);

}  // namespace juwei::fuzz
