#include "seeded_community.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "service/audit.hpp"
#include "service/lab_results.hpp"
#include "service/open_store.hpp"
#include "service/screening.hpp"

namespace juwei::fuzz {
namespace {

using namespace std::chrono;

// Valid GB 11643 numbers (check digits computed).
constexpr const char* kIdNumbers[] = {"110105194912310126", "110105194912310222",
                                      "110105194912310329", "110105194912310425",
                                      "110105194912310521"};

template <typename T>
T must(service::Result<T> r, std::string_view step) {
  if (!r) fail("seeded community", std::string(step) + ": " + r.error().message);
  return std::move(*r);
}

std::string login(service::Accounts& accounts, std::string_view username,
                  std::string_view password) {
  const auto outcome = must(accounts.login(username, password, "127.0.0.1"), "login");
  if (!outcome.session) fail("seeded community", "login refused");
  return outcome.session->token;
}

}  // namespace

void fail(std::string_view target, std::string_view what) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(target.size()), target.data(),
               static_cast<int>(what.size()), what.data());
  std::abort();
}

SeededCommunity::SeededCommunity()
    : dir(std::filesystem::temp_directory_path() / ("juwei-fuzz-" + std::to_string(::getpid()))),
      now(sys_days{year{2022} / 4 / 5} + hours{2}),
      clock([this] { return now; }) {
  std::filesystem::remove_all(dir);
  store = must(service::open_store("sqlite:" + (dir / "juwei.db").string()), "open the store");
  registry = std::make_unique<service::Registry>(*store, clock);
  accounts = std::make_unique<service::Accounts>(*store, clock);
  community =
      must(registry->init_community("春晖居民区", "", service::kOperator), "init").community.id;

  must(accounts->add_user(community, "liumiao", domain::Role::secretary, "fuzz-secretary-pw", 0,
                          service::kOperator),
       "add the secretary");
  must(accounts->add_user(community, "admin2", domain::Role::admin, "fuzz-admin-pw-1", 0,
                          service::kOperator),
       "add the admin");

  // Residents 1-3 in 12号楼 101, 4 in 12号楼 102, 5 in 13号楼 101.
  std::vector<domain::ResidentId> residents;
  for (int i = 0; i < 5; ++i) {
    service::ResidentChange r;
    r.name = "居民" + std::to_string(i + 1);
    r.id_number = kIdNumbers[i];
    r.building = i < 4 ? "12号楼" : "13号楼";
    r.room = i == 3 ? "102" : "101";
    residents.push_back(
        must(registry->create_resident(community, r, service::kOperator), "add a resident")
            .value.resident.id);
  }

  must(accounts->add_user(community, "res3", domain::Role::resident, "fuzz-resident-pw", 3,
                          service::kOperator),
       "add resident 3's account");
  secretary_token = login(*accounts, "liumiao", "fuzz-secretary-pw");
  admin_token = login(*accounts, "admin2", "fuzz-admin-pw-1");
  resident_token = login(*accounts, "res3", "fuzz-resident-pw");

  service::Screening screening(*store, clock);
  const std::int64_t round =
      must(screening.create_round(community, "2022-04-05", {}, service::kOperator), "add a round")
          .id;
  const auto swab = [&](std::string tube, domain::TubeKind kind, int resident) {
    must(screening.record_sample(community, round,
                                 {std::move(tube), kind, residents.at(resident), false, ""},
                                 service::kOperator),
         "swab");
  };
  for (int i = 0; i < 3; ++i)
    swab("P1", domain::TubeKind::pooled, i);
  swab("S1", domain::TubeKind::single, 3);
  swab("P2", domain::TubeKind::pooled, 4);

  now += hours{6};  // the lab reports in the afternoon
  static constexpr std::string_view kReported =
      "tube_code,result,reported_at,lab\n"
      "P2,阴性,2022-04-05 15:00,华大\n";
  const auto report =
      must(service::import_results(*store, clock, community,
                                   service::memory_source("seed.csv", kReported), {}),
           "import a result");
  if (!report.committed || report.added != 1) fail("seeded community", "P2 was not reported");
}

SeededCommunity::~SeededCommunity() {
  accounts.reset();
  registry.reset();
  store.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

SeededCommunity& seeded_community() {
  static SeededCommunity community;
  return community;
}

}  // namespace juwei::fuzz
