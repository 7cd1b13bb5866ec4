#include "domain/lab_result.hpp"

#include <array>
#include <string>

#include "domain/name_table.hpp"

namespace juwei::domain {
namespace {

constexpr std::array kTestResults = {
    Name<TestResult>{TestResult::negative, "negative", "阴性"},
    Name<TestResult>{TestResult::positive, "positive", "阳性"},
};

constexpr std::array kTestKinds = {
    Name<TestKind>{TestKind::pooled, "pooled", "混管"},
    Name<TestKind>{TestKind::single, "single", "单管"},
    Name<TestKind>{TestKind::antigen, "antigen", "抗原"},
};

constexpr std::array kSwabOutcomes = {
    Name<SwabOutcome>{SwabOutcome::pending, "pending", "待出结果"},
    Name<SwabOutcome>{SwabOutcome::negative, "negative", "阴性"},
    Name<SwabOutcome>{SwabOutcome::positive, "positive", "阳性"},
    Name<SwabOutcome>{SwabOutcome::retest, "retest", "待复核"},
};

constexpr std::array kStandings = {
    Name<ResidentStanding>{ResidentStanding::none, "none", "无检测"},
    Name<ResidentStanding>{ResidentStanding::pending, "pending", "待出结果"},
    Name<ResidentStanding>{ResidentStanding::negative, "negative", "阴性"},
    Name<ResidentStanding>{ResidentStanding::positive, "positive", "阳性"},
    Name<ResidentStanding>{ResidentStanding::retest, "retest", "待复核"},
};

constexpr std::array kCountedFrom = {
    Name<CountedFrom>{CountedFrom::sampled, "sampled", "采样时间"},
    Name<CountedFrom>{CountedFrom::reported, "reported", "报告时间"},
};

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

bool reported_by(const TestRecord& t, Instant at) {
  return t.result && t.reported_at <= at;
}

// A positive single tube, positive pooled tube or positive antigen self-test.
bool raises_doubt(const TestRecord& t) {
  return t.result == TestResult::positive;
}

}  // namespace

std::string_view to_code(TestResult r) {
  return code_of(kTestResults, r);
}

std::string_view to_label_zh(TestResult r) {
  return label_of(kTestResults, r);
}

std::optional<TestResult> parse_test_result(std::string_view text) {
  const std::string t = ascii_lower(text);
  if (t == "negative" || t == "neg" || t == "-" || t == "阴性") return TestResult::negative;
  if (t == "positive" || t == "pos" || t == "+" || t == "阳性") return TestResult::positive;
  return std::nullopt;
}

ResultIngest classify_result(std::optional<TestResult> current, TestResult incoming, bool known) {
  if (!current) return ResultIngest::add;
  if (*current == incoming || known) return ResultIngest::unchanged;
  return ResultIngest::conflict;
}

std::string_view to_code(TestKind k) {
  return code_of(kTestKinds, k);
}

TestKind test_kind_of(TubeKind k) {
  return k == TubeKind::single ? TestKind::single : TestKind::pooled;
}

std::string_view to_code(SwabOutcome o) {
  return code_of(kSwabOutcomes, o);
}

std::string_view to_label_zh(SwabOutcome o) {
  return label_of(kSwabOutcomes, o);
}

SwabOutcome swab_outcome(TestKind kind, std::optional<TestResult> result) {
  if (!result) return SwabOutcome::pending;
  if (*result == TestResult::negative) return SwabOutcome::negative;
  return kind == TestKind::single ? SwabOutcome::positive : SwabOutcome::retest;
}

PositiveFollowUp follow_up_of_positive(TubeKind kind) {
  if (kind == TubeKind::single) {
    return PositiveFollowUp{SwabOutcome::positive, ZoneStatus::sealed, kRulePositiveSeals, false,
                            true};
  }
  return PositiveFollowUp{SwabOutcome::retest, ZoneStatus::controlled, kRulePositivePoolControls,
                          true, false};
}

std::string_view to_code(ResidentStanding s) {
  return code_of(kStandings, s);
}

std::string_view to_label_zh(ResidentStanding s) {
  return label_of(kStandings, s);
}

namespace {

// The standing at `at` counting a result once `counted(t)` says it is in by then.
template <typename Counted>
ResidentStanding standing_of(std::span<const TestRecord> history, Instant at, Counted counted) {
  bool swabbed = false;
  bool negative = false;
  for (const TestRecord& t : history) {
    if (t.sampled_at > at) continue;
    if (t.kind != TestKind::antigen) swabbed = true;
    if (!counted(t)) continue;
    if (t.kind == TestKind::single) {
      return *t.result == TestResult::positive ? ResidentStanding::positive
                                               : ResidentStanding::negative;
    }
    if (raises_doubt(t)) return ResidentStanding::retest;  // pooled or antigen, not yet cleared
    if (t.kind == TestKind::pooled) negative = true;
  }
  if (negative) return ResidentStanding::negative;
  return swabbed ? ResidentStanding::pending : ResidentStanding::none;
}

}  // namespace

ResidentStanding resident_standing(std::span<const TestRecord> history, Instant at) {
  return standing_of(history, at, [at](const TestRecord& t) { return reported_by(t, at); });
}

ResidentStanding known_standing(std::span<const TestRecord> history, Instant at) {
  return standing_of(history, at,
                     [at](const TestRecord& t) { return t.result && t.known_at <= at; });
}

bool known_doubt(std::span<const TestRecord> history, Instant at) {
  const ResidentStanding s = known_standing(history, at);
  return s == ResidentStanding::positive || s == ResidentStanding::retest;
}

std::optional<CountedFrom> counted_from_code(std::string_view code) {
  return find_by_code(kCountedFrom, code);
}

std::string_view to_code(CountedFrom c) {
  return code_of(kCountedFrom, c);
}

const TestRecord* latest_negative(std::span<const TestRecord> history, Instant at,
                                  CountedFrom counted_from) {
  // Negatives count only when sampled after the latest doubt known by `at`.
  std::optional<Instant> doubt_since;
  for (const TestRecord& t : history) {
    if (reported_by(t, at) && raises_doubt(t) && (!doubt_since || t.sampled_at > *doubt_since)) {
      doubt_since = t.sampled_at;
    }
  }
  const TestRecord* best = nullptr;
  const auto time_of = [counted_from](const TestRecord& t) {
    return counted_from == CountedFrom::sampled ? t.sampled_at : t.reported_at;
  };
  for (const TestRecord& t : history) {
    if (t.kind == TestKind::antigen || !reported_by(t, at) || *t.result != TestResult::negative) {
      continue;
    }
    if (doubt_since && t.sampled_at <= *doubt_since) continue;
    if (!best || time_of(t) > time_of(*best)) best = &t;
  }
  return best;
}

bool OlderTestsMatter::operator()(const TestRecord& next) {
  if (m_doubted || (m_negative_sampled && next.sampled_at < *m_negative_sampled)) return false;
  const bool reported = next.result && next.reported_at <= m_at;
  if (reported && *next.result == TestResult::positive) {
    m_doubted = true;
  } else if (reported && next.kind != TestKind::antigen && m_counted_from == CountedFrom::sampled &&
             !m_negative_sampled) {
    m_negative_sampled = next.sampled_at;
  }
  return true;
}

}  // namespace juwei::domain
