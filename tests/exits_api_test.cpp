// Exit requests and passes against the real server, the issue's seed story end to end over
// HTTP: a nurse in a sealed building asks to go back to work, gets a negative, signs the
// pledge, uploads her recall, is approved and leaves with a signed pass; a pregnant resident
// goes out through the emergency lane; the policy is read and guarded.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "domain/short_code.hpp"
#include "support/http_call.hpp"
#include "support/juwei_process.hpp"
#include "support/pg_test_database.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using juwei::testing::iso_now;
using juwei::testing::slurp;

constexpr const char* kNurseAccount = "res1";    // resident 1's account: the nurse
constexpr const char* kOtherAccount = "res80";   // resident 80's account: another household
constexpr const char* kPregnantResident = "79";  // the emergency: another household

using juwei::testing::Reply;
using juwei::testing::url_encode;

// Now + `seconds` in Shanghai time with its offset: "2022-04-05T10:00:00+08:00".
std::string shanghai_in(long seconds) {
  const std::time_t t = std::time(nullptr) + seconds + 8 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
  return text;
}

// Now plus `seconds` as the gates write times: "2022-04-05T01:30:00Z".
std::string iso_utc_now(long seconds) {
  const std::time_t t = std::time(nullptr) + seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Today in Shanghai: "2022-04-05".
std::string shanghai_today() {
  return shanghai_in(0).substr(0, 10);
}

std::set<std::string> error_fields(const Reply& r) {
  std::set<std::string> fields;
  const json::value body = r.json();
  for (const auto& e : body.at("errors").as_array())
    fields.insert(std::string(e.at("field").as_string()));
  return fields;
}

// The rule ids of an assessment that are not met.
std::set<std::string> unmet_rules(const json::value& request) {
  std::set<std::string> unmet;
  for (const auto& r : request.at("assessment").at("rules").as_array()) {
    if (!r.at("met").as_bool()) unmet.insert(std::string(r.at("id").as_string()));
  }
  return unmet;
}

bool rule_met(const json::value& request, const std::string& id) {
  for (const auto& r : request.at("assessment").at("rules").as_array()) {
    if (r.at("id").as_string() == id) return r.at("met").as_bool();
  }
  ADD_FAILURE() << "no rule " << id;
  return false;
}

class ExitsApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::random_device rd;
    s_dir = new fs::path(fs::temp_directory_path() / ("juwei-exits-api-" + std::to_string(rd())));
    fs::create_directories(*s_dir);
    s_db = new std::string(juwei::testing::test_database_url(s_dir->string()));
    run("init --community 春晖居民区 --db " + *s_db);
    run("gen --households 30 --residents 80 --volunteers 4 --csv " + (*s_dir / "r.csv").string());
    run("import residents " + (*s_dir / "r.csv").string() + " --db " + *s_db);
    for (const char* user : {"liumiao:secretary", "staff1:staff", "gate1:gate", "vol1:volunteer",
                             "admin2:admin", "res1:resident", "res80:resident"}) {
      const std::string name = std::string(user).substr(0, std::string(user).find(':'));
      const std::string role = std::string(user).substr(name.size() + 1);
      std::ofstream(*s_dir / "pw") << "password-" << name << "\n";
      const std::string bound = role == "resident" ? " --resident " + name.substr(3) : "";
      run("user add " + name + " --role " + role + bound + " --password-stdin --db " + *s_db +
          " < " + (*s_dir / "pw").string());
    }
    s_server = new juwei::testing::ServerProcess(JUWEI_BIN, *s_db, {"--threads", "2"});
    s_base = &s_server->direct_url();  // the server itself, not the spec validator
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

  // One request with curl: method, path, optional body, optional bearer token.
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

  static Reply check_token(const std::string& token, const std::string& as) {
    return call("POST", "/api/v1/pass-checks", json::serialize(json::object{{"token", token}}), as);
  }

  static std::string refusal_of(const Reply& r) {
    const json::value v = r.json();
    if (v.at("refusal").is_null()) return "";
    return std::string(v.at("refusal").at("code").as_string());
  }

  static inline fs::path* s_dir = nullptr;
  static inline std::string* s_db = nullptr;
  static inline const std::string* s_base = nullptr;
  static inline juwei::testing::ServerProcess* s_server = nullptr;
};

