#include "http/server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace juwei::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

using HttpResponse = bhttp::response<bhttp::string_body>;

// A blocking HTTP/1.1 client over one connection; over TLS when given a certificate to trust (a
// PEM file), which must name "localhost", as a browser checks it.
class Client {
 public:
  explicit Client(unsigned short port, const std::filesystem::path& trusted = {})
      : m_socket(m_ioc) {
    m_socket.connect({net::ip::make_address("127.0.0.1"), port});
    if (trusted.empty()) return;
    m_tls_context.load_verify_file(trusted.string());
    m_tls.emplace(m_socket, m_tls_context);
    m_tls->set_verify_mode(net::ssl::verify_peer);
    m_tls->set_verify_callback(net::ssl::host_name_verification("localhost"));
    m_tls->handshake(net::ssl::stream_base::client);
  }

  HttpResponse send(bhttp::verb method, std::string_view target, std::string body = "",
                    std::string_view content_type = "application/json") {
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    if (!body.empty()) req.set(bhttp::field::content_type, content_type);
    req.body() = std::move(body);
    return send(std::move(req));
  }

  // Write errors are ignored: a server may answer before it has read the whole request.
  HttpResponse send(bhttp::request<bhttp::string_body> req) {
    if (!req.chunked()) req.prepare_payload();
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(req.method() == bhttp::verb::head);  // the answer has a header only
    on_stream([&](auto& stream) {
      beast::error_code ignored;
      bhttp::write(stream, req, ignored);
      bhttp::read(stream, m_buffer, parser);
    });
    return parser.release();
  }

  // Writes `bytes` as they are (malformed HTTP, say) and reads the answer.
  HttpResponse send_raw(std::string_view bytes) {
    bhttp::response_parser<bhttp::string_body> parser;
    on_stream([&](auto& stream) {
      beast::error_code ignored;
      net::write(stream, net::buffer(bytes.data(), bytes.size()), ignored);
      bhttp::read(stream, m_buffer, parser, ignored);
    });
    return parser.release();
  }

  // True when the server has closed the connection (the next read sees end of stream; over
  // TLS, with or without a close_notify).
  bool closed_by_server() {
    char byte;
    beast::error_code ec;
    on_stream([&](auto& stream) { stream.read_some(net::buffer(&byte, 1), ec); });
    return ec == net::error::eof || ec == net::error::connection_reset ||
           ec == net::ssl::error::stream_truncated;
  }

 private:
  template <typename F>
  void on_stream(F f) {
    if (m_tls) return f(*m_tls);
    f(m_socket);
  }

  net::io_context m_ioc;
  tcp::socket m_socket;
  net::ssl::context m_tls_context{net::ssl::context::tls_client};
  std::optional<net::ssl::stream<tcp::socket&>> m_tls;
  beast::flat_buffer m_buffer;
};

// cert.pem and key.pem for this machine from make_self_signed, and another key, made once in a
// temporary folder that goes at exit.
struct TestCertificate {
  TestCertificate() {
    files = make_self_signed({.out_dir = dir}, service::system_clock()).value().files;
    other_key =
        make_self_signed({.out_dir = dir / "other"}, service::system_clock()).value().files.key;
  }
  ~TestCertificate() { std::filesystem::remove_all(dir); }

  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("juwei-server-test-" + std::to_string(getpid()));
  TlsFiles files;
  std::filesystem::path other_key;
};

const TestCertificate& test_certificate() {
  static const TestCertificate certificate;
  return certificate;
}

ServerOptions https_options() {
  ServerOptions options;
  options.tls = test_certificate().files;
  return options;
}

// Holds the handlers that pass() it until open(), and counts those that came: a test knows
// what a worker is doing without sleeping on it.
class Gate {
 public:
  void pass() {
    std::unique_lock lock(m_mutex);
    ++m_entered;
    m_cv.notify_all();
    m_cv.wait(lock, [this] { return m_open; });
  }

  // Whether `n` handlers have come, waiting for them 10 s at most.
  bool wait_entered(int n) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, 10s, [&] { return m_entered >= n; });
  }

  void open() {
    std::lock_guard lock(m_mutex);
    m_open = true;
    m_cv.notify_all();
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  int m_entered = 0;    // GUARDED_BY(m_mutex)
  bool m_open = false;  // GUARDED_BY(m_mutex)
};

