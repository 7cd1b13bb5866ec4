#include "service/policy_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace juwei::service {
namespace {

using namespace std::chrono_literals;
using std::chrono::hours;

// A small valid policy that each broken case below changes in one or a few places. The reason
// tables come last, so that replacing them can leave an empty [reasons] table.
constexpr std::string_view kBase = R"(version = "test.1"
test_age_from = "reported"
pledge_template = """
本人{name}（{id_number}）住{building}{room}室，因{reason}于{exit}前往{destination}，{return}返回。"""

[household]
quota = 1
period_days = 1
slots = ["07:30-09:00", "17:00-24:00"]
valid_days = 3
negative_within_hours = 72

[reasons.staff]
label_zh = "医护人员返岗"
label_en = "Medical staff"
emergency = false
rules = ["exit.needs_negative_within", "exit.needs_proof"]
negative_within_hours = 48
pass_valid_hours = 12
return_required = true
return_within_hours = 36

[reasons.birth]
label_zh = "分娩"
label_en = "Childbirth"
emergency = true
rules = ["exit.needs_pledge"]
pass_valid_hours = 6
return_required = true
paperwork_within_hours = 24
)";

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "the base policy has no \"" << from << "\"";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

int line_of(std::string_view text, std::string_view what) {
  const std::size_t at = text.find(what);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

using Issue = std::pair<std::string, std::string>;  // field, code

std::vector<Issue> issues_of(const Result<domain::ExitPolicy>& parsed) {
  std::vector<Issue> issues;
  if (parsed) return issues;
  for (const FieldIssue& f : parsed.error().fields)
    issues.emplace_back(f.field, f.code);
  return issues;
}

TEST(PolicyFile, ReadsEveryKey) {
  auto parsed = parse_policy(kBase);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const domain::ExitPolicy& p = *parsed;
  EXPECT_EQ(p.version, "test.1");
  EXPECT_EQ(p.test_age_from, domain::CountedFrom::reported);
  EXPECT_EQ(p.household.quota, 1);
  EXPECT_EQ(p.household.period_days, 1);
  ASSERT_EQ(p.household.slots.size(), 2u);
  EXPECT_EQ(p.household.slots[0].start, 7h + 30min);
  EXPECT_EQ(p.household.slots[0].end, 9h);
  EXPECT_EQ(p.household.slots[1].start, 17h);
  EXPECT_EQ(p.household.slots[1].end, 24h);
  EXPECT_EQ(p.household.negative_within, 72h);
  EXPECT_EQ(p.household.valid_days, 3);
  EXPECT_EQ(p.pledge_template,
            "本人{name}（{id_number}）住{building}{room}室，因{reason}于{exit}前往{destination}，{"
            "return}返回。");

  // Reasons keep the order of the file, although TOML tables are unordered.
  ASSERT_EQ(p.reasons.size(), 2u);
  const domain::ExitReason& staff = p.reasons[0];
  EXPECT_EQ(staff.code, "staff");
  EXPECT_EQ(staff.label_zh, "医护人员返岗");
  EXPECT_EQ(staff.label_en, "Medical staff");
  EXPECT_FALSE(staff.emergency);
  EXPECT_EQ(staff.rules,
            (std::vector<std::string>{"exit.needs_negative_within", "exit.needs_proof"}));
  EXPECT_EQ(staff.negative_within, 48h);
  EXPECT_EQ(staff.pass_valid_for, 12h);
  EXPECT_TRUE(staff.return_required);
  EXPECT_EQ(staff.return_within, 36h);
  const domain::ExitReason& birth = p.reasons[1];
  EXPECT_EQ(birth.code, "birth");
  EXPECT_TRUE(birth.emergency);
  EXPECT_EQ(birth.rules, std::vector<std::string>{"exit.needs_pledge"});
  EXPECT_EQ(birth.pass_valid_for, 6h);
  EXPECT_EQ(birth.return_within, std::nullopt);
  EXPECT_EQ(birth.paperwork_within, 24h);
}

TEST(PolicyFile, OptionalKeysMayBeLeftOut) {
  std::string text = replaced(std::string(kBase), "negative_within_hours = 72\n", "");
  text = replaced(text, "slots = [\"07:30-09:00\", \"17:00-24:00\"]", "slots = []");
  text = replaced(text, "return_within_hours = 36\n", "");
  auto parsed = parse_policy(text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->household.negative_within, std::nullopt);
  EXPECT_TRUE(parsed->household.slots.empty());  // any time of day
  EXPECT_EQ(parsed->reasons[0].return_within, std::nullopt);
}

TEST(PolicyFile, ReportsEachBrokenKeyWithItsCode) {
  const struct {
    std::string_view name;
    std::string_view from;  // in kBase
    std::string_view to;
    std::vector<Issue> expected;
  } cases[] = {
      {"missing version", "version = \"test.1\"\n", "", {{"version", "policy.missing"}}},
      {"blank version", "\"test.1\"", "\" \"", {{"version", "policy.missing"}}},
      {"version not a string", "\"test.1\"", "1", {{"version", "policy.type"}}},
      {"test age from nowhere",
       "\"reported\"",
       "\"collected\"",
       {{"test_age_from", "policy.range"}}},
      {"misspelt top-level key",
       "test_age_from =",
       "test_age_form =",
       {{"test_age_from", "policy.missing"}, {"test_age_form", "policy.unknown_key"}}},
      {"misspelt reason key",
       "return_within_hours = 36",
       "return_within_hour = 36",
       {{"reasons.staff.return_within_hour", "policy.unknown_key"}}},
      {"top-level key after a table",
       "valid_days = 3\n",
       "valid_days = 3\nversion = \"test.2\"\n",
       {{"household.version", "policy.unknown_key"}}},
      {"quota as text", "quota = 1", "quota = \"1\"", {{"household.quota", "policy.type"}}},
      {"hours as a decimal",
       "pass_valid_hours = 12",
       "pass_valid_hours = 12.0",
       {{"reasons.staff.pass_valid_hours", "policy.type"}}},
      {"zero quota", "quota = 1", "quota = 0", {{"household.quota", "policy.range"}}},
      {"no paperwork time",
       "paperwork_within_hours = 24",
       "paperwork_within_hours = 0",
       {{"reasons.birth.paperwork_within_hours", "policy.range"}}},
      {"negative window over 30 days",
       "negative_within_hours = 48",
       "negative_within_hours = 721",
       {{"reasons.staff.negative_within_hours", "policy.range"}}},
      {"emergency without paperwork deadline",
       "paperwork_within_hours = 24\n",
       "",
       {{"reasons.birth.paperwork_within_hours", "policy.missing"}}},
      {"negative rule without its window",
       "negative_within_hours = 48\n",
       "",
       {{"reasons.staff.negative_within_hours", "policy.missing"}}},
      {"window without the negative rule",
       "rules = [\"exit.needs_negative_within\", \"exit.needs_proof\"]",
       "rules = [\"exit.needs_proof\"]",
       {{"reasons.staff.negative_within_hours", "policy.inconsistent"}}},
      {"return deadline without return",
       "return_required = true\nreturn_within_hours = 36",
       "return_required = false\nreturn_within_hours = 36",
       {{"reasons.staff.return_within_hours", "policy.inconsistent"}}},
      {"paperwork deadline on a planned exit",
       "return_within_hours = 36\n",
       "return_within_hours = 36\npaperwork_within_hours = 24\n",
       {{"reasons.staff.paperwork_within_hours", "policy.inconsistent"}}},
      {"unknown rule",
       "\"exit.needs_proof\"",
       "\"exit.needs_prof\"",
       {{"reasons.staff.rules[1]", "policy.unknown_rule"}}},
      {"household rule listed by a reason",
       "\"exit.needs_pledge\"",
       "\"household.quota\"",
       {{"reasons.birth.rules[0]", "policy.unknown_rule"}}},
      {"rule listed twice",
       "[\"exit.needs_pledge\"]",
       "[\"exit.needs_pledge\", \"exit.needs_pledge\"]",
       {{"reasons.birth.rules[1]", "policy.duplicate"}}},
      {"rule not a string",
       "[\"exit.needs_pledge\"]",
       "[\"exit.needs_pledge\", 3]",
       {{"reasons.birth.rules[1]", "policy.type"}}},
      {"reason code with capitals",
       "[reasons.birth]",
       "[reasons.Birth]",
       {{"reasons.Birth", "policy.format"}}},
      {"reason not a table",
       "[reasons.birth]",
       "[reasons]\nbirth = \"分娩\"\n[reasons.later]",
       {{"reasons.birth", "policy.type"}}},
      {"blank label",
       "label_en = \"Childbirth\"",
       "label_en = \"\"",
       {{"reasons.birth.label_en", "policy.missing"}}},
      {"no reasons",
       kBase.substr(kBase.find("[reasons.staff]")),
       "[reasons]\n",
       {{"reasons", "policy.missing"}}},
      {"no household",
       "[household]",
       "[household_passes]",
       {{"household", "policy.missing"}, {"household_passes", "policy.unknown_key"}}},
      {"slot ending before it starts",
       "\"17:00-24:00\"",
       "\"17:00-16:00\"",
       {{"household.slots[1]", "policy.range"}}},
      {"slot of zero length",
       "\"17:00-24:00\"",
       "\"17:00-17:00\"",
       {{"household.slots[1]", "policy.range"}}},
      {"slot without leading zero",
       "\"07:30-09:00\"",
       "\"7:30-9:00\"",
       {{"household.slots[0]", "policy.format"}}},
      {"slot at 25 o'clock",
       "\"17:00-24:00\"",
       "\"17:00-25:00\"",
       {{"household.slots[1]", "policy.format"}}},
      {"slot starting at midnight's end",
       "\"17:00-24:00\"",
       "\"24:00-24:00\"",
       {{"household.slots[1]", "policy.format"}}},
      {"slot as one string",
       "[\"07:30-09:00\", \"17:00-24:00\"]",
       "\"07:30-09:00\"",
       {{"household.slots", "policy.type"}}},
      {"unknown placeholder",
       "{destination}",
       "{dest}",
       {{"pledge_template", "policy.unknown_placeholder"}}},
      {"lone brace",
       "{return}返回",
       "{return返回",
       {{"pledge_template", "policy.unknown_placeholder"}}},
      {"blank pledge",
       "\n本人{name}（{id_number}）住{building}{room}室，因{reason}于{exit}前往{destination}，{"
       "return}返回。",
       "\n   ",
       {{"pledge_template", "policy.missing"}}},
  };
  for (const auto& c : cases) {
    const std::string text = replaced(std::string(kBase), c.from, c.to);
    const auto parsed = parse_policy(text);
    ASSERT_FALSE(parsed) << c.name;
    EXPECT_EQ(parsed.error().kind, Error::Kind::invalid) << c.name;
    EXPECT_EQ(issues_of(parsed), c.expected) << c.name;
    for (const FieldIssue& f : parsed.error().fields) {
      EXPECT_FALSE(f.message.empty()) << c.name;
      EXPECT_FALSE(f.message_zh.empty()) << c.name;
    }
  }
}

// [cadence]: left out, the defaults (sealed PCR daily; controlled 3 PCR and 4 antigen;
// precaution 1 and 6 a week); given, read; a count out of range or a status left out named.
TEST(PolicyFile, TheTestingCadenceIsReadByStatus) {
  auto defaults = parse_policy(kBase);
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->cadence.window_days, 7);
  EXPECT_EQ(defaults->cadence.by_status[0].pcr, 7);
  EXPECT_EQ(defaults->cadence.by_status[1].antigen, 4);
  EXPECT_EQ(defaults->cadence.by_status[2].pcr, 1);
  const std::string cadence =
      "\n[cadence]\nwindow_days = 14\n[cadence.sealed]\npcr = 14\nantigen = 0\n"
      "[cadence.controlled]\npcr = 6\nantigen = 8\n[cadence.precaution]\npcr = 2\nantigen = 3\n";
  auto parsed = parse_policy(std::string(kBase) + cadence);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->cadence.window_days, 14);
  EXPECT_EQ(parsed->cadence.by_status[0].pcr, 14);
  EXPECT_EQ(parsed->cadence.by_status[1].pcr, 6);
  EXPECT_EQ(parsed->cadence.by_status[1].antigen, 8);
  EXPECT_EQ(parsed->cadence.by_status[2].antigen, 3);

  auto broken = parse_policy(std::string(kBase) + replaced(cadence, "pcr = 14", "pcr = 29"));
  EXPECT_EQ(issues_of(broken), (std::vector<Issue>{{"cadence.sealed.pcr", "policy.range"}}));
  broken = parse_policy(std::string(kBase) + replaced(cadence, "window_days = 14", "window_days = 7"));
  EXPECT_EQ(issues_of(broken), (std::vector<Issue>{{"cadence.sealed.pcr", "policy.range"}}));
  broken = parse_policy(std::string(kBase) +
                        replaced(cadence, "[cadence.precaution]\npcr = 2\nantigen = 3\n", ""));
  EXPECT_EQ(issues_of(broken), (std::vector<Issue>{{"cadence.precaution", "policy.missing"}}));
  broken = parse_policy(std::string(kBase) + replaced(cadence, "antigen = 8", "antigens = 8"));
  EXPECT_EQ(issues_of(broken),
            (std::vector<Issue>{{"cadence.controlled.antigen", "policy.missing"},
                                {"cadence.controlled.antigens", "policy.unknown_key"}}));
}

