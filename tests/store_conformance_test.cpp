// The store conformance suite: every backend must pass every test here. A backend joins by
// adding itself to kBackends; the tests use only the store::Store interface.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/pg_shards.hpp"
#include "support/pg_test_database.hpp"

namespace juwei::store {
namespace {

using namespace std::chrono;

struct Backend {
  std::string name;
  // Opens (creating or reopening) the database kept in the given scratch folder.
  std::function<Result<std::unique_ptr<Store>>(const std::filesystem::path&)> open;
  // Whether the backend can run here (PostgreSQL: the test server's URL is known), and what it
  // needs when it cannot.
  std::function<bool()> available = [] { return true; };
  std::string needs;
  // Drops what open() made outside the folder.
  std::function<void(const std::filesystem::path&)> drop = [](const std::filesystem::path&) {};
  // Why a test (by its name) does not run on this backend; empty when it does.
  std::function<std::string(std::string_view test)> skip = [](std::string_view) {
    return std::string();
  };
};

// The scratch folder's own PostgreSQL database: made on the first open, found again by name.
std::string pg_database_of(const std::filesystem::path& dir) {
  std::string name = "juwei_c_" + dir.filename().string();
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

Result<std::unique_ptr<Store>> open_postgres(const std::filesystem::path& dir) {
  const std::string server = testing::pg_server_url().value();
  const std::string name = pg_database_of(dir);
  const std::filesystem::path made = dir / "pg-database";
  if (!std::filesystem::exists(made)) {
    testing::pg_create_database(server, name);
    std::ofstream(made) << name;
  }
  return postgres::open(testing::pg_url_of(server, name));
}

// The sharded layout (docs/scale.md, support/pg_shards.hpp): a coordinator over two shard
// servers; each scratch folder gets a sharded database of its own.
Result<std::unique_ptr<Store>> open_sharded(const std::filesystem::path& dir) {
  const std::filesystem::path made = dir / "pg-shards-database";
  if (!std::filesystem::exists(made)) {
    std::ofstream(made) << testing::pg_shards("newdb", pg_database_of(dir));
  }
  std::string url;
  std::getline(std::ifstream(made), url);
  return postgres::open(url);
}

// The tests of the tables the coordinator keeps whole (juwei_meta, streets, communities, users):
// on the sharded layout they would run on plain PostgreSQL tables again.
std::string skip_global_only(std::string_view test) {
  static const std::set<std::string_view> kGlobalOnly = {
      "OpensAtTheLatestSchemaVersion", "CommunitiesAndStreets",
      "UsersAreUniqueByNameAndCanBeDisabled", "FailedLoginsAndTheirLockAreKept",
      "AStreetHasOneOfficeUnit"};
  if (!kGlobalOnly.contains(test.substr(0, test.find('/')))) return "";
  return "only tables the coordinator keeps whole: the postgresql backend runs it";
}

void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

const Backend kBackends[] = {
    {"sqlite", [](const std::filesystem::path& dir) { return sqlite::open(dir / "juwei.db"); }},
    {"postgresql", open_postgres, [] { return testing::pg_server_url().has_value(); },
     "a test PostgreSQL (JUWEI_TEST_PG_URL_FILE)",
     [](const std::filesystem::path& dir) {
       if (std::filesystem::exists(dir / "pg-database")) {
         testing::pg_drop_database(testing::pg_server_url().value(), pg_database_of(dir));
       }
     }},
    {"sharded", open_sharded, [] { return testing::shards_dir().has_value(); },
     "a coordinator and its shards (JUWEI_TEST_SHARDED_URL_FILE)",
     [](const std::filesystem::path& dir) {
       if (std::filesystem::exists(dir / "pg-shards-database")) {
         testing::pg_shards("dropdb", pg_database_of(dir));
       }
     },
     skip_global_only},
};

constexpr std::string_view kNow = "2022-04-04T02:00:00Z";

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!GetParam().available()) GTEST_SKIP() << "needs " << GetParam().needs;
    const std::string why =
        GetParam().skip(::testing::UnitTest::GetInstance()->current_test_info()->name());
    if (!why.empty()) GTEST_SKIP() << why;
    std::random_device rd;
    m_dir = std::filesystem::temp_directory_path() /
            ("juwei-store-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(m_dir);
    reopen();
  }
  void TearDown() override {
    if (m_dir.empty()) return;
    m_store.reset();
    GetParam().drop(m_dir);
    std::filesystem::remove_all(m_dir);
  }
  void reopen() {
    m_store.reset();
    auto s = GetParam().open(m_dir);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    m_store = std::move(*s);
  }
  std::unique_ptr<Transaction> write() {
    auto tx = m_store->begin(TxMode::write);
    EXPECT_TRUE(tx.has_value());
    return std::move(*tx);
  }
  std::unique_ptr<Transaction> read() {
    auto tx = m_store->begin(TxMode::read);
    EXPECT_TRUE(tx.has_value());
    return std::move(*tx);
  }

  // A community with one building, one household and `residents` residents.
  domain::CommunityId seed(std::string_view name, int residents) {
    auto tx = write();
    const auto c = tx->insert_community(domain::Community{0, 0, std::string(name)}, kNow).value();
    const auto b = tx->insert_building(domain::Building{c, 0, "12号楼", 6}).value();
    const auto h = tx->insert_household(domain::Household{c, 0, b, "301"}).value();
    for (int i = 0; i < residents; ++i) {
      EXPECT_TRUE(tx->insert_resident(resident(c, h, i), kNow).has_value());
    }
    EXPECT_TRUE(tx->commit().has_value());
    return c;
  }

  static domain::Resident resident(domain::CommunityId c, domain::HouseholdId h, int i) {
    domain::Resident r;
    r.community_id = c;
    r.household_id = h;
    r.name = i == 0 ? "王丽" : "居民" + std::to_string(i);
    r.gender = domain::Gender::female;
    r.birth_date = domain::Date{year{1988}, month{2}, day{29}};
    // Distinct, not necessarily valid: the store does not validate, the domain does.
    r.id_number = "3101091988022900" + std::to_string(10 + i);
    r.phone = "138000000" + std::to_string(10 + i);
    r.relation = i == 0 ? domain::Relation::head : domain::Relation::child;
    r.notes = "note " + std::to_string(i);
    return r;
  }

  std::filesystem::path m_dir;
  std::unique_ptr<Store> m_store;
};

TEST_P(StoreConformance, OpensAtTheLatestSchemaVersion) {
  EXPECT_EQ(m_store->schema_version(), static_cast<int>(sqlite::migrations().size()));
}

TEST_P(StoreConformance, CommunitiesAndStreets) {
  auto tx = write();
  const auto street = tx->ensure_street("示范街道").value();
  EXPECT_EQ(tx->ensure_street("示范街道").value(), street);  // idempotent
  domain::Community c{0, street, "春晖居民区", "Asia/Shanghai"};
  const auto id = tx->insert_community(c, kNow).value();
  EXPECT_FALSE(tx->insert_community(c, kNow).has_value());  // names are unique
  ASSERT_TRUE(tx->commit().has_value());

  const auto list = read()->list_communities().value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, id);
  EXPECT_EQ(list[0].street_id, street);
  EXPECT_EQ(list[0].name, "春晖居民区");
  EXPECT_EQ(list[0].time_zone, "Asia/Shanghai");
  const auto one = read()->get_community(id).value();
  ASSERT_TRUE(one);
  EXPECT_EQ(one->name, "春晖居民区");
  EXPECT_EQ(one->chain_id, id);
  EXPECT_FALSE(one->office);
  EXPECT_FALSE(read()->get_community(id + 1).value());
  const auto streets = read()->list_streets().value();
  ASSERT_EQ(streets.size(), 1u);
  EXPECT_EQ(streets[0].id, street);
  EXPECT_EQ(streets[0].name, "示范街道");
}

// A street office's own unit (its accounts and their trail) is a row of communities marked
// office: one per street.
TEST_P(StoreConformance, AStreetHasOneOfficeUnit) {
  auto tx = write();
  const auto street = tx->ensure_street("示范街道").value();
  const auto other = tx->ensure_street("东街道").value();
  const auto office =
      tx->insert_community(domain::Community{0, street, "示范街道办事处", "Asia/Shanghai", 0, true},
                           kNow)
          .value();
  EXPECT_TRUE(tx->get_community(office).value()->office);
  ASSERT_TRUE(tx->commit().has_value());
  {
    auto again = write();
    EXPECT_FALSE(again->insert_community(
        domain::Community{0, street, "第二个办事处", "Asia/Shanghai", 0, true}, kNow));
  }
  auto more = write();
  ASSERT_TRUE(more->insert_community(
      domain::Community{0, other, "东街道办事处", "Asia/Shanghai", 0, true}, kNow));
  ASSERT_TRUE(more->insert_community(domain::Community{0, street, "春晖居民区"}, kNow));
  ASSERT_TRUE(more->commit().has_value());
  const auto list = read()->list_communities().value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(std::ranges::count(list, true, &domain::Community::office), 2);
  EXPECT_EQ(read()->list_streets().value().size(), 2u);
}

TEST_P(StoreConformance, BuildingsAndHouseholdsAreUniqueByName) {
  const auto c = seed("A", 0);
  auto tx = write();
  const auto b = tx->find_building(c, "12号楼").value();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->floors, 6);
  EXPECT_FALSE(tx->find_building(c, "13号楼").value().has_value());
  const auto dup = tx->insert_building(domain::Building{c, 0, "12号楼", 6});
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().kind, Error::Kind::conflict);
  const auto h = tx->find_household(c, b->id, "301").value();
  ASSERT_TRUE(h.has_value());
  EXPECT_FALSE(tx->find_household(c, b->id, "302").value().has_value());
  const auto dup_h = tx->insert_household(domain::Household{c, 0, b->id, "301"});
  ASSERT_FALSE(dup_h.has_value());
  EXPECT_EQ(dup_h.error().kind, Error::Kind::conflict);
  const auto b2 = tx->insert_building(domain::Building{c, 0, "13号楼", 18}).value();
  EXPECT_NE(b2, b->id);
  EXPECT_EQ(tx->list_buildings(c).value().size(), 2u);
}

TEST_P(StoreConformance, ResidentsRoundTripEveryField) {
  const auto c = seed("A", 1);
  auto tx = read();
  const auto found = tx->find_resident_by_id_number(c, resident(c, 1, 0).id_number).value();
  ASSERT_TRUE(found.has_value());
  domain::Resident expected = resident(c, found->household_id, 0);
  expected.id = found->id;
  EXPECT_TRUE(found->same_details(expected));
  EXPECT_EQ(found->household_id, expected.household_id);
  EXPECT_EQ(found->community_id, c);
}

