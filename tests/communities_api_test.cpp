// Many communities on one server: the admin adds one over HTTP or with `juwei community add`,
// and no account of one community sees another's records, whatever its role (every GET route
// the spec lists, for every role of each community).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>

#include "support/http_call.hpp"
#include "support/juwei_process.hpp"
#include "support/openapi_routes.hpp"
#include "support/pg_test_database.hpp"

namespace {

namespace fs = std::filesystem;
using juwei::testing::Output;
using juwei::testing::quote;
using juwei::testing::Reply;

// What only 西园's register holds: a resident's name, ID number and phone, and its building.
const std::vector<std::string> kWestOnly = {"西门独有", "110105198001010032", "13912345678",
                                            "乙栋"};

class Communities : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::random_device rd;
    s_dir = new fs::path(fs::temp_directory_path() / ("juwei-communities-" + std::to_string(rd())));
    fs::create_directories(*s_dir);
    s_db = new std::string(juwei::testing::test_database_url(s_dir->string()));
    // 东园: a generated register; 西园, on the same database: one resident of its own.
    run("init --community 东园 --db " + *s_db);
    run("gen --households 20 --residents 50 --volunteers 2 --csv " +
        (*s_dir / "east.csv").string());
    run("import residents " + (*s_dir / "east.csv").string() + " --community 东园 --db " + *s_db);
    const Output west =
        juwei("community add 西园 --street 示范街道 --admin west-admin --db " + *s_db);
    ASSERT_EQ(west.code, 0) << west.err;
    std::ofstream(*s_dir / "west.csv") << "楼号,室号,姓名,身份证号,手机号\n"
                                       << "乙栋,101,西门独有,110105198001010032,13912345678\n";
    run("import residents " + (*s_dir / "west.csv").string() + " --community 西园 --db " + *s_db);
    for (const char* role :
         {"admin", "secretary", "staff", "gate", "volunteer", "street", "resident"}) {
      for (const char* community : {"东园", "西园"}) {
        const std::string name =
            std::string(community == std::string("东园") ? "east-" : "west-") + role + "1";
        std::ofstream(*s_dir / "pw") << "password-" << name << "\n";
        // A street office's account belongs to its street: 西园's, or one with no community.
        const std::string unit =
            role == std::string("street")
                ? std::string(" --street ") +
                      (community == std::string("西园") ? "示范街道" : "东街道")
                : std::string(" --community ") + community;
        run("user add " + name + " --role " + role +
            (role == std::string("resident") ? " --resident 1" : "") + unit +
            " --password-stdin --db " + *s_db + " < " + (*s_dir / "pw").string());
      }
    }
    s_server = new juwei::testing::ServerProcess(JUWEI_BIN, *s_db, {"--threads", "2"}, true);
  }
  static void TearDownTestSuite() {
    delete s_server;
    s_server = nullptr;
    fs::remove_all(*s_dir);
  }

  static Output juwei(const std::string& args) {
    return juwei::testing::run_shell(std::string(JUWEI_BIN) + " " + args, *s_dir);
  }
  static void run(const std::string& args) {
    const Output o = juwei(args);
    ASSERT_EQ(o.code, 0) << args << "\n" << o.out << o.err;
  }
  static Reply call(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& token = "") {
    return juwei::testing::curl(*s_dir, *s_server, method, path, body, token, "application/json",
                                {});
  }
  static std::string login(const std::string& name, const std::string& password) {
    const Reply r = call("POST", "/api/v1/session",
                         R"({"username":")" + name + R"(","password":")" + password + R"("})");
    EXPECT_EQ(r.status, 201) << name << ": " << r.body;
    if (r.status != 201) return "";
    return std::string(r.json().at("token").as_string());
  }

  static inline fs::path* s_dir = nullptr;
  static inline std::string* s_db = nullptr;
  static inline juwei::testing::ServerProcess* s_server = nullptr;
};

