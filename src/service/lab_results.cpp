#include "service/lab_results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "domain/id_number.hpp"
#include "service/audit.hpp"
#include "service/input.hpp"
#include "service/resident_access.hpp"
#include "service/transaction.hpp"
#include "service/zones.hpp"
#include "text/csv.hpp"
#include "text/reader.hpp"

namespace juwei::service {
namespace {

using domain::CommunityId;
using domain::ResidentId;

inline constexpr std::size_t kMaxLabBytes = 100;
// Rows a batch of valid results holds (import_results): enough that the batch's few statements
// cost little per row, few enough that it stays small in memory.
inline constexpr std::size_t kResultBatch = 10000;
// A lab's clock may run a little ahead of ours; more than this is a wrong date.
inline constexpr std::chrono::minutes kClockSkew{10};

enum class ResultColumn { tube_code, result, reported_at, lab };
struct ColumnName {
  ResultColumn column;
  std::string_view code;
  std::array<std::string_view, 4> headers;  // what files write, besides the code
};
constexpr std::array kResultColumns = {
    ColumnName{ResultColumn::tube_code, "tube_code", {"试管编码", "试管条码", "管码", "条码"}},
    ColumnName{ResultColumn::result, "result", {"结果", "检测结果", "", ""}},
    ColumnName{ResultColumn::reported_at, "reported_at", {"报告时间", "结果时间", "", ""}},
    ColumnName{ResultColumn::lab, "lab", {"检测机构", "实验室", "", ""}},
};

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

struct ResultHeader {
  std::array<int, 4> index{-1, -1, -1, -1};
  std::vector<std::string> headers;

