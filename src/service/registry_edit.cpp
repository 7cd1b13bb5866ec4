// Editing the register: get, create, update and remove buildings, households and residents,
// each change audited in its transaction.
#include <fmt/format.h>

#include "domain/id_number.hpp"
#include "domain/place.hpp"
#include "service/audit.hpp"
#include "service/input.hpp"
#include "service/placement.hpp"
#include "service/registry.hpp"
#include "service/transaction.hpp"
#include "text/csv.hpp"

namespace juwei::service {
namespace {

using domain::BuildingId;
using domain::CommunityId;
using domain::HouseholdId;
using domain::ResidentId;

FieldIssue issue(std::string field, std::string code, std::string en, std::string zh) {
  return FieldIssue{std::move(field), std::move(code), std::move(en), std::move(zh)};
}

// A building name or room (trimmed), by domain::check_name, the rule every name follows.
std::optional<FieldIssue> place_problem(std::string_view field, std::string_view text) {
  const auto problem = domain::check_name(text, domain::kMaxPlaceBytes);
  if (!problem) return std::nullopt;
  switch (*problem) {
    case domain::NameProblem::missing:
      return issue(std::string(field), std::string(field) + ".missing", "is required", "必填");
    case domain::NameProblem::too_long:
      return issue(std::string(field), std::string(field) + ".too_long",
                   fmt::format("at most {} bytes", domain::kMaxPlaceBytes), "太长");
    case domain::NameProblem::control_character:
      return issue(std::string(field), std::string(field) + ".invalid",
                   "contains a control character", "含有控制字符");
  }
  return std::nullopt;
}

Result<domain::Building> building_in(store::Transaction& tx, CommunityId c, BuildingId id) {
  auto found = lift(tx.get_building(c, id));
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(Error::not_found(fmt::format("no building {}", id)));
  return **found;
}

Result<domain::Household> household_in(store::Transaction& tx, CommunityId c, HouseholdId id) {
  auto found = lift(tx.get_household(c, id));
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(Error::not_found(fmt::format("no household {}", id)));
  return **found;
}

Result<store::ResidentRow> resident_in(store::Transaction& tx, CommunityId c, ResidentId id) {
  auto found = lift(tx.get_resident(c, id));
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(Error::not_found(fmt::format("no resident {}", id)));
  return std::move(**found);
}

// A record's fields as the audit trail digests them.
std::string audit_text(const domain::Building& b) {
  return fmt::format("{}|{}|{}|{}", b.name, b.floors, b.removal.at, b.removal.reason);
}

std::string audit_text(const domain::Household& h) {
  return fmt::format("{}|{}|{}|{}", h.building_id, h.room, h.removal.at, h.removal.reason);
}

std::string audit_text(const store::ResidentRow& row) {
  const domain::Resident& r = row.resident;
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", r.name, domain::to_code(r.gender),
                     domain::format_date(r.birth_date), r.id_number, r.phone, r.household_id,
                     row.building, row.room, domain::to_code(r.relation),
                     domain::vulnerabilities_to_codes(r.vulnerabilities), r.volunteer, r.notes,
                     r.removal.at, r.removal.reason);
}

// Appends one change of a register record to the trail. The register has no policy version.
Result<void> audit_change(store::Transaction& tx, CommunityId c, domain::UserId by, TimePoint now,
                          std::string_view entity, std::string_view change, std::int64_t id,
                          std::string before, std::string after) {
  return audit(tx, c, by,
               {fmt::format("{}.{}", entity, change), std::string(entity), std::to_string(id),
                std::move(before), std::move(after), ""},
               now);
}

// "create" for a new record, "restore" for a removed one brought back.
std::string_view created_or_restored(bool restored) {
  return restored ? "restore" : "create";
}

Result<domain::Building> validate_building(domain::Building b, const BuildingChange& in) {
  std::vector<FieldIssue> issues;
  if (in.name) b.name = domain::normalize_building_name(text::trim(*in.name));
  if (auto p = place_problem("name", b.name)) issues.push_back(*p);
  const std::int64_t floors = in.floors.value_or(b.floors);
  if (floors < 0 || floors > kMaxFloors) {
    issues.push_back(issue("floors", "floors.out_of_range",
                           fmt::format("from 0 (unknown) to {}", kMaxFloors),
                           fmt::format("楼层数应在 0（未知）到 {} 之间", kMaxFloors)));
  }
  if (!issues.empty()) return std::unexpected(Error::invalid("invalid building", issues));
  b.floors = static_cast<int>(floors);
  return b;
}

// Audits what ensure_building or ensure_household did, when it changed anything: `get` reads
// the record as it is now.
template <typename Get>
Result<void> audit_placed(store::Transaction& tx, CommunityId c, domain::UserId by, TimePoint now,
                          std::string_view entity, const Placed& placed, Get get) {
  if (!placed.added && !placed.undone.removed()) return {};
  auto record = get(tx, c, placed.id);
  if (!record) return std::unexpected(record.error());
  std::string before;
  if (!placed.added) {
    auto was = *record;
    was.removal = placed.undone;
    before = audit_text(was);
  }
  return audit_change(tx, c, by, now, entity, created_or_restored(!placed.added), placed.id,
                      std::move(before), audit_text(*record));
}

// The household at building/room, created (or restored) when needed, and audited if so.
Result<HouseholdId> place_household(store::Transaction& tx, CommunityId c,
                                    const std::string& building_name, const std::string& room,
                                    domain::UserId by, TimePoint now) {
  auto building = ensure_building(tx, c, building_name);
  if (!building) return std::unexpected(building.error());
  if (auto a = audit_placed(tx, c, by, now, "building", *building, building_in); !a) {
    return std::unexpected(a.error());
  }
  auto household = ensure_household(tx, c, building->id, room);
  if (!household) return std::unexpected(household.error());
  if (auto a = audit_placed(tx, c, by, now, "household", *household, household_in); !a) {
    return std::unexpected(a.error());
  }
  return household->id;
}

std::string_view or_empty(const std::optional<std::string>& s) {
  return s ? std::string_view(*s) : std::string_view();
}

// Validates a resident's fields as one whole: the change laid over `base` (the stored
// resident's fields as text, or nothing for a new one).
Result<domain::ValidResident> validate_change(store::Transaction& tx, CommunityId c,
                                              const ResidentChange& base,
                                              const ResidentChange& change, domain::Date today) {
  ResidentChange merged = base;
  auto over = [](std::optional<std::string>& to, const std::optional<std::string>& from) {
    if (from) to = std::string(text::trim(*from));
  };
  over(merged.name, change.name);
  over(merged.gender, change.gender);
  over(merged.birth_date, change.birth_date);
  over(merged.id_number, change.id_number);
  over(merged.phone, change.phone);
  over(merged.relation, change.relation);
  over(merged.vulnerabilities, change.vulnerabilities);
  over(merged.volunteer, change.volunteer);
  over(merged.notes, change.notes);
  over(merged.building, change.building);
  over(merged.room, change.room);
  // A new ID number means the gender and birth date come from it unless sent alongside.
  if (change.id_number && !change.gender) merged.gender.reset();
  if (change.id_number && !change.birth_date) merged.birth_date.reset();
  if (change.household_id) {
    if (change.building || change.room) {
      return std::unexpected(
          Error::invalid("give a household_id or a building and room, not both",
                         {issue("household_id", "household_id.ambiguous",
                                "give a household_id or a building and room, not both",
                                "请只填写户号，或只填写楼号和房号")}));
    }
    auto h = tx.get_household(c, *change.household_id);
    if (!h) return std::unexpected(from_store(h.error()));
    if (!*h || (*h)->removal.removed()) {
      return std::unexpected(Error::invalid(
          "no such household", {issue("household_id", "household_id.unknown",
                                      "no such household in this community", "本小区没有这一户")}));
    }
    auto b = lift(tx.get_building(c, (*h)->building_id));
    if (!b) return std::unexpected(b.error());
    merged.building = (*b)->name;
    merged.room = (*h)->room;
  }
  const domain::ResidentInput input{
      .name = or_empty(merged.name),
      .gender = or_empty(merged.gender),
      .birth_date = or_empty(merged.birth_date),
      .id_number = or_empty(merged.id_number),
      .phone = or_empty(merged.phone),
      .building = or_empty(merged.building),
      .room = or_empty(merged.room),
      .relation = or_empty(merged.relation),
      .vulnerabilities = or_empty(merged.vulnerabilities),
      .volunteer = or_empty(merged.volunteer),
      .notes = or_empty(merged.notes),
  };
  auto valid = domain::validate_resident(input, today);
  if (!valid) {
    std::vector<FieldIssue> issues;
    for (const domain::FieldProblem& p : valid.error()) {
      issues.push_back(FieldIssue{p.field, p.code, p.message_en, p.message_zh});
    }
    return std::unexpected(Error::invalid("invalid resident", std::move(issues)));
  }
  // A building name read from the store (the resident's own, or the named household's) stays as
  // stored: normalized, it could name another building (a pair the schema migration that
  // normalized building names left apart, as it merges none).
  if (!change.building && merged.building) valid->building = *merged.building;
  return std::move(*valid);
}

// A stored resident's fields as text, the base an update is laid over.
ResidentChange as_change(const store::ResidentRow& row) {
  const domain::Resident& r = row.resident;
  return ResidentChange{
      .name = r.name,
      .gender = std::string(domain::to_code(r.gender)),
      .birth_date = domain::format_date(r.birth_date),
      .id_number = r.id_number,
      .phone = r.phone,
      .relation = std::string(domain::to_code(r.relation)),
      .vulnerabilities = domain::vulnerabilities_to_codes(r.vulnerabilities),
      .volunteer = r.volunteer ? "yes" : "no",
      .notes = r.notes,
      .building = row.building,
      .room = row.room,
      .household_id = std::nullopt,
  };
}

// A conflict over a unique field: a name, a room, an ID number already in use.
Error taken(std::string message, const std::string& field, std::string en, std::string zh) {
  Error e = Error::conflict(std::move(message));
  e.fields.push_back(issue(field, field + ".taken", std::move(en), std::move(zh)));
  return e;
}

Error id_number_taken(const domain::Resident& holder) {
  return taken(fmt::format("the ID number is registered already, to resident {}", holder.id),
               "id_number", fmt::format("registered already, to resident {}", holder.id),
               "该身份证号已登记");
}

}  // namespace

