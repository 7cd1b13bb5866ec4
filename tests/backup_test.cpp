// Backup and restore with the real binary: the drill (back up the seed community while the
// server takes writes, restore into a new folder, verify the audit trail, find every write
// acknowledged before the backup began, serve the restored copy, sign with the restored key),
// and the refusals that keep a backup or a database from being half-replaced.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/http_call.hpp"
#include "support/juwei_process.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using juwei::testing::Output;
using juwei::testing::quote;
using juwei::testing::slurp;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "drill-password-1";

std::string token_in(const std::string& out) {
  std::smatch m;
  return std::regex_search(out, m, std::regex("token: (JW1\\.[A-Za-z0-9_-]+)")) ? m[1].str() : "";
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

int lines_in(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

class Backup : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = juwei::testing::scratch_dir("juwei-backup-");
    m_db = "sqlite:" + (m_dir / "live" / "juwei.db").string();
  }
  void TearDown() override { fs::remove_all(m_dir); }

  Output juwei(const std::string& args) {
    return juwei::testing::run_shell(std::string(JUWEI_BIN) + " " + args, m_dir);
  }
  // The database a sqlite: URL names.
  static fs::path file_of(const std::string& url) { return url.substr(7); }

  // An answer of sqlite3 on `db`, one row a line.
  std::string sql(const fs::path& db, const std::string& query) {
    const Output o =
        juwei::testing::run_shell("sqlite3 " + quote(db.string()) + " " + quote(query), m_dir);
    EXPECT_EQ(o.code, 0) << o.err;
    return o.out;
  }

  // Makes the live database with `seed` (a juwei command) and backs it up into `out`; returns
  // the URL of another database, of the community `other`, for a restore to try.
  std::string backup_and_target(const std::string& seed, const fs::path& out,
                                const std::string& other) {
    EXPECT_EQ(juwei(seed + " --db " + quote(m_db)).code, 0);
    const Output o = juwei("backup --out " + quote(out.string()) + " --db " + quote(m_db));
    EXPECT_EQ(o.code, 0) << o.err;
    const std::string target = "sqlite:" + (m_dir / "target" / "juwei.db").string();
    EXPECT_EQ(juwei("init --community " + other + " --db " + quote(target)).code, 0);
    return target;
  }

  fs::path m_dir;
  std::string m_db;
};

// One acknowledged write: a building's status change, by its id; when it was sent and when the
// server's answer came back.
struct Acknowledged {
  std::string building;
  std::string change_id;
  Clock::time_point sent;
  Clock::time_point answered;
};

