#include "service/exits.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <list>

#include "domain/id_number.hpp"
#include "domain/short_code.hpp"
#include "service/audit.hpp"
#include "service/lab_results.hpp"
#include "service/policy_file.hpp"
#include "service/screening_test_fixture.hpp"
#include "service/zones.hpp"

namespace juwei::service {
namespace {

using namespace std::chrono;
using domain::PassRefusal;
using domain::Role;

constexpr std::string_view kPdf = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

// The seed story's people: the nurse (resident 7, 12号楼 102) and the pregnant resident
// (resident 0, 12号楼 101); 12号楼 is sealed. Resident 12 lives in 13号楼 (precaution).
class ExitsTest : public ScreeningTest {
 protected:
  void SetUp() override {
    ScreeningTest::SetUp();
    ASSERT_TRUE(Zones(*m_store, clock())
                    .set_status(m_community, m_b12, domain::ZoneStatus::sealed, 1, "阳性病例",
                                domain::kRuleManual));
    m_exits.emplace(*m_store, clock(), m_dir);
  }

  domain::User resident_user(int i) {
    return {m_community,    100 + i, "r" + std::to_string(i),
            Role::resident, false,   m_residents.at(i)};
  }

  // To leave this afternoon (14:00, when her swab's result is back), back after her shift.
  store::ExitRequest nurse_request() {
    RequestInput in{m_residents[7],     "medical_staff_return", "瑞金医院",
                    "2022-04-04 14:00", "2022-04-05 13:00",     "医院电话通知返岗"};
    auto r = m_exits->file_request(m_community, in, m_staff);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.value_or(store::ExitRequest{});
  }

  void swab_and_report(int resident, const std::string& tube, const char* result) {
    Screening screening(*m_store, clock());
    // A round for each swab (the day's rounds count as one screening; each may swab anyone).
    const std::int64_t round_id =
        screening.create_round(m_community, "2022-04-04", {}, 1, true).value().id;
    ASSERT_TRUE(screening.record_sample(m_community, round_id, swab(resident, tube), 1));
    m_now += hours{4};
    m_files.push_back("tube_code,result,reported_at,lab\n" + tube + "," + result + "," +
                      iso_utc(m_now - minutes{5}) + ",华大\n");
    auto report = import_results(*m_store, clock(), m_community,
                                 memory_source("results.csv", m_files.back()), {});
    ASSERT_TRUE(report.has_value()) << report.error().message;
    ASSERT_EQ(report->added, 1);
  }

  // An approved pass for a request that meets every rule (the nurse's).
  PassView approved_pass() {
    const auto request = nurse_request();
    swab_and_report(7, "T7-" + std::to_string(m_tubes++), "阴性");
    EXPECT_TRUE(m_exits->add_proof(m_community, request.id, {std::string(kPdf), "通知.pdf"},
                                   resident_user(7)));
    EXPECT_TRUE(m_exits->sign_pledge(m_community, request.id, "居民7", true, resident_user(7)));
    auto view = m_exits->decide(m_community, request.id, {true, false, ""}, m_secretary);
    EXPECT_TRUE(view.has_value()) << view.error().message;
    return m_exits->pass(m_community, view->pass->id, m_secretary).value();
  }

  std::optional<PassRefusal> gate(const std::string& token) {
    auto check = m_exits->check_token(m_community, token);
    EXPECT_TRUE(check.has_value());
    return check->refusal;
  }

  std::optional<Exits> m_exits;
  domain::User m_staff{0, 2, "staff", Role::staff};
  domain::User m_secretary{0, 1, "secretary", Role::secretary};
  std::list<std::string> m_files;
  int m_tubes = 0;
};

const domain::RuleCheck& rule(const domain::ExitAssessment& a, std::string_view id) {
  auto it = std::ranges::find(a.rules, id, &domain::RuleCheck::id);
  if (it == a.rules.end()) throw std::runtime_error("no rule " + std::string(id));
  return *it;
}

// The seed story: the nurse in a sealed building is called back to her hospital.
TEST_F(ExitsTest, TheNurseLeavesOnceEveryRuleIsMet) {
  m_staff.community_id = m_secretary.community_id = m_community;
  // Staff file her request after her call.
  const store::ExitRequest request = nurse_request();
  EXPECT_EQ(request.asked_via, "staff");
  auto view = m_exits->request(m_community, request.id, m_staff).value();
  EXPECT_FALSE(view.assessment.eligible);
  EXPECT_EQ(view.assessment.unmet(),
            (std::vector<std::string>{"exit.needs_negative_within", "exit.needs_proof",
                                      "exit.needs_pledge"}));
  // Sealed: the next step is a home swab.
  EXPECT_NE(rule(view.assessment, "exit.needs_negative_within").note_zh.find("上门采样"),
            std::string::npos);
  EXPECT_EQ(view.assessment.policy_version, default_policy().version);
  // The secretary cannot approve it as it stands, only override with a reason.
  auto refused = m_exits->decide(m_community, request.id, {true, false, ""}, m_secretary);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().fields.at(0).field, "override");

  // Swabbed in the city round; the result is negative.
  swab_and_report(7, "S700", "阴性");
  view = m_exits->request(m_community, request.id, m_staff).value();
  EXPECT_TRUE(rule(view.assessment, "exit.needs_negative_within").met);
  // She signs the pledge on her phone and uploads her employer's notice.
  const domain::User nurse = resident_user(7);
  auto text = m_exits->pledge_text(m_community, request.id, nurse).value();
  EXPECT_NE(text.find("居民7"), std::string::npos);
  EXPECT_NE(text.find("瑞金医院"), std::string::npos);
  EXPECT_FALSE(m_exits->sign_pledge(m_community, request.id, "别人", true, nurse).has_value());
  EXPECT_FALSE(m_exits->sign_pledge(m_community, request.id, "居民7", false, nurse).has_value());
  ASSERT_TRUE(m_exits->sign_pledge(m_community, request.id, "居民7", true, nurse));
  EXPECT_EQ(m_exits->sign_pledge(m_community, request.id, "居民7", true, nurse).error().kind,
            Error::Kind::conflict);
  auto proof =
      m_exits->add_proof(m_community, request.id, {std::string(kPdf), "返岗通知.pdf"}, nurse);
  ASSERT_TRUE(proof.has_value()) << proof.error().message;
  EXPECT_EQ(proof->content_type, "application/pdf");
  EXPECT_EQ(m_exits->proof_file(m_community, proof->id, m_staff)->bytes, kPdf);
  view = m_exits->request(m_community, request.id, nurse).value();
  EXPECT_TRUE(view.assessment.eligible);

  // Staff may not approve; the secretary does, and a pass is issued.
  EXPECT_FALSE(m_exits->decide(m_community, request.id, {true, false, ""}, m_staff));
  view = m_exits->decide(m_community, request.id, {true, false, ""}, m_secretary).value();
  EXPECT_EQ(view.request.status, "approved");
  ASSERT_EQ(view.decisions.size(), 1u);
  EXPECT_FALSE(view.decisions[0].override_rules);
  EXPECT_EQ(view.decisions[0].policy_version, default_policy().version);
  EXPECT_EQ(view.decisions[0].rules_unmet, std::vector<std::string>{});
  EXPECT_NE(std::ranges::find(view.decisions[0].rules_applied, "exit.needs_negative_within"),
            view.decisions[0].rules_applied.end());
  ASSERT_TRUE(view.pass.has_value());
  const store::PassRow pass = *view.pass;
  EXPECT_TRUE(pass.token.starts_with("JW1."));
  EXPECT_EQ(pass.return_by, "2022-04-05T05:00:00Z");  // 13:00 in Shanghai
  // rule: pass.window — from her planned exit (her approval came at that very time).
  EXPECT_EQ(pass.valid_from, "2022-04-04T06:00:00Z");
  EXPECT_EQ(pass.valid_until, "2022-04-05T06:00:00Z");
  EXPECT_EQ(
      m_exits->decide(m_community, request.id, {false, false, "again"}, m_secretary).error().kind,
      Error::Kind::conflict);