Result<Placed> ensure_building(store::Transaction& tx, CommunityId c, std::string_view name) {
  auto found = lift(tx.find_building(c, name));
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    auto id = lift(tx.insert_building(domain::Building{c, 0, std::string(name), 0}));
    if (!id) return std::unexpected(id.error());
    return Placed{*id, true};
  }
  if ((*found)->removal.removed()) {
    domain::Building restored = **found;
    restored.removal = {};
    if (auto r = lift(tx.update_building(restored)); !r) return std::unexpected(r.error());
  }
  return Placed{(*found)->id, false, (*found)->removal};
}

Result<Placed> ensure_household(store::Transaction& tx, CommunityId c, BuildingId building,
                                std::string_view room) {
  auto found = lift(tx.find_household(c, building, room));
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    auto id = lift(tx.insert_household(domain::Household{c, 0, building, std::string(room)}));
    if (!id) return std::unexpected(id.error());
    return Placed{*id, true};
  }
  if ((*found)->removal.removed()) {
    domain::Household restored = **found;
    restored.removal = {};
    if (auto r = lift(tx.update_household(restored)); !r) return std::unexpected(r.error());
  }
  return Placed{(*found)->id, false, (*found)->removal};
}

template <typename Get, typename InUse, typename Update>
Result<void> Registry::remove_unless_used(CommunityId c, std::string_view entity,
                                          std::string_view reason,
                                          domain::UserId by, Get get, InUse in_use, Update update) {
  auto why = required_reason(reason);
  if (!why) return std::unexpected(why.error());
  const TimePoint now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<void> {
    auto record = get(tx);
    if (!record) return std::unexpected(record.error());
    if (record->removal.removed()) return {};
    auto blocker = in_use(tx, *record);
    if (!blocker) return std::unexpected(blocker.error());
    if (!blocker->empty()) return std::unexpected(Error::conflict(*blocker));
    std::string before = audit_text(*record);
    record->removal = domain::Removal{iso_utc(now), *why};
    if (auto r = lift(update(tx, *record)); !r) return r;
    return audit_change(tx, record->community_id, by, now, entity, "remove", record->id,
                        std::move(before), audit_text(*record));
  });
}

