#include "service/zones.hpp"

#include <fmt/format.h>

#include <map>

#include "service/registry.hpp"
#include "service/transaction.hpp"
#include "text/csv.hpp"

namespace juwei::service {
namespace {

std::optional<domain::ZoneSuggestion> suggestion_for(const store::StatusChange& current,
                                                     TimePoint now,
                                                     const domain::ZoneTimers& timers) {
  auto s = domain::suggest_zone_step(current.status,
                                     parse_iso_utc(current.changed_at).value_or(TimePoint{}),
                                     std::nullopt, now, timers);
  if (!s.next) return std::nullopt;
  return s;
}

}  // namespace

Zones::Zones(store::Store& store, Clock clock, domain::ZoneTimers timers)
    : m_store(store), m_clock(std::move(clock)), m_timers(timers) {}

Result<std::vector<BuildingZone>> Zones::overview(domain::CommunityId c) {
  const TimePoint now = m_clock();
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<std::vector<BuildingZone>> {
                          auto buildings = lift(tx.list_buildings(c));
                          if (!buildings) return std::unexpected(buildings.error());
                          auto statuses = lift(tx.current_statuses(c));
                          if (!statuses) return std::unexpected(statuses.error());
                          std::map<domain::BuildingId, store::StatusChange> by_building;
                          for (auto& s : *statuses)
                            by_building.emplace(s.building_id, std::move(s));
                          std::vector<BuildingZone> out;
                          for (domain::Building& b : *buildings) {
                            BuildingZone z{std::move(b), std::nullopt, std::nullopt};
                            if (auto it = by_building.find(z.building.id);
                                it != by_building.end()) {
                              z.current = it->second;
                              z.suggestion = suggestion_for(it->second, now, m_timers);
                            }
                            out.push_back(std::move(z));
                          }
                          return out;
                        });
}

Result<std::vector<store::StatusChange>> Zones::history(domain::CommunityId c,
                                                        domain::BuildingId b) {
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<store::StatusChange>> {
        auto building = lift(tx.get_building(c, b));
        if (!building) return std::unexpected(building.error());
        if (!*building) {
          return std::unexpected(Error::not_found(fmt::format("no building {}", b)));
        }
        return lift(tx.list_status_changes(c, b));
      });
}

Result<store::StatusChange> Zones::set_status(domain::CommunityId c, domain::BuildingId b,
                                              domain::ZoneStatus status, domain::UserId by,
                                              std::string_view reason, std::string_view rule) {
  const std::string why(text::trim(reason));
  if (why.empty() || why.size() > kMaxReasonBytes) {
    return std::unexpected(
        Error::invalid("a status change needs a reason",
                       {FieldIssue{"reason", why.empty() ? "reason.missing" : "reason.too_long",
                                   why.empty() ? "is required" : "is too long",
                                   why.empty() ? "请填写原因" : "原因太长"}}));
  }
  const std::string_view rule_id = rule.empty() ? domain::kRuleManual : rule;
  const bool step_rule =
      rule_id == domain::kRuleSealedToControlled || rule_id == domain::kRuleControlledToPrecaution;
  if (!step_rule && rule_id != domain::kRuleManual) {
    return std::unexpected(Error::invalid(
        "unknown rule", {FieldIssue{"rule", "rule.unknown",
                                    fmt::format("one of {}, {}, {}", domain::kRuleManual,
                                                domain::kRuleSealedToControlled,
                                                domain::kRuleControlledToPrecaution),
                                    "未知的规则"}}));
  }
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::write, [&](store::Transaction& tx) -> Result<store::StatusChange> {
        auto building = lift(tx.get_building(c, b));
        if (!building) return std::unexpected(building.error());
        if (!*building || (*building)->removal.removed()) {
          return std::unexpected(Error::not_found(fmt::format("no building {}", b)));
        }
        auto history = lift(tx.list_status_changes(c, b));
        if (!history) return std::unexpected(history.error());
        if (!history->empty() && history->back().status == status) {
          return std::unexpected(Error::conflict(
              fmt::format("{} is {} already", (*building)->name, domain::to_label_zh(status))));
        }
        if (step_rule) {
          const auto s =
              history->empty() ? std::nullopt : suggestion_for(history->back(), now, m_timers);
          if (!s || s->rule != rule_id || s->next != status) {
            return std::unexpected(
                Error::conflict(fmt::format("{} does not apply to {} now; use {} with a reason",
                                            rule_id, (*building)->name, domain::kRuleManual)));
          }
          if (!s->due) {
            return std::unexpected(
                Error::conflict(fmt::format("{} is due at {}; until then use {} with a reason",
                                            rule_id, iso_utc(s->due_at), domain::kRuleManual)));
          }
        }
        store::StatusChange change{c, b, 0, status, iso_utc(now), by, why, std::string(rule_id)};
        auto id = lift(tx.insert_status_change(change));
        if (!id) return std::unexpected(id.error());
        change.id = *id;
        return change;
      });
}

}  // namespace juwei::service
