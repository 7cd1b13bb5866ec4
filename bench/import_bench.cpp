// Import of the resident register (issue: Foundation). Figures:
// - import_csv: `import_residents` of an N-row CSV file (decode, parse, validate, upsert),
//   against raw_sqlite_insert: prepared inserts of the same rows, already parsed and in memory,
//   into the same schema in one transaction (the floor any importer stands on). Target >= 50%.
// - peak RSS of `juwei import residents` (a child process) on N rows against N/10 rows:
//   streaming means the ratio stays near 1.
// N is 1,000,000 unless JUWEI_BENCH_ROWS says otherwise.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "report.hpp"
#include "service/audit.hpp"
#include "service/open_store.hpp"
#include "service/registry.hpp"
#include "service/resident_csv.hpp"
#include "service/resident_import.hpp"
#include "service/synth.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace juwei::bench {
namespace {

namespace fs = std::filesystem;

int rows_wanted() {
  const char* env = std::getenv("JUWEI_BENCH_ROWS");
  return env != nullptr ? std::atoi(env) : 1'000'000;
}

service::SynthOptions options_for(int rows) {
  service::SynthOptions o;
  o.seed = 2022;
  o.residents = rows;
  o.households = std::max(1, rows * 2 / 5);
  o.volunteers = rows / 25;
  return o;
}

long run_juwei_rss(const std::vector<std::string>& args);

// Writes the CSV once per size (with `juwei gen`, so this process stays small) and keeps it.
fs::path register_file(int rows) {
  const fs::path file = scratch_dir() / fmt::format("residents-{}.csv", rows);
  if (fs::exists(file)) return file;
  const service::SynthOptions o = options_for(rows);
  run_juwei_rss({"gen", "--seed", std::to_string(o.seed), "--households",
                 std::to_string(o.households), "--residents", std::to_string(o.residents),
                 "--volunteers", std::to_string(o.volunteers), "--csv", file.string()});
  return file;
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(fmt::format("{}: {}", what, sqlite3_errmsg(db)));
  }
}