// [report]: the deadline as HH:MM, 20:00 when left out; another shape named.
TEST(PolicyFile, TheReportDeadlineIsATimeOfDay) {
  EXPECT_EQ(parse_policy(kBase)->report.deadline, std::chrono::hours{20});
  auto parsed = parse_policy(std::string(kBase) + "\n[report]\ndeadline = \"18:30\"\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->report.deadline, std::chrono::minutes{18 * 60 + 30});
  for (const char* bad : {"8pm", "25:00", "18:3", "18:30:00"}) {
    auto broken =
        parse_policy(std::string(kBase) + fmt::format("\n[report]\ndeadline = \"{}\"\n", bad));
    EXPECT_EQ(issues_of(broken), (std::vector<Issue>{{"report.deadline", "policy.format"}})) << bad;
  }
}

// What a resident owes scales with the days counted; a PCR beyond those owed stands for an
// antigen test, never the other way round.
TEST(TestCadence, OwedTestsScaleAndSparePcrCoversAntigen) {
  const domain::TestCadence controlled{3, 4};
  EXPECT_FALSE(domain::check_cadence(controlled, 7, 7, 3, 4).behind);
  EXPECT_TRUE(domain::check_cadence(controlled, 7, 7, 2, 5).behind);   // antigen is no PCR
  EXPECT_FALSE(domain::check_cadence(controlled, 7, 7, 7, 0).behind);  // PCR covers antigen
  EXPECT_TRUE(domain::check_cadence(controlled, 7, 7, 6, 0).behind);
  const domain::CadenceCheck young = domain::check_cadence(controlled, 2, 7, 1, 1);
  EXPECT_EQ(young.pcr_owed, 1);      // 3 × 2 / 7, rounded up
  EXPECT_EQ(young.antigen_owed, 1);  // 7 × 2 / 7 tests in all, less the PCR
  EXPECT_FALSE(young.behind);
  EXPECT_TRUE(domain::check_cadence(controlled, 2, 7, 0, 2).behind);
  // Precaution, daily PCR, two days: one PCR owed and one more test, which the second PCR is.
  EXPECT_FALSE(domain::check_cadence({1, 6}, 2, 7, 2, 0).behind);
  EXPECT_TRUE(domain::check_cadence({1, 6}, 2, 7, 1, 0).behind);
  EXPECT_FALSE(domain::check_cadence({7, 0}, 1, 7, 1, 0).behind);  // sealed, first day
  EXPECT_FALSE(domain::check_cadence({7, 0}, 0, 7, 0, 0).behind);  // no day over: nothing owed
  EXPECT_EQ(domain::check_cadence({7, 0}, 30, 7, 0, 0).pcr_owed, 7);  // never beyond the window
}

TEST(PolicyFile, ReportsSyntaxErrorsWithTheirLine) {
  const struct {
    std::string_view name;
    std::string_view from;
    std::string_view to;
  } cases[] = {
      {"doubled equals sign", "quota = 1", "quota = = 1"},
      {"unclosed string", "label_en = \"Childbirth\"", "label_en = \"Childbirth"},
      {"same key twice", "valid_days = 3", "valid_days = 3\nvalid_days = 4"},
  };
  for (const auto& c : cases) {
    const std::string text = replaced(std::string(kBase), c.from, c.to);
    const int line = line_of(text, c.to) + static_cast<int>(std::ranges::count(c.to, '\n'));
    const auto parsed = parse_policy(text);
    ASSERT_FALSE(parsed) << c.name;
    ASSERT_EQ(issues_of(parsed), (std::vector<Issue>{{"", "policy.syntax"}})) << c.name;
    const FieldIssue& issue = parsed.error().fields[0];
    EXPECT_NE(issue.message.find(fmt::format("line {},", line)), std::string::npos)
        << c.name << ": " << issue.message;
    EXPECT_NE(issue.message_zh.find(fmt::format("第 {} 行", line)), std::string::npos)
        << c.name << ": " << issue.message_zh;
  }
}

TEST(PolicyFile, ReportsEveryProblemAtOnce) {
  std::string text(kBase);
  text = replaced(text, "version = \"test.1\"\n", "");
  text = replaced(text, "quota = 1", "quota = -1");
  text = replaced(text, "\"07:30-09:00\"", "\"09:00-07:30\"");
  text = replaced(text, "\"exit.needs_proof\"", "\"exit.needs_prooof\"");
  text = replaced(text, "emergency = true", "emergency = true\nlabel = \"x\"");
  text = replaced(text, "{room}", "{flat}");
  const auto parsed = parse_policy(text);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(issues_of(parsed), (std::vector<Issue>{
                                   {"version", "policy.missing"},
                                   {"reasons.staff.rules[1]", "policy.unknown_rule"},
                                   {"reasons.birth.label", "policy.unknown_key"},
                                   {"household.quota", "policy.range"},
                                   {"household.slots[0]", "policy.range"},
                                   {"pledge_template", "policy.unknown_placeholder"},
                               }));
  EXPECT_NE(parsed.error().message.find("6 problems"), std::string::npos) << parsed.error().message;
}

// DESIGN.md, "Default policy".
TEST(PolicyDefault, MatchesTheDesign) {
  const auto parsed = parse_policy(default_policy_toml());
  ASSERT_TRUE(parsed) << parsed.error().message;
  const domain::ExitPolicy& p = default_policy();
  EXPECT_EQ(p.version, parsed->version);
  EXPECT_FALSE(p.version.empty());
  EXPECT_EQ(p.test_age_from, domain::CountedFrom::sampled);

  const struct {
    std::string_view code;
    bool emergency;
    std::vector<std::string_view> rules;
    std::optional<hours> negative_within;  // when the rule is listed
    hours pass_valid_for;
    std::optional<hours> return_within;
    std::optional<hours> paperwork_within;  // emergencies
  } cases[] = {
      {"medical_staff_return",
       false,
       {domain::kRuleNotPositive, domain::kRuleNeedsNegativeWithin, domain::kRuleNeedsProof,
        domain::kRuleNeedsPledge, domain::kRuleReturnPlanned},
       48h,
       24h,
       24h,
       std::nullopt},
      {"medical_emergency",
       true,
       {domain::kRuleNeedsProof, domain::kRuleNeedsPledge},
       std::nullopt,
       24h,
       std::nullopt,  // no deadline while in hospital
       24h},
      {"childbirth",
       true,
       {domain::kRuleNeedsProof, domain::kRuleNeedsPledge},
       std::nullopt,
       24h,
       std::nullopt,  // no deadline while in hospital
       24h},
      {"essential_work",
       false,
       {domain::kRuleNotPositive, domain::kRuleNeedsNegativeWithin, domain::kRuleNeedsProof,
        domain::kRuleNeedsPledge, domain::kRuleReturnPlanned},
       48h,
       24h,
       24h,
       std::nullopt},
  };
  ASSERT_EQ(p.reasons.size(), std::size(cases));
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const auto& c = cases[i];
    const domain::ExitReason& r = p.reasons[i];
    EXPECT_EQ(r.code, c.code);
    EXPECT_FALSE(r.label_zh.empty()) << c.code;
    EXPECT_FALSE(r.label_en.empty()) << c.code;
    EXPECT_EQ(r.emergency, c.emergency) << c.code;
    EXPECT_EQ(r.rules, std::vector<std::string>(c.rules.begin(), c.rules.end())) << c.code;
    if (c.negative_within) {
      EXPECT_EQ(r.negative_within, *c.negative_within) << c.code;
    }
    EXPECT_EQ(r.pass_valid_for, c.pass_valid_for) << c.code;
    EXPECT_TRUE(r.return_required) << c.code;
    EXPECT_EQ(r.return_within, c.return_within) << c.code;
    if (c.paperwork_within) {
      EXPECT_EQ(r.paperwork_within, *c.paperwork_within) << c.code;
    }
    EXPECT_EQ(p.reason(c.code), &r);
  }
  EXPECT_EQ(p.reason("childbirth")->label_zh, "分娩");
  EXPECT_EQ(p.reason("medical_staff_return")->label_zh, "医护人员返岗");

  // Shanghai, 1 May 2022: twice per 7 days, in the committee's time slots, no test window.
  EXPECT_EQ(p.household.quota, 2);
  EXPECT_EQ(p.household.period_days, 7);
  ASSERT_EQ(p.household.slots.size(), 2u);
  EXPECT_EQ(p.household.slots[0].start, 8h);
  EXPECT_EQ(p.household.slots[0].end, 12h);
  EXPECT_EQ(p.household.slots[1].start, 14h);
  EXPECT_EQ(p.household.slots[1].end, 18h);
  EXPECT_EQ(p.household.negative_within, std::nullopt);
  EXPECT_EQ(p.household.valid_days, 14);
}

