// The crash harness (issue 16, Hardening): `juwei serve` is killed with SIGKILL at a seeded
// moment while gate phones check passes and the desk imports lab results, then started again on
// the same file, round after round. After each kill, with the server down:
// - every acknowledged answer (its whole HTTP response received) is in the database as it was
//   answered: a gate check's register event, found by its device and check_id, with the event
//   id, decision, code and pass it was answered with; every row of an imported file;
// - nothing is half-written: a results import is one transaction, so of every file sent
//   (answered or still in flight) either each of its tubes has its result and the import is
//   logged and audited, or none is; every gate event has its audit record and every such record
//   its event; each pass has one exit per allowed exit in the register and one return per return
//   that closed one;
// - `juwei audit verify` passes;
// and the server starts again. A gate check in flight at the kill is sent again with its
// check_id: it must be answered from the register (Idempotent-Replayed) exactly when it landed.
//
// Seeded: JUWEI_CRASH_SEED (default kDefaultSeed) fixes the kill delays and every client's
// choices; how the threads interleave is the machine's.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/juwei_process.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kDefaultSeed = 20220405;
constexpr int kRounds = 8;             // kills; the server then starts once more
constexpr int kGateThreads = 6;        // gate phones, each its own device
constexpr int kImportThreads = 2;      // desks importing lab files
constexpr int kPassesPerRound = 12;    // fresh emergency passes, so each round lets people out
constexpr int kTubes = 3500;           // swabbed before the first round, reported by the files
constexpr int kRowsPerImport = 10;     // tubes per lab file
constexpr int kMinKillMs = 300;        // the stream runs this long at least before the kill,
constexpr int kMaxKillMs = 1500;       // and at most this long
constexpr int kMinImportPauseMs = 20;  // a desk's pause between files, so the tubes last
constexpr int kMaxImportPauseMs = 60;

std::uint64_t crash_seed() {
  if (const char* s = std::getenv("JUWEI_CRASH_SEED"); s != nullptr && *s != '\0') {
    return std::strtoull(s, nullptr, 10);
  }
  return kDefaultSeed;
}

// A generator for one client of one round, derived from the run's seed.
std::mt19937_64 generator(std::uint64_t seed, int round, int client) {
  std::seed_seq seq{seed, static_cast<std::uint64_t>(round), static_cast<std::uint64_t>(client)};
  return std::mt19937_64(seq);
}

int uniform(std::mt19937_64& rng, int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(rng);
}

struct Answer {
  bool received = false;  // the whole response came back: the request is acknowledged
  int status = 0;
  bool replayed = false;  // Idempotent-Replayed: answered from the register
  std::string body;
};

// One keep-alive HTTP/1.1 connection to the server, opened again when lost. Never throws: a
// request whose response does not come back whole (refused, reset, cut short) is !received.
class Client {
 public:
  Client(unsigned short port, std::string bearer) : m_port(port), m_bearer(std::move(bearer)) {}

  Answer post(const std::string& target, std::string body,
              const char* content_type = "application/json") {
    Answer a;
    beast::error_code ec;
    if (!m_stream) {
      m_stream.emplace(m_ioc);
      m_stream->expires_after(10s);
      m_stream->connect({net::ip::make_address("127.0.0.1"), m_port}, ec);
      if (ec) return lost();
    }
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::content_type, content_type);
    if (!m_bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + m_bearer);
    req.body() = std::move(body);
    req.prepare_payload();
    m_stream->expires_after(10s);
    bhttp::write(*m_stream, req, ec);
    bhttp::response<bhttp::string_body> res;
    if (!ec) bhttp::read(*m_stream, m_buffer, res, ec);
    if (ec) return lost();
    a.received = true;
    a.status = static_cast<int>(res.result_int());
    a.replayed = res.count("Idempotent-Replayed") > 0;
    a.body = std::move(res.body());
    if (!res.keep_alive()) m_stream.reset();
    return a;
  }

 private:
  Answer lost() {
    m_stream.reset();
    m_buffer.clear();
    return {};
  }

  net::io_context m_ioc;
  std::optional<beast::tcp_stream> m_stream;
  beast::flat_buffer m_buffer;
  unsigned short m_port;
  std::string m_bearer;
};

