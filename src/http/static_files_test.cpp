#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "service/digest.hpp"

namespace juwei::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIndexHtml = "<!doctype html><title>居委</title>";
constexpr std::string_view kAppJs = "console.log('居委')";
constexpr std::string_view kAppJsGz = "\x1f\x8b pretend gzip";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";

// A folder laid out as Vite builds the web app, with a secret beside it that must stay out of
// reach, removed at the end.
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("juwei-static-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
    write("secret.txt", "the secret");
    write("web/index.html", kIndexHtml);
    write("web/assets/app-abc123.js", kAppJs);
    write("web/assets/app-abc123.js.gz", kAppJsGz);
    write("web/assets/index-9f8e7d.css", "body{}");
    write("web/assets/logo-1a2b.svg", "<svg/>");
    write("web/assets/font-77aa.woff2", "wOF2");
    write("web/favicon.ico", "ico");
    write("web/manifest.webmanifest", "{}");
    write("web/data.bin", "bytes");
    write("web/通知.txt", "通知");
    write("web/api/v1/stray.json", "{}");
    write("web/.env", "TOKEN=1");
    write("web/.cache/app.js", "stale");
    fs::create_symlink("../secret.txt", m_dir / "web/leak.txt");
    fs::create_symlink(m_dir, m_dir / "web/up");
    fs::create_symlink("assets/app-abc123.js", m_dir / "web/alias.js");
    m_files.emplace(m_dir / "web");
  }
  void TearDown() override { fs::remove_all(m_dir); }

  void write(const std::string& name, std::string_view content) {
    const fs::path path = m_dir / fs::path(std::u8string(name.begin(), name.end()));
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }

  std::optional<Response> get(std::string_view target, std::string method = "GET",
                              std::string accept_encoding = "", std::string if_none_match = "") {
    Request request;
    request.method = std::move(method);
    set_target(request, target);
    request.accept_encoding = std::move(accept_encoding);
    request.if_none_match = std::move(if_none_match);
    return m_files->serve(request);
  }

  fs::path m_dir;
  std::optional<StaticFiles> m_files;
};

std::string header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

std::string etag_of(std::string_view bytes) {
  return "\"" + service::blake2b_hex(bytes) + "\"";
}

TEST_F(StaticFilesTest, ServesEachFileWithItsTypeAndCaching) {
  struct Case {
    std::string_view target;
    std::string_view content_type;
    std::string_view cache_control;
    std::string_view body;
  };
  const Case cases[] = {
      {"/", "text/html; charset=utf-8", "no-cache", kIndexHtml},
      {"/index.html", "text/html; charset=utf-8", "no-cache", kIndexHtml},
      {"/assets/app-abc123.js", "text/javascript; charset=utf-8", kImmutable, kAppJs},
      {"/assets/app-abc123.js?v=2", "text/javascript; charset=utf-8", kImmutable, kAppJs},
      {"/assets/index-9f8e7d.css", "text/css; charset=utf-8", kImmutable, "body{}"},
      {"/assets/logo-1a2b.svg", "image/svg+xml", kImmutable, "<svg/>"},
      {"/assets/font-77aa.woff2", "font/woff2", kImmutable, "wOF2"},
      {"/favicon.ico", "image/x-icon", "no-cache", "ico"},
      {"/manifest.webmanifest", "application/manifest+json", "no-cache", "{}"},
      {"/data.bin", "application/octet-stream", "no-cache", "bytes"},
      {"/%E9%80%9A%E7%9F%A5.txt", "text/plain; charset=utf-8", "no-cache", "通知"},
      {"/alias.js", "text/javascript; charset=utf-8", "no-cache", kAppJs},  // link inside
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    const auto response = get(c.target);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->content_type, c.content_type);
    EXPECT_EQ(header(*response, "Cache-Control"), c.cache_control);
    EXPECT_EQ(header(*response, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(header(*response, "ETag"), etag_of(c.body));
    EXPECT_EQ(response->body, c.body);
  }
}

TEST_F(StaticFilesTest, HtmlCarriesTheContentSecurityPolicy) {
  EXPECT_EQ(header(*get("/"), "Content-Security-Policy"), kWebAppPolicy);
  EXPECT_EQ(header(*get("/desk/requests/12"), "Content-Security-Policy"), kWebAppPolicy);
  EXPECT_EQ(header(*get("/assets/app-abc123.js"), "Content-Security-Policy"), "");
}

TEST_F(StaticFilesTest, AnswersAMatchingIfNoneMatchWith304) {
  const std::string etag = etag_of(kAppJs);
  struct Case {
    std::string if_none_match;
    int status;
  };
  const Case cases[] = {
      {etag, 304},
      {"W/" + etag, 304},  // If-None-Match compares weakly
      {"\"other\", " + etag, 304},
      {"*", 304},
      {"\"other\"", 200},
      {"", 200},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.if_none_match);
    const auto response = get("/assets/app-abc123.js", "GET", "", c.if_none_match);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, c.status);
    EXPECT_EQ(header(*response, "ETag"), etag);
    EXPECT_EQ(header(*response, "Cache-Control"), kImmutable);
    EXPECT_EQ(response->body.empty(), c.status == 304);
  }
}