TEST_F(ExitsApi, TheNurseGoesBackToWorkWithASignedPass) {
  const std::string staff = login("staff1");
  const std::string secretary = login("liumiao");
  const std::string volunteer = login("vol1");
  const std::string nurse_account = login(kNurseAccount);
  const std::string other_account = login(kOtherAccount);
  const std::string gate = login("gate1");

  const json::value nurse = call("GET", "/api/v1/residents/1", "", staff).json();
  const std::string name(nurse.at("name").as_string());
  const json::value other = call("GET", "/api/v1/residents/80", "", staff).json();
  ASSERT_NE(other.at("household_id"), nurse.at("household_id"));

  // 1. Her building is sealed.
  std::string building;
  const json::value zones = call("GET", "/api/v1/zones", "", staff).json();
  for (const auto& z : zones.at("items").as_array()) {
    if (z.at("building") == nurse.at("building")) {
      building = std::string(z.at("building_id").as_string());
    }
  }
  ASSERT_FALSE(building.empty());
  Reply r = call("POST", "/api/v1/buildings/" + building + "/status-changes",
                 R"({"status":"sealed","reason":"3 楼阳性"})", secretary);
  ASSERT_EQ(r.status, 201) << r.body;

  // 2. Staff file her request after her call: not eligible yet.
  const json::object request_body{{"resident_id", "1"},
                                  {"reason", "medical_staff_return"},
                                  {"destination", "瑞金医院"},
                                  {"planned_exit", shanghai_in(0)},
                                  {"planned_return", shanghai_in(12 * 3600)}};
  // A typed 2020 for the exit and a return before it are named, and nothing is filed.
  json::object typo = request_body;
  typo["planned_exit"] = "2020-04-06T07:30:00+08:00";
  typo["planned_return"] = "2020-04-06T06:00:00+08:00";
  r = call("POST", "/api/v1/exit-requests", json::serialize(typo), staff);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_fields(r), (std::set<std::string>{"planned_exit", "planned_return"})) << r.body;
  // An id past INT64_MAX, from a resident's account: 400 naming the field, not a 500.
  json::object huge = request_body;
  huge["resident_id"] = json::value(std::uint64_t{18446744073709551615ULL});
  r = call("POST", "/api/v1/exit-requests", json::serialize(huge), nurse_account);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_fields(r), (std::set<std::string>{"resident_id"})) << r.body;
  r = call("POST", "/api/v1/exit-requests", json::serialize(request_body), staff);
  ASSERT_EQ(r.status, 201) << r.body;
  json::value request = r.json();
  const std::string id(request.at("id").as_string());
  const std::string path = "/api/v1/exit-requests/" + id;
  EXPECT_FALSE(request.at("assessment").at("eligible").as_bool());
  EXPECT_EQ(unmet_rules(request), (std::set<std::string>{"exit.needs_negative_within",
                                                         "exit.needs_proof", "exit.needs_pledge"}))
      << r.body;

  // The desk's queue lists it with who is to leave and what is missing, in one call.
  r = call("GET", "/api/v1/exit-requests?status=open", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value queue_page = r.json();
  const json::array& queue = queue_page.at("items").as_array();
  const auto listed = std::ranges::find_if(
      queue, [&](const json::value& item) { return item.at("id").as_string() == id; });
  ASSERT_NE(listed, queue.end()) << r.body;
  EXPECT_EQ(listed->at("resident").at("name").as_string(), name);
  EXPECT_EQ(listed->at("resident").at("room"), nurse.at("room"));
  EXPECT_FALSE(listed->at("resident").as_object().contains("id_number")) << "the queue needs none";
  EXPECT_EQ(unmet_rules(*listed), unmet_rules(request));

  // 3. Not approved without an override; staff do not approve at all.
  r = call("POST", path + "/decision", R"({"decision":"approve"})", secretary);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(error_fields(r).contains("override")) << r.body;
  r = call("POST", path + "/decision", R"({"decision":"approve"})", staff);
  EXPECT_EQ(r.status, 403) << r.body;

  // 4. Swabbed today, negative back from the lab.
  r = call("POST", "/api/v1/rounds", R"({"day":")" + shanghai_today() + R"("})", staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string round(r.json().at("id").as_string());
  r = call("POST", "/api/v1/rounds/" + round + "/samples",
           R"({"tube_code":"EXIT-S1","kind":"single","resident_id":"1"})", volunteer);
  ASSERT_EQ(r.status, 201) << r.body;
  r = call("POST", "/api/v1/results/import?filename=lab.csv",
           "tube_code,result,reported_at,lab\nEXIT-S1,阴性," + iso_now() + ",华大\n", staff,
           "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("added").as_int64(), 1) << r.body;
  r = call("GET", path, "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  request = r.json();
  EXPECT_TRUE(rule_met(request, "exit.needs_negative_within")) << r.body;

  // 5. She reads and signs the pledge and uploads her recall herself.
  r = call("GET", path + "/pledge", "", nurse_account);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(std::string(r.json().at("text").as_string()).find(name), std::string::npos) << r.body;
  r = call("POST", path + "/pledge",
           json::serialize(json::object{{"signed_name", name}, {"consent", true}}), nurse_account);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string pdf_proof = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
  r = call("POST", path + "/proofs?filename=recall.pdf", pdf_proof, nurse_account,
           "application/pdf");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("content_type"), "application/pdf");
  r = call("POST", path + "/proofs?filename=recall2.pdf", "GIF89a\x01\x00\x01\x00 not a pdf",
           nurse_account, "application/pdf");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_fields(r), (std::set<std::string>{"file"}));
  EXPECT_EQ(call("GET", path, "", other_account).status, 404);
  r = call("GET", path, "", nurse_account);
  ASSERT_EQ(r.status, 200) << r.body;
  request = r.json();
  EXPECT_TRUE(request.at("assessment").at("eligible").as_bool()) << r.body;
  // Her household's list shows it ready; another household's list does not show it.
  r = call("GET", "/api/v1/exit-requests?status=open", "", nurse_account);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json().at("items").as_array().size(), 1U) << r.body;
  EXPECT_TRUE(r.json().at("items").at(0).at("assessment").at("eligible").as_bool()) << r.body;
  r = call("GET", "/api/v1/exit-requests", "", other_account);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("items").as_array().empty()) << r.body;

  // 6. The signed pledge as a PDF, with her name in it.
  r = call("GET", path + "/pledge/pdf", "", nurse_account);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("application/pdf"), std::string::npos) << r.headers;
  const fs::path pledge_pdf = *s_dir / "pledge.pdf";
  std::ofstream(pledge_pdf, std::ios::binary) << r.body;
  const auto text = juwei::testing::run_shell(
      "pdftotext -enc UTF-8 " + juwei::testing::quote(pledge_pdf.string()) + " -", *s_dir);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find(name), std::string::npos) << text.out;

  // 7. The secretary approves: a signed pass, as a QR code and a PDF.
  r = call("POST", path + "/decision", R"({"decision":"approve"})", secretary);
  ASSERT_EQ(r.status, 200) << r.body;
  request = r.json();
  ASSERT_TRUE(request.at("pass").is_object()) << r.body;
  const std::string pass_id(request.at("pass").at("id").as_string());
  const std::string token(request.at("pass").at("token").as_string());
  EXPECT_TRUE(token.starts_with("JW1.")) << token;
  const std::string pass_path = "/api/v1/passes/" + pass_id;
  r = call("GET", pass_path + "/qr?format=svg", "", nurse_account);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("image/svg+xml"), std::string::npos) << r.headers;
  EXPECT_NE(r.body.find("<svg"), std::string::npos);
  r = call("GET", pass_path + "/qr?format=png", "", nurse_account);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("image/png"), std::string::npos) << r.headers;
  EXPECT_TRUE(r.body.starts_with("\x89PNG"));
  r = call("GET", pass_path + "/pdf", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("application/pdf"), std::string::npos) << r.headers;
  EXPECT_TRUE(r.body.starts_with("%PDF"));

  // 8. The token checks out, with her ID number masked; a tampered one does not. The gate
  // sees none of this for now.
  r = check_token(token, staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("valid").as_bool()) << r.body;
  EXPECT_EQ(r.json().at("pass_id").as_string(), pass_id);
  EXPECT_NE(std::string(r.json().at("holder").at("id_number").as_string()).find('*'),
            std::string::npos)
      << r.body;
  std::string tampered = token;
  const std::size_t at = tampered.size() / 2;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  r = check_token(tampered, staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at("valid").as_bool()) << r.body;
  const std::string tamper_refusal = refusal_of(r);
  EXPECT_TRUE(tamper_refusal == "pass.bad_signature" || tamper_refusal == "pass.malformed")
      << r.body;
  EXPECT_EQ(check_token(token, gate).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/passes", "", gate).status, 403);

  // 9. She leaves: the pass is used, the board shows her out; she reports back.
  r = call("POST", pass_path + "/exit", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  r = check_token(token, staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at("valid").as_bool());
  EXPECT_EQ(refusal_of(r), "pass.used") << r.body;
  r = call("GET", "/api/v1/pass-board", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  bool out = false;
  const json::value board = r.json();
  for (const auto& p : board.at("out").as_array())
    out |= p.at("id").as_string() == pass_id;
  EXPECT_TRUE(out) << r.body;
  r = call("POST", pass_path + "/return", "", nurse_account);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("return_state"), "returned") << r.body;
}

TEST_F(ExitsApi, AnEmergencyGoesFirstAndItsPassCanBeRevoked) {
  const std::string staff = login("staff1");
  const json::value mother =
      call("GET", std::string("/api/v1/residents/") + kPregnantResident, "", staff).json();
  const json::value nurse = call("GET", "/api/v1/residents/1", "", staff).json();
  ASSERT_NE(mother.at("household_id"), nurse.at("household_id"));

  const json::object body{{"resident_id", kPregnantResident},
                          {"reason", "childbirth"},
                          {"destination", "国际妇幼保健院"},
                          {"note", "凌晨破水，120 已到小区门口"}};
  Reply r = call("POST", "/api/v1/emergency-exits", json::serialize(body), staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const json::value released = r.json();
  ASSERT_TRUE(released.at("pass").is_object()) << r.body;
  EXPECT_TRUE(released.at("pass").at("emergency").as_bool());
  EXPECT_FALSE(released.at("pass").at("paperwork_due_at").is_null()) << r.body;
  ASSERT_FALSE(released.at("decisions").as_array().empty()) << r.body;
  EXPECT_EQ(released.at("decisions").as_array()[0].at("outcome"), "released");
  const std::string pass_id(released.at("pass").at("id").as_string());
  const std::string token(released.at("pass").at("token").as_string());

  r = call("POST", "/api/v1/passes/" + pass_id + "/revocation",
           json::serialize(json::object{{"reason", "误操作，重新开具"}}), staff);
  ASSERT_EQ(r.status, 200) << r.body;
  r = check_token(token, staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at("valid").as_bool());
  EXPECT_EQ(refusal_of(r), "pass.revoked") << r.body;
}

TEST_F(ExitsApi, ThePolicyIsReadByResidentsAndSetOnlyByTheAdmin) {
  Reply r = call("GET", "/api/v1/policy", "", login(kNurseAccount));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value policy = r.json();
  std::set<std::string> reasons;
  for (const auto& reason : policy.at("reasons").as_array())
    reasons.insert(std::string(reason.at("code").as_string()));
  EXPECT_TRUE(reasons.contains("medical_staff_return")) << r.body;
  EXPECT_TRUE(reasons.contains("childbirth")) << r.body;

  r = call("PUT", "/api/v1/policy", R"({"toml":"version = 1"})", login("admin2"));
  ASSERT_EQ(r.status, 400) << r.body;
  const std::set<std::string> fields = error_fields(r);
  EXPECT_FALSE(fields.empty()) << r.body;
  for (const std::string& f : fields)
    EXPECT_FALSE(f.empty()) << r.body;
  EXPECT_EQ(call("PUT", "/api/v1/policy", R"({"toml":"version = 1"})", login("liumiao")).status,
            403);
}
TEST_F(ExitsApi, TheGateLetsAPassHolderOutAndInAndKeepsARegister) {
  const std::string staff = login("staff1");
  const std::string gate = login("gate1");
  const std::string resident_account = login(kOtherAccount);

  // An emergency release: the quickest way to a pass that lets its holder out now.
  const json::object release{{"resident_id", "40"},
                             {"reason", "medical_emergency"},
                             {"destination", "仁济医院"},
                             {"note", "胸痛，120 已到"}};
  Reply r = call("POST", "/api/v1/emergency-exits", json::serialize(release), staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string pass_id(r.json().at("pass").at("id").as_string());
  const std::string token(r.json().at("pass").at("token").as_string());
  const auto gate_check = [&](const json::object& body, const std::string& as) {
    return call("POST", "/api/v1/gate/check", json::serialize(body), as);
  };

  // Out on the pass, with the holder's ID number masked; the phone names its check.
  const json::object named{
      {"token", token}, {"direction", "out"}, {"check_id", "phone-1"}, {"device", "phone"}};
  r = gate_check(named, gate);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = r.json();
  EXPECT_EQ(v.at("decision"), "allow") << r.body;
  EXPECT_EQ(v.at("code"), "gate.out") << r.body;
  EXPECT_EQ(v.at("pass_id").as_string(), pass_id) << r.body;
  ASSERT_TRUE(v.at("holder").is_object()) << r.body;
  EXPECT_FALSE(v.at("holder").at("name").as_string().empty()) << r.body;
  EXPECT_NE(std::string(v.at("holder").at("id_number").as_string()).find('*'), std::string::npos)
      << r.body;
  EXPECT_FALSE(v.at("event_id").as_string().empty()) << r.body;
  // Its reply lost, the phone sends it again: the same answer, and nothing applied twice.
  r = gate_check(named, gate);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(juwei::testing::has_header(r, "Idempotent-Replayed", "true")) << r.headers;
  EXPECT_EQ(r.json().at("decision"), "allow") << r.body;
  EXPECT_EQ(r.json().at("event_id"), v.at("event_id")) << r.body;

  // Not twice; back in closes the exit.
  r = gate_check({{"token", token}, {"direction", "out"}}, gate);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decision"), "deny") << r.body;
  EXPECT_EQ(r.json().at("code"), "gate.already_out") << r.body;
  r = gate_check({{"token", token}, {"direction", "in"}}, gate);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decision"), "allow") << r.body;
  EXPECT_EQ(r.json().at("code"), "gate.in") << r.body;

  // A tampered token, and a resident with no pass.
  std::string tampered = token;
  const std::size_t at = tampered.size() / 2;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  r = gate_check({{"token", tampered}, {"direction", "out"}}, gate);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decision"), "deny") << r.body;
  const std::string tamper_code(r.json().at("code").as_string());
  EXPECT_TRUE(tamper_code == "pass.bad_signature" || tamper_code == "pass.malformed") << r.body;
  const json::value nopass = call("GET", "/api/v1/residents/70", "", staff).json();
  r = gate_check({{"id_number", nopass.at("id_number")}, {"direction", "out"}}, gate);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decision"), "deny") << r.body;
  EXPECT_EQ(r.json().at("code"), "gate.no_valid_pass") << r.body;

  // Neither token nor ID number; a resident at the gate.
  r = gate_check({{"direction", "out"}}, gate);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(gate_check({{"token", token}, {"direction", "out"}}, resident_account).status, 403);

  // The register of today, in order; filtered; as CSV. The gate does not read it.
  const std::string events = "/api/v1/gate/events?day=" + shanghai_today();
  r = call("GET", events, "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> decisions;
  std::vector<std::string> codes;
  const json::value page = r.json();
  for (const auto& e : page.at("items").as_array()) {
    decisions.emplace_back(e.at("decision").as_string());
    codes.emplace_back(e.at("code").as_string());
  }
  EXPECT_EQ(decisions, (std::vector<std::string>{"allow", "deny", "allow", "deny", "deny"}))
      << r.body;
  EXPECT_EQ(codes, (std::vector<std::string>{"gate.out", "gate.already_out", "gate.in", tamper_code,
                                             "gate.no_valid_pass"}))
      << r.body;
  r = call("GET", events + "&decision=deny", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value denied = r.json();
  ASSERT_EQ(denied.at("items").as_array().size(), 3u) << r.body;
  for (const auto& e : denied.at("items").as_array())
    EXPECT_EQ(e.at("decision"), "deny") << r.body;
  r = call("GET", events + "&format=csv", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("text/csv"), std::string::npos) << r.headers;
  EXPECT_NE(r.body.find("gate.out"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("放行"), std::string::npos) << r.body;
  // Readable without the database (issue 17 item 7): the time with its year, the resident by
  // name, building and room, and masked ID number, the pass by title, short code, holder, reason.
  const json::value holder = call("GET", "/api/v1/residents/40", "", staff).json();
  const std::string name(holder.at("name").as_string());
  const std::string resident_text = name + "（" + std::string(holder.at("building").as_string()) +
                                    std::string(holder.at("room").as_string()) + "室，";
  EXPECT_NE(r.body.find("\n" + shanghai_today() + " "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("," + resident_text), std::string::npos) << r.body;
  const std::string code(
      call("GET", "/api/v1/passes/" + pass_id, "", staff).json().at("short_code").as_string());
  ASSERT_EQ(code.size(), 8u);
  EXPECT_NE(r.body.find(",出入证（绿色通道） " + code.substr(0, 4) + "-" + code.substr(4) + "：" +
                        name + "，就医急诊,"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find(std::string(holder.at("id_number").as_string())), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/gate/events", "", gate).status, 403);
}

// A pass's short code (issue 17 item 5), typed by the guard when the QR code will not scan:
// read forgivingly, checked as the pass's token would be, a typo caught by its check character;
// the offline bundle carries it with the token, and the paper pass prints it.
TEST_F(ExitsApi, TheGateTakesAPassShortCodeTypedByHand) {
  const std::string staff = login("staff1");
  const std::string gate = login("gate1");
  const json::object release{{"resident_id", "41"},
                             {"reason", "medical_emergency"},
                             {"destination", "仁济医院"},
                             {"note", "临产"}};
  Reply r = call("POST", "/api/v1/emergency-exits", json::serialize(release), staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string pass_id(r.json().at("pass").at("id").as_string());
  const std::string code(r.json().at("pass").at("short_code").as_string());
  ASSERT_EQ(code.size(), 8u) << r.body;
  for (char c : code)
    EXPECT_NE(juwei::domain::kShortCodeAlphabet.find(c), std::string_view::npos) << code;
  ASSERT_TRUE(juwei::domain::parse_short_code(code)) << code;
  const auto gate_check = [&](const json::object& body) {
    return call("POST", "/api/v1/gate/check", json::serialize(body), gate);
  };

  // Typed as people type: lower case, with the dash the paper shows.
  std::string typed = code.substr(0, 4) + "-" + code.substr(4);
  for (char& c : typed)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  r = gate_check({{"code", typed}, {"direction", "out"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decision"), "allow") << r.body;
  EXPECT_EQ(r.json().at("code"), "gate.out") << r.body;
  EXPECT_EQ(r.json().at("pass_id").as_string(), pass_id) << r.body;
  // The same pass again, by its code: refused as the token would be.
  r = gate_check({{"code", code}, {"direction", "out"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decision"), "deny") << r.body;
  EXPECT_EQ(r.json().at("code"), "gate.already_out") << r.body;

  // One character mistyped: a 400 naming the field, never a stranger's 禁止.
  std::string typo = code;
  typo[2] = typo[2] == 'A' ? 'B' : 'A';
  r = gate_check({{"code", typo}, {"direction", "in"}});
  ASSERT_EQ(r.status, 400) << r.body;
  const json::value problem = r.json();
  ASSERT_FALSE(problem.at("errors").as_array().empty()) << r.body;
  EXPECT_EQ(problem.at("errors").at(0).at("field"), "code") << r.body;
  EXPECT_EQ(problem.at("errors").at(0).at("code"), "code.check") << r.body;
  r = gate_check({{"code", "K7QM2X9"}, {"direction", "in"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().at("errors").at(0).at("code"), "code.length") << r.body;
  // A well-formed code no pass has.
  std::string unknown;
  for (std::uint64_t bits = 1;; ++bits) {
    unknown = juwei::domain::make_short_code(bits);
    if (unknown != code) break;
  }
  r = gate_check({{"code", unknown}, {"direction", "out"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decision"), "deny") << r.body;
  EXPECT_EQ(r.json().at("code"), "pass.unknown") << r.body;
  // One of token, code and ID number.
  r = gate_check({{"code", code}, {"id_number", "310101199001011234"}, {"direction", "out"}});
  EXPECT_EQ(r.status, 400) << r.body;

  // The offline bundle lists the pass with its code and token.
  r = call("GET", "/api/v1/gate/offline-bundle", "", gate);
  ASSERT_EQ(r.status, 200) << r.body;
  bool listed = false;
  const json::value bundle = r.json();
  for (const auto& p : bundle.at("passes").as_array()) {
    if (p.at("id").as_string() != pass_id) continue;
    listed = true;
    EXPECT_EQ(p.at("short_code").as_string(), code) << r.body;
    EXPECT_TRUE(p.at("token").as_string().starts_with("JW1.")) << r.body;
  }
  EXPECT_TRUE(listed) << r.body;
}

// Offline: the gate fetches its bundle, checks while the network is down, and syncs later;
// the same pass let out at a second offline gate is flagged for the desk.
TEST_F(ExitsApi, AnOfflineGateSyncsItsChecksAndConflictsReachTheDesk) {
  const std::string staff = login("staff1");
  const std::string gate = login("gate1");
  const std::string secretary = login("liumiao");
  const json::object release{{"resident_id", "41"},
                             {"reason", "childbirth"},
                             {"destination", "妇幼保健院"},
                             {"note", "临产"}};
  Reply r = call("POST", "/api/v1/emergency-exits", json::serialize(release), staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string pass_id(r.json().at("pass").at("id").as_string());
  const std::string token(r.json().at("pass").at("token").as_string());

  r = call("GET", "/api/v1/gate/offline-bundle", "", gate);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("no-store"), std::string::npos) << r.headers;
  const json::object bundle = r.json().as_object();
  EXPECT_FALSE(bundle.at("keys").as_array().empty());
  bool listed = false;
  for (const json::value& p : bundle.at("passes").as_array()) {
    if (p.at("id").as_string() != pass_id) continue;
    listed = true;
    EXPECT_TRUE(p.at("refusal").is_null()) << p;
    EXPECT_EQ(p.at("out"), false);
    EXPECT_NE(p.at("id_number").as_string().find('*'), std::string::npos) << p;
  }
  EXPECT_TRUE(listed) << r.body;

  // East synced first: her exit is logged. West let her out too: a conflict.
  const auto check = [&](const char* id, const std::string& at, const char* direction) {
    return json::object{{"client_id", id},        {"at", at},
                        {"direction", direction}, {"token", token},
                        {"decision", "allow"},    {"code", "gate.out"}};
  };
  const std::string at = iso_utc_now(1);  // the pass is valid from its release, just now
  const json::object east{{"device", "east"}, {"checks", json::array{check("e-1", at, "out")}}};
  r = call("POST", "/api/v1/gate/sync", json::serialize(east), gate);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value item = r.json().at("items").as_array().at(0);
  EXPECT_EQ(item.at("duplicate"), false);
  EXPECT_TRUE(item.at("conflict").is_null()) << r.body;
  const json::object west{{"device", "west"},
                          {"checks", json::array{check("w-1", iso_utc_now(30), "out")}}};
  r = call("POST", "/api/v1/gate/sync", json::serialize(west), gate);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("items").as_array().at(0).at("conflict"), "pass.used") << r.body;
  // Resent: answered again, applied once.
  r = call("POST", "/api/v1/gate/sync", json::serialize(east), gate);
  EXPECT_EQ(r.json().at("items").as_array().at(0).at("duplicate"), true) << r.body;

  // Bad checks are named by index; nothing of the call is applied.
  json::object bad{{"device", "east"},
                   {"checks", json::array{check("e-2", at, "in"), check("e-3", "soon", "in")}}};
  r = call("POST", "/api/v1/gate/sync", json::serialize(bad), gate);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().at("errors").as_array().at(0).at("field"), "checks[1].at") << r.body;
  bad["checks"].as_array()[1].as_object()["at"] = 5;
  r = call("POST", "/api/v1/gate/sync", json::serialize(bad), gate);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().at("errors").as_array().at(0).at("field"), "checks[1].at") << r.body;
  EXPECT_EQ(call("POST", "/api/v1/gate/sync", R"({"device":"east","checks":"x"})", gate).status,
            400);

  // The desk sees the conflict, and her as out now.
  r = call("GET", "/api/v1/gate/events?conflict=true", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json().at("items").as_array().size(), 1u) << r.body;
  item = r.json().at("items").as_array().at(0);
  EXPECT_EQ(item.at("device"), "west");
  EXPECT_EQ(item.at("conflict"), "pass.used");
  EXPECT_EQ(item.at("source"), "offline");
  r = call("GET", "/api/v1/gate/events?state=out_now", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  bool out_now = false;
  const json::value out_page = r.json();
  for (const json::value& e : out_page.at("items").as_array())
    out_now = out_now || (e.at("pass_id") == json::value(pass_id) && e.at("device") == "east");
  EXPECT_TRUE(out_now) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/gate/events?state=away", "", staff).status, 400);
  r = call("GET", "/api/v1/gate/events?format=csv&conflict=true", "", staff);
  EXPECT_NE(r.body.find("离线（west）"), std::string::npos) << r.body;

  // The desk follows the conflict up; the gate cannot; then it is no longer open.
  const std::string follow_up =
      "/api/v1/gate/events/" + std::string(item.at("id").as_string()) + "/follow-up";
  EXPECT_TRUE(item.at("follow_up").is_null()) << item;
  EXPECT_EQ(call("POST", follow_up, R"({"note":"看过"})", gate).status, 403);
  r = call("POST", follow_up, R"({"note":""})", staff);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_fields(r), (std::set<std::string>{"note"})) << r.body;
  r = call("POST", follow_up, R"({"note":"已电话核实：她从东门出，西门的登记是重复扫码"})", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("follow_up").at("note"), "已电话核实：她从东门出，西门的登记是重复扫码");
  EXPECT_EQ(call("POST", follow_up, R"({"note":"again"})", secretary).status, 409);
  EXPECT_EQ(call("POST", "/api/v1/gate/events/9999/follow-up", R"({"note":"x"})", staff).status,
            404);
  r = call("GET", "/api/v1/gate/events?conflict=true&followed_up=false", "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("items").as_array().empty()) << r.body;
  r = call("GET", "/api/v1/gate/events?conflict=true&followed_up=true", "", staff);
  EXPECT_EQ(r.json().at("items").as_array().size(), 1u) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/gate/events?followed_up=maybe", "", staff).status, 400);

  // Back, checked offline at the east gate: the pass is closed.
  const json::object back{{"device", "east"},
                          {"checks", json::array{check("e-4", iso_utc_now(60), "in")}}};
  r = call("POST", "/api/v1/gate/sync", json::serialize(back), gate);
  ASSERT_EQ(r.status, 200) << r.body;
  r = call("GET", "/api/v1/passes/" + pass_id, "", staff);
  EXPECT_EQ(r.json().at("return_state"), "returned") << r.body;
}

TEST_F(ExitsApi, TheAuditTrailIsReadOnlyAndVerifiable) {
  const std::string staff = login("staff1");
  const std::string secretary = login("liumiao");
  ASSERT_EQ(call("POST", "/api/v1/emergency-exits",
                 R"({"resident_id":"30","reason":"medical_emergency","destination":"瑞金医院",)"
                 R"("note":"胸痛"})",
                 staff)
                .status,
            201);
  const Reply verification = call("GET", "/api/v1/audit/verification", "", secretary);
  ASSERT_EQ(verification.status, 200) << verification.body;
  const auto v = verification.json().as_object();
  EXPECT_TRUE(v.at("intact").as_bool());
  EXPECT_GE(v.at("records").as_int64(), 2);
  EXPECT_EQ(v.at("head").as_string().size(), 64u);
  // Newest first: the first record of the first page is the chain's head.
  const Reply page = call("GET", "/api/v1/audit?limit=500", "", secretary);
  ASSERT_EQ(page.status, 200);
  const auto records = page.json().at("items").as_array();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front().at("hash").as_string(), v.at("head").as_string());
  bool released = false;
  for (const auto& r : records) {
    released = released || r.at("action").as_string() == "decision.emergency_release";
  }
  EXPECT_TRUE(released);
  EXPECT_EQ(call("GET", "/api/v1/audit", "", staff).status, 403);
  // No route changes a record.
  EXPECT_EQ(call("DELETE", "/api/v1/audit", "", secretary).status, 405);
  EXPECT_EQ(call("PATCH", "/api/v1/audit", "{}", secretary).status, 405);
}

// rule: the desk prints the pledge for a resident who signs on paper (an elderly caller
// without a phone), and a decision says who made it.
TEST_F(ExitsApi, TheDeskPrintsThePledgeAndADecisionNamesItsDecider) {
  const std::string staff = login("staff1");
  const std::string secretary = login("liumiao");
  const json::object body{{"resident_id", "50"},
                          {"reason", "medical_staff_return"},
                          {"destination", "瑞金医院"},
                          {"planned_exit", shanghai_in(600)},
                          {"planned_return", shanghai_in(12 * 3600)}};
  Reply r = call("POST", "/api/v1/exit-requests", json::serialize(body), staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string path = "/api/v1/exit-requests/" + std::string(r.json().at("id").as_string());

  // The pledge to print, unsigned, from the desk: both desk roles.
  for (const std::string& desk : {staff, secretary}) {
    r = call("GET", path + "/pledge/pdf", "", desk);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(juwei::testing::has_header(r, "Content-Type", "application/pdf")) << r.headers;
    EXPECT_TRUE(r.body.starts_with("%PDF-"));
  }
  // Nobody else: the gate, a volunteer and the admin are refused; another household's
  // resident does not learn the request exists.
  for (const char* other : {"gate1", "vol1", "admin2"}) {
    EXPECT_EQ(call("GET", path + "/pledge/pdf", "", login(other)).status, 403) << other;
  }
  EXPECT_EQ(call("GET", path + "/pledge/pdf", "", login(kOtherAccount)).status, 404);
  EXPECT_EQ(call("GET", path + "/pledge/pdf").status, 401);

  // The secretary approves by override: the decision names her.
  r = call("POST", path + "/decision",
           R"({"decision":"approve","override":true,"reason":"医院急召，纸质承诺书已签"})",
           secretary);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value view = r.json();
  const json::array& decisions = view.at("decisions").as_array();
  ASSERT_EQ(decisions.size(), 1u) << r.body;
  EXPECT_EQ(decisions[0].at("decided_by_name"), "liumiao") << r.body;
  const json::value me = call("GET", "/api/v1/me", "", secretary).json();
  EXPECT_EQ(decisions[0].at("decided_by"), me.at("id"));
  // And so does the request as anyone reads it later.
  r = call("GET", path, "", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("decisions").at(0).at("decided_by_name"), "liumiao") << r.body;
}

// rule: the audit trail answers "who approved 李龙?": newest first, filtered by actor,
// action, object, resident and day, each record naming its actor and object, pages that
// follow the order and the filters, and the chain still verifies.
TEST_F(ExitsApi, TheAuditTrailAnswersWhoApprovedAResident) {
  const std::string staff = login("staff1");
  const std::string secretary = login("liumiao");
  const std::string admin = login("admin2");
  const auto file = [&](const char* resident) {
    const json::object body{{"resident_id", resident},
                            {"reason", "medical_staff_return"},
                            {"destination", "瑞金医院"},
                            {"planned_exit", shanghai_in(600)},
                            {"planned_return", shanghai_in(12 * 3600)}};
    const Reply r = call("POST", "/api/v1/exit-requests", json::serialize(body), staff);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("id").as_string());
  };
  const auto page = [&](const std::string& query, const std::string& as) {
    const Reply r = call("GET", "/api/v1/audit" + query, "", as);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return r.status == 200 ? r.json() : json::value(json::object{{"items", json::array{}}});
  };
  const auto items = [](const json::value& p) -> const json::array& {
    return p.at("items").as_array();
  };
  const json::value resident = call("GET", "/api/v1/residents/60", "", staff).json();
  const std::string name(resident.at("name").as_string());

  // Resident 60 is approved by override, resident 61 denied.
  const std::string approved = file("60");
  Reply r = call("POST", "/api/v1/exit-requests/" + approved + "/decision",
                 R"({"decision":"approve","override":true,"reason":"单位急召"})", secretary);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string denied = file("61");
  r = call("POST", "/api/v1/exit-requests/" + denied + "/decision",
           R"({"decision":"deny","reason":"无证明"})", secretary);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string secretary_id(
      call("GET", "/api/v1/me", "", secretary).json().at("id").as_string());

  // Who approved resident 60? The secretary, by name, about the resident by name and home.
  json::value found = page("?action=decision.override&resident=" + url_encode(name), secretary);
  const auto about = std::ranges::find_if(
      items(found), [&](const json::value& i) { return i.at("entity_id") == approved.c_str(); });
  ASSERT_NE(about, items(found).end()) << json::serialize(found);
  EXPECT_EQ(about->at("actor"), secretary_id.c_str());
  EXPECT_EQ(about->at("actor_name"), "liumiao");
  EXPECT_EQ(about->at("role"), "secretary");
  EXPECT_EQ(about->at("entity"), "exit_request");
  EXPECT_EQ(about->at("object_name"), name.c_str());
  EXPECT_EQ(about->at("resident").at("id"), "60");
  EXPECT_EQ(about->at("resident").at("building"), resident.at("building"));
  EXPECT_EQ(about->at("resident").at("room"), resident.at("room"));
  for (const json::value& i : items(found)) {
    EXPECT_EQ(i.at("action"), "decision.override");
    EXPECT_NE(i.at("object_name").as_string().find(name), std::string::npos) << i;
  }
  // The resident's filter finds everything about them: the filing, the decision, the pass.
  std::set<std::string> actions;
  const json::value everything = page("?resident=" + url_encode(name) + "&limit=500", admin);
  for (const json::value& i : items(everything)) {
    if (i.at("resident").is_object() && i.at("resident").at("id") == "60") {
      actions.insert(std::string(i.at("action").as_string()));
    } else {
      EXPECT_NE(i.at("object_name").as_string().find(name), std::string::npos) << i;
    }
  }
  EXPECT_TRUE(actions.contains("exit_request.file")) << json::serialize(everything);
  EXPECT_TRUE(actions.contains("decision.override"));
  EXPECT_TRUE(actions.contains("pass.issue"));
  // Resident 61's denial is not about resident 60; a name nobody has finds nothing.
  for (const json::value& i : items(everything)) {
    EXPECT_NE(i.at("entity_id"), denied.c_str()) << i;
  }
  EXPECT_TRUE(page("?resident=" + url_encode("查无此人"), admin).at("items").as_array().empty());

  // By object: the denied request's records, newest first, by type and id.
  found = page("?entity=exit_request&entity_id=" + denied, secretary);
  ASSERT_EQ(items(found).size(), 2u) << json::serialize(found);
  EXPECT_EQ(items(found)[0].at("action"), "decision.denied");
  EXPECT_EQ(items(found)[1].at("action"), "exit_request.file");
  EXPECT_EQ(items(found)[1].at("actor_name"), "staff1");
  // By actor: only the secretary's records.
  found = page("?actor=" + secretary_id + "&limit=500", admin);
  EXPECT_GE(items(found).size(), 2u);
  for (const json::value& i : items(found))
    EXPECT_EQ(i.at("actor"), secretary_id.c_str()) << i;
  // By day, in the community's time: today holds them, a day long past nothing.
  found = page("?action=decision.denied&day=" + shanghai_today(), admin);
  EXPECT_TRUE(std::ranges::any_of(items(found), [&](const json::value& i) {
    return i.at("entity_id") == denied.c_str();
  })) << json::serialize(found);
  EXPECT_TRUE(page("?day=2000-01-01", admin).at("items").as_array().empty());

  // Other objects by their names: a building created as people write it.
  r = call("POST", "/api/v1/buildings", R"({"name":"九号楼"})", staff);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string building(r.json().at("id").as_string());
  found = page("?entity=building&entity_id=" + building, admin);
  ASSERT_EQ(items(found).size(), 1u) << json::serialize(found);
  EXPECT_EQ(items(found)[0].at("action"), "building.create");
  EXPECT_EQ(items(found)[0].at("object_name"), "9号楼");
  EXPECT_TRUE(items(found)[0].at("resident").is_null());
  // An account by its username, and the operator (the command line) with none.
  found = page("?action=user.create&limit=500", admin);
  EXPECT_TRUE(std::ranges::any_of(items(found), [](const json::value& i) {
    return i.at("object_name") == "liumiao" && i.at("role") == "operator" &&
           i.at("actor_name").is_null();
  })) << json::serialize(found);

  // Newest first, page after page, without gaps or repeats; oldest first on request.
  std::vector<std::int64_t> seqs;
  std::string cursor;
  for (int pages = 0; pages < 1000; ++pages) {
    const json::value p = page("?limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor), admin);
    for (const json::value& i : items(p))
      seqs.push_back(std::stoll(std::string(i.at("seq").as_string())));
    if (p.at("next_cursor").is_null()) break;
    cursor = p.at("next_cursor").as_string().c_str();
  }
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(seqs.back(), 1);
  for (std::size_t i = 1; i < seqs.size(); ++i)
    ASSERT_EQ(seqs[i], seqs[i - 1] - 1) << "at " << i;
  found = page("?order=oldest&limit=3", admin);
  ASSERT_EQ(items(found).size(), 3u);
  EXPECT_EQ(items(found)[0].at("seq"), "1");
  EXPECT_EQ(items(found)[2].at("seq"), "3");
  EXPECT_EQ(page("?order=oldest&limit=3&cursor=3", admin).at("items").at(0).at("seq"), "4");
  // A filtered page continues the filter: the secretary's records one at a time.
  const json::value first = page("?actor=" + secretary_id + "&limit=1", admin);
  ASSERT_EQ(items(first).size(), 1u);
  const std::string next(first.at("next_cursor").as_string());
  const json::value second = page("?actor=" + secretary_id + "&limit=1&cursor=" + next, admin);
  ASSERT_EQ(items(second).size(), 1u);
  EXPECT_EQ(items(second)[0].at("actor"), secretary_id.c_str());
  EXPECT_LT(std::stoll(std::string(items(second)[0].at("seq").as_string())), std::stoll(next));

  // Bad filters are named; the staff do not read the trail; the chain still holds.
  for (const char* bad : {"?day=07/12/2026", "?actor=liumiao", "?order=sideways"}) {
    r = call("GET", std::string("/api/v1/audit") + bad, "", admin);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_EQ(call("GET", "/api/v1/audit?resident=" + url_encode(name), "", staff).status, 403);
  r = call("GET", "/api/v1/audit/verification", "", admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("intact").as_bool()) << r.body;
}

}  // namespace