TEST_P(StoreConformance, DuplicateIdNumberIsAConflictAndLeavesTheTransactionUsable) {
  const auto c = seed("A", 1);
  auto tx = write();
  const auto existing = tx->find_resident_by_id_number(c, resident(c, 1, 0).id_number).value();
  ASSERT_TRUE(existing.has_value());
  auto dup = tx->insert_resident(resident(c, existing->household_id, 0), kNow);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().kind, Error::Kind::conflict);
  EXPECT_TRUE(tx->insert_resident(resident(c, existing->household_id, 5), kNow).has_value());
  ASSERT_TRUE(tx->commit().has_value());
  EXPECT_EQ(read()->count_registry(c).value().residents, 2);
}

TEST_P(StoreConformance, UpdateChangesTheRowAndMissingRowsAreNotFound) {
  const auto c = seed("A", 2);
  auto tx = write();
  auto r = tx->find_resident_by_id_number(c, resident(c, 1, 1).id_number).value().value();
  r.phone = "13999999999";
  r.volunteer = true;
  r.vulnerabilities.add(domain::Vulnerability::dialysis);
  ASSERT_TRUE(tx->update_resident(r, kNow).has_value());
  domain::Resident ghost = r;
  ghost.id = 999;
  const auto missing = tx->update_resident(ghost, kNow);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, Error::Kind::not_found);
  ASSERT_TRUE(tx->commit().has_value());
  const auto back = read()->find_resident_by_id_number(c, r.id_number).value().value();
  EXPECT_TRUE(back.same_details(r));
}

TEST_P(StoreConformance, IdsArePerCommunityAndCommunitiesAreIsolated) {
  const auto a = seed("A", 3);
  const auto b = seed("B", 2);
  auto tx = read();
  EXPECT_EQ(tx->count_registry(a).value().residents, 3);
  EXPECT_EQ(tx->count_registry(b).value().residents, 2);
  // The same ID number may be registered in two communities (people move).
  EXPECT_TRUE(tx->find_resident_by_id_number(b, resident(b, 1, 0).id_number).value().has_value());
  ResidentQuery q;
  q.community_id = b;
  const auto rows = tx->search_residents(q).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].resident.id, 1);
  for (const auto& row : rows)
    EXPECT_EQ(row.resident.community_id, b);
}

TEST_P(StoreConformance, RollsBackWhatIsNotCommitted) {
  const auto c = seed("A", 1);
  {
    auto tx = write();
    const auto h = tx->find_household(c, 1, "301").value().value();
    ASSERT_TRUE(tx->insert_resident(resident(c, h.id, 7), kNow).has_value());
    ASSERT_TRUE(tx->insert_building(domain::Building{c, 0, "99号楼", 6}).has_value());
  }  // destroyed without commit
  auto tx = read();
  EXPECT_EQ(tx->count_registry(c).value().residents, 1);
  EXPECT_EQ(tx->count_registry(c).value().buildings, 1);
}

TEST_P(StoreConformance, CommittedDataSurvivesReopening) {
  const auto c = seed("A", 4);
  reopen();
  EXPECT_EQ(read()->count_registry(c).value().residents, 4);
}

struct SearchCase {
  std::string text;
  std::size_t expected;
};

TEST_P(StoreConformance, SearchFindsByNameRoomPhoneAndIdSuffix) {
  const auto c = seed("A", 12);
  const SearchCase cases[] = {
      {"", 12},                            // everyone
      {"王丽", 1},                         // name
      {"居民1", 3},                        // name fragment: 居民1, 居民10, 居民11
      {"301", 12},                         // room
      {"12号楼301", 12},                   // building + room
      {"12号楼 301", 12}, {"0000011", 1},  // phone fragment
      {"13800000011", 1},                  // whole phone
      {"12号楼-301", 12}, {"0015", 1},     // last four of the ID number
      {"%", 0},                            // wildcards are literal
      {"_", 0},           {"nobody", 0},
  };
  auto tx = read();
  for (const SearchCase& sc : cases) {
    SCOPED_TRACE(sc.text);
    ResidentQuery q;
    q.community_id = c;
    q.text = sc.text;
    EXPECT_EQ(tx->search_residents(q).value().size(), sc.expected);
  }
}

TEST_P(StoreConformance, SearchPagesWithACursorAndFiltersByBuilding) {
  const auto c = seed("A", 7);
  auto tx = read();
  ResidentQuery q;
  q.community_id = c;
  q.limit = 3;
  std::vector<domain::ResidentId> seen;
  while (true) {
    const auto page = tx->search_residents(q).value();
    for (const auto& row : page)
      seen.push_back(row.resident.id);
    if (page.size() < q.limit) break;
    q.after = page.back().resident.id;
  }
  EXPECT_EQ(seen, (std::vector<domain::ResidentId>{1, 2, 3, 4, 5, 6, 7}));
  ResidentQuery other;
  other.community_id = c;
  other.building = 42;
  EXPECT_TRUE(tx->search_residents(other).value().empty());
}

TEST_P(StoreConformance, StreamsResidentsInOrderAndStopsWhenAsked) {
  const auto c = seed("A", 5);
  auto tx = read();
  std::vector<domain::ResidentId> ids;
  ASSERT_TRUE(tx->for_each_resident(c, [&](const ResidentRow& row) {
                  EXPECT_EQ(row.building, "12号楼");
                  EXPECT_EQ(row.room, "301");
                  ids.push_back(row.resident.id);
                  return true;
                }).has_value());
  EXPECT_EQ(ids, (std::vector<domain::ResidentId>{1, 2, 3, 4, 5}));
  int visited = 0;
  ASSERT_TRUE(
      tx->for_each_resident(c, [&](const ResidentRow&) { return ++visited < 2; }).has_value());
  EXPECT_EQ(visited, 2);
}

TEST_P(StoreConformance, CountsVolunteersAndVulnerabilities) {
  const auto c = seed("A", 0);
  {
    auto tx = write();
    auto r = resident(c, 1, 0);
    r.volunteer = true;
    r.vulnerabilities.add(domain::Vulnerability::pregnant);
    ASSERT_TRUE(tx->insert_resident(r, kNow).has_value());
    auto s = resident(c, 1, 1);
    s.vulnerabilities.add(domain::Vulnerability::pregnant);
    s.vulnerabilities.add(domain::Vulnerability::bedridden);
    ASSERT_TRUE(tx->insert_resident(s, kNow).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  const auto n = read()->count_registry(c).value();
  EXPECT_EQ(n.buildings, 1);
  EXPECT_EQ(n.households, 1);
  EXPECT_EQ(n.residents, 2);
  EXPECT_EQ(n.volunteers, 1);
  EXPECT_EQ(n.by_vulnerability[1], 2);  // pregnant
  EXPECT_EQ(n.by_vulnerability[6], 1);  // bedridden
  EXPECT_EQ(n.by_vulnerability[0], 0);
}

TEST_P(StoreConformance, KeepsImportHistory) {
  const auto c = seed("A", 0);
  auto tx = write();
  ImportRecord rec{c,
                   0,
                   "residents",
                   "register.csv",
                   "gb18030",
                   10,
                   8,
                   1,
                   1,
                   0,
                   "2022-04-04T02:00:00Z",
                   "2022-04-04T02:00:01Z"};
  const auto first = tx->insert_import(rec).value();
  const auto second = tx->insert_import(rec).value();
  EXPECT_EQ(second, first + 1);
  ASSERT_TRUE(tx->commit().has_value());
  const auto list = read()->list_imports(c).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].source, "register.csv");
  EXPECT_EQ(list[0].encoding, "gb18030");
  EXPECT_EQ(list[1].added, 8);
}

TEST_P(StoreConformance, UsersAreUniqueByNameAndCanBeDisabled) {
  const auto c = seed("A", 0);
  auto tx = write();
  domain::User u{c, 0, "liumiao", domain::Role::secretary, false};
  const auto id = tx->insert_user(u, "$argon2id$hash1", kNow).value();
  const auto dup = tx->insert_user(u, "$argon2id$hash2", kNow);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().kind, Error::Kind::conflict);
  ASSERT_TRUE(tx->set_user_password(c, id, "$argon2id$hash3").has_value());
  ASSERT_TRUE(tx->set_user_disabled(c, id, true).has_value());
  EXPECT_EQ(tx->set_user_disabled(c, id + 100, true).error().kind, Error::Kind::not_found);
  ASSERT_TRUE(tx->commit().has_value());

  auto rd = read();
  const auto found = rd->find_user("liumiao").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user.id, id);
  EXPECT_EQ(found->user.role, domain::Role::secretary);
  EXPECT_TRUE(found->user.disabled);
  EXPECT_EQ(found->password_hash, "$argon2id$hash3");
  EXPECT_EQ(rd->get_user(c, id).value()->user.username, "liumiao");
  EXPECT_FALSE(rd->find_user("nobody").value().has_value());
  EXPECT_EQ(rd->list_users(c).value().size(), 1u);
}

TEST_P(StoreConformance, SessionsAreFoundByTokenHashAndRevoked) {
  const auto c = seed("A", 0);
  auto tx = write();
  const auto uid =
      tx->insert_user(domain::User{c, 0, "gate1", domain::Role::gate, false}, "h", kNow).value();
  ASSERT_TRUE(
      tx->insert_session(Session{c, "abc", uid, std::string(kNow), "2022-04-05T02:00:00Z", ""})
          .has_value());
  ASSERT_TRUE(
      tx->insert_session(Session{c, "def", uid, std::string(kNow), "2022-04-05T02:00:00Z", ""})
          .has_value());
  ASSERT_TRUE(tx->commit().has_value());
  {
    auto t = write();
    const auto s = t->find_session(c, "abc").value();
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->user_id, uid);
    EXPECT_TRUE(s->revoked_at.empty());
    EXPECT_FALSE(t->find_session(c + 1, "abc").value().has_value());  // scoped by community
    ASSERT_TRUE(t->revoke_session(c, "abc", kNow).has_value());
    EXPECT_EQ(t->revoke_session(c, "zzz", kNow).error().kind, Error::Kind::not_found);
    ASSERT_TRUE(t->commit().has_value());
  }
  EXPECT_EQ(read()->find_session(c, "abc").value()->revoked_at, kNow);
  {
    auto t = write();
    ASSERT_TRUE(t->revoke_sessions_of(c, uid, kNow).has_value());
    ASSERT_TRUE(t->commit().has_value());
  }
  EXPECT_FALSE(read()->find_session(c, "def").value()->revoked_at.empty());
}

