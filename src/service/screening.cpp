#include "service/screening.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "domain/id_number.hpp"
#include "service/audit.hpp"
#include "service/input.hpp"
#include "service/transaction.hpp"
#include "text/csv.hpp"

namespace juwei::service {
namespace {

Result<store::ScreeningRound> round_in(store::Transaction& tx, domain::CommunityId c,
                                       std::int64_t id) {
  auto round = lift(tx.get_round(c, id));
  if (!round) return std::unexpected(round.error());
  if (!*round) return std::unexpected(Error::not_found(fmt::format("no screening round {}", id)));
  return std::move(**round);
}

bool in_scope(const store::ScreeningRound& round, domain::BuildingId b) {
  return round.buildings.empty() || std::ranges::find(round.buildings, b) != round.buildings.end();
}

}  // namespace

Screening::Screening(store::Store& store, Clock clock, domain::PoolingRules rules)
    : m_store(store), m_clock(std::move(clock)), m_rules(rules) {}

Result<store::ScreeningRound> Screening::create_round(
    domain::CommunityId c, std::string_view day, const std::vector<domain::BuildingId>& buildings,
    domain::UserId by) {
  if (!domain::parse_iso_date(day)) {
    return std::unexpected(Error::invalid(
        "invalid day",
        {FieldIssue{"day", "day.invalid", "a date, YYYY-MM-DD", "日期格式应为 YYYY-MM-DD"}}));
  }
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::write, [&](store::Transaction& tx) -> Result<store::ScreeningRound> {
        for (domain::BuildingId b : buildings) {
          auto found = lift(tx.get_building(c, b));
          if (!found) return std::unexpected(found.error());
          if (!*found || (*found)->removal.removed()) {
            return std::unexpected(Error::invalid(
                "unknown building", {FieldIssue{"buildings", "buildings.unknown",
                                                fmt::format("no building {}", b), "没有这幢楼"}}));
          }
        }
        store::ScreeningRound round{c, 0, std::string(day), buildings, iso_utc(now), by};
        std::ranges::sort(round.buildings);
        auto id = lift(tx.insert_round(round));
        if (!id) return std::unexpected(id.error());
        round.id = *id;
        if (auto a =
                audit(tx, c, by,
                      {"round.create", "round", std::to_string(round.id), "", round.day, ""}, now);
            !a) {
          return std::unexpected(a.error());
        }
        return round;
      });
}

Result<std::vector<store::ScreeningRound>> Screening::rounds(domain::CommunityId c) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) { return lift(tx.list_rounds(c)); });
}

Result<store::Sample> Screening::record_sample(domain::CommunityId c, std::int64_t round_id,
                                               const SampleInput& in, domain::UserId by) {
  const std::string code(text::trim(in.tube_code));
  if (code.empty() || code.size() > kMaxTubeCodeBytes || !is_visible_ascii(code)) {
    return std::unexpected(Error::invalid(
        "invalid tube code",
        {FieldIssue{"tube_code", "tube_code.invalid", "1 to 64 visible ASCII characters",
                    "试管编码应为 1 到 64 个可见字符"}}));
  }
  const std::string reason(text::trim(in.resample_reason));
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::write, [&](store::Transaction& tx) -> Result<store::Sample> {
        auto round = round_in(tx, c, round_id);
        if (!round) return std::unexpected(round.error());
        auto resident = lift(tx.get_resident(c, in.resident_id));
        if (!resident) return std::unexpected(resident.error());
        if (!*resident || (*resident)->resident.removal.removed()) {
          return std::unexpected(Error::invalid(
              "unknown resident",
              {FieldIssue{"resident_id", "resident_id.unknown",
                          "no such resident in this community", "本小区没有该居民"}}));
        }
        auto household = lift(tx.get_household(c, (*resident)->resident.household_id));
        if (!household) return std::unexpected(household.error());
        if (!*household || !in_scope(*round, (*household)->building_id)) {
          return std::unexpected(
              Error::conflict(fmt::format("{} lives in {}, which this round does not cover",
                                          (*resident)->resident.name, (*resident)->building)));
        }
        auto tube = lift(tx.find_tube(c, code));
        if (!tube) return std::unexpected(tube.error());
        auto before = lift(tx.count_samples_of(c, round_id, in.resident_id));
        if (!before) return std::unexpected(before.error());
        if (auto refusal =
                domain::check_sample(*tube, round_id, in.kind, *before > 0, reason, m_rules)) {
          Error e = Error::conflict(refusal->message_en);
          e.fields.push_back(
              FieldIssue{"tube_code", refusal->code, refusal->message_en, refusal->message_zh});
          return std::unexpected(std::move(e));
        }
        if (!tube->exists) {
          if (auto r = lift(tx.insert_tube(c, code, round_id, in.kind, iso_utc(now))); !r) {
            return std::unexpected(r.error());
          }
        }
        store::Sample sample{c,    round_id,       0,
                             code, in.resident_id, iso_utc(now),
                             by,   in.at_home,     *before > 0 ? reason : std::string()};
        auto id = lift(tx.insert_sample(sample));
        if (!id) return std::unexpected(id.error());
        sample.id = *id;
        if (auto a = audit(tx, c, by,
                           {"sample.record", "sample", std::to_string(sample.id), "",
                            fmt::format("{}|{}|{}|{}", round_id, sample.tube_code,
                                        sample.resident_id, sample.resample_reason),
                            ""},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return sample;
      });
}

Result<store::ScreeningMarkRow> Screening::set_mark(domain::CommunityId c,
                                                    domain::ResidentId resident,
                                                    domain::ScreeningMark mark,
                                                    std::string_view reason, domain::UserId by) {
  auto why = required_reason(reason);
  if (!why) return std::unexpected(why.error());
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::write,
      [&](store::Transaction& tx) -> Result<store::ScreeningMarkRow> {
        auto row = lift(tx.get_resident(c, resident));
        if (!row) return std::unexpected(row.error());
        if (!*row || (*row)->resident.removal.removed()) {
          return std::unexpected(Error::not_found(fmt::format("no resident {}", resident)));
        }
        store::ScreeningMarkRow m{c, resident, mark, *why, iso_utc(now), by};
        if (auto r = lift(tx.set_screening_mark(m)); !r) return std::unexpected(r.error());
        if (auto a = audit(tx, c, by,
                           {"screening_mark.set", "resident", std::to_string(resident), "",
                            std::string(domain::to_code(mark)) + "|" + *why, ""},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return m;
      });
}

Result<void> Screening::clear_mark(domain::CommunityId c, domain::ResidentId resident,
                                   domain::UserId by) {
  const TimePoint now = m_clock();
  return in_transaction(m_store, store::TxMode::write, [&](store::Transaction& tx) -> Result<void> {
    auto r = tx.clear_screening_mark(c, resident);
    if (!r && r.error().kind == store::Error::Kind::not_found) {
      return std::unexpected(Error::not_found(fmt::format("resident {} has no mark", resident)));
    }
    if (!r) return std::unexpected(from_store(r.error()));
    return audit(tx, c, by,
                 {"screening_mark.clear", "resident", std::to_string(resident), "", "", ""}, now);
  });
}

Result<std::vector<store::ScreeningMarkRow>> Screening::marks(domain::CommunityId c) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) { return lift(tx.list_screening_marks(c)); });
}

