// The HTTP/1.1 server, plain or over TLS: accepts connections, reads requests within size and
// time limits, hands them to a Router and writes the answers, keeping connections alive.
// Sockets, HTTP parsing and TLS run on the io threads, which never block; handlers (the store,
// password hashing) run on a bounded pool of worker threads, and a request that finds the pool's
// queue full is answered 503 with Retry-After at once. The Router (borrowed; it must outlive the
// Server) gets GET /healthz and GET /metrics added at construction, and those two, being cheap,
// are answered on the io thread; requests it has no route for go to the web app, if any. run()
// blocks; stop() may be called from any thread, any number of times.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "http/tls.hpp"

namespace juwei::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  // 0 = an ephemeral port; port() tells which
  // Threads, 0 = derived from the number of cores:
  // - io_threads: 0 = one per core, at least 2. They only read, parse and write sockets (and
  //   run TLS), so more than the cores would only take turns.
  // - workers: 0 = 8 per core, at least 16. A handler spends most of its time waiting on the
  //   database, not computing: a write waits for its group commit's fsync, and the SQLite
  //   store lets the writes that wait at once (up to 64) share one commit. So write throughput
  //   grows with the writes waiting together, that is with the workers, long after the cores
  //   are busy.
  // - max_queued: requests waiting for a free worker; 0 = 8 per worker. One more is answered
  //   503 with Retry-After: 1 at once instead of waiting: with 8 per worker a queued request
  //   waits about 8 handler times (tens of ms for writes), and a 2-core machine still holds
  //   the 128 connections of bench/soak without refusing any.
  int io_threads = 0;
  int workers = 0;
  std::size_t max_queued = 0;
  std::size_t max_header_bytes = 16 * 1024;  // beyond: 431, connection closed
  std::size_t max_body_bytes = 1 << 20;      // beyond: 413, connection closed
  std::size_t max_upload_bytes = 10 << 20;   // the same, for uploads: CSV files and photos
  std::chrono::seconds read_timeout{30};     // per read and per write; also the keep-alive idle
  std::size_t max_connections = 1024;        // beyond: 503, connection closed
  // Set: HTTPS only, TLS 1.2 or later; the handshake must finish within read_timeout.
  std::optional<TlsFiles> tls;
  // Set: answers what no route takes, when it has a file or an app route for it (GET and HEAD
  // outside /api/). Borrowed; it must outlive the Server.
  const StaticFiles* web = nullptr;
};

// Thrown by Server's constructor when the TLS certificate or key cannot be used; what() names
// the file and says why, in one line.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Server {
 public:
  // Loads the TLS files if any (throws TlsError), then binds and listens at once (throws
  // boost::system::system_error when it cannot), so port() is valid before run().
  Server(ServerOptions options, Router& router, Authenticator authenticate);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  unsigned short port() const;

  // Serves on `io_threads` io threads and `workers` workers until stop(); call it once.
  void run();

  // Graceful: stops accepting, closes idle connections, lets requests in flight (read, queued
  // for a worker or running on one) finish and answer (with Connection: close), and makes run()
  // return once they have, or after 10 s: then requests still queued are dropped unanswered,
  // and only handlers already running are waited for (a thread cannot be interrupted).
  void stop();

  const Metrics& metrics() const;

 private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

// Whether a client address is this machine's (127.0.0.0/8, ::1, or IPv4 mapped into IPv6):
// /metrics answers only those.
bool is_loopback(std::string_view client_address);

}  // namespace juwei::http
