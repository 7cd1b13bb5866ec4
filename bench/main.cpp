// juwei_bench [--out FILE] [google benchmark flags]: runs every benchmark, then prints the
// report and writes it as JSON (default build/bench-results.json).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "report.hpp"

int main(int argc, char** argv) {
  std::filesystem::path out = "build/bench-results.json";
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out = argv[++i];
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return juwei::bench::write_report(out) ? 0 : 1;
}