// A Server on an ephemeral port, run on its own thread; stopped when it goes out of scope.
// GET /wait waits at its gate(). Unless the options say otherwise: 2 io threads, 2 workers.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = {}) {
    m_router.add("POST", "/echo", {}, [](Request& r) {
      return json(200, {{"bytes", r.body.size()}, {"content_type", r.content_type}});
    });
    m_router.add("GET", "/api/v1/ping", {}, [](Request&) { return json(200, {{"pong", true}}); });
    m_router.add("GET", "/wait", {}, [this](Request&) {
      m_gate.pass();
      return json(200, {{"waited", true}});
    });
    options.port = 0;
    if (options.io_threads == 0) options.io_threads = 2;
    if (options.workers == 0) options.workers = 2;
    m_server =
        std::make_unique<Server>(options, m_router, [](const Request&) { return std::nullopt; });
    m_thread = std::thread([this] {
      m_server->run();
      m_returned = true;
    });
  }
  ~TestServer() {
    m_gate.open();  // a failed test may have left it shut
    m_server->stop();
    if (m_thread.joinable()) m_thread.join();
  }

  Server& server() { return *m_server; }
  unsigned short port() const { return m_server->port(); }
  Gate& gate() { return m_gate; }
  bool returned() const { return m_returned; }
  void join() { m_thread.join(); }

 private:
  Gate m_gate;
  Router m_router;
  std::unique_ptr<Server> m_server;
  std::thread m_thread;
  std::atomic<bool> m_returned{false};
};

// A plain HTTP connection whose every step gives up after 10 s, so that a server that never
// answers fails a test instead of hanging it.
class TimedClient {
 public:
  explicit TimedClient(unsigned short port) : m_stream(m_ioc) {
    m_stream.expires_after(10s);
    m_stream.async_connect({net::ip::make_address("127.0.0.1"), port},
                           [this](beast::error_code ec) { m_open = !ec; });
    m_ioc.run();
  }

  // The answer to GET `target`; nullopt when there was none in time (the connection is then
  // closed) or the server closed the connection.
  std::optional<HttpResponse> get(std::string_view target) {
    if (!m_open) return std::nullopt;
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    HttpResponse res;
    m_open = false;
    m_stream.expires_after(10s);
    bhttp::async_write(m_stream, req, [&](beast::error_code ec, std::size_t) {
      if (ec) return;
      bhttp::async_read(m_stream, m_buffer, res,
                        [&](beast::error_code ec, std::size_t) { m_open = !ec; });
    });
    m_ioc.restart();
    m_ioc.run();
    if (!m_open) return std::nullopt;
    return res;
  }

 private:
  net::io_context m_ioc;
  beast::tcp_stream m_stream;
  beast::flat_buffer m_buffer;
  bool m_open = false;
};

// GET `target` over a new connection.
std::optional<HttpResponse> get(unsigned short port, std::string_view target) {
  return TimedClient(port).get(target);
}

int status(const std::optional<HttpResponse>& res) {
  return res ? res->result_int() : -1;
}

// The value of an unlabelled series in the server's /metrics, or -1 when it is missing.
long metric(unsigned short port, std::string_view name) {
  const auto res = get(port, "/metrics");
  if (!res) return -1;
  const std::string line = "\n" + std::string(name) + " ";
  const auto at = res->body().find(line);
  return at == std::string::npos ? -1 : std::stol(res->body().substr(at + line.size()));
}

TEST(Server, KeepsTheConnectionAliveAcrossRequests) {
  TestServer s;
  Client c(s.port());
  auto first = c.send(bhttp::verb::get, "/healthz");
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_EQ(first.body(), R"({"status":"ok"})");
  EXPECT_TRUE(first.keep_alive());
  auto second = c.send(bhttp::verb::post, "/echo", R"({"name":"张三"})");
  EXPECT_EQ(second.result_int(), 200);
  EXPECT_EQ(second.body(), R"({"bytes":17,"content_type":"application/json"})");
}

TEST(Server, AnswersUnknownPathsWithAProblem) {
  TestServer s;
  Client c(s.port());
  auto res = c.send(bhttp::verb::get, "/api/v1/nothing");
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
  auto wrong = c.send(bhttp::verb::delete_, "/healthz");
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[bhttp::field::allow], "GET");
}

// A built web app (index.html and one hashed asset) in a temporary folder.
struct TestWebApp {
  TestWebApp() {
    std::filesystem::create_directories(dir / "assets");
    std::ofstream(dir / "index.html") << "<!doctype html><title>居委</title>";
    std::ofstream(dir / "assets" / "app-abc123.js") << "console.log(1)";
  }
  ~TestWebApp() { std::filesystem::remove_all(dir); }

  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("juwei-server-web-" + std::to_string(getpid()));
};