Result<domain::Building> Registry::get_building(CommunityId c, BuildingId id) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) { return building_in(tx, c, id); });
}

Result<Created<domain::Building>> Registry::create_building(CommunityId c, const BuildingChange& in,
                                                            domain::UserId by) {
  const TimePoint now = m_clock();
  return in_community(m_store, c,
      [&](store::Transaction& tx) -> Result<Created<domain::Building>> {
        auto b = validate_building(domain::Building{c, 0, "", 0}, in);
        if (!b) return std::unexpected(b.error());
        auto existing = lift(tx.find_building(c, b->name));
        if (!existing) return std::unexpected(existing.error());
        if (*existing && !(*existing)->removal.removed()) {
          return std::unexpected(taken(
              fmt::format("a building named '{}' exists already ({})", b->name, (*existing)->id),
              "name", "a building has this name already", "已有同名的楼"));
        }
        std::string before;
        if (*existing) {
          b->id = (*existing)->id;
          if (!in.floors) b->floors = (*existing)->floors;
          if (auto r = lift(tx.update_building(*b)); !r) return std::unexpected(r.error());
          before = audit_text(**existing);
        } else {
          auto id = lift(tx.insert_building(*b));
          if (!id) return std::unexpected(id.error());
          b->id = *id;
        }
        const bool restored = existing->has_value();
        if (auto a = audit_change(tx, c, by, now, "building", created_or_restored(restored), b->id,
                                  std::move(before), audit_text(*b));
            !a) {
          return std::unexpected(a.error());
        }
        return Created<domain::Building>{*b, restored};
      });
}