  std::string_view field(const text::CsvRecord& row, ResultColumn c) const {
    const int i = index[static_cast<std::size_t>(c)];
    return i < 0 ? std::string_view() : text::trim(row.fields[static_cast<std::size_t>(i)]);
  }
  std::string header_of(ResultColumn c) const {
    const int i = index[static_cast<std::size_t>(c)];
    return i < 0 ? std::string(kResultColumns[static_cast<std::size_t>(c)].code)
                 : headers[static_cast<std::size_t>(i)];
  }
};

Result<ResultHeader> map_result_header(const text::CsvRecord& row) {
  ResultHeader map;
  for (std::size_t i = 0; i < row.fields.size(); ++i) {
    const std::string_view cell = text::trim(row.fields[i]);
    map.headers.emplace_back(cell);
    const std::string lower = ascii_lower(cell);
    for (const ColumnName& c : kResultColumns) {
      const bool named = lower == c.code || std::ranges::any_of(c.headers, [&](auto h) {
                           return !h.empty() && h == cell;
                         });
      if (!named) continue;
      int& slot = map.index[static_cast<std::size_t>(c.column)];
      if (slot >= 0) {
        return std::unexpected(Error::invalid(
            fmt::format("line {}: columns '{}' and '{}' both mean {}; keep one", row.line,
                        map.headers[static_cast<std::size_t>(slot)], cell, c.code)));
      }
      slot = static_cast<int>(i);
    }
  }
  std::string missing;
  for (const ColumnName& c : kResultColumns) {
    if (c.column == ResultColumn::lab || map.index[static_cast<std::size_t>(c.column)] >= 0) {
      continue;
    }
    if (!missing.empty()) missing += ", ";
    missing += fmt::format("{} ({})", c.headers[0], c.code);
  }
  if (!missing.empty()) {
    return std::unexpected(Error::invalid(fmt::format(
        "line {}: the header lacks required columns: {}; the first row must name the columns",
        row.line, missing)));
  }
  return map;
}

Result<domain::ResidentStanding> standing_of(store::Transaction& tx, CommunityId c, ResidentId r,
                                             TimePoint now) {
  auto tests = lift(tx.resident_tests(c, r));
  if (!tests) return std::unexpected(tests.error());
  return domain::resident_standing(records_of(*tests), now);
}

// Builds the notice for a positive tube just stored.
Result<PositiveNotice> notice_for(store::Transaction& tx, CommunityId c, std::string_view code,
                                  domain::TubeKind kind, TimePoint reported) {
  PositiveNotice n;
  n.tube_code = std::string(code);
  n.kind = kind;
  n.reported_at = iso_utc(reported);
  n.follow_up = domain::follow_up_of_positive(kind);
  if (n.follow_up.building_retest)
    n.building_retest_after = iso_utc(reported + kBuildingRetestAfter);
  auto swabs = lift(tx.swabs_in_tube(c, code));
  if (!swabs) return std::unexpected(swabs.error());
  std::set<domain::HouseholdId> households;
  for (const store::PositiveSwab& s : *swabs) {
    n.residents.push_back(s.sample.resident_id);
    if (std::ranges::find(n.buildings, s.building_id) == n.buildings.end()) {
      n.buildings.push_back(s.building_id);
    }
    households.insert(s.household_id);
  }
  if (n.follow_up.housemates_to_home_sampling) {
    std::int64_t living = 0;
    for (domain::HouseholdId h : households) {
      auto count = lift(tx.count_residents(c, h));
      if (!count) return std::unexpected(count.error());
      living += *count;
    }
    n.housemates = std::max<std::int64_t>(0, living - static_cast<std::int64_t>(swabs->size()));
  }
  return n;
}

RowProblem problem(std::size_t line, std::string column, std::string field, std::string code,
                   std::string zh, std::string en) {
  return RowProblem{line,          std::move(column), std::move(field), std::move(code),
                    std::move(zh), std::move(en)};
}

}  // namespace

Result<ResultsReport> import_results(store::Store& store, const Clock& clock, CommunityId community,
                                     const ImportSource& source, const ResultsOptions& options) {
  ResultsReport report;
  const TimePoint started = clock();
  const std::string received_at = iso_utc(started);
  try {
    report.encoding = source_encoding(source, options.encoding);
    auto opened = source.open();
    text::DecodingReader decoded(*opened, report.encoding);
    text::CsvReader csv(decoded);
    text::CsvRecord row;
    if (!csv.next(row)) {
      return std::unexpected(Error::invalid(source.label + " is empty: expected a header row"));
    }
    auto header = map_result_header(row);
    if (!header) return std::unexpected(header.error());

    auto tx = store.begin(store::TxMode::write);
    if (!tx) return std::unexpected(from_store(tx.error()));
    if (auto locked = (*tx)->lock_community(community); !locked) {
      return std::unexpected(from_store(locked.error()));
    }
    struct NewPositive {
      std::string code;
      domain::TubeKind kind;
      TimePoint reported;
    };
    std::vector<NewPositive> positives;
    std::vector<RowProblem> row_problems;
    // Valid rows wait in a batch: the store adds the results of tubes that have none yet in
    // a few statements for the whole batch (add_first_tube_results, the common case of a
    // first import); the other rows (a file sent again, a conflict, an unknown tube) are then
    // looked at one by one, in the file's order.
    struct Pending {
      std::size_t line;
      TimePoint reported;
    };
    std::vector<store::TubeResult> batch;
    std::vector<Pending> pending;
    // Views into batch's codes: batch is flushed before it grows past the room reserved, so
    // its strings never move.
    std::unordered_set<std::string_view> batch_codes;
    batch.reserve(kResultBatch);
    pending.reserve(kResultBatch);
    // A row the batch did not add: its tube looked up, then added, kept as it is or kept as a
    // conflict, or the row rejected.
    auto ingest_one = [&](const store::TubeResult& row, const Pending& at) -> Result<void> {
      const std::string_view code = row.tube_code;
      auto found = lift((*tx)->find_tube_for_result(community, code));
      if (!found) return std::unexpected(found.error());
      const std::optional<store::TubeForResult>& tube = *found;
      if (!tube) {
        ++report.unknown;
        report.problems.push_back(
            problem(at.line, header->header_of(ResultColumn::tube_code), "tube_code",
                    "tube_code.unknown", fmt::format("本小区没有扫描过试管 {}", code),
                    fmt::format("no tube {} was scanned in this community", code)));
        return {};
      }
      if (at.reported < time_or_epoch(tube->created_at)) {
        ++report.rejected;
        report.problems.push_back(problem(at.line, header->header_of(ResultColumn::reported_at),
                                          "reported_at", "reported_at.before_sampling",
                                          "报告时间早于采样时间",
                                          "the report time is before the tube was swabbed"));
        return {};
      }
      bool known = false;
      if (tube->stored && *tube->stored != row.result) {
        auto k = lift((*tx)->result_known_for(community, code, row.result));
        if (!k) return std::unexpected(k.error());
        known = *k;
      }
      switch (domain::classify_result(tube->stored, row.result, known)) {
        case domain::ResultIngest::add: {
          if (auto r = lift((*tx)->insert_tube_result(row)); !r) return r;
          ++report.added;
          if (row.result == domain::TestResult::positive) {
            positives.push_back(NewPositive{row.tube_code, tube->kind, at.reported});
          }
          break;
        }
        case domain::ResultIngest::unchanged:
          ++report.unchanged;
          break;
        case domain::ResultIngest::conflict: {
          store::ResultConflict k;
          k.community_id = community;
          k.tube_code = row.tube_code;
          k.result = row.result;
          k.reported_at = row.reported_at;
          k.lab = row.lab;
          k.received_at = received_at;
          k.source = fmt::format("{} line {}", source.name, at.line);
          k.stored_result = *tube->stored;
          if (auto id = lift((*tx)->insert_result_conflict(k)); !id) {
            return std::unexpected(id.error());
          }
          ++report.conflicts;
          break;
        }
      }
      return {};
    };
    auto flush = [&]() -> Result<void> {
      auto added = lift((*tx)->add_first_tube_results(community, batch));
      if (!added) return std::unexpected(added.error());
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!(*added)[i]) {
          if (auto r = ingest_one(batch[i], pending[i]); !r) return r;
          continue;
        }
        ++report.added;
        if (batch[i].result == domain::TestResult::positive) {
          // Positives are few: look up their tube's kind.
          auto found = lift((*tx)->find_tube_for_result(community, batch[i].tube_code));
          if (!found) return std::unexpected(found.error());
          if (!*found) return std::unexpected(Error::internal("a result without its tube"));
          positives.push_back(NewPositive{batch[i].tube_code, (*found)->kind, pending[i].reported});
        }
      }
      batch.clear();
      pending.clear();
      batch_codes.clear();
      return {};
    };
    while (csv.next(row)) {
      if (text::all_blank(row)) continue;
      ++report.rows;
      row_problems.clear();
      const std::size_t line = row.line;
      if (row.fields.size() != header->headers.size()) {
        row_problems.push_back(problem(
            line, "", "", "row.field_count",
            fmt::format("该行有 {} 列，表头有 {} 列", row.fields.size(), header->headers.size()),
            fmt::format("the row has {} fields, the header has {}", row.fields.size(),
                        header->headers.size())));
      }
      std::string_view code, lab;
      std::optional<domain::TestResult> result;
      std::optional<TimePoint> reported;
      if (row_problems.empty()) {
        code = header->field(row, ResultColumn::tube_code);
        lab = header->field(row, ResultColumn::lab);
        if (code.empty() || code.size() > kMaxTubeCodeBytes || !is_visible_ascii(code)) {
          row_problems.push_back(problem(line, header->header_of(ResultColumn::tube_code),
                                         "tube_code", "tube_code.invalid",
                                         "试管编码应为 1 到 64 个可见字符",
                                         "a tube code is 1 to 64 visible ASCII characters"));
        }
        result = domain::parse_test_result(header->field(row, ResultColumn::result));
        if (!result) {
          row_problems.push_back(problem(line, header->header_of(ResultColumn::result), "result",
                                         "result.invalid", "结果应为 阴性 或 阳性",
                                         "the result is negative (阴性) or positive (阳性)"));
        }
        reported = parse_time(header->field(row, ResultColumn::reported_at));
        if (!reported) {
          row_problems.push_back(problem(
              line, header->header_of(ResultColumn::reported_at), "reported_at",
              "reported_at.invalid", "报告时间应为 YYYY-MM-DD HH:MM（北京时间）或带时区的 ISO 时间",
              "a time, YYYY-MM-DD HH:MM (community time) or ISO-8601 with an offset"));
        } else if (*reported > started + kClockSkew) {
          row_problems.push_back(problem(line, header->header_of(ResultColumn::reported_at),
                                         "reported_at", "reported_at.future", "报告时间晚于现在",
                                         "the report time is in the future"));
        }
        if (lab.size() > kMaxLabBytes) {
          row_problems.push_back(problem(line, header->header_of(ResultColumn::lab), "lab",
                                         "lab.too_long", "检测机构名称过长",
                                         "the lab's name is longer than 100 bytes"));
        }
      }
      if (!row_problems.empty()) {
        ++report.rejected;
        report.problems.insert(report.problems.end(), row_problems.begin(), row_problems.end());
        continue;
      }
      // A tube twice in one batch: the batch goes first, so the second row sees the first.
      if (batch_codes.contains(code)) {
        if (auto r = flush(); !r) return std::unexpected(r.error());
      }
      store::TubeResult& adding = batch.emplace_back();
      adding.community_id = community;
      adding.tube_code.assign(code);
      adding.result = *result;
      assign_iso_utc(adding.reported_at, *reported);
      adding.lab.assign(lab);
      adding.received_at = received_at;
      pending.push_back(Pending{line, *reported});
      batch_codes.insert(batch.back().tube_code);
      if (batch.size() >= kResultBatch) {
        if (auto r = flush(); !r) return std::unexpected(r.error());
      }
    }
    if (auto r = flush(); !r) return std::unexpected(r.error());
    // Rows the batches looked at one by one report their problems after the rows read since.
    std::ranges::stable_sort(report.problems, {}, &RowProblem::line);
    for (const NewPositive& p : positives) {
      auto notice = notice_for(**tx, community, p.code, p.kind, p.reported);
      if (!notice) return std::unexpected(notice.error());
      report.positives.push_back(std::move(*notice));
    }
    report.refused = report.rejected > 0 && !options.skip_invalid;
    if (options.dry_run || report.refused) return report;
    if (report.added > 0 || report.conflicts > 0) {
      store::ImportRecord record{community,
                                 0,
                                 "results",
                                 source.name,
                                 std::string(text::encoding_name(report.encoding)),
                                 report.rows,
                                 report.added,
                                 report.conflicts,
                                 report.unchanged,
                                 report.rejected + report.unknown,
                                 received_at,
                                 iso_utc(clock())};
      auto logged = (*tx)->insert_import(record);
      if (!logged) return std::unexpected(from_store(logged.error()));
      if (auto a =
              audit(**tx, community, options.by,
                    {"results.import", "import", std::to_string(*logged), "",
                     fmt::format("{}|{}|{}|{}|{}|{}|{}", source.name, record.encoding, report.rows,
                                 report.added, report.conflicts, report.unchanged, record.rejected),
                     ""},
                    clock());
          !a) {
        return std::unexpected(a.error());
      }
    }
    if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
    report.committed = true;
    return report;
  } catch (const text::TextError& e) {
    return std::unexpected(Error::invalid(source.label + ": " + e.what()));
  }
}

