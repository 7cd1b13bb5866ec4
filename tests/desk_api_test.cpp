// The desk's tools over HTTP (issue 17 item 10): counts on the request tabs and a building
// filter, a household into the tube at once (整户加入), the resident list and a building's
// households as XLSX workbooks, and search by pinyin and initials. `juwei serve` on a
// temporary SQLite file with a small generated community, called with curl.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "support/http_call.hpp"
#include "support/juwei_process.hpp"
#include "support/pg_test_database.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using juwei::testing::Reply;
using juwei::testing::url_encode;

// An ID number with a good check digit (GB 11643): the first 17 characters, then the check.
std::string id_number(const std::string& first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i)
    sum += (first17[i] - '0') * kWeights[i];
  return first17 + "10X98765432"[sum % 11];
}

// Now + `seconds` in Shanghai time as the desk types it: "2022-04-05 10:00".
std::string shanghai_in(long seconds) {
  const std::time_t t = std::time(nullptr) + seconds + 8 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
  return text;
}

class DeskApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new fs::path(juwei::testing::scratch_dir("juwei-desk-api-"));
    s_db = new std::string(juwei::testing::test_database_url(s_dir->string()));
    run("init --community 春晖居民区 --db " + *s_db);
    run("gen --households 30 --residents 80 --volunteers 4 --csv " + (*s_dir / "r.csv").string());
    run("import residents " + (*s_dir / "r.csv").string() + " --db " + *s_db);
    for (const char* user :
         {"liumiao:secretary", "staff1:staff", "gate1:gate", "vol1:volunteer", "res1:resident"}) {
      const std::string name = std::string(user).substr(0, std::string(user).find(':'));
      const std::string role = std::string(user).substr(name.size() + 1);
      std::ofstream(*s_dir / "pw") << "password-" << name << "\n";
      run("user add " + name + " --role " + role + (role == "resident" ? " --resident 1" : "") +
          " --password-stdin --db " + *s_db + " < " + (*s_dir / "pw").string());
    }
    s_server = new juwei::testing::ServerProcess(JUWEI_BIN, *s_db, {"--threads", "2"});
  }
  static void TearDownTestSuite() {
    delete s_server;
    s_server = nullptr;
    fs::remove_all(*s_dir);
  }

  static void run(const std::string& args) {
    const std::string cmd = std::string(JUWEI_BIN) + " " + args + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  static Reply call(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& token = "",
                    const std::string& content_type = "application/json") {
    return juwei::testing::curl(*s_dir, *s_server, method, path, body, token, content_type, {});
  }

  static std::string login(const std::string& name) {
    const Reply r = call("POST", "/api/v1/session",
                         R"({"username":")" + name + R"(","password":"password-)" + name + R"("})");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("token").as_string());
  }

  // Registers a resident in `building` `room`; returns the new resident as the API shows it.
  static json::value add_resident(const std::string& name, const std::string& building,
                                  const std::string& room, const std::string& first17) {
    const Reply r = call("POST", "/api/v1/residents",
                         json::serialize(json::object{{"name", name},
                                                      {"building", building},
                                                      {"room", room},
                                                      {"id_number", id_number(first17)}}),
                         login("staff1"));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }

  // The names a search as staff finds.
  static std::set<std::string> found(const std::string& q) {
    const Reply r = call("GET", "/api/v1/residents?q=" + url_encode(q), "", login("staff1"));
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> names;
    const json::value body1 = r.json();
    for (const auto& item : body1.at("items").as_array())
      names.insert(std::string(item.at("name").as_string()));
    return names;
  }

  // One part of an XLSX file, as unzip reads it.
  static std::string xlsx_part(const std::string& bytes, const std::string& part) {
    const fs::path file = *s_dir / "book.xlsx";
    std::ofstream(file, std::ios::binary) << bytes;
    const auto o = juwei::testing::run_shell(
        "unzip -p " + juwei::testing::quote(file.string()) + " " + part, *s_dir);
    EXPECT_EQ(o.code, 0) << o.err;
    return o.out;
  }

  static inline fs::path* s_dir = nullptr;
  static inline std::string* s_db = nullptr;
  static inline juwei::testing::ServerProcess* s_server = nullptr;
};