Result<domain::Building> Registry::update_building(CommunityId c, BuildingId id,
                                                   const BuildingChange& in, domain::UserId by) {
  const TimePoint now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<domain::Building> {
        auto old = building_in(tx, c, id);
        if (!old) return old;
        auto b = validate_building(*old, in);
        if (!b) return b;
        if (b->name != old->name) {
          auto clash = lift(tx.find_building(c, b->name));
          if (!clash) return std::unexpected(clash.error());
          if (*clash) {
            return std::unexpected(
                taken(fmt::format("building {} has the name '{}' already", (*clash)->id, b->name),
                      "name", "another building has this name", "已有同名的楼"));
          }
        }
        if (auto r = lift(tx.update_building(*b)); !r) return std::unexpected(r.error());
        if (auto a = audit_change(tx, c, by, now, "building", "update", id, audit_text(*old),
                                  audit_text(*b));
            !a) {
          return std::unexpected(a.error());
        }
        return b;
      });
}

Result<void> Registry::remove_building(CommunityId c, BuildingId id, std::string_view reason,
                                       domain::UserId by) {
  return remove_unless_used(
      c, "building", reason, by, [&](store::Transaction& tx) { return building_in(tx, c, id); },
      [&](store::Transaction& tx, const domain::Building& b) -> Result<std::string> {
        auto live = lift(tx.count_households(c, b.id));
        if (!live) return std::unexpected(live.error());
        if (*live == 0) return std::string();
        return fmt::format("{} still has {} households; remove or move them first", b.name, *live);
      },
      [](store::Transaction& tx, const domain::Building& b) { return tx.update_building(b); });
}

Result<std::vector<domain::Household>> Registry::households(CommunityId c,
                                                            std::optional<BuildingId> building,
                                                            HouseholdId after, std::size_t limit) {
  return in_transaction(m_store, store::TxMode::read, [&](store::Transaction& tx) {
    return lift(tx.list_households(c, building, after, limit));
  });
}

Result<domain::Household> Registry::get_household(CommunityId c, HouseholdId id) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) { return household_in(tx, c, id); });
}