TEST_P(StoreConformance, RemovedResidentsLeaveListsButStayFindable) {
  const auto c = seed("A", 3);
  auto tx = write();
  auto r = tx->find_resident_by_id_number(c, resident(c, 1, 1).id_number).value().value();
  r.removal = domain::Removal{"2022-04-05T00:00:00Z", "moved out"};
  ASSERT_TRUE(tx->update_resident(r, kNow).has_value());
  ASSERT_TRUE(tx->commit().has_value());

  auto rx = read();
  EXPECT_EQ(rx->count_registry(c).value().residents, 2);
  ResidentQuery q;
  q.community_id = c;
  EXPECT_EQ(rx->search_residents(q).value().size(), 2u);
  q.text = "居民1";
  EXPECT_TRUE(rx->search_residents(q).value().empty());
  int streamed = 0;
  ASSERT_TRUE(rx->for_each_resident(c, [&](const ResidentRow&) { return ++streamed, true; }));
  EXPECT_EQ(streamed, 2);
  const auto got = rx->get_resident(c, r.id).value().value();
  EXPECT_EQ(got.resident.removal, r.removal);
  EXPECT_EQ(got.building, "12号楼");
  EXPECT_EQ(got.room, "301");
  const auto by_number = rx->find_resident_by_id_number(c, r.id_number).value().value();
  EXPECT_TRUE(by_number.removal.removed());
  EXPECT_FALSE(rx->get_resident(c, 999).value().has_value());
  EXPECT_EQ(rx->count_residents(c, r.household_id).value(), 2);
  rx.reset();

  // Updating with no removal restores.
  auto wx = write();
  r.removal = {};
  ASSERT_TRUE(wx->update_resident(r, kNow).has_value());
  ASSERT_TRUE(wx->commit().has_value());
  EXPECT_EQ(read()->count_registry(c).value().residents, 3);
}

TEST_P(StoreConformance, BuildingsAndHouseholdsAreUpdatedRemovedAndListed) {
  const auto c = seed("A", 0);
  auto tx = write();
  auto b = tx->find_building(c, "12号楼").value().value();
  EXPECT_EQ(tx->get_building(c, b.id).value().value().name, "12号楼");
  EXPECT_FALSE(tx->get_building(c, 99).value().has_value());
  b.floors = 7;
  b.name = "12栋";
  ASSERT_TRUE(tx->update_building(b).has_value());
  const auto b2 = tx->insert_building(domain::Building{c, 0, "13号楼", 18}).value();
  for (int room = 101; room <= 105; ++room) {
    ASSERT_TRUE(
        tx->insert_household(domain::Household{c, 0, b2, std::to_string(room)}).has_value());
  }
  EXPECT_EQ(tx->count_households(c, b2).value(), 5);
  auto h = tx->find_household(c, b2, "103").value().value();
  h.removal = domain::Removal{kNow.data(), "merged with 104"};
  ASSERT_TRUE(tx->update_household(h).has_value());
  EXPECT_EQ(tx->count_households(c, b2).value(), 4);
  EXPECT_TRUE(tx->get_household(c, h.id).value().value().removal.removed());
  domain::Household ghost = h;
  ghost.id = 999;
  EXPECT_EQ(tx->update_household(ghost).error().kind, Error::Kind::not_found);
  domain::Building ghost_b = b;
  ghost_b.id = 999;
  EXPECT_EQ(tx->update_building(ghost_b).error().kind, Error::Kind::not_found);
  ASSERT_TRUE(tx->commit().has_value());

  auto rx = read();
  EXPECT_EQ(rx->get_building(c, b.id).value().value().floors, 7);
  EXPECT_EQ(rx->find_building(c, "12栋").value().value().id, b.id);
  // Pages of two over the live households of 13号楼: 101 102 | 104 105.
  std::vector<std::string> rooms;
  domain::HouseholdId after = 0;
  while (true) {
    const auto page = rx->list_households(c, b2, after, 2).value();
    for (const auto& x : page)
      rooms.push_back(x.room);
    if (page.size() < 2) break;
    after = page.back().id;
  }
  EXPECT_EQ(rooms, (std::vector<std::string>{"101", "102", "104", "105"}));
  EXPECT_EQ(rx->list_households(c, std::nullopt, 0, 100).value().size(), 5u);
  EXPECT_EQ(rx->count_registry(c).value().households, 5);
}

TEST_P(StoreConformance, RemovedBuildingsLeaveTheList) {
  const auto c = seed("A", 0);
  auto tx = write();
  auto b = tx->find_building(c, "12号楼").value().value();
  b.removal = domain::Removal{kNow.data(), "demolished"};
  ASSERT_TRUE(tx->update_building(b).has_value());
  ASSERT_TRUE(tx->commit().has_value());
  auto rx = read();
  EXPECT_TRUE(rx->list_buildings(c).value().empty());
  EXPECT_EQ(rx->count_registry(c).value().buildings, 0);
  EXPECT_EQ(rx->find_building(c, "12号楼").value().value().removal.reason, "demolished");
}

TEST_P(StoreConformance, IdempotencyKeysAreOncePerUserAndExpire) {
  const auto c = seed("A", 0);
  auto tx = write();
  IdempotencyRecord r{c, 7, "key-1", "hash-a", 0, "", "", "2022-04-04T02:00:00Z"};
  ASSERT_TRUE(tx->insert_idempotency_key(r).has_value());
  EXPECT_EQ(tx->insert_idempotency_key(r).error().kind, Error::Kind::conflict);
  IdempotencyRecord other_user = r;
  other_user.user_id = 8;
  other_user.created_at = "2022-04-05T02:00:00Z";
  ASSERT_TRUE(tx->insert_idempotency_key(other_user).has_value());
  r.status = 201;
  r.content_type = "application/json";
  r.body = R"({"id":"1"})";
  ASSERT_TRUE(tx->finish_idempotency_key(r).has_value());
  ASSERT_TRUE(tx->commit().has_value());

  const auto found = read()->find_idempotency_key(c, 7, "key-1").value().value();
  EXPECT_EQ(found.request_hash, "hash-a");
  EXPECT_EQ(found.status, 201);
  EXPECT_EQ(found.body, r.body);
  EXPECT_FALSE(read()->find_idempotency_key(c, 7, "key-2").value().has_value());

  auto wx = write();
  EXPECT_EQ(wx->purge_idempotency_keys("2022-04-05T00:00:00Z").value(), 1);
  EXPECT_FALSE(wx->find_idempotency_key(c, 7, "key-1").value().has_value());
  ASSERT_TRUE(wx->delete_idempotency_key(c, 8, "key-1").has_value());
  EXPECT_FALSE(wx->find_idempotency_key(c, 8, "key-1").value().has_value());
  ASSERT_TRUE(wx->commit().has_value());
}

// Readers and a writer at once: every read sees a committed state (never half a write), and
// once a commit returns, new reads see it.
TEST_P(StoreConformance, ConcurrentReadersSeeOnlyCommittedStates) {
  const auto c = seed("A", 0);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        auto tx = m_store->begin(TxMode::read);
        if (!tx) {
          ++bad;
          continue;
        }
        // Each write adds two residents in one transaction: an odd count is a torn read.
        const auto counts = (*tx)->count_registry(c);
        if (!counts || counts->residents % 2 != 0) ++bad;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    auto tx = write();
    const auto h = tx->find_household(c, 1, "301").value().value();
    ASSERT_TRUE(tx->insert_resident(resident(c, h.id, 2 * i), kNow).has_value());
    ASSERT_TRUE(tx->insert_resident(resident(c, h.id, 2 * i + 1), kNow).has_value());
    ASSERT_TRUE(tx->commit().has_value());
    EXPECT_EQ(read()->count_registry(c).value().residents, 2 * (i + 1));
  }
  done = true;
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_P(StoreConformance, BuildingStatusKeepsEveryChangeAndTheLatestIsCurrent) {
  const auto c = seed("A", 0);
  auto tx = write();
  const auto b1 = tx->find_building(c, "12号楼").value().value().id;
  const auto b2 = tx->insert_building(domain::Building{c, 0, "13号楼", 6}).value();
  using domain::ZoneStatus;
  EXPECT_EQ(tx->insert_status_change(
                  StatusChange{c, b1, 0, ZoneStatus::sealed, kNow.data(), 1, "阳性", "zone.manual"})
                .value(),
            1);
  EXPECT_EQ(tx->insert_status_change(StatusChange{c, b1, 0, ZoneStatus::controlled,
                                                  "2022-04-11T02:00:00Z", 1, "满7天",
                                                  "zone.sealed_to_controlled"})
                .value(),
            2);
  EXPECT_EQ(tx->insert_status_change(StatusChange{c, b2, 0, ZoneStatus::precaution, kNow.data(), 2,
                                                  "无病例", "zone.manual"})
                .value(),
            1);
  ASSERT_TRUE(tx->commit().has_value());

  auto rx = read();
  const auto history = rx->list_status_changes(c, b1).value();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].status, ZoneStatus::sealed);
  EXPECT_EQ(history[0].reason, "阳性");
  EXPECT_EQ(history[1].rule, "zone.sealed_to_controlled");
  const auto current = rx->current_statuses(c).value();
  ASSERT_EQ(current.size(), 2u);
  EXPECT_EQ(current[0].building_id, b1);
  EXPECT_EQ(current[0].status, ZoneStatus::controlled);
  EXPECT_EQ(current[0].id, 2);
  EXPECT_EQ(current[1].status, ZoneStatus::precaution);
  EXPECT_EQ(current[1].changed_by, 2);
}