TEST_F(Communities, NoAccountSeesAnotherCommunitysRecordsWhateverItsRole) {
  const auto routes =
      juwei::testing::openapi_routes(std::string(JUWEI_SOURCE_DIR) + "/docs/openapi.yaml");
  // What 东园's register holds that 西园's does not: its first resident's name.
  const std::string east_secretary = login("east-secretary1", "password-east-secretary1");
  const Reply first = call("GET", "/api/v1/residents?limit=1", "", east_secretary);
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string east_name(first.json().at("items").at(0).at("name").as_string());
  ASSERT_FALSE(east_name.empty());

  // The markers are there to be seen by their own community's accounts.
  const std::string west_secretary = login("west-secretary1", "password-west-secretary1");
  const Reply own = call("GET", "/api/v1/residents?q=" + juwei::testing::url_encode("西门独有"), "",
                         west_secretary);
  EXPECT_NE(own.body.find("西门独有"), std::string::npos) << own.body;

  int answered = 0;
  for (const char* role :
       {"admin", "secretary", "staff", "gate", "volunteer", "street", "resident"}) {
    for (const bool east : {true, false}) {
      const std::string name = std::string(east ? "east-" : "west-") + role + "1";
      const std::string token = login(name, "password-" + name);
      // The other community's markers: 西园's own records, or 东园's first resident.
      const std::vector<std::string> foreign = east ? kWestOnly : std::vector{east_name};
      for (const auto& [route, roles] : routes) {
        if (!route.starts_with("GET ") || route.find('{') != std::string::npos) continue;
        if (!roles.contains(role)) continue;
        const std::string path = route.substr(4);
        const Reply r = call("GET", path, "", token);
        EXPECT_LT(r.status, 500) << name << " " << path << ": " << r.body;
        if (r.status == 200) ++answered;
        for (const std::string& marker : foreign) {
          EXPECT_EQ(r.body.find(marker), std::string::npos)
              << name << " sees " << marker << " of the other community in " << path;
        }
      }
      // And by search, which reads every field people type.
      if (routes.at("GET /api/v1/residents").contains(role)) {
        for (const std::string& marker : foreign) {
          const Reply r =
              call("GET", "/api/v1/residents?q=" + juwei::testing::url_encode(marker), "", token);
          EXPECT_EQ(r.body.find(marker), std::string::npos) << name << " finds " << marker;
        }
      }
    }
  }
  EXPECT_GT(answered, 40) << "too few routes answered for the check to mean anything";
}

TEST_F(Communities, TheAdminAddsACommunityWithItsAdminAndNamesAreUnique) {
  const std::string admin = login("east-admin1", "password-east-admin1");
  Reply r = call("POST", "/api/v1/communities",
                 R"({"name":"南园","street":"示范街道","admin_username":"south-admin"})", admin);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto made = r.json();
  EXPECT_EQ(made.at("name").as_string(), "南园");
  EXPECT_FALSE(made.at("street_id").is_null());
  const std::string password(made.at("admin").at("password").as_string());
  EXPECT_GE(password.size(), 12u);

  // The new admin logs in to the new community, and only there.
  const std::string south = login("south-admin", password);
  r = call("GET", "/api/v1/me", "", south);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("community_id").as_string(), made.at("id").as_string());

  r = call("GET", "/api/v1/communities", "", admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("items").as_array().size(), 3u);

  r = call("POST", "/api/v1/communities", R"({"name":"南园"})", admin);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("community.exists"), std::string::npos) << r.body;
  r = call("POST", "/api/v1/communities", R"({"name":"北园","admin_username":"south-admin"})",
           admin);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("admin_username"), std::string::npos) << r.body;
  r = call("POST", "/api/v1/communities", R"({"name":""})", admin);
  EXPECT_EQ(r.status, 400) << r.body;
  r = call("GET", "/api/v1/communities", "", admin);
  EXPECT_EQ(r.json().at("items").as_array().size(), 3u) << "a refused community was made";

  const std::string secretary = login("east-secretary1", "password-east-secretary1");
  EXPECT_EQ(call("POST", "/api/v1/communities", R"({"name":"北园"})", secretary).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/communities", "", secretary).status, 403);
}

