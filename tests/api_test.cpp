// The API against the real server: `juwei serve` on a free port over a temporary SQLite file
// holding a small generated community, exercised over HTTP with curl.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "support/http_call.hpp"
#include "support/juwei_process.hpp"
#include "support/openapi_routes.hpp"
#include "support/pg_test_database.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using juwei::testing::iso_now;
using juwei::testing::slurp;

// A PNG's signature and a little more: enough for the content check.
const std::string kPng = std::string("\x89PNG\r\n\x1A\n", 8) + "not really pixels";

using juwei::testing::Reply;
using juwei::testing::url_encode;

class Api : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::random_device rd;
    s_dir = new fs::path(fs::temp_directory_path() / ("juwei-api-" + std::to_string(rd())));
    fs::create_directories(*s_dir);
    s_db = new std::string(juwei::testing::test_database_url(s_dir->string()));
    run("init --community 春晖居民区 --db " + *s_db);
    run("gen --households 30 --residents 80 --volunteers 4 --csv " + (*s_dir / "r.csv").string());
    run("import residents " + (*s_dir / "r.csv").string() + " --db " + *s_db);
    for (const char* user : {"liumiao:secretary", "staff1:staff", "gate1:gate", "vol1:volunteer",
                             "admin2:admin", "street1:street", "res1:resident"}) {
      const std::string name = std::string(user).substr(0, std::string(user).find(':'));
      const std::string role = std::string(user).substr(name.size() + 1);
      std::ofstream(*s_dir / "pw") << "password-" << name << "\n";
      // The resident's account belongs to resident 1 (the first household's first member).
      run("user add " + name + " --role " + role + (role == "resident" ? " --resident 1" : "") +
          (role == "street" ? " --street 春晖街道" : "") + " --password-stdin --db " + *s_db +
          " < " + (*s_dir / "pw").string());
    }
    start_server();
  }
  static void TearDownTestSuite() {
    delete s_server;  // stops it
    s_server = nullptr;
    fs::remove_all(*s_dir);
  }

  static void run(const std::string& args) {
    const std::string cmd = std::string(JUWEI_BIN) + " " + args + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  static void start_server() {
    delete s_server;
    s_server = new juwei::testing::ServerProcess(JUWEI_BIN, *s_db, {"--threads", "2"});
    s_base = &s_server->direct_url();  // the server itself, not the spec validator
  }

  // One request with curl: method, path, optional JSON body, optional bearer token.
  static Reply call(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& token = "",
                    const std::string& content_type = "application/json",
                    const std::vector<std::string>& headers = {}) {
    return juwei::testing::curl(*s_dir, *s_server, method, path, body, token, content_type,
                                headers);
  }

  static std::string login(const std::string& name) {
    const Reply r = call("POST", "/api/v1/session",
                         R"({"username":")" + name + R"(","password":"password-)" + name + R"("})");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("token").as_string());
  }

  static inline fs::path* s_dir = nullptr;
  static inline std::string* s_db = nullptr;
  static inline const std::string* s_base = nullptr;
  static inline juwei::testing::ServerProcess* s_server = nullptr;
};

TEST_F(Api, HealthAndMetricsArePublic) {
  Reply r = call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("status").as_string(), "ok");
  r = call("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("# TYPE"), std::string::npos) << r.body;
}

TEST_F(Api, LoginGivesATokenAndACookieWrongPasswordsDoNot) {
  Reply r =
      call("POST", "/api/v1/session", R"({"username":"staff1","password":"password-staff1"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("user").at("role").as_string(), "staff");
  EXPECT_NE(r.headers.find("juwei_session="), std::string::npos);
  EXPECT_NE(r.headers.find("HttpOnly"), std::string::npos);
  const std::string token(r.json().at("token").as_string());
  r = call("GET", "/api/v1/me", "", token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("username").as_string(), "staff1");

  r = call("POST", "/api/v1/session", R"({"username":"staff1","password":"nope-nope-nope"})");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.find("application/problem+json"), std::string::npos) << r.headers;

  // CSRF: the cookie a browser attaches by itself changes nothing from another site; the same
  // request from this site, or with the token in Authorization, does.
  const std::string cookie = "Cookie: juwei_session=" + token;
  const std::string building = R"({"name":"CSRF楼","floors":6})";
  r = call("POST", "/api/v1/buildings", building, "", "application/json",
           {cookie, "Origin: http://evil.example"});
  EXPECT_EQ(r.status, 403) << r.body;
  r = call("POST", "/api/v1/buildings", building, "", "application/json",
           {cookie, "Sec-Fetch-Site: cross-site"});
  EXPECT_EQ(r.status, 403) << r.body;
  // A JSON body under another media type is not JSON.
  r = call("POST", "/api/v1/buildings", building, token,
           "multipart/form-data; boundary=application/json");
  EXPECT_EQ(r.status, 415) << r.body;
  const std::string here = "Origin: " + *s_base;
  r = call("POST", "/api/v1/buildings", building, "", "application/json", {cookie, here});
  EXPECT_EQ(r.status, 201) << r.body;

  r = call("DELETE", "/api/v1/session", "", token);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(call("GET", "/api/v1/me", "", token).status, 401);
}