TEST_P(StoreConformance, TubeResultsConflictsAndAResidentsTests) {
  const auto c = seed("A", 3);
  const auto other = seed("B", 1);
  using domain::TestResult;
  {
    auto tx = write();
    EXPECT_EQ(tx->insert_round(ScreeningRound{c, 0, "2022-04-04", {}, kNow.data(), 1}).value(), 1);
    EXPECT_EQ(tx->insert_round(ScreeningRound{c, 0, "2022-04-05", {}, kNow.data(), 1}).value(), 2);
    ASSERT_TRUE(tx->insert_tube(c, "P1", 1, domain::TubeKind::pooled, kNow));
    ASSERT_TRUE(tx->insert_tube(c, "S1", 2, domain::TubeKind::single, "2022-04-05T02:00:00Z"));
    for (domain::ResidentId r : {1, 2, 3}) {
      ASSERT_TRUE(tx->insert_sample(Sample{c, 1, 0, "P1", r, kNow.data(), 1, false, ""}));
    }
    ASSERT_TRUE(tx->insert_sample(Sample{c, 2, 0, "S1", 1, "2022-04-05T02:00:00Z", 1, true, ""}));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = write();
  const auto p1 = tx->find_tube_for_result(c, "P1").value();
  ASSERT_TRUE(p1);
  EXPECT_EQ(p1->kind, domain::TubeKind::pooled);
  EXPECT_EQ(p1->created_at, kNow);
  EXPECT_FALSE(p1->stored);
  EXPECT_FALSE(tx->find_tube_for_result(other, "P1").value());  // tubes are per community

  const TubeResult positive{
      c, "P1", TestResult::positive, "2022-04-04T08:00:00Z", "华大", "2022-04-04T09:00:00Z"};
  ASSERT_TRUE(tx->insert_tube_result(positive));
  EXPECT_EQ(tx->insert_tube_result(positive).error().kind, Error::Kind::conflict);
  EXPECT_EQ(tx->find_tube_for_result(c, "P1").value()->stored, TestResult::positive);
  EXPECT_EQ(
      tx->replace_tube_result(TubeResult{c, "S1", TestResult::negative, "x", "", "x"}).error().kind,
      Error::Kind::not_found);

  EXPECT_FALSE(tx->result_known_for(c, "P1", TestResult::negative).value());
  ResultConflict k{
      c,      0,           "P1",           TestResult::negative, "2022-04-04T10:00:00Z",
      "复核", kNow.data(), "r.csv line 2", TestResult::positive};
  EXPECT_EQ(tx->insert_result_conflict(k).value(), 1);
  EXPECT_TRUE(tx->result_known_for(c, "P1", TestResult::negative).value());
  EXPECT_EQ(tx->list_result_conflicts(c, true).value().size(), 1u);
  k.id = 1;
  k.resolution = "rejected";
  k.resolution_reason = "原结果为准";
  k.resolved_at = "2022-04-04T11:00:00Z";
  k.resolved_by = 2;
  ASSERT_TRUE(tx->resolve_result_conflict(k));
  EXPECT_TRUE(tx->list_result_conflicts(c, true).value().empty());
  const auto kept = tx->get_result_conflict(c, 1).value().value();
  EXPECT_EQ(kept.resolution, "rejected");
  EXPECT_EQ(kept.source, "r.csv line 2");
  EXPECT_EQ(kept.resolved_by, 2);

  ASSERT_TRUE(
      tx->insert_antigen_test(AntigenTest{c, 0, 1, TestResult::positive, "2022-04-06T00:00:00Z",
                                          "2022-04-06T00:05:00Z", 5, "image/png", "png-bytes"}));
  const auto tests = tx->resident_tests(c, 1).value();
  ASSERT_EQ(tests.size(), 3u);  // newest first: the antigen test, S1 (no result), P1
  EXPECT_EQ(tests[0].kind, domain::TestKind::antigen);
  EXPECT_EQ(tests[0].result, TestResult::positive);
  EXPECT_EQ(tests[1].tube_code, "S1");
  EXPECT_TRUE(tests[1].at_home);
  EXPECT_FALSE(tests[1].result);
  EXPECT_EQ(tests[2].tube_code, "P1");
  EXPECT_EQ(tests[2].reported_at, "2022-04-04T08:00:00Z");
  EXPECT_EQ(tests[2].lab, "华大");
  EXPECT_EQ(tx->get_antigen_photo(c, 1).value().value().photo, "png-bytes");
  EXPECT_EQ(tx->positive_antigen_tests(c).value().size(), 1u);

  const auto positives = tx->positive_swabs(c, std::nullopt).value();
  ASSERT_EQ(positives.size(), 3u);
  EXPECT_EQ(positives[0].kind, domain::TubeKind::pooled);
  EXPECT_EQ(positives[0].household_id, 1);
  EXPECT_TRUE(tx->positive_swabs(c, 2).value().empty());
  EXPECT_EQ(tx->swabs_in_tube(c, "S1").value().size(), 1u);
}

TEST_P(StoreConformance, ScreeningMarksExcuseResidentsFromARound) {
  const auto c = seed("A", 3);
  auto tx = write();
  ASSERT_TRUE(tx->insert_round(ScreeningRound{c, 0, "2022-04-04", {}, kNow.data(), 1}));
  ASSERT_TRUE(tx->set_screening_mark(
      ScreeningMarkRow{c, 2, domain::ScreeningMark::away, "住院", kNow.data(), 1}));
  ASSERT_TRUE(tx->set_screening_mark(
      ScreeningMarkRow{c, 2, domain::ScreeningMark::exempt, "婴儿", kNow.data(), 1}));
  ASSERT_TRUE(tx->set_screening_mark(
      ScreeningMarkRow{c, 3, domain::ScreeningMark::home, "卧床", kNow.data(), 1}));
  const auto marks = tx->list_screening_marks(c).value();
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[0].mark, domain::ScreeningMark::exempt);  // set replaces
  EXPECT_EQ(marks[0].reason, "婴儿");
  const auto coverage = tx->round_coverage(c, 1).value();
  ASSERT_EQ(coverage.size(), 1u);
  EXPECT_EQ(coverage[0].expected, 2);
  EXPECT_EQ(coverage[0].excused, 1);
  EXPECT_EQ(tx->unsampled_residents(c, 1).value().size(), 2u);
  ASSERT_TRUE(tx->clear_screening_mark(c, 2));
  EXPECT_EQ(tx->clear_screening_mark(c, 2).error().kind, Error::Kind::not_found);
  EXPECT_FALSE(tx->get_screening_mark(c, 2).value());
  EXPECT_EQ(tx->unsampled_residents(c, 1).value().size(), 3u);
}

TEST_P(StoreConformance, ExitRequestsDecisionsAndPassesKeepTheirRecord) {
  const auto c = seed("A", 2);
  auto tx = write();
  EXPECT_FALSE(tx->current_policy(c).value());
  ASSERT_EQ(tx->insert_policy(PolicyVersion{c, 0, "v1", "version = \"v1\"", kNow.data(), 1, "d1"})
                .value(),
            1);
  ASSERT_EQ(tx->insert_policy(PolicyVersion{c, 0, "v2", "version = \"v2\"", kNow.data(), 1, "d2"})
                .value(),
            2);
  EXPECT_EQ(tx->current_policy(c).value()->version, "v2");
  EXPECT_EQ(tx->list_policies(c).value().size(), 2u);

  ASSERT_TRUE(tx->insert_signing_key(SigningKey{c, 1, std::string(32, 'k'), kNow.data(), ""}));
  EXPECT_FALSE(tx->insert_signing_key(SigningKey{c, 1, std::string(32, 'k'), kNow.data(), ""}));
  ASSERT_TRUE(tx->retire_signing_key(c, 1, "2022-04-05T00:00:00Z"));
  EXPECT_EQ(tx->list_signing_keys(c).value().at(0).retired_at, "2022-04-05T00:00:00Z");

  ExitRequest r{c,           0,
                2,           "medical_staff_return",
                "医院",      "2022-04-05T00:00:00Z",
                "",          "",
                1,           "staff",
                kNow.data(), "open"};
  ASSERT_EQ(tx->insert_exit_request(r).value(), 1);
  ASSERT_EQ(tx->insert_exit_request(r).value(), 2);
  ASSERT_TRUE(tx->set_exit_request_status(c, 2, "denied"));
  EXPECT_EQ(tx->list_exit_requests({c, "open"}).value().size(), 1u);
  EXPECT_EQ(tx->list_exit_requests({c, ""}).value().size(), 2u);
  EXPECT_EQ(tx->list_exit_requests({c, "", std::nullopt, 1}).value().size(), 0u);
  EXPECT_EQ(tx->get_exit_request(c, 2).value()->status, "denied");

  ASSERT_EQ(tx->insert_proof(
                  Proof{c, 0, 1, "proof", "abc", "application/pdf", 10, "a.pdf", 1, kNow.data()})
                .value(),
            1);
  EXPECT_EQ(tx->list_proofs(c, 1).value().at(0).digest, "abc");
  ASSERT_TRUE(tx->insert_pledge(Pledge{c, 1, "我承诺", "typed", "张三", 0, kNow.data(), 5}));
  EXPECT_EQ(
      tx->insert_pledge(Pledge{c, 1, "again", "typed", "张三", 0, kNow.data(), 5}).error().kind,
      Error::Kind::conflict);
  EXPECT_EQ(tx->get_pledge(c, 1).value()->signed_name, "张三");

  ASSERT_TRUE(tx->insert_decision(Decision{c,
                                           0,
                                           1,
                                           "approved",
                                           true,
                                           "特批",
                                           "v2",
                                           {"exit.needs_proof", "exit.needs_pledge"},
                                           {"exit.needs_pledge"},
                                           1,
                                           kNow.data()}));
  const auto decisions = tx->list_decisions(c, 1).value();
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_TRUE(decisions[0].override_rules);
  EXPECT_EQ(decisions[0].rules_applied.size(), 2u);
  EXPECT_EQ(decisions[0].rules_unmet, std::vector<std::string>{"exit.needs_pledge"});

  PassRow p;
  p.community_id = c;
  p.request_id = 1;
  p.holder = 2;
  p.household_id = 1;
  p.reason = "medical_staff_return";
  p.valid_from = "2022-04-05T00:00:00Z";
  p.valid_until = "2022-04-06T00:00:00Z";
  p.policy_version = "v2";
  p.approved_at = kNow.data();
  p.approved_by = 1;
  ASSERT_EQ(tx->insert_pass(p).value(), 1);
  ASSERT_TRUE(tx->set_pass_token(c, 1, 1, "JW1.token"));
  EXPECT_EQ(tx->find_pass_of_request(c, 1).value()->token, "JW1.token");
  EXPECT_EQ(tx->list_passes({c, true}).value().size(), 1u);  // unused: open
  const auto exit_id =
      tx->insert_pass_exit(c, 1, PassExit{0, "2022-04-05T01:00:00Z", 1, "staff"}).value();
  EXPECT_EQ(exit_id, 1);
  EXPECT_EQ(tx->list_passes({c, true}).value().size(), 1u);  // out: open
  ASSERT_TRUE(
      tx->return_pass_exit(c, 1, PassExit{exit_id, "", 0, "", "2022-04-05T05:00:00Z", 2, "gate"}));
  EXPECT_TRUE(tx->list_passes({c, true}).value().empty());  // back: closed
  const auto pass = tx->get_pass(c, 1).value().value();
  ASSERT_EQ(pass.exits.size(), 1u);
  EXPECT_EQ(pass.exits[0].returned_via, "gate");
  EXPECT_EQ(pass.exits[0].exited_at, "2022-04-05T01:00:00Z");
  ASSERT_TRUE(tx->revoke_pass(c, 1, kNow.data(), 1, "取消"));
  EXPECT_EQ(tx->get_pass(c, 1).value()->revoke_reason, "取消");
  EXPECT_EQ(tx->revoke_pass(c, 9, kNow.data(), 1, "x").error().kind, Error::Kind::not_found);
  EXPECT_EQ(tx->list_passes({c, false, 1}).value().size(), 1u);
  EXPECT_EQ(tx->list_passes({c, false, 2}).value().size(), 0u);
}