Result<ZoneEvidenceMap> zone_evidence(store::Transaction& tx, CommunityId c, TimePoint now) {
  auto swabs = lift(tx.positive_swabs(c, std::nullopt));
  if (!swabs) return std::unexpected(swabs.error());
  ZoneEvidenceMap out;
  std::unordered_map<ResidentId, domain::ResidentStanding> standings;
  for (const store::PositiveSwab& s : *swabs) {
    const TimePoint reported = time_or_epoch(s.reported_at);
    if (reported > now) continue;
    domain::ZoneEvidence& e = out[s.building_id];
    if (s.kind == domain::TubeKind::single) {
      if (!e.last_positive || reported > *e.last_positive) e.last_positive = reported;
      continue;
    }
    auto known = standings.find(s.sample.resident_id);
    if (known == standings.end()) {
      auto standing = standing_of(tx, c, s.sample.resident_id, now);
      if (!standing) return std::unexpected(standing.error());
      known = standings.emplace(s.sample.resident_id, *standing).first;
    }
    if (known->second == domain::ResidentStanding::retest &&
        (!e.retests_open_since || reported < *e.retests_open_since)) {
      e.retests_open_since = reported;
    }
  }
  return out;
}

LabResults::LabResults(store::Store& store, Clock clock)
    : m_store(store), m_clock(std::move(clock)) {}

