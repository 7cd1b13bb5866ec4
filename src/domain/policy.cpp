#include "domain/policy.hpp"

#include <algorithm>

namespace juwei::domain {

bool ExitReason::lists(std::string_view rule) const {
  return std::ranges::find(rules, rule) != rules.end();
}

const ExitReason* ExitPolicy::reason(std::string_view code) const {
  auto it = std::ranges::find(reasons, code, &ExitReason::code);
  return it == reasons.end() ? nullptr : &*it;
}

namespace {

// "HH:MM" (00:00 to 24:00), in minutes since midnight.
std::optional<std::chrono::minutes> parse_clock(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (std::size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return std::chrono::minutes{h * 60 + m};
}

std::string clock_text(std::chrono::minutes m) {
  const auto v = static_cast<int>(m.count());
  return {static_cast<char>('0' + v / 600), static_cast<char>('0' + v / 60 % 10), ':',
          static_cast<char>('0' + v % 60 / 10), static_cast<char>('0' + v % 10)};
}

}  // namespace

std::optional<TimeSlot> parse_time_slot(std::string_view text) {
  if (text.size() != 11 || text[5] != '-') return std::nullopt;
  const auto start = parse_clock(text.substr(0, 5));
  const auto end = parse_clock(text.substr(6));
  if (!start || !end || *start == std::chrono::hours{24}) return std::nullopt;
  return TimeSlot{*start, *end};
}

std::optional<std::chrono::minutes> parse_time_of_day(std::string_view text) {
  return text.size() == 5 ? parse_clock(text) : std::nullopt;
}

std::string to_text(const TimeSlot& slot) {
  return clock_text(slot.start) + "-" + clock_text(slot.end);
}

std::string to_text(const std::vector<TimeSlot>& slots) {
  std::string out;
  for (const TimeSlot& s : slots) {
    if (!out.empty()) out += ',';
    out += to_text(s);
  }
  return out;
}

std::vector<TimeSlot> parse_time_slots(std::string_view text) {
  std::vector<TimeSlot> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (auto slot = parse_time_slot(text.substr(0, comma))) out.push_back(*slot);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string_view to_code(RiskLevel r) {
  switch (r) {
    case RiskLevel::high:
      return "high";
    case RiskLevel::medium:
      return "medium";
    case RiskLevel::low:
      break;
  }
  return "low";
}

std::string_view to_label_zh(RiskLevel r) {
  switch (r) {
    case RiskLevel::high:
      return "高风险";
    case RiskLevel::medium:
      return "中风险";
    case RiskLevel::low:
      break;
  }
  return "低风险";
}

RiskAssessment assess_risk(std::int64_t cases, std::int64_t clusters, const RiskPolicy& policy) {
  if (cases >= policy.high_cases || clusters >= policy.high_clusters) {
    return {RiskLevel::high, kRuleRiskHigh};
  }
  if (cases > 0) return {RiskLevel::medium, kRuleRiskMedium};
  return {RiskLevel::low, kRuleRiskLow};
}

CadenceCheck check_cadence(const TestCadence& cadence, int days, int window_days,
                           std::int64_t pcr_days, std::int64_t antigen) {
  window_days = std::max(window_days, 1);
  days = std::clamp(days, 0, window_days);
  const auto scaled = [&](int n) { return (n * days + window_days - 1) / window_days; };
  // The PCR and all tests scale each; antigen is the rest, so rounding up twice does not owe
  // more tests than the days call for.
  const int pcr = scaled(cadence.pcr);
  CadenceCheck c{pcr, std::max(0, scaled(cadence.pcr + cadence.antigen) - pcr), false};
  const std::int64_t spare_pcr = std::max<std::int64_t>(0, pcr_days - c.pcr_owed);
  c.behind = pcr_days < c.pcr_owed || antigen + spare_pcr < c.antigen_owed;
  return c;
}

}  // namespace juwei::domain