TEST_P(StoreConformance, TheGateLogIsAppendedAndFiltered) {
  const auto c = seed("A", 2);
  auto tx = write();
  const GateEvent events[] = {
      {c, 0, "2022-04-04T23:00:00Z", "out", "allow", "gate.out", 1, 1, "1号楼", 7, "online"},
      {c, 0, "2022-04-05T01:00:00Z", "out", "deny", "pass.used", 1, 1, "1号楼", 7, "online"},
      {c, 0, "2022-04-05T02:00:00Z", "in", "allow", "gate.in", 1, 1, "1号楼", 7, "offline"},
      {c, 0, "2022-04-05T03:00:00Z", "out", "deny", "gate.unknown_person", 0, 0, "", 7, "online"},
  };
  for (const GateEvent& e : events)
    ASSERT_TRUE(tx->insert_gate_event(e));
  EXPECT_EQ(tx->list_gate_events({c}).value().size(), 4u);
  GateEventQuery q{c};
  q.from = "2022-04-05T00:00:00Z";
  q.to = "2022-04-05T03:00:00Z";
  const auto day = tx->list_gate_events(q).value();
  ASSERT_EQ(day.size(), 2u);
  EXPECT_EQ(day[0].code, "pass.used");
  EXPECT_EQ(day[1].source, "offline");
  GateEventQuery denials{c};
  denials.decision = "deny";
  denials.direction = "out";
  EXPECT_EQ(tx->list_gate_events(denials).value().size(), 2u);
  GateEventQuery of_pass{c};
  of_pass.pass_id = 1;
  of_pass.building = "1号楼";
  EXPECT_EQ(tx->list_gate_events(of_pass).value().size(), 3u);
  GateEventQuery page{c};
  page.after = 2;
  page.limit = 1;
  const auto next = tx->list_gate_events(page).value();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].id, 3);
}

TEST_P(StoreConformance, OfflineChecksAreFoundByTheirDeviceAndFlaggedConflictsListed) {
  const auto c = seed("A", 2);
  auto tx = write();
  GateEvent synced{c, 0,        "2022-04-05T02:00:00Z", "out", "allow", "gate.out", 1, 1, "1号楼",
                   7, "offline"};
  synced.device = "east";
  synced.client_event_id = "e-1";
  synced.synced_at = "2022-04-05T03:00:00Z";
  synced.conflict = "pass.used";
  ASSERT_TRUE(tx->insert_gate_event(synced));
  GateEvent online{c, 0,       "2022-04-05T02:30:00Z", "in", "allow", "gate.in", 1, 1, "1号楼",
                   7, "online"};
  ASSERT_TRUE(tx->insert_gate_event(online));

  const auto found = tx->find_gate_event(c, "east", "e-1").value();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->conflict, "pass.used");
  EXPECT_EQ(found->synced_at, "2022-04-05T03:00:00Z");
  EXPECT_EQ(found->device, "east");
  EXPECT_FALSE(tx->find_gate_event(c, "west", "e-1").value());
  EXPECT_FALSE(tx->find_gate_event(c, "east", "").value());
  // The same check is written once per device.
  EXPECT_FALSE(tx->insert_gate_event(synced));
  synced.device = "west";
  EXPECT_TRUE(tx->insert_gate_event(synced));

  GateEventQuery conflicts{c};
  conflicts.conflicts_only = true;
  EXPECT_EQ(tx->list_gate_events(conflicts).value().size(), 2u);
  EXPECT_EQ(tx->list_gate_events({c}).value().size(), 3u);
}

TEST_P(StoreConformance, AGateConflictIsFollowedUpOnceItsNoteKept) {
  const auto c = seed("A", 2);
  auto tx = write();
  GateEvent e{c, 0,        "2022-04-05T02:00:00Z", "out", "allow", "gate.out", 1, 1, "1号楼",
              7, "offline"};
  e.device = "east";
  e.client_event_id = "e-1";
  e.conflict = "pass.used";
  const std::int64_t first = tx->insert_gate_event(e).value();
  e.client_event_id = "e-2";
  const std::int64_t second = tx->insert_gate_event(e).value();

  GateEvent read = tx->get_gate_event(c, first).value().value();
  EXPECT_EQ(read.conflict, "pass.used");
  EXPECT_EQ(read.followed_up_at, "");
  EXPECT_FALSE(tx->get_gate_event(c, 999).value());
  read.followed_up_at = "2022-04-05T04:00:00Z";
  read.followed_up_by = 3;
  read.follow_up_note = "已电话核实";
  ASSERT_TRUE(tx->follow_up_gate_event(read));
  const GateEvent after = tx->get_gate_event(c, first).value().value();
  EXPECT_EQ(after.followed_up_at, "2022-04-05T04:00:00Z");
  EXPECT_EQ(after.followed_up_by, 3);
  EXPECT_EQ(after.follow_up_note, "已电话核实");
  GateEvent missing = read;
  missing.id = 999;
  EXPECT_EQ(tx->follow_up_gate_event(missing).error().kind, Error::Kind::not_found);

  GateEventQuery open{c};
  open.conflicts_only = true;
  open.followed_up = false;
  const auto open_list = tx->list_gate_events(open).value();
  ASSERT_EQ(open_list.size(), 1u);
  EXPECT_EQ(open_list[0].id, second);
  open.followed_up = true;
  const auto done = tx->list_gate_events(open).value();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].follow_up_note, "已电话核实");
  EXPECT_EQ(tx->list_gate_events({c}).value().size(), 2u);
}

TEST_P(StoreConformance, TheAuditTrailIsAppendedAndReadInOrder) {
  const auto c = seed("A", 1);
  auto tx = write();
  EXPECT_FALSE(tx->last_audit(c).value());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(tx->insert_audit(
        AuditRecord{c, i, kNow.data(), 1, "staff", "pass.issue", "pass", std::to_string(i), "", "a",
                    "v1", i == 1 ? "" : "h" + std::to_string(i - 1), "h" + std::to_string(i)}));
  }
  EXPECT_FALSE(tx->insert_audit(AuditRecord{c, 2, kNow.data()}));  // a seq is written once
  EXPECT_EQ(tx->last_audit(c).value()->hash, "h3");
  std::vector<std::int64_t> seen;
  ASSERT_TRUE(tx->for_each_audit(c, 1, [&](const AuditRecord& r) {
    seen.push_back(r.seq);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{2, 3}));
  seen.clear();
  ASSERT_TRUE(tx->for_each_audit(c, 0, [&](const AuditRecord& r) {
    seen.push_back(r.seq);
    return false;
  }));
  EXPECT_EQ(seen, std::vector<std::int64_t>{1});
}

// A community's chain id (the id its audit chain's hashes carry) is its own id, unless it came
// from another database with one (juwei migrate); every read of the trail returns it.
TEST_P(StoreConformance, ACommunityKeepsTheChainIdItCameWith) {
  auto tx = write();
  const auto own = tx->insert_community(domain::Community{0, 0, "东园"}, kNow).value();
  const auto moved =
      tx->insert_community(domain::Community{0, 0, "西园", "Asia/Shanghai", own}, kNow).value();
  ASSERT_NE(moved, own);
  // Each records its creation, by the id it was made with where its chain began.
  for (const domain::CommunityId c : {own, moved}) {
    ASSERT_TRUE(
        tx->insert_audit(AuditRecord{c, 1, kNow.data(), 0, "operator", "community.create",
                                     "community", std::to_string(own), "", "a", "", "", "h1"}));
  }
  const auto communities = tx->list_communities().value();
  ASSERT_EQ(communities.size(), 2u);
  EXPECT_EQ(communities[0].chain_id, own);
  EXPECT_EQ(communities[1].chain_id, own);
  EXPECT_EQ(tx->last_audit(own).value()->chain_id, own);
  EXPECT_EQ(tx->last_audit(moved).value()->chain_id, own);
  int seen = 0;
  ASSERT_TRUE(tx->for_each_audit(moved, 0, [&](const AuditRecord& r) {
    EXPECT_EQ(r.chain_id, own);
    ++seen;
    return true;
  }));
  EXPECT_EQ(seen, 1);
  const auto listed = tx->list_audit({.community_id = moved}).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].record.chain_id, own);
  // A moved chain's community ids are of the database it came from: its own is itself here.
  EXPECT_EQ(listed[0].object_name, "西园");
  EXPECT_EQ(tx->list_audit({.community_id = own}).value().at(0).object_name, "东园");
}

