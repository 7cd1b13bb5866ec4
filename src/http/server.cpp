// The only translation unit of the layer that includes Beast (it is slow to compile).
#include "http/server.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "http/openssl.hpp"

namespace juwei::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto kStopGrace = std::chrono::seconds(10);
// After an error answer that leaves a request body unread, the rest is read and dropped for
// this long before closing, so that the client sees the answer instead of a connection reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::string_view kUnmatched = "unmatched";  // route label of requests no route took
constexpr std::string_view kWebApp = "web";           // ... and of those the web app answered
constexpr std::string_view kRejected = "rejected";    // ... and of those the full queue refused
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool is_upload_type(std::string_view type) {
  return type == "multipart/form-data" || type == "text/csv" || type == "image/jpeg" ||
         type == "image/png" || type == "application/pdf";
}

bool is_accepted_type(std::string_view type) {
  return type == "application/json" || is_upload_type(type);
}

// The worker threads that run handlers, with a bound on the requests they hold: at most
// `workers` running plus `max_queued` waiting. Thread-safe; jobs run in the order posted.
class WorkerPool {
 public:
  WorkerPool(int workers, std::size_t max_queued)
      : m_pool(static_cast<std::size_t>(workers)),
        m_capacity(static_cast<std::size_t>(workers) + max_queued) {}

  // What a job leaves to do once it no longer counts against the bound: send its answer.
  using Then = std::move_only_function<void()>;

  // Queues `job` for a worker, or refuses it at once (false) when the pool holds as many jobs
  // as it may. The job's place is free before its Then runs, so a client that has its answer
  // finds it free for the next request. A job that throws is logged; the worker goes on.
  bool try_post(std::move_only_function<Then()> job) {
    if (m_jobs.fetch_add(1, std::memory_order_acq_rel) >= m_capacity) {
      m_jobs.fetch_sub(1, std::memory_order_acq_rel);
      m_rejected.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    net::post(m_pool, [this, job = std::move(job)]() mutable {
      m_running.fetch_add(1, std::memory_order_relaxed);
      Then then;
      try {
        then = job();
      } catch (const std::exception& e) {
        spdlog::error("worker: {}", e.what());
      }
      m_running.fetch_sub(1, std::memory_order_relaxed);
      m_jobs.fetch_sub(1, std::memory_order_acq_rel);
      if (then) then();
    });
    return true;
  }

  // Drops the jobs not started yet (without running them) and waits for those running.
  void stop() {
    m_pool.stop();
    m_pool.join();
  }

  // Prometheus lines: queue depth, busy workers, refusals.
  std::string render() const {
    const std::size_t running = m_running.load(std::memory_order_relaxed);
    const std::size_t jobs = m_jobs.load(std::memory_order_relaxed);
    return fmt::format(
        "# HELP juwei_http_queued_requests Requests waiting for a free worker.\n"
        "# TYPE juwei_http_queued_requests gauge\n"
        "juwei_http_queued_requests {}\n"
        "# HELP juwei_http_busy_workers Worker threads running a handler now.\n"
        "# TYPE juwei_http_busy_workers gauge\n"
        "juwei_http_busy_workers {}\n"
        "# HELP juwei_http_rejected_requests_total Requests answered 503 because the queue was "
        "full.\n"
        "# TYPE juwei_http_rejected_requests_total counter\n"
        "juwei_http_rejected_requests_total {}\n",
        jobs > running ? jobs - running : 0, running, m_rejected.load(std::memory_order_relaxed));
  }

 private:
  net::thread_pool m_pool;
  const std::size_t m_capacity;
  std::atomic<std::size_t> m_jobs{0};  // posted and not finished: queued or running
  std::atomic<std::size_t> m_running{0};
  std::atomic<std::uint64_t> m_rejected{0};
};

}  // namespace

bool is_loopback(std::string_view address) {
  if (address.starts_with("::ffff:")) address.remove_prefix(7);  // IPv4 mapped into IPv6
  return address == "::1" || address.starts_with("127.");
}

