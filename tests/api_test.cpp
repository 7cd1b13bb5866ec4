// The API against the real server: `juwei serve` on a free port over a temporary SQLite file
// holding a small generated community, exercised over HTTP with curl.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "support/juwei_process.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using juwei::testing::slurp;

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct Reply {
  int status = 0;
  std::string headers;
  std::string body;
  json::value json() const { return json::parse(body); }
};

class Api : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::random_device rd;
    s_dir = new fs::path(fs::temp_directory_path() / ("juwei-api-" + std::to_string(rd())));
    fs::create_directories(*s_dir);
    s_db = new std::string("sqlite:" + (*s_dir / "juwei.db").string());
    run("init --community 春晖居民区 --db " + *s_db);
    run("gen --households 30 --residents 80 --volunteers 4 --csv " + (*s_dir / "r.csv").string());
    run("import residents " + (*s_dir / "r.csv").string() + " --db " + *s_db);
    for (const char* user : {"liumiao:secretary", "staff1:staff", "gate1:gate", "vol1:volunteer",
                             "admin2:admin", "street1:street", "res1:resident"}) {
      const std::string name = std::string(user).substr(0, std::string(user).find(':'));
      const std::string role = std::string(user).substr(name.size() + 1);
      std::ofstream(*s_dir / "pw") << "password-" << name << "\n";
      run("user add " + name + " --role " + role + " --password-stdin --db " + *s_db + " < " +
          (*s_dir / "pw").string());
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
    s_base = &s_server->base_url();
  }

  // One request with curl: method, path, optional JSON body, optional bearer token.
  static Reply call(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& token = "",
                    const std::string& content_type = "application/json") {
    const fs::path out = *s_dir / "body";
    const fs::path head = *s_dir / "head";
    const fs::path in = *s_dir / "request";
    std::ofstream(in, std::ios::binary) << body;
    std::string cmd = "curl -s -o " + out.string() + " -D " + head.string() +
                      " -w '%{http_code}' -X " + method + " '" + *s_base + path + "'";
    if (!body.empty()) {
      cmd += " -H 'Content-Type: " + content_type + "' --data-binary @" + in.string();
    }
    if (!token.empty()) cmd += " -H 'Authorization: Bearer " + token + "'";
    cmd += " > " + (*s_dir / "code").string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    Reply r;
    r.status = std::atoi(slurp(*s_dir / "code").c_str());
    r.headers = slurp(head);
    r.body = slurp(out);
    return r;
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

// Every registered route × every role: 401 without a token, 403 for a role it does not admit.
TEST_F(Api, RolesAreCheckedOnEveryRoute) {
  struct Route {
    const char* method;
    const char* path;
    std::set<std::string> roles;  // empty: public
  };
  const std::set<std::string> all = {"admin",     "secretary", "staff", "gate",
                                     "volunteer", "resident",  "street"};
  const Route routes[] = {
      {"GET", "/api/v1/me", all},
      {"GET", "/api/v1/residents", {"secretary", "staff", "gate", "volunteer"}},
      {"GET", "/api/v1/buildings", {"secretary", "staff"}},
      {"DELETE", "/api/v1/session", all},
  };
  const std::pair<const char*, const char*> users[] = {
      {"liumiao", "secretary"}, {"staff1", "staff"},   {"gate1", "gate"},    {"vol1", "volunteer"},
      {"admin2", "admin"},      {"street1", "street"}, {"res1", "resident"},
  };
  for (const Route& route : routes) {
    SCOPED_TRACE(std::string(route.method) + " " + route.path);
    EXPECT_EQ(call(route.method, route.path).status, 401);
    for (const auto& [user, role] : users) {
      const int status = call(route.method, route.path, "", login(user)).status;
      if (route.roles.contains(role)) {
        EXPECT_GE(status, 200) << role;
        EXPECT_LT(status, 300) << role;
      } else {
        EXPECT_EQ(status, 403) << role;
      }
    }
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

// SIGTERM while a login (argon2id, the slowest request there is) is in flight: the login
// still gets its answer, and the server exits cleanly.
TEST_F(Api, StopsGracefullyWithARequestInFlight) {
  Reply in_flight;
  std::thread client([&] {
    in_flight =
        call("POST", "/api/v1/session", R"({"username":"staff1","password":"password-staff1"})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  s_server->terminate();
  client.join();
  const int status = s_server->wait();
  EXPECT_EQ(in_flight.status, 201) << in_flight.body;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  start_server();  // for any test that runs after this one in the same process
}

}  // namespace
