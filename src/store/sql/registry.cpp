// The register: buildings, households, residents, their search and counts, and import history.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include <algorithm>
#include <array>

#include "domain/pinyin.hpp"
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

constexpr const char* kBuildingColumns =
    "building_id, name, floors, coalesce(deleted_at, ''), deleted_reason FROM buildings ";

domain::Building read_building(CommunityId c, const Stmt& s) {
  return domain::Building{c, s.integer(0), s.text(1), static_cast<int>(s.integer(2)),
                          domain::Removal{s.text(3), s.text(4)}};
}

Result<std::optional<domain::Building>> SqlTransaction::find_building(CommunityId c,
                                                                      std::string_view name) {
  static const std::string sql =
      std::string("SELECT ") + kBuildingColumns + "WHERE community_id = ?1 AND name = ?2";
  auto s = prepare("registry.find_building", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, name);
  auto row = s->step("find building");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Building>();
  return read_building(c, *s);
}

Result<std::optional<domain::Building>> SqlTransaction::get_building(CommunityId c, BuildingId id) {
  static const std::string sql =
      std::string("SELECT ") + kBuildingColumns + "WHERE community_id = ?1 AND building_id = ?2";
  auto s = prepare("registry.get_building", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get building");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Building>();
  return read_building(c, *s);
}

Result<void> SqlTransaction::update_building(const domain::Building& b) {
  auto s =
      prepare("registry.update_building",
              "UPDATE buildings SET name = ?3, floors = ?4, deleted_at = ?5, deleted_reason = ?6 "
              "WHERE community_id = ?1 AND building_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, b.community_id).bind(2, b.id).bind(3, b.name).bind(4, std::int64_t{b.floors});
  bind_removal(*s, 5, b.removal);
  return run_changing_one(*s, "update building");
}

Result<BuildingId> SqlTransaction::insert_building(const domain::Building& b) {
  auto id = next_id(Sequence::building, b.community_id);
  if (!id) return id;
  auto s = prepare(
      "registry.insert_building",
      "INSERT INTO buildings (community_id, building_id, name, floors) VALUES (?1, ?2, ?3, ?4)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, b.community_id).bind(2, *id).bind(3, b.name).bind(4, std::int64_t{b.floors});
  if (auto r = s->run("insert building"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::vector<domain::Building>> SqlTransaction::list_buildings(CommunityId c) {
  static const std::string sql =
      std::string("SELECT ") + kBuildingColumns +
      "WHERE community_id = ?1 AND deleted_at IS NULL ORDER BY building_id";
  auto s = prepare("registry.list_buildings", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  std::vector<domain::Building> out;
  while (true) {
    auto row = s->step("list buildings");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_building(c, *s));
  }
  return out;
}

constexpr const char* kHouseholdColumns =
    "household_id, building_id, room, coalesce(deleted_at, ''), deleted_reason FROM households ";

domain::Household read_household(CommunityId c, const Stmt& s) {
  return domain::Household{c, s.integer(0), s.integer(1), s.text(2),
                           domain::Removal{s.text(3), s.text(4)}};
}

Result<std::optional<domain::Household>> SqlTransaction::find_household(CommunityId c, BuildingId b,
                                                                        std::string_view room) {
  static const std::string sql = std::string("SELECT ") + kHouseholdColumns +
                                 "WHERE community_id = ?1 AND building_id = ?2 AND room = ?3";
  auto s = prepare("registry.find_household", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, b).bind(3, room);
  auto row = s->step("find household");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Household>();
  return read_household(c, *s);
}

Result<std::optional<domain::Household>> SqlTransaction::get_household(CommunityId c,
                                                                       HouseholdId id) {
  static const std::string sql =
      std::string("SELECT ") + kHouseholdColumns + "WHERE community_id = ?1 AND household_id = ?2";
  auto s = prepare("registry.get_household", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get household");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Household>();
  return read_household(c, *s);
}

Result<void> SqlTransaction::update_household(const domain::Household& h) {
  auto s = prepare(
      "registry.update_household",
      "UPDATE households SET building_id = ?3, room = ?4, deleted_at = ?5, deleted_reason = ?6 "
      "WHERE community_id = ?1 AND household_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, h.community_id).bind(2, h.id).bind(3, h.building_id).bind(4, h.room);
  bind_removal(*s, 5, h.removal);
  return run_changing_one(*s, "update household");
}

Result<std::vector<domain::Household>> SqlTransaction::list_households(
    CommunityId c, std::optional<BuildingId> building, HouseholdId after, std::size_t limit) {
  static const std::string sql =
      std::string("SELECT ") + kHouseholdColumns +
      "WHERE community_id = ?1 AND household_id > ?2 AND deleted_at IS NULL "
      "AND (CAST(?3 AS BIGINT) IS NULL OR building_id = ?3) ORDER BY household_id LIMIT ?4";
  auto s = prepare("registry.list_households", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, after).bind(4, static_cast<std::int64_t>(limit));
  if (building) {
    s->bind(3, *building);
  } else {
    s->bind_null(3);
  }
  std::vector<domain::Household> out;
  while (true) {
    auto row = s->step("list households");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_household(c, *s));
  }
  return out;
}

Result<std::int64_t> SqlTransaction::count_households(CommunityId c, BuildingId b) {
  auto s =
      prepare("registry.count_households",
              "SELECT count(*) FROM households WHERE community_id = ?1 AND building_id = ?2 AND "
              "deleted_at IS NULL");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, b);
  if (auto row = s->step("count households"); !row) return std::unexpected(row.error());
  return s->integer(0);
}

Result<std::int64_t> SqlTransaction::count_residents(CommunityId c, HouseholdId h) {
  auto s =
      prepare("registry.count_residents",
              "SELECT count(*) FROM residents WHERE community_id = ?1 AND household_id = ?2 AND "
              "deleted_at IS NULL");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, h);
  if (auto row = s->step("count residents"); !row) return std::unexpected(row.error());
  return s->integer(0);
}

Result<std::optional<ResidentRow>> SqlTransaction::get_resident(CommunityId c, ResidentId id) {
  static const std::string sql = std::string("SELECT ") + kResidentColumns + kResidentJoin +
                                 " WHERE r.community_id = ?1 AND r.resident_id = ?2";
  auto s = prepare("registry.get_resident", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get resident");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ResidentRow>();
  return read_resident_row(*s);
}

Result<HouseholdId> SqlTransaction::insert_household(const domain::Household& h) {
  auto id = next_id(Sequence::household, h.community_id);
  if (!id) return id;
  auto s = prepare("registry.insert_household",
                   "INSERT INTO households (community_id, household_id, building_id, room) "
                   "VALUES (?1, ?2, ?3, ?4)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, h.community_id).bind(2, *id).bind(3, h.building_id).bind(4, h.room);
  if (auto r = s->run("insert household"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<domain::Resident>> SqlTransaction::find_resident_by_id_number(
    CommunityId c, std::string_view id_number) {
  auto s = prepare(
      "registry.find_resident_by_id_number",
      "SELECT community_id, resident_id, household_id, name, gender, birth_date, id_number, "
      "phone, relation, vulnerabilities, volunteer, notes, coalesce(deleted_at, ''), "
      "deleted_reason FROM residents r WHERE community_id = ?1 AND id_number = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id_number);
  auto row = s->step("find resident");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Resident>();
  return read_resident(*s);
}

Result<ResidentId> SqlTransaction::insert_resident(const domain::Resident& r,
                                                   std::string_view now) {
  auto id = next_id(Sequence::resident, r.community_id);
  if (!id) return id;
  auto s = prepare(
      "registry.insert_resident",
      "INSERT INTO residents (community_id, resident_id, household_id, name, gender, "
      "birth_date, id_number, phone, relation, vulnerabilities, volunteer, notes, created_at, "
      "updated_at, name_pinyin, name_initials) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15)");
  if (!s) return std::unexpected(s.error());
  const domain::NamePinyin pinyin = domain::name_pinyin(r.name);
  s->bind(14, pinyin.full).bind(15, pinyin.initials);
  s->bind(1, r.community_id)
      .bind(2, *id)
      .bind(3, r.household_id)
      .bind(4, r.name)
      .bind(5, domain::to_code(r.gender))
      .bind(6, domain::format_date(r.birth_date))
      .bind(7, r.id_number)
      .bind(8, r.phone)
      .bind(9, domain::to_code(r.relation))
      .bind(10, std::int64_t{r.vulnerabilities.bits()})
      .bind(11, std::int64_t{r.volunteer ? 1 : 0})
      .bind(12, r.notes)
      .bind(13, now);
  if (auto done = s->run("insert resident"); !done) {
    // The id stays allocated: a failed statement leaves a gap, never a reuse.
    return std::unexpected(done.error());
  }
  return *id;
}

Result<void> SqlTransaction::update_resident(const domain::Resident& r, std::string_view now) {
  auto s = prepare(
      "registry.update_resident",
      "UPDATE residents SET household_id = ?3, name = ?4, gender = ?5, birth_date = ?6, "
      "id_number = ?7, phone = ?8, relation = ?9, vulnerabilities = ?10, volunteer = ?11, "
      "notes = ?12, updated_at = ?13, deleted_at = ?14, deleted_reason = ?15, "
      "name_pinyin = ?16, name_initials = ?17 WHERE community_id = ?1 AND resident_id = ?2");
  if (!s) return std::unexpected(s.error());
  const domain::NamePinyin pinyin = domain::name_pinyin(r.name);
  s->bind(16, pinyin.full).bind(17, pinyin.initials);
  s->bind(1, r.community_id)
      .bind(2, r.id)
      .bind(3, r.household_id)
      .bind(4, r.name)
      .bind(5, domain::to_code(r.gender))
      .bind(6, domain::format_date(r.birth_date))
      .bind(7, r.id_number)
      .bind(8, r.phone)
      .bind(9, domain::to_code(r.relation))
      .bind(10, std::int64_t{r.vulnerabilities.bits()})
      .bind(11, std::int64_t{r.volunteer ? 1 : 0})
      .bind(12, r.notes)
      .bind(13, now);
  bind_removal(*s, 14, r.removal);
  if (auto done = s->run("update resident"); !done) return done;
  if (s->changes() == 0) {
    return std::unexpected(Error{Error::Kind::not_found, "no such resident"});
  }
  return {};
}

bool all_digits(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

// The IN list drives the query (the unary + keeps the planner off a range scan of every
// resident) and CROSS JOIN fixes the join order: households by room first, then their
// residents. Every match comes from an index: a room (alone or after its building's name), the last
// four characters of an ID number or a phone, a whole phone number, a name fragment (a scan
// of the narrow name index, only when the text is not all digits), a middle part of a
// phone (a scan of the phone index, only for 5 to 10 digits) or the start of the name's
// pinyin or initials (scans of their indexes, only when the text reads as pinyin).
Result<std::vector<ResidentRow>> SqlTransaction::search_residents(const ResidentQuery& q) {
  static const std::string every =
      std::string("SELECT ") + kResidentColumns + kResidentJoin +
      " WHERE r.community_id = ?1 AND r.resident_id > ?2 AND r.deleted_at IS NULL"
      " AND (CAST(?3 AS BIGINT) IS NULL OR h.building_id = ?3) ORDER BY r.resident_id LIMIT ?4";
  static const std::string members =
      std::string("SELECT ") + kResidentColumns + kResidentJoin +
      " WHERE r.community_id = ?1 AND r.household_id = ?10 AND +r.resident_id > ?2"
      " AND r.deleted_at IS NULL AND (CAST(?3 AS BIGINT) IS NULL OR h.building_id = ?3)"
      " ORDER BY r.resident_id LIMIT ?4";
  // The text decides which lookups can match; each combination is its own statement, as a
  // bound "?n AND ..." guard does not stop SQLite from scanning an index. UNION ALL: the IN
  // list removes duplicates itself.
  enum Lookup : unsigned { kLast4 = 1, kName = 2, kPhoneMiddle = 4, kPinyin = 8 };
  static const std::array<std::string, 16> matching = [] {
    std::array<std::string, 16> out;
    for (unsigned flags = 0; flags < out.size(); ++flags) {
      std::string sql =
          std::string("SELECT ") + kResidentColumns + kResidentJoin +
          " WHERE r.community_id = ?1 AND +r.resident_id > ?2"
          " AND r.deleted_at IS NULL AND (CAST(?3 AS BIGINT) IS NULL OR h.building_id = ?3)"
          " AND (CAST(?10 AS BIGINT) IS NULL OR r.household_id = ?10) AND r.resident_id IN ("
          "  SELECT x.resident_id FROM households y CROSS JOIN residents x"
          "   ON x.community_id = y.community_id AND x.household_id = y.household_id"
          "   WHERE y.community_id = ?1 AND y.room = ?5"
          "  UNION ALL SELECT x.resident_id FROM buildings z CROSS JOIN households y"
          "   ON y.community_id = z.community_id AND y.building_id = z.building_id"
          "   CROSS JOIN residents x"
          "   ON x.community_id = y.community_id AND x.household_id = y.household_id"
          "   WHERE z.community_id = ?1 AND length(?5) > length(z.name)"
          "   AND substr(?5, 1, length(z.name)) = z.name"
          "   AND y.room = ltrim(substr(?5, length(z.name) + 1), ' -')"
          "  UNION ALL SELECT resident_id FROM residents"
          "   WHERE community_id = ?1 AND phone = ?5";
      if (flags & kLast4) {
        sql +=
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_id_last4"
            "   WHERE community_id = ?1 AND substr(id_number, 15) = upper(?5)"
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_phone_last4"
            "   WHERE community_id = ?1 AND substr(phone, 8) = ?5";
      }
      if (flags & kName) {
        sql +=
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_name"
            "   WHERE community_id = ?1 AND name LIKE ?6 ESCAPE '\\'";
      }
      if (flags & kPhoneMiddle) {
        sql +=
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_phone"
            "   WHERE community_id = ?1 AND phone LIKE ?6 ESCAPE '\\'";
      }
      if (flags & kPinyin) {  // ?7: a key's start, "% maoq%" (domain::name_pinyin)
        sql +=
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_pinyin"
            "   WHERE community_id = ?1 AND name_pinyin LIKE ?7"
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_initials"
            "   WHERE community_id = ?1 AND name_initials LIKE ?7";
      }
      out[flags] = sql + ") ORDER BY r.resident_id LIMIT ?4";
    }
    return out;
  }();
  const bool digits = all_digits(q.text);
  const std::size_t length = q.text.size();
  const std::optional<std::string> pinyin = domain::pinyin_query(q.text);
  const unsigned lookups = (length == 4 ? kLast4 : 0U) | (!digits ? kName : 0U) |
                           (digits && length >= 5 && length <= 10 ? kPhoneMiddle : 0U) |
                           (pinyin ? kPinyin : 0U);
  // Each text is its own statement, named by what it looks up.
  static const std::array<std::string, 16> matching_ids = [] {
    std::array<std::string, 16> out;
    for (unsigned flags = 0; flags < out.size(); ++flags) {
      out[flags] = "registry.search_residents.matching/" + std::to_string(flags);
    }
    return out;
  }();
  auto s = !q.text.empty() ? prepare(matching_ids[lookups], matching[lookups])
           : q.household   ? prepare("registry.search_residents.members", members)
                           : prepare("registry.search_residents", every);
  if (!s) return std::unexpected(s.error());
  s->bind(1, q.community_id).bind(2, q.after).bind(4, static_cast<std::int64_t>(q.limit));
  if (q.building) {
    s->bind(3, *q.building);
  } else {
    s->bind_null(3);
  }
  if (q.household) s->bind(10, *q.household);  // unbound parameters are NULL
  if (!q.text.empty()) s->bind(5, q.text).bind(6, like_pattern(q.text));
  if (pinyin) s->bind(7, "% " + *pinyin + "%");  // letters only: nothing to escape
  return collect(*s, "search residents", [&](const Stmt& row) { return read_resident_row(row); });
}

Result<void> SqlTransaction::for_each_resident(CommunityId c,
                                               const std::function<bool(const ResidentRow&)>& f) {
  static const std::string sql = std::string("SELECT ") + kResidentColumns + kResidentJoin +
                                 " WHERE r.community_id = ?1 AND r.deleted_at IS NULL"
                                 " ORDER BY h.building_id, h.household_id, r.resident_id";
  auto s = prepare("registry.for_each_resident", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  while (true) {
    auto row = s->step("list residents");
    if (!row) return std::unexpected(row.error());
    if (!*row || !f(read_resident_row(*s))) break;
  }
  return {};
}

Result<RegistryCounts> SqlTransaction::count_registry(CommunityId c) {
  RegistryCounts counts;
  {
    auto s = prepare(
        "registry.count_registry",
        "SELECT (SELECT count(*) FROM buildings WHERE community_id = ?1 AND deleted_at IS NULL), "
        "(SELECT count(*) FROM households WHERE community_id = ?1 AND deleted_at IS NULL)");
    if (!s) return std::unexpected(s.error());
    s->bind(1, c);
    if (auto row = s->step("count registry"); !row) return std::unexpected(row.error());
    counts.buildings = s->integer(0);
    counts.households = s->integer(1);
  }
  auto s = prepare("registry.count_registry.2",
                   "SELECT count(*), coalesce(sum(volunteer), 0), coalesce(sum(CASE WHEN "
                   "(vulnerabilities & 1) <> 0 THEN 1 ELSE 0 END), 0), "
                   "coalesce(sum(CASE WHEN (vulnerabilities & 2) <> 0 THEN 1 ELSE 0 END), 0), "
                   "coalesce(sum(CASE WHEN (vulnerabilities & 4) <> 0 THEN 1 ELSE 0 END), 0), "
                   "coalesce(sum(CASE WHEN (vulnerabilities & 8) <> 0 THEN 1 ELSE 0 END), 0), "
                   "coalesce(sum(CASE WHEN (vulnerabilities & 16) <> 0 THEN 1 ELSE 0 END), 0), "
                   "coalesce(sum(CASE WHEN (vulnerabilities & 32) <> 0 THEN 1 ELSE 0 END), 0), "
                   "coalesce(sum(CASE WHEN (vulnerabilities & 64) <> 0 THEN 1 ELSE 0 END), 0) "
                   "FROM residents WHERE community_id = ?1 AND deleted_at IS NULL");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  if (auto row = s->step("count residents"); !row) return std::unexpected(row.error());
  counts.residents = s->integer(0);
  counts.volunteers = s->integer(1);
  for (int i = 0; i < domain::kVulnerabilityCount; ++i)
    counts.by_vulnerability[i] = s->integer(2 + i);
  return counts;
}

Result<std::int64_t> SqlTransaction::insert_import(const ImportRecord& record) {
  auto id = next_id(Sequence::import, record.community_id);
  if (!id) return id;
  auto s =
      prepare("registry.insert_import",
              "INSERT INTO imports (community_id, import_id, kind, source, encoding, rows, added, "
              "updated, unchanged, rejected, started_at, finished_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, record.community_id)
      .bind(2, *id)
      .bind(3, record.kind)
      .bind(4, record.source)
      .bind(5, record.encoding)
      .bind(6, record.rows)
      .bind(7, record.added)
      .bind(8, record.updated)
      .bind(9, record.unchanged)
      .bind(10, record.rejected)
      .bind(11, record.started_at)
      .bind(12, record.finished_at);
  if (auto r = s->run("insert import"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::vector<ImportRecord>> SqlTransaction::list_imports(CommunityId c) {
  auto s = prepare(
      "registry.list_imports",
      "SELECT import_id, kind, source, encoding, rows, added, updated, unchanged, rejected, "
      "started_at, finished_at FROM imports WHERE community_id = ?1 ORDER BY import_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list imports", [&](const Stmt& row) {
    return ImportRecord{c,
                        row.integer(0),
                        row.text(1),
                        row.text(2),
                        row.text(3),
                        row.integer(4),
                        row.integer(5),
                        row.integer(6),
                        row.integer(7),
                        row.integer(8),
                        row.text(9),
                        row.text(10)};
  });
}

}  // namespace juwei::store::sql