// `maoqi`, `mao qi` and `mq` find 毛琪; a rename is searched by its new pinyin at once, and an
// import's rows by theirs.
TEST_F(DeskApi, ResidentsAreFoundByPinyinAndInitials) {
  const json::value mao = add_resident("毛琪", "7号楼", "701", "31010119900307123");
  for (const char* q : {"maoqi", "mao qi", "MaoQi", "mq", "maoq"}) {
    EXPECT_TRUE(found(q).contains("毛琪")) << q;
  }
  EXPECT_FALSE(found("qi").contains("毛琪"));  // keys match from the start of the name

  const std::string id(mao.at("id").as_string());
  Reply r = call("PATCH", "/api/v1/residents/" + id, R"({"name":"曾小红"})", login("staff1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(found("zengxiaohong").contains("曾小红"));  // the surname's reading, zeng
  EXPECT_TRUE(found("zxh").contains("曾小红"));
  EXPECT_FALSE(found("maoqi").contains("毛琪"));

  const std::string csv =
      "楼号,室号,姓名,性别,出生日期,身份证号,手机号,与户主关系,特殊人群,志愿者,备注\n"
      "7号楼,702,吕兰,女,1985-02-03," +
      id_number("31010119850203002") + ",,户主,,否,\n";
  r = call("POST", "/api/v1/residents/import", csv, login("staff1"), "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  for (const char* q : {"lvlan", "lulan", "lü lan", "ll"}) {
    EXPECT_TRUE(found(q).contains("吕兰")) << q;
  }
  // Digits and building names still search as before.
  EXPECT_TRUE(found("7号楼702").contains("吕兰"));
}

// The tabs' counts follow the building filter; the list takes the same filter.
TEST_F(DeskApi, RequestCountsAndTheBuildingFilter) {
  const std::string staff = login("staff1");
  const json::value other = add_resident("韩梅", "8号楼", "801", "31010119800101100");
  const std::string other_building(
      call("GET", "/api/v1/residents/" + std::string(other.at("id").as_string()), "", staff)
          .json()
          .at("building")
          .as_string());
  ASSERT_EQ(other_building, "8号楼");
  Reply r = call("GET", "/api/v1/buildings?limit=100", "", staff);
  std::map<std::string, std::string> building_id;
  const json::value body2 = r.json();
  for (const auto& b : body2.at("items").as_array())
    building_id[std::string(b.at("name").as_string())] = std::string(b.at("id").as_string());
  ASSERT_TRUE(building_id.contains("8号楼") && building_id.contains("1号楼"));

  r = call("GET", "/api/v1/exit-requests/counts", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::int64_t open_before = r.json().at("open").as_int64();
  const std::int64_t all_before = r.json().at("all").as_int64();
  for (const std::string& resident :
       {std::string("2"), std::string("3"), std::string(other.at("id").as_string())}) {
    r = call("POST", "/api/v1/exit-requests",
             json::serialize(json::object{{"resident_id", resident},
                                          {"reason", "medical_staff_return"},
                                          {"destination", "瑞金医院"},
                                          {"planned_exit", shanghai_in(3600)},
                                          {"planned_return", shanghai_in(20 * 3600)}}),
             staff);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  r = call("GET", "/api/v1/exit-requests/counts", "", staff);
  EXPECT_EQ(r.json().at("open").as_int64(), open_before + 3) << r.body;
  EXPECT_EQ(r.json().at("all").as_int64(), all_before + 3) << r.body;
  EXPECT_EQ(r.json().at("denied").as_int64(), 0) << r.body;

  r = call("GET", "/api/v1/exit-requests/counts?building_id=" + building_id["8号楼"], "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("open").as_int64(), 1) << r.body;
  r = call("GET", "/api/v1/exit-requests?status=open&building_id=" + building_id["8号楼"], "",
           staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto items = r.json().at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << r.body;
  EXPECT_EQ(items[0].at("resident").at("name"), "韩梅");
  r = call("GET", "/api/v1/exit-requests?building_id=" + building_id["1号楼"], "", staff);
  const json::value body3 = r.json();
  for (const auto& item : body3.at("items").as_array())
    EXPECT_EQ(item.at("resident").at("building"), "1号楼");

  EXPECT_EQ(call("GET", "/api/v1/exit-requests/counts?building_id=x", "", staff).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/exit-requests/counts", "", login("gate1")).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/exit-requests/counts", "", login("res1")).status, 403);
}

// 整户加入: each member with whether they can go into a tube now, and why not.
TEST_F(DeskApi, AHouseholdComesToTheSamplingPointAtOnce) {
  const std::string staff = login("staff1");
  // A household of three in a building of its own, and a round for today.
  const json::value head = add_resident("周一", "9号楼", "901", "31010119700101200");
  const std::string household(head.at("household_id").as_string());
  std::vector<std::string> ids{std::string(head.at("id").as_string())};
  for (const auto& [name, first17] :
       {std::pair{"周二", "31010119720202300"}, std::pair{"周三", "31010120000303400"},
        std::pair{"周四", "31010120100404500"}}) {
    const Reply r =
        call("POST", "/api/v1/residents",
             json::serialize(json::object{
                 {"name", name}, {"household_id", household}, {"id_number", id_number(first17)}}),
             staff);
    ASSERT_EQ(r.status, 201) << r.body;
    ids.emplace_back(r.json().at("id").as_string());
  }
  const std::string today = shanghai_in(0).substr(0, 10);
  Reply r = call("POST", "/api/v1/rounds", R"({"day":")" + today + R"("})", staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string round(r.json().at("id").as_string());
  r = call("POST", "/api/v1/rounds", R"({"day":")" + today + R"(","another_that_day":true})",
           staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string second_round(r.json().at("id").as_string());

  // 周一 swabbed in the day's other round; 周二 out on an emergency exit; 周三 marked away.
  r = call("POST", "/api/v1/rounds/" + second_round + "/samples",
           R"({"tube_code":"DESK-T1","resident_id":")" + ids[0] + R"("})", staff);
  ASSERT_EQ(r.status, 201) << r.body;
  r = call("POST", "/api/v1/emergency-exits",
           R"({"resident_id":")" + ids[1] +
               R"(","reason":"medical_emergency","destination":"仁济医院","note":"胸痛"})",
           staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string pass(r.json().at("pass").at("id").as_string());
  r = call("POST", "/api/v1/passes/" + pass + "/exit", "", staff);  // the desk saw her leave
  ASSERT_EQ(r.status, 200) << r.body;
  r = call("PUT", "/api/v1/residents/" + ids[2] + "/screening-mark",
           R"({"mark":"away","reason":"在外地出差"})", staff);
  ASSERT_EQ(r.status, 200) << r.body;

  r = call("GET", "/api/v1/rounds/" + round + "/households/" + household, "", login("vol1"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, std::string> skip;
  const json::value body4 = r.json();
  for (const auto& m : body4.at("members").as_array()) {
    const std::string name(m.at("resident").at("name").as_string());
    skip[name] = m.at("skip").is_null() ? "" : std::string(m.at("skip").at("code").as_string());
    EXPECT_NE(std::string(m.at("resident").at("id_number").as_string()).find("**********"),
              std::string::npos);  // a volunteer sees them masked
    if (!m.at("skip").is_null()) EXPECT_FALSE(m.at("skip").at("message_zh").as_string().empty());
  }
  EXPECT_EQ(skip, (std::map<std::string, std::string>{{"周一", "sample.already_sampled_today"},
                                                      {"周二", "sample.out_on_exit"},
                                                      {"周三", "mark.away"},
                                                      {"周四", ""}}));

  // A round for another building: nobody here can be swabbed into it.
  r = call("GET", "/api/v1/buildings?limit=100", "", staff);
  std::string first_building;
  const json::value body5 = r.json();
  for (const auto& b : body5.at("items").as_array())
    if (b.at("name") == "1号楼") first_building = std::string(b.at("id").as_string());
  r = call("POST", "/api/v1/rounds",
           R"({"day":")" + today + R"(","another_that_day":true,"buildings":[")" + first_building +
               R"("]})",
           staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string other_round(r.json().at("id").as_string());
  r = call("GET", "/api/v1/rounds/" + other_round + "/households/" + household, "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value body6 = r.json();
  for (const auto& m : body6.at("members").as_array())
    EXPECT_EQ(m.at("skip").at("code"), "sample.out_of_round");

  EXPECT_EQ(call("GET", "/api/v1/rounds/" + round + "/households/99999", "", staff).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/rounds/99999/households/" + household, "", staff).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/rounds/" + round + "/households/" + household, "", login("gate1"))
                .status,
            403);
}

// The resident list and a building's households as workbooks: Chinese headers, the header row
// frozen, numbers as numbers, ID numbers whole for the desk and masked for the gate.
TEST_F(DeskApi, ResidentListsExportAsXlsx) {
  const std::string staff = login("staff1");
  Reply r = call("GET", "/api/v1/residents/export?building=1", "", staff);
  ASSERT_EQ(r.status, 200) << r.headers;
  EXPECT_TRUE(juwei::testing::has_header(
      r, "Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
  EXPECT_NE(r.headers.find("filename*=UTF-8''1%E5%8F%B7%E6%A5%BC"), std::string::npos)
      << r.headers;  // 1号楼…
  ASSERT_TRUE(r.body.starts_with("PK"));
  std::string sheet = xlsx_part(r.body, "xl/worksheets/sheet1.xml");
  std::string strings = xlsx_part(r.body, "xl/sharedStrings.xml");
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<pane ySplit="1"[^>]*state="frozen")")));
  for (const char* header : {"楼号", "室号", "姓名", "出生日期", "年龄", "身份证号", "手机号"})
    EXPECT_NE(strings.find(header), std::string::npos) << header;
  // The generated community: 80 residents in 1号楼, one row each after the header.
  EXPECT_NE(sheet.find("<dimension ref=\"A1:L81\"/>"), std::string::npos);
  // 年龄 (column F) is a number, not text.
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<c r="F2"( s="[0-9]+")?><v>[0-9]+</v>)")))
      << sheet.substr(0, 3000);
  // The desk gets whole ID numbers.
  const Reply first = call("GET", "/api/v1/residents/1", "", staff);
  const std::string whole(first.json().at("id_number").as_string());
  EXPECT_NE(strings.find(whole), std::string::npos);

  r = call("GET", "/api/v1/residents/export?building=1", "", login("gate1"));
  ASSERT_EQ(r.status, 200);
  strings = xlsx_part(r.body, "xl/sharedStrings.xml");
  EXPECT_EQ(strings.find(whole), std::string::npos);
  EXPECT_NE(strings.find(whole.substr(0, 4) + "**********" + whole.substr(14)), std::string::npos);

  // A search narrows it; an unknown building is a 404; residents may not export.
  r = call("GET", "/api/v1/residents/export?q=" + url_encode(whole.substr(14)), "", staff);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(xlsx_part(r.body, "xl/sharedStrings.xml").find(whole), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/residents/export?building=99号楼", "", staff).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/residents/export", "", login("res1")).status, 403);

  // A building's households, by room.
  r = call("GET", "/api/v1/buildings?limit=100", "", staff);
  std::string building;
  const json::value body7 = r.json();
  for (const auto& b : body7.at("items").as_array())
    if (b.at("name") == "1号楼") building = std::string(b.at("id").as_string());
  r = call("GET", "/api/v1/buildings/" + building + "/households/export", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  sheet = xlsx_part(r.body, "xl/worksheets/sheet1.xml");
  EXPECT_NE(xlsx_part(r.body, "xl/workbook.xml").find("name=\"1号楼 住户\""), std::string::npos);
  EXPECT_NE(sheet.find("<dimension ref=\"A1:L81\"/>"), std::string::npos);
  EXPECT_EQ(
      call("GET", "/api/v1/buildings/" + building + "/households/export", "", login("vol1")).status,
      403);
  EXPECT_EQ(call("GET", "/api/v1/buildings/99999/households/export", "", staff).status, 404);
}

// The daily report (日报) of today: its figures agree with the register and with each other, the
// XLSX reads back with the totals as numbers, the CSV opens in Excel; the gate, volunteers and
// residents may not read it; a bad day names the field.
TEST_F(DeskApi, TheDailyReportIsComputedAndExported) {
  const std::string staff = login("staff1");
  const std::string today = shanghai_in(0).substr(0, 10);
  Reply r = call("GET", "/api/v1/reports/daily?day=" + today, "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value report = r.json();
  EXPECT_EQ(report.at("day").as_string(), today);
  EXPECT_FALSE(report.at("complete").as_bool());
  std::map<std::string, std::int64_t> figure;
  for (const auto& f : report.at("figures").as_array())
    figure[std::string(f.at("key").as_string())] = f.at("value").as_int64();
  std::int64_t residents = 0;
  for (const auto& b : report.at("buildings").as_array())
    residents += b.at("residents").as_int64();
  EXPECT_GE(figure.at("register.residents"), 80);
  EXPECT_EQ(figure.at("register.residents"), residents);
  ASSERT_FALSE(report.at("totals").as_array().empty());
  EXPECT_EQ(report.at("totals").as_array().at(0).at("figure").as_string(), "register.buildings");
  ASSERT_TRUE(report.at("audit_head").is_object());
  EXPECT_EQ(report.at("audit_head").at("hash").as_string().size(), 64u);

  r = call("GET", "/api/v1/reports/daily?format=xlsx&day=" + today, "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.body.starts_with("PK"));
  EXPECT_NE(r.headers.find("daily-report-" + today + ".xlsx"), std::string::npos) << r.headers;
  const std::string workbook = xlsx_part(r.body, "xl/workbook.xml");
  for (const char* sheet : {"日报汇总", "楼栋", "未采样名单", "阳性", "状态变更", "门岗拦截"})
    EXPECT_NE(workbook.find(sheet), std::string::npos) << sheet;
  const std::string sheet = xlsx_part(r.body, "xl/worksheets/sheet1.xml");
  const std::string strings = xlsx_part(r.body, "xl/sharedStrings.xml");
  EXPECT_NE(strings.find("居民人数"), std::string::npos);
  EXPECT_TRUE(std::regex_search(sheet, std::regex(R"(<pane ySplit="1"[^>]*state="frozen")")));
  // 居民人数 is the sheet's third row: its value a number, not text.
  EXPECT_TRUE(std::regex_search(
      sheet, std::regex("<c r=\"C4\"( s=\"[0-9]+\")?><v>" +
                        std::to_string(figure.at("register.residents")) + "</v>")))
      << sheet.substr(0, 3000);

  r = call("GET", "/api/v1/reports/daily?format=csv&day=" + today, "", staff);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with("\xEF\xBB\xBF"));
  EXPECT_NE(r.body.find(",居民人数," + std::to_string(residents) + ",register.residents\r\n"),
            std::string::npos);

  for (const char* user : {"gate1", "vol1", "res1"}) {
    EXPECT_EQ(call("GET", "/api/v1/reports/daily?day=" + today, "", login(user)).status, 403)
        << user;
  }
  for (const std::string& day : {std::string("2022-13-01"), shanghai_in(3 * 86400).substr(0, 10),
                                 std::string("2019-01-01")}) {
    r = call("GET", "/api/v1/reports/daily?day=" + day, "", staff);
    EXPECT_EQ(r.status, 400) << day << r.body;
    EXPECT_NE(r.body.find("\"field\":\"day\""), std::string::npos) << r.body;
  }
  r = call("GET", "/api/v1/reports/daily", "", staff);  // no day: today
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("day").as_string(), today);
  EXPECT_EQ(call("GET", "/api/v1/reports/daily?format=docx&day=" + today, "", staff).status, 400);
  r = call("GET", "/api/v1/reports/daily?format=pdf&day=" + today, "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.body.starts_with("%PDF-"));
  EXPECT_NE(r.headers.find("daily-report-" + today + ".pdf"), std::string::npos) << r.headers;
}

// The charts' series over HTTP: two weeks up to today by default (the community began today, so
// one day), the same figures as the day's report; a bad range names its end.
TEST_F(DeskApi, TheReportSeriesGivesEachDaysFigures) {
  const std::string staff = login("staff1");
  const std::string today = shanghai_in(0).substr(0, 10);
  Reply r = call("GET", "/api/v1/reports/series", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value series = r.json();
  EXPECT_EQ(series.at("to").as_string(), today);
  ASSERT_EQ(series.at("days").as_array().size(), 1u) << r.body.substr(0, 500);
  const json::value& day = series.at("days").as_array().at(0);
  EXPECT_EQ(day.at("day").as_string(), today);
  const json::value report = call("GET", "/api/v1/reports/daily", "", staff).json();
  for (const auto& f : report.at("figures").as_array()) {
    EXPECT_EQ(day.at("figures").at(f.at("key").as_string()).as_int64(), f.at("value").as_int64())
        << f.at("key").as_string();
  }
  EXPECT_EQ(series.at("figures").as_array().size(), report.at("figures").as_array().size());

  r = call("GET", "/api/v1/reports/series?from=" + today + "&to=2022-01-01", "", staff);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"field\":\"from\""), std::string::npos) << r.body;
  r = call("GET", "/api/v1/reports/series?to=" + shanghai_in(3 * 86400).substr(0, 10), "", staff);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"field\":\"to\""), std::string::npos) << r.body;
  for (const char* user : {"gate1", "vol1", "res1"})
    EXPECT_EQ(call("GET", "/api/v1/reports/series", "", login(user)).status, 403) << user;
}

}  // namespace
