// The PostgreSQL driver (store/postgres) below the store's aggregate code: the dialect rewrite
// and error mapping without a server, then statements, sessions, the pool and open() on a real
// PostgreSQL 15. The server comes from JUWEI_TEST_PG_URL_FILE (a file holding its URL, as
// scripts/pg-test-server writes DIR/url) or JUWEI_TEST_PG_URL; without either, the server tests
// skip. Each server test makes its own database and drops it, so tests may run in parallel.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <limits>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/postgres/connection.hpp"
#include "store/postgres/dialect.hpp"
#include "store/postgres/error.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/pool.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/session.hpp"
#include "store/sql/driver.hpp"

namespace juwei::store::postgres {
namespace {

using namespace std::chrono_literals;

// step() gave a row / reached the end, else why not.
testing::AssertionResult is_row(const Result<bool>& step) {
  if (!step) return testing::AssertionFailure() << step.error().message;
  if (!*step) return testing::AssertionFailure() << "no row";
  return testing::AssertionSuccess();
}

testing::AssertionResult is_end(const Result<bool>& step) {
  if (!step) return testing::AssertionFailure() << step.error().message;
  if (*step) return testing::AssertionFailure() << "one more row";
  return testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------
// Without a server.

struct TranslateCase {
  std::string_view portable;
  std::string_view postgres;
  int params;
};

// The dialect rules of store/sql/driver.hpp, one row each, with the places they must not apply.
const TranslateCase kTranslate[] = {
    {"SELECT a FROM t WHERE b = ?1 AND c = ?2", "SELECT a FROM t WHERE b = $1 AND c = $2", 2},
    {"SELECT ?2, ?1, ?2", "SELECT $2, $1, $2", 2},
    {"UPDATE t SET a = ?12 WHERE b=?3", "UPDATE t SET a = $12 WHERE b=$3", 12},
    {"SELECT '?1', \"?2\" FROM t WHERE x = ?3", "SELECT '?1', \"?2\" FROM t WHERE x = $3", 3},
    {"SELECT 'it''s ?1' || ?1", "SELECT 'it''s ?1' || $1", 1},
    {"SELECT \"odd\"\"?1\" FROM t", "SELECT \"odd\"\"?1\" FROM t", 0},
    {"SELECT '名字 ?1' || ?1 || '号楼'", "SELECT '名字 ?1' || $1 || '号楼'", 1},
    {"-- the resident's ?1\nSELECT ?2", "-- the resident's ?1\nSELECT $2", 2},
    {"/* it's ?1 */ SELECT ?2", "/* it's ?1 */ SELECT $2", 2},
    {"SELECT a ? b", "SELECT a ? b", 0},
    {"SELECT * FROM residents INDEXED BY residents_by_name WHERE name = ?1",
     "SELECT * FROM residents  WHERE name = $1", 1},
    {"select * from r indexed  by \"Idx\"\nwhere x = ?1", "select * from r \nwhere x = $1", 1},
    {"SELECT indexed_by, reindexed FROM t", "SELECT indexed_by, reindexed FROM t", 0},
    {"SELECT 'INDEXED BY x' FROM t", "SELECT 'INDEXED BY x' FROM t", 0},
    {"WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?4))",
     "WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text($4::json) AS "
     "json_each(value))",
     4},
    {"FROM JSON_EACH ( ?2 ) WHERE c = ?1",
     "FROM json_array_elements_text($2::json) AS json_each(value) WHERE c = $1", 2},
    {"SELECT my_json_each(?1), 'json_each(?2)'", "SELECT my_json_each($1), 'json_each(?2)'", 1},
    {"FROM a CROSS JOIN b ON b.x = a.x", "FROM a  JOIN b ON b.x = a.x", 0},
    {"SELECT cross FROM t", "SELECT cross FROM t", 0},
    {"WHERE name LIKE ?1 ESCAPE '\\'", "WHERE name ILIKE $1 ESCAPE '\\'", 1},
    {"WHERE 'LIKE' = likely", "WHERE 'LIKE' = likely", 0},
};

TEST(PgDialect, TranslatesThePortableDialect) {
  for (const TranslateCase& c : kTranslate) {
    int params = -1;
    EXPECT_EQ(translate(c.portable, &params), c.postgres) << c.portable;
    EXPECT_EQ(params, c.params) << c.portable;
  }
}

TEST(PgErrors, SqlstatesMapToTheKindsSqliteUses) {
  const struct {
    std::string_view state;
    Error::Kind kind;
    bool lost;
  } cases[] = {
      {"23505", Error::Kind::conflict, false},    // unique_violation
      {"23503", Error::Kind::conflict, false},    // foreign_key_violation
      {"23502", Error::Kind::conflict, false},    // not_null_violation: SQLITE_CONSTRAINT too
      {"23514", Error::Kind::conflict, false},    // check_violation
      {"40001", Error::Kind::busy, false},        // serialization_failure
      {"40P01", Error::Kind::busy, false},        // deadlock_detected
      {"55P03", Error::Kind::busy, false},        // lock_not_available (lock_timeout)
      {"XX001", Error::Kind::corrupt, false},     // data_corrupted
      {"42601", Error::Kind::io, false},          // syntax_error
      {"53100", Error::Kind::io, false},          // disk_full
      {"08006", Error::Kind::unavailable, true},  // connection_failure
      {"57P01", Error::Kind::unavailable, true},  // admin_shutdown (pg_terminate_backend)
      {"", Error::Kind::io, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(kind_of(c.state), c.kind) << c.state;
    EXPECT_EQ(is_connection_lost(c.state), c.lost) << c.state;
  }
}

TEST(PgErrors, ConnectFailuresReadAsOneLine) {
  const struct {
    std::string_view libpq;
    std::string_view reason;
  } cases[] = {
      {"connection to server at \"127.0.0.1\", port 5999 failed: Connection refused\n\tIs the "
       "server running on that host and accepting TCP/IP connections?\n",
       "connection refused"},
      {"connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication "
       "failed for user \"juwei\"\n",
       "password authentication failed for user \"juwei\""},
      {"connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"nope\" does "
       "not exist\n",
       "database \"nope\" does not exist"},
      {"could not translate host name \"db.example\" to address: Name or service not known\n",
       "could not translate host name \"db.example\" to address: Name or service not known"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(connect_failure_reason(c.libpq), c.reason);
}

TEST(PgErrors, PasswordsAreNeverRepeated) {
  EXPECT_EQ(without_password("at juwei:s3cret@host: s3cret", "postgresql://juwei:s3cret@host/db"),
            "at juwei:***@host: ***");
  EXPECT_EQ(without_password("x=hunter2", "postgresql://h/db?password=hunter2&sslmode=disable"),
            "x=***");
  EXPECT_EQ(without_password("nothing to hide", "postgresql://juwei@host/db"), "nothing to hide");
  // libpq quotes the token it cannot decode: here, the password.
  auto bad = parse_target("postgresql://juwei:s3%zzcret@host/db");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a PostgreSQL URL"), std::string::npos);
  EXPECT_EQ(bad.error().message.find("zzcret"), std::string::npos) << bad.error().message;
  auto good = parse_target("postgresql://juwei:s3cret@10.1.2.3:6543/district");
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->server, "10.1.2.3:6543");
  EXPECT_EQ(good->database, "district");
}

// A loopback port nobody listens on: the kernel hands out a free one, and it is closed again.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST(PgOpen, RefusesAnUnreachableServerInOneLine) {
  const int port = free_port();
  auto store = open("postgresql://juwei:s3cret@127.0.0.1:" + std::to_string(port) + "/juwei");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, Error::Kind::unavailable);
  EXPECT_EQ(store.error().message, "cannot connect to PostgreSQL at 127.0.0.1:" +
                                       std::to_string(port) + ": connection refused");
}

// ---------------------------------------------------------------------------------------------
// On a server.

std::string server_url() {
  if (const char* file = std::getenv("JUWEI_TEST_PG_URL_FILE"); file != nullptr && *file != 0) {
    std::ifstream in(file);
    std::string url;
    std::getline(in, url);
    return url;
  }
  const char* url = std::getenv("JUWEI_TEST_PG_URL");
  return url != nullptr ? url : "";
}

// `url` pointing at database `db` instead of its own.
std::string with_database(std::string_view url, std::string_view db) {
  const std::size_t authority = url.find("://") + 3;
  const std::size_t query = url.find('?', authority);
  const std::size_t path = std::min(url.find('/', authority), query);
  std::string out(url.substr(0, path));
  out += '/';
  out += db;
  if (query != std::string_view::npos) out += url.substr(query);
  return out;
}

std::string random_name(std::string_view prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex m;
  std::lock_guard lock(m);
  return std::string(prefix) + std::to_string(rng() % 1'000'000'000'000ULL);
}

// Runs `sql` on its own connection to `url`; the first cell of the last result ("" if none).
std::string psql(const std::string& url, const std::string& sql) {
  ConnHandle conn(PQconnectdb(url.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    ADD_FAILURE() << "connect " << url << ": " << PQerrorMessage(conn.get());
    return {};
  }
  PgResult r(PQexec(conn.get(), sql.c_str()));
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    ADD_FAILURE() << sql << ": " << PQerrorMessage(conn.get());
    return {};
  }
  if (PQntuples(r.get()) == 0) return {};
  return PQgetvalue(r.get(), 0, 0);
}

// Polls `sql` on the server until it answers `want` (10 s at most).
bool eventually(const std::string& url, const std::string& sql, std::string_view want) {
  for (int i = 0; i < 200; ++i) {
    if (psql(url, sql) == want) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// The statement `q` on `s`; a test that cannot prepare it fails (gtest reports the exception).
sql::Stmt stmt(Session& s, const sql::Query& q) {
  auto p = s.prepare(q);
  if (!p) throw std::runtime_error("prepare " + std::string(q.id) + ": " + p.error().message);
  return sql::Stmt(*p);
}

class Pg : public ::testing::Test {
 protected:
  void SetUp() override {
    m_server = server_url();
    if (m_server.empty()) {
      GTEST_SKIP() << "no PostgreSQL for the tests: set JUWEI_TEST_PG_URL_FILE (the DIR/url file "
                      "scripts/pg-test-server writes) or JUWEI_TEST_PG_URL";
    }
    m_url = make_database("C");
  }

  void TearDown() override {
    for (const std::string& db : m_databases) {
      psql(m_server, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
  }

  // A new database with collation `collation`, dropped after the test; its URL.
  std::string make_database(std::string_view collation) {
    const std::string db = random_name("juwei_t_");
    psql(m_server, "CREATE DATABASE " + db + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE '" +
                       std::string(collation) + "' LC_CTYPE '" + std::string(collation) + "'");
    m_databases.push_back(db);
    return with_database(m_server, db);
  }

  std::shared_ptr<Pool> pool(Options o = {}) { return Pool::create(m_url, o); }

  std::string m_server;  // the maintenance database
  std::string m_url;     // this test's database
  std::vector<std::string> m_databases;
};

// Driver tests run on a table of their own (the store's schema is not theirs to test).
class PgDriver : public Pg {
 protected:
  void SetUp() override {
    Pg::SetUp();
    if (IsSkipped()) return;
    psql(m_url,
         "CREATE TABLE items (community_id BIGINT NOT NULL, id BIGINT NOT NULL, name TEXT, "
         "data BYTEA, PRIMARY KEY (community_id, id));"
         "CREATE UNIQUE INDEX items_by_name ON items (community_id, name);"
         "CREATE TABLE notes (community_id BIGINT NOT NULL, id BIGINT NOT NULL, item BIGINT NOT "
         "NULL, FOREIGN KEY (community_id, item) REFERENCES items (community_id, id));"
         "CREATE TABLE later (community_id BIGINT NOT NULL, item BIGINT NOT NULL, FOREIGN KEY "
         "(community_id, item) REFERENCES items (community_id, id) DEFERRABLE INITIALLY "
         "DEFERRED);");
    m_pool = pool();
  }

  std::unique_ptr<Session> begin(TxMode mode = TxMode::write) {
    auto s = Session::begin(m_pool, mode);
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }

  static constexpr sql::Query kInsert{
      "test.insert_item",
      "INSERT INTO items (community_id, id, name, data) VALUES (?1, ?2, ?3, ?4)"};
  static constexpr sql::Query kCount{"test.count_items",
                                     "SELECT count(*) FROM items WHERE community_id = ?1"};

  static Result<bool> insert(Session& s, std::int64_t c, std::int64_t id, std::string_view name) {
    return stmt(s, kInsert).bind(1, c).bind(2, id).bind(3, name).bind_null(4).step("insert item");
  }

  static std::int64_t count(Session& s, std::int64_t c) {
    auto st = stmt(s, kCount);
    st.bind(1, c);
    auto row = st.step("count items");
    EXPECT_TRUE(row && *row) << (row ? "no row" : row.error().message);
    return st.integer(0);
  }

  std::shared_ptr<Pool> m_pool;
};

TEST_F(PgDriver, ColumnsRoundTripIntegersTextBlobsAndNull) {
  auto s = begin();
  const std::string blob("\0\x01zero\0\xff\x80", 9);
  const std::string name = "张三 12号楼 301室";
  const sql::Query insert{"test.insert_typed",
                          "INSERT INTO items (community_id, id, name, data) VALUES (?1, ?2, ?3, "
                          "?4) RETURNING id"};
  auto st = stmt(*s, insert);
  st.bind(1, std::int64_t{1}).bind(2, std::int64_t{9'007'199'254'740'993}).bind(3, name);
  st.bind_blob(4, blob);
  auto row = st.step("insert");
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_TRUE(*row);  // RETURNING gives the row back
  EXPECT_EQ(st.integer(0), 9'007'199'254'740'993);
  EXPECT_EQ(st.changes(), 1);
  ASSERT_TRUE(stmt(*s, kInsert)
                  .bind(1, std::int64_t{1})
                  .bind(2, std::numeric_limits<std::int64_t>::min())
                  .bind_null(3)
                  .bind_null(4)
                  .run("insert nulls"));

  const sql::Query select{"test.select_items",
                          "SELECT id, name, data FROM items WHERE community_id = ?1 ORDER BY id"};
  auto q = stmt(*s, select);
  q.bind(1, std::int64_t{1});
  ASSERT_TRUE(is_row(q.step("select")));
  EXPECT_EQ(q.integer(0), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(q.is_null(1));
  EXPECT_EQ(q.view(1), "");
  EXPECT_TRUE(q.is_null(2));
  EXPECT_EQ(q.blob(2), "");
  ASSERT_TRUE(is_row(q.step("select")));
  EXPECT_EQ(q.integer(0), 9'007'199'254'740'993);
  EXPECT_FALSE(q.is_null(1));
  EXPECT_EQ(q.view(1), name);
  EXPECT_EQ(q.blob(2), blob);
  EXPECT_EQ(q.blob(2).size(), 9u);
  ASSERT_TRUE(is_end(q.step("select")));
  ASSERT_TRUE(s->commit());
}

TEST_F(PgDriver, AStatementRunsAgainAfterReset) {
  auto s = begin();
  for (std::int64_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE(insert(*s, 4, id, "item " + std::to_string(id)));  // one prepare, three runs
  }
  EXPECT_EQ(count(*s, 4), 3);
  EXPECT_EQ(count(*s, 5), 0);
  // Prepared once, under its Query id.
  auto named =
      stmt(*s, {"test.prepared", "SELECT count(*) FROM pg_prepared_statements WHERE name = ?1"});
  ASSERT_TRUE(is_row(named.bind(1, std::string_view(kInsert.id)).step("prepared")));
  EXPECT_EQ(named.integer(0), 1);
  ASSERT_TRUE(s->commit());
}

TEST_F(PgDriver, OneIdMeansOneText) {
  auto s = begin();
  ASSERT_TRUE(s->prepare({"test.one", "SELECT 1"}));
  ASSERT_TRUE(s->prepare({"test.one", "SELECT 1"}));
  auto second = s->prepare({"test.one", "SELECT 2"});
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("test.one"), std::string::npos) << second.error().message;
}

// The server keeps 63 bytes of a statement's name: ids longer than that stay apart.
TEST_F(PgDriver, LongIdsWithTheSamePrefixAreTwoStatements) {
  auto s = begin();
  const std::string prefix(70, 'x');
  const std::string one = prefix + ".one";
  const std::string two = prefix + ".two";
  auto a = stmt(*s, {one, "SELECT 1"});
  ASSERT_TRUE(is_row(a.step("one")));
  auto b = stmt(*s, {two, "SELECT 2"});
  ASSERT_TRUE(is_row(b.step("two")));
  EXPECT_EQ(a.integer(0), 1);
  EXPECT_EQ(b.integer(0), 2);
}

TEST_F(PgDriver, ChangesCountsTheRowsAStatementTouched) {
  auto s = begin();
  for (std::int64_t id = 1; id <= 3; ++id)
    ASSERT_TRUE(insert(*s, 2, id, std::to_string(id)));
  auto update =
      stmt(*s, {"test.rename", "UPDATE items SET name = name || '!' WHERE community_id = ?1"});
  ASSERT_TRUE(update.bind(1, std::int64_t{2}).run("update"));
  EXPECT_EQ(update.changes(), 3);
  auto remove = stmt(*s, {"test.remove", "DELETE FROM items WHERE community_id = ?1 AND id >= ?2"});
  ASSERT_TRUE(remove.bind(1, std::int64_t{2}).bind(2, std::int64_t{2}).run("delete"));
  EXPECT_EQ(remove.changes(), 2);
  auto none = stmt(*s, {"test.remove_none", "DELETE FROM items WHERE community_id = ?1"});
  ASSERT_TRUE(none.bind(1, std::int64_t{99}).run("delete nothing"));
  EXPECT_EQ(none.changes(), 0);
}

TEST_F(PgDriver, JsonEachAndIndexedByRunOnTheServer) {
  auto s = begin();
  for (std::int64_t id = 1; id <= 5; ++id)
    ASSERT_TRUE(insert(*s, 3, id, std::to_string(id)));
  auto q = stmt(*s, {"test.json_each",
                     "SELECT id FROM items INDEXED BY items_by_name WHERE community_id = ?1 "
                     "AND id IN (SELECT CAST(value AS BIGINT) FROM json_each(?2)) ORDER BY id"});
  q.bind(1, std::int64_t{3}).bind(2, std::string_view("[2,4,9007199254740993]"));
  std::vector<std::int64_t> ids;
  for (auto row = q.step("ids"); row && *row; row = q.step("ids"))
    ids.push_back(q.integer(0));
  EXPECT_EQ(ids, (std::vector<std::int64_t>{2, 4}));
}

TEST_F(PgDriver, AUniqueKeyTakenIsAConflictAndTheTransactionGoesOn) {
  {
    auto s = begin();
    ASSERT_TRUE(insert(*s, 1, 1, "王五 310101199001011234"));
    ASSERT_TRUE(s->commit());
  }
  auto s = begin();
  ASSERT_TRUE(insert(*s, 1, 3, "李四"));
  auto taken = insert(*s, 1, 2, "王五 310101199001011234");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, Error::Kind::conflict);
  EXPECT_NE(taken.error().message.find("23505"), std::string::npos) << taken.error().message;
  // The server's DETAIL would name the ID number: it stays out of the message.
  EXPECT_EQ(taken.error().message.find("310101199001011234"), std::string::npos)
      << taken.error().message;
  // The failed write was undone to its savepoint, and only it: the transaction goes on, as on
  // SQLite, and keeps what it wrote before.
  EXPECT_EQ(count(*s, 1), 2);
  ASSERT_TRUE(s->commit());
  auto next = begin();
  EXPECT_EQ(count(*next, 1), 2);
}

TEST_F(PgDriver, AMissingForeignKeyIsAConflict) {
  auto s = begin();
  auto orphan = stmt(*s, {"test.note", "INSERT INTO notes VALUES (?1, ?2, ?3)"})
                    .bind(1, std::int64_t{1})
                    .bind(2, std::int64_t{1})
                    .bind(3, std::int64_t{404})
                    .step("insert note");
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().kind, Error::Kind::conflict);
  EXPECT_NE(orphan.error().message.find("23503"), std::string::npos) << orphan.error().message;
}

TEST_F(PgDriver, AConstraintCheckedAtCommitFailsTheCommit) {
  {
    auto s = begin();
    ASSERT_TRUE(stmt(*s, {"test.later", "INSERT INTO later VALUES (?1, ?2)"})
                    .bind(1, std::int64_t{1})
                    .bind(2, std::int64_t{404})
                    .run("insert later"));  // the foreign key waits for COMMIT
    auto committed = s->commit();
    ASSERT_FALSE(committed);
    EXPECT_EQ(committed.error().kind, Error::Kind::conflict) << committed.error().message;
  }
  EXPECT_EQ(psql(m_url, "SELECT count(*) FROM later"), "0");
}

TEST_F(PgDriver, ADeadlockIsBusy) {
  {
    auto s = begin();
    ASSERT_TRUE(insert(*s, 1, 1, "a"));
    ASSERT_TRUE(insert(*s, 1, 2, "b"));
    ASSERT_TRUE(s->commit());
  }
  const sql::Query touch{"test.touch",
                         "UPDATE items SET name = name WHERE community_id = 1 AND id = ?1"};
  auto a = begin();
  auto b = begin();
  ASSERT_TRUE(stmt(*a, touch).bind(1, std::int64_t{1}).run("a locks 1"));
  ASSERT_TRUE(stmt(*b, touch).bind(1, std::int64_t{2}).run("b locks 2"));
  // The victim's statement is undone to its savepoint; its transaction, and the lock it holds,
  // go when the caller gives up on it, as a use case does on an error: then the other goes on.
  auto a_waits = std::async(std::launch::async, [&] {
    auto r = stmt(*a, touch).bind(1, std::int64_t{2}).run("a wants 2");
    if (!r) a->rollback();
    return r;
  });
  const Result<void> b_wants = stmt(*b, touch).bind(1, std::int64_t{1}).run("b wants 1");
  if (!b_wants) b->rollback();
  const Result<void> a_wanted = a_waits.get();
  ASSERT_NE(a_wanted.has_value(), b_wants.has_value())
      << "exactly one is the deadlock's victim; a: "
      << (a_wanted ? "done" : a_wanted.error().message)
      << "; b: " << (b_wants ? "done" : b_wants.error().message);
  const Error& victim = a_wanted ? b_wants.error() : a_wanted.error();
  EXPECT_EQ(victim.kind, Error::Kind::busy) << victim.message;
  EXPECT_NE(victim.message.find("40P01"), std::string::npos) << victim.message;
}

TEST_F(PgDriver, ALockWaitPastTheTimeoutIsBusy) {
  m_pool = pool(Options{.lock_timeout = 200ms});
  auto a = begin();
  auto b = begin();
  ASSERT_TRUE(a->lock_community(5));
  auto waited = b->lock_community(5);
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().kind, Error::Kind::busy) << waited.error().message;
  EXPECT_NE(waited.error().message.find("55P03"), std::string::npos) << waited.error().message;
}

TEST_F(PgDriver, LockCommunitySerializesWritersOfOneCommunity) {
  auto a = begin();
  ASSERT_TRUE(a->lock_community(7));
  auto b = begin();
  auto b_done = std::async(std::launch::async, [&]() -> std::int64_t {
    if (!b->lock_community(7)) return -1;
    return count(*b, 7);  // after the lock: sees what a committed
  });
  // b waits on the server for a's advisory lock (community 7 in Juwei's key space).
  ASSERT_TRUE(
      eventually(m_server,
                 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                 "AND classid = " +
                     std::to_string(kCommunityLockSpace) + " AND objid = 7 AND objsubid = 2",
                 "1"));
  // Another community's writer does not wait.
  auto c = begin();
  ASSERT_TRUE(c->lock_community(8));
  ASSERT_TRUE(insert(*a, 7, 1, "written under the lock"));
  EXPECT_EQ(b_done.wait_for(0s), std::future_status::timeout);
  ASSERT_TRUE(a->commit());
  EXPECT_EQ(b_done.get(), 1);
  ASSERT_TRUE(b->commit());
}

// Many writers on few connections, each allocating the next id the way the store does (the
// highest plus one, under the community's lock): every one gets a connection and its own id.
TEST_F(PgDriver, ManyWritersShareTheConnectionsAndNeverShareAnId) {
  m_pool = pool(Options{.pool_size = 3, .acquire_timeout = 30s, .lock_timeout = 30s});
  constexpr int kThreads = 8;
  constexpr int kEach = 15;
  const sql::Query next{"test.next_id",
                        "SELECT coalesce(max(id), 0) + 1 FROM items WHERE community_id = ?1"};
  auto writer = [&]() -> std::string {
    for (int i = 0; i < kEach; ++i) {
      auto s = Session::begin(m_pool, TxMode::write);
      if (!s) return s.error().message;
      if (auto r = (*s)->lock_community(9); !r) return r.error().message;
      std::int64_t id = 0;
      {
        sql::Stmt st = stmt(**s, next);
        auto row = st.bind(1, std::int64_t{9}).step("next id");
        if (!row || !*row) return "no next id";
        id = st.integer(0);
      }
      if (auto r = insert(**s, 9, id, "writer " + std::to_string(id)); !r) return r.error().message;
      if (auto r = (*s)->commit(); !r) return r.error().message;
    }
    return "";
  };
  std::vector<std::future<std::string>> writers;
  for (int t = 0; t < kThreads; ++t)
    writers.push_back(std::async(std::launch::async, writer));
  for (auto& w : writers)
    EXPECT_EQ(w.get(), "");
  EXPECT_EQ(psql(m_url, "SELECT count(*) || ' ' || max(id) FROM items WHERE community_id = 9"),
            std::to_string(kThreads * kEach) + " " + std::to_string(kThreads * kEach));
  // Never more connections than the pool's size (all of them idle in the pool now).
  EXPECT_EQ(psql(m_url,
                 "SELECT count(*) BETWEEN 1 AND 3 FROM pg_stat_activity WHERE datname = "
                 "current_database() AND application_name = 'juwei'"),
            "t");
}

TEST_F(PgDriver, AReadSessionSeesOneSnapshotAndCannotWrite) {
  auto r = begin(TxMode::read);
  EXPECT_EQ(count(*r, 6), 0);
  {
    auto w = begin();
    ASSERT_TRUE(insert(*w, 6, 1, "later"));
    ASSERT_TRUE(w->commit());
  }
  EXPECT_EQ(count(*r, 6), 0);  // REPEATABLE READ: the snapshot of its first statement
  auto write = insert(*r, 6, 2, "refused");
  ASSERT_FALSE(write);
  EXPECT_NE(write.error().message.find("25006"), std::string::npos) << write.error().message;
}

TEST_F(PgDriver, AllConnectionsInUseIsBusyAfterTheTimeout) {
  m_pool = pool(Options{.pool_size = 1, .acquire_timeout = 200ms});
  auto a = begin();
  const auto start = std::chrono::steady_clock::now();
  auto b = Session::begin(m_pool, TxMode::write);
  ASSERT_FALSE(b);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_EQ(b.error().kind, Error::Kind::busy);
  EXPECT_NE(b.error().message.find("all database connections in use"), std::string::npos);
  a.reset();
  EXPECT_TRUE(Session::begin(m_pool, TxMode::write));
}

TEST_F(PgDriver, AWaiterGetsTheConnectionWhenItComesBack) {
  m_pool = pool(Options{.pool_size = 1, .acquire_timeout = 10s});
  auto a = begin();
  auto b = std::async(std::launch::async, [&] { return Session::begin(m_pool, TxMode::write); });
  EXPECT_EQ(b.wait_for(200ms), std::future_status::timeout);
  a.reset();
  auto got = b.get();
  EXPECT_TRUE(got) << got.error().message;
}

std::int64_t backend_pid(Session& s) {
  sql::Stmt st = stmt(s, {"test.pid", "SELECT pg_backend_pid()"});
  EXPECT_TRUE(is_row(st.step("pid")));
  return st.integer(0);
}

TEST_F(PgDriver, AnIdleConnectionTheServerDroppedIsReplaced) {
  m_pool = pool(Options{.pool_size = 1});
  std::int64_t first = 0;
  {
    auto s = begin();
    first = backend_pid(*s);
    ASSERT_TRUE(s->commit());
  }
  EXPECT_EQ(psql(m_server, "SELECT pg_terminate_backend(" + std::to_string(first) + ")"), "t");
  ASSERT_TRUE(eventually(
      m_server, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(first), "0"));
  auto s = begin();
  ASSERT_NE(s, nullptr);
  EXPECT_NE(backend_pid(*s), first);  // the same Query id, prepared again on the new connection
  ASSERT_TRUE(insert(*s, 1, 1, "after the reconnect"));
  ASSERT_TRUE(s->commit());
}

TEST_F(PgDriver, AConnectionLostMidTransactionFailsThenIsReplaced) {
  m_pool = pool(Options{.pool_size = 1});
  auto s = begin();
  const std::int64_t pid = backend_pid(*s);
  EXPECT_EQ(psql(m_server, "SELECT pg_terminate_backend(" + std::to_string(pid) + ")"), "t");
  ASSERT_TRUE(eventually(
      m_server, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid), "0"));
  auto lost = insert(*s, 1, 1, "never written");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind, Error::Kind::unavailable);
  EXPECT_NE(lost.error().message.find("connection lost"), std::string::npos)
      << lost.error().message;
  EXPECT_FALSE(s->commit());
  s.reset();
  auto next = begin();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(count(*next, 1), 0);
}

// ---------------------------------------------------------------------------------------------
// open(): checks and migrations.

// The version the migrations end at.
int latest_version() {
  return migrations().back().version;
}

TEST_F(Pg, OpenCreatesTheSchemaInAnEmptyDatabase) {
  auto store = open(m_url);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->schema_version(), latest_version());
  EXPECT_EQ(psql(m_url, "SELECT value FROM juwei_meta WHERE key = 'application'"), "juwei");
  EXPECT_EQ(psql(m_url, "SELECT value FROM juwei_meta WHERE key = 'schema_version'"),
            std::to_string(latest_version()));
  const std::string tables = psql(m_url,
                                  "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                                  "('pg_catalog', 'information_schema')");
  EXPECT_GT(std::stoi(tables), 1);
  store->reset();
  auto again = open(m_url);  // an existing Juwei database opens as it is
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->schema_version(), latest_version());
  EXPECT_EQ(psql(m_url,
                 "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                 "('pg_catalog', 'information_schema')"),
            tables);
}

TEST_F(Pg, TwoProcessesOpeningAnEmptyDatabaseCreateItOnce) {
  auto first = std::async(std::launch::async, [&] { return open(m_url); });
  auto second = std::async(std::launch::async, [&] { return open(m_url); });
  auto a = first.get();
  auto b = second.get();
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ((*a)->schema_version(), latest_version());
  EXPECT_EQ((*b)->schema_version(), latest_version());
}

// A district database made by the release before version 18 (the baseline alone) takes the
// later steps when it opens: each community's chain id becomes its own id.
TEST_F(Pg, ADatabaseAtTheBaselineTakesTheLaterSteps) {
  psql(m_url, std::string(schema_sql()));
  psql(m_url,
       "INSERT INTO communities (name, time_zone, created_at) VALUES "
       "('春晖', 'Asia/Shanghai', '2022-04-01T00:00:00Z'), "
       "('秋实', 'Asia/Shanghai', '2022-04-01T00:00:00Z')");
  ASSERT_EQ(psql(m_url, "SELECT value FROM juwei_meta WHERE key = 'schema_version'"),
            std::to_string(kBaselineVersion));
  auto store = open(m_url);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->schema_version(), latest_version());
  EXPECT_GT(latest_version(), kBaselineVersion);
  EXPECT_EQ(psql(m_url, "SELECT count(*) FROM communities WHERE chain_id = community_id"), "2");
}

TEST_F(Pg, OpenRefusesADatabaseOfAnotherProgram) {
  psql(m_url, "CREATE TABLE invoices (id BIGINT PRIMARY KEY, total NUMERIC)");
  auto store = open(m_url);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, Error::Kind::corrupt);
  EXPECT_NE(store.error().message.find("not a Juwei database"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(psql(m_url, "SELECT to_regclass('juwei_meta') IS NULL"), "t");  // left untouched
}

TEST_F(Pg, OpenRefusesAJuweiMetaOfAnotherApplication) {
  psql(m_url,
       "CREATE TABLE juwei_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
       "INSERT INTO juwei_meta VALUES ('application', 'lookalike'), ('schema_version', '17')");
  auto store = open(m_url);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, Error::Kind::corrupt);
  EXPECT_NE(store.error().message.find("not a Juwei database"), std::string::npos);
}

TEST_F(Pg, OpenRefusesADatabaseFromANewerJuwei) {
  psql(m_url,
       "CREATE TABLE juwei_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
       "INSERT INTO juwei_meta VALUES ('application', 'juwei'), ('schema_version', '99')");
  auto store = open(m_url);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, Error::Kind::too_new);
  EXPECT_NE(store.error().message.find("schema version 99"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(psql(m_url, "SELECT value FROM juwei_meta WHERE key = 'schema_version'"), "99");
}

TEST_F(Pg, OpenRefusesADatabaseThatDoesNotSortByteByByte) {
  const std::string url = make_database("C.UTF-8");
  auto store = open(url);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, Error::Kind::corrupt);
  EXPECT_NE(store.error().message.find("createdb --locale=C"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(psql(url, "SELECT to_regclass('juwei_meta') IS NULL"), "t");
}

TEST_F(Pg, OpenRefusesAMissingDatabaseInOneLine) {
  auto store = open(with_database(m_server, "juwei_t_missing"));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, Error::Kind::unavailable);
  EXPECT_NE(store.error().message.find("database \"juwei_t_missing\" does not exist"),
            std::string::npos)
      << store.error().message;
  EXPECT_EQ(store.error().message.find('\n'), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace juwei::store::postgres
