// `juwei migrate` as an operator meets it: a committee that began on a laptop (SQLite) moves
// onto a district's PostgreSQL that serves another community already, so the moved community
// gets another id there. Its audit chain verifies on the server with the laptop's head, every
// row is there, and passes the laptop issued (signed with a key since retired, too) still
// verify at the server's gate. A second move, a taken username, a laptop with several
// communities and a database that is not Juwei's are refused with one line, nothing written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "support/juwei_process.hpp"
#include "support/pg_test_database.hpp"

namespace {

namespace fs = std::filesystem;
using juwei::testing::Output;
using juwei::testing::quote;

const std::string kRegister =
    "楼号,室号,姓名,性别,身份证号,手机号,与户主关系,特殊人群,志愿者,备注\n"
    "12号楼,301,王丽,女,310109198802290022,13812345678,户主,,否,护士\n"
    "12号楼,301,张伟,男,310109198503071233,13912345678,配偶,,是,\n"
    "12号楼,302,李秀英,女,11010519491231002x,,户主,独居老人,否,\n"
    "5号楼,101,陈静,女,310109199003070044,18612345678,户主,孕妇,否,预产期5月\n";

class MigrateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_server = juwei::testing::pg_server_url();
    if (!m_server) GTEST_SKIP() << "no test PostgreSQL (JUWEI_TEST_PG_URL_FILE)";
    m_dir = juwei::testing::scratch_dir("juwei-migrate-");
    std::random_device rd;
    m_name = "juwei_mig_" + std::to_string(rd());
    m_pg = juwei::testing::pg_create_database(*m_server, m_name);
    fs::create_directories(m_dir / "laptop");
    m_laptop = "sqlite:" + (m_dir / "laptop" / "juwei.db").string();
  }
  void TearDown() override {
    if (m_dir.empty()) return;
    juwei::testing::pg_drop_database(*m_server, m_name);
    fs::remove_all(m_dir);
  }

  // juwei run in the scratch folder, so the server's data folder is juwei-data/NAME there.
  Output juwei(const std::string& args) {
    return juwei::testing::run_shell(
        "cd " + quote(m_dir.string()) + " && " + std::string(JUWEI_BIN) + " " + args, m_dir);
  }
  Output on_laptop(const std::string& args) { return juwei(args + " --db " + quote(m_laptop)); }
  Output on_server(const std::string& args) { return juwei(args + " --db " + quote(m_pg)); }
  Output migrate(const std::string& extra = "") {
    return juwei("migrate --from " + quote(m_laptop) + " --to " + quote(m_pg) + extra);
  }

  // The first cell of a query's first row, on either side.
  std::string laptop_sql(const std::string& sql) {
    return trimmed(juwei::testing::run_shell(
        "sqlite3 " + quote((m_dir / "laptop" / "juwei.db").string()) + " " + quote(sql), m_dir));
  }
  std::string server_sql(const std::string& sql) {
    return trimmed(
        juwei::testing::run_shell("psql -X -A -t " + quote(m_pg) + " -c " + quote(sql), m_dir));
  }
  static std::string trimmed(const Output& o) {
    std::string s = o.out;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
      s.pop_back();
    return s;
  }

  // A committee's laptop: its register, an emergency pass used at the gate with a proof
  // attached, a key rotation, and a second pass signed with the new key. Returns both tokens.
  std::pair<std::string, std::string> seed_laptop() {
    std::ofstream(m_dir / "register.csv") << kRegister;
    std::ofstream(m_dir / "proof.pdf") << "%PDF-1.4\n仁济医院 召回通知\n%%EOF\n";
    EXPECT_EQ(on_laptop("init --community 春晖居民区 --street 示范街道").code, 0);
    EXPECT_EQ(on_laptop("import residents register.csv").code, 0);
    Output o = on_laptop(
        "passes emergency --resident 4 --reason childbirth --destination 一妇婴 --note 临产");
    EXPECT_EQ(o.code, 0) << o.err;
    const std::string first = token_in(o.out);
    o = on_laptop("requests proof 1 proof.pdf");
    EXPECT_EQ(o.code, 0) << o.err;
    o = on_laptop("gate check out --token " + first);
    EXPECT_EQ(o.code, 0) << o.out << o.err;
    EXPECT_EQ(on_laptop("passes rotate-key").code, 0);
    o = on_laptop(
        "passes emergency --resident 1 --reason medical_emergency --destination 仁济医院 "
        "--note 胸痛");
    EXPECT_EQ(o.code, 0) << o.err;
    return {first, token_in(o.out)};
  }

  static std::string token_in(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex("token: (JW1\\.[A-Za-z0-9_-]+)")) ? m[1].str() : "";
  }
  // "N records, head H" of `audit verify` or of migrate's summary.
  static std::string chain_in(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m,
                             std::regex("完好 \\(intact\\): (\\d+ records, head [0-9a-f]+)"))
               ? m[1].str()
               : "";
  }
  static int lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  // Rows per community table, on the laptop (its only community) and on the server (community
  // `id`), for every table of the laptop's schema that has a community_id but sessions.
  std::vector<std::string> community_tables() {
    std::vector<std::string> out;
    std::istringstream names(laptop_sql(
        "SELECT m.name FROM sqlite_schema m WHERE m.type = 'table' AND m.name NOT IN "
        "('communities', 'sessions') AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) "
        "WHERE name = 'community_id') ORDER BY m.name"));
    for (std::string name; std::getline(names, name);)
      out.push_back(name);
    return out;
  }

  std::optional<std::string> m_server;
  fs::path m_dir;
  std::string m_name;
  std::string m_pg;
  std::string m_laptop;
};

