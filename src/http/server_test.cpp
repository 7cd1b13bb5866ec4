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
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

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

// A Server on an ephemeral port, run on its own thread; stopped when it goes out of scope.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = {}) {
    m_router.add("POST", "/echo", {}, [](Request& r) {
      return json(200, {{"bytes", r.body.size()}, {"content_type", r.content_type}});
    });
    m_router.add("GET", "/api/v1/ping", {}, [](Request&) { return json(200, {{"pong", true}}); });
    m_router.add("GET", "/slow", {}, [this](Request&) {
      m_slow_entered = true;
      std::this_thread::sleep_for(300ms);
      return json(200, {{"slow", true}});
    });
    options.port = 0;
    options.threads = 2;
    m_server =
        std::make_unique<Server>(options, m_router, [](const Request&) { return std::nullopt; });
    m_thread = std::thread([this] {
      m_server->run();
      m_returned = true;
    });
  }
  ~TestServer() {
    m_server->stop();
    if (m_thread.joinable()) m_thread.join();
  }

  Server& server() { return *m_server; }
  unsigned short port() const { return m_server->port(); }
  bool slow_entered() const { return m_slow_entered; }
  bool returned() const { return m_returned; }
  void join() { m_thread.join(); }

 private:
  Router m_router;
  std::unique_ptr<Server> m_server;
  std::thread m_thread;
  std::atomic<bool> m_slow_entered{false};
  std::atomic<bool> m_returned{false};
};

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

TEST(Server, StopLetsARequestInFlightFinish) {
  TestServer s;
  HttpResponse res;
  std::thread client([&] {
    Client c(s.port());
    res = c.send(bhttp::verb::get, "/slow");
  });
  while (!s.slow_entered())
    std::this_thread::sleep_for(1ms);
  const auto started = std::chrono::steady_clock::now();
  s.server().stop();
  client.join();
  s.join();
  EXPECT_TRUE(s.returned());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), R"({"slow":true})");
  EXPECT_FALSE(res.keep_alive());
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
