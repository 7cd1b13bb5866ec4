#include "service/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <ranges>

#include "domain/id_number.hpp"
#include "domain/place.hpp"
#include "service/audit.hpp"
#include "service/resident_csv.hpp"
#include "text/csv.hpp"

namespace juwei::service {

Registry::Registry(store::Store& store, Clock clock) : m_store(store), m_clock(std::move(clock)) {}

Result<InitOutcome> Registry::init_community(std::string_view name, std::string_view street,
                                             domain::UserId by) {
  if (name.empty()) return std::unexpected(Error::invalid("a community needs a name"));
  const TimePoint now = m_clock();
  auto tx = m_store.begin(store::TxMode::write);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto existing = (*tx)->list_communities();
  if (!existing) return std::unexpected(from_store(existing.error()));
  for (const domain::Community& c : *existing) {
    if (c.name == name && c.office) {
      return std::unexpected(
          Error{Error::Kind::conflict,
                fmt::format("{} is a street office, not a community", name),
                {{"name", "community.exists", "the name is taken", "该名称已被街道办事处使用"}}});
    }
    if (c.name == name) return InitOutcome{c, false};
  }
  domain::Community community{0, 0, std::string(name), "Asia/Shanghai"};
  if (!street.empty()) {
    auto street_id = (*tx)->ensure_street(street);
    if (!street_id) return std::unexpected(from_store(street_id.error()));
    community.street_id = *street_id;
  }
  auto id = (*tx)->insert_community(community, iso_utc(now));
  if (!id) return std::unexpected(from_store(id.error()));
  community.id = *id;
  // The community's chain starts with its own creation.
  if (auto a = audit(**tx, community.id, by,
                     {"community.create", "community", std::to_string(community.id), "",
                      fmt::format("{}|{}|{}", community.name, street, community.time_zone), ""},
                     now);
      !a) {
    return std::unexpected(a.error());
  }
  if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
  return InitOutcome{community, true};
}

Result<std::vector<domain::Community>> Registry::communities() {
  auto tx = m_store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto list = (*tx)->list_communities();
  if (!list) return std::unexpected(from_store(list.error()));
  std::erase_if(*list, [](const domain::Community& c) { return c.office; });
  return std::move(*list);
}

Result<domain::Community> Registry::resolve_community(std::optional<std::string_view> name_or_id) {
  auto list = communities();
  if (!list) return std::unexpected(list.error());
  if (list->empty()) {
    return std::unexpected(
        Error::not_found("the database has no community yet; run `juwei init` first"));
  }
  if (!name_or_id) {
    if (list->size() == 1) return list->front();
    std::string names;
    for (const auto& c : *list | std::views::take(5))
      names += " '" + c.name + "'";
    return std::unexpected(Error::invalid(
        fmt::format("the database has {} communities; choose one with --community (e.g.{})",
                    list->size(), names)));
  }
  domain::CommunityId id = 0;
  const auto [ptr, ec] =
      std::from_chars(name_or_id->data(), name_or_id->data() + name_or_id->size(), id);
  const bool numeric = ec == std::errc() && ptr == name_or_id->data() + name_or_id->size();
  for (const domain::Community& c : *list) {
    if (c.name == *name_or_id || (numeric && c.id == id)) return c;
  }
  return std::unexpected(Error::not_found(fmt::format(
      "no community named '{}'; `juwei init --community NAME` creates one", *name_or_id)));
}

Result<std::vector<store::ResidentRow>> Registry::search(const store::ResidentQuery& query) {
  store::ResidentQuery q = query;
  q.text = std::string(text::trim(q.text));
  auto tx = m_store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  // A building as people write it ("三号楼", "综合楼"), or a room in a numbered one ("3号楼301",
  // "3-301"): that building's residents, or the room's. A number alone stays a room or phone
  // fragment, and a text naming no building here is searched as typed.
  std::optional<domain::PlaceText> place = domain::parse_place(q.text);
  if (!place && !q.text.empty() &&
      !std::ranges::all_of(q.text, [](char c) { return c >= '0' && c <= '9'; })) {
    place = domain::PlaceText{domain::normalize_building_name(q.text), ""};
  }
  if (place) {
    auto building = (*tx)->find_building(q.community_id, place->building);
    if (!building) return std::unexpected(from_store(building.error()));
    if (*building && !(*building)->removal.removed()) {
      if (q.building && *q.building != (*building)->id) return std::vector<store::ResidentRow>();
      q.building = (*building)->id;
      // The store finds a room by its building's name and the room ("3号楼301").
      q.text = place->room.empty() ? "" : place->building + place->room;
    }
  }
  auto rows = (*tx)->search_residents(q);
  if (!rows) return std::unexpected(from_store(rows.error()));
  return std::move(*rows);
}

Result<std::vector<store::ResidentRow>> Registry::search_as(domain::Role viewer,
                                                            const store::ResidentQuery& query) {
  auto rows = search(query);
  if (!rows) return rows;
  if (domain::sees_masked_id_numbers(viewer)) {
    for (store::ResidentRow& row : *rows) {
      row.resident.id_number = domain::mask_id_number(row.resident.id_number);
    }
  }
  return rows;
}

Result<domain::Building> Registry::building(domain::CommunityId community, std::string_view name) {
  auto tx = m_store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto found = (*tx)->find_building(community, domain::normalize_building_name(name));
  if (!found) return std::unexpected(from_store(found.error()));
  if (*found) return **found;
  auto all = (*tx)->list_buildings(community);
  if (!all) return std::unexpected(from_store(all.error()));
  std::string names;
  for (const auto& b : *all | std::views::take(8))
    names += " " + b.name;
  return std::unexpected(Error::not_found(fmt::format("no building named '{}' (buildings:{}{})",
                                                      name, names, all->size() > 8 ? " …" : "")));
}

Result<std::vector<domain::Building>> Registry::buildings(domain::CommunityId community) {
  auto tx = m_store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto all = (*tx)->list_buildings(community);
  if (!all) return std::unexpected(from_store(all.error()));
  return std::move(*all);
}

Result<store::RegistryCounts> Registry::counts(domain::CommunityId community) {
  auto tx = m_store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto counts = (*tx)->count_registry(community);
  if (!counts) return std::unexpected(from_store(counts.error()));
  return *counts;
}

Result<std::int64_t> Registry::export_residents(domain::CommunityId community, std::ostream& out,
                                                text::Encoding encoding) {
  auto tx = m_store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  text::EncodingWriter encoder(out, encoding);
  text::CsvWriter csv(encoder);
  const bool for_excel = encoding != text::Encoding::utf8;
  write_resident_header(csv);
  std::int64_t written = 0;
  auto done = (*tx)->for_each_resident(community, [&](const store::ResidentRow& row) {
    write_resident_row(csv, row, for_excel);
    ++written;
    return static_cast<bool>(out);
  });
  if (!done) return std::unexpected(from_store(done.error()));
  encoder.finish();
  if (!out) return std::unexpected(Error::invalid("writing the export failed (disk full?)"));
  return written;
}

Result<SeedOutcome> Registry::ensure_seed_community(domain::UserId by) {
  auto outcome = init_community(kSeedCommunity, kSeedStreet, by);
  if (!outcome) return std::unexpected(outcome.error());
  auto n = counts(outcome->community.id);
  if (!n) return std::unexpected(n.error());
  if (n->residents > 0) return SeedOutcome{outcome->community, *n, false};
  CommunityGenerator generator(SynthOptions{});
  auto added = add_synthetic(outcome->community.id, generator, by);
  if (!added) return std::unexpected(added.error());
  return SeedOutcome{outcome->community, *added, true};
}

Result<store::RegistryCounts> Registry::add_synthetic(domain::CommunityId community,
                                                      CommunityGenerator& generator,
                                                      domain::UserId by) {
  auto tx = m_store.begin(store::TxMode::write);
  if (!tx) return std::unexpected(from_store(tx.error()));
  store::Transaction& t = **tx;
  if (auto locked = t.lock_community(community); !locked) {
    return std::unexpected(from_store(locked.error()));
  }
  const TimePoint started = m_clock();
  const std::string now = iso_utc(started);
  std::map<std::string, domain::BuildingId, std::less<>> buildings;
  for (domain::Building b : generator.buildings()) {
    b.community_id = community;
    auto id = t.insert_building(b);
    if (!id) return std::unexpected(from_store(id.error()));
    buildings.emplace(b.name, *id);
  }
  domain::HouseholdId household = 0;
  std::string last_place;
  while (auto row = generator.next()) {
    const std::string place = row->building + '\x1f' + row->room;
    if (place != last_place) {
      const auto building = buildings.find(row->building);
      if (building == buildings.end()) {
        return std::unexpected(Error::internal("generator used an unplanned building"));
      }
      auto id = t.insert_household(domain::Household{community, 0, building->second, row->room});
      if (!id) return std::unexpected(from_store(id.error()));
      household = *id;
      last_place = place;
    }
    row->resident.community_id = community;
    row->resident.household_id = household;
    if (auto id = t.insert_resident(row->resident, now); !id) {
      return std::unexpected(from_store(id.error()));
    }
  }
  auto counts = t.count_registry(community);
  if (!counts) return std::unexpected(from_store(counts.error()));
  // One record for the run: the register it leaves, not each generated resident.
  if (auto a = audit(t, community, by,
                     {"residents.generate", "community", std::to_string(community), "",
                      fmt::format("{}|{}|{}|{}", counts->buildings, counts->households,
                                  counts->residents, counts->volunteers),
                      ""},
                     started);
      !a) {
    return std::unexpected(a.error());
  }
  if (auto done = t.commit(); !done) return std::unexpected(from_store(done.error()));
  return *counts;
}

}  // namespace juwei::service
