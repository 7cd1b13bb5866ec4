// Importing the resident register from a CSV file as offices export it. The whole file is one
// transaction: a file with a bad row imports nothing (unless skip_invalid) and the report
// lists every bad row by line and column; a crash mid-way leaves the database as it was.
// Rows are upserted by ID number, so importing the same file twice changes nothing. A
// committed import is one "residents.import" record in the audit trail, in the same
// transaction (its counts and the file's BLAKE2b digest). Streams the file: memory does not
// grow with its size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/registry.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"
#include "text/encoding.hpp"
#include "text/reader.hpp"

namespace juwei::service {

struct ImportProgress {
  std::int64_t rows = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_total = 0;
};

struct ImportOptions {
  std::optional<text::Encoding> encoding;  // nullopt: detect (BOM, valid UTF-8, else GB18030)
  bool dry_run = false;                    // report what would change, change nothing
  bool skip_invalid = false;               // import the valid rows, write the rest to rejects
  std::filesystem::path rejects_path;      // with skip_invalid: where rejected rows go (CSV)
  std::function<void(const ImportProgress&)> progress;  // called every kProgressEvery rows
};

inline constexpr std::int64_t kProgressEvery = 10'000;

struct RowProblem {
  std::size_t line = 0;  // 1-based physical line where the row starts
  std::string column;    // the header as the file writes it ("身份证号"); empty for the row
  std::string field;     // "id_number"
  std::string code;      // "id_number.bad_check_digit"
  std::string message_zh;
  std::string message_en;
};

struct ImportReport {
  text::Encoding encoding = text::Encoding::utf8;
  std::int64_t rows = 0;
  std::int64_t added = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;
  std::int64_t rejected = 0;  // rows with at least one problem
  std::int64_t buildings_added = 0;
  std::int64_t households_added = 0;
  std::vector<RowProblem> problems;
  std::vector<std::string> ignored_columns;  // headers we do not know, left alone
  bool committed = false;  // false for dry runs and for files refused for bad rows
  bool refused = false;    // bad rows and no skip_invalid: nothing was (or would be) imported
};

// A CSV to import. It is opened twice when the encoding is detected, so `open` starts it
// from the beginning each time.
struct ImportSource {
  std::string name;   // kept in the import history: the file's name
  std::string label;  // names it in error messages: the path as given
  std::function<std::unique_ptr<text::Reader>()> open;
  std::uint64_t size = 0;  // bytes, for progress; 0 when unknown
};

ImportSource file_source(const std::filesystem::path& file);
// An upload held in memory; `data` must outlive the import.
ImportSource memory_source(std::string name, std::string_view data);

// The forced encoding, or the one detected from the source's first bytes.
text::Encoding source_encoding(const ImportSource& source, std::optional<text::Encoding> forced);

// Errors (not rows) end the import with nothing changed: unreadable file, undecodable bytes,
// a header without the required columns, a database failure. `by` imports: a user of the
// community or kOperator.
Result<ImportReport> import_residents(store::Store& store, const Clock& clock,
                                      domain::CommunityId community,
                                      const std::filesystem::path& file,
                                      const ImportOptions& options, domain::UserId by);
Result<ImportReport> import_residents(store::Store& store, const Clock& clock,
                                      domain::CommunityId community, const ImportSource& source,
                                      const ImportOptions& options, domain::UserId by);

}  // namespace juwei::service
