#include "service/resident_import.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "domain/resident_input.hpp"
#include "service/audit.hpp"
#include "service/digest.hpp"
#include "service/transaction.hpp"
#include "service/resident_csv.hpp"
#include "text/csv.hpp"
#include "text/reader.hpp"

namespace juwei::service {
namespace {

using domain::BuildingId;
using domain::CommunityId;
using domain::HouseholdId;
using domain::ResidentId;

constexpr int kAbsent = -1;

// Where each known column sits in the file, and the headers as the file writes them.
struct HeaderMap {
  std::array<int, kResidentColumnCount> index;
  std::vector<std::string> headers;

  std::string_view field(const text::CsvRecord& row, ResidentColumn c) const {
    const int i = index[static_cast<std::size_t>(c)];
    return i == kAbsent ? std::string_view() : text::trim(row.fields[static_cast<std::size_t>(i)]);
  }
  std::string header_of(std::string_view field_code) const {
    for (ResidentColumn c : kAllResidentColumns) {
      if (column_code(c) == field_code) {
        const int i = index[static_cast<std::size_t>(c)];
        return i == kAbsent ? std::string(field_code) : headers[static_cast<std::size_t>(i)];
      }
    }
    return std::string(field_code);
  }
};

Result<HeaderMap> map_header(const text::CsvRecord& header, ImportReport& report) {
  HeaderMap map;
  map.index.fill(kAbsent);
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string_view cell = text::trim(header.fields[i]);
    map.headers.emplace_back(cell);
    const auto column = parse_column_header(cell);
    if (!column) {
      if (!cell.empty()) report.ignored_columns.emplace_back(cell);
      continue;
    }
    int& slot = map.index[static_cast<std::size_t>(*column)];
    if (slot != kAbsent) {
      return std::unexpected(Error::invalid(
          fmt::format("line {}: columns '{}' and '{}' both mean {}; keep one", header.line,
                      map.headers[static_cast<std::size_t>(slot)], cell, column_code(*column))));
    }
    slot = static_cast<int>(i);
  }
  std::string missing;
  for (ResidentColumn c : kAllResidentColumns) {
    if (is_required(c) && map.index[static_cast<std::size_t>(c)] == kAbsent) {
      if (!missing.empty()) missing += ", ";
      missing += fmt::format("{} ({})", column_header_zh(c), column_code(c));
    }
  }
  if (!missing.empty()) {
    return std::unexpected(Error::invalid(fmt::format(
        "line {}: the header lacks required columns: {}; the first row must name the columns",
        header.line, missing)));
  }
  return map;
}

// Writes rejected rows, as they were, with the reasons in a last column; opened on first use.
class RejectWriter {
 public:
  RejectWriter(std::filesystem::path path, const HeaderMap& header)
      : m_path(std::move(path)), m_header(header) {}

  Result<void> write(const text::CsvRecord& row, const std::vector<RowProblem>& problems) {
    if (!m_writer) {
      m_stream.open(m_path, std::ios::binary | std::ios::trunc);
      if (!m_stream) {
        return std::unexpected(Error::invalid("cannot write rejects to " + m_path.string()));
      }
      m_encoder = std::make_unique<text::EncodingWriter>(m_stream, text::Encoding::utf8_bom);
      m_writer = std::make_unique<text::CsvWriter>(*m_encoder);
      std::vector<std::string_view> header(m_header.headers.begin(), m_header.headers.end());
      header.push_back("行号 line");
      header.push_back("错误 errors");
      m_writer->write_row(header);
    }
    std::string reasons;
    for (const RowProblem& p : problems) {
      if (!reasons.empty()) reasons += "；";
      reasons += p.column.empty() ? p.message_zh : p.column + "：" + p.message_zh;
    }
    const std::string line = std::to_string(row.line);
    std::vector<std::string_view> fields(row.fields.begin(), row.fields.end());
    fields.push_back(line);
    fields.push_back(reasons);
    m_writer->write_row(fields);
    return {};
  }

  Result<void> close() {
    if (!m_writer) return {};
    m_encoder->finish();
    m_writer.reset();
    m_encoder.reset();
    m_stream.close();
    if (!m_stream)
      return std::unexpected(Error::internal("writing " + m_path.string() + " failed"));
    return {};
  }

 private:
  std::filesystem::path m_path;
  const HeaderMap& m_header;
  std::ofstream m_stream;
  std::unique_ptr<text::EncodingWriter> m_encoder;
  std::unique_ptr<text::CsvWriter> m_writer;
};

// Applies valid rows to the registry inside the import's transaction, in batches: the store
// adds a batch's new buildings, households and residents in a few statements (add_roster),
// and only the rows whose resident is registered already take statements of their own.
class Applier {
 public:
  Applier(store::Transaction& tx, CommunityId community, std::string now, ImportReport& report)
      : m_tx(tx), m_community(community), m_now(std::move(now)), m_report(report) {}