unsigned short port_of(const std::string& base_url) {
  return static_cast<unsigned short>(std::stoi(base_url.substr(base_url.rfind(':') + 1)));
}

// The database file itself, read while the server is down.
class Db {
 public:
  explicit Db(const fs::path& file) {
    if (sqlite3_open_v2(file.c_str(), &m_db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      sqlite3_close(m_db);
      throw std::runtime_error("cannot open " + file.string());
    }
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { sqlite3_close(m_db); }

  // The rows of `sql` with ?1, ?2, ... bound to `args`, every column as text ("" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql,
                                             const std::vector<std::string>& args = {}) const {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(m_db));
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), args[i].c_str(), -1, SQLITE_TRANSIENT);
    }
    std::vector<std::vector<std::string>> out;
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      auto& row = out.emplace_back();
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        row.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
      }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(m_db));
    return out;
  }

  std::int64_t count(const std::string& sql) const { return std::stoll(rows(sql).at(0).at(0)); }

 private:
  sqlite3* m_db = nullptr;
};

// One gate check as sent, and what came of it.
struct GateCheck {
  std::string device;
  std::string check_id;
  std::string token;
  std::string direction;
  Clock::time_point sent;
  bool acked = false;   // answered: decision, code, event_id and pass_id are the answer's
  bool landed = false;  // unanswered, and found in the register after the kill
  std::string decision;
  std::string code;
  std::string event_id;
  std::string pass_id;  // "0": none, as the register keeps it

  std::string body() const {
    return json::serialize(json::object{
        {"token", token}, {"direction", direction}, {"check_id", check_id}, {"device", device}});
  }
  // Takes the answer `a` when it is one; a refused or failed check fails the test.
  void take(const Answer& a) {
    if (!a.received) return;
    if (a.status != 200) {
      ADD_FAILURE() << "gate check " << device << "/" << check_id << ": " << a.status << " "
                    << a.body;
      return;
    }
    const json::value v = json::parse(a.body);
    acked = true;
    decision = v.at("decision").as_string();
    code = v.at("code").as_string();
    event_id = v.at("event_id").as_string();
    pass_id = v.at("pass_id").is_null() ? "0" : std::string(v.at("pass_id").as_string());
  }
};

// One lab file: tubes [first, first + kRowsPerImport) of the swabbed ones.
struct ImportFile {
  std::string name;
  int first = 0;
  Clock::time_point sent;
  bool acked = false;
  bool landed = false;  // unanswered, and found whole after the kill
};

std::string tube_code(int i) {
  char code[16];
  std::snprintf(code, sizeof code, "CT%05d", i);
  return code;
}

// What the clients of one round share: where the server is and the tokens to check.
struct Stream {
  unsigned short port = 0;
  std::string gate_token;
  std::string staff_token;
  const std::vector<std::string>* fresh = nullptr;  // this round's passes
  const std::vector<std::string>* older = nullptr;  // the passes of the rounds before
  std::atomic<int>* next_tube = nullptr;
  std::uint64_t seed = 0;
  int round = 0;
};

// A gate phone: checks until the server is gone, mostly this round's passes, out or in at
// random; the check in flight at the kill is the last one it returns.
std::vector<GateCheck> gate_phone(const Stream& s, int phone) {
  auto rng = generator(s.seed, s.round, phone);
  Client client(s.port, s.gate_token);
  std::vector<GateCheck> sent;
  for (int n = 0;; ++n) {
    const bool fresh = s.older->empty() || uniform(rng, 0, 9) < 7;
    const std::vector<std::string>& passes = fresh ? *s.fresh : *s.older;
    GateCheck& c = sent.emplace_back();
    c.device = "crash-gate-" + std::to_string(phone);
    c.check_id = "r" + std::to_string(s.round) + "-" + std::to_string(n);
    c.token =
        passes[static_cast<std::size_t>(uniform(rng, 0, static_cast<int>(passes.size()) - 1))];
    c.direction = uniform(rng, 0, 1) == 0 ? "out" : "in";
    c.sent = Clock::now();
    c.take(client.post("/api/v1/gate/check", c.body()));
    if (!c.acked) return sent;
  }
}