TEST_F(StaticFilesTest, SendsThePrecompressedFileWhenGzipIsAccepted) {
  struct Case {
    std::string accept_encoding;
    bool gzip;
  };
  const Case cases[] = {
      {"gzip, deflate, br", true},
      {"GZIP", true},
      {"br;q=1, gzip;q=0.5", true},
      {"*", true},
      {"gzip;q=0", false},
      {"gzip;q=0, *", false},
      {"br", false},
      {"", false},
      {"x-gzip", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.accept_encoding);
    const auto response = get("/assets/app-abc123.js", "GET", c.accept_encoding);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(header(*response, "Vary"), "Accept-Encoding");
    EXPECT_EQ(header(*response, "Content-Encoding"), c.gzip ? "gzip" : "");
    EXPECT_EQ(response->body, c.gzip ? kAppJsGz : kAppJs);
    EXPECT_EQ(header(*response, "ETag"), etag_of(c.gzip ? kAppJsGz : kAppJs));
  }
  EXPECT_EQ(header(*get("/", "GET", "gzip"), "Vary"), "");  // no index.html.gz
  EXPECT_FALSE(get("/assets/app-abc123.js.gz"));            // an encoding, not a file
}

TEST_F(StaticFilesTest, HeadGetsTheAnswerOfGet) {
  const auto head = get("/assets/app-abc123.js", "HEAD");
  ASSERT_TRUE(head);
  const auto plain = get("/assets/app-abc123.js");
  EXPECT_EQ(head->status, plain->status);
  EXPECT_EQ(head->headers, plain->headers);
  EXPECT_EQ(head->body, plain->body);  // the Server sends its length only
  EXPECT_EQ(get("/desk", "HEAD")->body, kIndexHtml);
}

// The app's router owns these paths: a reload there gets index.html.
TEST_F(StaticFilesTest, AnswersAppRoutesWithTheIndex) {
  for (const auto* target :
       {"/desk/requests/12", "/desk", "/gate/", "/login?next=%2Fdesk", "/%E5%B1%85%E6%B0%91/12"}) {
    SCOPED_TRACE(target);
    const auto response = get(target);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, kIndexHtml);
    EXPECT_EQ(response->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(header(*response, "Cache-Control"), "no-cache");
  }
}

TEST_F(StaticFilesTest, LeavesTheRestToTheCaller) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"GET", "/assets/missing.js"},  // a missing asset is a real 404
      {"GET", "/assets/more/route"},  // even without a dot
      {"GET", "/missing.png"},        // a file name, not an app route
      {"GET", "/api/v1/nope"},        // the API's, file or not
      {"GET", "/api/v1/stray.json"},
      {"GET", "/api"},
      {"POST", "/index.html"},  // GET and HEAD only
      {"DELETE", "/desk/requests/12"},
      {"GET", "/.env"},  // hidden files are not read
      {"GET", "/.cache/app.js"},
      {"GET", "/leak.txt"},       // a link out of the folder is not followed
      {"GET", "/up/secret.txt"},  // nor a link to a folder
      {"GET", "/up/web/index.html"},
  };
  for (const auto& [method, target] : cases) {
    SCOPED_TRACE(target);
    EXPECT_FALSE(get(target, std::string(method)));
  }
}

TEST_F(StaticFilesTest, NoPathReachesOutsideTheFolder) {
  for (const auto* target : {
           "/../secret.txt",
           "/../etc/passwd",
           "/%2e%2e/secret.txt",
           "/%2E%2E/x",
           "/assets/../../secret.txt",
           "/assets/..%2f..%2fsecret.txt",
           "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
           "/..%5csecret.txt",
           "/assets\\..\\..\\secret.txt",
           "/index.html%00.js",
           "/./index.html",
           "/desk/../../etc",
       }) {
    SCOPED_TRACE(target);
    EXPECT_FALSE(get(target));
  }
}

TEST_F(StaticFilesTest, CountsWhatItRead) {
  // index, 4 assets, favicon, manifest, data, 通知.txt, stray.json, alias.js
  EXPECT_EQ(m_files->file_count(), 11u);
}

TEST(StaticFiles, RefusesAFolderThatIsNotThere) {
  EXPECT_THROW(StaticFiles("/nonexistent/juwei-web"), fs::filesystem_error);
}

}  // namespace
}  // namespace juwei::http
