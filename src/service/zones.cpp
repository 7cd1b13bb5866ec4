#include "service/zones.hpp"

#include <fmt/format.h>

#include <map>

#include "service/audit.hpp"
#include "service/input.hpp"
#include "service/lab_results.hpp"
#include "service/transaction.hpp"

namespace juwei::service {
namespace {

std::optional<domain::ZoneSuggestion> suggestion_for(
    const std::optional<store::StatusChange>& current, const domain::ZoneEvidence& evidence,
    TimePoint now, const domain::ZoneTimers& timers) {
  const auto status = current ? std::optional<domain::ZoneStatus>(current->status) : std::nullopt;
  const TimePoint since =
      current ? parse_iso_utc(current->changed_at).value_or(TimePoint{}) : TimePoint{};
  auto s = domain::suggest_zone_change(status, since, evidence, now, timers);
  if (!s.next) return std::nullopt;
  return s;
}

domain::ZoneEvidence evidence_of(const ZoneEvidenceMap& map, domain::BuildingId b) {
  const auto it = map.find(b);
  return it == map.end() ? domain::ZoneEvidence{} : it->second;
}

// A case in the building calls for a whole-building retest 24 h after its report, until a
// round covering the building is created after the report.
std::optional<TimePoint> building_retest_due(const BuildingZone& z,
                                             const std::vector<store::ScreeningRound>& rounds) {
  if (!z.evidence.last_positive) return std::nullopt;
  const TimePoint reported = *z.evidence.last_positive;
  for (const store::ScreeningRound& r : rounds) {
    const bool covers =
        r.buildings.empty() || std::ranges::find(r.buildings, z.building.id) != r.buildings.end();
    if (covers && parse_iso_utc(r.created_at).value_or(TimePoint{}) > reported) {
      return std::nullopt;
    }
  }
  return reported + kBuildingRetestAfter;
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
                          auto evidence = zone_evidence(tx, c, now);
                          if (!evidence) return std::unexpected(evidence.error());
                          auto rounds = lift(tx.list_rounds(c));
                          if (!rounds) return std::unexpected(rounds.error());
                          std::vector<BuildingZone> out;
                          for (domain::Building& b : *buildings) {
                            BuildingZone z{std::move(b), std::nullopt, std::nullopt, {}};
                            if (auto it = by_building.find(z.building.id);
                                it != by_building.end()) {
                              z.current = it->second;
                            }
                            z.evidence = evidence_of(*evidence, z.building.id);
                            z.suggestion = suggestion_for(z.current, z.evidence, now, m_timers);
                            z.retest_due_at = building_retest_due(z, *rounds);
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
  auto why = required_reason(reason);
  if (!why) return std::unexpected(why.error());
  const std::string_view rule_id = rule.empty() ? domain::kRuleManual : rule;
  const TimePoint now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::StatusChange> {
        auto building = lift(tx.get_building(c, b));
        if (!building) return std::unexpected(building.error());
        if (!*building || (*building)->removal.removed()) {
          return std::unexpected(Error::not_found(fmt::format("no building {}", b)));
        }
        auto history = lift(tx.list_status_changes(c, b));
        if (!history) return std::unexpected(history.error());
        auto evidence = zone_evidence(tx, c, now);
        if (!evidence) return std::unexpected(evidence.error());
        std::optional<domain::ZoneStatus> current;
        std::optional<store::StatusChange> latest;
        if (!history->empty()) {
          current = history->back().status;
          latest = history->back();
        }
        const auto suggestion = suggestion_for(latest, evidence_of(*evidence, b), now, m_timers);
        if (auto refusal = domain::check_status_change(current, suggestion, status, rule_id)) {
          using Kind = domain::StatusChangeRefusal::Kind;
          FieldIssue issue{refusal->kind == Kind::unknown_rule ? "rule" : "status",
                           refusal->kind == Kind::unknown_rule ? "rule.unknown" : "status.refused",
                           refusal->message_en, refusal->message_zh};
          Error e =
              refusal->kind == Kind::unknown_rule
                  ? Error::invalid(refusal->message_en, {issue})
                  : Error::conflict(fmt::format("{}: {}", (*building)->name, refusal->message_en));
          if (refusal->kind != Kind::unknown_rule) e.fields.push_back(std::move(issue));
          return std::unexpected(std::move(e));
        }
        store::StatusChange change{c, b, 0, status, iso_utc(now), by, *why, std::string(rule_id)};
        auto id = lift(tx.insert_status_change(change));
        if (!id) return std::unexpected(id.error());
        change.id = *id;
        if (auto a = audit(tx, c, by,
                           {"building.status", "building", std::to_string(b),
                            latest ? std::string(domain::to_code(latest->status)) : std::string(),
                            fmt::format("{}|{}|{}", domain::to_code(status), *why, rule_id), ""},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return change;
      });
}

}  // namespace juwei::service