// A desk importing lab files, each of fresh tubes, until the server is gone or the tubes run
// out.
std::vector<ImportFile> lab_desk(const Stream& s, int desk) {
  auto rng = generator(s.seed, s.round, kGateThreads + desk);
  Client client(s.port, s.staff_token);
  std::vector<ImportFile> sent;
  for (int n = 0;; ++n) {
    const int first = s.next_tube->fetch_add(kRowsPerImport);
    if (first + kRowsPerImport > kTubes) return sent;
    ImportFile& f = sent.emplace_back();
    f.name = "lab-r" + std::to_string(s.round) + "-d" + std::to_string(desk) + "-" +
             std::to_string(n) + ".csv";
    f.first = first;
    std::string csv = "tube_code,result,reported_at,lab\n";
    const std::string now = juwei::testing::iso_now();
    for (int i = first; i < first + kRowsPerImport; ++i) {
      csv += tube_code(i) + (uniform(rng, 0, 7) == 0 ? ",阳性," : ",阴性,") + now + ",华大\n";
    }
    f.sent = Clock::now();
    const Answer a = client.post("/api/v1/results/import?filename=" + f.name, csv, "text/csv");
    if (!a.received) return sent;
    if (a.status != 200 || json::parse(a.body).at("added").as_int64() != kRowsPerImport) {
      ADD_FAILURE() << "import " << f.name << ": " << a.status << " " << a.body;
      return sent;
    }
    f.acked = true;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(uniform(rng, kMinImportPauseMs, kMaxImportPauseMs)));
  }
}

// "N answered, M in flight at the kill (K had landed)": requests sent after the kill never
// reached the server and are not counted in flight.
template <typename Request>
std::string tally(const std::vector<Request>& sent, std::size_t from, Clock::time_point killed) {
  int answered = 0, in_flight = 0, landed = 0;
  for (std::size_t i = from; i < sent.size(); ++i) {
    answered += sent[i].acked ? 1 : 0;
    in_flight += !sent[i].acked && sent[i].sent < killed ? 1 : 0;
    landed += sent[i].landed ? 1 : 0;
  }
  return std::to_string(answered) + " answered, " + std::to_string(in_flight) +
         " in flight at the kill (" + std::to_string(landed) + " had landed)";
}

class CrashHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = juwei::testing::scratch_dir("juwei-crash-");
    m_file = m_dir / "juwei.db";
    m_db = "sqlite:" + m_file.string();
  }
  void TearDown() override { fs::remove_all(m_dir); }

  // `juwei ARGS --db ...`; what it printed. Fails the test when it fails.
  std::string juwei(const std::string& args) {
    const auto o = juwei::testing::run_shell(
        std::string(JUWEI_BIN) + " " + args + " --db " + juwei::testing::quote(m_db), m_dir);
    EXPECT_EQ(o.code, 0) << args << "\n" << o.out << o.err;
    return o.out;
  }

  // A community of 3,700 residents, a gate and a staff account, a screening round for today
  // (UTC) and kPassesPerRound emergency passes for each round, all from the command line.
  void set_up_community() {
    juwei("init --community 春晖居民区");
    const fs::path roster = m_dir / "roster.csv";
    const auto gen = juwei::testing::run_shell(
        std::string(JUWEI_BIN) +
            " gen --households 1400 --residents 3700 --volunteers 2 --seed 16 --csv " +
            roster.string(),
        m_dir);
    ASSERT_EQ(gen.code, 0) << gen.err;
    juwei("import residents " + roster.string());
    for (const char* user : {"gate1:gate", "staff1:staff"}) {
      const std::string name = std::string(user).substr(0, std::string(user).find(':'));
      std::ofstream(m_dir / "pw") << "password-" << name << "\n";
      juwei("user add " + name + " --role " + std::string(user).substr(name.size() + 1) +
            " --password-stdin < " + (m_dir / "pw").string());
    }
    std::smatch m;
    const std::string round =
        juwei("rounds create --day " + juwei::testing::iso_now().substr(0, 10));
    ASSERT_TRUE(std::regex_search(round, m, std::regex("round ([0-9]+)"))) << round;
    m_round = m[1];
    for (const auto& row : Db(m_file).rows("SELECT resident_id FROM residents ORDER BY 1")) {
      m_residents.push_back(row[0]);
    }
    ASSERT_GE(m_residents.size(), std::size_t{kRounds * kPassesPerRound + kTubes});
    m_passes.resize(kRounds);
    for (int r = 0; r < kRounds; ++r) {
      for (int i = 0; i < kPassesPerRound; ++i) {
        const std::string out =
            juwei("passes emergency --resident " + m_residents[r * kPassesPerRound + i] +
                  " --reason medical_emergency --destination 瑞金医院 --note 胸痛");
        ASSERT_TRUE(std::regex_search(out, m, std::regex("token: (\\S+)"))) << out;
        m_passes[r].push_back(m[1]);
      }
    }
  }

  std::string login(unsigned short port, const std::string& name) {
    Client client(port, "");
    const Answer a = client.post(
        "/api/v1/session",
        json::serialize(json::object{{"username", name}, {"password", "password-" + name}}));
    EXPECT_TRUE(a.received && a.status == 201) << a.status << " " << a.body;
    return a.received && a.status == 201 ? std::string(json::parse(a.body).at("token").as_string())
                                         : "";
  }

  // Swabs kTubes residents (those without a pass), one tube each, over HTTP as volunteers do.
  void swab(unsigned short port, const std::string& token) {
    const std::size_t offset = kRounds * kPassesPerRound;
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        Client client(port, token);
        for (int i = next++; i < kTubes; i = next++) {
          const Answer a =
              client.post("/api/v1/rounds/" + m_round + "/samples",
                          json::serialize(json::object{{"tube_code", tube_code(i)},
                                                       {"resident_id", m_residents[offset + i]}}));
          EXPECT_TRUE(a.received && a.status == 201) << a.status << " " << a.body;
        }
      });
    }
    for (auto& t : threads)
      t.join();
  }

  // The gate checks in flight at the last kill, sent again with their check_id: answered from
  // the register exactly when they had landed, and as they had been.
  void resend(Client& gate) {
    for (GateCheck& c : m_checks) {
      if (c.acked) continue;
      GateCheck again = c;
      const Answer a = gate.post("/api/v1/gate/check", c.body());
      again.take(a);
      ASSERT_TRUE(again.acked) << c.device << "/" << c.check_id;
      EXPECT_EQ(a.replayed, c.landed) << c.device << "/" << c.check_id << ": " << a.body;
      if (c.landed) {
        EXPECT_EQ(std::tie(again.event_id, again.decision, again.code, again.pass_id),
                  std::tie(c.event_id, c.decision, c.code, c.pass_id))
            << c.device << "/" << c.check_id;
      }
      c = again;
    }
  }

  // With the server down: the audit chain holds, every acknowledged answer is in the file and
  // nothing is half-written. Marks what was in flight and landed.
  void check_database() {
    const auto verified = juwei::testing::run_shell(
        std::string(JUWEI_BIN) + " audit verify --db " + juwei::testing::quote(m_db), m_dir);
    EXPECT_EQ(verified.code, 0) << verified.out << verified.err;
    EXPECT_NE(verified.out.find("intact"), std::string::npos) << verified.out;

    // Each table is read once: the checks below are lookups in what was read.
    const Db db(m_file);
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> register_rows;
    for (auto& row : db.rows(
             "SELECT device, client_event_id, event_id, decision, code, pass_id FROM gate_events "
             "WHERE client_event_id <> ''")) {
      register_rows[{row[0], row[1]}] = {row.begin() + 2, row.end()};
    }
    for (GateCheck& c : m_checks) {
      const auto found = register_rows.find({c.device, c.check_id});
      if (c.acked) {
        ASSERT_NE(found, register_rows.end())
            << "acknowledged gate check lost: " << c.device << "/" << c.check_id << " ("
            << c.decision << " " << c.code << ", event " << c.event_id << ")";
        EXPECT_EQ(found->second,
                  (std::vector<std::string>{c.event_id, c.decision, c.code, c.pass_id}))
            << "gate check " << c.device << "/" << c.check_id << " is not as answered";
      } else if (found != register_rows.end()) {
        c.landed = true;
        c.event_id = found->second[0];
        c.decision = found->second[1];
        c.code = found->second[2];
        c.pass_id = found->second[3];
      }
    }
    // Each gate event and its audit record were written together.
    EXPECT_EQ(db.count("SELECT count(*) FROM (SELECT community_id, CAST(event_id AS TEXT), "
                       "'gate.' || direction FROM gate_events EXCEPT SELECT community_id, "
                       "entity_id, action FROM audit_log WHERE entity = 'gate_event')"),
              0)
        << "gate events without their audit record";
    EXPECT_EQ(db.count("SELECT count(*) FROM (SELECT community_id, entity_id, action FROM "
                       "audit_log WHERE action IN ('gate.in', 'gate.out') EXCEPT SELECT "
                       "community_id, CAST(event_id AS TEXT), 'gate.' || direction FROM "
                       "gate_events)"),
              0)
        << "audit records of gate checks that are not in the register";
    // A pass's exits and returns are the register's allowed exits and the returns that closed
    // them (rule gate.return_closes_exit).
    EXPECT_EQ(db.count("WITH register AS (SELECT community_id, pass_id, sum(direction = 'out' "
                       "AND decision = 'allow') AS exits, sum(code = 'gate.in') AS returns FROM "
                       "gate_events WHERE pass_id <> 0 GROUP BY 1, 2 HAVING exits + returns > 0), "
                       "exits AS (SELECT community_id, pass_id, count(*), sum(returned_at <> '') "
                       "FROM pass_exits GROUP BY 1, 2) "
                       "SELECT count(*) FROM (SELECT * FROM register EXCEPT SELECT * FROM exits "
                       "UNION ALL SELECT * FROM (SELECT * FROM exits EXCEPT SELECT * FROM "
                       "register))"),
              0)
        << "passes whose exits disagree with the register";

    std::set<std::string> reported;
    for (auto& row : db.rows("SELECT tube_code FROM tube_results"))
      reported.insert(row[0]);
    std::map<std::string, std::vector<std::string>> logged;  // source -> import ids
    for (auto& row : db.rows("SELECT source, import_id FROM imports WHERE kind = 'results'"))
      logged[row[0]].push_back(row[1]);
    std::set<std::string> audited;  // import ids
    for (auto& row : db.rows("SELECT entity_id FROM audit_log WHERE action = 'results.import'"))
      audited.insert(row[0]);
    for (ImportFile& f : m_imports) {
      int results = 0;
      for (int i = f.first; i < f.first + kRowsPerImport; ++i)
        results += reported.contains(tube_code(i)) ? 1 : 0;
      const std::vector<std::string>& imports = logged[f.name];
      EXPECT_TRUE(results == 0 || results == kRowsPerImport)
          << f.name << " is half-written: " << results << " of its " << kRowsPerImport << " rows";
      EXPECT_EQ(imports.size(), results == 0 ? 0u : 1u) << f.name << ": " << results << " rows";
      for (const std::string& id : imports)
        EXPECT_TRUE(audited.contains(id)) << f.name << ": import " << id << " is not audited";
      if (f.acked) {
        EXPECT_EQ(results, kRowsPerImport) << "acknowledged import lost: " << f.name;
      } else {
        f.landed = results == kRowsPerImport;
      }
    }
  }

  fs::path m_dir;
  fs::path m_file;
  std::string m_db;
  std::string m_round;
  std::vector<std::string> m_residents;
  std::vector<std::vector<std::string>> m_passes;  // per round
  std::vector<GateCheck> m_checks;                 // every round's
  std::vector<ImportFile> m_imports;               // every round's
};