  // Takes a valid row, to be applied by the next flush; returns the problem that keeps it out
  // instead: "duplicate", when an earlier row of the file has its ID number.
  Result<std::optional<std::string>> apply(domain::ValidResident& row) {
    if (!m_seen.insert(row.resident.id_number).second) {
      return std::optional<std::string>("duplicate");
    }
    row.resident.community_id = m_community;
    m_pending.push_back(std::move(row));
    if (m_pending.size() >= kBatch) {
      if (auto done = flush(); !done) return std::unexpected(done.error());
    }
    return std::optional<std::string>();
  }

  // Applies the rows taken since the last flush; call once more after the last row.
  Result<void> flush() {
    if (m_pending.empty()) return {};
    m_rows.clear();
    for (const domain::ValidResident& row : m_pending) {
      m_rows.push_back(store::RosterRow{row.building, row.room, &row.resident});
    }
    auto added = lift(m_tx.add_roster(m_community, m_rows, m_now));
    if (!added) return std::unexpected(added.error());
    m_report.buildings_added += added->buildings_added;
    m_report.households_added += added->households_added;
    for (std::size_t i = 0; i < m_pending.size(); ++i) {
      if (added->residents[i]) {
        ++m_report.added;
        continue;
      }
      domain::Resident& r = m_pending[i].resident;
      r.household_id = added->households[i];
      if (auto updated = update(r); !updated) return updated;
    }
    m_pending.clear();
    return {};
  }

 private:
  // Rows a batch holds: enough that its few statements cost little per row, few enough that
  // the batch stays small in memory.
  static constexpr std::size_t kBatch = 5000;

  // A row whose ID number was registered before this import: the same resident, changed or not.
  Result<void> update(domain::Resident& r) {
    auto existing = lift(m_tx.find_resident_by_id_number(m_community, r.id_number));
    if (!existing) return std::unexpected(existing.error());
    if (!*existing) return std::unexpected(Error::internal("resident vanished during import"));
    const domain::Resident& old = **existing;
    if (old.household_id == r.household_id && old.same_details(r) && !old.removal.removed()) {
      ++m_report.unchanged;
      return {};
    }
    r.id = old.id;
    if (auto updated = lift(m_tx.update_resident(r, m_now)); !updated) return updated;
    ++m_report.updated;
    return {};
  }

  store::Transaction& m_tx;
  CommunityId m_community;
  std::string m_now;
  ImportReport& m_report;
  std::unordered_set<std::string> m_seen;  // the ID numbers of the rows taken so far
  std::vector<domain::ValidResident> m_pending;
  std::vector<store::RosterRow> m_rows;
};

RowProblem problem_for(const HeaderMap& header, std::size_t line, const domain::FieldProblem& p) {
  return RowProblem{line, header.header_of(p.field), p.field, p.code, p.message_zh, p.message_en};
}

// Counts the bytes read through it, for progress reports, and digests them for the audit
// trail.
class CountingReader final : public text::Reader {
 public:
  explicit CountingReader(text::Reader& inner) : m_inner(inner) {}
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t got = m_inner.read(buf, n);
    m_count += got;
    m_digest.update(std::string_view(buf, got));
    return got;
  }
  std::uint64_t count() const { return m_count; }
  // The digest of the bytes read so far; call once, when the file has been read.
  std::string digest_hex() { return m_digest.finish_hex(); }

 private:
  text::Reader& m_inner;
  std::uint64_t m_count = 0;
  Blake2b m_digest;
};

}  // namespace

ImportSource file_source(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ImportSource{file.filename().string(), file.string(),
                      [file] { return std::make_unique<text::FileReader>(file); },
                      ec ? 0 : static_cast<std::uint64_t>(size)};
}

ImportSource memory_source(std::string name, std::string_view data) {
  return ImportSource{name, name, [data] { return std::make_unique<text::StringReader>(data); },
                      data.size()};
}

text::Encoding source_encoding(const ImportSource& source, std::optional<text::Encoding> forced) {
  if (forced) return *forced;
  auto probe = source.open();
  return text::detect_encoding(*probe);
}

Result<ImportReport> import_residents(store::Store& store, const Clock& clock,
                                      CommunityId community, const std::filesystem::path& file,
                                      const ImportOptions& options, domain::UserId by) {
  return import_residents(store, clock, community, file_source(file), options, by);
}