TEST(PolicyDefault, PledgeUsesEveryPlaceholder) {
  for (std::string_view placeholder : {"{name}", "{id_number}", "{building}", "{room}",
                                       "{destination}", "{reason}", "{exit}", "{return}"}) {
    EXPECT_NE(default_policy().pledge_template.find(placeholder), std::string::npos) << placeholder;
  }
  EXPECT_NE(default_policy().pledge_template.find("承诺"), std::string::npos);
}

// The rule ids of the code and of the policy file are the same: every rule a reason lists is
// one the code checks, and every rule the code can check is written in the file.
TEST(PolicyDefault, RuleIdsMatchThePolicyFile) {
  for (const domain::ExitReason& r : default_policy().reasons) {
    for (const std::string& rule : r.rules) {
      EXPECT_NE(std::ranges::find(domain::kReasonRules, rule), std::end(domain::kReasonRules))
          << r.code << ": " << rule;
    }
  }
  for (std::string_view rule : domain::kReasonRules) {
    EXPECT_NE(default_policy_toml().find(fmt::format("\"{}\"", rule)), std::string_view::npos)
        << rule;
  }
}

TEST(PolicyDefault, IsTheSourceFileByteForByte) {
  std::ifstream in(JUWEI_SOURCE_DIR "/src/service/policy.toml", std::ios::binary);
  ASSERT_TRUE(in);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_EQ(default_policy_toml(), text.str());
}

}  // namespace
}  // namespace juwei::service
