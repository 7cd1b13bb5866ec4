// Registry use cases: creating a community, finding who lives where, exporting the register,
// and filling a community with synthetic residents. Each call is one transaction; a call that
// changes the register names who acts (`by`, a user of the community or kOperator) and appends
// to the audit trail in the same transaction. Holds a reference to the Store, which must
// outlive it; as thread-safe as the Store.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "domain/account.hpp"
#include "domain/resident_input.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "service/input.hpp"
#include "service/synth.hpp"
#include "store/store.hpp"
#include "text/encoding.hpp"

namespace juwei::service {

inline constexpr std::string_view kDefaultCommunityName = "我的居民区";

// The seed community of the story: 1,383 households, 3,650 residents, 160 volunteers.
inline constexpr std::string_view kSeedStreet = "示范街道";
inline constexpr std::string_view kSeedCommunity = "春晖居民区";

struct SeedOutcome {
  domain::Community community;
  store::RegistryCounts counts;
  bool created = false;  // false: it was there already, nothing changed
};

struct InitOutcome {
  domain::Community community;
  bool created = false;  // false: it existed already, nothing changed
};

// What a client sends to create or change a building or household; nullopt = not sent (on
// an update: left as it is).
struct BuildingChange {
  std::optional<std::string> name;
  std::optional<std::int64_t> floors;  // any integer; validated to 0..kMaxFloors
};

struct HouseholdChange {
  std::optional<domain::BuildingId> building_id;
  std::optional<std::string> room;
};

// A resident's fields as text, as a form or spreadsheet gives them (see ResidentInput); the
// place is a building name and room, or an existing household.
struct ResidentChange {
  std::optional<std::string> name, gender, birth_date, id_number, phone, relation, vulnerabilities,
      volunteer, notes, building, room;
  std::optional<domain::HouseholdId> household_id;
};

// A created record; `restored` when it was a removed one brought back (same ID number,
// building name or room).
template <typename T>
struct Created {
  T value;
  bool restored = false;
};

inline constexpr int kMaxFloors = 200;

class Registry {
 public:
  Registry(store::Store& store, Clock clock);

  // Creates the community (and its street office, when named; empty: none) unless it exists.
  Result<InitOutcome> init_community(std::string_view name, std::string_view street,
                                     domain::UserId by);

  // The community a command acts on: the one named (by name or id), or the only one there
  // is. An error names the choices when there are several, or says to run `juwei init`.
  Result<domain::Community> resolve_community(std::optional<std::string_view> name_or_id);
  // Every community by id; street offices' units are not communities and are left out.
  Result<std::vector<domain::Community>> communities();

  // Finds residents as store::ResidentQuery says; a text that names a building as people write
  // it ("三号楼", "综合楼") finds its residents, and one that names a room in a numbered building
  // ("3号楼301", "3-301", "3栋301室") the room's (domain::parse_place).
  Result<std::vector<store::ResidentRow>> search(const store::ResidentQuery& query);
  // The same, as a user of the given role may see it: ID numbers masked for gate and
  // volunteer roles (domain::sees_masked_id_numbers).
  Result<std::vector<store::ResidentRow>> search_as(domain::Role viewer,
                                                    const store::ResidentQuery& query);
  // A building by name as people write it ("3", "三号楼": domain::normalize_building_name), or
  // not_found listing what exists.
  Result<domain::Building> building(domain::CommunityId community, std::string_view name);
  Result<store::RegistryCounts> counts(domain::CommunityId community);
  Result<std::vector<domain::Building>> buildings(domain::CommunityId community);