Result<ResultsReport> LabResults::import_csv(CommunityId c, const ImportSource& source,
                                             const ResultsOptions& options) {
  return import_results(m_store, m_clock, c, source, options);
}

Result<std::vector<store::ResultConflict>> LabResults::conflicts(CommunityId c, bool open_only) {
  return in_transaction(m_store, store::TxMode::read, [&](store::Transaction& tx) {
    return lift(tx.list_result_conflicts(c, open_only));
  });
}

Result<store::ResultConflict> LabResults::resolve_conflict(CommunityId c, std::int64_t id,
                                                           bool accept, std::string_view reason,
                                                           domain::UserId by) {
  auto why = required_reason(reason);
  if (!why) return std::unexpected(why.error());
  const TimePoint now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::ResultConflict> {
        auto found = lift(tx.get_result_conflict(c, id));
        if (!found) return std::unexpected(found.error());
        if (!*found) return std::unexpected(Error::not_found(fmt::format("no conflict {}", id)));
        store::ResultConflict k = std::move(**found);
        if (!k.resolution.empty()) {
          return std::unexpected(
              Error::conflict(fmt::format("conflict {} was {} already", id, k.resolution)));
        }
        if (accept) {
          auto stored = lift(tx.get_tube_result(c, k.tube_code));
          if (!stored) return std::unexpected(stored.error());
          if (!*stored) return std::unexpected(Error::internal("a conflict without a result"));
          k.stored_result = (*stored)->result;
          const store::TubeResult replacement{c,     k.tube_code, k.result, k.reported_at,
                                              k.lab, iso_utc(now)};
          if (auto r = lift(tx.replace_tube_result(replacement)); !r) {
            return std::unexpected(r.error());
          }
        }
        k.resolution = accept ? "accepted" : "rejected";
        k.resolution_reason = *why;
        k.resolved_at = iso_utc(now);
        k.resolved_by = by;
        if (auto r = lift(tx.resolve_result_conflict(k)); !r) return std::unexpected(r.error());
        if (auto a = audit(tx, c, by,
                           {"result_conflict.resolve", "result_conflict", std::to_string(id), "",
                            k.tube_code + "|" + k.resolution + "|" + k.resolution_reason, ""},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return k;
      });
}

namespace {

Result<void> require_resident(store::Transaction& tx, CommunityId c, ResidentId r) {
  auto found = lift(tx.get_resident(c, r));
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(Error::not_found(fmt::format("no resident {}", r)));
  return {};
}

}  // namespace

Result<TestHistory> LabResults::history(CommunityId c, ResidentId resident) {
  const TimePoint now = m_clock();
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<TestHistory> {
                          if (auto ok = require_resident(tx, c, resident); !ok) {
                            return std::unexpected(ok.error());
                          }
                          TestHistory h;
                          auto tests = lift(tx.resident_tests(c, resident));
                          if (!tests) return std::unexpected(tests.error());
                          h.tests = std::move(*tests);
                          h.standing = domain::resident_standing(records_of(h.tests), now);
                          auto mark = lift(tx.get_screening_mark(c, resident));
                          if (!mark) return std::unexpected(mark.error());
                          h.mark = std::move(*mark);
                          return h;
                        });
}

