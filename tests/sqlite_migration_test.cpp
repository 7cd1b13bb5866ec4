// Migrations of the SQLite backend: a database left at any past schema version opens at the
// latest with its data intact; newer and foreign files are refused without being touched.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "store/sqlite/sqlite_store.hpp"

namespace juwei::store::sqlite {
namespace {

class SqliteMigration : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    m_dir = std::filesystem::temp_directory_path() / ("juwei-migrate-" + std::to_string(rd()));
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  // Runs SQL on the file directly, as an older juwei (or another program) would have.
  void raw(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  std::int64_t scalar(const std::filesystem::path& file, const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::int64_t v = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
  }

  std::filesystem::path m_dir;
};

// Data a database at version `v` can hold, written with that version's schema.
std::string data_at(int v) {
  std::string sql;
  if (v >= 1) {
    sql +=
        "INSERT INTO communities (community_id, street_id, name, time_zone, created_at) "
        "VALUES (1, NULL, '春晖居民区', 'Asia/Shanghai', '2022-03-28T00:00:00Z');"
        "INSERT INTO buildings (community_id, building_id, name, floors) "
        "VALUES (1, 1, '12号楼', 6);"
        "INSERT INTO households (community_id, household_id, building_id, room) "
        "VALUES (1, 1, 1, '301');"
        "INSERT INTO residents (community_id, resident_id, household_id, name, gender, "
        "birth_date, id_number, phone, relation, vulnerabilities, volunteer, notes, created_at, "
        "updated_at) VALUES (1, 1, 1, '王丽', 'female', '1988-02-29', "
        "'310109198802290022', '13812345678', 'head', 0, 0, '', '2022-03-28T00:00:00Z', "
        "'2022-03-28T00:00:00Z');";
  }
  if (v >= 2) {
    sql +=
        "INSERT INTO imports VALUES (1, 1, 'residents', 'a.csv', 'utf-8', 1, 1, 0, 0, 0, "
        "'2022-03-28T00:00:00Z', '2022-03-28T00:00:01Z');";
  }
  if (v >= 3) {
    sql +=
        "INSERT INTO users (community_id, user_id, username, role, password_hash, disabled, "
        "created_at) VALUES (1, 1, 'liumiao', 'secretary', '$argon2id$v=19$m=65536,t=2,"
        "p=1$c29tZXNhbHQ$hash', 0, '2022-03-28T00:00:00Z');";
  }
  if (v >= 4) {
    sql +=
        "INSERT INTO idempotency_keys VALUES (1, 1, 'k-1', 'abc', 201, 'application/json', "
        "'{}', '2022-03-28T00:00:00Z');";
  }
  if (v >= 5) {
    sql +=
        "INSERT INTO building_status VALUES (1, 1, 1, 'sealed', '2022-03-28T00:00:00Z', 1, "
        "'阳性', 'zone.manual');";
  }
  if (v >= 6) {
    sql +=
        "INSERT INTO screening_rounds VALUES (1, 1, '2022-04-04', '', '2022-04-04T00:00:00Z', 1);"
        "INSERT INTO tubes VALUES (1, 'T1', 1, 'pooled', '2022-04-04T00:00:00Z');"
        "INSERT INTO samples VALUES (1, 1, 1, 'T1', 1, '2022-04-04T00:00:00Z', 1, 0, '');";
  }
  if (v >= 7) {
    sql +=
        "INSERT INTO tube_results (community_id, tube_code, result, reported_at, lab, "
        "received_at) VALUES (1, 'T1', 'negative', '2022-04-04T08:00:00Z', 'A', "
        "'2022-04-04T09:00:00Z');"
        "INSERT INTO screening_marks (community_id, resident_id, mark, reason, set_at, set_by) "
        "VALUES (1, 1, 'home', '卧床', '2022-04-04T00:00:00Z', 1);";
  }
  if (v >= 8) {
    sql +=
        "INSERT INTO exit_requests (community_id, request_id, resident_id, reason, destination, "
        "planned_exit, asked_by, asked_via, created_at, status) VALUES (1, 1, 1, "
        "'medical_staff_return', '医院', '2022-04-05T00:00:00Z', 1, 'staff', "
        "'2022-04-04T00:00:00Z', 'open');"
        "INSERT INTO passes (community_id, pass_id, kind, request_id, holder, household_id, "
        "reason, valid_from, valid_until, return_required, policy_version, approved_at, "
        "approved_by) VALUES (1, 1, 'individual', 1, 1, 1, 'medical_staff_return', "
        "'2022-04-05T00:00:00Z', '2022-04-06T00:00:00Z', 1, 'v1', '2022-04-04T00:00:00Z', 1);"
        // Out and back, both logged at the desk (which wrote no gate event before version 13).
        "INSERT INTO pass_exits VALUES (1, 1, 1, '2022-04-05T00:30:00Z', 1, 'staff', "
        "'2022-04-05T05:00:00Z', 1, 'staff');";
  }
  if (v >= 9) {
    sql +=
        "INSERT INTO gate_events (community_id, event_id, at, direction, decision, code, "
        "gate_user) VALUES (1, 1, '2022-04-05T01:00:00Z', 'out', 'allow', 'gate.out', 1);";
  }
  if (v >= 10) {
    sql +=
        "INSERT INTO audit_log VALUES (1, 1, '2022-04-05T01:00:00Z', 1, 'staff', 'gate.out', "
        "'gate_event', '1', '', 'd', '', '', 'h');";
  }
  if (v >= 11) {
    sql +=
        "INSERT INTO gate_events (community_id, event_id, at, direction, decision, code, "
        "gate_user, source, device, client_event_id, synced_at, conflict) VALUES (1, 2, "
        "'2022-04-05T02:00:00Z', 'out', 'allow', 'gate.out', 1, 'offline', 'east', 'e-1', "
        "'2022-04-05T03:00:00Z', 'pass.used');";
  }
  if (v >= 18) {
    sql += "UPDATE communities SET chain_id = community_id;";
  }
  return sql;
}

TEST_F(SqliteMigration, EveryPastVersionMigratesToTheLatestKeepingItsData) {
  const int latest = static_cast<int>(migrations().size());
  for (int from = 0; from <= latest; ++from) {
    SCOPED_TRACE("from version " + std::to_string(from));
    const auto file = m_dir / ("v" + std::to_string(from) + ".db");
    std::string sql;
    for (const Migration& m : migrations()) {
      ASSERT_EQ(m.version, static_cast<int>(&m - migrations().data()) + 1);
      if (m.version <= from) sql += std::string(m.sql);
    }
    sql += data_at(from);
    sql += "PRAGMA user_version = " + std::to_string(from) + ";";
    if (from > 0) sql += "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
    raw(file, sql);

    {
      auto store = open(file);
      ASSERT_TRUE(store.has_value()) << store.error().message;
      EXPECT_EQ((*store)->schema_version(), latest);
      auto tx = (*store)->begin(TxMode::write).value();
      const auto counts = tx->count_registry(1).value();
      EXPECT_EQ(counts.residents, from >= 1 ? 1 : 0);
      // The latest schema works: an import record can be written.
      if (from >= 1) {
        EXPECT_TRUE(
            tx->insert_import(ImportRecord{1, 0, "residents", "b.csv", "utf-8"}).has_value());
      }
      ASSERT_TRUE(tx->commit().has_value());
    }
    EXPECT_EQ(scalar(file, "PRAGMA user_version"), latest);
    EXPECT_EQ(scalar(file, "PRAGMA application_id"), kApplicationId);
    if (from >= 2) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM imports"), 2);
    }
    if (from >= 3) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM users"), 1);
    }
    if (from >= 4) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM idempotency_keys"), 1);
    }
    if (from >= 5) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM building_status"), 1);
    }
    if (from >= 6) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM samples"), 1);
    }
    if (from >= 7) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM tube_results"), 1);
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM screening_marks"), 1);
    }
    if (from >= 8) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM exit_requests"), 1);
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM passes"), 1);
    }
    // The desk's exit and return, logged before version 13, are entered in the register by it,
    // numbered after the events already there.
    const int desk_events = from >= 8 && from < 13 ? 2 : 0;
    if (from >= 8) {
      EXPECT_EQ(scalar(file,
                       "SELECT count(*) FROM gate_events WHERE source = 'desk' AND "
                       "pass_id = 1 AND decision = 'allow'"),
                desk_events);
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM gate_events"),
                scalar(file, "SELECT max(event_id) FROM gate_events"));
    }
    if (from >= 9) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM gate_events"),
                (from >= 11 ? 2 : 1) + desk_events);
      // Checks from before offline gates have no device and no conflict.
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM gate_events WHERE conflict <> ''"),
                from >= 11 ? 1 : 0);
    }
    if (from >= 10) {
      EXPECT_EQ(scalar(file, "SELECT count(*) FROM audit_log"), 1);
    }
    if (from >= 3) {
      EXPECT_EQ(scalar(file, "SELECT resident_id FROM users"), 0);  // staff, not a resident
    }
    if (from >= 1) {
      // Its audit chain began in this database: the chain id is the community's own id.
      EXPECT_EQ(scalar(file, "SELECT chain_id FROM communities WHERE community_id = 1"), 1);
    }
  }
}

