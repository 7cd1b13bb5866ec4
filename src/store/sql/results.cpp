// Lab results per tube, their conflicts, a resident's tests, positive swabs, antigen self-tests.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

namespace {

domain::TestResult result_of(std::string_view code) {
  return domain::parse_test_result(code).value_or(domain::TestResult::negative);
}

constexpr const char* kConflictColumns =
    "conflict_id, tube_code, result, reported_at, lab, received_at, source, stored_result, "
    "resolution, resolution_reason, resolved_at, resolved_by";

ResultConflict read_conflict(CommunityId c, const Stmt& s) {
  return ResultConflict{c,         s.integer(0), s.text(1),    result_of(s.text(2)), s.text(3),
                        s.text(4), s.text(5),    s.text(6),    result_of(s.text(7)), s.text(8),
                        s.text(9), s.text(10),   s.integer(11)};
}

}  // namespace

Result<std::optional<TubeForResult>> SqlTransaction::find_tube_for_result(CommunityId c,
                                                                          std::string_view code) {
  auto s = prepare("results.find_tube_for_result",
                   "SELECT t.kind, r.result, t.created_at FROM tubes t LEFT JOIN tube_results r ON "
                   "r.community_id = t.community_id AND r.tube_code = t.tube_code "
                   "WHERE t.community_id = ?1 AND t.tube_code = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind_borrowed(2, code);
  auto row = s->step("find tube for result");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<TubeForResult>();
  TubeForResult t{domain::tube_kind_from_code(s->view(0)).value_or(domain::TubeKind::pooled),
                  s->text(2), std::nullopt};
  if (!s->is_null(1)) t.stored = result_of(s->view(1));
  return t;
}

Result<std::optional<TubeResult>> SqlTransaction::get_tube_result(CommunityId c,
                                                                  std::string_view code) {
  auto s = prepare("results.get_tube_result",
                   "SELECT result, reported_at, lab, received_at FROM tube_results "
                   "WHERE community_id = ?1 AND tube_code = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code);
  auto row = s->step("get tube result");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<TubeResult>();
  return TubeResult{c,          std::string(code), result_of(s->text(0)),
                    s->text(1), s->text(2),        s->text(3)};
}

Result<void> SqlTransaction::insert_tube_result(const TubeResult& r) {
  auto s = prepare(
      "results.insert_tube_result",
      "INSERT INTO tube_results (community_id, tube_code, result, reported_at, lab, received_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind_borrowed(2, r.tube_code)
      .bind_borrowed(3, domain::to_code(r.result))
      .bind_borrowed(4, r.reported_at)
      .bind_borrowed(5, r.lab)
      .bind_borrowed(6, r.received_at);
  return s->run("insert tube result");
}

Result<bool> SqlTransaction::insert_first_tube_result(const TubeResult& r) {
  auto s = prepare(
      "results.insert_first_tube_result",
      "INSERT INTO tube_results (community_id, tube_code, result, reported_at, lab, received_at) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6 FROM tubes "
      "WHERE community_id = ?1 AND tube_code = ?2 AND created_at <= ?4 ON CONFLICT DO NOTHING");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind_borrowed(2, r.tube_code)
      .bind_borrowed(3, domain::to_code(r.result))
      .bind_borrowed(4, r.reported_at)
      .bind_borrowed(5, r.lab)
      .bind_borrowed(6, r.received_at);
  if (auto done = s->run("insert first tube result"); !done) return std::unexpected(done.error());
  return s->changes() > 0;
}

Result<void> SqlTransaction::replace_tube_result(const TubeResult& r) {
  auto s =
      prepare("results.replace_tube_result",
              "UPDATE tube_results SET result = ?3, reported_at = ?4, lab = ?5, received_at = ?6 "
              "WHERE community_id = ?1 AND tube_code = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.tube_code)
      .bind(3, domain::to_code(r.result))
      .bind(4, r.reported_at)
      .bind(5, r.lab)
      .bind(6, r.received_at);
  return run_changing_one(*s, "replace tube result");
}

Result<bool> SqlTransaction::result_known_for(CommunityId c, std::string_view code,
                                              domain::TestResult result) {
  auto s = prepare(
      "results.result_known_for",
      "SELECT EXISTS (SELECT 1 FROM result_conflicts WHERE community_id = ?1 AND "
      "tube_code = ?2 AND (result = ?3 OR (resolution = 'accepted' AND stored_result = ?3)))");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code).bind(3, domain::to_code(result));
  if (auto row = s->step("find known result"); !row) return std::unexpected(row.error());
  return s->integer(0) != 0;
}

Result<std::int64_t> SqlTransaction::insert_result_conflict(const ResultConflict& k) {
  auto id = next_id(Sequence::conflict, k.community_id);
  if (!id) return id;
  auto s = prepare(
      "results.insert_result_conflict",
      "INSERT INTO result_conflicts (community_id, conflict_id, tube_code, result, reported_at, "
      "lab, received_at, source, stored_result, resolution, resolution_reason, resolved_at, "
      "resolved_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, k.community_id)
      .bind(2, *id)
      .bind(3, k.tube_code)
      .bind(4, domain::to_code(k.result))
      .bind(5, k.reported_at)
      .bind(6, k.lab)
      .bind(7, k.received_at)
      .bind(8, k.source)
      .bind(9, domain::to_code(k.stored_result))
      .bind(10, k.resolution)
      .bind(11, k.resolution_reason)
      .bind(12, k.resolved_at)
      .bind(13, k.resolved_by);
  if (auto r = s->run("insert result conflict"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<ResultConflict>> SqlTransaction::get_result_conflict(CommunityId c,
                                                                          std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kConflictColumns +
                                 " FROM result_conflicts WHERE community_id = ?1 AND "
                                 "conflict_id = ?2";
  auto s = prepare("results.get_result_conflict", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get result conflict");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ResultConflict>();
  return read_conflict(c, *s);
}

Result<std::vector<ResultConflict>> SqlTransaction::list_result_conflicts(CommunityId c,
                                                                          bool open_only) {
  static const std::string sql = std::string("SELECT ") + kConflictColumns +
                                 " FROM result_conflicts WHERE community_id = ?1 AND "
                                 "(?2 = 0 OR resolution = '') ORDER BY conflict_id";
  auto s = prepare("results.list_result_conflicts", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, std::int64_t{open_only ? 1 : 0});
  return collect(*s, "list result conflicts",
                 [&](const Stmt& row) { return read_conflict(c, row); });
}

Result<void> SqlTransaction::resolve_result_conflict(const ResultConflict& k) {
  auto s = prepare(
      "results.resolve_result_conflict",
      "UPDATE result_conflicts SET resolution = ?3, resolution_reason = ?4, resolved_at = ?5, "
      "resolved_by = ?6, stored_result = ?7 WHERE community_id = ?1 AND conflict_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, k.community_id)
      .bind(2, k.id)
      .bind(3, k.resolution)
      .bind(4, k.resolution_reason)
      .bind(5, k.resolved_at)
      .bind(6, k.resolved_by)
      .bind(7, domain::to_code(k.stored_result));
  return run_changing_one(*s, "resolve result conflict");
}

namespace {

ResidentTest read_swab_test(const Stmt& row) {
  ResidentTest t;
  t.kind = row.view(0) == "single" ? domain::TestKind::single : domain::TestKind::pooled;
  t.id = row.integer(1);
  t.round_id = row.integer(2);
  t.tube_code = row.text(3);
  t.sampled_at = row.text(4);
  t.at_home = row.integer(5) != 0;
  if (!row.is_null(6)) t.result = result_of(row.view(6));
  t.reported_at = row.text(7);
  t.lab = row.text(8);
  t.received_at = row.text(9);
  return t;
}

ResidentTest read_antigen_test(const Stmt& row) {
  ResidentTest t;
  t.kind = domain::TestKind::antigen;
  t.id = row.integer(0);
  t.sampled_at = row.text(1);
  t.result = result_of(row.view(2));
  t.reported_at = row.text(3);
  t.received_at = t.reported_at;  // reported to Juwei itself
  return t;
}

// The next row of `s` read with `read`, or nothing when `s` is done.
Result<std::optional<ResidentTest>> next_test(Stmt& s, std::string_view what,
                                              ResidentTest (*read)(const Stmt&)) {
  auto row = s.step(what);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ResidentTest>();
  return read(s);
}

}  // namespace

Result<void> SqlTransaction::for_each_resident_test(
    CommunityId c, ResidentId resident, const std::function<bool(const ResidentTest&)>& f) {
  // Two index-ordered reads (no sort), merged newest first (a swab before an antigen test of
  // the same time) and stepped only as far as `f` reads.
  auto swabs = prepare(
      "results.for_each_resident_test",
      "SELECT t.kind, x.sample_id, x.round_id, x.tube_code, x.sampled_at, x.at_home, r.result, "
      "r.reported_at, r.lab, r.received_at FROM samples x "
      "JOIN tubes t ON t.community_id = x.community_id AND t.tube_code = x.tube_code "
      "LEFT JOIN tube_results r ON r.community_id = x.community_id AND r.tube_code = x.tube_code "
      "WHERE x.community_id = ?1 AND x.resident_id = ?2 "
      "ORDER BY x.sampled_at DESC, x.round_id DESC, x.sample_id DESC");
  if (!swabs) return std::unexpected(swabs.error());
  swabs->bind(1, c).bind(2, resident);
  auto antigen =
      prepare("results.for_each_resident_test.2",
              "SELECT test_id, tested_at, result, reported_at FROM antigen_tests "
              "WHERE community_id = ?1 AND resident_id = ?2 ORDER BY tested_at DESC, test_id DESC");
  if (!antigen) return std::unexpected(antigen.error());
  antigen->bind(1, c).bind(2, resident);

  auto swab = next_test(*swabs, "resident swabs", read_swab_test);
  if (!swab) return std::unexpected(swab.error());
  auto self_test = next_test(*antigen, "resident antigen tests", read_antigen_test);
  if (!self_test) return std::unexpected(self_test.error());
  while (*swab || *self_test) {
    if (*swab && (!*self_test || (*swab)->sampled_at >= (*self_test)->sampled_at)) {
      if (!f(**swab)) return {};
      swab = next_test(*swabs, "resident swabs", read_swab_test);
      if (!swab) return std::unexpected(swab.error());
    } else {
      if (!f(**self_test)) return {};
      self_test = next_test(*antigen, "resident antigen tests", read_antigen_test);
      if (!self_test) return std::unexpected(self_test.error());
    }
  }
  return {};
}

Result<std::vector<ResidentTest>> SqlTransaction::resident_tests(CommunityId c,
                                                                 ResidentId resident) {
  std::vector<ResidentTest> out;
  auto read = for_each_resident_test(c, resident, [&](const ResidentTest& t) {
    out.push_back(t);
    return true;
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

namespace {

constexpr const char* kSwabColumns =
    "SELECT x.round_id, x.sample_id, x.tube_code, x.resident_id, x.sampled_at, x.sampled_by, "
    "x.at_home, x.resample_reason, t.kind, coalesce(r.reported_at, ''), h.building_id, "
    "h.household_id FROM samples x "
    "JOIN tubes t ON t.community_id = x.community_id AND t.tube_code = x.tube_code "
    "JOIN residents p ON p.community_id = x.community_id AND p.resident_id = x.resident_id "
    "JOIN households h ON h.community_id = p.community_id AND h.household_id = p.household_id ";

Result<std::vector<PositiveSwab>> read_swabs(CommunityId c, Stmt& s, std::string_view what) {
  std::vector<PositiveSwab> out;
  while (true) {
    auto row = s.step(what);
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    PositiveSwab p;
    p.sample = Sample{c,         s.integer(0), s.integer(1),      s.text(2), s.integer(3),
                      s.text(4), s.integer(5), s.integer(6) != 0, s.text(7)};
    p.kind = domain::tube_kind_from_code(s.text(8)).value_or(domain::TubeKind::pooled);
    p.reported_at = s.text(9);
    p.building_id = s.integer(10);
    p.household_id = s.integer(11);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<std::vector<PositiveSwab>> SqlTransaction::swabs_in_tube(CommunityId c,
                                                                std::string_view code) {
  static const std::string sql =
      std::string(kSwabColumns) +
      "LEFT JOIN tube_results r ON r.community_id = x.community_id AND r.tube_code = x.tube_code "
      "WHERE x.community_id = ?1 AND x.tube_code = ?2 ORDER BY x.sample_id";
  auto s = prepare("results.swabs_in_tube", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code);
  return read_swabs(c, *s, "swabs in tube");
}

Result<std::vector<PositiveSwab>> SqlTransaction::positive_swabs(
    CommunityId c, std::optional<std::int64_t> round_id) {
  static const std::string sql =
      std::string(kSwabColumns) +
      "JOIN tube_results r ON r.community_id = x.community_id AND r.tube_code = x.tube_code "
      "WHERE r.community_id = ?1 AND r.result = 'positive' AND (?2 = 0 OR x.round_id = ?2) "
      "ORDER BY r.reported_at, x.round_id, x.sample_id";
  auto s = prepare("results.positive_swabs", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id.value_or(0));
  return read_swabs(c, *s, "positive swabs");
}

Result<std::int64_t> SqlTransaction::insert_antigen_test(const AntigenTest& t) {
  auto id = next_id(Sequence::antigen, t.community_id);
  if (!id) return id;
  auto s = prepare(
      "results.insert_antigen_test",
      "INSERT INTO antigen_tests (community_id, test_id, resident_id, result, tested_at, "
      "reported_at, reported_by, photo_type, photo) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, t.community_id)
      .bind(2, *id)
      .bind(3, t.resident_id)
      .bind(4, domain::to_code(t.result))
      .bind(5, t.tested_at)
      .bind(6, t.reported_at)
      .bind(7, t.reported_by)
      .bind(8, t.photo_type);
  if (t.photo.empty()) {
    s->bind_null(9);
  } else {
    s->bind_blob(9, t.photo);
  }
  if (auto r = s->run("insert antigen test"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<AntigenTest>> SqlTransaction::get_antigen_photo(CommunityId c,
                                                                     std::int64_t id) {
  auto s =
      prepare("results.get_antigen_photo",
              "SELECT resident_id, result, tested_at, reported_at, reported_by, photo_type, photo "
              "FROM antigen_tests WHERE community_id = ?1 AND test_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get antigen photo");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<AntigenTest>();
  return AntigenTest{c,          id,         s->integer(0), result_of(s->text(1)),
                     s->text(2), s->text(3), s->integer(4), s->text(5),
                     s->blob(6)};
}

Result<std::vector<AntigenTest>> SqlTransaction::positive_antigen_tests(CommunityId c) {
  auto s = prepare("results.positive_antigen_tests",
                   "SELECT test_id, resident_id, tested_at, reported_at, reported_by, photo_type "
                   "FROM antigen_tests WHERE community_id = ?1 AND result = 'positive' "
                   "ORDER BY tested_at, test_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "positive antigen tests", [&](const Stmt& row) {
    return AntigenTest{c,           row.integer(0), row.integer(1), domain::TestResult::positive,
                       row.text(2), row.text(3),    row.integer(4), row.text(5),
                       {}};
  });
}

}  // namespace juwei::store::sql