Result<std::optional<store::ResidentTest>> LabResults::latest_negative(
    CommunityId c, ResidentId resident, TimePoint at, domain::CountedFrom counted_from) {
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::optional<store::ResidentTest>> {
        // The newest tests, as far as older ones can change the answer (often one or two).
        std::vector<store::ResidentTest> tests;
        std::vector<domain::TestRecord> records;
        domain::OlderTestsMatter matters(at, counted_from);
        auto read = lift(tx.for_each_resident_test(c, resident, [&](const store::ResidentTest& t) {
          const domain::TestRecord record = record_of(t);
          if (!matters(record)) return false;
          tests.push_back(t);
          records.push_back(record);
          return true;
        }));
        if (!read) return std::unexpected(read.error());
        const domain::TestRecord* best = domain::latest_negative(records, at, counted_from);
        if (best == nullptr) return std::optional<store::ResidentTest>();
        return std::move(tests[static_cast<std::size_t>(best - records.data())]);
      });
}

Result<std::vector<RoundPositive>> LabResults::round_positives(CommunityId c,
                                                               std::int64_t round_id) {
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<RoundPositive>> {
        auto round = lift(tx.get_round(c, round_id));
        if (!round) return std::unexpected(round.error());
        if (!*round) {
          return std::unexpected(Error::not_found(fmt::format("no screening round {}", round_id)));
        }
        auto swabs = lift(tx.positive_swabs(c, round_id));
        if (!swabs) return std::unexpected(swabs.error());
        std::vector<RoundPositive> out;
        for (store::PositiveSwab& s : *swabs) {
          auto standing = standing_of(tx, c, s.sample.resident_id, now);
          if (!standing) return std::unexpected(standing.error());
          const auto outcome =
              domain::swab_outcome(domain::test_kind_of(s.kind), domain::TestResult::positive);
          out.push_back(RoundPositive{std::move(s), outcome, *standing,
                                      *standing == domain::ResidentStanding::negative});
        }
        return out;
      });
}