namespace {

void add_builtin_routes(Router& router, const Metrics& metrics, const WorkerPool& workers) {
  router.add("GET", "/healthz", {}, [](Request&) { return json(200, {{"status", "ok"}}); });
  // What the server is doing is for the machine's operator (a Prometheus on the same machine,
  // or curl there): served to loopback clients only, whatever the listen address.
  router.add("GET", "/metrics", {}, [&metrics, &workers](Request& req) {
    if (!is_loopback(req.client_address)) {
      return problem(403, "Forbidden", "Metrics are served to this machine (loopback) only.");
    }
    return Response{200, "text/plain; version=0.0.4", metrics.render() + workers.render(), {}};
  });
}

// The built-in routes need neither the database nor much time, so the io thread answers them
// itself: a health check and the metrics still answer when every worker is busy.
bool is_builtin(const Request& request) {
  return request.method == "GET" && (request.path == "/healthz" || request.path == "/metrics");
}

// Throws TlsError unless `file` is a file this process may read, with the system's reason
// (OpenSSL would say "system lib").
void check_readable(std::string_view what, const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  const bool folder = fd >= 0 && ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  const int error = folder ? EISDIR : errno;
  if (fd >= 0) ::close(fd);
  if (fd < 0 || folder) {
    throw TlsError(
        fmt::format("cannot read the TLS {} {}: {}", what, file.string(), std::strerror(error)));
  }
}

// TLS 1.2's suites: Mozilla's "intermediate" profile, AEAD only (no CBC: LUCKY13), forward
// secret, in the server's order. TLS 1.3 has only AEAD suites, OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

// What every TLS connection shares: the certificate chain, the key, TLS 1.2 at least.
net::ssl::context make_tls_context(const TlsFiles& files) {
  check_readable("certificate", files.cert);
  check_readable("key", files.key);
  net::ssl::context context(net::ssl::context::tls_server);
  SSL_CTX* ctx = context.native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    throw TlsError("cannot set up TLS: " + openssl::error_reason());
  }
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1) {
    throw TlsError(fmt::format("the TLS certificate {} is not a PEM certificate ({})",
                               files.cert.string(), openssl::error_reason()));
  }
  // An encrypted key fails to load instead of asking for its passphrase on the terminal.
  const auto no_passphrase = [](char*, int, int, void*) { return 0; };
  const openssl::Bio in(BIO_new_file(files.key.c_str(), "r"));
  const openssl::Key key(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, no_passphrase, nullptr)
                            : nullptr);
  if (!key) {
    throw TlsError(fmt::format("the TLS key {} is not an unencrypted PEM private key ({})",
                               files.key.string(), openssl::error_reason()));
  }
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), key.get()) != 1) {
    ERR_clear_error();
    throw TlsError(fmt::format("the TLS key {} does not belong to the certificate {}",
                               files.key.string(), files.cert.string()));
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    throw TlsError(fmt::format("the TLS key {} cannot be used: {}", files.key.string(),
                               openssl::error_reason()));
  }
  return context;
}

}  // namespace

class Server::Impl {
 public:
  class Connection;
  template <typename Stream>
  class Session;

  Impl(ServerOptions options, Router& router, Authenticator authenticate);

  void run();
  void stop();

  bool stopping() const { return m_stop_flag.load(std::memory_order_acquire); }
  // Called by each Session's destructor.
  void leave(std::uint64_t id);

  void start_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  ServerOptions m_options;
  Router& m_router;
  Authenticator m_authenticate;
  Metrics m_metrics;
  unsigned short m_port = 0;

  std::mutex m_mutex;
  std::condition_variable m_cv;          // signalled on stop() and whenever a session ends
  bool m_stopping = false;               // GUARDED_BY(m_mutex)
  std::atomic<bool> m_stop_flag{false};  // m_stopping, for checks that need no lock
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> m_sessions;  // GUARDED_BY(m_mutex)
  std::uint64_t m_next_id = 0;                                              // GUARDED_BY(m_mutex)
  std::optional<net::ssl::context> m_tls;  // set: every connection is HTTPS; thread-safe

  // Declared after the members above: destroying the io_context destroys the sessions still
  // queued in it, and their destructors use those members.
  net::io_context m_ioc;
  // Keeps run() going until stop() has posted its work, which would otherwise be lost if the
  // io_context ran out of work in between. Reset by stop().
  net::executor_work_guard<net::io_context::executor_type> m_work;
  tcp::acceptor m_acceptor;  // used on its own strand only
  // Declared last, destroyed first: the jobs it still holds own sessions, whose sockets belong
  // to m_ioc.
  WorkerPool m_workers;
};

