// `juwei` on PostgreSQL as an operator meets it: a database it must refuse says so in one line
// with exit code 1, and a server that goes away while `juwei serve` runs is a 503 with
// Retry-After, after which the same server process carries on once PostgreSQL is back.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "support/http_call.hpp"
#include "support/juwei_process.hpp"
#include "support/pg_test_database.hpp"

namespace {

namespace fs = std::filesystem;
using juwei::testing::Output;
using juwei::testing::quote;
using juwei::testing::Reply;

class PostgresCli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_server = juwei::testing::pg_server_url();
    if (!m_server) GTEST_SKIP() << "no test PostgreSQL (JUWEI_TEST_PG_URL_FILE)";
    m_dir = juwei::testing::scratch_dir("juwei-pgcli-");
    std::random_device rd;
    m_name = "juwei_cli_" + std::to_string(rd());
  }
  void TearDown() override {
    if (m_dir.empty()) return;
    juwei::testing::pg_drop_database(*m_server, m_name);
    fs::remove_all(m_dir);
  }

  // A fresh database named for this test, its URL.
  std::string fresh_database() { return juwei::testing::pg_create_database(*m_server, m_name); }

  Output juwei(const std::string& args) {
    return juwei::testing::run_shell(std::string(JUWEI_BIN) + " " + args, m_dir);
  }

  // The output's one line, for the assertions' messages.
  static std::string said(const Output& o) { return o.out + o.err; }
  static int lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  std::optional<std::string> m_server;
  fs::path m_dir;
  std::string m_name;
};

TEST_F(PostgresCli, AnUnreachableServerIsOneLineAndExitOne) {
  // Port 1 on loopback: nothing listens there.
  const Output o = juwei("init --db postgresql://juwei@127.0.0.1:1/juwei");
  EXPECT_EQ(o.code, 1) << said(o);
  EXPECT_NE(o.err.find("cannot connect to PostgreSQL at 127.0.0.1:1"), std::string::npos)
      << said(o);
  EXPECT_EQ(lines(o.err), 1) << said(o);
}

TEST_F(PostgresCli, AMissingDatabaseIsOneLineAndExitOne) {
  const Output o = juwei("init --db " + quote(juwei::testing::pg_url_of(*m_server, m_name)));
  EXPECT_EQ(o.code, 1) << said(o);
  EXPECT_NE(o.err.find(m_name), std::string::npos) << said(o);
  EXPECT_EQ(lines(o.err), 1) << said(o);
}

TEST_F(PostgresCli, ADatabaseOfAnotherProgramIsRefusedAndLeftAlone) {
  const std::string url = fresh_database();
  juwei::testing::pg_admin(url, "CREATE TABLE orders (id bigint primary key)");
  const Output o = juwei("init --db " + quote(url));
  EXPECT_EQ(o.code, 1) << said(o);
  EXPECT_NE(o.err.find("not a Juwei database"), std::string::npos) << said(o);
  EXPECT_EQ(lines(o.err), 1) << said(o);
  // Nothing of Juwei's was created in it.
  const Output tables = juwei::testing::run_shell(
      "psql " + quote(url) + " -Atc \"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'\"",
      m_dir);
  EXPECT_EQ(tables.out, "1\n") << said(tables);
}

TEST_F(PostgresCli, ADatabaseOfANewerJuweiIsRefused) {
  const std::string url = fresh_database();
  ASSERT_EQ(juwei("init --community 春晖居民区 --db " + quote(url)).code, 0);
  juwei::testing::pg_admin(url, "UPDATE juwei_meta SET value = '99' WHERE key = 'schema_version'");
  const Output o = juwei("residents --db " + quote(url));
  EXPECT_EQ(o.code, 1) << said(o);
  EXPECT_NE(o.err.find("newer"), std::string::npos) << said(o);
  EXPECT_EQ(lines(o.err), 1) << said(o);
}

TEST_F(PostgresCli, AWrongPasswordIsOneLineAndExitOneAndIsNeverShown) {
  // The one role the test server asks a password of (scripts/pg-test-server's pg_hba.conf).
  const std::string url = fresh_database();
  juwei::testing::pg_admin(url,
                           "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                           "'juwei_password_test') THEN CREATE ROLE juwei_password_test LOGIN; "
                           "END IF; END $$; ALTER ROLE juwei_password_test PASSWORD 'right-one'");
  const std::string host = url.substr(url.find('@') + 1);  // 127.0.0.1:PORT/NAME
  const Output wrong =
      juwei("init --db " + quote("postgresql://juwei_password_test:wrong-7f3a@" + host));
  EXPECT_EQ(wrong.code, 1) << said(wrong);
  EXPECT_NE(wrong.err.find("password"), std::string::npos) << said(wrong);
  EXPECT_EQ(wrong.err.find("wrong-7f3a"), std::string::npos) << said(wrong);
  EXPECT_EQ(lines(wrong.err), 1) << said(wrong);
  // The right password gets in: it was the password that was refused.
  juwei::testing::pg_admin(url, "GRANT ALL ON SCHEMA public TO juwei_password_test");
  const Output right =
      juwei("init --db " + quote("postgresql://juwei_password_test:right-one@" + host));
  EXPECT_EQ(right.code, 0) << said(right);
}

// Its own PostgreSQL, stopped and started again under a running `juwei serve`.
TEST_F(PostgresCli, TheServerAnswers503WhilePostgresIsAwayAndCarriesOnWhenItIsBack) {
  const fs::path pg = m_dir / "pg";
  const std::string script = std::string(JUWEI_SOURCE_DIR) + "/scripts/pg-test-server";
  ASSERT_EQ(juwei::testing::run_shell(script + " start " + quote(pg.string()), m_dir).code, 0);
  std::string server;
  std::getline(std::ifstream(pg / "url"), server);
  const std::string url = juwei::testing::pg_create_database(server, m_name);
  ASSERT_EQ(juwei("init --community 春晖居民区 --db " + quote(url)).code, 0);
  std::ofstream(m_dir / "pw") << "password-staff1\n";
  ASSERT_EQ(juwei("user add staff1 --role staff --password-stdin --db " + quote(url) + " < " +
                  quote((m_dir / "pw").string()))
                .code,
            0);
  juwei::testing::ServerProcess serve(JUWEI_BIN, url, {"--threads", "2"}, true);
  auto login = [&] {
    return juwei::testing::curl(m_dir, serve, "POST", "/api/v1/session",
                                R"({"username":"staff1","password":"password-staff1"})", "",
                                "application/json", {});
  };
  Reply r = login();
  ASSERT_EQ(r.status, 201) << r.body;

  ASSERT_EQ(juwei::testing::run_shell(script + " stop " + quote(pg.string()), m_dir).code, 0);
  r = login();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.headers.find("Retry-After"), std::string::npos) << r.headers;
  EXPECT_NE(r.headers.find("application/problem+json"), std::string::npos) << r.headers;

  ASSERT_EQ(juwei::testing::run_shell(script + " start " + quote(pg.string()), m_dir).code, 0);
  r = login();
  EXPECT_EQ(r.status, 201) << r.body;
  (void)juwei::testing::run_shell(script + " stop " + quote(pg.string()), m_dir);
}

}  // namespace