  // The gate (next issue) checks the token: valid once; she leaves and is logged out.
  EXPECT_EQ(gate(pass.token), std::nullopt);
  ASSERT_TRUE(m_exits->record_exit(m_community, pass.id, m_staff));
  EXPECT_EQ(gate(pass.token), PassRefusal::used);
  auto board = m_exits->board(m_community).value();
  ASSERT_EQ(board.out.size(), 1u);
  EXPECT_EQ(board.out[0].pass.id, pass.id);
  // rule: gate.register_every_exit — the desk's exit is in the register's out-now list too.
  const auto out_now = m_exits->gate_events("", {m_community}, "out_now").value();
  ASSERT_EQ(out_now.size(), 1u);
  EXPECT_EQ(out_now[0].pass_id, pass.id);
  EXPECT_EQ(out_now[0].source, "desk");
  // Past her return-by she is overdue, with the hours.
  m_now = sys_days{year{2022} / 4 / 5} + hours{7};
  board = m_exits->board(m_community).value();
  ASSERT_EQ(board.overdue.size(), 1u);
  EXPECT_DOUBLE_EQ(board.overdue[0].hours_overdue, 2.0);
  // She reports back (报备): the pass closes.
  auto back = m_exits->check_in(m_community, pass.id, nurse).value();
  EXPECT_EQ(back.return_state, domain::ReturnState::returned);
  EXPECT_EQ(gate(pass.token), PassRefusal::returned);
  board = m_exits->board(m_community).value();
  EXPECT_TRUE(board.out.empty());
  EXPECT_TRUE(board.overdue.empty());
  EXPECT_EQ(board.back_today.size(), 1u);

  // The pledge prints with her name (pdftotext reads it back).
  const std::string pdf = m_exits->pledge_pdf(m_community, request.id, m_staff).value();
  const auto file = m_dir / "pledge.pdf";
  std::ofstream(file, std::ios::binary) << pdf;
  FILE* out = popen(("pdftotext -enc UTF-8 " + file.string() + " -").c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string extracted;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, out))
    extracted.append(buffer, n);
  ASSERT_EQ(pclose(out), 0) << "pdftotext (poppler-utils) is needed";
  EXPECT_NE(extracted.find("居民7"), std::string::npos) << extracted;
  EXPECT_NE(extracted.find("承诺"), std::string::npos);
  EXPECT_FALSE(m_exits->pass_pdf(m_community, pass.id, nurse).value().empty());
  EXPECT_TRUE(m_exits->pass_qr(m_community, pass.id, "svg", nurse).value().starts_with("<"));
}

// The pregnant resident in labour: released at once, paperwork after.
TEST_F(ExitsTest, AnEmergencyIsReleasedAtOnceAndItsPaperworkFollows) {
  m_staff.community_id = m_community;
  EXPECT_FALSE(m_exits->release_emergency(
      m_community, {m_residents[0], "medical_staff_return", "医院", "x"}, m_staff));
  EXPECT_FALSE(m_exits->release_emergency(
      m_community, {m_residents[0], "childbirth", "妇幼保健院", "临产"}, resident_user(0)));
  auto view = m_exits
                  ->release_emergency(
                      m_community,
                      {m_residents[0], "childbirth", "国际妇幼保健院", "临产，120 已到"}, m_staff)
                  .value();
  EXPECT_EQ(view.request.status, "released");
  ASSERT_TRUE(view.pass.has_value());
  EXPECT_TRUE(view.pass->emergency);
  EXPECT_TRUE(view.pass->return_by.empty());  // no deadline while in hospital
  EXPECT_EQ(view.pass->paperwork_due_at, iso_utc(m_now + hours{24}));
  EXPECT_EQ(view.decisions.at(0).outcome, "released");
  EXPECT_EQ(view.decisions.at(0).rules_unmet,
            (std::vector<std::string>{"exit.needs_proof", "exit.needs_pledge"}));
  EXPECT_EQ(gate(view.pass->token), std::nullopt);
  ASSERT_TRUE(m_exits->record_exit(m_community, view.pass->id, m_staff));

  // A day and an hour later the paperwork is overdue on the desk; she is out, not overdue.
  m_now += hours{25};
  auto board = m_exits->board(m_community).value();
  ASSERT_EQ(board.paperwork_overdue.size(), 1u);
  EXPECT_EQ(board.out.size(), 1u);
  EXPECT_TRUE(board.overdue.empty());
  // Her husband brings the papers: staff photograph the paper pledge, and the proof.
  const std::string jpeg = "\xFF\xD8\xFF\xE0 photo of the paper pledge";
  ASSERT_TRUE(
      m_exits->record_paper_pledge(m_community, view.request.id, {jpeg, "承诺书.jpg"}, m_staff));
  ASSERT_TRUE(m_exits->add_proof(m_community, view.request.id, {std::string(kPdf), "出生证明.pdf"},
                                 m_staff));
  board = m_exits->board(m_community).value();
  EXPECT_TRUE(board.paperwork_overdue.empty());
  auto done = m_exits->request(m_community, view.request.id, m_staff).value();
  EXPECT_TRUE(done.assessment.unmet().empty());
}

TEST_F(ExitsTest, APassStopsWorkingWhenTamperedExpiredRevokedOrItsHolderTurnsPositive) {
  m_staff.community_id = m_secretary.community_id = m_community;
  const PassView pass = approved_pass();
  const std::string token = pass.pass.token;
  ASSERT_EQ(gate(token), std::nullopt);

  // Tampered: any changed character breaks it.
  std::string tampered = token;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(gate(tampered) == PassRefusal::bad_signature ||
              gate(tampered) == PassRefusal::malformed);
  EXPECT_EQ(gate("JW1.nonsense"), PassRefusal::malformed);
  EXPECT_EQ(gate("hello"), PassRefusal::malformed);

  // Expired: past its window.
  const TimePoint saved = m_now;
  m_now = parse_iso_utc(pass.pass.valid_until).value() + seconds{1};
  EXPECT_EQ(gate(token), PassRefusal::expired);
  m_now = saved;

  // Revoked (a second pass for the nurse, to revoke).
  const PassView second = approved_pass();
  EXPECT_FALSE(m_exits->revoke(m_community, second.pass.id, "", m_staff));
  ASSERT_TRUE(m_exits->revoke(m_community, second.pass.id, "行程取消", m_staff));
  EXPECT_EQ(gate(second.pass.token), PassRefusal::revoked);
  EXPECT_FALSE(m_exits->record_exit(m_community, second.pass.id, m_staff));
  // Positive after approval.
  swab_and_report(7, "S-pos", "阳性");
  EXPECT_EQ(gate(token), PassRefusal::holder_positive);
}