// A client connection as the server keeps track of it, whatever its stream.
class Server::Impl::Connection {
 public:
  virtual ~Connection() = default;
  virtual net::any_io_executor executor() = 0;
  virtual void start() = 0;
  // On Server::stop(): a connection waiting for its next request closes now; one with a
  // request in flight answers it with Connection: close.
  virtual void shutdown() = 0;
};

// One client connection over a beast::tcp_stream (HTTP) or a TlsStream (HTTPS: a handshake
// first, a close_notify last): reads requests one at a time and answers each in order. Every
// member function runs on the connection's strand.
template <typename Stream>
class Server::Impl::Session final : public Connection,
                                    public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `tls`: the context, for a TlsStream.
  template <typename... Tls>
  Session(tcp::socket&& socket, Impl& server, std::uint64_t id, bool reject, Tls&... tls)
      : m_server(server), m_id(id), m_reject(reject), m_stream(std::move(socket), tls...) {
    beast::error_code ec;
    auto endpoint = tcp_layer().socket().remote_endpoint(ec);
    if (!ec) m_client_address = endpoint.address().to_string();
  }
  ~Session() override { m_server.leave(m_id); }

  net::any_io_executor executor() override { return m_stream.get_executor(); }

  void start() override {
    net::dispatch(executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->tcp_layer().expires_after(self->m_server.m_options.read_timeout);
        self->m_stream.async_handshake(net::ssl::stream_base::server,
                                       [self](beast::error_code ec) { self->on_handshake(ec); });
      } else {
        self->on_handshake({});
      }
    });
  }

  void shutdown() override {
    if (m_state == State::idle) close();
  }

 private:
  enum class State { idle, busy, lingering, closed };

  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(m_stream); }

  // The connection is ready for HTTP: at once for a tcp_stream, after the handshake over TLS.
  void on_handshake(beast::error_code ec) {
    if (m_state == State::closed) return;
    if (ec) {
      // A client that does not trust the certificate ends up here, as does plain HTTP.
      spdlog::info("TLS handshake with {} failed: {}", m_client_address, ec.message());
      return close();
    }
    if (!m_reject) return read_header();
    begin_request("-");
    respond(problem(503, "Service Unavailable", "Too many connections; try again."), false, true);
  }

  void begin_request(std::string_view method) {
    m_started = Clock::now();
    m_method = method;
    m_route = kUnmatched;
    m_user = "-";
  }

  void read_header() {
    if (m_server.stopping()) return close();
    m_state = State::idle;
    m_parser.emplace();
    m_parser->header_limit(static_cast<std::uint32_t>(m_server.m_options.max_header_bytes));
    m_parser->body_limit(boost::none);  // set in on_header, once the content type is known
    m_early.reset();
    tcp_layer().expires_after(m_server.m_options.read_timeout);
    bhttp::async_read_header(m_stream, m_buffer, *m_parser,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(beast::error_code ec) {
    if (m_state == State::closed) return;
    m_state = State::busy;
    begin_request("-");
    if (ec == bhttp::error::header_limit) {
      return respond(problem(431, "Request Header Fields Too Large",
                             "The request header is larger than the server accepts."),
                     false, true);
    }
    if (ec) return read_failed(ec);

    auto& request = m_parser->get();
    m_method = request.method_string();
    const auto type = media_type(request[bhttp::field::content_type]);
    const auto length = m_parser->content_length();
    const bool has_body = m_parser->chunked() || length.value_or(0) > 0;
    const std::uint64_t limit = is_upload_type(type) ? m_server.m_options.max_upload_bytes
                                                     : m_server.m_options.max_body_bytes;
    m_limit = limit;
    if (length && *length > limit) return too_large(limit);
    m_parser->body_limit(limit);  // enforces it on chunked bodies
    if (has_body && !is_accepted_type(type)) {
      // Answered after the body is read, so the connection can stay open.
      m_early =
          problem(415, "Unsupported Media Type",
                  "Send application/json, text/csv, image/jpeg, image/png or application/pdf.");
    }
    if (m_parser->is_done()) return handle();
    if (beast::iequals(request[bhttp::field::expect], "100-continue")) {
      return net::async_write(m_stream, net::buffer(kContinue.data(), kContinue.size()),
                              [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->close();
                                self->read_body();
                              });
    }
    read_body();
  }

  void read_body() {
    tcp_layer().expires_after(m_server.m_options.read_timeout);
    bhttp::async_read(m_stream, m_buffer, *m_parser,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec == bhttp::error::body_limit) return self->too_large(self->m_limit);
                        if (ec) return self->read_failed(ec);
                        self->handle();
                      });
  }

  // A request that could not be read: malformed HTTP (a bad header, a bad chunk of a chunked
  // body) is answered 400 before the connection closes; a client gone, a timeout or a stop
  // just close it.
  void read_failed(beast::error_code ec) {
    const bool malformed =
        ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (!malformed) return close();
    respond(problem(400, "Bad Request", "The request is not valid HTTP/1.1."), false, true);
  }

  void too_large(std::uint64_t limit) {
    respond(problem(413, "Content Too Large",
                    fmt::format("The request body is larger than {} bytes.", limit)),
            false, true);
  }

  // What a handler made of a request, for the connection to send and log.
  struct Answer {
    Response response;
    std::string route;  // the label for the log and the metrics
    std::string user;
  };

  // On the strand: the Request is built here, from the parser; the handler runs on a worker
  // (the built-in routes right here), and the answer comes back to the strand in answered().
  // Meanwhile the connection reads nothing and stop() leaves it alone (it is busy).
  void handle() {
    auto& message = m_parser->get();
    const bool keep_alive = message.keep_alive();
    if (m_early) return respond(std::move(*m_early), keep_alive, false);

    Request request = make_request(message);
    if (is_builtin(request)) {
      // No authenticator: these routes need no principal, and a bearer sent along must not
      // make the io thread wait on the database.
      return answered(run_handler(m_server, request, {}), keep_alive);
    }
    // The work guard keeps the io threads running for the answer: after stop() the io_context
    // may have nothing else to do while the handler runs.
    auto job = [self = this->shared_from_this(), request = std::move(request), keep_alive,
                work = net::make_work_guard(m_server.m_ioc)]() mutable -> WorkerPool::Then {
      Answer answer = run_handler(self->m_server, request, self->m_server.m_authenticate);
      return [self, answer = std::move(answer), keep_alive]() mutable {
        net::post(self->executor(), [self, answer = std::move(answer), keep_alive]() mutable {
          self->answered(std::move(answer), keep_alive);
        });
      };
    };
    if (!m_server.m_workers.try_post(std::move(job))) {
      Response busy = problem(503, "Service Unavailable", "The server is busy; try again shortly.");
      busy.headers.emplace_back("Retry-After", "1");
      m_route = kRejected;
      respond(std::move(busy), keep_alive, false);
    }
  }

  Request make_request(bhttp::request<bhttp::string_body>& message) {
    Request request;
    request.method = m_method;
    set_target(request, message.target());
    request.body = std::move(message.body());
    request.content_type = message[bhttp::field::content_type];
    request.bearer =
        bearer_token(message[bhttp::field::authorization], message[bhttp::field::cookie]);
    request.bearer_from_cookie =
        !request.bearer.empty() && bearer_token(message[bhttp::field::authorization], "").empty();
    request.origin = message[bhttp::field::origin];
    request.sec_fetch_site = message["Sec-Fetch-Site"];
    request.host = message[bhttp::field::host];
    request.secure = kTls;
    request.client_address = m_client_address;
    request.idempotency_key = message["Idempotency-Key"];
    request.if_none_match = message[bhttp::field::if_none_match];
    request.accept_encoding = message[bhttp::field::accept_encoding];
    return request;
  }

  // On a worker (or, for the built-in routes, the strand): the router, else the web app. Uses
  // only what the server shares between threads, never the session's members.
  static Answer run_handler(Impl& server, Request& request, const Authenticator& authenticate) {
    Answer answer{server.m_router.dispatch(request, authenticate),
                  request.route.empty() ? std::string(kUnmatched) : request.route, "-"};
    const StaticFiles* web = server.m_options.web;
    if (web != nullptr && request.route.empty() && answer.response.status == 404) {
      if (auto file = web->serve(request)) {
        answer.response = std::move(*file);
        answer.route = kWebApp;
      }
    }
    if (request.principal) answer.user = std::to_string(request.principal->user_id);
    return answer;
  }

  void answered(Answer answer, bool keep_alive) {
    m_route = std::move(answer.route);
    m_user = std::move(answer.user);
    respond(std::move(answer.response), keep_alive, false);
  }

  // Sends `response`; `linger` = the request (or part of it) is unread: close afterwards, but
  // drain what the client still sends first.
  void respond(Response response, bool keep_alive, bool linger) {
    m_state = State::busy;
    keep_alive = keep_alive && !linger && !m_server.stopping();
    m_response = {};
    m_response.version(11);
    m_response.result(static_cast<unsigned>(response.status));
    m_response.set(bhttp::field::content_type, response.content_type);
    // Over HTTPS, browsers that came once come back only over HTTPS for a year.
    if constexpr (kTls) m_response.set(bhttp::field::strict_transport_security, "max-age=31536000");
    for (auto& [name, value] : response.headers)
      m_response.set(name, value);
    const std::size_t length = response.body.size();
    // A HEAD answer is the GET one's header: its length, without the body.
    if (m_method != "HEAD") m_response.body() = std::move(response.body);
    m_response.keep_alive(keep_alive);
    m_response.prepare_payload();
    if (m_method == "HEAD" && length > 0) m_response.content_length(length);
    tcp_layer().expires_after(m_server.m_options.read_timeout);
    bhttp::async_write(
        m_stream, m_response,
        [self = this->shared_from_this(), keep_alive, linger](beast::error_code ec, std::size_t) {
          self->on_write(ec, keep_alive, linger);
        });
  }

  void on_write(beast::error_code ec, bool keep_alive, bool linger) {
    const int status = m_response.result_int();
    const auto elapsed = Clock::now() - m_started;
    spdlog::info("{} {} {} {}us {}", m_method, m_route, status,
                 std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(), m_user);
    m_server.m_metrics.record_request(m_method, m_route, status, elapsed);
    if (ec) return close();
    if (linger) return drain();
    if (!keep_alive) return finish();
    read_header();
  }

  // Over TLS the rest is read undecrypted: it is dropped anyway.
  void drain() {
    m_state = State::lingering;
    beast::error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp_layer().expires_after(kLingerTime);
    m_drain.resize(16 * 1024);
    drain_some();
  }

  void drain_some() {
    tcp_layer().async_read_some(
        net::buffer(m_drain), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          self->drain_some();
        });
  }

  // After the last answer: over TLS, says so with a close_notify (waiting at most kLingerTime
  // for the client's), then closes.
  void finish() {
    if constexpr (kTls) {
      m_state = State::lingering;
      tcp_layer().expires_after(kLingerTime);
      m_stream.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
      close();
    }
  }

  void close() {
    if (m_state == State::closed) return;
    m_state = State::closed;
    beast::error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp_layer().close();
  }

  Impl& m_server;
  const std::uint64_t m_id;
  const bool m_reject;  // over the connection cap: answer 503 and close
  Stream m_stream;
  beast::flat_buffer m_buffer;  // kept across requests: it may hold the next one already
  std::string m_client_address;
  State m_state = State::idle;
  std::optional<bhttp::request_parser<bhttp::string_body>> m_parser;
  std::optional<Response> m_early;  // an answer decided from the header, sent after the body
  std::uint64_t m_limit = 0;        // of the current request's body
  bhttp::response<bhttp::string_body> m_response;
  std::vector<char> m_drain;  // scratch for lingering; allocated only then

  // The request being answered, for the access log and the metrics.
  Clock::time_point m_started;
  std::string m_method;
  std::string m_route;
  std::string m_user;
};

