// PostgreSQL figures (issue 18), on a PostgreSQL 15 of the benchmark's own: scripts/pg-test-server
// in JUWEI_BENCH_PG_DIR (a folder of the build), started when the first of these benchmarks runs
// and stopped when the program ends, however it ends (see Guard). When it cannot start, one line
// on stderr says so and these figures are skipped. Figures:
// - pg_roster_import: `juwei import residents FILE --db postgresql://…` (a child process: decode,
//   parse, validate and insert through the store) of the N-row roster import_bench.cpp imports
//   into SQLite (`juwei gen`, N = 1,000,000 or JUWEI_BENCH_ROWS), into a fresh database `juwei
//   init` made; residents/s. Against pg_raw_copy: the same rows, generated in memory beforehand
//   with the pinyin Juwei stores beside each name, sent with libpq COPY … FROM STDIN (text
//   format) into the buildings, households and residents tables of another database made the
//   same way, numbered as they go, in one transaction, COMMIT included (the community row is
//   `juwei init`'s). Target >= 50%.
//   pg_roster_import_vs_sqlite is the same figure against sqlite_roster_import: the same command
//   on the same file into a fresh SQLite file, in the same run.
// - pg_search_rps and pg_gate_check_rps: the loads of http_bench.cpp and gate_bench.cpp
//   (serve_setup.hpp: wrk, 64 connections, 10 s each) against `juwei serve --db postgresql://…`
//   on the demo community. Against the same loads on SQLite (http_search_by_room,
//   gate_check_rps: run BM_http_wrk and BM_gate_check_wrk in the same run), and, as
//   *_vs_healthz, against GET /healthz on the same PostgreSQL-backed server.
// - pg_import_results: `import_results` (decode, parse, validate, add through the store) of a
//   lab's N-row results file (N = 1,000,000 or JUWEI_BENCH_RESULT_ROWS) for as many pooled tubes
//   of one round, against pg_raw_copy_results: the same rows, parsed and in memory, sent with
//   COPY into tube_results of another database prepared the same way, COMMIT included. Target
//   >= 50%. From it, pg_city_day_results_minutes: a city's screening day (2.4 M tubes, one
//   result each; the 25.7 M swabs are scanned during the day, not in the lab's files) at that
//   rate. pg_import_results_vs_sqlite: against screening_bench.cpp's import_results, when it
//   ran in the same run.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "domain/pinyin.hpp"
#include "report.hpp"
#include "serve_setup.hpp"
#include "service/clock.hpp"
#include "service/lab_results.hpp"
#include "service/open_store.hpp"
#include "service/synth.hpp"
#include "support/juwei_process.hpp"
#include "support/pg_test_database.hpp"
#include "wrk.hpp"