TEST_F(ExitsTest, AnOverrideNeedsAReasonAndIsMarkedEverywhere) {
  m_secretary.community_id = m_community;
  const auto request = nurse_request();
  auto no_reason = m_exits->decide(m_community, request.id, {true, true, " "}, m_secretary);
  ASSERT_FALSE(no_reason.has_value());
  EXPECT_EQ(no_reason.error().fields.at(0).field, "reason");
  auto view = m_exits
                  ->decide(m_community, request.id, {true, true, "医院出具证明，检测在院内补做"},
                           m_secretary)
                  .value();
  EXPECT_TRUE(view.decisions.at(0).override_rules);
  EXPECT_EQ(view.decisions.at(0).rules_unmet.size(), 3u);
  EXPECT_TRUE(view.pass->override_rules);
  // A denial needs a reason too.
  const auto other = nurse_request();
  EXPECT_FALSE(m_exits->decide(m_community, other.id, {false, false, ""}, m_staff));
  EXPECT_EQ(
      m_exits->decide(m_community, other.id, {false, false, "非必要外出"}, m_staff)->request.status,
      "denied");
}

TEST_F(ExitsTest, ResidentsSeeOnlyTheirOwnHousehold) {
  const domain::User neighbour = resident_user(0);  // 101; the nurse lives in 102
  const auto request = nurse_request();
  EXPECT_EQ(m_exits->request(m_community, request.id, neighbour).error().kind,
            Error::Kind::not_found);
  EXPECT_EQ(m_exits->requests(m_community, "", neighbour)->size(), 0u);
  EXPECT_EQ(m_exits->requests(m_community, "", resident_user(6))->size(), 1u);  // same flat
  // The queue's list: the same requests, each with its resident and the decision aid now.
  EXPECT_EQ(m_exits->request_list(m_community, "", neighbour)->size(), 0u);
  const auto listed = m_exits->request_list(m_community, "open", resident_user(6)).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].request.id, request.id);
  EXPECT_EQ(listed[0].resident.resident.id, request.resident_id);
  EXPECT_EQ(listed[0].assessment.rules.size(),
            m_exits->request(m_community, request.id, m_staff)->assessment.rules.size());
  EXPECT_FALSE(listed[0].assessment.eligible);
  EXPECT_EQ(m_exits->request_list(m_community, "denied", m_staff)->size(), 0u);
  RequestInput in{m_residents[7],     "medical_staff_return", "医院",
                  "2022-04-05 07:00", "2022-04-05 19:00",     ""};
  EXPECT_EQ(m_exits->file_request(m_community, in, neighbour).error().kind, Error::Kind::not_found);
  auto own = m_exits->file_request(m_community, in, resident_user(7));
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->asked_via, "resident");
  EXPECT_FALSE(m_exits->add_proof(m_community, own->id, {std::string(kPdf), ""}, neighbour));
}

// An upload refused (someone else's request, one that does not exist, one closed) leaves
// nothing in the data folder: access is checked before the file is written.
TEST_F(ExitsTest, ARefusedUploadWritesNothing) {
  m_staff.community_id = m_community;
  const auto request = nurse_request();
  const auto files_in = [&] {
    std::size_t n = 0;
    std::error_code ec;
    if (!std::filesystem::exists(m_dir / "proofs")) return n;
    for (const auto& e : std::filesystem::recursive_directory_iterator(m_dir / "proofs", ec)) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  };
  std::string big(1024 * 1024, 'x');
  big.replace(0, 5, "%PDF-");
  const domain::User neighbour = resident_user(0);  // 101; the nurse lives in 102
  EXPECT_EQ(m_exits->add_proof(m_community, request.id, {big, "a.pdf"}, neighbour).error().kind,
            Error::Kind::not_found);
  EXPECT_EQ(m_exits->add_proof(m_community, 9999, {big, "a.pdf"}, m_staff).error().kind,
            Error::Kind::not_found);
  EXPECT_EQ(m_exits->record_paper_pledge(m_community, 9999, {big, "a.pdf"}, m_staff).error().kind,
            Error::Kind::not_found);
  EXPECT_EQ(files_in(), 0u);
  ASSERT_TRUE(m_exits->decide(m_community, request.id, {false, false, "非必要外出"}, m_staff));
  EXPECT_EQ(m_exits->add_proof(m_community, request.id, {big, "a.pdf"}, m_staff).error().kind,
            Error::Kind::conflict);
  EXPECT_EQ(files_in(), 0u);
  // Accepted, it is kept once, however often the same bytes come.
  const auto other = nurse_request();
  ASSERT_TRUE(m_exits->add_proof(m_community, other.id, {big, "a.pdf"}, m_staff));
  ASSERT_TRUE(m_exits->add_proof(m_community, other.id, {big, "b.pdf"}, m_staff));
  EXPECT_EQ(files_in(), 1u);
  EXPECT_EQ(m_exits->add_proof(m_community, request.id, {big, "a.pdf"}, m_staff).error().kind,
            Error::Kind::conflict);
  EXPECT_EQ(files_in(), 1u);  // the refused request did not take the other's file with it
}

TEST_F(ExitsTest, BadInputNamesItsFields) {
  RequestInput in{m_residents[7], "shopping", "", "tomorrow", "later", ""};
  auto r = m_exits->file_request(m_community, in, m_staff);
  ASSERT_FALSE(r.has_value());
  std::vector<std::string> fields;
  for (const auto& f : r.error().fields)
    fields.push_back(f.field);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"destination", "planned_exit", "planned_return", "reason"}));
  const auto request = nurse_request();
  auto not_a_proof = m_exits->add_proof(m_community, request.id, {"GIF89a", "x.pdf"}, m_staff);
  ASSERT_FALSE(not_a_proof.has_value());
  EXPECT_EQ(not_a_proof.error().fields.at(0).field, "file");
  std::string huge(kMaxProofBytes + 1, 'x');
  huge.replace(0, 5, "%PDF-");
  EXPECT_FALSE(m_exits->add_proof(m_community, request.id, {huge, ""}, m_staff));
}

