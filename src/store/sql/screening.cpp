// Screening rounds, tubes and swabs, coverage and the door-knock list, screening marks.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include <charconv>

#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

std::string join_ids(const std::vector<BuildingId>& ids) {
  std::string out;
  for (BuildingId id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

std::vector<BuildingId> split_ids(std::string_view text) {
  std::vector<BuildingId> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    BuildingId id = 0;
    std::from_chars(part.data(), part.data() + part.size(), id);
    out.push_back(id);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Result<std::int64_t> SqlTransaction::insert_round(const ScreeningRound& round) {
  auto id = next_id(Sequence::round, round.community_id);
  if (!id) return id;
  auto s =
      prepare("screening.insert_round",
              "INSERT INTO screening_rounds (community_id, round_id, day, buildings, created_at, "
              "created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, round.community_id)
      .bind(2, *id)
      .bind(3, round.day)
      .bind(4, join_ids(round.buildings))
      .bind(5, round.created_at)
      .bind(6, round.created_by);
  if (auto r = s->run("insert round"); !r) return std::unexpected(r.error());
  return *id;
}

ScreeningRound read_round(CommunityId c, const Stmt& s) {
  return ScreeningRound{c,
                        s.integer(0),
                        s.text(1),
                        split_ids(s.text(2)),
                        s.text(3),
                        s.integer(4),
                        static_cast<int>(s.integer(5))};
}

Result<std::optional<ScreeningRound>> SqlTransaction::get_round(CommunityId c, std::int64_t id) {
  auto s = prepare(
      "screening.get_round",
      "SELECT round_id, day, buildings, created_at, created_by, (SELECT count(*) FROM "
      "screening_rounds o WHERE o.community_id = r.community_id AND o.day = r.day AND "
      "o.round_id <= r.round_id) FROM screening_rounds r WHERE community_id = ?1 AND round_id = "
      "?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get round");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ScreeningRound>();
  return read_round(c, *s);
}

Result<std::vector<ScreeningRound>> SqlTransaction::list_rounds(CommunityId c) {
  auto s =
      prepare("screening.list_rounds",
              "SELECT round_id, day, buildings, created_at, created_by, (SELECT count(*) FROM "
              "screening_rounds o WHERE o.community_id = r.community_id AND o.day = r.day AND "
              "o.round_id <= r.round_id) FROM screening_rounds r WHERE community_id = ?1 ORDER BY "
              "round_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list rounds", [&](const Stmt& row) { return read_round(c, row); });
}

Result<domain::TubeState> SqlTransaction::find_tube(CommunityId c, std::string_view code) {
  auto s =
      prepare("screening.find_tube",
              "SELECT t.round_id, t.kind, (SELECT count(*) FROM samples x WHERE x.community_id = "
              "t.community_id AND x.tube_code = t.tube_code) FROM tubes t "
              "WHERE t.community_id = ?1 AND t.tube_code = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code);
  auto row = s->step("find tube");
  if (!row) return std::unexpected(row.error());
  if (!*row) return domain::TubeState{};
  return domain::TubeState{
      true, s->integer(0),
      domain::tube_kind_from_code(s->text(1)).value_or(domain::TubeKind::pooled),
      static_cast<int>(s->integer(2))};
}

Result<void> SqlTransaction::insert_tube(CommunityId c, std::string_view code,
                                         std::int64_t round_id, domain::TubeKind kind,
                                         std::string_view now) {
  auto s = prepare("screening.insert_tube",
                   "INSERT INTO tubes (community_id, tube_code, round_id, kind, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code).bind(3, round_id).bind(4, domain::to_code(kind)).bind(5, now);
  return s->run("insert tube");
}

Result<std::int64_t> SqlTransaction::insert_sample(const Sample& sample) {
  auto s =
      prepare("screening.insert_sample",
              "INSERT INTO samples (community_id, round_id, sample_id, tube_code, resident_id, "
              "sampled_at, sampled_by, at_home, resample_reason) SELECT ?1, ?2, "
              "coalesce(max(sample_id), 0) + 1, ?3, ?4, ?5, ?6, ?7, ?8 FROM samples "
              "WHERE community_id = ?1 AND round_id = ?2 RETURNING sample_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, sample.community_id)
      .bind(2, sample.round_id)
      .bind(3, sample.tube_code)
      .bind(4, sample.resident_id)
      .bind(5, sample.sampled_at)
      .bind(6, sample.sampled_by)
      .bind(7, std::int64_t{sample.at_home ? 1 : 0})
      .bind(8, sample.resample_reason);
  auto row = s->step("insert sample");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  if (auto done = s->step("insert sample"); !done) return std::unexpected(done.error());
  return id;
}

Result<std::int64_t> SqlTransaction::count_samples_of(CommunityId c, std::int64_t round_id,
                                                      ResidentId resident) {
  auto s = prepare("screening.count_samples_of",
                   "SELECT count(*) FROM samples WHERE community_id = ?1 AND round_id = ?2 AND "
                   "resident_id = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id).bind(3, resident);
  if (auto row = s->step("count samples"); !row) return std::unexpected(row.error());
  return s->integer(0);
}

Result<std::vector<Sample>> SqlTransaction::list_samples_of(CommunityId c, std::int64_t round_id,
                                                            ResidentId resident) {
  auto s = prepare("screening.list_samples_of",
                   "SELECT sample_id, tube_code, sampled_at, sampled_by, at_home, resample_reason "
                   "FROM samples WHERE community_id = ?1 AND round_id = ?2 AND resident_id = ?3 "
                   "ORDER BY sample_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id).bind(3, resident);
  return collect(*s, "list samples", [&](const Stmt& row) {
    return Sample{c,           round_id,       row.integer(0),      row.text(1), resident,
                  row.text(2), row.integer(3), row.integer(4) != 0, row.text(5)};
  });
}

namespace {

// The rules the door-knock list and coverage share, as SQL on a resident `r` and the round ?2
// of community ?1. Rule screening.day_counts_every_round: a swab in any round of the round's day.
// Each is an IN over one uncorrelated set (made once per statement) rather than an EXISTS run
// per resident; the sets' columns are never NULL, so NOT IN means "not among them".
constexpr std::string_view kSampledThatDay =
    "r.resident_id IN (SELECT x.resident_id FROM samples x WHERE x.community_id = ?1 AND"
    " x.round_id IN (SELECT d.round_id FROM screening_rounds d WHERE d.community_id = ?1 AND"
    " d.day = (SELECT day FROM screening_rounds WHERE community_id = ?1 AND round_id = ?2)))";
// Excused: marked away or exempt, or out on an open exit (rule screening.out_is_excused).
constexpr std::string_view kExcused =
    "(r.resident_id IN (SELECT m.resident_id FROM screening_marks m WHERE m.community_id = ?1"
    " AND m.mark IN ('away', 'exempt')) OR r.resident_id IN (SELECT p.holder FROM passes p"
    " JOIN pass_exits e ON e.community_id = p.community_id AND e.pass_id = p.pass_id"
    " WHERE p.community_id = ?1 AND e.returned_at = ''))";

}  // namespace

Result<std::vector<ResidentRow>> SqlTransaction::unsampled_residents(CommunityId c,
                                                                     std::int64_t round_id) {
  static const std::string sql =
      std::string("SELECT ") + kResidentColumns + kResidentJoin +
      " WHERE r.community_id = ?1 AND r.deleted_at IS NULL AND h.deleted_at IS NULL"
      " AND b.deleted_at IS NULL AND NOT " +
      std::string(kSampledThatDay) + " AND NOT " + std::string(kExcused) +
      " ORDER BY h.building_id, h.room, r.resident_id";
  auto s = prepare("screening.unsampled_residents", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id);
  return collect(*s, "unsampled residents",
                 [&](const Stmt& row) { return read_resident_row(row); });
}

Result<std::vector<BuildingCoverage>> SqlTransaction::round_coverage(CommunityId c,
                                                                     std::int64_t round_id) {
  static const std::string sql =
      "SELECT b.building_id, b.name, count(*) - sum(t.excused * (1 - t.sampled)), "
      "sum(t.sampled), sum(t.excused * (1 - t.sampled)) FROM (SELECT h.building_id, "
      "CASE WHEN " +
      std::string(kSampledThatDay) + " THEN 1 ELSE 0 END AS sampled, CASE WHEN " +
      std::string(kExcused) +
      " THEN 1 ELSE 0 END AS excused "
      "FROM residents r JOIN households h ON h.community_id = r.community_id AND "
      "h.household_id = r.household_id AND h.deleted_at IS NULL "
      "WHERE r.community_id = ?1 AND r.deleted_at IS NULL) t "
      "JOIN buildings b ON b.community_id = ?1 AND b.building_id = t.building_id AND "
      "b.deleted_at IS NULL GROUP BY b.building_id, b.name ORDER BY b.building_id";
  auto s = prepare("screening.round_coverage", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id);
  return collect(*s, "round coverage", [&](const Stmt& row) {
    return BuildingCoverage{row.integer(0), row.text(1), row.integer(2), row.integer(3),
                            row.integer(4)};
  });
}

// An update, and an insert when the resident had no mark. Not one upsert (INSERT ... ON CONFLICT
// DO UPDATE): on a sharded layout (docs/scale.md) the table is partitioned over foreign tables,
// which keeps no unique index to arbitrate and whose postgres_fdw refuses DO UPDATE. The
// community's write lock keeps another writer from adding the same mark between the two.
Result<void> SqlTransaction::set_screening_mark(const ScreeningMarkRow& m) {
  if (auto r = lock_community(m.community_id); !r) return r;
  // Both statements take the mark in the same parameters.
  auto run = [&](Stmt& s) {
    s.bind(1, m.community_id)
        .bind(2, m.resident_id)
        .bind(3, domain::to_code(m.mark))
        .bind(4, m.reason)
        .bind(5, m.set_at)
        .bind(6, m.set_by);
    return s.run("set screening mark");
  };
  auto update = prepare("screening.update_screening_mark",
                        "UPDATE screening_marks SET mark = ?3, reason = ?4, set_at = ?5, "
                        "set_by = ?6 WHERE community_id = ?1 AND resident_id = ?2");
  if (!update) return std::unexpected(update.error());
  if (auto r = run(*update); !r || update->changes() > 0) return r;
  auto insert = prepare(
      "screening.insert_screening_mark",
      "INSERT INTO screening_marks (community_id, resident_id, mark, reason, set_at, set_by) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) return std::unexpected(insert.error());
  return run(*insert);
}

Result<void> SqlTransaction::clear_screening_mark(CommunityId c, ResidentId resident) {
  auto s = prepare("screening.clear_screening_mark",
                   "DELETE FROM screening_marks WHERE community_id = ?1 AND resident_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, resident);
  return run_changing_one(*s, "clear screening mark");
}

namespace {

ScreeningMarkRow read_mark(CommunityId c, const Stmt& s) {
  return ScreeningMarkRow{
      c,
      s.integer(0),
      domain::screening_mark_from_code(s.text(1)).value_or(domain::ScreeningMark::away),
      s.text(2),
      s.text(3),
      s.integer(4)};
}

}  // namespace

Result<std::optional<ScreeningMarkRow>> SqlTransaction::get_screening_mark(CommunityId c,
                                                                           ResidentId resident) {
  auto s = prepare("screening.get_screening_mark",
                   "SELECT resident_id, mark, reason, set_at, set_by FROM screening_marks "
                   "WHERE community_id = ?1 AND resident_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, resident);
  auto row = s->step("get screening mark");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ScreeningMarkRow>();
  return read_mark(c, *s);
}

Result<std::vector<ScreeningMarkRow>> SqlTransaction::list_screening_marks(CommunityId c) {
  auto s = prepare(
      "screening.list_screening_marks",
      "SELECT m.resident_id, m.mark, m.reason, m.set_at, m.set_by FROM screening_marks m "
      "JOIN residents r ON r.community_id = m.community_id AND r.resident_id = m.resident_id "
      "WHERE m.community_id = ?1 AND r.deleted_at IS NULL ORDER BY m.resident_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list screening marks", [&](const Stmt& row) { return read_mark(c, row); });
}

}  // namespace juwei::store::sql