TEST_F(MigrateCli, ALaptopCommunityMovesOntoAServerThatHasAnotherOne) {
  const auto [first, second] = seed_laptop();
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  Output o = on_laptop("audit verify");
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  const std::string laptop_chain = chain_in(o.out);
  ASSERT_FALSE(laptop_chain.empty()) << o.out;
  // The server serves 新华居民区 already: it is community 1 there, as 春晖居民区 is on the laptop.
  o = on_server("community add 新华居民区 --street 示范街道");
  ASSERT_EQ(o.code, 0) << o.err;
  ASSERT_NE(o.out.find("(id 1)"), std::string::npos) << o.out;

  o = migrate();
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("onto the server as community 2"), std::string::npos) << o.out;
  EXPECT_EQ(chain_in(o.out), laptop_chain) << o.out;
  EXPECT_NE(o.out.find("files: 2 pass signing keys, 1 proofs"), std::string::npos) << o.out;
  EXPECT_TRUE(std::regex_search(o.out, std::regex("\\baudit_log +\\d+"))) << o.out;
  EXPECT_TRUE(std::regex_search(o.out, std::regex(" in \\d+\\.\\d\\d s\n"))) << o.out;

  // audit verify on the server: the laptop's chain, record for record, head for head.
  o = on_server("audit verify --community 春晖居民区");
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(chain_in(o.out), laptop_chain) << o.out;
  EXPECT_EQ(on_server("audit verify --community 新华居民区").code, 0);

  // Every row of every community table, under the new id; the street found by its name.
  const auto tables = community_tables();
  EXPECT_GE(tables.size(), 20u);
  for (const std::string& t : tables) {
    EXPECT_EQ(server_sql("SELECT count(*) FROM " + t + " WHERE community_id = 2"),
              laptop_sql("SELECT count(*) FROM " + t))
        << t;
  }
  EXPECT_NE(server_sql("SELECT count(*) FROM audit_log WHERE community_id = 2"), "0");
  EXPECT_EQ(server_sql("SELECT count(*) FROM streets"), "1");
  EXPECT_EQ(server_sql("SELECT street_id || ' ' || chain_id FROM communities WHERE "
                       "name = '春晖居民区'"),
            "1 1");
  EXPECT_EQ(server_sql("SELECT password_hash FROM users WHERE username = 'admin'"),
            laptop_sql("SELECT password_hash FROM users WHERE username = 'admin'"));

  // The keys under the community's new id, the proof by its content.
  const fs::path data = m_dir / "juwei-data" / m_name;
  EXPECT_TRUE(fs::exists(data / "keys" / "community-2-pass-key-1.ed25519"));
  EXPECT_TRUE(fs::exists(data / "keys" / "community-2-pass-key-2.ed25519"));
  const std::string digest = laptop_sql("SELECT digest FROM proofs");
  ASSERT_EQ(digest.size(), 64u);
  EXPECT_EQ(juwei::testing::slurp(data / "proofs" / digest.substr(0, 2) / digest),
            juwei::testing::slurp(m_dir / "proof.pdf"));

  // Passes from the laptop at the server's gate: she comes back on the first (its key retired
  // since), he goes out on the second; a pass the server issues now verifies too.
  o = on_server("gate check in --community 春晖居民区 --token " + first);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("放行"), std::string::npos) << o.out;
  o = on_server("gate check out --community 春晖居民区 --token " + second);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("放行"), std::string::npos) << o.out;
  o = on_server(
      "passes emergency --community 春晖居民区 --resident 2 --reason medical_emergency "
      "--destination 仁济医院 --note 外伤");
  ASSERT_EQ(o.code, 0) << o.err;
  o = on_server("passes verify --community 春晖居民区 " + token_in(o.out));
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  // Not at the other community's gate.
  o = on_server("passes verify --community 新华居民区 " + first);
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_EQ(on_server("audit verify --community 春晖居民区").code, 0);
}

