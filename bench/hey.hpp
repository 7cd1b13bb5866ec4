// Load at an offered rate from a second process: Debian's `hey` against the real server, and
// its summary read back. wrk (wrk.hpp) answers "how many requests per second at most"; hey,
// rate-limited, answers "how long does a request take when this many arrive per second".
// Not an open-loop generator: each of hey's workers waits for its answer before the next tick,
// so a rate is kept only while a request takes less than one worker's interval (hey_load keeps
// that interval at 80 ms or more up to 6,250 req/s). Failures throw std::runtime_error.
#pragma once

#include <string>
#include <vector>

namespace juwei::bench {

// One request, sent again and again.
struct HeyRequest {
  std::string url;
  std::string method = "GET";
  std::string content_type;          // empty: hey's default
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};

struct HeyResult {
  double requests_per_s = 0;  // answered (or failed) per second over the whole run
  // Latencies of the answered requests; 0 when none was answered (responses == 0).
  double p50_ms = 0;
  double p99_ms = 0;
  long responses = 0;  // answers, whatever their status
  long non_2xx = 0;
  long errors = 0;     // requests with no answer: refused, reset, timed out
  std::string output;  // hey's own summary
};

// hey sending `request` at about `rate` requests per second in all for `seconds`: as many
// workers as needed for each to send at most 12.5 requests per second, at most 500 (hey keeps
// at most 500 idle connections; more would reconnect).
HeyResult hey_load(const HeyRequest& request, double rate, int seconds);

// Reads hey's summary (Requests/sec, latency distribution, status codes, errors); throws when
// it has no Requests/sec, or answers but no 50% or 99% latency.
HeyResult parse_hey(std::string output);

}  // namespace juwei::bench
