#include "domain/zone.hpp"

#include <algorithm>
#include <array>

#include "domain/name_table.hpp"

namespace juwei::domain {
namespace {

constexpr std::array kZoneStatuses = {
    Name<ZoneStatus>{ZoneStatus::sealed, "sealed", "封控区"},
    Name<ZoneStatus>{ZoneStatus::controlled, "controlled", "管控区"},
    Name<ZoneStatus>{ZoneStatus::precaution, "precaution", "防范区"},
};

}  // namespace

std::string_view to_code(ZoneStatus s) {
  return code_of(kZoneStatuses, s);
}

std::string_view to_label_zh(ZoneStatus s) {
  return label_of(kZoneStatuses, s);
}

std::optional<ZoneStatus> zone_status_from_code(std::string_view code) {
  return find_by_code(kZoneStatuses, code);
}

ZoneSuggestion suggest_zone_step(ZoneStatus status, Instant since,
                                 std::optional<Instant> last_positive, Instant now,
                                 const ZoneTimers& timers) {
  ZoneSuggestion s;
  int clean_days = 0;
  switch (status) {
    case ZoneStatus::sealed:
      s.next = ZoneStatus::controlled;
      s.rule = kRuleSealedToControlled;
      clean_days = timers.sealed_clean_days;
      break;
    case ZoneStatus::controlled:
      s.next = ZoneStatus::precaution;
      s.rule = kRuleControlledToPrecaution;
      clean_days = timers.controlled_clean_days;
      break;
    case ZoneStatus::precaution:
      return s;
  }
  // Clean days count from the later of entering the status and the last positive.
  const Instant start = last_positive ? std::max(since, *last_positive) : since;
  s.due_at = start + std::chrono::days(clean_days);
  s.due = now >= s.due_at;
  s.remaining = s.due ? std::chrono::seconds(0) : s.due_at - now;
  return s;
}

ZoneSuggestion suggest_zone_change(std::optional<ZoneStatus> status, Instant since,
                                   const ZoneEvidence& evidence, Instant now,
                                   const ZoneTimers& timers) {
  const auto escalate = [](ZoneStatus to, Instant at, std::string_view rule) {
    ZoneSuggestion s;
    s.next = to;
    s.due_at = at;
    s.due = true;
    s.rule = rule;
    return s;
  };
  const auto news = [&](std::optional<Instant> at) { return at && (!status || *at >= since); };
  if (news(evidence.last_positive) && status != ZoneStatus::sealed) {
    return escalate(ZoneStatus::sealed, *evidence.last_positive, kRulePositiveSeals);
  }
  if (news(evidence.retests_open_since) && (!status || *status == ZoneStatus::precaution)) {
    return escalate(ZoneStatus::controlled, *evidence.retests_open_since,
                    kRulePositivePoolControls);
  }
  if (!status) return ZoneSuggestion{};
  ZoneSuggestion s = suggest_zone_step(*status, since, evidence.last_positive, now, timers);
  if (s.next && evidence.retests_open_since) {
    s.held = true;
    s.due = false;
  }
  return s;
}

std::optional<StatusChangeRefusal> check_status_change(
    std::optional<ZoneStatus> current, const std::optional<ZoneSuggestion>& suggestion,
    ZoneStatus requested, std::string_view rule) {
  using Kind = StatusChangeRefusal::Kind;
  const bool step_rule = rule == kRuleSealedToControlled || rule == kRuleControlledToPrecaution ||
                         rule == kRulePositiveSeals || rule == kRulePositivePoolControls;
  if (!step_rule && rule != kRuleManual) {
    return StatusChangeRefusal{
        Kind::unknown_rule,
        "the rule is one of " + std::string(kRuleManual) + ", " +
            std::string(kRuleSealedToControlled) + ", " + std::string(kRuleControlledToPrecaution) +
            ", " + std::string(kRulePositiveSeals) + ", " + std::string(kRulePositivePoolControls),
        "未知的规则"};
  }
  if (current == requested) {
    return StatusChangeRefusal{Kind::unchanged,
                               "the building is " + std::string(to_code(requested)) + " already",
                               "该楼已是" + std::string(to_label_zh(requested))};
  }
  if (!step_rule) return std::nullopt;
  if (!suggestion || !suggestion->next || suggestion->rule != rule ||
      *suggestion->next != requested) {
    return StatusChangeRefusal{Kind::step_not_suggested,
                               std::string(rule) + " does not apply now; use " +
                                   std::string(kRuleManual) + " with a reason",
                               "现在不适用该规则，请按人工调整并说明原因"};
  }
  if (suggestion->held) {
    return StatusChangeRefusal{
        Kind::step_not_due,
        std::string(rule) +
            " waits until the retests of a positive pooled "
            "tube are back; until then use " +
            std::string(kRuleManual) + " with a reason",
        "混管阳性的复核结果未全部返回，暂不能降级；如需调整，请按人工调整并说明原因"};
  }
  if (!suggestion->due) {
    return StatusChangeRefusal{Kind::step_not_due,
                               std::string(rule) + " is not due yet; until then use " +
                                   std::string(kRuleManual) + " with a reason",
                               "尚未满期；如需提前调整，请按人工调整并说明原因"};
  }
  return std::nullopt;
}

}  // namespace juwei::domain
