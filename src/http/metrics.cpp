#include "http/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace juwei::http {
namespace {

// Label values escape backslash, double quote and line feed (exposition format 0.0.4).
std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

void Metrics::record_request(std::string_view method, std::string_view route, int status,
                             std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  const auto bucket = static_cast<std::size_t>(std::ranges::lower_bound(kLatencyBuckets, seconds) -
                                               kLatencyBuckets.begin());
  std::lock_guard lock(m_mutex);
  auto it = m_series.find(std::tuple{method, route});
  if (it == m_series.end()) {
    it = m_series.emplace(std::tuple{std::string(method), std::string(route)}, Series{}).first;
  }
  Series& s = it->second;
  ++s.by_status[status];
  ++s.buckets[bucket];
  s.sum_seconds += seconds;
  ++s.count;
}

std::string Metrics::render() const {
  std::string out;
  auto it = std::back_inserter(out);
  std::lock_guard lock(m_mutex);

  out += "# HELP juwei_http_requests_total HTTP requests answered, by route pattern and status.\n";
  out += "# TYPE juwei_http_requests_total counter\n";
  for (const auto& [key, s] : m_series) {
    for (const auto& [status, n] : s.by_status) {
      fmt::format_to(it,
                     "juwei_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                     escape_label(std::get<0>(key)), escape_label(std::get<1>(key)), status, n);
    }
  }

  out += "# HELP juwei_http_request_duration_seconds Time from request header to response sent.\n";
  out += "# TYPE juwei_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : m_series) {
    const auto labels = fmt::format("method=\"{}\",route=\"{}\"", escape_label(std::get<0>(key)),
                                    escape_label(std::get<1>(key)));
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += s.buckets[i];
      fmt::format_to(it, "juwei_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                     kLatencyBuckets[i], cumulative);
    }
    fmt::format_to(it, "juwei_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                   s.count);
    fmt::format_to(it, "juwei_http_request_duration_seconds_sum{{{}}} {}\n", labels, s.sum_seconds);
    fmt::format_to(it, "juwei_http_request_duration_seconds_count{{{}}} {}\n", labels, s.count);
  }

  out += "# HELP juwei_http_open_connections Client connections open now.\n";
  out += "# TYPE juwei_http_open_connections gauge\n";
  fmt::format_to(it, "juwei_http_open_connections {}\n",
                 m_open_connections.load(std::memory_order_relaxed));
  return out;
}

}  // namespace juwei::http