TEST_F(ExitsTest, HouseholdPassesKeepTheirQuota) {
  m_staff.community_id = m_community;
  // 12号楼 is sealed: no household passes there. 13号楼 has no status yet: the default policy
  // gives none there either (rule household.building_precaution).
  EXPECT_EQ(m_exits->issue_household_pass(m_community, m_residents[0], m_staff).error().kind,
            Error::Kind::conflict);
  const auto unset = m_exits->issue_household_pass(m_community, m_residents[12], m_staff);
  ASSERT_FALSE(unset.has_value());
  EXPECT_NE(unset.error().message.find("household.building_precaution"), std::string::npos);
  ASSERT_TRUE(Zones(*m_store, clock())
                  .set_status(m_community, m_b13, domain::ZoneStatus::precaution, 1, "无阳性",
                              domain::kRuleManual));
  auto pass = m_exits->issue_household_pass(m_community, m_residents[12], m_staff).value();
  EXPECT_EQ(pass.pass.kind, domain::PassKind::household);
  EXPECT_EQ(pass.uses_left, 2);
  EXPECT_EQ(m_exits->issue_household_pass(m_community, m_residents[12], m_staff).error().kind,
            Error::Kind::conflict);
  // Out and back twice, inside the slots; the third time the quota is used.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(m_exits->record_exit(m_community, pass.pass.id, m_staff));
    // rule: gate.one_open_exit — out: not out again before the return is recorded.
    const auto again = m_exits->record_exit(m_community, pass.pass.id, m_staff);
    ASSERT_FALSE(again.has_value());
    EXPECT_NE(again.error().message.find("gate.already_out"), std::string::npos);
    // The desk records a return the gate did not see only with a reason.
    const auto no_reason = m_exits->check_in(m_community, pass.pass.id, m_staff);
    ASSERT_FALSE(no_reason.has_value());
    EXPECT_EQ(no_reason.error().fields.at(0).field, "reason");
    ASSERT_TRUE(m_exits->check_in(m_community, pass.pass.id, m_staff, "电话报备，门岗未登记"));
    m_now += hours{1};
  }
  // Every exit and return is in the register, the desk's with its note (rule
  // gate.register_every_exit).
  store::GateEventQuery of_pass{m_community};
  of_pass.pass_id = pass.pass.id;
  const auto events = m_exits->gate_events("", of_pass).value();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].direction, "out");
  EXPECT_EQ(events[0].source, "desk");
  EXPECT_EQ(events[1].direction, "in");
  EXPECT_EQ(events[1].note, "电话报备，门岗未登记");
  auto third = m_exits->record_exit(m_community, pass.pass.id, m_staff);
  ASSERT_FALSE(third.has_value());
  EXPECT_NE(third.error().message.find("household.quota"), std::string::npos);
  // A week later the quota is back.
  m_now += days{7};
  m_now = floor<days>(m_now) + hours{2};  // 10:00 in Shanghai, inside a slot
  EXPECT_TRUE(m_exits->record_exit(m_community, pass.pass.id, m_staff));
}

// rule: household.building_precaution — a case in 13号楼 seals it: its household pass stops at
// once, at the gate and in the offline bundle, and the desk sees it stopped; back to precaution,
// the default policy resumes it.
TEST_F(ExitsTest, AHouseholdPassStopsWhenItsBuildingIsSealed) {
  m_staff.community_id = m_secretary.community_id = m_community;
  const domain::User gate{m_community, 50, "gate", Role::gate};
  Zones zones(*m_store, clock());
  ASSERT_TRUE(zones.set_status(m_community, m_b13, domain::ZoneStatus::precaution, 1, "无阳性",
                               domain::kRuleManual));
  const PassView pass =
      m_exits->issue_household_pass(m_community, m_residents[12], m_staff).value();
  EXPECT_EQ(pass.refusal, std::nullopt);
  m_now += hours{1};
  ASSERT_TRUE(zones.set_status(m_community, m_b13, domain::ZoneStatus::sealed, 1, "发现阳性病例",
                               domain::kRuleManual));
  const auto check = m_exits->gate_check(m_community, {pass.pass.token, "", "out"}, gate).value();
  EXPECT_FALSE(check.allow);
  EXPECT_EQ(check.code, "household.building_closed");
  EXPECT_EQ(check.pass_id, pass.pass.id);
  const auto bundle = m_exits->offline_bundle(m_community).value();
  ASSERT_NE(bundle.find(pass.pass.id), nullptr);
  EXPECT_EQ(bundle.find(pass.pass.id)->refusal, PassRefusal::building_closed);
  EXPECT_EQ(check_offline(bundle, {pass.pass.token, "", "out"}, {}, m_now)->code,
            "household.building_closed");
  const auto stopped = m_exits->building_household_passes(m_community, m_b13).value();
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].refusal, PassRefusal::building_closed);
  EXPECT_TRUE(m_exits->building_household_passes(m_community, m_b12)->empty());
  // Another household pass is not issued while it is sealed.
  EXPECT_EQ(m_exits->issue_household_pass(m_community, m_residents[12], m_staff).error().kind,
            Error::Kind::conflict);
  // Back to precaution: the default policy resumes the pass (resumes_in_precaution = true).
  m_now += hours{1};
  ASSERT_TRUE(zones.set_status(m_community, m_b13, domain::ZoneStatus::precaution, 1, "解封",
                               domain::kRuleManual));
  m_now = floor<days>(m_now) + days{1} + hours{2};  // 10:00 in Shanghai, inside a slot
  EXPECT_EQ(m_exits->gate_check(m_community, {pass.pass.token, "", "out"}, gate)->code, "gate.out");
}

// rule: pass.holder_not_positive — a positive the lab dated before her approval but that reached
// Juwei after it stops her pass all the same; a single-tube negative retest clears it.
TEST_F(ExitsTest, APositiveKnownAfterTheApprovalStopsThePassWhateverTheLabsClock) {
  m_staff.community_id = m_secretary.community_id = m_community;
  const domain::User gate{m_community, 50, "gate", Role::gate};
  const domain::User nurse = resident_user(7);
  Screening screening(*m_store, clock());
  const std::int64_t round = screening.create_round(m_community, "2022-04-04", {}, 1)->id;
  const auto import = [&](const std::string& tube, const char* result, TimePoint lab_time) {
    m_files.push_back("tube_code,result,reported_at,lab\n" + tube + "," + result + "," +
                      iso_utc(lab_time) + ",华大\n");
    ASSERT_TRUE(import_results(*m_store, clock(), m_community,
                               memory_source("results.csv", m_files.back()), {}));
  };
  // 10:00 a single tube, 11:00 another; the first is negative by 13:00.
  ASSERT_TRUE(screening.record_sample(m_community, round, swab(7, "S-neg", TubeKind::single), 1));
  m_now += hours{1};
  SampleInput again = swab(7, "S-late", TubeKind::single);
  again.resample_reason = "单位要求复采";
  ASSERT_TRUE(screening.record_sample(m_community, round, again, 1));
  m_now += hours{2};
  import("S-neg", "阴性", m_now - minutes{30});
  const auto request = nurse_request();
  ASSERT_TRUE(m_exits->add_proof(m_community, request.id, {std::string(kPdf), "通知.pdf"}, nurse));
  ASSERT_TRUE(m_exits->sign_pledge(m_community, request.id, "居民7", true, nurse));
  m_now += minutes{30};
  const auto approved = m_exits->decide(m_community, request.id, {true, false, ""}, m_secretary);
  ASSERT_TRUE(approved.has_value()) << approved.error().message;
  const store::PassRow pass = *approved->pass;
  // 14:00: the lab's file arrives; it dates the positive 12:00, before her approval.
  m_now += minutes{30};
  import("S-late", "阳性", m_now - hours{2});
  const auto v = m_exits->gate_check(m_community, {pass.token, "", "out"}, gate).value();
  EXPECT_FALSE(v.allow);
  EXPECT_EQ(v.code, "pass.holder_positive");
  EXPECT_EQ(v.pass_id, pass.id);
  EXPECT_EQ(this->gate(pass.token), PassRefusal::holder_positive);
}