// The drill of issue 16: back up under load, restore, audit verify, and every write the server
// acknowledged before the backup began is in the restored database.
TEST_F(Backup, TheDrillRestoresEveryWriteAcknowledgedBeforeTheBackup) {
  // The seed community (1,383 households), a desk login, an emergency pass (the community's
  // first signing key) and a request with a proof uploaded: a data folder with keys/ and proofs/.
  ASSERT_EQ(juwei("demo --no-serve --db " + quote(m_db)).code, 0);
  std::ofstream(m_dir / "pw") << kPassword << "\n";
  Output o = juwei("user add desk --role secretary --password-stdin --db " + quote(m_db) + " < " +
                   quote((m_dir / "pw").string()));
  ASSERT_EQ(o.code, 0) << o.err;
  o = juwei(
      "passes emergency --resident 4 --reason childbirth --destination 一妇婴 --note 临产 "
      "--db " +
      quote(m_db));
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string token = token_in(o.out);
  ASSERT_FALSE(token.empty()) << o.out;
  o = juwei(
      "requests file --resident 1 --reason medical_staff_return --destination 仁济医院 "
      "--exit '2030-04-05 07:00' --return '2030-04-05 20:00' --db " +
      quote(m_db));
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string proof = "%PDF-1.4 recall notice " + std::to_string(std::random_device{}());
  std::ofstream(m_dir / "recall.pdf", std::ios::binary) << proof;
  o = juwei("requests proof 1 " + quote((m_dir / "recall.pdf").string()) + " --db " + quote(m_db));
  ASSERT_EQ(o.code, 0) << o.err;
  const fs::path live_keys = m_dir / "live" / "keys";
  ASSERT_FALSE(fs::is_empty(live_keys));
  const fs::path key_file = fs::directory_iterator(live_keys)->path();

  const fs::path backup = m_dir / "backups" / "monday";
  const fs::path restored_db = m_dir / "restored" / "juwei.db";
  std::vector<Acknowledged> acknowledged;
  Clock::time_point backup_began;
  Clock::time_point backup_ended;
  Output backed_up;
  {
    juwei::testing::ServerProcess server(JUWEI_BIN, m_db, {"--threads", "4"}, true);
    const auto call = [&](const fs::path& scratch, const std::string& method,
                          const std::string& path, const std::string& body,
                          const std::string& bearer) {
      return juwei::testing::curl(scratch, server.base_url(), method, path, body, bearer,
                                  "application/json", {});
    };
    fs::create_directories(m_dir / "main");
    const juwei::testing::Reply login =
        call(m_dir / "main", "POST", "/api/v1/session",
             json::serialize(json::object{{"username", "desk"}, {"password", kPassword}}), "");
    ASSERT_EQ(login.status, 201) << login.body;
    const std::string bearer(login.json().at("token").as_string());
    const json::value buildings =
        call(m_dir / "main", "GET", "/api/v1/buildings", "", bearer).json();
    ASSERT_GE(buildings.at("items").as_array().size(), 2U);

    // Two writers, each flipping its own building between sealed and controlled.
    std::mutex mutex;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      const std::string building(buildings.at("items").as_array()[w].at("id").as_string());
      const fs::path scratch = m_dir / ("writer" + std::to_string(w));
      fs::create_directories(scratch);
      writers.emplace_back([&, building, scratch] {
        for (int n = 0; !stop; ++n) {
          const Clock::time_point sent = Clock::now();
          const json::object body{{"status", n % 2 == 0 ? "sealed" : "controlled"},
                                  {"reason", "drill " + std::to_string(n)}};
          const juwei::testing::Reply r =
              call(scratch, "POST", "/api/v1/buildings/" + building + "/status-changes",
                   json::serialize(body), bearer);
          if (r.status != 201) {
            ADD_FAILURE() << r.status << " " << r.body;
            return;
          }
          const std::string id(r.json().at("id").as_string());
          const std::lock_guard lock(mutex);
          acknowledged.push_back({building, id, sent, Clock::now()});
        }
      });
    }
    const auto count = [&] {
      const std::lock_guard lock(mutex);
      return acknowledged.size();
    };
    while (count() < 20 && !HasFailure())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));

    backup_began = Clock::now();
    backed_up = juwei("backup --out " + quote(backup.string()) + " --db " + quote(m_db));
    backup_ended = Clock::now();
    // Writes after the backup, which the restore must not have.
    const std::size_t after = count() + 10;
    while (count() < after && !HasFailure())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop = true;
    for (std::thread& t : writers)
      t.join();
  }
  ASSERT_EQ(backed_up.code, 0) << backed_up.err;
  ASSERT_EQ(lines_in(backed_up.out), 1) << backed_up.out;
  std::smatch head;
  ASSERT_TRUE(std::regex_search(
      backed_up.out, head, std::regex("audit head of community 1: record ([0-9]+) ([0-9a-f]+)")))
      << backed_up.out;
  std::cerr << "backup under load: " << backed_up.out;

  // The backup folder: the database and the key, private.
  EXPECT_EQ(mode_of(backup), 0700U);
  EXPECT_EQ(mode_of(backup / "juwei.db"), 0600U);
  EXPECT_EQ(mode_of(backup / "keys"), 0700U);
  EXPECT_EQ(slurp(backup / "keys" / key_file.filename()), slurp(key_file));
  EXPECT_EQ(mode_of(backup / "keys" / key_file.filename()), 0600U);
  for (const auto& entry : fs::directory_iterator(backup.parent_path()))
    EXPECT_EQ(entry.path(), backup) << "left behind";

  o = juwei("restore --from " + quote(backup.string()) + " --db " +
            quote("sqlite:" + restored_db.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  // The restored chain ends where the backup said it did.
  EXPECT_NE(o.out.find(head[1].str() + " records, head " + head[2].str()), std::string::npos)
      << o.out << backed_up.out;
  o = juwei("audit verify --db " + quote("sqlite:" + restored_db.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("完好 (intact): " + head[1].str() + " records"), std::string::npos) << o.out;

  // Every write acknowledged before the backup began is there; those sent after it ended are
  // not (the copy is of one moment, and it is the backup that was restored).
  const std::string rows =
      sql(restored_db, "SELECT building_id || ':' || change_id FROM building_status");
  std::set<std::string> present;
  std::istringstream lines(rows);
  for (std::string line; std::getline(lines, line);)
    present.insert(line);
  int before = 0;
  int later = 0;
  for (const Acknowledged& a : acknowledged) {
    const bool there = present.contains(a.building + ":" + a.change_id);
    if (a.answered < backup_began) {
      ++before;
      EXPECT_TRUE(there) << "write " << a.building << ":" << a.change_id
                         << " was acknowledged before the backup began";
    } else if (a.sent > backup_ended) {
      ++later;
      EXPECT_FALSE(there) << "write " << a.building << ":" << a.change_id
                          << " was sent after the backup ended";
    }
  }
  EXPECT_GE(before, 20);
  EXPECT_GE(later, 10);

  // The keys came along: the restored key is the same, private, and signs a new pass (the
  // public halves in the database alone would verify old passes, but sign nothing).
  const fs::path restored_key = m_dir / "restored" / "keys" / key_file.filename();
  EXPECT_EQ(slurp(restored_key), slurp(key_file));
  EXPECT_EQ(mode_of(restored_key), 0600U);
  EXPECT_EQ(mode_of(restored_key.parent_path()), 0700U);
  const std::string restored_url = "sqlite:" + restored_db.string();
  {
    juwei::testing::ServerProcess server(JUWEI_BIN, restored_url, {}, true);
    const fs::path scratch = m_dir / "main";
    const juwei::testing::Reply login = juwei::testing::curl(
        scratch, server.base_url(), "POST", "/api/v1/session",
        json::serialize(json::object{{"username", "desk"}, {"password", kPassword}}), "",
        "application/json", {});
    ASSERT_EQ(login.status, 201) << login.body;
    const std::string bearer(login.json().at("token").as_string());
    juwei::testing::Reply r = juwei::testing::curl(scratch, server.base_url(), "GET",
                                                   "/api/v1/residents?q=301", "", bearer, "", {});
    EXPECT_EQ(r.status, 200) << r.body;
    // The proof uploaded before the backup reads back, byte for byte.
    r = juwei::testing::curl(scratch, server.base_url(), "GET", "/api/v1/proofs/1", "", bearer, "",
                             {});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, proof);

    o = juwei("passes verify " + token + " --db " + quote(restored_url));
    EXPECT_EQ(o.code, 0) << o.out << o.err;
    EXPECT_NE(o.out.find("放行"), std::string::npos) << o.out;
    o = juwei(
        "passes emergency --resident 5 --reason medical_emergency --destination 瑞金医院 --note "
        "胸痛 --db " +
        quote(restored_url));
    EXPECT_EQ(o.code, 0) << o.out << o.err;
    EXPECT_FALSE(token_in(o.out).empty()) << o.out;
  }
}

TEST_F(Backup, AnExistingBackupIsReplacedOnlyWithForceAndThenWhole) {
  ASSERT_EQ(juwei("init --db " + quote(m_db)).code, 0);
  const fs::path backup = m_dir / "backup";
  Output o = juwei("backup --out " + quote(backup.string()) + " --db " + quote(m_db));
  ASSERT_EQ(o.code, 0) << o.err;
  std::ofstream(backup / "marker") << "an older backup";

  o = juwei("backup --out " + quote(backup.string()) + " --db " + quote(m_db));
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(lines_in(o.err), 1) << o.err;
  EXPECT_NE(o.err.find("exists already; --force replaces it"), std::string::npos) << o.err;
  EXPECT_TRUE(fs::exists(backup / "marker"));

  o = juwei("backup --force --out " + quote(backup.string()) + " --db " + quote(m_db));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(fs::exists(backup / "marker")) << "replaced whole, not merged";
  EXPECT_TRUE(fs::exists(backup / "juwei.db"));
  for (const auto& entry : fs::directory_iterator(m_dir))
    EXPECT_EQ(entry.path().string().find("backup."), std::string::npos) << "left behind";

  // No database, nothing made.
  o = juwei("backup --out " + quote((m_dir / "other").string()) + " --db " +
            quote("sqlite:" + (m_dir / "missing.db").string()));
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("no database at"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(m_dir / "other"));
  EXPECT_FALSE(fs::exists(m_dir / "missing.db"));
}

// A damaged backup is refused before anything is touched: exit 1, one line, the target
// database exactly as it was, even with --force.
TEST_F(Backup, ADamagedBackupIsRefusedAndTheTargetIsUntouched) {
  const fs::path good = m_dir / "good";
  const std::string target = backup_and_target("demo --no-serve", good, "春晖居民区");
  ASSERT_FALSE(HasFailure());
  const std::string before = slurp(file_of(target));
  const std::uintmax_t size = fs::file_size(good / "juwei.db");

  struct Case {
    const char* name;
    std::function<void(const fs::path&)> damage;  // of the copy's juwei.db
    const char* message;
  };
  const Case cases[] = {
      {"truncated", [&](const fs::path& db) { fs::resize_file(db, size / 2); }, "is damaged"},
      {"scribbled",
       [&](const fs::path& db) {
         std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
         f.seekp(static_cast<std::streamoff>(size / 2));
         const std::string junk(8192, '\x5a');
         f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
       },
       "integrity_check"},
      {"not Juwei's",
       [&](const fs::path& db) {
         fs::remove(db);
         ASSERT_EQ(std::system(("sqlite3 " + quote(db.string()) + " 'CREATE TABLE t (x)'").c_str()),
                   0);
       },
       "is not a Juwei database"},
      {"not a database", [&](const fs::path& db) { std::ofstream(db) << "hello"; }, "is damaged"},
      {"missing", [&](const fs::path& db) { fs::remove(db); }, "no backup at"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path copy = m_dir / "damaged";
    fs::remove_all(copy);
    fs::copy(good, copy, fs::copy_options::recursive);
    c.damage(copy / "juwei.db");
    const Output o =
        juwei("restore --force --from " + quote(copy.string()) + " --db " + quote(target));
    EXPECT_EQ(o.code, 1) << o.out << o.err;
    EXPECT_EQ(lines_in(o.err), 1) << o.err;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << o.err;
    EXPECT_EQ(slurp(file_of(target)), before);
    EXPECT_FALSE(fs::exists(m_dir / "target" / "keys"));
  }
  const Output o = juwei("residents --db " + quote(target));
  EXPECT_EQ(o.code, 0) << o.err;  // still the community init made, and readable
  EXPECT_NE(juwei("audit verify --db " + quote(target)).out.find("完好"), std::string::npos);
}

// An existing database is replaced only with --force, and never under a running server.
TEST_F(Backup, RestoreReplacesAnExistingDatabaseOnlyWithForceAndNeverUnderAServer) {
  const fs::path backup = m_dir / "backup";
  const std::string target =
      backup_and_target("init --community 春晖居民区", backup, "另一个居民区");
  ASSERT_FALSE(HasFailure());
  const std::string restore = "restore --from " + quote(backup.string()) + " --db " + quote(target);

  Output o = juwei(restore);
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(lines_in(o.err), 1) << o.err;
  EXPECT_NE(o.err.find("exists already; --force replaces it"), std::string::npos) << o.err;
  {
    juwei::testing::ServerProcess server(JUWEI_BIN, target, {}, true);
    o = juwei(restore + " --force");
    EXPECT_EQ(o.code, 1);
    EXPECT_EQ(lines_in(o.err), 1) << o.err;
    EXPECT_NE(o.err.find("is open in another process"), std::string::npos) << o.err;
  }
  const std::string communities = "SELECT name FROM communities";
  EXPECT_EQ(sql(file_of(target), communities), "另一个居民区\n");  // the one it had

  o = juwei(restore + " --force");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("春晖居民区 (id 1): 完好 (intact)"), std::string::npos) << o.out;
  EXPECT_EQ(sql(file_of(target), communities), "春晖居民区\n");
  for (const auto& entry : fs::directory_iterator(m_dir / "target"))
    EXPECT_EQ(entry.path().filename().string().find(".restoring-"), std::string::npos) << "left";
}

}  // namespace