// A street office's account sees its street's communities listed, and none of their records
// (the street's aggregates come with the daily report); the admin adds one over HTTP.
TEST_F(Communities, AStreetOfficesAccountSeesItsStreetsCommunities) {
  const std::string west = login("west-street1", "password-west-street1");
  Reply r = call("GET", "/api/v1/communities", "", west);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("西园"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("东园"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("办事处"), std::string::npos) << "an office unit is listed: " << r.body;
  const auto listed = r.json();
  for (const auto& c : listed.at("items").as_array())
    EXPECT_EQ(c.at("street").at("name").as_string(), "示范街道") << r.body;
  r = call("GET", "/api/v1/streets", "", west);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json().at("items").as_array().size(), 1u) << r.body;
  EXPECT_EQ(r.json().at("items").at(0).at("name").as_string(), "示范街道");
  EXPECT_GE(r.json().at("items").at(0).at("communities").as_int64(), 1);
  // The other street's account: its street has no community.
  const std::string east = login("east-street1", "password-east-street1");
  r = call("GET", "/api/v1/communities", "", east);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("items").as_array().empty()) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/residents", "", west).status, 403);
  EXPECT_EQ(
      call("POST", "/api/v1/street-accounts", R"({"street":"示范街道","username":"s2"})", west)
          .status,
      403);

  // The admin adds one; its password comes once and logs in; a taken username is a 409.
  const std::string admin = login("east-admin1", "password-east-admin1");
  r = call("POST", "/api/v1/street-accounts", R"({"street":"示范街道","username":"street-new"})",
           admin);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("street").at("name").as_string(), "示范街道");
  const std::string token = login("street-new", std::string(r.json().at("password").as_string()));
  r = call("GET", "/api/v1/communities", "", token);
  EXPECT_NE(r.body.find("西园"), std::string::npos) << r.body;
  r = call("POST", "/api/v1/street-accounts", R"({"street":"示范街道","username":"street-new"})",
           admin);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("\"username\""), std::string::npos) << r.body;
  r = call("POST", "/api/v1/street-accounts", R"({"street":"","username":"street-x"})", admin);
  EXPECT_EQ(r.status, 400) << r.body;
  // The admin sees every street; the office's unit is no community to anyone.
  r = call("GET", "/api/v1/streets", "", admin);
  EXPECT_EQ(r.json().at("items").as_array().size(), 2u) << r.body;
  r = call("GET", "/api/v1/communities", "", admin);
  EXPECT_EQ(r.body.find("办事处"), std::string::npos) << r.body;

  // A street's account is made for its street, never in a community, and the other roles not
  // in an office.
  Output o = juwei("user add s3 --role street --community 西园 --password-stdin --db " + *s_db +
                   " < " + (*s_dir / "pw").string());
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("--street"), std::string::npos) << o.err;
  o = juwei("user add s3 --role staff --street 示范街道 --password-stdin --db " + *s_db + " < " +
            (*s_dir / "pw").string());
  EXPECT_EQ(o.code, 1);
  o = juwei("user list --street 示范街道 --db " + *s_db);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("west-street1"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("street-new"), std::string::npos) << o.out;
  // And `community list` lists communities, not offices.
  o = juwei("community list --db " + *s_db);
  EXPECT_EQ(o.out.find("办事处"), std::string::npos) << o.out;
}

