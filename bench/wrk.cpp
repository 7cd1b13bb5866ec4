#include "wrk.hpp"

#include <cstdio>
#include <regex>
#include <stdexcept>

namespace juwei::bench {

namespace {

double to_ms(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  return value;
}

}  // namespace

std::string shell(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p))
    out.append(buf, n);
  if (pclose(p) != 0) throw std::runtime_error("failed: " + cmd + "\n" + out);
  return out;
}

WrkResult wrk(const std::string& url, const std::string& header, const std::string& script) {
  std::string cmd = "wrk -t2 -c64 -d10s --latency";
  if (!header.empty()) cmd += " -H '" + header + "'";
  if (!script.empty()) cmd += " -s '" + script + "'";
  WrkResult r;
  r.output = shell(cmd + " '" + url + "' 2>&1");
  const std::string& out = r.output;
  std::smatch m;
  if (std::regex_search(out, m, std::regex("Requests/sec:\\s+([0-9.]+)"))) {
    r.requests_per_s = std::stod(m[1]);
  }
  if (std::regex_search(out, m, std::regex("99%\\s+([0-9.]+)(us|ms|s)"))) {
    r.p99_ms = to_ms(std::stod(m[1]), m[2]);
  }
  if (std::regex_search(out, m, std::regex("Non-2xx or 3xx responses:\\s+([0-9]+)"))) {
    r.non_2xx = std::stol(m[1]);
  }
  if (std::regex_search(out, m, std::regex("Socket errors:.*?(\\d+).*?(\\d+).*?(\\d+).*?(\\d+)"))) {
    r.errors = std::stol(m[1]) + std::stol(m[2]) + std::stol(m[3]) + std::stol(m[4]);
  }
  return r;
}

}  // namespace juwei::bench