TEST_F(Api, BadRequestsGetProblemsNamingTheField) {
  Reply r = call("POST", "/api/v1/session", "{not json");
  EXPECT_EQ(r.status, 400);
  r = call("POST", "/api/v1/session", R"({"username":"a","password":1,"extra":"x"})");
  ASSERT_EQ(r.status, 400);
  const auto errors = r.json().at("errors").as_array();
  std::set<std::string> fields;
  for (const auto& e : errors)
    fields.insert(std::string(e.at("field").as_string()));
  EXPECT_EQ(fields, (std::set<std::string>{"password", "extra"}));
  r = call("POST", "/api/v1/session", "username=a", "", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(call("GET", "/api/v1/nothing").status, 404);
  EXPECT_EQ(call("PUT", "/api/v1/session", "{}").status, 405);
  const std::string token = login("staff1");
  r = call("GET", "/api/v1/residents?limit=0", "", token);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.json().at("errors").as_array()[0].at("field").as_string(), "limit");
}

// Every documented route (the spec and the server's routes are the same set: ApiSpec) ×
// every role: 401 without a token, 403 for a role it does not admit, and past the role check
// for the roles it does: 2xx for reads; for writes, sent without a body, a 4xx about the body.
TEST_F(Api, RolesAreCheckedOnEveryRoute) {
  const auto routes =
      juwei::testing::openapi_routes(std::string(JUWEI_SOURCE_DIR) + "/docs/openapi.yaml");
  const std::pair<const char*, const char*> users[] = {
      {"liumiao", "secretary"}, {"staff1", "staff"},   {"gate1", "gate"},    {"vol1", "volunteer"},
      {"admin2", "admin"},      {"street1", "street"}, {"res1", "resident"},
  };
  std::map<std::string, std::string> tokens;
  for (const auto& [user, role] : users)
    tokens[role] = login(user);
  // Record 1 of each kind exists: round 1 too, and antigen test 1 (with a photo).
  ASSERT_EQ(call("POST", "/api/v1/rounds", R"({"day":"2022-04-04"})", tokens["secretary"]).status,
            201);
  ASSERT_EQ(call("POST",
                 "/api/v1/residents/1/antigen-tests?result=negative&tested_at=2022-04-04T08:00:00Z",
                 kPng, tokens["resident"], "image/png")
                .status,
            201);
  // Exit request 1 (resident 1's) with proof 1, and pass 1 (an emergency release).
  ASSERT_EQ(call("POST", "/api/v1/exit-requests",
                 R"({"resident_id":"1","reason":"medical_staff_return","destination":"医院",)"
                 R"("planned_exit":"2030-01-01T08:00:00+08:00"})",
                 tokens["staff"])
                .status,
            201);
  ASSERT_EQ(call("POST", "/api/v1/exit-requests/1/proofs", "%PDF-1.4\n%%EOF\n", tokens["staff"],
                 "application/pdf")
                .status,
            201);
  ASSERT_EQ(call("POST", "/api/v1/emergency-exits",
                 R"({"resident_id":"1","reason":"childbirth","destination":"妇幼保健院",)"
                 R"("note":"临产"})",
                 tokens["staff"])
                .status,
            201);
  // Actions that take no body: admitted roles act (2xx) or are told the state forbids it. A
  // return takes a body from the desk (its reason), none from a resident: 400 for the desk.
  const std::set<std::string> bodyless = {"POST /api/v1/passes/{id}/exit",
                                          "POST /api/v1/passes/{id}/return",
                                          "POST /api/v1/pass-keys/rotation"};
  const auto needs_reason = [](const std::string& route, const std::string& role) {
    return route == "POST /api/v1/passes/{id}/return" && role != "resident";
  };
  int checked = 0;
  for (const auto& [route, roles] : routes) {
    if (roles.empty() || route == "DELETE /api/v1/session") continue;  // public; logout below
    const std::string method = route.substr(0, route.find(' '));
    std::string path = route.substr(method.size() + 1);
    // Every path parameter ({id}, {household_id}) names record 1.
    for (auto at = path.find('{'); at != std::string::npos; at = path.find('{')) {
      path.replace(at, path.find('}', at) - at + 1, "1");
    }
    SCOPED_TRACE(route);
    EXPECT_EQ(call(method, path).status, 401);
    for (const auto& [user, role] : users) {
      const Reply r = call(method, path, "", tokens[role]);
      if (!roles.contains(role)) {
        EXPECT_EQ(r.status, 403) << role;
      } else if ((route == "GET /api/v1/reports/daily" || route == "GET /api/v1/reports/series") &&
                 std::string_view(role) == "street") {
        // A street office names the community of its street it reads.
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_NE(r.body.find("\"field\":\"community\""), std::string::npos) << r.body;
      } else if (method == "GET") {
        EXPECT_TRUE(r.status >= 200 && r.status < 300) << role << " " << r.status << r.body;
      } else if (needs_reason(route, role)) {
        EXPECT_EQ(r.status, 400) << role << " " << r.body;
      } else if (bodyless.contains(route)) {
        EXPECT_TRUE((r.status >= 200 && r.status < 300) || r.status == 409)
            << role << " " << r.status << r.body;
      } else if (method == "DELETE" && r.status == 404) {
        // Admitted; there was nothing to delete.
      } else {
        EXPECT_TRUE(r.status == 400 || r.status == 415) << role << " " << r.status << r.body;
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 15);
  for (const auto& [user, role] : users) {
    EXPECT_EQ(call("DELETE", "/api/v1/session", "", tokens[role]).status, 204) << role;
  }
}

TEST_F(Api, ResidentsAreSearchedPagedAndMaskedForTheGate) {
  const std::string staff = login("staff1");
  Reply r = call("GET", "/api/v1/residents?limit=50", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto first = r.json().at("items").as_array();
  ASSERT_EQ(first.size(), 50u);
  const std::string cursor(r.json().at("next_cursor").as_string());
  r = call("GET", "/api/v1/residents?limit=50&cursor=" + cursor, "", staff);
  EXPECT_EQ(r.json().at("items").as_array().size(), 30u);
  EXPECT_TRUE(r.json().at("next_cursor").is_null());

  const std::string id_number(first[0].at("id_number").as_string());
  EXPECT_TRUE(std::regex_match(id_number, std::regex("[0-9]{17}[0-9X]")));
  const std::string last4 = id_number.substr(14);
  r = call("GET", "/api/v1/residents?q=" + last4, "", login("gate1"));
  ASSERT_EQ(r.status, 200);
  bool found = false;
  const auto masked_page = r.json();
  for (const auto& item : masked_page.at("items").as_array()) {
    const std::string masked(item.at("id_number").as_string());
    EXPECT_EQ(masked.substr(4, 10), "**********");
    found = found || masked.ends_with(last4);
  }
  EXPECT_TRUE(found);
  const std::string building(first[0].at("building").as_string());
  r = call("GET", "/api/v1/residents?building=" + url_encode(building), "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto building_page = r.json();
  for (const auto& item : building_page.at("items").as_array()) {
    EXPECT_EQ(item.at("building").as_string(), building);
  }
  r = call("GET", "/api/v1/residents?building=" + url_encode("99号楼"), "", staff);
  EXPECT_EQ(r.status, 404);
}

std::string location_id(const Reply& r) {
  const std::regex location("Location: /api/v1/[a-z]+/([0-9]+)", std::regex::icase);
  std::smatch m;
  return std::regex_search(r.headers, m, location) ? m[1].str() : "";
}

std::set<std::string> error_fields(const Reply& r) {
  std::set<std::string> fields;
  const json::value body = r.json();
  for (const auto& e : body.at("errors").as_array())
    fields.insert(std::string(e.at("field").as_string()));
  return fields;
}

TEST_F(Api, BuildingsHouseholdsAndResidentsAreCreatedChangedAndRemoved) {
  const std::string staff = login("staff1");
  // A building: created, refused twice, read, changed.
  Reply r = call("POST", "/api/v1/buildings", R"({"name":"99号楼","floors":6})", staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string building = location_id(r);
  ASSERT_FALSE(building.empty()) << r.headers;
  EXPECT_EQ(call("POST", "/api/v1/buildings", R"({"name":"99号楼"})", staff).status, 409);
  r = call("POST", "/api/v1/buildings", R"({"name":"","floors":999})", staff);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(error_fields(r), (std::set<std::string>{"name", "floors"}));
  r = call("PATCH", "/api/v1/buildings/" + building, R"({"floors":7})", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("floors").as_int64(), 7);
  EXPECT_EQ(call("GET", "/api/v1/buildings/" + building, "", staff).json().at("name"), "99号楼");
  EXPECT_EQ(call("GET", "/api/v1/buildings/99999", "", staff).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/buildings/abc", "", staff).status, 404);

  // A household in it, and a resident: the first try has a bad ID number and phone.
  r = call("POST", "/api/v1/households", R"({"building_id":")" + building + R"(","room":"101"})",
           staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string household = location_id(r);
  r = call("POST", "/api/v1/residents",
           R"({"name":"陈护士","id_number":"310101199001011235","phone":"123","household_id":")" +
               household + R"("})",
           staff);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_fields(r), (std::set<std::string>{"id_number", "phone"}));
  const auto first_error = r.json().at("errors").as_array()[0];
  EXPECT_FALSE(first_error.at("code").as_string().empty());
  EXPECT_FALSE(first_error.at("message_zh").as_string().empty());
  const std::string resident_body =
      R"({"name":"陈护士","id_number":"11010519491231002X","phone":"139 1234 5678",)"
      R"("relation":"户主","vulnerabilities":["chronic_medication"],"volunteer":true,)"
      R"("household_id":")" +
      household + R"("})";
  r = call("POST", "/api/v1/residents", resident_body, staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string resident = location_id(r);
  EXPECT_EQ(r.json().at("phone"), "13912345678");
  EXPECT_EQ(r.json().at("building"), "99号楼");
  EXPECT_EQ(r.json().at("relation"), "head");
  EXPECT_EQ(call("POST", "/api/v1/residents", resident_body, staff).status, 409);

  // Found by name, by room in its building, by the last four of the phone; masked for the gate.
  EXPECT_EQ(call("GET", "/api/v1/residents?q=" + url_encode("陈护士"), "", staff)
                .json()
                .at("items")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(call("GET", "/api/v1/residents?q=" + url_encode("99号楼101"), "", staff)
                .json()
                .at("items")
                .as_array()
                .size(),
            1u);
  // Building names as people write them are the one building (issue 17 item 6).
  const std::pair<std::string, std::string> written[] = {
      {"q", "99-101"}, {"q", "九十九号楼"}, {"q", "99栋101室"}, {"building", "99"}};
  for (const auto& [param, value] : written) {
    r = call("GET", "/api/v1/residents?" + param + "=" + url_encode(value), "", staff);
    ASSERT_EQ(r.status, 200) << value << r.body;
    EXPECT_EQ(r.json().at("items").as_array().size(), 1u) << value << r.body;
  }
  EXPECT_EQ(call("POST", "/api/v1/buildings", R"({"name":"九十九号楼"})", staff).status, 409);
  const json::value by_last4 = call("GET", "/api/v1/residents?q=5678", "", staff).json();
  bool by_phone = false;
  for (const auto& item : by_last4.at("items").as_array())
    by_phone |= item.at("id").as_string() == resident;
  EXPECT_TRUE(by_phone);
  r = call("GET", "/api/v1/residents/" + resident, "", login("gate1"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("id_number"), "1101**********002X");

  // Changed, then removed with a reason; the household then has nobody and can go too.
  r = call("PATCH", "/api/v1/residents/" + resident, R"({"phone":"13800001111","notes":"护士"})",
           staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("phone"), "13800001111");
  EXPECT_EQ(r.json().at("name"), "陈护士");
  EXPECT_EQ(call("DELETE", "/api/v1/households/" + household, R"({"reason":"空户"})", staff).status,
            409);
  r = call("DELETE", "/api/v1/residents/" + resident, R"({"reason":""})", staff);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(error_fields(r), (std::set<std::string>{"reason"}));
  EXPECT_EQ(call("DELETE", "/api/v1/residents/" + resident, R"({"reason":"搬离"})", staff).status,
            204);
  r = call("GET", "/api/v1/residents/" + resident, "", staff);
  EXPECT_EQ(r.json().at("removal_reason"), "搬离");
  EXPECT_TRUE(call("GET", "/api/v1/residents?q=" + url_encode("陈护士"), "", staff)
                  .json()
                  .at("items")
                  .as_array()
                  .empty());
  // Registering the same ID number again brings the record back (200, same id).
  r = call("POST", "/api/v1/residents", resident_body, staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("id").as_string(), resident);
  EXPECT_TRUE(r.json().at("removed_at").is_null());
  EXPECT_EQ(call("DELETE", "/api/v1/residents/" + resident, R"({"reason":"搬离"})", staff).status,
            204);
  EXPECT_EQ(call("DELETE", "/api/v1/households/" + household, R"({"reason":"空户"})", staff).status,
            204);
  EXPECT_EQ(call("DELETE", "/api/v1/buildings/" + building, R"({"reason":"拆除"})", staff).status,
            204);
  r = call("GET", "/api/v1/households?building_id=" + building, "", staff);
  EXPECT_TRUE(r.json().at("items").as_array().empty());
}

TEST_F(Api, ARetriedCreateWithAnIdempotencyKeyCreatesOnce) {
  const std::string staff = login("staff1");
  const std::vector<std::string> key = {"Idempotency-Key: retry-1"};
  Reply first =
      call("POST", "/api/v1/buildings", R"({"name":"88号楼"})", staff, "application/json", key);
  ASSERT_EQ(first.status, 201) << first.body;
  Reply again =
      call("POST", "/api/v1/buildings", R"({"name":"88号楼"})", staff, "application/json", key);
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.body, first.body);
  EXPECT_TRUE(juwei::testing::has_header(again, "Idempotent-Replayed", "true")) << again.headers;
  Reply other =
      call("POST", "/api/v1/buildings", R"({"name":"87号楼"})", staff, "application/json", key);
  EXPECT_EQ(other.status, 409) << other.body;
  // Without the key the same request is a new attempt, and the name is taken.
  EXPECT_EQ(call("POST", "/api/v1/buildings", R"({"name":"88号楼"})", staff).status, 409);
}

// rule: every state change is audited with its actor: a building created over HTTP is in the
// trail under the user who created it.
TEST_F(Api, ABuildingCreatedOverHttpIsAuditedUnderItsUser) {
  const std::string staff = login("staff1");
  const json::value me = call("GET", "/api/v1/me", "", staff).json();
  Reply r = call("POST", "/api/v1/buildings", R"({"name":"77号楼","floors":5})", staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string building = location_id(r);

  const std::string admin = login("admin2");
  std::vector<json::object> records;  // every page of the trail
  std::string cursor;
  do {
    r = call("GET", "/api/v1/audit?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor), "",
             admin);
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value page = r.json();
    for (const auto& item : page.at("items").as_array())
      records.push_back(item.as_object());
    cursor = page.at("next_cursor").is_null() ? "" : page.at("next_cursor").as_string().c_str();
  } while (!cursor.empty());
  const auto made = std::ranges::find_if(records, [&](const json::object& o) {
    return o.at("action") == "building.create" && o.at("entity_id") == building.c_str();
  });
  ASSERT_NE(made, records.end());
  EXPECT_EQ(made->at("entity"), "building");
  EXPECT_EQ(made->at("actor"), me.at("id"));
  EXPECT_EQ(made->at("role"), "staff");
  // The actor's id names an account the desk can look up; residents' accounts are not listed.
  r = call("GET", "/api/v1/users", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value users = r.json();
  const json::array& accounts = users.at("items").as_array();
  const auto actor = std::ranges::find_if(
      accounts, [&](const json::value& u) { return u.at("id") == made->at("actor"); });
  ASSERT_NE(actor, accounts.end()) << r.body;
  EXPECT_EQ(actor->at("username"), "staff1");
  EXPECT_FALSE(actor->at("disabled").as_bool());
  EXPECT_TRUE(std::ranges::none_of(accounts, [](const json::value& u) {
    return u.at("role") == "resident";
  })) << r.body;
  r = call("GET", "/api/v1/audit/verification", "", admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("intact").as_bool()) << r.body;
}

TEST_F(Api, ImportUploadsFollowTheCliRules) {
  const std::string staff = login("staff1");
  const fs::path csv = *s_dir / "upload.csv";
  run("gen --households 5 --residents 12 --volunteers 1 --seed 77 --csv " + csv.string());
  const std::string good = slurp(csv);
  Reply r = call("POST", "/api/v1/residents/import?dry_run=true", good, staff, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at("committed").as_bool());
  EXPECT_EQ(r.json().at("added").as_int64(), 12);
  r = call("POST", "/api/v1/residents/import?filename=upload.csv", good, staff, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("committed").as_bool());
  EXPECT_EQ(r.json().at("added").as_int64(), 12);
  r = call("POST", "/api/v1/residents/import", good, staff, "text/csv");
  EXPECT_EQ(r.json().at("unchanged").as_int64(), 12) << r.body;

  // A bad row: nothing imported, the problem names line 3 and the ID number column.
  std::string bad = good;
  const auto line2 = bad.find('\n') + 1;
  const auto line3 = bad.find('\n', line2) + 1;
  bad.insert(line3, "1号楼,101,错误行,女,,123456789012345678,,户主,,否,\n");
  r = call("POST", "/api/v1/residents/import", bad, staff, "text/csv");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.headers.find("application/problem+json"), std::string::npos);
  const auto errors = r.json().at("errors").as_array();
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].at("line").as_int64(), 3);
  EXPECT_EQ(errors[0].at("field"), "id_number");
  EXPECT_EQ(r.json().at("report").at("committed"), false);
  r = call("POST", "/api/v1/residents/import?skip_invalid=true", bad, staff, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("rejected").as_int64(), 1);
  EXPECT_EQ(r.json().at("unchanged").as_int64(), 12);

  EXPECT_EQ(call("POST", "/api/v1/residents/import", good, staff).status, 415);
  EXPECT_EQ(call("POST", "/api/v1/residents/import?dry_run=maybe", good, staff, "text/csv").status,
            400);
  EXPECT_EQ(call("POST", "/api/v1/residents/import", "姓名\n张三\n", staff, "text/csv").status,
            400);
  EXPECT_EQ(call("POST", "/api/v1/residents/import", good, login("gate1"), "text/csv").status, 403);
}

TEST_F(Api, TheSecretarySetsBuildingStatusAndEveryoneAtTheDeskSeesIt) {
  const std::string secretary = login("liumiao");
  Reply r = call("GET", "/api/v1/zones", "", login("gate1"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value zones = r.json();
  ASSERT_FALSE(zones.at("items").as_array().empty());
  const std::string building(zones.at("items").as_array()[0].at("building_id").as_string());

  r = call("POST", "/api/v1/buildings/" + building + "/status-changes",
           R"({"status":"sealed","reason":"3 楼阳性"})", secretary);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("status_zh"), "封控区");
  EXPECT_EQ(r.json().at("rule"), "zone.manual");
  // The same again, an unknown status, an early step-down, and a role that may not.
  EXPECT_EQ(call("POST", "/api/v1/buildings/" + building + "/status-changes",
                 R"({"status":"sealed","reason":"again"})", secretary)
                .status,
            409);
  r = call("POST", "/api/v1/buildings/" + building + "/status-changes",
           R"({"status":"closed","reason":"x"})", secretary);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(error_fields(r), (std::set<std::string>{"status"}));
  EXPECT_EQ(
      call("POST", "/api/v1/buildings/" + building + "/status-changes",
           R"({"status":"controlled","reason":"x","rule":"zone.sealed_to_controlled"})", secretary)
          .status,
      409);
  EXPECT_EQ(call("POST", "/api/v1/buildings/" + building + "/status-changes",
                 R"({"status":"controlled","reason":"x"})", login("staff1"))
                .status,
            403);

  r = call("GET", "/api/v1/zones", "", login("staff1"));
  const json::value after = r.json();
  const auto& first = after.at("items").as_array()[0];
  EXPECT_EQ(first.at("current").at("status"), "sealed");
  EXPECT_EQ(first.at("suggestion").at("next"), "controlled");
  EXPECT_FALSE(first.at("suggestion").at("due").as_bool());
  EXPECT_GT(first.at("suggestion").at("remaining_seconds").as_int64(), 6 * 86400);
  r = call("GET", "/api/v1/buildings/" + building + "/status-changes", "", secretary);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/buildings/99999/status-changes", "", secretary).status, 404);
}

TEST_F(Api, ASamplingPointFillsTubesAndTheDeskSeesCoverage) {
  const std::string staff = login("staff1");
  Reply r = call("POST", "/api/v1/rounds", R"({"day":"2022-04-05"})", staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string round(r.json().at("id").as_string());
  const json::value page = call("GET", "/api/v1/residents?limit=11", "", staff).json();
  const auto& residents = page.at("items").as_array();
  ASSERT_EQ(residents.size(), 11u);
  const std::string volunteer = login("vol1");
  const std::string path = "/api/v1/rounds/" + round + "/samples";
  auto swab = [&](const json::value& resident, const std::string& tube) {
    return call("POST", path,
                R"({"tube_code":")" + tube + R"(","resident_id":")" +
                    std::string(resident.at("id").as_string()) + R"("})",
                volunteer);
  };
  for (std::size_t i = 0; i < 10; ++i) {
    r = swab(residents[i], "API-T1");
    ASSERT_EQ(r.status, 201) << i << r.body;
  }
  r = swab(residents[10], "API-T1");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json().at("errors").as_array()[0].at("code"), "sample.tube_full");
  EXPECT_FALSE(r.json().at("errors").as_array()[0].at("message_zh").as_string().empty());
  r = swab(residents[0], "API-T2");
  EXPECT_EQ(r.status, 409) << r.body;  // sampled already, no resample reason
  EXPECT_EQ(
      call("POST", path, R"({"tube_code":"X","resident_id":"1","kind":"big"})", volunteer).status,
      400);

  r = call("GET", "/api/v1/rounds/" + round + "/coverage", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("sampled").as_int64(), 10);
  const std::int64_t after_sampling_expected = r.json().at("expected").as_int64();
  EXPECT_GE(r.json().at("expected").as_int64(), 80);  // the generated register, at least
  EXPECT_EQ(call("GET", "/api/v1/rounds/999/coverage", "", staff).status, 404);
  r = call("GET", "/api/v1/rounds/" + round + "/door-knock", "", volunteer);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value knock = r.json();
  std::int64_t listed = 0;
  for (const auto& b : knock.at("buildings").as_array()) {
    for (const auto& f : b.at("floors").as_array()) {
      for (const auto& person : f.at("residents").as_array()) {
        ++listed;
        EXPECT_EQ(std::string(person.at("id_number").as_string()).substr(4, 10), "**********");
      }
    }
  }
  EXPECT_EQ(listed, knock.at("missing").as_int64());
  EXPECT_EQ(listed + 10, after_sampling_expected);
  EXPECT_EQ(call("GET", "/api/v1/rounds/" + round + "/coverage", "", volunteer).status, 403);
  // A volunteer finds the round to sample for, and no more.
  r = call("GET", "/api/v1/rounds", "", volunteer);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value rounds = r.json();
  EXPECT_TRUE(std::ranges::any_of(rounds.at("items").as_array(), [&](const json::value& x) {
    return x.at("id").as_string() == round;
  }));
  EXPECT_EQ(call("POST", "/api/v1/rounds", R"({"day":"2022-04-07"})", volunteer).status, 403);
}