// A street office reads its street's communities on a day (one row each, the risk level by the
// policy's rule, whether the day's report was submitted) and drills into one community's daily
// report; nothing of another street; the secretary submits the day's report once.
TEST_F(Communities, AStreetOfficeReadsItsCommunitiesReportsAndWhoSubmitted) {
  const std::time_t t = std::time(nullptr) + 8 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char today[16];
  std::strftime(today, sizeof today, "%Y-%m-%d", &tm);
  const std::string day = today;
  const std::string street = login("west-street1", "password-west-street1");
  const std::string admin = login("east-admin1", "password-east-admin1");
  std::map<std::string, std::string> ids;  // community name → id
  const Reply all = call("GET", "/api/v1/communities", "", admin);
  ASSERT_EQ(all.status, 200) << all.body;
  const auto communities = all.json();
  for (const auto& c : communities.at("items").as_array())
    ids[std::string(c.at("name").as_string())] = std::string(c.at("id").as_string());
  ASSERT_TRUE(ids.contains("东园") && ids.contains("西园"));

  Reply r = call("GET", "/api/v1/reports/street?day=" + day, "", street);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto overview = r.json();
  const auto& rows = overview.at("communities").as_array();
  ASSERT_EQ(rows.size(), 1u) << r.body;
  EXPECT_EQ(rows[0].at("community").at("name").as_string(), "西园");
  EXPECT_EQ(rows[0].at("residents").as_int64(), 1);
  EXPECT_EQ(rows[0].at("risk").at("rule").as_string(), "risk.low");
  EXPECT_TRUE(rows[0].at("submitted_at").is_null());
  EXPECT_EQ(r.body.find("东园"), std::string::npos) << r.body;

  r = call("GET", "/api/v1/reports/daily?day=" + day + "&community=" + ids["西园"], "", street);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("key":"register.residents","label_zh":"居民人数","label_en":"Residents","value":1})"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(call("GET", "/api/v1/reports/daily?day=" + day + "&community=" + ids["东园"], "", street)
                .status,
            404);
  EXPECT_EQ(call("GET", "/api/v1/reports/daily?day=" + day, "", street).status, 400);  // which?

  const std::string secretary = login("west-secretary1", "password-west-secretary1");
  EXPECT_EQ(call("GET", "/api/v1/reports/daily?day=" + day + "&community=" + ids["东园"], "",
                 secretary)
                .status,
            404);
  EXPECT_EQ(call("GET", "/api/v1/reports/street?day=" + day, "", secretary).status, 403);
  const std::string body = R"({"day":")" + day + R"("})";
  EXPECT_EQ(call("POST", "/api/v1/reports/daily/submission", body,
                 login("west-staff1", "password-west-staff1"))
                .status,
            403);
  r = call("POST", "/api/v1/reports/daily/submission", body, secretary);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(r.json().at("submission").at("differences").as_array().empty()) << r.body;
  EXPECT_EQ(call("POST", "/api/v1/reports/daily/submission", body, secretary).status, 409);
  r = call("GET", "/api/v1/reports/street?day=" + day, "", street);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at("communities").at(0).at("submitted_at").is_null()) << r.body;

  r = call("GET", "/api/v1/reports/street?format=xlsx&day=" + day, "", street);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with("PK"));
  // The other street's office: no community of its own, none of 西园's.
  r = call("GET", "/api/v1/reports/street?day=" + day, "",
           login("east-street1", "password-east-street1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("communities").as_array().empty()) << r.body;
}

TEST_F(Communities, TheCommandLineListsAndAddsCommunities) {
  Output o = juwei("community add 中园 --db " + *s_db);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(std::regex_search(o.out, std::regex("admin[0-9]+ +admin +\\S{12,}"))) << o.out;
  o = juwei("community add 中园 --db " + *s_db);
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_NE(o.err.find("exists already"), std::string::npos) << o.err;
  o = juwei("community list --db " + *s_db);
  ASSERT_EQ(o.code, 0) << o.err;
  for (const char* name : {"东园", "西园", "中园"})
    EXPECT_NE(o.out.find(name), std::string::npos) << o.out;
}

}  // namespace