// The lockdown's rules give the same answer online and offline (both go through
// domain::decide_gate): a person out on one pass is out on every pass (gate.one_open_exit),
// comes back on any of them (gate.return_closes_exit), even one revoked since, and a household
// pass stops with its building (household.building_precaution).
TEST_F(ExitsTest, OnlineAndOfflineGatesAgreeOnThePersonAndTheBuilding) {
  m_staff.community_id = m_secretary.community_id = m_community;
  const domain::User gate{m_community, 50, "gate", Role::gate};
  const auto online = [&](const std::string& token, const char* direction) {
    return m_exits->gate_check(m_community, {token, "", direction}, gate).value();
  };
  const auto offline = [&](const domain::OfflineBundle& b, const std::string& token,
                           const char* direction) {
    return check_offline(b, {token, "", direction}, {}, m_now).value();
  };
  const PassView first = approved_pass();
  const PassView second = approved_pass();
  ASSERT_TRUE(online(first.pass.token, "out").allow);
  domain::OfflineBundle bundle = m_exits->offline_bundle(m_community).value();
  // Out on the first: the second does not let her out, online or offline.
  EXPECT_EQ(offline(bundle, second.pass.token, "out").code, "gate.already_out");
  const GateVerdict refused = online(second.pass.token, "out");
  EXPECT_EQ(refused.code, "gate.already_out");
  EXPECT_EQ(refused.pass_id, second.pass.id);
  // Her ID number typed at the gate names the pass she is out on.
  const GateVerdict typed =
      m_exits->gate_check(m_community, {"", id_numbers[7], "out"}, gate).value();
  EXPECT_EQ(typed.code, "gate.already_out");
  EXPECT_EQ(typed.pass_id, first.pass.id);
  // The first pass is revoked while she is out; she comes back showing the second: both gates
  // close the exit of the first.
  ASSERT_TRUE(m_exits->revoke(m_community, first.pass.id, "行程变更", m_secretary));
  bundle = m_exits->offline_bundle(m_community).value();
  EXPECT_EQ(offline(bundle, second.pass.token, "in").code, "gate.in");
  const GateVerdict back = online(second.pass.token, "in");
  EXPECT_EQ(back.code, "gate.in");
  EXPECT_EQ(back.pass_id, first.pass.id);
  EXPECT_EQ(m_exits->pass(m_community, first.pass.id, m_staff)->return_state,
            domain::ReturnState::returned);
  // Home: the second pass lets her out, online and offline alike.
  bundle = m_exits->offline_bundle(m_community).value();
  EXPECT_EQ(offline(bundle, second.pass.token, "out").code, "gate.out");
  // Out again on the second and back by her ID number: the exit closes however she is named.
  ASSERT_TRUE(online(second.pass.token, "out").allow);
  const GateVerdict by_id =
      m_exits->gate_check(m_community, {"", id_numbers[7], "in"}, gate).value();
  EXPECT_EQ(by_id.code, "gate.in");
  EXPECT_EQ(by_id.pass_id, second.pass.id);

  // A household pass, then its building sealed: refused by both, with the same code.
  Zones zones(*m_store, clock());
  ASSERT_TRUE(zones.set_status(m_community, m_b13, domain::ZoneStatus::precaution, 1, "无阳性",
                               domain::kRuleManual));
  const PassView household =
      m_exits->issue_household_pass(m_community, m_residents[12], m_staff).value();
  m_now += minutes{10};
  ASSERT_TRUE(zones.set_status(m_community, m_b13, domain::ZoneStatus::controlled, 1, "密接",
                               domain::kRuleManual));
  bundle = m_exits->offline_bundle(m_community).value();
  EXPECT_EQ(offline(bundle, household.pass.token, "out").code, "household.building_closed");
  EXPECT_EQ(online(household.pass.token, "out").code, "household.building_closed");
}