Result<ImportReport> import_residents(store::Store& store, const Clock& clock,
                                      CommunityId community, const ImportSource& source,
                                      const ImportOptions& options, domain::UserId by) {
  ImportReport report;
  const TimePoint started = clock();
  const domain::Date today = local_date(started);
  try {
    report.encoding = source_encoding(source, options.encoding);
    auto opened = source.open();
    CountingReader raw(*opened);
    text::DecodingReader decoded(raw, report.encoding);
    text::CsvReader csv(decoded);

    text::CsvRecord row;
    if (!csv.next(row)) {
      return std::unexpected(Error::invalid(source.label + " is empty: expected a header row"));
    }
    auto header = map_header(row, report);
    if (!header) return std::unexpected(header.error());

    auto tx = store.begin(store::TxMode::write);
    if (!tx) return std::unexpected(from_store(tx.error()));
    if (auto locked = (*tx)->lock_community(community); !locked) {
      return std::unexpected(from_store(locked.error()));
    }
    Applier applier(**tx, community, iso_utc(started), report);
    std::optional<RejectWriter> rejects;
    if (options.skip_invalid && !options.dry_run && !options.rejects_path.empty()) {
      rejects.emplace(options.rejects_path, *header);
    }

    std::vector<RowProblem> row_problems;
    while (csv.next(row)) {
      if (text::all_blank(row)) continue;
      ++report.rows;
      if (options.progress && report.rows % kProgressEvery == 0) {
        options.progress(ImportProgress{report.rows, raw.count(), source.size});
      }
      row_problems.clear();
      if (row.fields.size() != header->headers.size()) {
        row_problems.push_back(RowProblem{
            row.line, "", "", "row.field_count",
            fmt::format("该行有 {} 列，表头有 {} 列", row.fields.size(), header->headers.size()),
            fmt::format("the row has {} fields, the header has {}", row.fields.size(),
                        header->headers.size())});
      } else {
        const domain::ResidentInput input{
            .name = header->field(row, ResidentColumn::name),
            .gender = header->field(row, ResidentColumn::gender),
            .birth_date = header->field(row, ResidentColumn::birth_date),
            .id_number = header->field(row, ResidentColumn::id_number),
            .phone = header->field(row, ResidentColumn::phone),
            .building = header->field(row, ResidentColumn::building),
            .room = header->field(row, ResidentColumn::room),
            .relation = header->field(row, ResidentColumn::relation),
            .vulnerabilities = header->field(row, ResidentColumn::vulnerabilities),
            .volunteer = header->field(row, ResidentColumn::volunteer),
            .notes = header->field(row, ResidentColumn::notes),
        };
        auto valid = domain::validate_resident(input, today);
        if (!valid) {
          for (const domain::FieldProblem& p : valid.error()) {
            row_problems.push_back(problem_for(*header, row.line, p));
          }
        } else {
          auto applied = applier.apply(*valid);
          if (!applied) return std::unexpected(applied.error());
          if (*applied) {
            row_problems.push_back(
                RowProblem{row.line, header->header_of("id_number"), "id_number",
                           "id_number.duplicate", "身份证号在本文件中重复出现（以前面一行为准）",
                           "the ID number appears on an earlier line of this file"});
          }
        }
      }
      if (!row_problems.empty()) {
        ++report.rejected;
        if (rejects) {
          if (auto w = rejects->write(row, row_problems); !w) return std::unexpected(w.error());
        }
        report.problems.insert(report.problems.end(), row_problems.begin(), row_problems.end());
      }
    }
    if (auto flushed = applier.flush(); !flushed) return std::unexpected(flushed.error());
    if (rejects) {
      if (auto closed = rejects->close(); !closed) return std::unexpected(closed.error());
    }

    report.refused = report.rejected > 0 && !options.skip_invalid;
    if (options.dry_run || report.refused) {
      return report;  // the transaction rolls back as it goes out of scope
    }
    const TimePoint finished = clock();
    store::ImportRecord record{community,
                               0,
                               "residents",
                               source.name,
                               std::string(text::encoding_name(report.encoding)),
                               report.rows,
                               report.added,
                               report.updated,
                               report.unchanged,
                               report.rejected,
                               iso_utc(started),
                               iso_utc(finished)};
    auto logged = (*tx)->insert_import(record);
    if (!logged) return std::unexpected(from_store(logged.error()));
    // One record for the run: what it did, and which file did it.
    const std::string after =
        fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", source.name, record.encoding, report.rows,
                    report.added, report.updated, report.unchanged, report.rejected,
                    report.buildings_added, report.households_added, raw.digest_hex());
    if (auto a =
            audit(**tx, community, by,
                  {"residents.import", "import", std::to_string(*logged), "", after, ""}, finished);
        !a) {
      return std::unexpected(a.error());
    }
    if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
    report.committed = true;
    return report;
  } catch (const text::TextError& e) {
    return std::unexpected(Error::invalid(source.label + ": " + e.what()));
  }
}

}  // namespace juwei::service
