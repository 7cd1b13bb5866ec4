// Bulk writes: a roster import's rows and a lab file's first results, each batch loaded into a
// scratch table (COPY on PostgreSQL) and written by a few set-based statements, so a batch costs
// the same handful of round trips whatever its size. Part of the store's aggregate code
// (sql_transaction.hpp), written once for every backend.
#include <unordered_map>

#include "domain/pinyin.hpp"
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

namespace {

// Cells that outlive the load: the texts made for a batch (numbers, dates, pinyin) are kept
// here, each in its own string allocated once, so the views into them stay valid.
class Cells {
 public:
  explicit Cells(std::size_t count) { m_cells.reserve(count); }
  void add(std::string_view borrowed) { m_cells.push_back(borrowed); }
  void own(std::string made) {
    m_owned.push_back(std::make_unique<std::string>(std::move(made)));
    m_cells.push_back(*m_owned.back());
  }
  std::span<const std::string_view> view() const { return m_cells; }

 private:
  std::vector<std::string_view> m_cells;
  std::vector<std::unique_ptr<std::string>> m_owned;
};

// The statements below look each scratch row up through the registry's unique indexes, in
// correlated subqueries rather than joins: in the middle of a big import the planner's
// statistics still describe the tables as they were before it, and a join planned on them
// hashes every row of the community for each batch, which makes an import's time grow with
// the square of its size.
// The rows of a batch by their key (an ID number, a tube code): the rows' index, so that what
// an INSERT ... RETURNING gives back in no particular order finds its row.
using RowOf = std::unordered_map<std::string_view, std::size_t>;

// Steps `s`, an INSERT ... RETURNING whose column `key` is a row's key in `row_of`, calling
// found(row index) for each row it added; how many it added.
template <typename Found>
Result<std::int64_t> each_added(Stmt& s, int key, const RowOf& row_of, std::string_view what,
                                Found found) {
  std::int64_t count = 0;
  while (true) {
    auto row = s.step(what);
    if (!row) return std::unexpected(row.error());
    if (!*row) return count;
    const auto it = row_of.find(s.view(key));
    if (it == row_of.end()) {
      return std::unexpected(Error{Error::Kind::io, std::string(what) + ": an unknown row came back"});
    }
    found(it->second);
    ++count;
  }
}

constexpr ScratchTable kRoster{
    "juwei_scratch_roster",
    "ord BIGINT, building TEXT, room TEXT, name TEXT, gender TEXT, birth_date TEXT, "
    "id_number TEXT, phone TEXT, relation TEXT, vulnerabilities BIGINT, volunteer BIGINT, "
    "notes TEXT, name_pinyin TEXT, name_initials TEXT, household_id BIGINT",
    15};

// A batch's buildings and rooms, once each, in order of first appearance.
constexpr const char* kRosterPlaces =
    "(SELECT building, room, min(ord) AS first FROM juwei_scratch_roster "
    "GROUP BY building, room) g";

constexpr ScratchTable kResults{
    "juwei_scratch_results",
    "ord BIGINT, tube_code TEXT, result TEXT, reported_at TEXT, lab TEXT, received_at TEXT", 6};

}  // namespace