TEST_F(CrashHarness, EveryAcknowledgedAnswerSurvivesKillNine) {
  const std::uint64_t seed = crash_seed();
  std::cout << "crash harness: seed " << seed << " (JUWEI_CRASH_SEED=" << seed
            << " replays its choices)" << std::endl;
  SCOPED_TRACE("JUWEI_CRASH_SEED=" + std::to_string(seed));
  ASSERT_NO_FATAL_FAILURE(set_up_community());

  auto rng = generator(seed, -1, -1);
  std::string gate_token;
  std::string staff_token;
  std::atomic<int> next_tube{0};
  std::vector<std::string> older;
  for (int round = 0; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // It starts again on the file the last one was killed over.
    juwei::testing::ServerProcess server(JUWEI_BIN, m_db, {}, /*quiet=*/true);
    const unsigned short port = port_of(server.base_url());
    if (round == 0) {
      gate_token = login(port, "gate1");
      staff_token = login(port, "staff1");
      ASSERT_FALSE(gate_token.empty() || staff_token.empty());
      ASSERT_NO_FATAL_FAILURE(swab(port, staff_token));
    }
    Client gate(port, gate_token);
    ASSERT_NO_FATAL_FAILURE(resend(gate));
    if (round == kRounds) {
      // The last start: stopped gracefully, and the file checked once more.
      server.terminate();
      const int status = server.wait();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
      check_database();
      break;
    }

    const Stream stream{.port = port,
                        .gate_token = gate_token,
                        .staff_token = staff_token,
                        .fresh = &m_passes[round],
                        .older = &older,
                        .next_tube = &next_tube,
                        .seed = seed,
                        .round = round};
    std::vector<std::vector<GateCheck>> checks(kGateThreads);
    std::vector<std::vector<ImportFile>> imports(kImportThreads);
    std::vector<std::thread> clients;
    for (int t = 0; t < kGateThreads; ++t) {
      clients.emplace_back([&, t] { checks[t] = gate_phone(stream, t); });
    }
    for (int t = 0; t < kImportThreads; ++t) {
      clients.emplace_back([&, t] { imports[t] = lab_desk(stream, t); });
    }
    const int delay = uniform(rng, kMinKillMs, kMaxKillMs);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    const Clock::time_point killed = Clock::now();
    EXPECT_EQ(kill(server.pid(), SIGKILL), 0);
    for (auto& c : clients)
      c.join();
    const int status = server.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

    const std::size_t checks_before = m_checks.size();
    const std::size_t imports_before = m_imports.size();
    for (auto& v : checks)
      m_checks.insert(m_checks.end(), v.begin(), v.end());
    for (auto& v : imports)
      m_imports.insert(m_imports.end(), v.begin(), v.end());
    ASSERT_NO_FATAL_FAILURE(check_database());

    std::cout << "round " << round << ": killed after " << delay << " ms; gate checks "
              << tally(m_checks, checks_before, killed) << "; lab files "
              << tally(m_imports, imports_before, killed) << std::endl;
    EXPECT_TRUE(std::any_of(m_checks.begin() + checks_before, m_checks.end(),
                            [](const GateCheck& c) { return c.acked; }))
        << "the gate phones got no answer before the kill";
    if (HasFailure()) return;  // the rounds after would report the same again
    older.insert(older.end(), m_passes[round].begin(), m_passes[round].end());
  }
}

}  // namespace