TEST(Server, ServesTheWebAppWhereNoRouteIs) {
  const TestWebApp app;
  const StaticFiles web(app.dir);
  ServerOptions options;
  options.web = &web;
  TestServer s(options);
  Client c(s.port());

  for (const auto* target : {"/", "/desk/requests/12"}) {
    SCOPED_TRACE(target);
    auto res = c.send(bhttp::verb::get, target);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res[bhttp::field::content_type], "text/html; charset=utf-8");
    EXPECT_EQ(res[bhttp::field::cache_control], "no-cache");
    EXPECT_EQ(res["Content-Security-Policy"], kWebAppPolicy);
    EXPECT_EQ(res.body(), "<!doctype html><title>居委</title>");
  }
  auto asset = c.send(bhttp::verb::get, "/assets/app-abc123.js");
  EXPECT_EQ(asset.result_int(), 200);
  EXPECT_EQ(asset[bhttp::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(asset.body(), "console.log(1)");

  bhttp::request<bhttp::string_body> conditional{bhttp::verb::get, "/assets/app-abc123.js", 11};
  conditional.set(bhttp::field::if_none_match, asset[bhttp::field::etag]);
  auto not_modified = c.send(std::move(conditional));
  EXPECT_EQ(not_modified.result_int(), 304);
  EXPECT_EQ(not_modified.body(), "");

  // A HEAD answer says the length and sends no body: the next answer on the connection is whole.
  auto head = c.send(bhttp::verb::head, "/assets/app-abc123.js");
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[bhttp::field::content_length], "14");
  EXPECT_EQ(head.body(), "");

  // The routes keep their answers, and what neither has stays the router's 404.
  EXPECT_EQ(c.send(bhttp::verb::get, "/api/v1/ping").body(), R"({"pong":true})");
  EXPECT_EQ(c.send(bhttp::verb::get, "/healthz").body(), R"({"status":"ok"})");
  EXPECT_EQ(c.send(bhttp::verb::post, "/echo", "{}").result_int(), 200);
  for (const auto* target : {"/api/v1/nothing", "/assets/missing.js", "/%2e%2e/etc/passwd"}) {
    SCOPED_TRACE(target);
    auto res = c.send(bhttp::verb::get, target);
    EXPECT_EQ(res.result_int(), 404);
    EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
  }
  EXPECT_EQ(c.send(bhttp::verb::post, "/desk", "{}").result_int(), 404);

  const auto metrics = c.send(bhttp::verb::get, "/metrics").body();
  EXPECT_NE(metrics.find(R"(juwei_http_requests_total{method="GET",route="web",status="200"} 3)"),
            std::string::npos)
      << metrics;
}

TEST(Server, MetricsCountTheRequestsByRoute) {
  TestServer s;
  Client c(s.port());
  c.send(bhttp::verb::get, "/healthz");
  c.send(bhttp::verb::get, "/healthz");
  c.send(bhttp::verb::get, "/no/such/path");
  auto res = c.send(bhttp::verb::get, "/metrics");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain; version=0.0.4");
  const auto& body = res.body();
  EXPECT_NE(body.find(R"(juwei_http_requests_total{method="GET",route="/healthz",status="200"} 2)"),
            std::string::npos)
      << body;
  EXPECT_NE(
      body.find(R"(juwei_http_requests_total{method="GET",route="unmatched",status="404"} 1)"),
      std::string::npos)
      << body;
  EXPECT_NE(body.find(R"(juwei_http_request_duration_seconds_bucket{method="GET",)"
                      R"(route="/healthz",le="+Inf"} 2)"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("juwei_http_open_connections 1\n"), std::string::npos) << body;
}

TEST(Server, RejectsABodyOverTheLimitWith413) {
  TestServer s;
  Client c(s.port());
  auto res = c.send(bhttp::verb::post, "/echo", std::string(2 << 20, ' '));
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.closed_by_server());
}

TEST(Server, RejectsAChunkedBodyOverTheLimitWith413) {
  TestServer s;
  Client c(s.port());
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo", 11};
  req.set(bhttp::field::content_type, "application/json");
  req.body() = std::string(2 << 20, ' ');
  req.chunked(true);
  auto res = c.send(std::move(req));
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_TRUE(c.closed_by_server());
}

TEST(Server, AnswersAMalformedChunkedBodyWith400AndCloses) {
  TestServer s;
  Client c(s.port());
  auto res = c.send_raw(
      "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_NE(res.body().find("not valid HTTP/1.1"), std::string::npos) << res.body();
  EXPECT_TRUE(c.closed_by_server());
}

TEST(Server, AcceptsLargerUploads) {
  TestServer s;
  Client c(s.port());
  auto res = c.send(bhttp::verb::post, "/echo", std::string(2 << 20, 'a'), "text/csv");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), R"({"bytes":2097152,"content_type":"text/csv"})");
}