Result<RosterAdded> SqlTransaction::add_roster(CommunityId c, std::span<const RosterRow> rows,
                                               std::string_view now) {
  RosterAdded added;
  added.households.assign(rows.size(), 0);
  added.residents.assign(rows.size(), std::nullopt);
  if (rows.empty()) return added;

  Cells cells(rows.size() * static_cast<std::size_t>(kRoster.width));
  RowOf row_of;  // by ID number
  row_of.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const domain::Resident& r = *rows[i].resident;
    domain::NamePinyin pinyin = domain::name_pinyin(r.name);
    cells.own(std::to_string(i));
    cells.add(rows[i].building);
    cells.add(rows[i].room);
    cells.add(r.name);
    cells.add(domain::to_code(r.gender));
    cells.own(domain::format_date(r.birth_date));
    cells.add(r.id_number);
    cells.add(r.phone);
    cells.add(domain::to_code(r.relation));
    cells.own(std::to_string(r.vulnerabilities.bits()));
    cells.add(r.volunteer ? "1" : "0");
    cells.add(r.notes);
    cells.own(std::move(pinyin.full));
    cells.own(std::move(pinyin.initials));
    cells.add("0");  // household_id: looked up below
    row_of.emplace(r.id_number, i);
  }
  if (auto loaded = load_scratch(kRoster, cells.view()); !loaded) {
    return std::unexpected(loaded.error());
  }

  // The buildings, then the households, then the residents: each needs the one before.
  auto step = [&](std::string_view id, std::string_view sql, std::string_view what,
                  std::optional<std::int64_t> first_id = std::nullopt) -> Result<std::int64_t> {
    auto s = prepare(id, sql);
    if (!s) return std::unexpected(s.error());
    s->bind(1, c);
    if (first_id) s->bind(2, *first_id);
    if (auto r = s->run(what); !r) return std::unexpected(r.error());
    return s->changes();
  };
  if (auto r = step("bulk.roster.restore_buildings",
                    "UPDATE buildings SET deleted_at = NULL, deleted_reason = '' "
                    "WHERE community_id = ?1 AND deleted_at IS NOT NULL "
                    "AND name IN (SELECT building FROM juwei_scratch_roster)",
                    "restore buildings");
      !r) {
    return std::unexpected(r.error());
  }
  auto first_building = first_free_id(Sequence::building, c);
  if (!first_building) return std::unexpected(first_building.error());
  auto buildings = step(
      "bulk.roster.insert_buildings",
      "INSERT INTO buildings (community_id, building_id, name, floors) "
      "SELECT ?1, ?2 + row_number() OVER (ORDER BY min(g.first)) - 1, g.building, 0 "
      "FROM (SELECT building, min(ord) AS first FROM juwei_scratch_roster GROUP BY building) g "
      "WHERE (SELECT b.building_id FROM buildings b "
      "WHERE b.community_id = ?1 AND b.name = g.building) IS NULL GROUP BY g.building",
      "add buildings", *first_building);
  if (!buildings) return std::unexpected(buildings.error());
  added.buildings_added = *buildings;
  use_ids(Sequence::building, c, *buildings);

  auto first_household = first_free_id(Sequence::household, c);
  if (!first_household) return std::unexpected(first_household.error());
  static const std::string insert_households =
      std::string(
          "INSERT INTO households (community_id, household_id, building_id, room) "
          "SELECT ?1, ?2 + row_number() OVER (ORDER BY p.first) - 1, p.building_id, p.room "
          "FROM (SELECT g.first, g.room, (SELECT b.building_id FROM buildings b "
          "WHERE b.community_id = ?1 AND b.name = g.building) AS building_id FROM ") +
      kRosterPlaces +
      ") p WHERE (SELECT h.household_id FROM households h WHERE h.community_id = ?1 "
      "AND h.building_id = p.building_id AND h.room = p.room) IS NULL";
  auto households =
      step("bulk.roster.insert_households", insert_households, "add households", *first_household);
  if (!households) return std::unexpected(households.error());
  added.households_added = *households;
  use_ids(Sequence::household, c, *households);
  if (auto r = step("bulk.roster.find_households",
                    "UPDATE juwei_scratch_roster SET household_id = (SELECT h.household_id "
                    "FROM households h WHERE h.community_id = ?1 "
                    "AND h.room = juwei_scratch_roster.room AND h.building_id = "
                    "(SELECT b.building_id FROM buildings b WHERE b.community_id = ?1 "
                    "AND b.name = juwei_scratch_roster.building))",
                    "find households");
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = step("bulk.roster.restore_households",
                    "UPDATE households SET deleted_at = NULL, deleted_reason = '' "
                    "WHERE community_id = ?1 AND deleted_at IS NOT NULL "
                    "AND household_id IN (SELECT household_id FROM juwei_scratch_roster)",
                    "restore households");
      !r) {
    return std::unexpected(r.error());
  }
  {
    auto places = prepare("bulk.roster.households",
                          "SELECT ord, household_id FROM juwei_scratch_roster");
    if (!places) return std::unexpected(places.error());
    while (true) {
      auto row = places->step("read households");
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      added.households.at(static_cast<std::size_t>(places->integer(0))) = places->integer(1);
    }
  }

  auto first_resident = first_free_id(Sequence::resident, c);
  if (!first_resident) return std::unexpected(first_resident.error());
  auto residents = prepare(
      "bulk.roster.insert_residents",
      "INSERT INTO residents (community_id, resident_id, household_id, name, gender, "
      "birth_date, id_number, phone, relation, vulnerabilities, volunteer, notes, "
      "created_at, updated_at, name_pinyin, name_initials) "
      "SELECT ?1, ?2 + row_number() OVER (ORDER BY s.ord) - 1, s.household_id, s.name, "
      "s.gender, s.birth_date, s.id_number, s.phone, s.relation, s.vulnerabilities, "
      "s.volunteer, s.notes, ?3, ?3, s.name_pinyin, s.name_initials "
      "FROM juwei_scratch_roster s WHERE (SELECT r.resident_id FROM residents r "
      "WHERE r.community_id = ?1 AND r.id_number = s.id_number) IS NULL "
      "RETURNING resident_id, id_number");
  if (!residents) return std::unexpected(residents.error());
  residents->bind(1, c).bind(2, *first_resident).bind(3, now);
  auto count = each_added(*residents, 1, row_of, "add residents", [&](std::size_t i) {
    added.residents[i] = residents->integer(0);
  });
  if (!count) return std::unexpected(count.error());
  use_ids(Sequence::resident, c, *count);

  m_roster_rows += static_cast<std::int64_t>(rows.size());
  if (m_roster_rows >= m_next_refresh) {
    m_next_refresh = 2 * m_roster_rows;
    for (const std::string_view table : {"buildings", "households", "residents"}) {
      if (auto r = m_session->refresh_statistics(table); !r) return std::unexpected(r.error());
    }
  }
  return added;
}