// Issue 17 item 6: a roster's 楼号 "3" made building "3", which a search for 3号楼 never found.
// Version 15 gives such names their one spelling (domain::normalize_building_name), with the
// register's copies of them, but merges nothing: two buildings that would share a name stay.
TEST_F(SqliteMigration, BuildingNamesTakeTheirOneSpellingUnlessTwoWouldMerge) {
  const auto file = m_dir / "v14.db";
  std::string sql;
  for (const Migration& m : migrations()) {
    if (m.version <= 14) sql += std::string(m.sql);
  }
  sql +=
      "INSERT INTO communities VALUES (1, NULL, '春晖居民区', 'Asia/Shanghai', "
      "'2022-03-28T00:00:00Z');"
      "INSERT INTO communities VALUES (2, NULL, '新华居民区', 'Asia/Shanghai', "
      "'2022-03-28T00:00:00Z');"
      "INSERT INTO buildings (community_id, building_id, name, deleted_at) VALUES "
      "(1, 1, '3', NULL), (1, 2, '十二号楼', '2022-04-01T00:00:00Z'), (1, 3, '5栋', NULL), "
      "(1, 4, '5号楼', NULL), (1, 5, '综合楼', NULL), (1, 6, ' 7 号 楼', NULL), "
      "(2, 1, '5栋', NULL);"
      "INSERT INTO gate_events (community_id, event_id, at, direction, decision, code, building, "
      "gate_user) VALUES (1, 1, '2022-04-05T01:00:00Z', 'out', 'allow', 'gate.out', '3', 1), "
      "(1, 2, '2022-04-05T01:00:00Z', 'out', 'allow', 'gate.out', '5栋', 1), "
      "(2, 1, '2022-04-05T01:00:00Z', 'out', 'allow', 'gate.out', '3', 1);"
      "PRAGMA user_version = 14; PRAGMA application_id = " +
      std::to_string(kApplicationId) + ";";
  raw(file, sql);
  {
    auto store = open(file);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    auto tx = (*store)->begin(TxMode::read).value();
    const struct {
      domain::CommunityId community;
      domain::BuildingId id;
      std::string name;
    } expected[] = {
        {1, 1, "3号楼"},  {1, 2, "12号楼"},  // removed ones too: creating it again restores it
        {1, 3, "5栋"},    {1, 4, "5号楼"},   // would merge: both left as they are
        {1, 5, "综合楼"}, {1, 6, "7号楼"},  {2, 1, "5号楼"},
    };
    for (const auto& e : expected) {
      const auto b = tx->get_building(e.community, e.id).value();
      ASSERT_TRUE(b.has_value());
      EXPECT_EQ(b->name, e.name) << e.community << "/" << e.id;
    }
    EXPECT_EQ(tx->find_building(1, "3号楼").value()->id, 1);
  }
  // The register's copy of a renamed building's name follows it, in its own community only.
  EXPECT_EQ(scalar(file,
                   "SELECT count(*) FROM gate_events WHERE community_id = 1 AND event_id = 1 "
                   "AND building = '3号楼'"),
            1);
  EXPECT_EQ(scalar(file, "SELECT count(*) FROM gate_events WHERE building = '5栋'"), 1);
  EXPECT_EQ(scalar(file,
                   "SELECT count(*) FROM gate_events WHERE community_id = 2 "
                   "AND building = '3'"),
            1);
}

TEST_F(SqliteMigration, RefusesADatabaseFromANewerJuwei) {
  const auto file = m_dir / "future.db";
  std::string sql;
  for (const Migration& m : migrations())
    sql += std::string(m.sql);
  sql += "PRAGMA user_version = 999; PRAGMA application_id = " + std::to_string(kApplicationId);
  raw(file, sql);
  auto store = open(file);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind, Error::Kind::too_new);
  EXPECT_EQ(scalar(file, "PRAGMA user_version"), 999);  // untouched
}

TEST_F(SqliteMigration, RefusesAnotherApplicationsDatabase) {
  const auto file = m_dir / "other.db";
  raw(file, "CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('x');");
  auto store = open(file);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind, Error::Kind::corrupt);
  EXPECT_EQ(scalar(file, "SELECT count(*) FROM songs"), 1);
}

TEST_F(SqliteMigration, RefusesAFileThatIsNotADatabase) {
  const auto file = m_dir / "notes.db";
  std::ofstream(file) << "姓名,身份证号\n这不是数据库,0\n" << std::string(4096, 'x');
  auto store = open(file);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind, Error::Kind::corrupt);
}

}  // namespace
}  // namespace juwei::store::sqlite