Result<std::vector<HomeSamplingEntry>> LabResults::home_sampling_list(CommunityId c,
                                                                      domain::Role viewer) {
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<HomeSamplingEntry>> {
        std::vector<HomeSamplingEntry> out;
        std::set<ResidentId> listed;
        auto marks = lift(tx.list_screening_marks(c));
        if (!marks) return std::unexpected(marks.error());
        for (const store::ScreeningMarkRow& m : *marks) {
          if (m.mark != domain::ScreeningMark::home) continue;
          auto row = lift(tx.get_resident(c, m.resident_id));
          if (!row) return std::unexpected(row.error());
          if (!*row) continue;
          listed.insert(m.resident_id);
          out.push_back(HomeSamplingEntry{std::move(**row), "home", m.set_at, ""});
        }
        // Bedridden residents (卧床, from the register) unless marked away or exempt.
        std::set<ResidentId> excused;
        for (const store::ScreeningMarkRow& m : *marks) {
          if (m.mark != domain::ScreeningMark::home) excused.insert(m.resident_id);
        }
        auto streamed = lift(tx.for_each_resident(c, [&](const store::ResidentRow& row) {
          const domain::ResidentId id = row.resident.id;
          if (row.resident.vulnerabilities.has(domain::Vulnerability::bedridden) &&
              !row.resident.removal.removed() && !listed.contains(id) && !excused.contains(id)) {
            listed.insert(id);
            out.push_back(HomeSamplingEntry{row, "bedridden", "", ""});
          }
          return true;
        }));
        if (!streamed) return std::unexpected(streamed.error());
        // Residents on retest, then the people they live with: each until swabbed after the
        // positive pool was reported (the retest itself: in a single tube).
        auto swabs = lift(tx.positive_swabs(c, std::nullopt));
        if (!swabs) return std::unexpected(swabs.error());
        const auto swabbed_since = [&](ResidentId r, TimePoint since,
                                       bool single_only) -> Result<bool> {
          auto tests = lift(tx.resident_tests(c, r));
          if (!tests) return std::unexpected(tests.error());
          return std::ranges::any_of(*tests, [&](const store::ResidentTest& t) {
            return t.kind != domain::TestKind::antigen &&
                   (!single_only || t.kind == domain::TestKind::single) &&
                   time_or_epoch(t.sampled_at) >= since;
          });
        };
        for (const store::PositiveSwab& s : *swabs) {
          if (s.kind != domain::TubeKind::pooled) continue;
          const TimePoint reported = time_or_epoch(s.reported_at);
          if (reported > now) continue;
          auto members = lift(tx.search_residents(
              store::ResidentQuery{c, "", std::nullopt, s.household_id, 1000, 0}));
          if (!members) return std::unexpected(members.error());
          for (store::ResidentRow& m : *members) {
            const bool on_retest = m.resident.id == s.sample.resident_id;
            if (listed.contains(m.resident.id)) continue;
            auto done = swabbed_since(m.resident.id, reported, on_retest);
            if (!done) return std::unexpected(done.error());
            if (*done) continue;
            listed.insert(m.resident.id);
            out.push_back(HomeSamplingEntry{std::move(m),
                                            on_retest ? "retest" : "housemate_of_retest",
                                            s.reported_at, s.sample.tube_code});
          }
        }
        if (domain::sees_masked_id_numbers(viewer)) {
          for (HomeSamplingEntry& e : out) {
            e.resident.resident.id_number = domain::mask_id_number(e.resident.resident.id_number);
          }
        }
        return out;
      });
}

