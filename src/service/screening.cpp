#include "service/screening.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "domain/exit.hpp"
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
    domain::UserId by, bool another_that_day) {
  if (!domain::parse_iso_date(day)) {
    return std::unexpected(Error::invalid(
        "invalid day",
        {FieldIssue{"day", "day.invalid", "a date, YYYY-MM-DD", "日期格式应为 YYYY-MM-DD"}}));
  }
  const TimePoint now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::ScreeningRound> {
        for (domain::BuildingId b : buildings) {
          auto found = lift(tx.get_building(c, b));
          if (!found) return std::unexpected(found.error());
          if (!*found || (*found)->removal.removed()) {
            return std::unexpected(Error::invalid(
                "unknown building", {FieldIssue{"buildings", "buildings.unknown",
                                                fmt::format("no building {}", b), "没有这幢楼"}}));
          }
        }
        // rule: screening.one_round_a_day — two rounds of a day look alike, split the day's
        // samples, and are easily made by mistake: the second is made only when asked for.
        auto existing = lift(tx.list_rounds(c));
        if (!existing) return std::unexpected(existing.error());
        const auto same_day = std::ranges::count(*existing, day, &store::ScreeningRound::day);
        if (same_day > 0 && !another_that_day) {
          const auto first = std::ranges::find(*existing, day, &store::ScreeningRound::day);
          const auto at = parse_iso_utc(first->created_at);
          const std::string made =
              at ? domain::local_minute(*at, kShanghaiOffset).substr(11) : first->created_at;
          return std::unexpected(Error{
              Error::Kind::conflict,
              fmt::format("{} has {} round(s) already (round {}, made at {}); ask for another "
                          "that day to open round {} (rule screening.one_round_a_day)",
                          day, same_day, first->id, made, same_day + 1),
              {FieldIssue{"day", "round.same_day",
                          fmt::format("{} has {} round(s) already", day, same_day),
                          fmt::format("这一天已有 {} 轮筛查（第1轮 {} 建）；确定再建第{}轮吗？",
                                      same_day, made, same_day + 1)}}});
        }
        store::ScreeningRound round{c, 0, std::string(day), buildings, iso_utc(now), by};
        std::ranges::sort(round.buildings);
        auto id = lift(tx.insert_round(round));
        if (!id) return std::unexpected(id.error());
        round.id = *id;
        round.number_in_day = static_cast<int>(same_day) + 1;
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
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::Sample> {
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
  return in_community(m_store, c,
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
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<void> {
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

Result<std::vector<HouseholdMemberForSampling>> Screening::household_for_sampling(
    domain::CommunityId c, std::int64_t round_id, domain::HouseholdId household_id,
    domain::Role viewer) {
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<HouseholdMemberForSampling>> {
        auto round = round_in(tx, c, round_id);
        if (!round) return std::unexpected(round.error());
        auto household = lift(tx.get_household(c, household_id));
        if (!household) return std::unexpected(household.error());
        if (!*household || (*household)->removal.removed()) {
          return std::unexpected(Error::not_found(fmt::format("no household {}", household_id)));
        }
        auto members = lift(
            tx.search_residents(store::ResidentQuery{c, "", std::nullopt, household_id, 50, 0}));
        if (!members) return std::unexpected(members.error());
        // The day's rounds: a swab in any of them is today's.
        auto rounds = lift(tx.list_rounds(c));
        if (!rounds) return std::unexpected(rounds.error());
        std::erase_if(*rounds, [&](const auto& r) { return r.day != round->day; });
        // Who the register has out: an exit on an open pass of the household not yet back.
        auto passes =
            lift(tx.list_passes(store::PassQuery{c, true, household_id, std::nullopt, 0, 200}));
        if (!passes) return std::unexpected(passes.error());
        const bool covered = in_scope(*round, (*household)->building_id);
        std::vector<HouseholdMemberForSampling> out;
        for (store::ResidentRow& row : *members) {
          HouseholdMemberForSampling m;
          const domain::ResidentId id = row.resident.id;
          const auto skip = [&m](std::string code, std::string zh, std::string en) {
            m.skip = std::move(code);
            m.skip_zh = std::move(zh);
            m.skip_en = std::move(en);
          };
          std::int64_t sampled = 0;
          for (const auto& r : *rounds) {
            auto n = lift(tx.count_samples_of(c, r.id, id));
            if (!n) return std::unexpected(n.error());
            sampled += *n;
          }
          const auto out_on = std::ranges::find_if(*passes, [&](const store::PassRow& p) {
            return p.holder == id && !p.exits.empty() && p.exits.back().returned_at.empty();
          });
          auto mark = lift(tx.get_screening_mark(c, id));
          if (!mark) return std::unexpected(mark.error());
          if (!covered) {
            skip("sample.out_of_round", "本轮筛查不含" + row.building,
                 "this round does not cover " + row.building);
          } else if (sampled > 0) {
            skip("sample.already_sampled_today", "今天已采样", "already swabbed today");
          } else if (out_on != passes->end()) {
            skip("sample.out_on_exit", "外出未归", "out on an exit, not back yet");
          } else if (*mark) {
            const std::string why = (*mark)->reason.empty() ? "" : "：" + (*mark)->reason;
            skip(fmt::format("mark.{}", domain::to_code((*mark)->mark)),
                 fmt::format("已标记{}{}", domain::to_label_zh((*mark)->mark), why),
                 fmt::format("marked {}", domain::to_code((*mark)->mark)));
          }
          if (domain::sees_masked_id_numbers(viewer)) {
            row.resident.id_number = domain::mask_id_number(row.resident.id_number);
          }
          m.row = std::move(row);
          out.push_back(std::move(m));
        }
        return out;
      });
}

}  // namespace juwei::service
