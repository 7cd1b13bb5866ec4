// The gate's floor (issue 19): what a gate check cannot avoid costing on this machine, with no
// Juwei code, for BM_gate_check_wrk's gate_check_rps to be read against. Figures:
// - gate_floor_rps: checks per second by 64 client threads (wrk's 64 connections) for 10 s (or
//   JUWEI_BENCH_SECONDS), each check: libsodium's Ed25519 verify of a signed ~100-byte token
//   (256 tokens, rotating), then a gate event row and an audit row (its hash BLAKE2b of the
//   previous record's hash and its own text) by prepared INSERTs into tables shaped like
//   gate_events and audit_log, made durable by a real SQLite file in WAL mode with
//   synchronous=FULL. Commits are grouped, as the server's are: the first check to find no
//   commit under way writes and commits every queued check in one transaction (one fsync),
//   with no waiting window. No HTTP, no JSON, no sessions, no read of the pass, no policy: the
//   gap between this and gate_check_rps is what Juwei adds to the unavoidable.
// - gate_floor_p99_ms: the 99th percentile of one check's time, from its verify until its rows
//   are durable.
#include <benchmark/benchmark.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "raw_sqlite.hpp"
#include "report.hpp"
#include "service/open_store.hpp"

namespace juwei::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kClients = 64;  // BM_gate_check_wrk's wrk connections
constexpr std::size_t kTokens = 256;  // serve_setup.hpp's kGatePasses
constexpr std::size_t kClaimsBytes = 100;
constexpr std::int64_t kCommunity = 1;
constexpr std::int64_t kGateUser = 7;

int seconds_wanted() {
  if (const char* s = std::getenv("JUWEI_BENCH_SECONDS"); s != nullptr && *s != '\0') {
    const int v = std::atoi(s);
    if (v > 0) return v;
  }
  return 10;
}

// A pass token as the gate holds it once decoded: its claims and their Ed25519 signature.
struct SignedClaims {
  std::int64_t pass_id = 0;
  std::string claims;
  std::array<unsigned char, crypto_sign_BYTES> signature{};
};

struct Tokens {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> public_key{};
  std::vector<SignedClaims> signed_claims;
};

// kTokens tokens signed by a key pair made now, their claims padded to kClaimsBytes.
Tokens make_tokens() {
  Tokens t;
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret_key{};
  crypto_sign_keypair(t.public_key.data(), secret_key.data());
  for (std::size_t i = 0; i < kTokens; ++i) {
    SignedClaims s;
    s.pass_id = static_cast<std::int64_t>(i) + 1;
    s.claims = fmt::format("v1;key=1;community={};pass={};holder={};kind=emergency;from=2022-04-01",
                           kCommunity, s.pass_id, 1000 + s.pass_id);
    s.claims.resize(kClaimsBytes, ';');
    crypto_sign_detached(s.signature.data(), nullptr,
                         reinterpret_cast<const unsigned char*>(s.claims.data()), s.claims.size(),
                         secret_key.data());
    t.signed_claims.push_back(std::move(s));
  }
  sodium_memzero(secret_key.data(), secret_key.size());
  return t;
}

bool verifies(const SignedClaims& s, const Tokens& t) {
  return crypto_sign_verify_detached(s.signature.data(),
                                     reinterpret_cast<const unsigned char*>(s.claims.data()),
                                     s.claims.size(), t.public_key.data()) == 0;
}

// Now as the server writes times: "2022-04-04T02:00:00Z".
std::string iso_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

// BLAKE2b-256 of `prev_hash` followed by `text`, in hex: one link of the audit chain.
std::string chain_hash(const std::string& prev_hash, const std::string& text) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, crypto_generichash_BYTES);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(prev_hash.data()),
                            prev_hash.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(text.data()),
                            text.size());
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash_final(&state, digest, sizeof digest);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

