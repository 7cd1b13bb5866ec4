#include "service/resident_import.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <limits>
#include <memory>
#include <unordered_map>

#include "domain/resident_input.hpp"
#include "service/audit.hpp"
#include "service/digest.hpp"
#include "service/placement.hpp"
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

// Applies valid rows to the registry inside the import's transaction.
class Applier {
 public:
  Applier(store::Transaction& tx, CommunityId community, std::string now, ImportReport& report)
      : m_tx(tx), m_community(community), m_now(std::move(now)), m_report(report) {}

  // Returns the problem that keeps the row out (a duplicate), or nullopt when applied.
  Result<std::optional<std::string>> apply(domain::ValidResident& row) {
    auto household = place(row.building, row.room);
    if (!household) return std::unexpected(household.error());
    domain::Resident& r = row.resident;
    r.community_id = m_community;
    r.household_id = *household;

    auto inserted = m_tx.insert_resident(r, m_now);
    if (inserted) {
      if (m_first_new == kNoneYet) m_first_new = *inserted;
      ++m_report.added;
      return std::optional<std::string>();
    }
    if (inserted.error().kind != store::Error::Kind::conflict) {
      return std::unexpected(from_store(inserted.error()));
    }
    // The ID number is registered already: by this file (a duplicate row) or before it.
    auto existing = m_tx.find_resident_by_id_number(m_community, r.id_number);
    if (!existing) return std::unexpected(from_store(existing.error()));
    if (!*existing) return std::unexpected(Error::internal("resident vanished during import"));
    const domain::Resident& old = **existing;
    if (old.id >= m_first_new || already_matched(old.id)) {
      return std::optional<std::string>("duplicate");
    }
    mark_matched(old.id);
    if (old.household_id == r.household_id && old.same_details(r) && !old.removal.removed()) {
      ++m_report.unchanged;
      return std::optional<std::string>();
    }
    r.id = old.id;
    if (auto updated = m_tx.update_resident(r, m_now); !updated) {
      return std::unexpected(from_store(updated.error()));
    }
    ++m_report.updated;
    return std::optional<std::string>();
  }

 private:
  static constexpr ResidentId kNoneYet = std::numeric_limits<ResidentId>::max();

  Result<HouseholdId> place(const std::string& building_name, const std::string& room) {
    BuildingId building = 0;
    if (auto it = m_buildings.find(building_name); it != m_buildings.end()) {
      building = it->second;
    } else {
      auto found = ensure_building(m_tx, m_community, building_name);
      if (!found) return std::unexpected(found.error());
      building = found->id;
      if (found->added) ++m_report.buildings_added;
      m_buildings.emplace(building_name, building);
    }
    // Registers list a household's members together, so the last household is the usual hit.
    if (m_last_household != 0 && m_last_building == building && m_last_room == room) {
      return m_last_household;
    }
    auto found = ensure_household(m_tx, m_community, building, room);
    if (!found) return std::unexpected(found.error());
    const HouseholdId household = found->id;
    if (found->added) ++m_report.households_added;
    m_last_building = building;
    m_last_room = room;
    m_last_household = household;
    return household;
  }

  // Residents registered before this import that a row has matched already: one bit each.
  bool already_matched(ResidentId id) const {
    const auto i = static_cast<std::size_t>(id);
    return i < m_matched.size() && m_matched[i];
  }
  void mark_matched(ResidentId id) {
    const auto i = static_cast<std::size_t>(id);
    if (i >= m_matched.size()) m_matched.resize(i + 1 + i / 2);
    m_matched[i] = true;
  }

  store::Transaction& m_tx;
  CommunityId m_community;
  std::string m_now;
  ImportReport& m_report;
  std::unordered_map<std::string, BuildingId> m_buildings;  // bounded by the buildings
  BuildingId m_last_building = 0;
  std::string m_last_room;
  HouseholdId m_last_household = 0;
  ResidentId m_first_new = kNoneYet;  // ids from here on were inserted by this import
  std::vector<bool> m_matched;
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
