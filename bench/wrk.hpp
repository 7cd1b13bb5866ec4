// Load from a second process: wrk against the real server, and running a shell command for
// its output. Shared by the HTTP benchmarks.
#pragma once

#include <string>

namespace juwei::bench {

// Runs `cmd` with /bin/sh and returns what it printed; throws when it fails.
std::string shell(const std::string& cmd);

struct WrkResult {
  double requests_per_s = 0;
  double p99_ms = 0;
  long non_2xx = 0;
  long errors = 0;     // socket errors: connect, read, write, timeout
  std::string output;  // wrk's own report
};

// wrk with 2 threads and 64 connections for 10 s, latency percentiles on; `header` ("Name:
// value") and `script` (a Lua file) may be empty.
WrkResult wrk(const std::string& url, const std::string& header, const std::string& script = "");

}  // namespace juwei::bench