std::string_view image_type_of(std::string_view bytes) {
  if (bytes.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (bytes.starts_with("\x89PNG\r\n\x1A\n")) return "image/png";
  return {};
}

Result<void> LabResults::check_may_see(CommunityId c, ResidentId resident,
                                       const domain::User& viewer) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) { return may_see(tx, c, resident, viewer); });
}

Result<store::AntigenTest> LabResults::report_antigen(CommunityId c, const AntigenInput& in,
                                                      const domain::User& by) {
  const TimePoint now = m_clock();
  std::vector<FieldIssue> issues;
  const auto result = domain::parse_test_result(text::trim(in.result));
  if (!result) {
    issues.push_back(
        FieldIssue{"result", "result.invalid", "negative or positive", "结果应为 阴性 或 阳性"});
  }
  const auto tested = parse_time(text::trim(in.tested_at));
  if (!tested) {
    issues.push_back(FieldIssue{"tested_at", "tested_at.invalid",
                                "a time, YYYY-MM-DD HH:MM or ISO-8601",
                                "检测时间应为 YYYY-MM-DD HH:MM"});
  } else if (*tested > now + kClockSkew) {
    issues.push_back(FieldIssue{"tested_at", "tested_at.future", "the test time is in the future",
                                "检测时间晚于现在"});
  }
  const std::string_view photo_type = image_type_of(in.photo);
  if (!in.photo.empty() && (photo_type.empty() || in.photo.size() > kMaxPhotoBytes)) {
    issues.push_back(FieldIssue{"photo", "photo.invalid", "a JPEG or PNG image of at most 10 MiB",
                                "照片应为 JPEG 或 PNG，不超过 10 MiB"});
  }
  if (!issues.empty()) return std::unexpected(Error::invalid("invalid antigen test", issues));
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::AntigenTest> {
        if (auto ok = may_see(tx, c, in.resident_id, by); !ok) return std::unexpected(ok.error());
        store::AntigenTest t{c,
                             0,
                             in.resident_id,
                             *result,
                             iso_utc(*tested),
                             iso_utc(now),
                             by.id,
                             std::string(photo_type),
                             in.photo};
        auto id = lift(tx.insert_antigen_test(t));
        if (!id) return std::unexpected(id.error());
        t.id = *id;
        if (auto a = audit(
                tx, c, by,
                {"antigen.report", "antigen_test", std::to_string(t.id), "",
                 fmt::format("{}|{}|{}", t.resident_id, domain::to_code(t.result), t.tested_at),
                 ""},
                now);
            !a) {
          return std::unexpected(a.error());
        }
        t.photo.clear();
        return t;
      });
}

Result<store::AntigenTest> LabResults::antigen_photo(CommunityId c, std::int64_t id,
                                                     const domain::User& viewer) {
  return in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<store::AntigenTest> {
        auto found = lift(tx.get_antigen_photo(c, id));
        if (!found) return std::unexpected(found.error());
        const Error hidden = Error::not_found(fmt::format("no antigen test {}", id));
        if (!*found) return std::unexpected(hidden);
        if (auto ok = may_see(tx, c, (*found)->resident_id, viewer); !ok) {
          return std::unexpected(hidden);
        }
        return std::move(**found);
      });
}

}  // namespace juwei::service