void bind_text(sqlite3_stmt* s, int i, const std::string& text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// A new database file with Juwei's schema (the gate log's and the trail's tables with every
// index an insert keeps up), made by opening it once through the store; the loop itself then
// runs on a raw connection with the pragmas Juwei's writer uses.
fs::path made_by_store(const fs::path& file) {
  fs::remove(file);
  if (!service::open_store("sqlite:" + file.string())) {
    throw std::runtime_error("cannot create " + file.string());
  }
  return file;
}
struct GateLogDb : Db {
  explicit GateLogDb(const fs::path& file) : Db(made_by_store(file)) {
    exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
  }
};

// One verified check waiting for its rows to be durable.
struct Check {
  std::int64_t pass_id = 0;
  std::string at;
  bool durable = false;  // GUARDED_BY(GroupCommit::m_mutex)
};

// The gate log with leader/follower group commit. submit() is thread-safe; the connection and
// the chain's head are used only by the one thread leading at a time.
class GroupCommit {
 public:
  explicit GroupCommit(const fs::path& file)
      : m_db(file),
        m_event(m_db,
                "INSERT INTO gate_events (community_id, event_id, at, direction, decision, code, "
                "pass_id, resident_id, building, gate_user, source) "
                "VALUES (?1, ?2, ?3, 'in', 'allow', 'gate.in', ?4, ?5, '3号楼', ?6, 'online')"),
        m_audit(
            m_db,
            "INSERT INTO audit_log (community_id, seq, at, actor, role, action, entity, "
            "entity_id, before_digest, after_digest, policy_version, prev_hash, hash) "
            "VALUES (?1, ?2, ?3, ?4, 'gate', 'gate.in', 'gate_event', ?5, '', '', '', ?6, ?7)") {}

  // Returns once `check`'s rows are durable. The first caller to find no commit under way
  // leads: it writes every queued check and commits them in one transaction, while later
  // callers queue; one of those leads the next commit.
  void submit(Check& check) {
    std::unique_lock lock(m_mutex);
    m_queue.push_back(&check);
    m_turn.wait(lock, [&] { return check.durable || m_failure || !m_leading; });
    if (m_failure) std::rethrow_exception(m_failure);
    if (check.durable) return;
    // Not durable and nobody leads: no leader took this check from the queue, so this thread
    // commits it and everything queued with it.
    m_leading = true;
    const std::vector<Check*> batch = std::exchange(m_queue, {});
    lock.unlock();
    std::exception_ptr failure;
    try {
      write(batch);
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    m_leading = false;
    for (Check* c : batch)
      c->durable = true;
    m_failure = failure;
    ++m_commits;
    m_turn.notify_all();
    if (failure) std::rethrow_exception(failure);
  }

  // Read once every submit has returned.
  std::int64_t commits() const { return m_commits; }
  const Db& db() const { return m_db; }

 private:
  void write(const std::vector<Check*>& batch) {
    m_db.exec("BEGIN IMMEDIATE");
    try {
      for (const Check* c : batch)
        append(*c);
      m_db.exec("COMMIT");  // the fsync that makes the whole batch durable
    } catch (...) {
      if (sqlite3_get_autocommit(m_db.db) == 0) {
        sqlite3_exec(m_db.db, "ROLLBACK", nullptr, nullptr, nullptr);
      }
      throw;
    }
  }

  // The check's gate event, then its audit record chained to the one before.
  void append(const Check& c) {
    const std::int64_t id = ++m_last_id;
    sqlite3_stmt* e = m_event.s;
    sqlite3_bind_int64(e, 1, kCommunity);
    sqlite3_bind_int64(e, 2, id);
    bind_text(e, 3, c.at);
    sqlite3_bind_int64(e, 4, c.pass_id);
    sqlite3_bind_int64(e, 5, 1000 + c.pass_id);
    sqlite3_bind_int64(e, 6, kGateUser);
    check_sqlite(sqlite3_step(e), m_db.db, "insert gate event");
    sqlite3_reset(e);

    const std::string entity_id = std::to_string(id);
    const std::string text =
        fmt::format("{}\x1f{}\x1f{}\x1f{}\x1fgate\x1fgate.in\x1fgate_event\x1f{}\x1f\x1f\x1f",
                    kCommunity, id, c.at, kGateUser, entity_id);
    std::string hash = chain_hash(m_head, text);
    sqlite3_stmt* a = m_audit.s;
    sqlite3_bind_int64(a, 1, kCommunity);
    sqlite3_bind_int64(a, 2, id);
    bind_text(a, 3, c.at);
    sqlite3_bind_int64(a, 4, kGateUser);
    bind_text(a, 5, entity_id);
    bind_text(a, 6, m_head);
    bind_text(a, 7, hash);
    check_sqlite(sqlite3_step(a), m_db.db, "insert audit record");
    sqlite3_reset(a);
    m_head = std::move(hash);
  }

  GateLogDb m_db;
  Stmt m_event;
  Stmt m_audit;
  // Touched only by the leading thread.
  std::int64_t m_last_id = 0;
  std::string m_head;  // the last audit record's hash; empty before the first

  std::mutex m_mutex;
  std::condition_variable m_turn;
  std::vector<Check*> m_queue;   // GUARDED_BY(m_mutex)
  bool m_leading = false;        // GUARDED_BY(m_mutex)
  std::exception_ptr m_failure;  // GUARDED_BY(m_mutex)
  std::int64_t m_commits = 0;    // GUARDED_BY(m_mutex)
};

// One client: checks tokens in turn from `first` until `deadline`, each verified and then
// durable, and notes each check's time in `latencies_ms`.
void client(const Tokens& tokens, std::size_t first, Clock::time_point deadline, GroupCommit& log,
            std::vector<double>& latencies_ms) {
  const std::vector<SignedClaims>& all = tokens.signed_claims;
  for (std::size_t i = first; Clock::now() < deadline; ++i) {
    const auto start = Clock::now();
    const SignedClaims& token = all[i % all.size()];
    if (!verifies(token, tokens)) throw std::runtime_error("a good signature did not verify");
    Check check{token.pass_id, iso_now()};
    log.submit(check);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
}

std::int64_t count_rows(const Db& db, const char* table) {
  Stmt q(db, fmt::format("SELECT count(*) FROM {}", table).c_str());
  check_sqlite(sqlite3_step(q.s), db.db, "count rows");
  return sqlite3_column_int64(q.s, 0);
}

struct FloorRun {
  std::size_t checks = 0;
  double seconds = 0;
  double p99_ms = 0;
  double checks_per_commit = 0;
};

// kClients threads checking for `seconds` against a new gate log in `file`; throws when a
// check failed or the log does not hold one event and one audit record per check.
FloorRun run_floor(const fs::path& file, int seconds) {
  const Tokens tokens = make_tokens();
  GroupCommit log(file);
  std::vector<std::vector<double>> latencies(kClients);
  std::vector<std::exception_ptr> failures(kClients);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);
  {
    std::vector<std::jthread> clients;
    for (std::size_t c = 0; c < kClients; ++c) {
      // Each client starts at its own token, as wrk's connections start at random ones.
      clients.emplace_back([&, c] {
        try {
          client(tokens, c * 4, deadline, log, latencies[c]);
        } catch (...) {
          failures[c] = std::current_exception();
        }
      });
    }
  }
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  for (const std::exception_ptr& f : failures) {
    if (f) std::rethrow_exception(f);
  }

  std::vector<double> all;
  for (const auto& l : latencies)
    all.insert(all.end(), l.begin(), l.end());
  if (all.empty()) throw std::runtime_error("no check finished");
  const auto rows = static_cast<std::int64_t>(all.size());
  if (count_rows(log.db(), "gate_events") != rows || count_rows(log.db(), "audit_log") != rows) {
    throw std::runtime_error(fmt::format("{} checks but not as many rows in the log", rows));
  }
  const auto p99 = all.begin() + static_cast<std::ptrdiff_t>(all.size() * 99 / 100);
  std::nth_element(all.begin(), p99, all.end());
  return FloorRun{all.size(), elapsed.count(), *p99,
                  static_cast<double>(all.size()) / static_cast<double>(log.commits())};
}

void BM_gate_floor(benchmark::State& state) {
  if (sodium_init() < 0) {
    state.SkipWithError("libsodium cannot start");
    return;
  }
  for (auto _ : state) {
    const fs::path dir = scratch_dir() / "gate-floor";
    fs::create_directories(dir);
    FloorRun run;
    try {
      run = run_floor(dir / "floor.db", seconds_wanted());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
    const double rps = static_cast<double>(run.checks) / run.seconds;
    state.counters["gate_floor_rps"] = rps;
    state.counters["gate_floor_p99_ms"] = run.p99_ms;
    state.counters["checks_per_commit"] = run.checks_per_commit;
    record("gate_floor_rps", rps, "req/s");
    record("gate_floor_p99_ms", run.p99_ms, "ms");
  }
}

BENCHMARK(BM_gate_floor)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace juwei::bench