Result<std::vector<bool>> SqlTransaction::add_first_tube_results(
    CommunityId c, std::span<const TubeResult> results) {
  std::vector<bool> added(results.size(), false);
  if (results.empty()) return added;
  Cells cells(results.size() * static_cast<std::size_t>(kResults.width));
  RowOf row_of;  // by tube code
  row_of.reserve(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    const TubeResult& r = results[i];
    cells.own(std::to_string(i));
    cells.add(r.tube_code);
    cells.add(domain::to_code(r.result));
    cells.add(r.reported_at);
    cells.add(r.lab);
    cells.add(r.received_at);
    row_of.emplace(r.tube_code, i);
  }
  if (auto loaded = load_scratch(kResults, cells.view()); !loaded) {
    return std::unexpected(loaded.error());
  }
  // As insert_first_tube_result: a known tube, swabbed no later than the report, and no result
  // yet (each looked up per row, see kRoster). Under the community's lock, so that no other
  // writer adds one of these results between the look-up and the insert.
  if (auto locked = lock_community(c); !locked) return std::unexpected(locked.error());
  auto s = prepare(
      "bulk.results.insert_first",
      "INSERT INTO tube_results (community_id, tube_code, result, reported_at, lab, received_at) "
      "SELECT ?1, s.tube_code, s.result, s.reported_at, s.lab, s.received_at "
      "FROM juwei_scratch_results s WHERE s.reported_at >= (SELECT t.created_at FROM tubes t "
      "WHERE t.community_id = ?1 AND t.tube_code = s.tube_code) "
      "AND (SELECT r.result FROM tube_results r WHERE r.community_id = ?1 "
      "AND r.tube_code = s.tube_code) IS NULL RETURNING tube_code");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto count = each_added(*s, 0, row_of, "add results", [&](std::size_t i) { added[i] = true; });
  if (!count) return std::unexpected(count.error());
  return added;
}

}  // namespace juwei::store::sql
