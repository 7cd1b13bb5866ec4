// The sharded layout as a street office's or a city's aggregates meet it (docs/scale.md): the
// same communities written through the store on a coordinator over two shards and on one plain
// PostgreSQL give the same count of residents by building status; the coordinator computes it
// on both shards at once (each shard aggregates its own communities), sends a single
// community's work to one shard, and every shard holds only the communities of its hash.
//
// Needs the ctest fixtures pg_shards and postgres: JUWEI_TEST_SHARDED_URL_FILE names the
// coordinator's url in the folder of `scripts/pg-shards start`, JUWEI_TEST_PG_URL_FILE the plain
// server's.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "store/postgres/postgres_store.hpp"
#include "support/pg_shards.hpp"
#include "support/pg_test_database.hpp"

namespace juwei {
namespace {

using Rows = std::vector<std::vector<std::string>>;

constexpr std::string_view kNow = "2022-04-04T02:00:00Z";
constexpr int kCommunities = 6;
constexpr int kShards = 2;  // scripts/pg-shards

// Runs `sql` on the database at `url`; throws with the server's message.
Rows query(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot reach " + url + ": " + PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  const ExecStatusType status = PQresultStatus(res.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn.get()));
  }
  Rows rows;
  for (int i = 0; i < PQntuples(res.get()); ++i) {
    auto& row = rows.emplace_back();
    for (int j = 0; j < PQnfields(res.get()); ++j)
      row.emplace_back(PQgetvalue(res.get(), i, j));
  }
  return rows;
}

std::string joined(const Rows& rows) {
  std::string text;
  for (const auto& row : rows) {
    for (const auto& cell : row)
      text += cell + ' ';
    text += '\n';
  }
  return text;
}

std::string random_name(std::string_view prefix) {
  std::random_device rd;
  return std::string(prefix) + std::to_string(rd()) + "_" + std::to_string(rd());
}

// The expected count: community i's building b has i + b residents, and building b has gone
// through b changes: sealed, then controlled, then precaution.
std::map<std::pair<std::int64_t, std::string>, std::int64_t> expected_counts() {
  static const char* kStatus[] = {"sealed", "controlled", "precaution"};
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> counts;
  for (int i = 1; i <= kCommunities; ++i)
    for (int b = 1; b <= 3; ++b)
      counts[{i, kStatus[b - 1]}] = i + b;
  return counts;
}

void seed(store::Store& db) {
  using domain::ZoneStatus;
  const ZoneStatus kSteps[] = {ZoneStatus::sealed, ZoneStatus::controlled, ZoneStatus::precaution};
  auto tx = db.begin(store::TxMode::write).value();
  for (int i = 1; i <= kCommunities; ++i) {
    const auto c =
        tx->insert_community(domain::Community{0, 0, "居民区" + std::to_string(i)}, kNow).value();
    ASSERT_EQ(c, i);
    for (int b = 1; b <= 3; ++b) {
      const auto building =
          tx->insert_building(domain::Building{c, 0, std::to_string(b) + "号楼", 6}).value();
      const auto h = tx->insert_household(domain::Household{c, 0, building, "301"}).value();
      for (int n = 0; n < i + b; ++n) {
        domain::Resident r;
        r.community_id = c;
        r.household_id = h;
        r.name = "居民" + std::to_string(n);
        r.gender = domain::Gender::female;
        r.birth_date =
            domain::Date{std::chrono::year{1990}, std::chrono::month{1}, std::chrono::day{1}};
        r.id_number = "31010919900101" + std::to_string(1000 + b * 100 + n);
        r.relation = n == 0 ? domain::Relation::head : domain::Relation::child;
        ASSERT_TRUE(tx->insert_resident(r, kNow));
      }
      for (int step = 0; step < b; ++step) {
        ASSERT_TRUE(tx->insert_status_change(store::StatusChange{
            c, building, 0, kSteps[step], std::string(kNow), 1, "seed", "zone.manual"}));
      }
    }
  }
  ASSERT_TRUE(tx->commit());
}

// The same communities on a coordinator with two shards and on one plain PostgreSQL, written
// once for every test here.
class ShardedLayout : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::shards_dir() || !testing::pg_server_url()) return;
    s_name = random_name("juwei_sharded_");
    s_coordinator = testing::pg_shards("newdb", s_name);
    s_plain = testing::pg_create_database(testing::pg_server_url().value(), s_name);
    for (const std::string& url : {s_coordinator, s_plain}) {
      auto db = store::postgres::open(url);
      ASSERT_TRUE(db) << db.error().message;
      seed(**db);
    }
    // What the shards' autovacuum does a minute later: the planner's estimates come from the
    // shards' statistics (use_remote_estimate).
    for (int k = 0; k < kShards; ++k)
      query(testing::pg_shard_url(k, s_name), "ANALYZE");
  }
  static void TearDownTestSuite() {
    if (s_name.empty()) return;
    testing::pg_shards("dropdb", s_name);
    testing::pg_drop_database(testing::pg_server_url().value(), s_name);
  }
  void SetUp() override {
    if (!testing::shards_dir())
      GTEST_SKIP() << "needs the pg_shards fixture (JUWEI_TEST_SHARDED_URL_FILE)";
    if (!testing::pg_server_url())
      GTEST_SKIP() << "needs a test PostgreSQL (JUWEI_TEST_PG_URL_FILE)";
  }

  static inline std::string s_name;
  static inline std::string s_coordinator;
  static inline std::string s_plain;
};