TEST_F(Api, LabResultsComeInByCsvAndTheDeskFollowsThem) {
  const std::string staff = login("staff1");
  const std::string secretary = login("liumiao");
  const std::string volunteer = login("vol1");
  Reply r = call("POST", "/api/v1/rounds", R"({"day":"2022-04-06"})", staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string round(r.json().at("id").as_string());
  const json::value page = call("GET", "/api/v1/residents?limit=30", "", staff).json();
  const auto& residents = page.at("items").as_array();
  const auto id_of = [&](std::size_t i) {
    return std::string(residents.at(i).at("id").as_string());
  };
  const std::string path = "/api/v1/rounds/" + round + "/samples";
  for (std::size_t i = 0; i < 10; ++i) {
    ASSERT_EQ(call("POST", path, R"({"tube_code":"RES-P1","resident_id":")" + id_of(i) + R"("})",
                   volunteer)
                  .status,
              201);
  }
  ASSERT_EQ(call("POST", path,
                 R"({"tube_code":"RES-S1","kind":"single","resident_id":")" + id_of(10) + R"("})",
                 volunteer)
                .status,
            201);

  const std::string when = iso_now();
  const std::string csv = "tube_code,result,reported_at,lab\nRES-P1,阴性," + when +
                          ",华大\nRES-S1,阳性," + when + ",华大\nNO-SUCH,阴性," + when + ",华大\n";
  r = call("POST", "/api/v1/results/import?filename=lab.csv", csv, staff, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value report = r.json();
  EXPECT_EQ(report.at("added").as_int64(), 2);
  EXPECT_EQ(report.at("unknown").as_int64(), 1);
  EXPECT_EQ(report.at("problems").as_array()[0].at("line").as_int64(), 4);
  ASSERT_EQ(report.at("positives").as_array().size(), 1u);
  EXPECT_EQ(report.at("positives").as_array()[0].at("suggested_status"), "sealed");
  r = call("POST", "/api/v1/results/import", csv, staff, "text/csv");  // re-sent
  EXPECT_EQ(r.json().at("added").as_int64(), 0);
  EXPECT_EQ(r.json().at("unchanged").as_int64(), 2);
  r = call("POST", "/api/v1/results/import", "tube_code,result,reported_at\nRES-P1,maybe,x\n",
           staff, "text/csv");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().at("type"), "/problems/import-rows");
  EXPECT_EQ(call("POST", "/api/v1/results/import", csv, staff).status, 415);

  // A disagreeing result waits for the secretary.
  r = call("POST", "/api/v1/results/import",
           "tube_code,result,reported_at\nRES-P1,阳性," + when + "\n", staff, "text/csv");
  EXPECT_EQ(r.json().at("conflicts").as_int64(), 1);
  r = call("GET", "/api/v1/result-conflicts", "", staff);
  ASSERT_EQ(r.json().at("items").as_array().size(), 1u);
  const std::string conflict(r.json().at("items").as_array()[0].at("id").as_string());
  const std::string resolution = "/api/v1/result-conflicts/" + conflict + "/resolution";
  EXPECT_EQ(
      call("POST", resolution, R"({"decision":"reject","reason":"原结果为准"})", staff).status,
      403);
  EXPECT_EQ(call("POST", resolution, R"({"decision":"maybe","reason":"x"})", secretary).status,
            400);
  EXPECT_EQ(
      call("POST", resolution, R"({"decision":"reject","reason":"原结果为准"})", secretary).status,
      200);
  EXPECT_EQ(call("POST", resolution, R"({"decision":"accept","reason":"再改"})", secretary).status,
            409);

  r = call("GET", "/api/v1/residents/" + id_of(10) + "/tests", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("standing"), "positive");
  EXPECT_EQ(r.json().at("items").as_array()[0].at("outcome"), "positive");
  r = call("GET", "/api/v1/residents/" + id_of(0) + "/latest-negative?counted_from=reported", "",
           staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("test").at("tube_code"), "RES-P1");
  EXPECT_EQ(call("GET", "/api/v1/residents/1/latest-negative?counted_from=never", "", staff).status,
            400);
  r = call("GET", "/api/v1/rounds/" + round + "/positives", "", staff);
  ASSERT_EQ(r.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(r.json().at("items").as_array()[0].at("resident_id").as_string(), id_of(10));
  bool case_seen = false;
  const json::value zones = call("GET", "/api/v1/zones", "", staff).json();
  for (const auto& z : zones.at("items").as_array()) {
    case_seen |= z.at("building") == residents.at(10).at("building") &&
                 !z.at("last_positive_at").is_null() && !z.at("retest_due_at").is_null();
  }
  EXPECT_TRUE(case_seen);

  // Marks: an away resident is not expected; a bedridden one is on the home-sampling list.
  const std::int64_t expected = call("GET", "/api/v1/rounds/" + round + "/coverage", "", staff)
                                    .json()
                                    .at("expected")
                                    .as_int64();
  const std::string mark = "/api/v1/residents/" + id_of(20) + "/screening-mark";
  EXPECT_EQ(call("PUT", mark, R"({"mark":"away","reason":"住院"})", staff).status, 200);
  EXPECT_EQ(call("PUT", mark, R"({"mark":"gone","reason":"x"})", staff).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/rounds/" + round + "/coverage", "", staff)
                .json()
                .at("expected")
                .as_int64(),
            expected - 1);
  EXPECT_EQ(call("DELETE", mark, "", staff).status, 204);
  EXPECT_EQ(call("DELETE", mark, "", staff).status, 404);
  EXPECT_EQ(call("PUT", "/api/v1/residents/" + id_of(21) + "/screening-mark",
                 R"({"mark":"home","reason":"卧床"})", staff)
                .status,
            200);
  r = call("GET", "/api/v1/home-sampling", "", volunteer);
  ASSERT_EQ(r.status, 200) << r.body;
  bool home_listed = false;
  const json::value home = r.json();
  for (const auto& e : home.at("items").as_array()) {
    if (e.at("resident").at("id").as_string() != id_of(21)) continue;
    home_listed = e.at("reason") == "home";
    EXPECT_NE(std::string(e.at("resident").at("id_number").as_string()).find("*"),
              std::string::npos);
  }
  EXPECT_TRUE(home_listed);
}

TEST_F(Api, ResidentsReportAntigenTestsForTheirOwnHouseholdOnly) {
  const std::string resident = login("res1");  // resident 1's account
  const std::string staff = login("staff1");
  Reply r = call("GET", "/api/v1/me", "", resident);
  EXPECT_EQ(r.json().at("resident_id"), "1");
  const json::value one = call("GET", "/api/v1/residents/1", "", staff).json();
  std::string stranger;
  const json::value everyone = call("GET", "/api/v1/residents?limit=50", "", staff).json();
  for (const auto& p : everyone.at("items").as_array()) {
    if (p.at("household_id") != one.at("household_id")) {
      stranger = std::string(p.at("id").as_string());
      break;
    }
  }
  ASSERT_FALSE(stranger.empty());
  r = call("POST", "/api/v1/residents/1/antigen-tests",
           R"({"result":"阴性","tested_at":"2022-04-06 07:30"})", resident);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("kind"), "antigen");
  EXPECT_TRUE(r.json().at("photo").is_null());
  EXPECT_EQ(call("POST", "/api/v1/residents/" + stranger + "/antigen-tests",
                 R"({"result":"阴性","tested_at":"2022-04-06 07:30"})", resident)
                .status,
            404);
  EXPECT_EQ(call("GET", "/api/v1/residents/" + stranger + "/tests", "", resident).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/residents/1/tests", "", resident).status, 200);

  r = call(
      "POST",
      "/api/v1/residents/1/antigen-tests?result=positive&tested_at=2022-04-06T08:00:00%2B08:00",
      kPng, resident, "image/png");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string photo(r.json().at("photo").as_string());
  r = call("GET", photo, "", staff);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kPng);
  EXPECT_NE(r.headers.find("image/png"), std::string::npos);
  EXPECT_EQ(call("GET", photo, "", login("gate1")).status, 403);
  // Not an image by its content, whatever it is called.
  r = call("POST", "/api/v1/residents/1/antigen-tests?result=negative&tested_at=2022-04-06%2008:00",
           "GIF89a....", resident, "image/png");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/residents/1/tests", "", staff).json().at("standing"), "retest");
}

TEST_F(Api, AResidentSeesTheirOwnHouseholdWithTheOthersIdNumbersMasked) {
  const std::string staff = login("staff1");
  // A household of several: the first resident whose household has another member.
  const json::value everyone = call("GET", "/api/v1/residents?limit=50", "", staff).json();
  std::map<std::string, std::vector<std::string>> households;
  for (const auto& p : everyone.at("items").as_array()) {
    households[std::string(p.at("household_id").as_string())].push_back(
        std::string(p.at("id").as_string()));
  }
  std::string household, self;
  for (const auto& [id, people] : households) {
    if (people.size() >= 2) {
      household = id;
      self = people.back();
      break;
    }
  }
  ASSERT_FALSE(self.empty());
  std::ofstream(*s_dir / "pw") << "password-res2\n";
  run("user add res2 --role resident --resident " + self + " --password-stdin --db " + *s_db +
      " < " + (*s_dir / "pw").string());
  const std::string resident = login("res2");
  const json::value whole = call("GET", "/api/v1/residents/" + self, "", staff).json();
  const json::value registered =
      call("GET", "/api/v1/residents?household_id=" + household, "", staff).json();

  const Reply r = call("GET", "/api/v1/me/household", "", resident);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value mine = r.json();
  EXPECT_EQ(mine.at("household_id").as_string(), household);
  EXPECT_EQ(mine.at("building"), whole.at("building"));
  EXPECT_EQ(mine.at("room"), whole.at("room"));
  const json::array& members = mine.at("members").as_array();
  ASSERT_EQ(members.size(), registered.at("items").as_array().size());
  EXPECT_EQ(members[0].at("id").as_string(), self);  // the caller first, whole
  EXPECT_EQ(members[0].at("id_number"), whole.at("id_number"));
  for (std::size_t i = 1; i < members.size(); ++i) {
    EXPECT_EQ(members[i].at("household_id").as_string(), household);
    EXPECT_NE(std::string(members[i].at("id_number").as_string()).find('*'), std::string::npos)
        << members[i];
  }
  // Not for the desk's accounts, which search the register instead.
  EXPECT_EQ(call("GET", "/api/v1/me/household", "", staff).status, 403);
}

// The server's juwei_http_open_connections gauge, read with its own curl (call() is not
// for use from two threads at once); -1 when unreadable.
int open_connections(const std::string& base) {
  const std::string cmd = "curl -s '" + base + "/metrics' | grep '^juwei_http_open_connections '";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char line[256] = {};
  const bool got = std::fgets(line, sizeof line, p) != nullptr;
  pclose(p);
  return got ? std::atoi(line + std::strlen("juwei_http_open_connections ")) : -1;
}

// SIGTERM while a long request is being handled (a dry-run import of 30,000 rows, most of a
// second): it still gets its answer, and the server exits cleanly.
TEST_F(Api, StopsGracefullyWithARequestInFlight) {
  const fs::path csv = *s_dir / "big.csv";
  run("gen --households 11000 --residents 30000 --volunteers 10 --seed 9 --csv " + csv.string());
  const std::string staff = login("staff1");
  Reply in_flight;
  // Straight to the server (not through the spec validator, whose own connection is not the
  // test's): what is counted and stopped here is the server's connections.
  std::thread client([&] {
    in_flight =
        juwei::testing::curl(*s_dir, *s_base, "POST", "/api/v1/residents/import?dry_run=true",
                             slurp(csv), staff, "text/csv", {});
  });
  // Wait until the upload's connection is open (the gauge counts the poll's own too), give
  // the 2 MB body a moment to arrive, then stop the server while the import runs.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (open_connections(*s_base) < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  s_server->terminate();
  client.join();
  const int status = s_server->wait();
  ASSERT_EQ(in_flight.status, 200) << in_flight.body;
  EXPECT_EQ(in_flight.json().at("rows").as_int64(), 30000);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  start_server();  // for any test that runs after this one in the same process
}

}  // namespace
