#include "http/router.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <stdexcept>

namespace juwei::http {
namespace {

struct TargetCase {
  std::string_view target;
  std::string_view path;
  std::map<std::string, std::string> query;
};

const TargetCase kTargets[] = {
    {"/healthz", "/healthz", {}},
    {"/a?x=1&y=2", "/a", {{"x", "1"}, {"y", "2"}}},
    {"/a?name=%E5%B1%85%E5%A7%94+%E4%BC%9A", "/a", {{"name", "居委 会"}}},  // UTF-8, + is space
    {"/a?q=居委", "/a", {{"q", "居委"}}},  // raw UTF-8 passes through
    {"/a?q=a%2Bb%20c", "/a", {{"q", "a+b c"}}},
    {"/a?flag&empty=", "/a", {{"flag", ""}, {"empty", ""}}},
    {"/a?x=1&x=2", "/a", {{"x", "1"}}},  // the first of repeated keys wins
    {"/a?bad=%zz%4&&k=%4", "/a", {{"bad", "%zz%4"}, {"k", "%4"}}},  // malformed escapes kept
    {"/a/%E5%BC%A0?x=1#frag", "/a/%E5%BC%A0", {{"x", "1"}}},        // the path stays encoded
};

TEST(SetTarget, SplitsPathAndDecodesQuery) {
  for (const auto& c : kTargets) {
    Request r;
    set_target(r, c.target);
    EXPECT_EQ(r.path, c.path) << c.target;
    EXPECT_EQ(r.query, c.query) << c.target;
  }
}

TEST(PercentDecode, PlusIsSpaceOnlyInQueries) {
  EXPECT_EQ(percent_decode("a+b%2B", true), "a b+");
  EXPECT_EQ(percent_decode("a+b%2B", false), "a+b+");
  EXPECT_EQ(percent_decode("%e5%b1%85", false), "居");
}

TEST(BearerToken, HeaderFirstThenCookie) {
  struct Case {
    std::string_view authorization, cookie, want;
  };
  const Case cases[] = {
      {"Bearer abc", "", "abc"},
      {"bearer  abc ", "", "abc"},
      {"BEARER abc", "juwei_session=xyz", "abc"},
      {"Basic dXNlcjpwdw==", "juwei_session=xyz", "xyz"},
      {"", "theme=dark; juwei_session=xyz; lang=zh", "xyz"},
      {"", "juwei_sessionx=1; other=2", ""},
      {"Bearer ", "", ""},
      {"", "", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(bearer_token(c.authorization, c.cookie), c.want) << c.authorization << c.cookie;
  }
}

TEST(Problem, HasTheRfc9457Shape) {
  auto r = problem(422, "Unprocessable Content", "2 fields are invalid",
                   {{"mobile", "手机号应为11位 / mobile needs 11 digits"}, {"name", "required"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("type"), "/problems/validation");
  EXPECT_EQ(body.at("title"), "Unprocessable Content");
  EXPECT_EQ(body.at("status"), 422);
  EXPECT_EQ(body.at("detail"), "2 fields are invalid");
  auto& errors = body.at("errors").as_array();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].at("field"), "mobile");
  EXPECT_EQ(errors[0].at("message"), "手机号应为11位 / mobile needs 11 digits");

  auto plain = boost::json::parse(problem(404, "Not Found", "nothing").body).as_object();
  EXPECT_EQ(plain.at("type"), "about:blank");
  EXPECT_FALSE(plain.contains("errors"));
}

TEST(Json, SerializesTheValue) {
  auto r = json(201, {{"id", "42"}, {"name", "张三"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(boost::json::parse(r.body), (boost::json::value{{"id", "42"}, {"name", "张三"}}));
}

Principal principal_for(std::string_view role) {
  return Principal{7, "li", std::string(role), 3};
}

// Tokens are "tok-<role>"; "boom" makes the authenticator throw.
std::optional<Principal> authenticate(const Request& r) {
  if (r.bearer == "boom") throw std::runtime_error("database is gone");
  if (r.bearer.starts_with("tok-")) return principal_for(r.bearer.substr(4));
  return std::nullopt;
}

// Echoes what the router filled in, so tests can see params and the principal.
Response echo(Request& r) {
  boost::json::object o;
  o["route"] = r.route;
  for (const auto& [k, v] : r.params)
    o[k] = v;
  if (r.principal) o["user_id"] = r.principal->user_id;
  return json(200, o);
}

Router test_router() {
  Router router;
  router.add("GET", "/api/v1/residents/{id}", {"secretary", "staff"}, echo);
  router.add("GET", "/api/v1/residents/search", {"staff"}, echo);
  router.add("POST", "/api/v1/residents", {"staff"}, echo);
  router.add("GET", "/api/v1/buildings/{building}/households/{room}", {"gate"}, echo);
  router.add("GET", "/public", {}, echo);
  router.add("GET", "/boom", {}, [](Request&) -> Response {
    throw std::runtime_error("secret detail at /srv/juwei.db");
  });
  return router;
}

struct DispatchCase {
  std::string_view method, path, bearer;
  int status;
  std::string_view header = "";  // "Name: value" expected in the response
};

const DispatchCase kDispatch[] = {
    {"GET", "/nope", "", 404},
    {"GET", "/public/", "", 404},
    {"GET", "/api/v1/residents/", "", 404},  // a parameter never matches an empty segment
    {"DELETE", "/api/v1/residents/5", "tok-staff", 405, "Allow: GET"},
    {"PUT", "/api/v1/residents", "", 405, "Allow: POST"},
    {"GET", "/api/v1/residents/5", "", 401, "WWW-Authenticate: Bearer"},
    {"GET", "/api/v1/residents/5", "unknown", 401, "WWW-Authenticate: Bearer"},
    {"GET", "/api/v1/residents/5", "tok-gate", 403},
    {"GET", "/api/v1/residents/5", "tok-staff", 200},
    {"GET", "/api/v1/residents/5", "tok-secretary", 200},
    {"GET", "/api/v1/residents/search", "tok-secretary", 403},  // the literal route wins
    {"GET", "/public", "", 200},
    {"GET", "/public", "unknown", 200},
    {"GET", "/public", "boom", 500},
    {"GET", "/boom", "", 500},
};

TEST(Router, MapsEveryOutcomeToItsStatus) {
  const Router router = test_router();
  for (const auto& c : kDispatch) {
    Request r;
    r.method = c.method;
    set_target(r, c.path);
    r.bearer = c.bearer;
    auto res = router.dispatch(r, authenticate);
    const auto label = fmt::format("{} {} [{}]", c.method, c.path, c.bearer);
    EXPECT_EQ(res.status, c.status) << label;
    if (c.status != 200) {
      EXPECT_EQ(res.content_type, "application/problem+json") << label;
      auto body = boost::json::parse(res.body).as_object();
      EXPECT_EQ(body.at("status"), c.status) << label;
      EXPECT_TRUE(body.contains("title") && body.contains("detail") && body.contains("type"));
    }
    if (!c.header.empty()) {
      auto colon = c.header.find(": ");
      std::pair<std::string, std::string> want{std::string(c.header.substr(0, colon)),
                                               std::string(c.header.substr(colon + 2))};
      EXPECT_NE(std::ranges::find(res.headers, want), res.headers.end()) << label;
    }
  }
}

TEST(Router, InternalErrorsRevealNothing) {
  const Router router = test_router();
  Request r;
  r.method = "GET";
  set_target(r, "/boom");
  auto res = router.dispatch(r, authenticate);
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("secret"), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find("juwei.db"), std::string::npos) << res.body;
}

TEST(Router, FillsDecodedParamsRouteAndPrincipal) {
  const Router router = test_router();
  Request r;
  r.method = "GET";
  set_target(r, "/api/v1/buildings/%E4%B8%83%E5%8F%B7%E6%A5%BC/households/1+201?x=1");
  r.bearer = "tok-gate";
  auto res = router.dispatch(r, authenticate);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(r.route, "/api/v1/buildings/{building}/households/{room}");
  EXPECT_EQ(r.params.at("building"), "七号楼");
  EXPECT_EQ(r.params.at("room"), "1+201");  // '+' is a space only in queries
  ASSERT_TRUE(r.principal);
  EXPECT_EQ(r.principal->role, "gate");
}

// Every route, called as every role (and as nobody): public routes answer everyone; the
// others answer 401 without a login and 403 to a role they do not list.
TEST(Router, EveryRouteTimesEveryRole) {
  const Router router = test_router();
  const std::string_view roles[] = {"",     "admin",     "secretary", "staff",
                                    "gate", "volunteer", "resident",  "street"};
  for (const auto& route : router.routes()) {
    for (auto role : roles) {
      Request r;
      r.method = route.method;
      std::string path = route.pattern;
      for (std::size_t at; (at = path.find('{')) != std::string::npos;) {
        path.replace(at, path.find('}', at) - at + 1, "1");
      }
      set_target(r, path);
      if (!role.empty()) r.bearer = fmt::format("tok-{}", role);
      auto res = router.dispatch(r, authenticate);
      const bool listed = std::ranges::find(route.roles, role) != route.roles.end();
      int want = route.roles.empty() ? (route.pattern == "/boom" ? 500 : 200)
                 : role.empty()      ? 401
                 : listed            ? 200
                                     : 403;
      EXPECT_EQ(res.status, want) << route.method << " " << route.pattern << " as " << role;
    }
  }
}

TEST(Router, RejectsMalformedAndDuplicateRoutes) {
  Router router = test_router();
  auto h = [](Request&) { return Response{}; };
  EXPECT_THROW(router.add("GET", "/api/v1/residents/{other}", {}, h), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/public", {}, h), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "no-slash", {}, h), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/a/x{id}", {}, h), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/a/{}", {}, h), std::invalid_argument);
  EXPECT_NO_THROW(router.add("PUT", "/public", {}, h));
}

}  // namespace
}  // namespace juwei::http

namespace juwei::http {
namespace {

// CSRF: a request that changes state with the session cookie a browser attached by itself must
// come from this site.
TEST(CrossSite, CookieSessionsChangeStateOnlyFromThisSite) {
  struct Case {
    const char* name;
    std::string method;
    bool cookie;
    std::string origin;
    std::string site;
    bool refused;
  } cases[] = {
      {"same origin", "POST", true, "http://127.0.0.1:8080", "same-origin", false},
      {"same host, no fetch metadata", "POST", true, "https://127.0.0.1:8080", "", false},
      {"another origin", "POST", true, "http://evil.example", "", true},
      {"another origin, same-site", "POST", true, "http://127.0.0.1:8080", "same-site", true},
      {"cross-site fetch metadata", "DELETE", true, "", "cross-site", true},
      {"an opaque origin", "PUT", true, "null", "", true},
      {"typed in the address bar", "POST", true, "", "none", false},
      {"not a browser", "POST", true, "", "", false},
      {"a token in Authorization", "POST", false, "http://evil.example", "cross-site", false},
      {"a read", "GET", true, "http://evil.example", "cross-site", false},
  };
  for (const Case& c : cases) {
    Request r;
    r.method = c.method;
    r.bearer = "t";
    r.bearer_from_cookie = c.cookie;
    r.origin = c.origin;
    r.sec_fetch_site = c.site;
    r.host = "127.0.0.1:8080";
    EXPECT_EQ(cross_site(r), c.refused) << c.name;
  }
  Router router;
  router.add("POST", "/x", {"staff"}, [](Request&) { return Response{204, "", "", {}}; });
  Request r;
  r.method = "POST";
  set_target(r, "/x");
  r.bearer = "t";
  r.bearer_from_cookie = true;
  r.origin = "http://evil.example";
  r.host = "127.0.0.1:8080";
  EXPECT_EQ(router
                .dispatch(r,
                          [](const Request&) {
                            return std::optional<Principal>(Principal{1, "s", "staff", 1, 0});
                          })
                .status,
            403);
}

TEST(MediaType, IsTheTypeAloneLowercased) {
  EXPECT_EQ(media_type("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(media_type(" text/csv "), "text/csv");
  EXPECT_EQ(media_type("multipart/form-data; boundary=application/json"), "multipart/form-data");
  EXPECT_EQ(media_type(""), "");
}

}  // namespace
}  // namespace juwei::http