void BM_raw_sqlite_insert(benchmark::State& state) {
  const int rows = rows_wanted();
  // The same rows the CSV holds, parsed and in memory before the clock starts.
  std::vector<domain::ValidResident> data;
  data.reserve(static_cast<std::size_t>(rows));
  service::CommunityGenerator generator(options_for(rows));
  while (auto row = generator.next())
    data.push_back(std::move(*row));

  for (auto _ : state) {
    const fs::path file = scratch_dir() / "raw.db";
    fs::remove(file);
    { auto schema = store::sqlite::open(file); }  // the same schema and pragmas as Juwei's
    sqlite3* db = nullptr;
    check(sqlite3_open(file.c_str(), &db), db, "open");
    check(sqlite3_exec(db,
                       "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                       "PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; "
                       "INSERT INTO communities VALUES (1, NULL, 'raw', 'Asia/Shanghai', '');",
                       nullptr, nullptr, nullptr),
          db, "setup");
    sqlite3_stmt* building = nullptr;
    sqlite3_stmt* household = nullptr;
    sqlite3_stmt* resident = nullptr;
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO buildings (community_id, building_id, name, floors) "
                             "VALUES (1, ?1, ?2, 0)",
                             -1, &building, nullptr),
          db, "prepare");
    check(
        sqlite3_prepare_v2(db,
                           "INSERT INTO households (community_id, household_id, building_id, room) "
                           "VALUES (1, ?1, ?2, ?3)",
                           -1, &household, nullptr),
        db, "prepare");
    check(sqlite3_prepare_v2(db,
                             "INSERT INTO residents (community_id, resident_id, household_id, "
                             "name, gender, birth_date, id_number, phone, relation, "
                             "vulnerabilities, volunteer, notes, created_at, updated_at) "
                             "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
                             -1, &resident, nullptr),
          db, "prepare");

    const auto start = std::chrono::steady_clock::now();
    check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    std::map<std::string, std::int64_t> buildings;
    std::string last_place;
    std::int64_t household_id = 0;
    std::int64_t resident_id = 0;
    for (const domain::ValidResident& row : data) {
      auto [it, fresh] = buildings.try_emplace(row.building, buildings.size() + 1);
      if (fresh) {
        sqlite3_bind_int64(building, 1, it->second);
        sqlite3_bind_text(building, 2, row.building.data(), -1, SQLITE_STATIC);
        check(sqlite3_step(building), db, "building");
        sqlite3_reset(building);
      }
      if (row.building + row.room != last_place) {
        last_place = row.building + row.room;
        sqlite3_bind_int64(household, 1, ++household_id);
        sqlite3_bind_int64(household, 2, it->second);
        sqlite3_bind_text(household, 3, row.room.data(), -1, SQLITE_STATIC);
        check(sqlite3_step(household), db, "household");
        sqlite3_reset(household);
      }
      const domain::Resident& r = row.resident;
      const std::string birth = domain::format_date(r.birth_date);
      sqlite3_bind_int64(resident, 1, ++resident_id);
      sqlite3_bind_int64(resident, 2, household_id);
      sqlite3_bind_text(resident, 3, r.name.data(), static_cast<int>(r.name.size()), SQLITE_STATIC);
      sqlite3_bind_text(resident, 4, domain::to_code(r.gender).data(), -1, SQLITE_STATIC);
      sqlite3_bind_text(resident, 5, birth.data(), static_cast<int>(birth.size()), SQLITE_STATIC);
      sqlite3_bind_text(resident, 6, r.id_number.data(), 18, SQLITE_STATIC);
      sqlite3_bind_text(resident, 7, r.phone.data(), static_cast<int>(r.phone.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(resident, 8, domain::to_code(r.relation).data(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(resident, 9, r.vulnerabilities.bits());
      sqlite3_bind_int64(resident, 10, r.volunteer ? 1 : 0);
      sqlite3_bind_text(resident, 11, r.notes.data(), static_cast<int>(r.notes.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(resident, 12, "2022-04-04T02:00:00Z", -1, SQLITE_STATIC);
      check(sqlite3_step(resident), db, "resident");
      sqlite3_reset(resident);
    }
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(took.count());
    sqlite3_finalize(building);
    sqlite3_finalize(household);
    sqlite3_finalize(resident);
    sqlite3_close(db);
    state.counters["rows_per_s"] = rows / took.count();
    record("raw_sqlite_insert", rows / took.count(), "rows/s");
  }
}

void BM_import_csv(benchmark::State& state) {
  const int rows = rows_wanted();
  const fs::path csv = register_file(rows);
  for (auto _ : state) {
    const fs::path file = scratch_dir() / "import.db";
    fs::remove(file);
    auto store = service::open_store("sqlite:" + file.string());
    if (!store) throw std::runtime_error(store.error().message);
    service::Registry registry(**store, service::system_clock());
    const auto community =
        registry.init_community("bench", "", service::kOperator).value().community;

    const auto start = std::chrono::steady_clock::now();
    const auto report =
        service::import_residents(**store, service::system_clock(), community.id, csv,
                                  service::ImportOptions{}, service::kOperator);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    if (!report || !report->committed || report->added != rows) {
      state.SkipWithError("import failed");
      return;
    }
    state.SetIterationTime(took.count());
    state.counters["rows_per_s"] = rows / took.count();
    record("import_csv", rows / took.count(), "rows/s", "raw_sqlite_insert");
  }
}

// Runs `juwei ARGS...` and returns its peak resident set in KiB. The child starts as a fork
// of this process, and the kernel counts that copy's pages too, so the RSS benchmark runs
// first, while this process is small.
long run_juwei_rss(const std::vector<std::string>& args) {
  std::vector<char*> argv{const_cast<char*>(JUWEI_BIN)};
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(JUWEI_BIN, argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("juwei failed");
  return usage.ru_maxrss;
}

void BM_import_peak_rss(benchmark::State& state) {
  const int rows = rows_wanted();
  for (auto _ : state) {
    long rss[2] = {};
    const int sizes[2] = {rows / 10, rows};
    for (int i = 0; i < 2; ++i) {
      const fs::path db = scratch_dir() / fmt::format("rss-{}.db", sizes[i]);
      const std::string url = "sqlite:" + db.string();
      run_juwei_rss({"init", "--db", url});
      rss[i] =
          run_juwei_rss({"import", "residents", register_file(sizes[i]).string(), "--db", url});
    }
    state.counters["rss_kib"] = static_cast<double>(rss[1]);
    record(fmt::format("import_peak_rss_{}_rows", sizes[0]), static_cast<double>(rss[0]), "KiB");
    record(fmt::format("import_peak_rss_{}_rows", sizes[1]), static_cast<double>(rss[1]), "KiB",
           fmt::format("import_peak_rss_{}_rows", sizes[0]));
  }
}

BENCHMARK(BM_import_peak_rss)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_raw_sqlite_insert)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_import_csv)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace juwei::bench
