// The API under load (issue: HTTP API): wrk against the real `juwei serve` on the seed
// community, 64 connections for 10 s each: GET /healthz (the baseline) and an authenticated
// resident search by room (serve_setup.hpp: the same load runs on PostgreSQL in
// postgres_bench.cpp). Figures: throughput and p99 of both, non-2xx answers of the search,
// and the server's peak RSS.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <fstream>

#include "report.hpp"
#include "serve_setup.hpp"
#include "support/juwei_process.hpp"
#include "wrk.hpp"

namespace juwei::bench {
namespace {

namespace fs = std::filesystem;

long peak_rss_kib(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return 0;
}

void BM_http_wrk(benchmark::State& state) {
  for (auto _ : state) {
    const fs::path dir = scratch_dir() / "http";
    fs::create_directories(dir);
    const std::string db = "sqlite:" + (dir / "juwei.db").string();
    seed_demo(db, dir, {kDeskAccount});

    testing::ServerProcess server(JUWEI_BIN, db, {}, /*quiet=*/true);
    const std::string& base = server.base_url();
    const auto token = login(base, kDeskAccount);
    if (!token) {
      state.SkipWithError(token.error().c_str());
      return;
    }

    const WrkResult health = wrk(base + "/healthz", "");
    const WrkResult search =
        wrk(base + std::string(kSearchPath), "Authorization: Bearer " + *token);
    const long rss = peak_rss_kib(server.pid());

    state.counters["healthz_rps"] = health.requests_per_s;
    state.counters["search_rps"] = search.requests_per_s;
    record("http_healthz", health.requests_per_s, "req/s");
    record("http_search_by_room", search.requests_per_s, "req/s", "http_healthz");
    record("http_healthz_p99", health.p99_ms, "ms");
    record("http_search_by_room_p99", search.p99_ms, "ms", "http_healthz_p99");
    record("http_search_non_2xx_and_errors", static_cast<double>(search.non_2xx + search.errors),
           "responses");
    record("http_server_peak_rss", static_cast<double>(rss) / 1024, "MiB");
  }
}

BENCHMARK(BM_http_wrk)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace juwei::bench