namespace juwei::bench {
namespace {

namespace fs = std::filesystem;

// ---- The benchmark's PostgreSQL ----------------------------------------------------------

// `pg-test-server start|stop DIR`: what it printed; throws when it fails.
std::string pg_test_server(std::string_view command) {
  return shell(fmt::format("{} {} {} 2>&1", testing::quote(JUWEI_PG_TEST_SERVER), command,
                           testing::quote(JUWEI_BENCH_PG_DIR)));
}

// Started first, a process in a session of its own (out of reach of the terminal's ^C) that runs
// `pg-test-server stop DIR` once this program is gone, however it went (an uncaught exception's
// abort, a signal, SIGKILL): it reads a pipe whose only writer is this program, kept open until
// the end and closed in every child at exec, until the end of file. On a normal end, ~Server
// stops the server itself, then the guard is ended unused.
class Guard {
 public:
  Guard() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    m_pid = fork();
    if (m_pid == 0) {
      setsid();
      dup2(fds[0], 0);  // the copy does not close at exec
      const int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl("/bin/sh", "sh", "-c", "cat; exec \"$0\" stop \"$1\"", JUWEI_PG_TEST_SERVER,
            JUWEI_BENCH_PG_DIR, nullptr);
      _exit(127);
    }
    close(fds[0]);
    m_pipe = fds[1];
  }
  ~Guard() {
    if (m_pid > 0) {
      kill(-m_pid, SIGKILL);  // its session's group: the shell and its cat
      waitpid(m_pid, nullptr, 0);
    }
    if (m_pipe >= 0) close(m_pipe);
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  pid_t m_pid = -1;
  int m_pipe = -1;
};

class Server {
 public:
  Server() {
    try {
      const std::string out = pg_test_server("start");
      // The script's last line is the URL; lines before it say what it did (a new cluster).
      std::string line = out.substr(0, out.find_last_not_of('\n') + 1);
      line = line.substr(line.rfind('\n') + 1);
      if (!line.starts_with("postgresql://")) throw std::runtime_error(out);
      m_url = line;
      fmt::print(stderr, "postgres_bench: PostgreSQL at {} (data in {})\n", *m_url,
                 JUWEI_BENCH_PG_DIR);
    } catch (const std::exception& e) {
      fmt::print(stderr,
                 "postgres_bench: no PostgreSQL ({} start {} failed), PostgreSQL figures "
                 "skipped: {}\n",
                 JUWEI_PG_TEST_SERVER, JUWEI_BENCH_PG_DIR, e.what());
    }
  }
  ~Server() {
    try {
      pg_test_server("stop");  // also after a failed start: whatever part of it did start
    } catch (const std::exception& e) {
      if (m_url) fmt::print(stderr, "postgres_bench: {}\n", e.what());  // else said at the start
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const std::optional<std::string>& url() const { return m_url; }

 private:
  Guard m_guard;  // before the start: a start cut short still ends in a stop
  std::optional<std::string> m_url;
};

// The server's maintenance URL, starting it on the first call; nullopt when it cannot start.
const std::optional<std::string>& server_url() {
  static const Server server;
  return server.url();
}

// A database `name` on the server, empty and new (collation C, as Juwei needs); its URL.
std::string fresh_database(const std::string& server, const std::string& name) {
  testing::pg_drop_database(server, name);
  return testing::pg_create_database(server, name);
}

// The working folder, for a scope: a PostgreSQL URL's data folder (pass signing keys) is
// ./juwei-data/DBNAME, for this process and the juwei processes it starts alike.
class WorkingIn {
 public:
  explicit WorkingIn(const fs::path& dir) : m_before(fs::current_path()) { fs::current_path(dir); }
  ~WorkingIn() {
    std::error_code ignored;
    fs::current_path(m_before, ignored);
  }
  WorkingIn(const WorkingIn&) = delete;
  WorkingIn& operator=(const WorkingIn&) = delete;

 private:
  fs::path m_before;
};

// Runs `measure(server URL)` in the scratch folder `folder` (also the working folder) on the
// benchmark's PostgreSQL: its figures, or nullopt when there is no server or it failed, the
// benchmark then skipped with why.
template <typename Measure>
auto on_postgres(benchmark::State& state, std::string_view folder, Measure measure)
    -> std::optional<typename std::invoke_result_t<Measure, const std::string&>::value_type> {
  const auto& server = server_url();
  if (!server) {
    state.SkipWithError("no PostgreSQL: see the line above");
    return std::nullopt;
  }
  const fs::path dir = scratch_dir() / folder;
  fs::create_directories(dir);
  std::invoke_result_t<Measure, const std::string&> result;
  try {
    const WorkingIn here(dir);
    result = measure(*server);
  } catch (const std::exception& e) {
    result = std::unexpected(e.what());
  }
  if (!result) {
    state.SkipWithError(result.error().c_str());
    return std::nullopt;
  }
  return std::move(*result);
}

// ---- Raw libpq, for the floor ----------------------------------------------------------------

class Connection {
 public:
  explicit Connection(const std::string& url) : m_conn(PQconnectdb(url.c_str())) {
    if (PQstatus(m_conn) != CONNECTION_OK) {
      const std::string why = PQerrorMessage(m_conn);
      PQfinish(m_conn);
      throw std::runtime_error("cannot connect to " + url + ": " + why);
    }
  }
  ~Connection() { PQfinish(m_conn); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql`; the first column of its first row ("" when it returns none).
  std::string exec(const std::string& sql, ExecStatusType expected = PGRES_COMMAND_OK) const {
    PGresult* r = PQexec(m_conn, sql.c_str());
    const bool ok = PQresultStatus(r) == expected;
    const std::string value = ok && PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    if (!ok) fail(sql);
    return value;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(fmt::format("{}: {}", what, PQerrorMessage(m_conn)));
  }
  PGconn* get() const { return m_conn; }

 private:
  PGconn* m_conn;
};

// One COPY … FROM STDIN in text format: fields tab-separated and escaped, sent in 1 MiB pieces.
class Copy {
 public:
  Copy(const Connection& conn, const std::string& sql) : m_conn(conn) {
    conn.exec(sql, PGRES_COPY_IN);
    m_buffer.reserve(kPiece + 4096);
  }

  Copy& field(std::string_view text) {
    separate();
    for (char c : text) {
      // The text format's escapes: a backslash, and the bytes that end a field or a row.
      const char* escaped = c == '\\'   ? "\\\\"
                            : c == '\t' ? "\\t"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                                        : nullptr;
      if (escaped != nullptr) {
        m_buffer += escaped;
      } else {
        m_buffer += c;
      }
    }
    return *this;
  }
  Copy& field(std::int64_t value) {
    separate();
    fmt::format_to(std::back_inserter(m_buffer), "{}", value);
    return *this;
  }
  void end_row() {
    m_buffer += '\n';
    m_row_started = false;
    if (m_buffer.size() >= kPiece) send();
  }
  // Sends the rest and ends the COPY; throws with the server's message when it refused a row.
  void finish() {
    send();
    if (PQputCopyEnd(m_conn.get(), nullptr) != 1) m_conn.fail("end of COPY");
    PGresult* r = PQgetResult(m_conn.get());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    while ((r = PQgetResult(m_conn.get())) != nullptr)
      PQclear(r);
    if (!ok) m_conn.fail("COPY");
  }

 private:
  static constexpr std::size_t kPiece = 1 << 20;

  void separate() {
    if (m_row_started) m_buffer += '\t';
    m_row_started = true;
  }
  void send() {
    if (PQputCopyData(m_conn.get(), m_buffer.data(), static_cast<int>(m_buffer.size())) != 1) {
      m_conn.fail("COPY data");
    }
    m_buffer.clear();
  }

  const Connection& m_conn;
  std::string m_buffer;
  bool m_row_started = false;
};

// ---- Roster import ---------------------------------------------------------------------------

int roster_rows() {
  const char* env = std::getenv("JUWEI_BENCH_ROWS");
  return env != nullptr ? std::atoi(env) : 1'000'000;
}

// import_bench.cpp's roster of `rows` residents.
service::SynthOptions roster_options(int rows) {
  return {.seed = 2022,
          .households = std::max(1, rows * 2 / 5),
          .residents = rows,
          .volunteers = rows / 25};
}

// The roster as a CSV file in the scratch folder, written by `juwei gen` unless import_bench.cpp
// wrote the same file earlier in this run.
fs::path roster_file(int rows) {
  const fs::path file = scratch_dir() / fmt::format("residents-{}.csv", rows);
  if (fs::exists(file)) return file;
  const service::SynthOptions o = roster_options(rows);
  shell(
      fmt::format("{} gen --seed {} --households {} --residents {} --volunteers {} --csv '{}' "
                  "> /dev/null",
                  JUWEI_BIN, o.seed, o.households, o.residents, o.volunteers, file.string()));
  return file;
}

// The roster's rows as the importer stores them, pinyin included, before any clock starts.
struct Roster {
  std::vector<domain::ValidResident> rows;
  std::vector<domain::NamePinyin> pinyin;
};

Roster roster_in_memory(int rows) {
  Roster roster;
  roster.rows.reserve(static_cast<std::size_t>(rows));
  roster.pinyin.reserve(static_cast<std::size_t>(rows));
  service::CommunityGenerator generator(roster_options(rows));
  while (auto row = generator.next()) {
    roster.pinyin.push_back(domain::name_pinyin(row->resident.name));
    roster.rows.push_back(std::move(*row));
  }
  return roster;
}

// The floor: COPY of the roster into `url` (a database `juwei init` made), in one transaction;
// seconds, COMMIT included.
double raw_copy_seconds(const std::string& url, const Roster& roster) {
  const Connection conn(url);
  const std::int64_t community =
      std::stoll(conn.exec("SELECT min(community_id) FROM communities", PGRES_TUPLES_OK));
  const auto start = std::chrono::steady_clock::now();
  conn.exec("BEGIN");
  // Buildings and households first (the residents refer to them), numbered as they come.
  std::vector<std::int64_t> household_of;
  household_of.reserve(roster.rows.size());
  {
    std::map<std::string, std::int64_t> buildings;
    Copy copy(conn, "COPY buildings (community_id, building_id, name) FROM STDIN");
    for (const domain::ValidResident& row : roster.rows) {
      auto [it, fresh] = buildings.try_emplace(row.building, buildings.size() + 1);
      if (fresh) copy.field(community).field(it->second).field(row.building).end_row();
    }
    copy.finish();
    Copy households(conn,
                    "COPY households (community_id, household_id, building_id, room) FROM STDIN");
    std::string last_place;
    std::int64_t household = 0;
    for (const domain::ValidResident& row : roster.rows) {
      if (row.building + row.room != last_place) {
        last_place = row.building + row.room;
        households.field(community).field(++household).field(buildings.at(row.building));
        households.field(row.room).end_row();
      }
      household_of.push_back(household);
    }
    households.finish();
  }
  Copy residents(conn,
                 "COPY residents (community_id, resident_id, household_id, name, gender, "
                 "birth_date, id_number, phone, relation, vulnerabilities, volunteer, notes, "
                 "created_at, updated_at, name_pinyin, name_initials) FROM STDIN");
  for (std::size_t i = 0; i < roster.rows.size(); ++i) {
    const domain::Resident& r = roster.rows[i].resident;
    residents.field(community).field(static_cast<std::int64_t>(i + 1)).field(household_of[i]);
    residents.field(r.name)
        .field(domain::to_code(r.gender))
        .field(domain::format_date(r.birth_date));
    residents.field(r.id_number).field(r.phone).field(domain::to_code(r.relation));
    residents.field(std::int64_t{r.vulnerabilities.bits()})
        .field(std::int64_t{r.volunteer ? 1 : 0});
    residents.field(r.notes).field("2022-04-04T02:00:00Z").field("2022-04-04T02:00:00Z");
    residents.field(roster.pinyin[i].full).field(roster.pinyin[i].initials).end_row();
  }
  residents.finish();
  conn.exec("COMMIT");
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return took.count();
}

// `juwei init --db DB`: the schema and the community an import goes into.
std::expected<void, std::string> juwei_init(const std::string& db) {
  const testing::Output init = testing::run_shell(
      std::string(JUWEI_BIN) + " init --db " + testing::quote(db), fs::current_path());
  if (init.code != 0) return std::unexpected("juwei init: " + init.err);
  return {};
}

// `juwei import residents FILE --db DB` into a database `juwei init` has just made; seconds of
// the import's process, or what it printed when it did not add every row.
std::expected<double, std::string> cli_import_seconds(const std::string& db, const fs::path& file,
                                                      int rows) {
  if (auto init = juwei_init(db); !init) return std::unexpected(init.error());
  const auto start = std::chrono::steady_clock::now();
  const testing::Output imported =
      testing::run_shell(fmt::format("{} import residents {} --db {}", JUWEI_BIN,
                                     testing::quote(file.string()), testing::quote(db)),
                         fs::current_path());
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (imported.code != 0 ||
      imported.out.find(fmt::format(": {} rows: {} added,", rows, rows)) == std::string::npos) {
    // Its progress line ends in \r at every step: what came after the last one is what it said.
    return std::unexpected("juwei import residents: " + imported.out +
                           imported.err.substr(imported.err.rfind('\r') + 1));
  }
  return took.count();
}

// The three imports of one roster; each in seconds.
struct ImportTimes {
  double raw_copy = 0;
  double pg = 0;
  double sqlite = 0;
};

std::expected<ImportTimes, std::string> time_imports(const std::string& server, int rows) {
  const fs::path csv = roster_file(rows);
  ImportTimes t;
  {
    const Roster roster = roster_in_memory(rows);
    const std::string raw = fresh_database(server, "juwei_bench_raw_copy");
    if (auto init = juwei_init(raw); !init) return std::unexpected(init.error());
    t.raw_copy = raw_copy_seconds(raw, roster);
  }
  auto pg = cli_import_seconds(fresh_database(server, "juwei_bench_import"), csv, rows);
  if (!pg) return std::unexpected(pg.error());
  auto sqlite =
      cli_import_seconds("sqlite:" + (fs::current_path() / "import.db").string(), csv, rows);
  if (!sqlite) return std::unexpected(sqlite.error());
  t.pg = *pg;
  t.sqlite = *sqlite;
  return t;
}

void BM_pg_roster_import(benchmark::State& state) {
  for (auto _ : state) {
    const int rows = roster_rows();
    const auto t = on_postgres(state, "pg-import", [rows](const std::string& server) {
      return time_imports(server, rows);
    });
    if (!t) return;
    state.SetIterationTime(t->pg);
    state.counters["rows"] = rows;
    state.counters["pg_rows_per_s"] = rows / t->pg;
    state.counters["raw_copy_rows_per_s"] = rows / t->raw_copy;
    state.counters["sqlite_rows_per_s"] = rows / t->sqlite;
    record("pg_raw_copy", rows / t->raw_copy, "rows/s");
    record("pg_roster_import", rows / t->pg, "rows/s", "pg_raw_copy");
    record("sqlite_roster_import", rows / t->sqlite, "rows/s");
    record("pg_roster_import_vs_sqlite", rows / t->pg, "rows/s", "sqlite_roster_import");
  }
}

// ---- Lab result ingestion --------------------------------------------------------------------

int result_rows() {
  const char* env = std::getenv("JUWEI_BENCH_RESULT_ROWS");
  return env != nullptr ? std::atoi(env) : 1'000'000;
}

constexpr std::string_view kTubesMade = "2022-04-04T00:00:00Z";
constexpr std::string_view kResultsLab = "Lab A";
// The results come in on the 5th; the clock reads the 6th.
constexpr service::TimePoint kResultsNow =
    std::chrono::sys_days{std::chrono::year{2022} / 4 / 6};

std::string results_tube(int i) {
  return fmt::format("T{:07d}", i);
}

// Row i's report time: as the lab writes it (Shanghai time) and as Juwei stores it (UTC).
std::string lab_report_time(int i) {
  const int minute = i % 720;
  return fmt::format("2022-04-05 {:02d}:{:02d}", 8 + minute / 60, minute % 60);
}
std::string stored_report_time(int i) {
  const int minute = i % 720;
  return fmt::format("2022-04-05T{:02d}:{:02d}:00Z", minute / 60, minute % 60);
}

// A fresh database `name` as a lab's file meets it: `juwei init`'s community, one round, and
// `rows` pooled tubes (sent with COPY). Its URL and the community's id.
std::pair<std::string, std::int64_t> results_database(const std::string& server,
                                                      const std::string& name, int rows) {
  const std::string url = fresh_database(server, name);
  if (auto init = juwei_init(url); !init) throw std::runtime_error(init.error());
  std::int64_t community = 0;
  std::int64_t round = 0;
  {
    auto store = service::open_store(url);
    if (!store) throw std::runtime_error(store.error().message);
    auto tx = (*store)->begin(store::TxMode::write);
    if (!tx) throw std::runtime_error(tx.error().message);
    community = (*tx)->list_communities().value().at(0).id;
    round = (*tx)
                ->insert_round(store::ScreeningRound{
                    community, 0, "2022-04-04", {}, std::string(kTubesMade), 0})
                .value();
    if (!(*tx)->commit()) throw std::runtime_error("commit the round");
  }
  const Connection conn(url);
  conn.exec("BEGIN");
  {
    Copy tubes(conn, "COPY tubes (community_id, tube_code, round_id, kind, created_at) FROM STDIN");
    for (int i = 1; i <= rows; ++i) {
      tubes.field(community).field(results_tube(i)).field(round).field("pooled");
      tubes.field(kTubesMade).end_row();
    }
    tubes.finish();
  }
  conn.exec("COMMIT");
  conn.exec("ANALYZE");
  return {url, community};
}

// The lab's file for those tubes, all negative; written once per size.
fs::path lab_results_file(int rows) {
  const fs::path file = scratch_dir() / fmt::format("pg-results-{}.csv", rows);
  if (fs::exists(file)) return file;
  std::ofstream out(file, std::ios::binary);
  out << "tube_code,result,reported_at,lab\n";
  for (int i = 1; i <= rows; ++i)
    out << fmt::format("{},negative,{},{}\n", results_tube(i), lab_report_time(i), kResultsLab);
  return file;
}

struct ResultTimes {
  double raw_copy = 0;
  double juwei = 0;
};

std::expected<ResultTimes, std::string> time_results(const std::string& server, int rows) {
  ResultTimes t;
  {
    // The floor's rows, parsed and in memory before the clock starts.
    std::vector<std::pair<std::string, std::string>> data;
    data.reserve(static_cast<std::size_t>(rows));
    for (int i = 1; i <= rows; ++i)
      data.emplace_back(results_tube(i), stored_report_time(i));
    const std::string received = service::iso_utc(kResultsNow);
    const auto [url, community] = results_database(server, "juwei_bench_raw_results", rows);
    const Connection conn(url);
    const auto start = std::chrono::steady_clock::now();
    conn.exec("BEGIN");
    Copy copy(conn,
              "COPY tube_results (community_id, tube_code, result, reported_at, lab, "
              "received_at) FROM STDIN");
    for (const auto& [code, reported] : data) {
      copy.field(community).field(code).field("negative").field(reported);
      copy.field(kResultsLab).field(received).end_row();
    }
    copy.finish();
    conn.exec("COMMIT");
    t.raw_copy = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const fs::path csv = lab_results_file(rows);
  const auto [url, community] = results_database(server, "juwei_bench_import_results", rows);
  auto store = service::open_store(url);
  if (!store) return std::unexpected(store.error().message);
  const auto start = std::chrono::steady_clock::now();
  const auto report = service::import_results(**store, service::fixed_clock(kResultsNow),
                                              community, service::file_source(csv), {});
  t.juwei = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report) return std::unexpected(report.error().message);
  if (!report->committed || report->added != rows) {
    return std::unexpected(fmt::format("import_results added {} of {} rows", report->added, rows));
  }
  return t;
}

void BM_pg_import_results(benchmark::State& state) {
  for (auto _ : state) {
    const int rows = result_rows();
    const auto t = on_postgres(state, "pg-results", [rows](const std::string& server) {
      return time_results(server, rows);
    });
    if (!t) return;
    state.SetIterationTime(t->juwei);
    const double rate = rows / t->juwei;
    state.counters["rows"] = rows;
    state.counters["pg_rows_per_s"] = rate;
    state.counters["raw_copy_rows_per_s"] = rows / t->raw_copy;
    record("pg_raw_copy_results", rows / t->raw_copy, "rows/s");
    record("pg_import_results", rate, "rows/s", "pg_raw_copy_results");
    record("pg_import_results_vs_sqlite", rate, "rows/s", "import_results");
    record("pg_city_day_results_minutes", 2'400'000 / rate / 60, "min");
  }
}

// ---- The HTTP loads --------------------------------------------------------------------------

struct ServeLoads {
  WrkResult health;
  WrkResult search;
  WrkResult gate;
};

// The demo community in a fresh database, `juwei serve` on it, and the three loads: /healthz,
// then the search on the demo as seeded, then the gate's writes.
std::expected<ServeLoads, std::string> run_serve_loads(const std::string& server) {
  const fs::path dir = fs::current_path();
  const std::string db = fresh_database(server, "juwei_bench_serve");
  seed_demo(db, dir, {kDeskAccount, kGateAccount});
  const std::vector<std::string> tokens = issue_passes(db);

  testing::ServerProcess juwei(JUWEI_BIN, db, {}, /*quiet=*/true);
  const std::string& base = juwei.base_url();
  const auto desk = login(base, kDeskAccount);
  if (!desk) return std::unexpected(desk.error());
  const auto script = gate_check_script(base, dir, tokens);
  if (!script) return std::unexpected(script.error());
  ServeLoads loads;
  loads.health = wrk(base + "/healthz", "");
  loads.search = wrk(base + std::string(kSearchPath), "Authorization: Bearer " + *desk);
  loads.gate = wrk(base + std::string(kGateCheckPath), "", script->string());
  if (loads.search.requests_per_s == 0 || loads.gate.requests_per_s == 0) {
    return std::unexpected("wrk gave no figures: " + loads.search.output + loads.gate.output);
  }
  return loads;
}

void BM_pg_serve_wrk(benchmark::State& state) {
  for (auto _ : state) {
    const auto loads = on_postgres(state, "pg-serve", run_serve_loads);
    if (!loads) return;
    const auto& [health, search, gate] = *loads;
    for (const WrkResult* r : {&search, &gate}) {
      if (r->non_2xx + r->errors > 0) fmt::print(stderr, "PostgreSQL wrk output:\n{}\n", r->output);
    }
    state.counters["healthz_rps"] = health.requests_per_s;
    state.counters["search_rps"] = search.requests_per_s;
    state.counters["gate_check_rps"] = gate.requests_per_s;
    record("pg_healthz_rps", health.requests_per_s, "req/s");
    record("pg_search_rps", search.requests_per_s, "req/s", "http_search_by_room");
    record("pg_search_rps_vs_healthz", search.requests_per_s, "req/s", "pg_healthz_rps");
    record("pg_search_p99_ms", search.p99_ms, "ms", "http_search_by_room_p99");
    record("pg_search_errors", static_cast<double>(search.non_2xx + search.errors), "responses");
    record("pg_gate_check_rps", gate.requests_per_s, "req/s", "gate_check_rps");
    record("pg_gate_check_rps_vs_healthz", gate.requests_per_s, "req/s", "pg_healthz_rps");
    record("pg_gate_check_p99_ms", gate.p99_ms, "ms", "gate_check_p99_ms");
    record("pg_gate_check_errors", static_cast<double>(gate.non_2xx + gate.errors), "responses");
  }
}

BENCHMARK(BM_pg_roster_import)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pg_import_results)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pg_serve_wrk)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace juwei::bench
