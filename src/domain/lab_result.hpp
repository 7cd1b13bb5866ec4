// Lab results (阴性 / 阳性 / 待复核) and what follows from them, as pure rules: what a lab's row
// does to a tube's stored result, what a tube's result means for each resident swabbed into
// it, what a positive suggests for the building, and a resident's standing from their swabs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "domain/screening.hpp"
#include "domain/zone.hpp"

namespace juwei::domain {

enum class TestResult : std::uint8_t { negative, positive };

std::string_view to_code(TestResult r);
std::string_view to_label_zh(TestResult r);
// The codes and the ways labs write them: negative / 阴性 / neg / -, positive / 阳性 / pos / +
// (ASCII case ignored).
std::optional<TestResult> parse_test_result(std::string_view text);

// What a lab's row does to the tube's stored result. `current`: the tube's result, if any.
// `known`: the incoming result is already kept for this tube as a conflict (or was replaced).
enum class ResultIngest : std::uint8_t {
  add,        // the tube's first result
  unchanged,  // the same result again (a re-sent file), or a conflict already kept
  conflict,   // a different result: kept for a human, never overwriting the stored one
};
ResultIngest classify_result(std::optional<TestResult> current, TestResult incoming, bool known);

// One test of a resident as their history shows it: a swab in a tube, or an antigen self-test.
enum class TestKind : std::uint8_t { pooled, single, antigen };
std::string_view to_code(TestKind k);
TestKind test_kind_of(TubeKind k);

// What one swab says about its resident: a negative tube clears everyone in it, a positive
// single tube is a case, a positive pooled tube puts each of its residents on retest.
enum class SwabOutcome : std::uint8_t { pending, negative, positive, retest };
std::string_view to_code(SwabOutcome o);
std::string_view to_label_zh(SwabOutcome o);
SwabOutcome swab_outcome(TestKind kind, std::optional<TestResult> result);

// What a positive tube sets in motion (DESIGN.md, default policy).
struct PositiveFollowUp {
  SwabOutcome residents = SwabOutcome::positive;
  ZoneStatus suggest = ZoneStatus::sealed;   // for the residents' buildings
  std::string_view rule;                     // kRulePositiveSeals or kRulePositivePoolControls
  bool housemates_to_home_sampling = false;  // pooled: the people they live with
  bool building_retest = false;              // single: the whole building, after 24 h
};
PositiveFollowUp follow_up_of_positive(TubeKind kind);

using Instant = std::chrono::sys_seconds;

// One test of a resident. `reported_at` (the lab's clock, or the resident's for an antigen
// self-test) and `known_at` (when the result reached Juwei) are meaningful when `result` is set.
struct TestRecord {
  TestKind kind = TestKind::pooled;
  Instant sampled_at{};
  std::optional<TestResult> result;
  Instant reported_at{};
  Instant known_at{};  // the epoch: known since always (a record made without one)
};

// A resident's standing from their tests:
// - positive: a positive single tube (a case stays a case until a human clears it);
// - retest: a positive pooled tube or antigen self-test not yet followed by a single tube's
//   result;
// - negative: the latest reported swab is negative and nothing above applies;
// - pending: swabbed, nothing reported; none: no tests.
enum class ResidentStanding : std::uint8_t { none, pending, negative, positive, retest };
std::string_view to_code(ResidentStanding s);
std::string_view to_label_zh(ResidentStanding s);
// `history`: newest sampled first. Only what was reported by `at` counts.
ResidentStanding resident_standing(std::span<const TestRecord> history, Instant at);

// rule: pass.holder_not_positive — the standing from what Juwei knew at `at`: a result counts
// from when it reached Juwei (`known_at`), whatever the lab's clock says. An uncleared positive
// or retest by this reading stops every pass of its holder.
ResidentStanding known_standing(std::span<const TestRecord> history, Instant at);
bool known_doubt(std::span<const TestRecord> history, Instant at);  // positive or retest

// Whether a test's age counts from its sampling or from its report (a policy setting).
enum class CountedFrom : std::uint8_t { sampled, reported };
std::optional<CountedFrom> counted_from_code(std::string_view code);
std::string_view to_code(CountedFrom c);

// The latest negative swab (antigen self-tests do not count) reported by `at` and not
// followed by a positive or retest reported by `at`; latest by `counted_from` time. Points
// into `history` (newest sampled first), or nothing.
const TestRecord* latest_negative(std::span<const TestRecord> history, Instant at,
                                  CountedFrom counted_from);

// Reading a resident's tests newest sampled first, tells whether the next one can still change
// latest_negative's answer (whose rules this follows):
// - not after a doubt (a positive reported by `at`): negatives sampled no later do not count,
//   and older doubts change nothing;
// - counting from sampling, not after a negative swab reported by `at` unless sampled at the
//   same time: one sampled earlier can neither be a later negative nor cast doubt on this one.
class OlderTestsMatter {
 public:
  OlderTestsMatter(Instant at, CountedFrom counted_from) : m_at(at), m_counted_from(counted_from) {}

  // Whether `next`, sampled no later than the tests before it, can change the answer.
  bool operator()(const TestRecord& next);

 private:
  Instant m_at;
  CountedFrom m_counted_from;
  bool m_doubted = false;
  std::optional<Instant> m_negative_sampled;  // of the newest negative swab
};

}  // namespace juwei::domain
