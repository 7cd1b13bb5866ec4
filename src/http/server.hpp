// The HTTP/1.1 server, plain or over TLS: accepts connections, reads requests within size and
// time limits, hands them to a Router and writes the answers, keeping connections alive.
// Handlers run on the io threads. The Router (borrowed; it must outlive the Server) gets GET
// /healthz and GET /metrics added at construction; requests it has no route for go to the web
// app, if any. run() blocks; stop() may be called from any thread, any number of times.
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
  int threads = 0;  // io threads; 0 = 8 per core, at least 16 (handlers block on the database)
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

  // Serves on `threads` io threads until stop(); call it once.
  void run();

  // Graceful: stops accepting, closes idle connections, lets requests in flight finish and
  // answer (with Connection: close), and makes run() return once they have, or after 10 s.
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
