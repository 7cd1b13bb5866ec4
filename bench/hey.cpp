#include "hey.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "support/juwei_process.hpp"
#include "wrk.hpp"

namespace juwei::bench {

namespace {

// One worker sends at most this many requests per second, so that it keeps its rate while a
// request takes up to 80 ms, past the 50 ms the gate is held to.
constexpr double kMaxWorkerRate = 12.5;
// hey's transport keeps at most 500 idle connections per host: a worker beyond would reconnect.
constexpr int kMaxWorkers = 500;

// The `pct`% latency of hey's "Latency distribution" ("  99% in 0.0035 secs"), in ms.
double latency_ms(const std::string& out, int pct) {
  std::smatch m;
  const std::regex line(fmt::format(R"(\n\s*{}% in ([0-9.]+) secs)", pct));
  if (!std::regex_search(out, m, line)) {
    throw std::runtime_error(fmt::format("hey reported no {}% latency:\n{}", pct, out));
  }
  return std::stod(m[1]) * 1000;
}

// The text between `heading` and the next blank line, empty when hey printed no such section.
std::string section(const std::string& out, std::string_view heading) {
  const auto start = out.find(heading);
  if (start == std::string::npos) return {};
  const auto body = start + heading.size();
  const auto end = out.find("\n\n", body);
  return out.substr(body, end == std::string::npos ? std::string::npos : end - body);
}

// Every "[key]\tcount responses" line of hey's status codes, as (key, count).
std::vector<std::pair<std::string, long>> status_counts(const std::string& lines) {
  static const std::regex line(R"((?:^|\n)\s*\[(\d+)\]\s+(\d+) responses)");
  std::vector<std::pair<std::string, long>> counts;
  for (std::sregex_iterator it(lines.begin(), lines.end(), line), end; it != end; ++it) {
    counts.emplace_back((*it)[1].str(), std::stol((*it)[2]));
  }
  return counts;
}

// The sum of the counts that open hey's error lines ("  [3]\tPost ...: connection refused").
long error_count(const std::string& lines) {
  static const std::regex line(R"((?:^|\n)\s*\[(\d+)\]\t)");
  long total = 0;
  for (std::sregex_iterator it(lines.begin(), lines.end(), line), end; it != end; ++it) {
    total += std::stol((*it)[1]);
  }
  return total;
}

}  // namespace

HeyResult parse_hey(std::string output) {
  HeyResult r;
  r.output = std::move(output);
  const std::string& out = r.output;
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    throw std::runtime_error("hey printed no summary:\n" + out);
  }
  r.requests_per_s = std::stod(m[1]);

  for (const auto& [code, count] : status_counts(section(out, "Status code distribution:"))) {
    r.responses += count;
    if (!code.starts_with('2')) r.non_2xx += count;
  }
  r.errors = error_count(section(out, "Error distribution:"));
  // hey prints no latencies when nothing was answered.
  if (r.responses > 0) {
    r.p50_ms = latency_ms(out, 50);
    r.p99_ms = latency_ms(out, 99);
  }
  return r;
}

HeyResult hey_load(const HeyRequest& request, double rate, int seconds) {
  if (rate <= 0 || seconds <= 0) throw std::invalid_argument("hey_load: rate and seconds > 0");
  const int workers =
      std::clamp(static_cast<int>(std::ceil(rate / kMaxWorkerRate)), 1, kMaxWorkers);
  std::string cmd = fmt::format("hey -c {} -q {:.4f} -z {}s -m {}", workers, rate / workers,
                                seconds, request.method);
  if (!request.content_type.empty()) cmd += " -T " + testing::quote(request.content_type);
  for (const std::string& h : request.headers)
    cmd += " -H " + testing::quote(h);
  if (!request.body.empty()) cmd += " -d " + testing::quote(request.body);
  return parse_hey(shell(cmd + " " + testing::quote(request.url) + " 2>&1"));
}

}  // namespace juwei::bench