TEST_P(StoreConformance, TheAuditTrailIsListedNewestFirstByItsFilters) {
  const auto c = seed("A", 1);
  auto tx = write();
  const char* actions[] = {"building.create", "pass.issue", "pass.revoke", "pass.issue"};
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(tx->insert_audit(AuditRecord{c, i, i == 4 ? "2022-04-06T01:00:00Z" : kNow.data(),
                                             i % 2, "staff", actions[i - 1], "pass",
                                             std::to_string(i), "", "a", "", "", "h"}));
  }
  const auto seqs = [&](AuditQuery q) {
    q.community_id = c;
    std::vector<std::int64_t> out;
    const std::vector<AuditListing> listed = tx->list_audit(q).value();
    for (const AuditListing& l : listed)
      out.push_back(l.record.seq);
    return out;
  };
  EXPECT_EQ(seqs({}), (std::vector<std::int64_t>{4, 3, 2, 1}));
  EXPECT_EQ(seqs({.after = 3, .limit = 1}), std::vector<std::int64_t>{2});
  EXPECT_EQ(seqs({.newest_first = false, .after = 1, .limit = 2}),
            (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(seqs({.actor = 0}), (std::vector<std::int64_t>{4, 2}));
  EXPECT_EQ(seqs({.action = "pass.issue"}), (std::vector<std::int64_t>{4, 2}));
  EXPECT_EQ(seqs({.entity = "pass", .entity_id = "3"}), std::vector<std::int64_t>{3});
  EXPECT_EQ(seqs({.from = "2022-04-06T00:00:00Z", .to = "2022-04-07T00:00:00Z"}),
            std::vector<std::int64_t>{4});
  // No such pass or resident: the records are listed unnamed, and a resident's filter with
  // nobody in it matches nothing.
  EXPECT_EQ(tx->list_audit({.community_id = c}).value()[0].object_name, "");
  EXPECT_TRUE(seqs({.residents = std::vector<domain::ResidentId>{}}).empty());
}

// The concurrency contract (store.hpp): writers of one community that each log a gate check
// and append to the audit chain at the same moment all succeed, on their own ids, and the chain
// stays one line; a writer told busy changed nothing and runs again. Writers of another
// community run beside them.
TEST_P(StoreConformance, ConcurrentWritersGetTheirOwnIdsAndTheChainStaysOneLine) {
  const auto a = seed("东园", 1);
  const auto b = seed("西园", 1);
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::atomic<int> retries{0};
  std::vector<std::vector<std::int64_t>> ids(kThreads);
  auto writer = [&](int t) {
    const domain::CommunityId c = t % 2 == 0 ? a : b;
    for (int i = 0; i < kEach; ++i) {
      while (true) {
        auto tx = m_store->begin(TxMode::write);
        ASSERT_TRUE(tx.has_value()) << tx.error().message;
        auto attempt = [&]() -> Result<std::int64_t> {
          auto id = (*tx)->insert_gate_event(GateEvent{c, 0, std::string(kNow), "out", "allow",
                                                       "gate.out", 1, 1, "12号楼", 7, "online"});
          if (!id) return id;
          auto last = (*tx)->last_audit(c);
          if (!last) return std::unexpected(last.error());
          const std::int64_t seq = *last ? (*last)->seq + 1 : 1;
          AuditRecord r{c,      seq,          std::string(kNow), 7,
                        "gate", "gate.check", "gate_event",      std::to_string(*id)};
          r.prev_hash = *last ? (*last)->hash : "";
          r.hash = "h" + std::to_string(seq);
          if (auto done = (*tx)->insert_audit(r); !done) return std::unexpected(done.error());
          if (auto done = (*tx)->commit(); !done) return std::unexpected(done.error());
          return *id;
        };
        auto id = attempt();
        if (id) {
          ids[t].push_back(*id);
          break;
        }
        ASSERT_EQ(id.error().kind, Error::Kind::busy) << id.error().message;
        ++retries;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back(writer, t);
  for (std::thread& t : threads)
    t.join();

  for (const domain::CommunityId c : {a, b}) {
    std::set<std::int64_t> seen;
    for (int t = c == a ? 0 : 1; t < kThreads; t += 2)
      seen.insert(ids[t].begin(), ids[t].end());
    EXPECT_EQ(seen.size(), std::size_t{kEach * kThreads / 2}) << "a gate event id given twice";
    auto tx = read();
    GateEventQuery every{c};
    every.limit = 1000;
    EXPECT_EQ(tx->list_gate_events(every).value().size(), std::size_t{kEach * kThreads / 2});
    std::int64_t expected = 1;
    std::string prev;
    ASSERT_TRUE(tx->for_each_audit(c, 0, [&](const AuditRecord& r) {
      EXPECT_EQ(r.seq, expected);
      EXPECT_EQ(r.prev_hash, prev) << "two records appended after the same one";
      prev = r.hash;
      ++expected;
      return true;
    }));
    EXPECT_EQ(expected - 1, kEach * kThreads / 2);
  }
  RecordProperty("busy_retries", retries.load());
}

// The calls the other tests leave out, so that every method of the interface runs on every
// backend.
TEST_P(StoreConformance, RoundsTubesSamplesAndFirstResultsAreReadBack) {
  const auto c = seed("A", 2);
  using domain::TestResult;
  auto tx = write();
  ASSERT_EQ(tx->insert_round(ScreeningRound{c, 0, "2022-04-04", {1}, kNow.data(), 1}).value(), 1);
  const auto round = tx->get_round(c, 1).value().value();
  EXPECT_EQ(round.day, "2022-04-04");
  EXPECT_EQ(round.buildings, std::vector<domain::BuildingId>{1});
  EXPECT_FALSE(tx->get_round(c, 9).value());
  EXPECT_EQ(tx->list_rounds(c).value().size(), 1u);

  EXPECT_FALSE(tx->find_tube(c, "P1").value().exists);
  ASSERT_TRUE(tx->insert_tube(c, "P1", 1, domain::TubeKind::pooled, kNow));
  for (domain::ResidentId r : {1, 2})
    ASSERT_TRUE(tx->insert_sample(Sample{c, 1, 0, "P1", r, kNow.data(), 1, false, ""}));
  const auto tube = tx->find_tube(c, "P1").value();
  EXPECT_TRUE(tube.exists);
  EXPECT_EQ(tube.round_id, 1);
  EXPECT_EQ(tube.swabs, 2);
  EXPECT_EQ(tx->count_samples_of(c, 1, 1).value(), 1);
  EXPECT_EQ(tx->count_samples_of(c, 1, 3).value(), 0);
  EXPECT_EQ(tx->list_samples_of(c, 1, 2).value().at(0).tube_code, "P1");

  // A result dated before its tube's first swab, or for a tube never scanned, is not taken; the
  // first one that fits is, once.
  EXPECT_FALSE(tx->insert_first_tube_result(
                     TubeResult{c, "P1", TestResult::negative, "2022-04-04T01:00:00Z", "华大", "x"})
                   .value());
  EXPECT_FALSE(tx->insert_first_tube_result(
                     TubeResult{c, "Z9", TestResult::negative, "2022-04-04T08:00:00Z", "华大", "x"})
                   .value());
  const TubeResult first{
      c, "P1", TestResult::negative, "2022-04-04T08:00:00Z", "华大", "2022-04-04T09:00:00Z"};
  EXPECT_TRUE(tx->insert_first_tube_result(first).value());
  EXPECT_FALSE(tx->insert_first_tube_result(first).value());
  EXPECT_EQ(tx->get_tube_result(c, "P1").value().value().received_at, "2022-04-04T09:00:00Z");
  EXPECT_FALSE(tx->get_tube_result(c, "Z9").value());

  ASSERT_TRUE(tx->insert_antigen_test(AntigenTest{
      c, 0, 1, TestResult::negative, "2022-04-05T00:00:00Z", "2022-04-05T00:05:00Z", 5, "", ""}));
  int seen = 0;
  ASSERT_TRUE(tx->for_each_resident_test(c, 1, [&](const ResidentTest& t) {
    EXPECT_EQ(t.kind, domain::TestKind::antigen);  // newest first
    ++seen;
    return false;  // and no further
  }));
  EXPECT_EQ(seen, 1);
  ASSERT_TRUE(tx->commit());
}

TEST_P(StoreConformance, RequestsAreCountedProofsFoundAndPassesFoundByShortCode) {
  const auto c = seed("A", 2);
  auto tx = write();
  ExitRequest r{c,           0,
                1,           "medical_staff_return",
                "医院",      "2022-04-05T00:00:00Z",
                "",          "",
                1,           "staff",
                kNow.data(), "open"};
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(tx->insert_exit_request(r));
  ASSERT_TRUE(tx->set_exit_request_status(c, 3, "approved"));
  const auto counts = tx->count_exit_requests({c}).value();
  EXPECT_EQ(counts, (ExitRequestCounts{{"approved", 1}, {"open", 2}}));

  ASSERT_EQ(tx->insert_proof(
                  Proof{c, 0, 1, "proof", "abc", "application/pdf", 10, "a.pdf", 1, kNow.data()})
                .value(),
            1);
  EXPECT_EQ(tx->get_proof(c, 1).value().value().filename, "a.pdf");
  EXPECT_FALSE(tx->get_proof(c, 2).value());

  PassRow p;
  p.community_id = c;
  p.request_id = 3;
  p.holder = 1;
  p.household_id = 1;
  p.reason = "medical_staff_return";
  p.valid_from = "2022-04-05T00:00:00Z";
  p.valid_until = "2022-04-06T00:00:00Z";
  p.policy_version = "v1";
  p.short_code = "7QK2M9XA";
  p.approved_at = kNow.data();
  p.approved_by = 1;
  ASSERT_EQ(tx->insert_pass(p).value(), 1);
  EXPECT_EQ(tx->find_pass_by_short_code(c, "7QK2M9XA").value().value().id, 1);
  EXPECT_FALSE(tx->find_pass_by_short_code(c, "7QK2M9XB").value());
  ASSERT_TRUE(tx->commit());
}

TEST_P(StoreConformance, FailedLoginsAndTheirLockAreKept) {
  const auto c = seed("A", 0);
  {
    auto tx = write();
    const auto id =
        tx->insert_user(domain::User{c, 0, "gate1", domain::Role::gate, false}, "h", kNow).value();
    ASSERT_TRUE(tx->set_login_failures(c, id, 5, "2022-04-04T02:15:00Z"));
    EXPECT_EQ(tx->set_login_failures(c, id + 1, 1, "").error().kind, Error::Kind::not_found);
    ASSERT_TRUE(tx->commit());
  }
  reopen();  // a restart does not lift a lock
  const auto user = read()->find_user("gate1").value().value();
  EXPECT_EQ(user.failed_logins, 5);
  EXPECT_EQ(user.locked_until, "2022-04-04T02:15:00Z");
}

// Every method of the Transaction interface is called by a test above, so the suite checks every
// one on every backend: a method added to store.hpp without a test here fails this.
// A write takes its community's lock before its first statement (the contract in store.hpp);
// taking it again in the same transaction is free, and a lock does not stop the transaction's
// own reads and writes.
TEST_P(StoreConformance, AWriteTakesItsCommunitysLockFirstAndOnce) {
  const auto c = seed("A", 1);
  auto tx = write();
  ASSERT_TRUE(tx->lock_community(c));
  ASSERT_TRUE(tx->lock_community(c));
  EXPECT_TRUE(tx->find_building(c, "12号楼").value());
  EXPECT_EQ(tx->insert_building(domain::Building{c, 0, "5号楼", 6}).value(), 2);
  ASSERT_TRUE(tx->commit());
}

// A roster import's batch: new buildings and households in order of first appearance, removed
// ones restored, new residents in row order, registered ID numbers left to the caller; the ids
// go on from there in the same transaction, and text with tabs and newlines survives the load.
TEST_P(StoreConformance, ARosterBatchAddsWhatIsNewAndLeavesWhatIsKnown) {
  const auto c = seed("A", 1);  // 12号楼 (1), its 301 (1), resident 1
  auto tx = write();
  const auto old = tx->insert_building(domain::Building{c, 0, "3号楼", 6}).value();
  const auto old_room = tx->insert_household(domain::Household{c, 0, old, "201"}).value();
  ASSERT_TRUE(tx->update_household(
      domain::Household{c, old_room, old, "201", domain::Removal{std::string(kNow), "拆除"}}));
  ASSERT_TRUE(tx->update_building(
      domain::Building{c, old, "3号楼", 6, domain::Removal{std::string(kNow), "拆除"}}));

  std::vector<domain::Resident> people;
  for (int i = 0; i < 5; ++i)
    people.push_back(resident(c, 0, i));
  // COPY's own escapes in the text: a tab, a newline, a carriage return, a backslash before t.
  people[1].notes = "制表\t符，换行\n，回车\r，反斜杠 \\t";
  const std::vector<RosterRow> rows{{"12号楼", "301", &people[0]},
                                    {"5号楼", "101", &people[1]},
                                    {"3号楼", "202", &people[2]},
                                    {"5号楼", "101", &people[3]},
                                    {"3号楼", "201", &people[4]}};
  auto added = tx->add_roster(c, rows, kNow).value();
  EXPECT_EQ(added.buildings_added, 1);  // 5号楼; 3号楼 restored
  EXPECT_EQ(added.households_added, 2);
  const std::vector<domain::HouseholdId> households{1, old_room + 1, old_room + 2, old_room + 1,
                                                    old_room};
  EXPECT_EQ(added.households, households);
  const std::vector<std::optional<domain::ResidentId>> ids{std::nullopt, 2, 3, 4, 5};
  EXPECT_EQ(added.residents, ids);
  EXPECT_FALSE(tx->get_building(c, old).value()->removal.removed());
  EXPECT_FALSE(tx->get_household(c, old_room).value()->removal.removed());
  EXPECT_EQ(tx->find_building(c, "5号楼").value()->id, old + 1);

  const auto back = tx->get_resident(c, 2).value().value();
  EXPECT_EQ(back.resident.name, people[1].name);
  EXPECT_EQ(back.resident.id_number, people[1].id_number);
  EXPECT_EQ(back.resident.notes, people[1].notes);
  EXPECT_EQ(back.resident.household_id, old_room + 1);
  EXPECT_TRUE(back.resident.same_details(people[1]));

  // The transaction's next ids count on from the batch's.
  EXPECT_EQ(tx->insert_resident(resident(c, 1, 7), kNow).value(), 6);
  EXPECT_EQ(tx->insert_building(domain::Building{c, 0, "9号楼", 6}).value(), old + 2);

  // Everything known now: nothing added, the same households found.
  auto again = tx->add_roster(c, rows, kNow).value();
  EXPECT_EQ(again.buildings_added, 0);
  EXPECT_EQ(again.households_added, 0);
  EXPECT_EQ(again.households, households);
  EXPECT_EQ(again.residents, std::vector<std::optional<domain::ResidentId>>(5));
  EXPECT_TRUE(tx->add_roster(c, {}, kNow).value().residents.empty());
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(read()->count_registry(c).value().residents, 6);
}

// A lab file's batch of first results: each added when its tube is known, swabbed before the
// report and without a result; once.
TEST_P(StoreConformance, ABatchOfFirstResultsAddsEachFittingTubeOnce) {
  const auto c = seed("A", 2);
  using domain::TestResult;
  auto tx = write();
  ASSERT_TRUE(tx->insert_round(ScreeningRound{c, 0, "2022-04-04", {1}, kNow.data(), 1}));
  ASSERT_TRUE(tx->insert_tube(c, "P1", 1, domain::TubeKind::pooled, kNow));
  ASSERT_TRUE(tx->insert_tube(c, "S2", 1, domain::TubeKind::single, kNow));
  const std::vector<TubeResult> batch{
      {c, "P1", TestResult::negative, "2022-04-04T01:00:00Z", "华大", "r"},  // before the swab
      {c, "Z9", TestResult::negative, "2022-04-04T08:00:00Z", "华大", "r"},  // never scanned
      {c, "S2", TestResult::positive, "2022-04-04T08:00:00Z", "华大\t检测", "r"}};
  EXPECT_EQ(tx->add_first_tube_results(c, batch).value(), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(tx->get_tube_result(c, "S2").value().value().result, TestResult::positive);
  EXPECT_EQ(tx->get_tube_result(c, "S2").value().value().lab, "华大\t检测");
  EXPECT_FALSE(tx->get_tube_result(c, "P1").value());
  const std::vector<TubeResult> later{
      {c, "S2", TestResult::negative, "2022-04-04T09:00:00Z", "华大", "r"},
      {c, "P1", TestResult::negative, "2022-04-04T09:00:00Z", "华大", "r"}};
  EXPECT_EQ(tx->add_first_tube_results(c, later).value(), (std::vector<bool>{false, true}));
  EXPECT_EQ(tx->get_tube_result(c, "S2").value().value().result, TestResult::positive);
  EXPECT_TRUE(tx->add_first_tube_results(c, {}).value().empty());
  ASSERT_TRUE(tx->commit());
}

// The daily report's reads: the register by building, a day's counts (2022-04-05 in Shanghai:
// 2022-04-04T16:00Z to 2022-04-05T16:00Z) and what stood at its end, each record placed just
// inside or just outside the day.
// The testing cadence's counts: a resident's swab days (two rounds of one day count once) and
// self-tests inside the window; residents marked away and removed ones are left out.
TEST_P(StoreConformance, TestCountsGiveEachResidentsSwabDaysAndSelfTestsInAWindow) {
  constexpr std::string_view kFrom = "2022-04-03T16:00:00Z";
  constexpr std::string_view kTo = "2022-04-05T16:00:00Z";
  const auto c = seed("A", 4);  // 王丽, 居民1, 居民2, 居民3 in 12号楼 301
  auto tx = write();
  const auto b2 = tx->insert_building(domain::Building{c, 0, "13号楼", 6}).value();
  const auto h2 = tx->insert_household(domain::Household{c, 0, b2, "101"}).value();
  const auto other = tx->insert_resident(resident(c, h2, 4), kNow).value();
  ASSERT_TRUE(tx->set_screening_mark(
      ScreeningMarkRow{c, 3, domain::ScreeningMark::away, "外地", kNow.data(), 1}));
  auto gone = tx->get_resident(c, 4).value().value().resident;
  gone.removal = {kNow.data(), "迁出"};
  ASSERT_TRUE(tx->update_resident(gone, kNow));
  ASSERT_TRUE(tx->insert_round(ScreeningRound{c, 0, "2022-04-04", {}, "2022-04-04T00:00:00Z", 1}));
  ASSERT_TRUE(tx->insert_round(ScreeningRound{c, 0, "2022-04-05", {}, "2022-04-05T00:00:00Z", 1}));
  ASSERT_TRUE(tx->insert_round(ScreeningRound{c, 0, "2022-04-05", {}, "2022-04-05T05:00:00Z", 1}));
  for (const auto& [code, round, at] :
       {std::tuple{"T0", 1, "2022-04-03T15:00:00Z"}, std::tuple{"T1", 1, "2022-04-04T01:00:00Z"},
        std::tuple{"T2", 2, "2022-04-05T01:00:00Z"}, std::tuple{"T3", 3, "2022-04-05T06:00:00Z"},
        std::tuple{"T4", 3, "2022-04-05T16:00:00Z"}}) {
    ASSERT_TRUE(tx->insert_tube(c, code, round, domain::TubeKind::pooled, at));
  }
  // 王丽: before the window, then the 4th, then both rounds of the 5th: 2 days.
  for (const auto& [code, round, at] :
       {std::tuple{"T0", 1, "2022-04-03T15:00:00Z"}, std::tuple{"T1", 1, "2022-04-04T01:00:00Z"},
        std::tuple{"T2", 2, "2022-04-05T01:00:00Z"}, std::tuple{"T3", 3, "2022-04-05T06:00:00Z"}}) {
    ASSERT_TRUE(tx->insert_sample(Sample{c, round, 0, code, 1, at, 1, false, ""}));
  }
  ASSERT_TRUE(tx->insert_sample(Sample{c, 3, 0, "T4", 2, "2022-04-05T16:00:00Z", 1, false, ""}));
  ASSERT_TRUE(tx->insert_sample(Sample{c, 2, 0, "T2", 3, "2022-04-05T01:00:00Z", 1, false, ""}));
  ASSERT_TRUE(tx->insert_sample(Sample{c, 2, 0, "T2", other, "2022-04-05T01:00:00Z", 1, false, ""}));
  // 居民1: two self-tests inside, one after.
  for (const char* at : {"2022-04-04T02:00:00Z", "2022-04-05T02:00:00Z", "2022-04-05T16:00:00Z"}) {
    ASSERT_TRUE(tx->insert_antigen_test(
        AntigenTest{c, 0, 2, domain::TestResult::negative, at, at, 1, "", ""}));
  }
  ASSERT_TRUE(tx->commit());

  auto rx = read();
  const auto counts = rx->test_counts(c, kFrom, kTo).value();
  ASSERT_EQ(counts.size(), 3u);  // 居民2 away, 居民3 removed
  EXPECT_EQ(counts[0].resident_id, 1);
  EXPECT_EQ(counts[0].name, "王丽");
  EXPECT_EQ(counts[0].building, "12号楼");
  EXPECT_EQ(counts[0].room, "301");
  EXPECT_EQ(counts[0].pcr_days, 2);
  EXPECT_EQ(counts[0].antigen, 0);
  EXPECT_EQ(counts[1].resident_id, 2);
  EXPECT_EQ(counts[1].pcr_days, 0);  // swabbed after the window
  EXPECT_EQ(counts[1].antigen, 2);
  EXPECT_EQ(counts[2].resident_id, other);
  EXPECT_EQ(counts[2].building_id, b2);
  EXPECT_EQ(counts[2].pcr_days, 1);
  EXPECT_TRUE(rx->test_counts(c + 1000, kFrom, kTo).value().empty());
}

TEST_P(StoreConformance, AReportCountsTheRegisterByBuildingAndADaysRecords) {
  constexpr std::string_view kFrom = "2022-04-04T16:00:00Z";
  constexpr std::string_view kTo = "2022-04-05T16:00:00Z";
  constexpr const char* kBefore = "2022-04-04T15:59:59Z";
  constexpr const char* kInside = "2022-04-05T01:00:00Z";
  constexpr const char* kAfter = "2022-04-05T16:00:00Z";
  const auto c = seed("A", 0);
  auto tx = write();
  const auto b1 = tx->find_building(c, "12号楼").value().value().id;
  const auto b2 = tx->insert_building(domain::Building{c, 0, "13号楼", 6}).value();
  const auto removed = tx->insert_building(domain::Building{c, 0, "14号楼", 6}).value();
  auto gone = tx->get_building(c, removed).value().value();
  gone.removal = {kNow.data(), "拆除"};
  ASSERT_TRUE(tx->update_building(gone));
  const auto h2 = tx->insert_household(domain::Household{c, 0, b1, "302"}).value();
  ASSERT_TRUE(tx->insert_household(domain::Household{c, 0, b1, "303"}).has_value());  // empty
  auto r1 = resident(c, 1, 0);
  r1.vulnerabilities.add(domain::Vulnerability::dialysis);
  const auto dialysis = tx->insert_resident(r1, kNow).value();
  auto r2 = resident(c, h2, 1);
  r2.vulnerabilities.add(domain::Vulnerability::pregnant);
  r2.vulnerabilities.add(domain::Vulnerability::elderly_alone);
  const auto pregnant = tx->insert_resident(r2, kNow).value();
  auto r3 = resident(c, h2, 2);
  r3.vulnerabilities.add(domain::Vulnerability::dialysis);
  const auto left = tx->insert_resident(r3, kNow).value();
  r3.id = left;
  r3.removal = {kNow.data(), "迁出"};
  ASSERT_TRUE(tx->update_resident(r3, kNow));

  using domain::ZoneStatus;
  for (const auto& [at, status] : {std::pair{kBefore, ZoneStatus::controlled},
                                   std::pair{kInside, ZoneStatus::sealed},
                                   std::pair{kAfter, ZoneStatus::precaution}}) {
    ASSERT_TRUE(tx->insert_status_change(StatusChange{c, b1, 0, status, at, 1, "", "zone.manual"}));
  }
  ASSERT_TRUE(tx->insert_status_change(
      StatusChange{c, b2, 0, ZoneStatus::precaution, kBefore, 1, "", "zone.manual"}));

  // Three requests: one filed the day before (approved that day), two that day (one denied, one
  // an emergency released at once, its paperwork due within the day and not all in by its end).
  for (const char* at : {kBefore, kInside, kInside}) {
    ASSERT_TRUE(tx->insert_exit_request(ExitRequest{c, 0, dialysis, "dialysis", "医院", at, "", "",
                                                    1, "staff", at, "open"}));
  }
  const std::pair<std::int64_t, const char*> decided[] = {
      {1, "approved"}, {2, "denied"}, {3, "released"}};
  for (const auto& [request, outcome] : decided) {
    ASSERT_TRUE(tx->insert_decision(
        Decision{c, 0, request, outcome, false, "", "v1", {}, {}, 1, kInside}));
  }
  ASSERT_TRUE(tx->insert_pledge(Pledge{c, 3, "我承诺", "typed", "王丽", 0, kInside, 1}));
  ASSERT_TRUE(tx->insert_proof(
      Proof{c, 0, 3, "proof", "abc", "application/pdf", 10, "a.pdf", 1, kAfter}));  // too late
  PassRow p;
  p.community_id = c;
  p.holder = dialysis;
  p.household_id = 1;
  p.reason = "dialysis";
  p.valid_from = kBefore;
  p.valid_until = kAfter;
  p.policy_version = "v1";
  p.approved_at = kBefore;
  p.approved_by = 1;
  p.request_id = 1;
  p.return_by = "2022-04-05T10:00:00Z";  // passed by the day's end: overdue
  const auto overdue = tx->insert_pass(p).value();
  p.request_id = 3;
  p.emergency = true;
  p.return_by = "";
  p.paperwork_due_at = "2022-04-05T12:00:00Z";
  const auto emergency = tx->insert_pass(p).value();
  p.request_id = 0;
  p.emergency = false;
  p.paperwork_due_at = "";
  const auto back = tx->insert_pass(p).value();
  // Out before the day, still out at its end; out that day, back after it (out at the end);
  // out the day before and back that day.
  ASSERT_TRUE(tx->insert_pass_exit(c, overdue, PassExit{0, kBefore, 1, "gate"}));
  const auto late = tx->insert_pass_exit(c, emergency, PassExit{0, kInside, 1, "staff"}).value();
  ASSERT_TRUE(tx->return_pass_exit(c, emergency, PassExit{late, "", 0, "", kAfter, 1, "gate"}));
  const auto home = tx->insert_pass_exit(c, back, PassExit{0, kBefore, 1, "gate"}).value();
  ASSERT_TRUE(tx->return_pass_exit(c, back, PassExit{home, "", 0, "", kInside, 1, "gate"}));

  // Screening: a pooled tube of the day positive (both residents on retest), one of them swabbed
  // again into a single tube that day (a retest done), a tube of the day before.
  ASSERT_TRUE(tx->insert_round(ScreeningRound{c, 0, "2022-04-05", {}, kInside, 1}));
  ASSERT_TRUE(tx->insert_tube(c, "P1", 1, domain::TubeKind::pooled, kInside));
  ASSERT_TRUE(tx->insert_tube(c, "S1", 1, domain::TubeKind::single, "2022-04-05T09:00:00Z"));
  ASSERT_TRUE(tx->insert_tube(c, "P0", 1, domain::TubeKind::pooled, kBefore));
  ASSERT_TRUE(tx->insert_sample(Sample{c, 1, 0, "P1", dialysis, kInside, 1, false, ""}));
  ASSERT_TRUE(tx->insert_sample(Sample{c, 1, 0, "P1", pregnant, kInside, 1, false, ""}));
  ASSERT_TRUE(
      tx->insert_sample(Sample{c, 1, 0, "S1", pregnant, "2022-04-05T09:00:00Z", 1, false, "复核"}));
  ASSERT_TRUE(tx->insert_sample(Sample{c, 1, 0, "P0", dialysis, kBefore, 1, false, ""}));
  using domain::TestResult;
  ASSERT_TRUE(tx->insert_tube_result(TubeResult{c, "P1", TestResult::positive,
                                                "2022-04-05T08:00:00Z", "华大",
                                                "2022-04-05T08:30:00Z"}));
  ASSERT_TRUE(tx->insert_tube_result(
      TubeResult{c, "P0", TestResult::negative, kBefore, "华大", kBefore}));
  ASSERT_TRUE(tx->insert_antigen_test(
      AntigenTest{c, 0, pregnant, TestResult::positive, kInside, kInside, 1, "", ""}));
  ASSERT_TRUE(tx->insert_antigen_test(
      AntigenTest{c, 0, dialysis, TestResult::negative, kInside, kAfter, 1, "", ""}));

  for (const auto& [at, decision, code] :
       {std::tuple{kInside, "deny", "pass.expired"}, std::tuple{kInside, "deny", "pass.used"},
        std::tuple{kInside, "deny", "pass.expired"}, std::tuple{kInside, "allow", "gate.out"},
        std::tuple{kAfter, "deny", "pass.used"}}) {
    ASSERT_TRUE(tx->insert_gate_event(
        GateEvent{c, 0, at, "out", decision, code, 1, dialysis, "12号楼", 7, "online"}));
  }
  ASSERT_TRUE(tx->commit());

  auto rx = read();
  const auto reg = rx->register_by_building(c).value();
  ASSERT_EQ(reg.size(), 2u);  // the removed building is left out
  EXPECT_EQ(reg[0].building, "12号楼");
  EXPECT_EQ(reg[0].households, 3);
  EXPECT_EQ(reg[0].residents, 2);
  EXPECT_EQ(reg[0].by_vulnerability[4], 1);  // dialysis: the removed resident not counted
  EXPECT_EQ(reg[0].by_vulnerability[1], 1);  // pregnant
  EXPECT_EQ(reg[0].by_vulnerability[0], 1);  // elderly alone
  EXPECT_EQ(reg[1].building_id, b2);
  EXPECT_EQ(reg[1].households, 0);
  EXPECT_EQ(reg[1].residents, 0);

  const auto w = rx->count_window(c, kFrom, kTo).value();
  EXPECT_EQ(w.requests_filed, 2);
  EXPECT_EQ(w.approved, 1);
  EXPECT_EQ(w.denied, 1);
  EXPECT_EQ(w.released, 1);
  EXPECT_EQ(w.exits, 1);
  EXPECT_EQ(w.returns, 1);
  EXPECT_EQ(w.out_at_end, 2);
  EXPECT_EQ(w.overdue_at_end, 1);
  EXPECT_EQ(w.paperwork_overdue_at_end, 1);
  EXPECT_EQ(w.tubes, 2);
  EXPECT_EQ(w.swabs, 3);
  EXPECT_EQ(w.results, 1);
  EXPECT_EQ(w.positive_pooled, 1);
  EXPECT_EQ(w.positive_single, 0);
  EXPECT_EQ(w.retest_due, 2);
  EXPECT_EQ(w.retest_done, 1);
  EXPECT_EQ(w.antigen_reports, 1);
  EXPECT_EQ(w.antigen_positive, 1);
  using Denial = std::pair<std::string, std::int64_t>;
  EXPECT_EQ(w.gate_denials, (std::vector<Denial>{{"pass.expired", 2}, {"pass.used", 1}}));
  // The day before: the request filed, the exits begun, nothing out overdue yet.
  const auto before = rx->count_window(c, "2022-04-03T16:00:00Z", kFrom).value();
  EXPECT_EQ(before.requests_filed, 1);
  EXPECT_EQ(before.exits, 2);
  EXPECT_EQ(before.out_at_end, 2);
  EXPECT_EQ(before.overdue_at_end, 0);
  EXPECT_EQ(before.paperwork_overdue_at_end, 0);
  EXPECT_EQ(before.retest_due, 0);
  EXPECT_TRUE(before.gate_denials.empty());

  const auto changes = rx->status_changes_before(c, kTo).value();
  ASSERT_EQ(changes.size(), 3u);  // the change after the day's end is left out
  EXPECT_EQ(changes[0].building_id, b1);
  EXPECT_EQ(changes[1].status, ZoneStatus::sealed);
  EXPECT_EQ(changes[2].building_id, b2);
}

TEST_P(StoreConformance, ASubmittedReportIsKeptOncePerDay) {
  const auto c = seed("A", 0);
  const auto other = seed("B", 0);
  auto tx = write();
  EXPECT_FALSE(tx->get_report_submission(c, "2022-04-05").value());
  const ReportSubmission sent{c, "2022-04-05", kNow.data(), 3, R"({"register.residents":2})", 7,
                              "abc"};
  ASSERT_TRUE(tx->insert_report_submission(sent));
  auto again = sent;
  again.figures = "{}";
  EXPECT_EQ(tx->insert_report_submission(again).error().kind, Error::Kind::conflict);
  ASSERT_TRUE(tx->insert_report_submission(ReportSubmission{other, "2022-04-05", kNow.data(), 4,
                                                            "{}", 0, ""}));
  ASSERT_TRUE(tx->commit());
  const auto kept = read()->get_report_submission(c, "2022-04-05").value().value();
  EXPECT_EQ(kept.figures, sent.figures);
  EXPECT_EQ(kept.submitted_by, 3);
  EXPECT_EQ(kept.audit_seq, 7);
  EXPECT_EQ(kept.audit_hash, "abc");
  EXPECT_FALSE(read()->get_report_submission(c, "2022-04-06").value());
}

TEST(StoreConformanceCoverage, EveryMethodOfTheInterfaceIsExercised) {
  const auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string header = slurp(std::filesystem::path(JUWEI_SOURCE_DIR) / "src/store/store.hpp");
  const std::string suite =
      slurp(std::filesystem::path(JUWEI_SOURCE_DIR) / "tests/store_conformance_test.cpp");
  ASSERT_FALSE(header.empty());
  const std::regex method(R"(virtual\s+Result<[^;{]*?>\s+(\w+)\()");
  int methods = 0;
  for (std::sregex_iterator it(header.begin(), header.end(), method), end; it != end; ++it) {
    ++methods;
    const std::string name = (*it)[1];
    EXPECT_TRUE(std::regex_search(suite, std::regex("(->|\\.)" + name + "\\(")))
        << "no conformance test calls Transaction::" << name;
  }
  EXPECT_GT(methods, 100);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace juwei::store