// rule: household.building_precaution — a policy that does not resume passes keeps them stopped
// after the building reopens, and lets the desk issue a new one; a policy that allows buildings
// with no status issues there.
TEST_F(ExitsTest, ThePolicySaysWhetherHouseholdPassesResumeAndWhereNoStatusIsSet) {
  m_staff.community_id = m_community;
  const domain::User admin{m_community, 9, "admin", Role::admin};
  std::string text(default_policy_toml());
  const auto replace = [&](std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace("version = \"2022-04-01.1\"", "version = \"2022-05-01.1\"");
  replace("resumes_in_precaution = true", "resumes_in_precaution = false");
  replace("allow_without_status = false", "allow_without_status = true");
  ASSERT_TRUE(m_exits->set_policy(m_community, text, admin));
  // 13号楼 has no status: this policy gives it household passes.
  const PassView pass =
      m_exits->issue_household_pass(m_community, m_residents[12], m_staff).value();
  EXPECT_EQ(pass.refusal, std::nullopt);
  Zones zones(*m_store, clock());
  m_now += minutes{10};
  ASSERT_TRUE(zones.set_status(m_community, m_b13, domain::ZoneStatus::sealed, 1, "阳性",
                               domain::kRuleManual));
  m_now += minutes{10};
  ASSERT_TRUE(zones.set_status(m_community, m_b13, domain::ZoneStatus::precaution, 1, "解封",
                               domain::kRuleManual));
  EXPECT_EQ(m_exits->pass(m_community, pass.pass.id, m_staff)->refusal,
            PassRefusal::building_closed);
  const PassView renewed =
      m_exits->issue_household_pass(m_community, m_residents[12], m_staff).value();
  EXPECT_NE(renewed.pass.id, pass.pass.id);
  EXPECT_EQ(renewed.refusal, std::nullopt);
}

TEST_F(ExitsTest, ThePolicyIsDataWithAVersionAndAHistory) {
  m_secretary.community_id = m_community;
  const domain::User admin{m_community, 9, "admin", Role::admin};
  auto bad = m_exits->set_policy(m_community, "version = 3\n", admin);
  ASSERT_FALSE(bad.has_value());
  EXPECT_FALSE(bad.error().fields.empty());
  std::string text(default_policy_toml());
  const auto at = text.find("version = \"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, text.find('\n', at) - at, "version = \"2022-05-01.1\"");
  auto set = m_exits->set_policy(m_community, text, admin);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(m_exits->policy(m_community)->policy.version, "2022-05-01.1");
  EXPECT_EQ(m_exits->policy_history(m_community)->size(), 1u);
  const auto request = nurse_request();
  auto view = m_exits->decide(m_community, request.id, {true, true, "特批"}, m_secretary).value();
  EXPECT_EQ(view.decisions.at(0).policy_version, "2022-05-01.1");
  EXPECT_EQ(view.pass->policy_version, "2022-05-01.1");
}

TEST_F(ExitsTest, TheSigningKeyIsPrivateAndRotationKeepsOldPassesValid) {
  m_secretary.community_id = m_community;
  const PassView first = approved_pass();
  const auto key_file =
      m_dir / "keys" / fmt::format("community-{}-pass-key-1.ed25519", m_community);
  struct stat st {};
  ASSERT_EQ(stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(st.st_size, 64);
  EXPECT_EQ(m_exits->rotate_key(m_community, m_secretary).value(), 2u);
  const PassView second = approved_pass();
  EXPECT_EQ(second.pass.key_id, 2u);
  EXPECT_EQ(gate(first.pass.token), std::nullopt);
  EXPECT_EQ(gate(second.pass.token), std::nullopt);
  // A fresh service (a restarted server) signs with the current key from the data folder.
  Exits restarted(*m_store, clock(), m_dir);
  EXPECT_EQ(restarted.check_token(m_community, second.pass.token)->refusal, std::nullopt);
}

// The gate: a valid pass lets its holder out once; the return closes it; every check, denials
// too, is in the register.
TEST_F(ExitsTest, TheGateLetsOutOnAValidPassAndLogsEveryCheck) {
  m_secretary.community_id = m_staff.community_id = m_community;
  const domain::User gate{m_community, 50, "gate", Role::gate};
  const PassView pass = approved_pass();
  const auto out = [&](const std::string& token) {
    return m_exits->gate_check(m_community, {token, "", "out"}, gate).value();
  };
  auto v = out(pass.pass.token);
  EXPECT_TRUE(v.allow);
  EXPECT_EQ(v.code, "gate.out");
  EXPECT_EQ(v.name, "居民7");
  EXPECT_EQ(v.masked_id_number, domain::mask_id_number(id_numbers[7]));
  EXPECT_NE(v.masked_id_number, id_numbers[7]);
  v = out(pass.pass.token);
  EXPECT_FALSE(v.allow);
  EXPECT_EQ(v.code, "gate.already_out");  // rule: gate.one_open_exit
  EXPECT_EQ(v.pass_id, pass.pass.id);     // a denial names the pass the register records
  // Out on her pass, she is on no door-knock list (rule screening.out_is_excused).
  {
    Screening screening(*m_store, clock());
    const auto round = screening.create_round(m_community, "2022-04-05", {}, 1, true).value();
    bool listed = false;
    const auto list = screening.door_knock_list(m_community, round.id, Role::staff).value();
    for (const auto& b : list) {
      for (const auto& f : b.floors) {
        for (const auto& r : f.residents)
          listed = listed || r.resident.name == "居民7";
      }
    }
    EXPECT_FALSE(listed);
    std::int64_t excused = 0;
    const auto coverage = screening.coverage(m_community, round.id).value();
    for (const auto& b : coverage)
      excused += b.excused;
    EXPECT_GE(excused, 1);
  }
  // The pass shows her out; coming back by the same code closes it.
  EXPECT_EQ(m_exits->pass(m_community, pass.pass.id, m_staff)->return_state,
            domain::ReturnState::out);
  m_now += hours{3};
  v = m_exits->gate_check(m_community, {pass.pass.token, "", "in"}, gate).value();
  EXPECT_TRUE(v.allow);
  EXPECT_EQ(v.code, "gate.in");
  EXPECT_EQ(m_exits->pass(m_community, pass.pass.id, m_staff)->return_state,
            domain::ReturnState::returned);
  // A typed ID number: a resident without a pass may not go out, but may always come in.
  v = m_exits->gate_check(m_community, {"", id_numbers[3], "out"}, gate).value();
  EXPECT_FALSE(v.allow);
  EXPECT_EQ(v.code, "gate.no_valid_pass");
  EXPECT_EQ(v.name, "居民3");
  v = m_exits->gate_check(m_community, {"", id_numbers[3], "in"}, gate).value();
  EXPECT_TRUE(v.allow);
  EXPECT_EQ(v.code, "gate.in_without_exit");
  v = m_exits->gate_check(m_community, {"", "110105194912319999", "out"}, gate).value();
  EXPECT_FALSE(v.allow);
  EXPECT_EQ(v.code, "gate.unknown_person");
  std::string tampered = pass.pass.token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(out(tampered).allow);
  EXPECT_FALSE(m_exits->gate_check(m_community, {"", "", "out"}, gate).has_value());
  EXPECT_FALSE(m_exits->gate_check(m_community, {pass.pass.token, "", "up"}, gate).has_value());

  // A second pass by ID number: the gate finds her valid pass.
  const PassView second = approved_pass();
  v = m_exits->gate_check(m_community, {"", id_numbers[7], "out"}, gate).value();
  EXPECT_TRUE(v.allow);
  EXPECT_EQ(v.pass_id, second.pass.id);

  // The register: every check, in order; filters; the day in community time; CSV.
  const auto all = m_exits->gate_events("", {m_community}).value();
  std::vector<std::string> codes;
  for (const auto& e : all)
    codes.push_back(e.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"gate.out", "gate.already_out", "gate.in",
                                             "gate.no_valid_pass", "gate.in_without_exit",
                                             "gate.unknown_person", codes.at(6), "gate.out"}));
  EXPECT_EQ(all[1].decision, "deny");
  EXPECT_EQ(all[0].building, "12号楼");
  store::GateEventQuery denials{m_community};
  denials.decision = "deny";
  EXPECT_EQ(m_exits->gate_events("", denials)->size(), 4u);
  store::GateEventQuery of_pass{m_community};
  of_pass.pass_id = pass.pass.id;
  EXPECT_EQ(m_exits->gate_events("", of_pass)->size(), 3u);
  // The building filter reads a name as people write it (issue 17 item 6).
  const auto in_12 = std::ranges::count(all, std::string("12号楼"), &store::GateEvent::building);
  EXPECT_GT(in_12, 0);
  for (const char* written : {"12号楼", "12", "十二号楼", "１２栋"}) {
    store::GateEventQuery of_building{m_community};
    of_building.building = written;
    EXPECT_EQ(std::ssize(m_exits->gate_events("", of_building).value()), in_12) << written;
  }
  EXPECT_EQ(m_exits->gate_events("2022-04-04", {m_community})->size(), all.size());
  EXPECT_TRUE(m_exits->gate_events("2022-04-06", {m_community})->empty());
  EXPECT_FALSE(m_exits->gate_events("04-04", {m_community}).has_value());
  const std::string csv = m_exits->gate_events_csv("", {m_community}).value();
  EXPECT_TRUE(csv.starts_with("\xEF\xBB\xBF时间,方向,结果"));
  EXPECT_NE(csv.find("放行"), std::string::npos);
  EXPECT_NE(csv.find("已外出未返回"), std::string::npos);
  // A file read without the database (issue 17 item 7): the resident is 姓名（楼号室号，masked
  // ID number）, the pass its title, short code, holder and reason, the time local with the year.
  EXPECT_NE(csv.find(",居民7（12号楼102室，" + domain::mask_id_number(id_numbers[7]) + "）,"),
            std::string::npos)
      << csv;
  ASSERT_EQ(pass.pass.short_code.size(), domain::kShortCodeLength);
  EXPECT_NE(csv.find(",出入证 " + domain::format_short_code(pass.pass.short_code) +
                     "：居民7，医护人员返岗,"),
            std::string::npos)
      << csv;
  const std::string first_at = domain::local_date_time(*parse_iso_utc(all[0].at), kShanghaiOffset);
  EXPECT_TRUE(first_at.starts_with("2022-04-04 ")) << first_at;
  EXPECT_NE(csv.find("\n" + first_at + ",出,放行,gate.out,"), std::string::npos) << csv;
}