TEST_F(ShardedLayout, ACountByBuildingStatusIsTheSameAsOnOneServer) {
  const Rows sharded = query(s_coordinator, testing::kCountByStatus);
  EXPECT_EQ(joined(sharded), joined(query(s_plain, testing::kCountByStatus)));
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> counts;
  for (const auto& row : sharded)
    counts[{std::stoll(row[0]), row[1]}] = std::stoll(row[2]);
  EXPECT_EQ(counts, expected_counts());
}

// Partitionwise aggregation: each shard joins and counts its own communities (the plan's
// "Aggregate on" a join of one shard's tables), and async_capable runs the two at once.
TEST_F(ShardedLayout, TheCountRunsOnBothShardsAtOnce) {
  const std::string plan =
      joined(query(s_coordinator, std::string("EXPLAIN (VERBOSE) ") + testing::kCountByStatus));
  for (int k = 0; k < kShards; ++k) {
    const std::string shard = std::to_string(k);
    EXPECT_TRUE(std::regex_search(
        plan,
        std::regex("Async Foreign Scan[^\n]*\n[^\n]*\n\\s*Relations: Aggregate on \\(\\(\\(\\("
                   "public\\.residents_shard" +
                   shard)))
        << "shard " << k << " does not count its communities itself:\n"
        << plan;
  }
  // Only the groups come back: no plan node joins or aggregates on the coordinator.
  EXPECT_FALSE(std::regex_search(plan, std::regex("(Join|Nested Loop|Aggregate)  \\(cost")))
      << plan;
}

// Every community-scoped statement names its community, so partition pruning sends it to the
// one shard that holds it.
TEST_F(ShardedLayout, OneCommunitysSearchGoesToOneShard) {
  for (int c = 1; c <= kCommunities; ++c) {
    const std::string plan = joined(query(
        s_coordinator, "EXPLAIN SELECT resident_id, name FROM residents WHERE community_id = " +
                           std::to_string(c) + " AND name LIKE '%居民%' ORDER BY resident_id"));
    const bool on0 = plan.find("residents_shard0") != std::string::npos;
    const bool on1 = plan.find("residents_shard1") != std::string::npos;
    EXPECT_NE(on0, on1) << "community " << c << ":\n" << plan;
  }
}

// Tuple routing on the coordinator puts each row on the shard of its community's hash, and both
// shards hold some: the coordinator's partition bounds and the shards' contents agree.
TEST_F(ShardedLayout, EachShardHoldsOnlyTheCommunitiesOfItsHash) {
  const Rows tables = query(s_coordinator,
                            "SELECT c.relname FROM pg_class c WHERE c.relkind = 'p' AND "
                            "c.relnamespace = 'public'::regnamespace ORDER BY 1");
  ASSERT_GT(tables.size(), 20u);  // every community-scoped table of the schema
  for (const auto& table : tables) {
    for (int k = 0; k < kShards; ++k) {
      // The foreign partition reads the shard's table whole (no partition bound filters it),
      // and the check runs here, where the partitioned table is (OFFSET 0: not sent along).
      const Rows misplaced =
          query(s_coordinator, "SELECT count(*) FROM (SELECT community_id FROM " + table[0] +
                                   "_shard" + std::to_string(k) +
                                   " OFFSET 0) t WHERE NOT satisfies_hash_partition('" + table[0] +
                                   "'::regclass, " + std::to_string(kShards) + ", " +
                                   std::to_string(k) + ", community_id)");
      EXPECT_EQ(misplaced[0][0], "0") << table[0] << " on shard " << k;
    }
  }
  for (int k = 0; k < kShards; ++k) {
    const Rows held = query(testing::pg_shard_url(k, s_name),
                            "SELECT count(DISTINCT community_id) FROM residents");
    EXPECT_GT(std::stoll(held[0][0]), 0) << "shard " << k << " holds no community";
  }
}

// The concurrency contract (store.hpp): a write transaction takes its community's lock before
// its first statement, so a writer that reads before it allocates an id still gets the next
// free one, and a writer that comes while it runs waits and then gets the one after. Through
// the coordinator this needs the lock first: postgres_fdw reads a shard in REPEATABLE READ from
// the transaction's first statement there (docs/scale.md).
void expect_a_fresh_id_after_a_read(const std::string& url) {
  auto db = store::postgres::open(url).value();
  domain::CommunityId c = 0;
  {
    auto tx = db->begin(store::TxMode::write).value();
    c = tx->insert_community(domain::Community{0, 0, random_name("居民区")}, kNow).value();
    ASSERT_TRUE(tx->insert_building(domain::Building{c, 0, "1号楼", 6}));
    ASSERT_TRUE(tx->commit());
  }
  auto first = db->begin(store::TxMode::write).value();
  ASSERT_TRUE(first->lock_community(c));
  ASSERT_TRUE(first->find_building(c, "1号楼").value());
  // The second writer comes while the first holds the lock: it waits, then counts on.
  auto second = std::async(std::launch::async, [&]() -> std::int64_t {
    auto tx = db->begin(store::TxMode::write).value();
    if (!tx->lock_community(c)) return -1;
    auto known = tx->find_building(c, "2号楼");
    if (!known || !*known) return -2;  // the first writer's building, committed meanwhile
    auto id = tx->insert_building(domain::Building{c, 0, "3号楼", 6});
    if (!id || !tx->commit()) return -3;
    return *id;
  });
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "the second writer did not wait for the first";
  const auto id = first->insert_building(domain::Building{c, 0, "2号楼", 6});
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, 2);
  EXPECT_TRUE(first->commit());
  EXPECT_EQ(second.get(), 3);
}

TEST_F(ShardedLayout, AWriterThatReadFirstStillGetsTheNextId) {
  expect_a_fresh_id_after_a_read(s_plain);
  expect_a_fresh_id_after_a_read(s_coordinator);
}

}  // namespace
}  // namespace juwei