namespace {

// The defaults of ServerOptions, which says why they are what they are.
ServerOptions resolved(ServerOptions options) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (options.io_threads <= 0) options.io_threads = static_cast<int>(std::max(2u, cores));
  if (options.workers <= 0) options.workers = static_cast<int>(std::max(16u, 8 * cores));
  if (options.max_queued == 0) options.max_queued = 8 * static_cast<std::size_t>(options.workers);
  return options;
}

}  // namespace

Server::Impl::Impl(ServerOptions options, Router& router, Authenticator authenticate)
    : m_options(resolved(std::move(options))),
      m_router(router),
      m_authenticate(std::move(authenticate)),
      m_tls(m_options.tls ? std::optional(make_tls_context(*m_options.tls)) : std::nullopt),
      m_ioc(m_options.io_threads),
      m_work(m_ioc.get_executor()),
      m_acceptor(net::make_strand(m_ioc)),
      m_workers(m_options.workers, m_options.max_queued) {
  add_builtin_routes(m_router, m_metrics, m_workers);
  const tcp::endpoint endpoint(net::ip::make_address(m_options.address), m_options.port);
  m_acceptor.open(endpoint.protocol());
  m_acceptor.set_option(net::socket_base::reuse_address(true));
  m_acceptor.bind(endpoint);
  m_acceptor.listen(net::socket_base::max_listen_connections);
  m_port = m_acceptor.local_endpoint().port();
}