  // Editing the register, one transaction each. Removal is soft and needs a reason; a
  // building with live households, or a household with live residents, cannot be removed
  // (conflict). Validation failures are invalid with every field at fault. Each change is
  // audited ("building.create", ".restore", ".update", ".remove"; the same for "household" and
  // "resident"), with the record's fields before and after as the digested texts.
  Result<domain::Building> get_building(domain::CommunityId c, domain::BuildingId id);
  Result<Created<domain::Building>> create_building(domain::CommunityId c, const BuildingChange& in,
                                                    domain::UserId by);
  Result<domain::Building> update_building(domain::CommunityId c, domain::BuildingId id,
                                           const BuildingChange& in, domain::UserId by);
  Result<void> remove_building(domain::CommunityId c, domain::BuildingId id,
                               std::string_view reason, domain::UserId by);

  Result<std::vector<domain::Household>> households(domain::CommunityId c,
                                                    std::optional<domain::BuildingId> building,
                                                    domain::HouseholdId after, std::size_t limit);
  Result<domain::Household> get_household(domain::CommunityId c, domain::HouseholdId id);
  Result<Created<domain::Household>> create_household(domain::CommunityId c,
                                                      const HouseholdChange& in, domain::UserId by);
  Result<domain::Household> update_household(domain::CommunityId c, domain::HouseholdId id,
                                             const HouseholdChange& in, domain::UserId by);
  Result<void> remove_household(domain::CommunityId c, domain::HouseholdId id,
                                std::string_view reason, domain::UserId by);

  // A resident, removed or not, with ID numbers masked for roles that see them masked.
  // A resident's own household, for their account: every live member, the caller first and
  // with the whole ID number, the others masked (family see each other, not each other's
  // documents). not_found when the caller is no longer registered.
  Result<std::vector<store::ResidentRow>> household_of(domain::CommunityId c,
                                                       domain::ResidentId self);
  Result<store::ResidentRow> get_resident_as(domain::Role viewer, domain::CommunityId c,
                                             domain::ResidentId id);
  // Creates (or restores) the building and household when needed, as an import does; each
  // is audited as its own change. The resident's audited texts hold the ID number: digested,
  // never stored in the trail.
  Result<Created<store::ResidentRow>> create_resident(domain::CommunityId c,
                                                      const ResidentChange& in, domain::UserId by);
  Result<store::ResidentRow> update_resident(domain::CommunityId c, domain::ResidentId id,
                                             const ResidentChange& in, domain::UserId by);
  Result<void> remove_resident(domain::CommunityId c, domain::ResidentId id,
                               std::string_view reason, domain::UserId by);

  // The residents `query` finds (every page; `limit` and `after` are ignored) as an XLSX
  // workbook with one sheet named `sheet`, by building, room and household: import's columns
  // with their Chinese headers and 年龄 after 出生日期, ID numbers masked for the roles that
  // see them masked (registry_xlsx.cpp).
  Result<std::string> residents_xlsx(domain::Role viewer, const store::ResidentQuery& query,
                                     std::string_view sheet);

  // Writes the community's register as CSV (import's format, Chinese headers); returns the
  // number of residents written.
  Result<std::int64_t> export_residents(domain::CommunityId community, std::ostream& out,
                                        text::Encoding encoding);

  // Creates the seed community (SynthOptions{}) unless it has residents already.
  Result<SeedOutcome> ensure_seed_community(domain::UserId by);

  // Adds every resident the generator yields, with its buildings and households; audited as
  // one "residents.generate" record with the counts.
  Result<store::RegistryCounts> add_synthetic(domain::CommunityId community,
                                              CommunityGenerator& generator, domain::UserId by);

 private:
  // Soft-removes the record `get` reads, with a reason, unless `in_use` says what still
  // depends on it (a non-empty message: conflict), and audits "<entity>.remove". Removing a
  // removed record changes nothing.
  template <typename Get, typename InUse, typename Update>
  Result<void> remove_unless_used(domain::CommunityId c, std::string_view entity,
                                  std::string_view reason, domain::UserId by, Get get, InUse in_use,
                                  Update update);

  store::Store& m_store;
  Clock m_clock;
};

}  // namespace juwei::service
