// The audit chain's hash (audit_hash) covers the community's chain id where it covered the
// community id before communities could move between databases (juwei migrate): a chain written
// then verifies byte for byte, and a moved chain verifies under its chain id, not its new id.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "service/audit.hpp"
#include "service/open_store.hpp"
#include "service/transaction.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace juwei::service {
namespace {

namespace fs = std::filesystem;

// Two records of community 1 as Juwei wrote them at schema version 17, with the hashes that
// Juwei computed for them then (BLAKE2b-256 of the columns joined by U+001F): pinned, so that
// any change of the hashed bytes fails here.
constexpr std::string_view kHash1 =
    "0f7dd363e361dfe6c88f3d23cf2b03c2185fb3494ae7d0a0334b009505c25a3f";
constexpr std::string_view kHash2 =
    "a9357fef9621439736e9c765acf9f6dbe868f3504d746c3cd6078948d9cca2f1";

store::AuditRecord first(domain::CommunityId c, domain::CommunityId chain) {
  store::AuditRecord r{
      c,  1, "2022-04-05T01:00:00Z", 0, "operator", "community.create", "community", "1", "", "d1",
      "", ""};
  r.chain_id = chain;
  r.hash = kHash1;
  return r;
}

store::AuditRecord second(domain::CommunityId c, domain::CommunityId chain) {
  store::AuditRecord r{
      c,    2,    "2022-04-05T01:05:00Z", 1, "staff", "gate.out", "gate_event", "1", "",
      "d2", "v1", std::string(kHash1)};
  r.chain_id = chain;
  r.hash = kHash2;
  return r;
}

std::string insert_sql(const store::AuditRecord& r) {
  return "INSERT INTO audit_log VALUES (" + std::to_string(r.community_id) + ", " +
         std::to_string(r.seq) + ", '" + r.at + "', " + std::to_string(r.actor) + ", '" + r.role +
         "', '" + r.action + "', '" + r.entity + "', '" + r.entity_id + "', '" + r.before_digest +
         "', '" + r.after_digest + "', '" + r.policy_version + "', '" + r.prev_hash + "', '" +
         r.hash + "');";
}

class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    m_dir = fs::temp_directory_path() / ("juwei-chain-" + std::to_string(rd()));
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }

  fs::path m_dir;
};

TEST_F(AuditChain, ARecordHashesAsBeforeWhenItsChainIdIsItsCommunityId) {
  EXPECT_EQ(audit_hash(first(1, 1)), kHash1);
  EXPECT_EQ(audit_hash(second(1, 1)), kHash2);
  // The chain id is what counts, not the community the record now sits in.
  EXPECT_EQ(audit_hash(second(7, 1)), kHash2);
  EXPECT_NE(audit_hash(second(1, 7)), kHash2);
}

TEST_F(AuditChain, AChainWrittenAtSchemaVersion17VerifiesAfterTheMigration) {
  const fs::path file = m_dir / "v17.db";
  std::string sql;
  for (const store::sqlite::Migration& m : store::sqlite::migrations()) {
    if (m.version <= 17) sql += std::string(m.sql);
  }
  sql +=
      "INSERT INTO communities VALUES (1, NULL, '春晖居民区', 'Asia/Shanghai', "
      "'2022-03-28T00:00:00Z');" +
      insert_sql(first(1, 1)) + insert_sql(second(1, 1)) +
      "PRAGMA user_version = 17; PRAGMA application_id = " +
      std::to_string(store::sqlite::kApplicationId) + ";";
  {  // Written as Juwei at version 17 wrote it.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
    ASSERT_EQ(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db.get());
  }

  auto store = open_store("sqlite:" + file.string());
  ASSERT_TRUE(store.has_value()) << store.error().message;
  EXPECT_GT((*store)->schema_version(), 17);
  const auto check = verify_audit(**store, 1).value();
  EXPECT_FALSE(check.first_bad.has_value()) << check.problem;
  EXPECT_EQ(check.records, 2);
  EXPECT_EQ(check.head, kHash2);
}

// A community that came from another database (juwei migrate) under a new id keeps its chain
// id: its chain verifies, the next record follows it, and the same records under a community
// whose chain began here do not verify.
TEST_F(AuditChain, AMovedChainVerifiesUnderItsChainIdAndGoesOn) {
  auto store = open_store("sqlite:" + (m_dir / "juwei.db").string()).value();
  domain::CommunityId moved = 0;
  domain::CommunityId own = 0;
  {
    auto tx = store->begin(store::TxMode::write).value();
    ASSERT_TRUE(tx->insert_community({0, 0, "新华居民区"}, "2022-04-01T00:00:00Z").has_value());
    moved = tx->insert_community({0, 0, "春晖居民区", "Asia/Shanghai", 1}, "2022-04-01T00:00:00Z")
                .value();
    own = tx->insert_community({0, 0, "东园居民区"}, "2022-04-01T00:00:00Z").value();
    for (const domain::CommunityId c : {moved, own}) {
      ASSERT_TRUE(tx->insert_audit(first(c, 0)).has_value());
      ASSERT_TRUE(tx->insert_audit(second(c, 0)).has_value());
    }
    ASSERT_TRUE(tx->commit().has_value());
  }
  ASSERT_NE(moved, 1);

  auto check = verify_audit(*store, moved).value();
  EXPECT_FALSE(check.first_bad.has_value()) << check.problem;
  EXPECT_EQ(check.head, kHash2);

  ASSERT_TRUE(in_transaction(*store, store::TxMode::write, [&](store::Transaction& tx) {
                return audit(tx, moved, kOperator, {"community.note", "community", "1"},
                             std::chrono::sys_days{std::chrono::April / 6 / 2022});
              }).has_value());
  check = verify_audit(*store, moved).value();
  EXPECT_FALSE(check.first_bad.has_value()) << check.problem;
  EXPECT_EQ(check.records, 3);

  check = verify_audit(*store, own).value();
  ASSERT_TRUE(check.first_bad.has_value());
  EXPECT_EQ(*check.first_bad, 1);
}

}  // namespace
}  // namespace juwei::service