void Server::Impl::leave(std::uint64_t id) {
  m_metrics.connection_closed();
  std::lock_guard lock(m_mutex);
  m_sessions.erase(id);
  m_cv.notify_all();
}

void Server::Impl::start_accept() {
  m_acceptor.async_accept(
      net::make_strand(m_ioc),
      [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!m_acceptor.is_open()) return;  // stopped
  if (ec) {
    spdlog::warn("accept failed: {}", ec.message());
    return start_accept();
  }
  std::shared_ptr<Connection> session;
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return;  // `socket` closes as it goes out of scope
    const bool reject = m_sessions.size() >= m_options.max_connections;
    const auto id = m_next_id++;
    if (m_tls) {
      session = std::make_shared<Session<TlsStream>>(std::move(socket), *this, id, reject, *m_tls);
    } else {
      session = std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *this, id, reject);
    }
    m_sessions.emplace(id, session);
  }
  m_metrics.connection_opened();
  session->start();
  start_accept();
}

void Server::Impl::run() {
  spdlog::info("{} io threads, {} workers, up to {} requests queued", m_options.io_threads,
               m_options.workers, m_options.max_queued);
  net::post(m_acceptor.get_executor(), [this] {
    if (!stopping()) start_accept();
  });
  std::vector<std::thread> io_threads;
  for (int i = 0; i < m_options.io_threads; ++i) {
    io_threads.emplace_back([this] {
      for (;;) {
        try {
          m_ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("io thread: {}", e.what());
        }
      }
    });
  }
  {
    // A request queued for a worker or running on one holds its session, so an empty
    // m_sessions means that every request has been answered.
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [this] { return m_stopping; });
    if (!m_cv.wait_for(lock, kStopGrace, [this] { return m_sessions.empty(); })) {
      spdlog::warn("stopping with {} connections still open", m_sessions.size());
    }
  }
  m_workers.stop();
  m_ioc.stop();
  for (auto& t : io_threads)
    t.join();
}

void Server::Impl::stop() {
  std::vector<std::shared_ptr<Connection>> sessions;
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return;
    m_stopping = true;
    m_stop_flag.store(true, std::memory_order_release);
    for (auto& [id, weak] : m_sessions) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
    m_cv.notify_all();
  }
  net::post(m_acceptor.get_executor(), [this] {
    beast::error_code ignored;
    m_acceptor.close(ignored);
  });
  for (auto& s : sessions)
    net::post(s->executor(), [s] { s->shutdown(); });
  m_work.reset();
}

Server::Server(ServerOptions options, Router& router, Authenticator authenticate)
    : m_impl(std::make_unique<Impl>(std::move(options), router, std::move(authenticate))) {}

Server::~Server() = default;

unsigned short Server::port() const {
  return m_impl->m_port;
}
void Server::run() {
  m_impl->run();
}
void Server::stop() {
  m_impl->stop();
}
const Metrics& Server::metrics() const {
  return m_impl->m_metrics;
}

}  // namespace juwei::http
