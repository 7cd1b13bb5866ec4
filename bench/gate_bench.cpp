// The gate and the audit trail (issue 6). Figures:
// - gate_check_rps: wrk (64 connections, 10 s) against the real `juwei serve` on the demo
//   community, a gate account POSTing /api/v1/gate/check {"token": T, "direction": "in"}
//   rotating through the tokens of 256 emergency passes issued beforehand through the service
//   (serve_setup.hpp: the same load runs on PostgreSQL in postgres_bench.cpp). Each check is a
//   write: a gate event and an audit record. Against healthz_rps: GET /healthz on the same server
//   in the same run, and against gate_floor_rps (gate_floor_bench.cpp: the verify and the durable
//   writes alone, at the same concurrency). Target (issue 19): >= 0.5 of the floor, and
//   gate_check_errors (non-2xx answers and socket errors) zero.
// - audit_verify_records_per_s: `service::verify_audit` over N records of one community's chain
//   (N = 1,000,000, or JUWEI_BENCH_AUDIT_RECORDS), against audit_raw_scan_records_per_s: a
//   prepared SELECT of every column of audit_log stepping every row; the ratio is what reading
//   the records into the program and hashing them costs.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "raw_sqlite.hpp"
#include "report.hpp"
#include "serve_setup.hpp"
#include "service/audit.hpp"
#include "service/open_store.hpp"
#include "support/juwei_process.hpp"
#include "wrk.hpp"