TEST(Server, RejectsAnOversizedHeaderAndCloses) {
  TestServer s;
  Client c(s.port());
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/healthz", 11};
  req.set("X-Padding", std::string(17 * 1024, 'x'));
  auto res = c.send(std::move(req));
  EXPECT_TRUE(res.result_int() == 431 || res.result_int() == 400) << res.result_int();
  EXPECT_TRUE(c.closed_by_server());
}

TEST(Server, RejectsAnUnsupportedMediaTypeAndStaysOpen) {
  TestServer s;
  Client c(s.port());
  auto res = c.send(bhttp::verb::post, "/echo", "hello", "text/plain");
  EXPECT_EQ(res.result_int(), 415);
  EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
  EXPECT_EQ(c.send(bhttp::verb::get, "/healthz").result_int(), 200);
}

TEST(Server, AnswersOverTheConnectionCapWith503) {
  ServerOptions options;
  options.max_connections = 1;
  TestServer s(options);
  Client first(s.port());
  ASSERT_EQ(first.send(bhttp::verb::get, "/healthz").result_int(), 200);
  Client second(s.port());
  auto res = second.send(bhttp::verb::get, "/healthz");
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_TRUE(second.closed_by_server());
}

// One worker, one place in the queue: a third request is refused while the worker is still
// busy, not once it is free, and the refusal leaves the connection open for a retry.
TEST(Server, AnswersAFullQueueWith503AtOnce) {
  ServerOptions options;
  options.workers = 1;
  options.max_queued = 1;
  TestServer s(options);
  std::optional<HttpResponse> running;
  std::thread first([&] { running = get(s.port(), "/wait"); });
  const bool entered = s.gate().wait_entered(1);

  // Two more at once: one takes the queue's place, the other finds it full. Each connection
  // asks again once the gate is open, so a refused one shows it stayed open.
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::optional<HttpResponse>> answers;  // GUARDED_BY(mutex), in the order received
  std::optional<HttpResponse> retried;
  bool opened = false;  // GUARDED_BY(mutex)
  std::vector<std::thread> others;
  for (int i = 0; i < 2; ++i) {
    others.emplace_back([&] {
      TimedClient c(s.port());
      auto res = c.get("/wait");
      std::unique_lock lock(mutex);
      answers.push_back(res);
      cv.notify_all();
      if (status(res) != 503) return;
      cv.wait(lock, [&] { return opened; });
      lock.unlock();
      retried = c.get("/wait");
    });
  }
  std::optional<HttpResponse> refused;
  {
    std::unique_lock lock(mutex);
    if (cv.wait_for(lock, 10s, [&] { return !answers.empty(); })) refused = answers.front();
  }
  // While the worker is still held: the built-in routes are answered by the io threads.
  const auto health = get(s.port(), "/healthz");
  const long rejected = metric(s.port(), "juwei_http_rejected_requests_total");
  const long queued = metric(s.port(), "juwei_http_queued_requests");
  const long busy = metric(s.port(), "juwei_http_busy_workers");
  s.gate().open();
  first.join();
  {
    // The retry comes once the other two are answered, when the pool is empty again.
    std::unique_lock lock(mutex);
    cv.wait_for(lock, 10s, [&] { return answers.size() == 2; });
    opened = true;
    cv.notify_all();
  }
  for (auto& t : others)
    t.join();

  EXPECT_TRUE(entered);
  ASSERT_TRUE(refused) << "no answer while the worker was busy";
  EXPECT_EQ(refused->result_int(), 503);
  EXPECT_EQ((*refused)[bhttp::field::retry_after], "1");
  EXPECT_EQ((*refused)[bhttp::field::content_type], "application/problem+json");
  EXPECT_TRUE(refused->keep_alive());
  EXPECT_EQ(status(health), 200);
  EXPECT_EQ(rejected, 1);
  EXPECT_EQ(queued, 1);
  EXPECT_EQ(busy, 1);
  EXPECT_EQ(status(running), 200);
  ASSERT_EQ(answers.size(), 2U);
  EXPECT_EQ(status(answers[1]), 200);  // the queued one, once the worker was free
  EXPECT_EQ(status(retried), 200);
}