Result<Created<domain::Household>> Registry::create_household(CommunityId c,
                                                              const HouseholdChange& in,
                                                              domain::UserId by) {
  const TimePoint now = m_clock();
  return in_community(m_store, c,
      [&](store::Transaction& tx) -> Result<Created<domain::Household>> {
        std::vector<FieldIssue> issues;
        if (!in.building_id) {
          issues.push_back(issue("building_id", "building_id.missing", "is required", "必填"));
        }
        const std::string room(text::trim(or_empty(in.room)));
        if (auto p = place_problem("room", room)) issues.push_back(*p);
        if (!issues.empty()) return std::unexpected(Error::invalid("invalid household", issues));
        auto b = lift(tx.get_building(c, *in.building_id));
        if (!b) return std::unexpected(b.error());
        if (!*b || (*b)->removal.removed()) {
          return std::unexpected(
              Error::invalid("no such building",
                             {issue("building_id", "building_id.unknown",
                                    "no such building in this community", "本小区没有这幢楼")}));
        }
        auto existing = lift(tx.find_household(c, *in.building_id, room));
        if (!existing) return std::unexpected(existing.error());
        if (*existing && !(*existing)->removal.removed()) {
          return std::unexpected(taken(
              fmt::format("{} {} exists already (household {})", (*b)->name, room, (*existing)->id),
              "room", "the building has this room already", "该楼已有这个房号"));
        }
        domain::Household h{c, 0, *in.building_id, room};
        std::string before;
        if (*existing) {
          h = **existing;
          h.removal = {};
          if (auto r = lift(tx.update_household(h)); !r) return std::unexpected(r.error());
          before = audit_text(**existing);
        } else {
          auto id = lift(tx.insert_household(h));
          if (!id) return std::unexpected(id.error());
          h.id = *id;
        }
        const bool restored = existing->has_value();
        if (auto a = audit_change(tx, c, by, now, "household", created_or_restored(restored), h.id,
                                  std::move(before), audit_text(h));
            !a) {
          return std::unexpected(a.error());
        }
        return Created<domain::Household>{h, restored};
      });
}

Result<domain::Household> Registry::update_household(CommunityId c, HouseholdId id,
                                                     const HouseholdChange& in, domain::UserId by) {
  const TimePoint now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<domain::Household> {
        auto h = household_in(tx, c, id);
        if (!h) return h;
        const std::string before = audit_text(*h);
        if (in.room) h->room = std::string(text::trim(*in.room));
        if (auto p = place_problem("room", h->room)) {
          return std::unexpected(Error::invalid("invalid household", {*p}));
        }
        if (in.building_id) {
          auto b = lift(tx.get_building(c, *in.building_id));
          if (!b) return std::unexpected(b.error());
          if (!*b || (*b)->removal.removed()) {
            return std::unexpected(
                Error::invalid("no such building",
                               {issue("building_id", "building_id.unknown",
                                      "no such building in this community", "本小区没有这幢楼")}));
          }
          h->building_id = *in.building_id;
        }
        auto clash = lift(tx.find_household(c, h->building_id, h->room));
        if (!clash) return std::unexpected(clash.error());
        if (*clash && (*clash)->id != id) {
          return std::unexpected(
              taken(fmt::format("household {} has this building and room already", (*clash)->id),
                    "room", "the building has this room already", "该楼已有这个房号"));
        }
        if (auto r = lift(tx.update_household(*h)); !r) return std::unexpected(r.error());
        if (auto a =
                audit_change(tx, c, by, now, "household", "update", id, before, audit_text(*h));
            !a) {
          return std::unexpected(a.error());
        }
        return h;
      });
}

Result<void> Registry::remove_household(CommunityId c, HouseholdId id, std::string_view reason,
                                        domain::UserId by) {
  return remove_unless_used(
      c, "household", reason, by, [&](store::Transaction& tx) { return household_in(tx, c, id); },
      [&](store::Transaction& tx, const domain::Household& h) -> Result<std::string> {
        auto live = lift(tx.count_residents(c, h.id));
        if (!live) return std::unexpected(live.error());
        if (*live == 0) return std::string();
        return fmt::format("household {} still has {} residents; remove or move them first", h.id,
                           *live);
      },
      [](store::Transaction& tx, const domain::Household& h) { return tx.update_household(h); });
}

Result<store::ResidentRow> Registry::get_resident_as(domain::Role viewer, CommunityId c,
                                                     ResidentId id) {
  auto row = in_transaction(m_store, store::TxMode::read,
                            [&](store::Transaction& tx) { return resident_in(tx, c, id); });
  if (row && domain::sees_masked_id_numbers(viewer)) {
    row->resident.id_number = domain::mask_id_number(row->resident.id_number);
  }
  return row;
}