// A gate scan retried after a lost reply: named by the gate, it is answered as the first time
// and applied once; the same check queued offline when the reply was lost syncs as a duplicate.
TEST_F(ExitsTest, AGateCheckSentAgainIsAnsweredOnceAndAppliedOnce) {
  m_secretary.community_id = m_staff.community_id = m_community;
  const domain::User gate{m_community, 50, "gate", Role::gate};
  const PassView pass = approved_pass();
  GateInput in{pass.pass.token, "", "out", "east-1", "east"};
  const GateVerdict first = m_exits->gate_check(m_community, in, gate).value();
  ASSERT_TRUE(first.allow);
  EXPECT_FALSE(first.replayed);
  m_now += seconds{20};
  const GateVerdict again = m_exits->gate_check(m_community, in, gate).value();
  EXPECT_TRUE(again.allow) << again.code;
  EXPECT_EQ(again.code, "gate.out");
  EXPECT_EQ(again.event_id, first.event_id);
  EXPECT_EQ(again.name, first.name);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(m_exits->pass(m_community, pass.pass.id, m_staff)->pass.exits.size(), 1u);
  // The same id for a check the other way is a mistake, not a replay.
  in.direction = "in";
  EXPECT_EQ(m_exits->gate_check(m_community, in, gate).error().kind, Error::Kind::conflict);
  // The gate also queued it offline (the reply never came): the sync finds it applied.
  const std::vector<QueuedGateCheck> queued{
      {"east-1", iso_utc(m_now - seconds{20}), "out", pass.pass.token, true, "gate.out"}};
  const auto synced = m_exits->sync_gate_checks(m_community, "east", queued, gate).value();
  EXPECT_TRUE(synced.at(0).duplicate);
  EXPECT_TRUE(synced.at(0).conflict.empty());
  // Without an id, a second scan is a second check.
  EXPECT_EQ(m_exits->gate_check(m_community, {pass.pass.token, "", "out"}, gate)->code,
            "gate.already_out");
  const auto bad = m_exits->gate_check(m_community, {pass.pass.token, "", "out", "", "east"}, gate);
  EXPECT_EQ(bad.error().fields.at(0).field, "check_id");
}

// Two gates lose the network: each checks passes on its bundle, queues its checks and syncs
// them later. The same pass let out at both is flagged for the desk; server state wins.
TEST_F(ExitsTest, OfflineGatesCheckOnTheirBundleAndSyncWithConflictsFlagged) {
  m_secretary.community_id = m_staff.community_id = m_community;
  const domain::User gate{m_community, 50, "gate", Role::gate};
  const PassView pass = approved_pass();
  const PassView revoked = approved_pass();
  ASSERT_TRUE(m_exits->revoke(m_community, revoked.pass.id, "改期", m_secretary));

  const domain::OfflineBundle bundle = m_exits->offline_bundle(m_community).value();
  EXPECT_EQ(bundle.community_id, m_community);
  EXPECT_FALSE(bundle.keys.empty());
  EXPECT_EQ(bundle.stale_after - bundle.issued_at, kOfflineBundleLife);
  const domain::OfflinePass* listed = bundle.find(pass.pass.id);
  ASSERT_NE(listed, nullptr);
  EXPECT_FALSE(listed->refusal);
  EXPECT_EQ(listed->masked_id_number, domain::mask_id_number(id_numbers[7]));
  ASSERT_NE(bundle.find(revoked.pass.id), nullptr);
  EXPECT_EQ(bundle.find(revoked.pass.id)->refusal, PassRefusal::revoked);

  // The east gate lets her out once; the second scan there is refused.
  m_now += minutes{30};
  std::vector<domain::OfflineCheck> east;
  const auto at_east = [&](const std::string& token, const char* direction) {
    auto v = check_offline(bundle, {token, "", direction}, east, m_now).value();
    east.push_back({v.pass_id, std::string_view(direction) == "out", v.allow, m_now});
    return v;
  };
  auto v = at_east(pass.pass.token, "out");
  EXPECT_TRUE(v.allow);
  EXPECT_EQ(v.code, "gate.out");
  EXPECT_EQ(v.name, "居民7");
  EXPECT_EQ(at_east(pass.pass.token, "out").code, "gate.already_out");
  // Her other pass, revoked, does not let her out either: she is out already.
  EXPECT_EQ(at_east(revoked.pass.token, "out").code, "gate.already_out");
  EXPECT_EQ(check_offline(bundle, {revoked.pass.token, "", "out"}, {}, m_now)->code,
            "pass.revoked");
  std::string tampered = pass.pass.token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(check_offline(bundle, {tampered, "", "out"}, {}, m_now)->code, "pass.bad_signature");
  EXPECT_EQ(check_offline(bundle, {"", id_numbers[7], "out"}, {}, m_now)->code,
            "offline.needs_network");
  EXPECT_FALSE(check_offline(bundle, {pass.pass.token, "", "up"}, {}, m_now).has_value());
  EXPECT_EQ(check_offline(bundle, {pass.pass.token, "", "out"}, {}, bundle.stale_after + seconds{1})
                ->code,
            "offline.stale");
  // The west gate, offline too, knows nothing of the east's scan and lets her out again.
  const TimePoint east_at = m_now - minutes{1};
  m_now += minutes{5};
  EXPECT_TRUE(check_offline(bundle, {pass.pass.token, "", "out"}, {}, m_now)->allow);

  // The east gate syncs: her exit is logged at the time the gate let her out.
  const std::vector<QueuedGateCheck> east_checks{
      {"e-1", iso_utc(east_at), "out", pass.pass.token, true, "gate.out"},
      {"e-2", iso_utc(east_at + seconds{20}), "out", pass.pass.token, false, "pass.used"},
  };
  auto synced = m_exits->sync_gate_checks(m_community, "east", east_checks, gate).value();
  ASSERT_EQ(synced.size(), 2u);
  EXPECT_FALSE(synced[0].duplicate);
  EXPECT_EQ(synced[0].conflict, "");
  auto now_pass = m_exits->pass(m_community, pass.pass.id, m_staff).value();
  ASSERT_EQ(now_pass.pass.exits.size(), 1u);
  EXPECT_EQ(now_pass.pass.exits[0].exited_at, iso_utc(east_at));
  EXPECT_EQ(now_pass.return_state, domain::ReturnState::out);

  // The west gate syncs: the same pass used twice is a conflict; the pass keeps one exit.
  synced = m_exits
               ->sync_gate_checks(
                   m_community, "west",
                   {{"w-1", iso_utc(m_now), "out", pass.pass.token, true, "gate.out"}}, gate)
               .value();
  EXPECT_EQ(synced.at(0).conflict, "pass.used");
  EXPECT_EQ(m_exits->pass(m_community, pass.pass.id, m_staff)->pass.exits.size(), 1u);
  store::GateEventQuery conflicts{m_community};
  conflicts.conflicts_only = true;
  const auto flagged = m_exits->gate_events("", conflicts).value();
  ASSERT_EQ(flagged.size(), 1u);
  EXPECT_EQ(flagged[0].device, "west");
  EXPECT_EQ(flagged[0].source, "offline");
  EXPECT_EQ(flagged[0].decision, "allow");
  EXPECT_EQ(flagged[0].pass_id, pass.pass.id);

  // The desk follows it up with a note, once; the gate cannot, nor can a blank note.
  EXPECT_FALSE(m_exits->follow_up_gate_conflict(m_community, flagged[0].id, "看过了", gate));
  const auto blank = m_exits->follow_up_gate_conflict(m_community, flagged[0].id, "  ", m_staff);
  ASSERT_FALSE(blank.has_value());
  EXPECT_EQ(blank.error().fields.at(0).field, "note");
  const auto followed =
      m_exits
          ->follow_up_gate_conflict(m_community, flagged[0].id, " 已电话核实，住户在家 ", m_staff)
          .value();
  EXPECT_EQ(followed.follow_up_note, "已电话核实，住户在家");
  EXPECT_EQ(followed.followed_up_by, m_staff.id);
  EXPECT_EQ(followed.followed_up_at, iso_utc(m_now));
  EXPECT_EQ(
      m_exits->follow_up_gate_conflict(m_community, flagged[0].id, "again", m_staff).error().kind,
      Error::Kind::conflict);
  conflicts.followed_up = false;
  EXPECT_TRUE(m_exits->gate_events("", conflicts)->empty());
  const auto east_event = m_exits->gate_events("", {m_community})->front();
  ASSERT_EQ(east_event.conflict, "");
  EXPECT_EQ(m_exits->follow_up_gate_conflict(m_community, east_event.id, "?", m_staff).error().kind,
            Error::Kind::conflict);
  EXPECT_EQ(m_exits->follow_up_gate_conflict(m_community, 9999, "?", m_staff).error().kind,
            Error::Kind::not_found);
  conflicts.followed_up.reset();

  // Sent again (the gate never heard back): found, nothing applied twice.
  const auto events_before = m_exits->gate_events("", {m_community})->size();
  synced = m_exits->sync_gate_checks(m_community, "east", east_checks, gate).value();
  EXPECT_TRUE(synced[0].duplicate);
  EXPECT_TRUE(synced[1].duplicate);
  EXPECT_EQ(m_exits->gate_events("", {m_community})->size(), events_before);

  // One bad check fails the sync, naming it, and applies none of it.
  const auto bad =
      m_exits->sync_gate_checks(m_community, "east",
                                {{"e-3", iso_utc(m_now), "in", pass.pass.token, true, "gate.in"},
                                 {"e-4", "yesterday", "in", pass.pass.token, true, "gate.in"}},
                                gate);
  ASSERT_FALSE(bad.has_value());
  ASSERT_EQ(bad.error().fields.size(), 1u);
  EXPECT_EQ(bad.error().fields[0].field, "checks[1].at");
  EXPECT_FALSE(m_exits
                   ->sync_gate_checks(
                       m_community, "east",
                       {{"e-5", iso_utc(m_now + hours{1}), "in", pass.pass.token, true, "gate.in"}},
                       gate)
                   .has_value());
  EXPECT_FALSE(m_exits->sync_gate_checks(m_community, "", {}, gate).has_value());
  EXPECT_EQ(m_exits->gate_events("", {m_community})->size(), events_before);

  // The register's lists: she is out now (the east gate's record, not the conflict), then
  // overdue, then back today.
  const auto clients = [&](std::string_view state) {
    std::vector<std::string> ids;
    const auto events = m_exits->gate_events("", {m_community}, state).value();
    for (const store::GateEvent& e : events)
      ids.push_back(e.device + "/" + e.client_event_id);
    return ids;
  };
  EXPECT_EQ(clients("out_now"), std::vector<std::string>{"east/e-1"});
  EXPECT_TRUE(clients("overdue").empty());
  EXPECT_TRUE(clients("back_today").empty());
  EXPECT_FALSE(m_exits->gate_events("", {m_community}, "away").has_value());
  m_now += hours{30};
  EXPECT_EQ(clients("overdue"), std::vector<std::string>{"east/e-1"});
  EXPECT_EQ(clients("out_now"), std::vector<std::string>{"east/e-1"});

  // Her return, checked offline and synced, closes the pass.
  m_now += hours{2};
  synced =
      m_exits
          ->sync_gate_checks(
              m_community, "east",
              {{"e-3", iso_utc(m_now - minutes{10}), "in", pass.pass.token, true, "gate.in"}}, gate)
          .value();
  EXPECT_EQ(synced.at(0).conflict, "");
  now_pass = m_exits->pass(m_community, pass.pass.id, m_staff).value();
  EXPECT_EQ(now_pass.return_state, domain::ReturnState::returned);
  EXPECT_EQ(now_pass.pass.exits[0].returned_at, iso_utc(m_now - minutes{10}));
  EXPECT_EQ(clients("back_today"), std::vector<std::string>{"east/e-3"});
  EXPECT_TRUE(clients("out_now").empty());
  const std::string csv = m_exits->gate_events_csv("", {m_community}).value();
  EXPECT_NE(csv.find("离线（west）"), std::string::npos);
  EXPECT_NE(csv.find("出入证已使用（pass.used）"), std::string::npos);
  EXPECT_TRUE(verify_audit(*m_store, m_community)->first_bad == std::nullopt);
}