// A request running on the worker and one queued for it when stop() comes: both finish and
// answer, and run() returns only then.
TEST(Server, StopLetsRequestsRunningAndQueuedFinish) {
  ServerOptions options;
  options.workers = 1;
  TestServer s(options);
  std::optional<HttpResponse> running;
  std::optional<HttpResponse> queued;
  std::thread first([&] { running = get(s.port(), "/wait"); });
  const bool entered = s.gate().wait_entered(1);
  std::thread second([&] { queued = get(s.port(), "/wait"); });
  // Nothing signals that a request has been queued but the queue's gauge: poll it.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (metric(s.port(), "juwei_http_queued_requests") < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  const bool was_queued = metric(s.port(), "juwei_http_queued_requests") == 1;
  s.server().stop();
  const bool returned_early = s.returned();
  s.gate().open();
  first.join();
  second.join();
  s.join();

  EXPECT_TRUE(entered);
  EXPECT_TRUE(was_queued);
  EXPECT_FALSE(returned_early);
  EXPECT_TRUE(s.returned());
  for (const auto* res : {&running, &queued}) {
    ASSERT_EQ(status(*res), 200);
    EXPECT_EQ((*res)->body(), R"({"waited":true})");
    EXPECT_FALSE((*res)->keep_alive());
  }
}

TEST(Server, StopClosesIdleConnectionsAtOnce) {
  TestServer s;
  Client c(s.port());
  ASSERT_EQ(c.send(bhttp::verb::get, "/healthz").result_int(), 200);
  const auto started = std::chrono::steady_clock::now();
  s.server().stop();
  s.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_TRUE(c.closed_by_server());
}

// Over TLS, with a certificate from make_self_signed: the same keep-alive and the same limits.
TEST(Server, ServesHttpsWithTheSameKeepAliveAndLimits) {
  TestServer s(https_options());
  const auto& cert = test_certificate().files.cert;
  Client c(s.port(), cert);
  auto first = c.send(bhttp::verb::get, "/healthz");
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_TRUE(first.keep_alive());
  auto second = c.send(bhttp::verb::post, "/echo", R"({"name":"张三"})");
  EXPECT_EQ(second.body(), R"({"bytes":17,"content_type":"application/json"})");
  auto big = c.send(bhttp::verb::post, "/echo", std::string(2 << 20, ' '));
  EXPECT_EQ(big.result_int(), 413);
  EXPECT_TRUE(c.closed_by_server());

  Client last(s.port(), cert);
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/healthz", 11};
  req.keep_alive(false);
  EXPECT_EQ(last.send(std::move(req)).result_int(), 200);
  EXPECT_TRUE(last.closed_by_server());
}

TEST(Server, AnHttpsPortRefusesPlainHttp) {
  TestServer s(https_options());
  Client plain(s.port());
  EXPECT_THROW(plain.send(bhttp::verb::get, "/healthz"), boost::system::system_error);
}

TEST(Server, DropsAClientThatDoesNotShakeHandsWithinTheReadTimeout) {
  ServerOptions options = https_options();
  options.read_timeout = 1s;
  TestServer s(options);
  Client silent(s.port());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(Server, RefusesTlsFilesItCannotUse) {
  const auto& good = test_certificate().files;
  struct Case {
    TlsFiles files;
    std::string message;
  };
  const Case cases[] = {
      {{good.cert.string() + ".missing", good.key},
       "cannot read the TLS certificate " + good.cert.string() + ".missing: No such file"},
      {{good.cert, good.key.parent_path()},
       "cannot read the TLS key " + good.key.parent_path().string() + ": Is a directory"},
      {{good.key, good.key},
       "the TLS certificate " + good.key.string() + " is not a PEM certificate"},
      {{good.cert, good.cert},
       "the TLS key " + good.cert.string() + " is not an unencrypted PEM private key"},
      {{good.cert, test_certificate().other_key},
       "the TLS key " + test_certificate().other_key.string() +
           " does not belong to the certificate " + good.cert.string()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    Router router;
    ServerOptions options;
    options.port = 0;
    options.tls = c.files;
    try {
      Server server(options, router, [](const Request&) { return std::nullopt; });
      ADD_FAILURE() << "started";
    } catch (const TlsError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(c.message));
    }
  }
}

}  // namespace
}  // namespace juwei::http

namespace juwei::http {
namespace {

TEST(Metrics, AreForThisMachineOnly) {
  for (const char* local : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback(local)) << local;
  }
  for (const char* remote :
       {"10.0.0.7", "192.168.1.20", "::ffff:10.0.0.7", "fe80::1", "", "1.127.0.0"}) {
    EXPECT_FALSE(is_loopback(remote)) << remote;
  }
}

}  // namespace
}  // namespace juwei::http