namespace juwei::bench {
namespace {

namespace fs = std::filesystem;

void BM_gate_check_wrk(benchmark::State& state) {
  for (auto _ : state) {
    const fs::path dir = scratch_dir() / "gate";
    fs::create_directories(dir);
    const std::string db = "sqlite:" + (dir / "juwei.db").string();
    seed_demo(db, dir, {kGateAccount});
    const std::vector<std::string> tokens = issue_passes(db);

    testing::ServerProcess server(JUWEI_BIN, db, {}, /*quiet=*/true);
    const std::string& base = server.base_url();
    const auto script = gate_check_script(base, dir, tokens);
    if (!script) {
      state.SkipWithError(script.error().c_str());
      return;
    }

    const WrkResult health = wrk(base + "/healthz", "");
    const WrkResult gate = wrk(base + std::string(kGateCheckPath), "", script->string());
    if (gate.requests_per_s == 0) {
      state.SkipWithError(("wrk gave no figures: " + gate.output).c_str());
      return;
    }

    if (gate.non_2xx + gate.errors > 0) {
      fmt::print(stderr, "gate check wrk output:\n{}\n", gate.output);
    }
    state.counters["healthz_rps"] = health.requests_per_s;
    state.counters["gate_check_rps"] = gate.requests_per_s;
    state.counters["gate_check_p99_ms"] = gate.p99_ms;
    record("healthz_rps", health.requests_per_s, "req/s");
    record("gate_check_rps", gate.requests_per_s, "req/s", "healthz_rps");
    record("healthz_p99_ms", health.p99_ms, "ms");
    record("gate_check_p99_ms", gate.p99_ms, "ms", "healthz_p99_ms");
    // Against the floor of the work (gate_floor_bench.cpp): the same verify and durable writes
    // with no Juwei code, at the same concurrency.
    record("gate_check_rps_vs_floor", gate.requests_per_s, "req/s", "gate_floor_rps");
    record("gate_check_p99_vs_floor", gate.p99_ms, "ms", "gate_floor_p99_ms");
    record("gate_check_errors", static_cast<double>(gate.non_2xx + gate.errors), "responses");
  }
}

std::int64_t audit_records_wanted() {
  if (const char* n = std::getenv("JUWEI_BENCH_AUDIT_RECORDS"); n != nullptr && *n != '\0') {
    const long long v = std::atoll(n);
    if (v > 0) return v;
  }
  return 1'000'000;
}

// Appends a valid chain of `n` records for community 1, in one transaction, with the same
// columns the program writes: a gate check's record (a gate account's "in" of an event).
void fill_audit(const fs::path& file, std::int64_t n) {
  Db raw(file);
  raw.exec("BEGIN");
  Stmt ins(raw,
           "INSERT INTO audit_log (community_id, seq, at, actor, role, action, entity, entity_id, "
           "before_digest, after_digest, policy_version, prev_hash, hash) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  store::AuditRecord r{1, 0, "", 7, "gate", "gate.in", "gate_event", "", "", "", "", "", ""};
  r.chain_id = 1;  // community 1 began its chain here
  const auto start = std::chrono::sys_seconds{std::chrono::sys_days{std::chrono::April / 1 / 2022}};
  for (std::int64_t seq = 1; seq <= n; ++seq) {
    r.seq = seq;
    service::assign_iso_utc(r.at, start + std::chrono::seconds{seq});
    r.entity_id = std::to_string(seq);
    r.after_digest = r.prev_hash.empty() ? std::string(64, '0') : r.prev_hash;
    r.prev_hash = std::move(r.hash);
    r.hash = service::audit_hash(r);
    sqlite3_stmt* s = ins.s;
    sqlite3_bind_int64(s, 1, r.community_id);
    sqlite3_bind_int64(s, 2, r.seq);
    sqlite3_bind_text(s, 3, r.at.data(), static_cast<int>(r.at.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, r.actor);
    sqlite3_bind_text(s, 5, r.role.data(), static_cast<int>(r.role.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 6, r.action.data(), static_cast<int>(r.action.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 7, r.entity.data(), static_cast<int>(r.entity.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 8, r.entity_id.data(), static_cast<int>(r.entity_id.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 9, r.before_digest.data(), static_cast<int>(r.before_digest.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 10, r.after_digest.data(), static_cast<int>(r.after_digest.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 11, r.policy_version.data(), static_cast<int>(r.policy_version.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 12, r.prev_hash.data(), static_cast<int>(r.prev_hash.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 13, r.hash.data(), static_cast<int>(r.hash.size()), SQLITE_STATIC);
    check_sqlite(sqlite3_step(s), raw.db, "insert audit record");
    sqlite3_reset(s);
  }
  raw.exec("COMMIT");
}

// The baseline: every column of every record of community 1, in seq order, as raw SQLite reads
// them. Returns the rows stepped.
std::int64_t raw_scan(const fs::path& file) {
  Db raw(file);
  Stmt q(raw,
         "SELECT community_id, seq, at, actor, role, action, entity, entity_id, before_digest, "
         "after_digest, policy_version, prev_hash, hash FROM audit_log WHERE community_id = 1 "
         "AND seq > 0 ORDER BY seq");
  std::int64_t rows = 0;
  std::size_t bytes = 0;
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    for (int col = 0; col < 13; ++col) {
      if (col == 0 || col == 1 || col == 3) {
        bytes += static_cast<std::size_t>(sqlite3_column_int64(q.s, col));
      } else {
        benchmark::DoNotOptimize(sqlite3_column_text(q.s, col));
        bytes += static_cast<std::size_t>(sqlite3_column_bytes(q.s, col));
      }
    }
    ++rows;
  }
  benchmark::DoNotOptimize(bytes);
  return rows;
}

void BM_audit_verify(benchmark::State& state) {
  const std::int64_t n = audit_records_wanted();
  for (auto _ : state) {
    const fs::path dir = scratch_dir() / "audit";
    fs::create_directories(dir);
    const fs::path file = dir / "juwei.db";
    const std::string url = "sqlite:" + file.string();
    auto store = service::open_store(url);  // creates and migrates the file
    if (!store) {
      state.SkipWithError("cannot open the store");
      return;
    }
    fill_audit(file, n);

    const auto scan_start = std::chrono::steady_clock::now();
    const std::int64_t rows = raw_scan(file);
    const std::chrono::duration<double> scan = std::chrono::steady_clock::now() - scan_start;

    const auto verify_start = std::chrono::steady_clock::now();
    const auto check = service::verify_audit(**store, 1);
    const std::chrono::duration<double> verify = std::chrono::steady_clock::now() - verify_start;
    if (!check || check->records != n || check->first_bad || rows != n) {
      state.SkipWithError(fmt::format("chain of {} records: scanned {}, verified {}{}", n, rows,
                                      check ? check->records : -1,
                                      check && check->first_bad ? ", broken" : "")
                              .c_str());
      return;
    }

    const double scan_rate = static_cast<double>(rows) / scan.count();
    const double verify_rate = static_cast<double>(check->records) / verify.count();
    state.counters["records"] = static_cast<double>(n);
    state.counters["verify_s"] = verify.count();
    state.counters["raw_scan_s"] = scan.count();
    record("audit_raw_scan_records_per_s", scan_rate, "records/s");
    record("audit_verify_records_per_s", verify_rate, "records/s", "audit_raw_scan_records_per_s");
  }
}

BENCHMARK(BM_gate_check_wrk)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_audit_verify)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace juwei::bench