int floor_of_room(std::string_view room) {
  // The last run of digits is the room number; all but its last two digits are the floor.
  std::size_t end = room.size();
  while (end > 0 && (room[end - 1] < '0' || room[end - 1] > '9'))
    --end;
  std::size_t begin = end;
  while (begin > 0 && room[begin - 1] >= '0' && room[begin - 1] <= '9')
    --begin;
  if (end - begin < 3) return 0;
  int floor = 0;
  for (std::size_t i = begin; i < end - 2; ++i)
    floor = floor * 10 + (room[i] - '0');
  return floor;
}

Result<std::vector<DoorKnockBuilding>> Screening::door_knock_list(domain::CommunityId c,
                                                                  std::int64_t round_id,
                                                                  domain::Role viewer) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<std::vector<DoorKnockBuilding>> {
                          auto round = round_in(tx, c, round_id);
                          if (!round) return std::unexpected(round.error());
                          auto missing = lift(tx.unsampled_residents(c, round_id));
                          if (!missing) return std::unexpected(missing.error());
                          // Rows name their building; the round's scope is by id. One list, not a
                          // lookup a row.
                          auto buildings = lift(tx.list_buildings(c));
                          if (!buildings) return std::unexpected(buildings.error());
                          std::unordered_map<std::string, domain::BuildingId> id_of;
                          for (const domain::Building& b : *buildings)
                            id_of.emplace(b.name, b.id);
                          std::vector<DoorKnockBuilding> out;
                          for (store::ResidentRow& row : *missing) {
                            const auto found = id_of.find(row.building);
                            const domain::BuildingId b = found == id_of.end() ? 0 : found->second;
                            if (!in_scope(*round, b)) continue;
                            if (out.empty() || out.back().building_id != b) {
                              out.push_back(DoorKnockBuilding{b, row.building, {}});
                            }
                            if (domain::sees_masked_id_numbers(viewer)) {
                              row.resident.id_number =
                                  domain::mask_id_number(row.resident.id_number);
                            }
                            const int floor = floor_of_room(row.room);
                            auto& floors = out.back().floors;
                            auto at = std::ranges::find(floors, floor, &DoorKnockFloor::floor);
                            if (at == floors.end())
                              at = floors.insert(floors.end(), DoorKnockFloor{floor, {}});
                            at->residents.push_back(std::move(row));
                          }
                          for (auto& building : out) {
                            std::ranges::stable_sort(building.floors, {}, &DoorKnockFloor::floor);
                          }
                          return out;
                        });
}

Result<std::vector<store::BuildingCoverage>> Screening::coverage(domain::CommunityId c,
                                                                 std::int64_t round_id) {
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<store::BuildingCoverage>> {
        auto round = round_in(tx, c, round_id);
        if (!round) return std::unexpected(round.error());
        auto all = lift(tx.round_coverage(c, round_id));
        if (!all) return std::unexpected(all.error());
        std::erase_if(*all, [&](const auto& b) { return !in_scope(*round, b.building_id); });
        return std::move(*all);
      });
}

}  // namespace juwei::service