// rule: every state change is in the audit trail, chained; an edited, deleted or reordered
// record is named by verify_audit.
TEST_F(ExitsTest, EveryChangeIsAuditedAndTamperingIsNamed) {
  m_secretary.community_id = m_staff.community_id = m_community;
  const PassView pass = approved_pass();
  ASSERT_TRUE(m_exits->record_exit(m_community, pass.pass.id, m_staff));
  ASSERT_TRUE(m_exits->revoke(m_community, pass.pass.id, "测试", m_staff));
  auto check = verify_audit(*m_store, m_community).value();
  std::vector<std::string> actions;
  {
    auto tx = m_store->begin(store::TxMode::read).value();
    ASSERT_TRUE(tx->for_each_audit(m_community, 0, [&](const store::AuditRecord& r) {
      actions.push_back(r.action);
      return true;
    }));
  }
  // The register the fixture built comes first (community, buildings, households, residents).
  const auto first_status = std::ranges::find(actions, "building.status");
  ASSERT_NE(first_status, actions.end());
  const auto registry = static_cast<std::int64_t>(first_status - actions.begin());
  EXPECT_EQ(actions.front(), "community.create");
  EXPECT_EQ(
      std::vector<std::string>(first_status, actions.end()),
      (std::vector<std::string>{"building.status", "exit_request.file", "round.create",
                                "sample.record", "results.import", "proof.add", "pledge.typed",
                                "decision.approved", "pass.issue", "pass.exit", "pass.revoke"}));
  EXPECT_EQ(check.records, registry + 11);
  EXPECT_FALSE(check.first_bad.has_value()) << check.problem;
  EXPECT_EQ(check.head.size(), 64u);
  const auto head = audit_head(*m_store, m_community, "2022-04-04").value();
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->hash, check.head);
  EXPECT_FALSE(audit_head(*m_store, m_community, "2022-04-03").value().has_value());

  const auto raw = [&](const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((m_dir / "juwei.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_free(error);
    sqlite3_close(db);
  };
  std::string original;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((m_dir / "juwei.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT entity_id FROM audit_log WHERE seq = 3", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    original = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  raw("UPDATE audit_log SET entity_id = '99' WHERE seq = 3");
  check = verify_audit(*m_store, m_community).value();
  EXPECT_EQ(check.first_bad, 3);
  EXPECT_NE(check.problem.find("edited"), std::string::npos) << check.problem;
  EXPECT_TRUE(check.head.empty());
  raw(("UPDATE audit_log SET entity_id = '" + original + "' WHERE seq = 3").c_str());
  EXPECT_FALSE(verify_audit(*m_store, m_community).value().first_bad.has_value());
  // Deleting a record: the next one names the gap.
  raw("DELETE FROM audit_log WHERE seq = 5");
  check = verify_audit(*m_store, m_community).value();
  EXPECT_EQ(check.first_bad, 6);
  EXPECT_NE(check.problem.find("record 5 was deleted"), std::string::npos) << check.problem;
  // Reordering: swap two records' places.
  raw("UPDATE audit_log SET seq = -1 WHERE seq = 1; UPDATE audit_log SET seq = 1 WHERE seq = 2; "
      "UPDATE audit_log SET seq = 2 WHERE seq = -1");
  check = verify_audit(*m_store, m_community).value();
  EXPECT_EQ(check.first_bad, 1);
}

}  // namespace
}  // namespace juwei::service