Result<std::vector<store::ResidentRow>> Registry::household_of(CommunityId c, ResidentId self) {
  // A flat holds a family, not a building: more than this many live members is a data error.
  constexpr std::size_t kMaxMembers = 100;
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<store::ResidentRow>> {
        auto me = resident_in(tx, c, self);
        if (!me) return std::unexpected(me.error());
        if (me->resident.removal.removed()) {
          return std::unexpected(Error::not_found(fmt::format("resident {} was removed", self)));
        }
        store::ResidentQuery q;
        q.community_id = c;
        q.household = me->resident.household_id;
        q.limit = kMaxMembers;
        auto rows = lift(tx.search_residents(q));
        if (!rows) return std::unexpected(rows.error());
        std::vector<store::ResidentRow> members{std::move(*me)};
        for (store::ResidentRow& row : *rows) {
          if (row.resident.id == self) continue;
          row.resident.id_number = domain::mask_id_number(row.resident.id_number);
          members.push_back(std::move(row));
        }
        return members;
      });
}

Result<Created<store::ResidentRow>> Registry::create_resident(CommunityId c,
                                                              const ResidentChange& in,
                                                              domain::UserId by) {
  const auto now = m_clock();
  return in_community(m_store, c,
      [&](store::Transaction& tx) -> Result<Created<store::ResidentRow>> {
        auto valid = validate_change(tx, c, ResidentChange{}, in, local_date(now));
        if (!valid) return std::unexpected(valid.error());
        domain::Resident r = valid->resident;
        r.community_id = c;
        auto household = place_household(tx, c, valid->building, valid->room, by, now);
        if (!household) return std::unexpected(household.error());
        r.household_id = *household;
        auto existing = lift(tx.find_resident_by_id_number(c, r.id_number));
        if (!existing) return std::unexpected(existing.error());
        std::string before;
        if (*existing) {
          if (!(*existing)->removal.removed()) return std::unexpected(id_number_taken(**existing));
          r.id = (*existing)->id;
          auto was = resident_in(tx, c, r.id);
          if (!was) return std::unexpected(was.error());
          before = audit_text(*was);
          if (auto u = lift(tx.update_resident(r, iso_utc(now))); !u) {
            return std::unexpected(u.error());
          }
        } else {
          auto id = lift(tx.insert_resident(r, iso_utc(now)));
          if (!id) return std::unexpected(id.error());
          r.id = *id;
        }
        const bool restored = existing->has_value();
        store::ResidentRow row{r, valid->building, valid->room};
        if (auto a = audit_change(tx, c, by, now, "resident", created_or_restored(restored), r.id,
                                  std::move(before), audit_text(row));
            !a) {
          return std::unexpected(a.error());
        }
        return Created<store::ResidentRow>{std::move(row), restored};
      });
}

Result<store::ResidentRow> Registry::update_resident(CommunityId c, ResidentId id,
                                                     const ResidentChange& in, domain::UserId by) {
  const auto now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::ResidentRow> {
        auto old = resident_in(tx, c, id);
        if (!old) return old;
        auto valid = validate_change(tx, c, as_change(*old), in, local_date(now));
        if (!valid) return std::unexpected(valid.error());
        domain::Resident r = valid->resident;
        r.community_id = c;
        r.id = id;
        r.removal = old->resident.removal;
        if (r.id_number != old->resident.id_number) {
          auto holder = lift(tx.find_resident_by_id_number(c, r.id_number));
          if (!holder) return std::unexpected(holder.error());
          if (*holder) return std::unexpected(id_number_taken(**holder));
        }
        auto household = place_household(tx, c, valid->building, valid->room, by, now);
        if (!household) return std::unexpected(household.error());
        r.household_id = *household;
        if (auto u = lift(tx.update_resident(r, iso_utc(now))); !u) {
          return std::unexpected(u.error());
        }
        store::ResidentRow row{r, valid->building, valid->room};
        if (auto a = audit_change(tx, c, by, now, "resident", "update", id, audit_text(*old),
                                  audit_text(row));
            !a) {
          return std::unexpected(a.error());
        }
        return row;
      });
}

Result<void> Registry::remove_resident(CommunityId c, ResidentId id, std::string_view reason,
                                       domain::UserId by) {
  auto why = required_reason(reason);
  if (!why) return std::unexpected(why.error());
  const auto now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<void> {
    auto row = resident_in(tx, c, id);
    if (!row) return std::unexpected(row.error());
    if (row->resident.removal.removed()) return {};
    std::string before = audit_text(*row);
    row->resident.removal = domain::Removal{iso_utc(now), *why};
    if (auto r = lift(tx.update_resident(row->resident, iso_utc(now))); !r) return r;
    return audit_change(tx, c, by, now, "resident", "remove", id, std::move(before),
                        audit_text(*row));
  });
}

}  // namespace juwei::service
