// Request counters, a latency histogram and an open-connections gauge for one Server, rendered
// in the Prometheus text exposition format (version 0.0.4). Thread-safe: the Server records
// from all io threads while /metrics renders. Series are keyed by route pattern, never by raw
// path, so their number stays bounded by the routes registered.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace juwei::http {

class Metrics {
 public:
  // Upper bounds of the latency buckets, in seconds (Prometheus' defaults plus 0.5 ms).
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  // One answered request; `route` is the matched pattern, or a placeholder such as
  // "unmatched" for requests no route took.
  void record_request(std::string_view method, std::string_view route, int status,
                      std::chrono::nanoseconds latency);
  void connection_opened() { m_open_connections.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { m_open_connections.fetch_sub(1, std::memory_order_relaxed); }

  std::string render() const;

 private:
  struct Series {
    std::map<int, std::uint64_t> by_status;
    std::array<std::uint64_t, kLatencyBuckets.size() + 1> buckets{};  // last one is +Inf
    double sum_seconds = 0;
    std::uint64_t count = 0;
  };

  mutable std::mutex m_mutex;
  std::map<std::tuple<std::string, std::string>, Series, std::less<>>
      m_series;  // GUARDED_BY(m_mutex), keyed by (method, route)
  std::atomic<std::int64_t> m_open_connections{0};
};

}  // namespace juwei::http