TEST_F(MigrateCli, ASecondMoveIsRefusedAndChangesNothing) {
  seed_laptop();
  ASSERT_EQ(migrate().code, 0);
  const std::string before = server_sql(
      "SELECT (SELECT count(*) FROM communities) || ' ' || (SELECT count(*) FROM audit_log) || "
      "' ' || (SELECT count(*) FROM residents) || ' ' || (SELECT count(*) FROM streets)");
  const auto files = [&] {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(m_dir / "juwei-data" / m_name)) {
      n += e.is_regular_file() ? 1 : 0;
    }
    return n;
  };
  const std::size_t files_before = files();

  const Output o = migrate();
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  EXPECT_NE(o.err.find("has a community named '春晖居民区' already"), std::string::npos) << o.err;
  EXPECT_EQ(lines(o.err), 1) << o.err;
  EXPECT_EQ(server_sql("SELECT (SELECT count(*) FROM communities) || ' ' || (SELECT count(*) FROM "
                       "audit_log) || ' ' || (SELECT count(*) FROM residents) || ' ' || (SELECT "
                       "count(*) FROM streets)"),
            before);
  EXPECT_EQ(files(), files_before);
}

TEST_F(MigrateCli, ATakenUsernameIsRefusedAndNothingIsWritten) {
  seed_laptop();
  // The server's community has an account named as the laptop's admin.
  ASSERT_EQ(on_server("community add 新华居民区 --admin admin").code, 0);
  const std::string before = server_sql(
      "SELECT (SELECT count(*) FROM communities) || ' ' || (SELECT count(*) FROM audit_log) || "
      "' ' || (SELECT count(*) FROM streets)");

  const Output o = migrate();
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  EXPECT_NE(o.err.find("the username 'admin' is taken"), std::string::npos) << o.err;
  EXPECT_EQ(lines(o.err), 1) << o.err;
  EXPECT_EQ(server_sql("SELECT (SELECT count(*) FROM communities) || ' ' || (SELECT count(*) "
                       "FROM audit_log) || ' ' || (SELECT count(*) FROM streets)"),
            before);
  EXPECT_FALSE(fs::exists(m_dir / "juwei-data" / m_name / "keys"));
}

TEST_F(MigrateCli, ALaptopWithSeveralCommunitiesNamesOne) {
  std::ofstream(m_dir / "register.csv") << kRegister;
  ASSERT_EQ(on_laptop("init --community 东园居民区").code, 0);
  ASSERT_EQ(on_laptop("community add 西园居民区").code, 0);
  ASSERT_EQ(on_laptop("import residents register.csv --community 西园居民区").code, 0);

  Output o = migrate();
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  EXPECT_NE(o.err.find("--community"), std::string::npos) << o.err;
  EXPECT_EQ(lines(o.err), 1) << o.err;
  EXPECT_EQ(server_sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "0");

  o = migrate(" --community 西园居民区");
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(server_sql("SELECT name FROM communities"), "西园居民区");
  EXPECT_EQ(server_sql("SELECT count(*) FROM residents"), "4");
  EXPECT_EQ(on_server("audit verify").code, 0);
}

TEST_F(MigrateCli, WhatIsNotALaptopsJuweiDatabaseIsRefused) {
  // Another program's SQLite file.
  ASSERT_EQ(juwei::testing::run_shell("sqlite3 " + quote((m_dir / "laptop" / "juwei.db").string()) +
                                          " 'CREATE TABLE songs (title TEXT)'",
                                      m_dir)
                .code,
            0);
  Output o = migrate();
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  EXPECT_EQ(lines(o.err), 1) << o.err;
  EXPECT_EQ(laptop_sql("SELECT count(*) FROM songs"), "0");  // and left as it was

  o = juwei("migrate --from sqlite:nowhere/juwei.db --to " + quote(m_pg));
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find("no database at nowhere/juwei.db"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(m_dir / "nowhere"));

  o = juwei("migrate --from " + quote(m_pg) + " --to " + quote(m_pg));
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find("--from wants"), std::string::npos) << o.err;
  o = juwei("migrate --from " + quote(m_laptop) + " --to sqlite:server.db");
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find("--to wants"), std::string::npos) << o.err;
}

}  // namespace
