// CSV as RFC 4180 describes it and Excel writes it: comma-separated, fields quoted with '"'
// when they hold a comma, quote or line break, records ending in CRLF or LF. CsvReader streams
// records from a Reader of UTF-8 (usually a DecodingReader); CsvWriter writes rows through an
// EncodingWriter. Neither owns what it wraps; each object is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/encoding.hpp"
#include "text/reader.hpp"

namespace juwei::text {

// Malformed CSV; line() is the 1-based physical line where the problem starts.
class CsvError : public TextError {
 public:
  CsvError(std::size_t line, std::string_view what);
  std::size_t line() const { return m_line; }

 private:
  std::size_t m_line;
};

struct CsvRecord {
  std::vector<std::string> fields;  // raw values, quotes removed, nothing trimmed
  std::size_t line = 0;             // 1-based physical line where the record starts
};

// Every field is empty or white space (a row of commas, as spreadsheets leave them).
bool all_blank(const CsvRecord& record);

// Parses records one at a time with memory bounded by the longest record. Line breaks are CR,
// LF or CRLF, inside quoted fields too (kept as they are). Blank lines are skipped. Like
// Excel, a quote inside an unquoted field, and text after a closing quote, are kept literally.
class CsvReader {
 public:
  // A record longer than this is almost surely an unbalanced quote swallowing the file.
  static constexpr std::size_t kDefaultMaxRecordBytes = 1 << 20;

  explicit CsvReader(Reader& source, std::size_t max_record_bytes = kDefaultMaxRecordBytes);
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into out, reusing its strings' capacity so that a loop over one
  // CsvRecord allocates nothing in steady state. Returns false at the end of the input (out is
  // then unchanged). Throws CsvError on a quoted field left open at the end of the input or a
  // record over the size limit, and whatever the source throws.
  bool next(CsvRecord& out);

 private:
  bool refill();

  Reader& m_source;
  std::size_t m_max_record_bytes;
  std::unique_ptr<char[]> m_buf;
  const char* m_pos = nullptr;  // unread input is [m_pos, m_end)
  const char* m_end = nullptr;
  std::uint64_t m_buf_offset = 0;  // input offset of m_buf[0]
  char m_last_byte = 0;            // the byte before m_buf[0], to pair CR with LF
  std::size_t m_line = 1;          // physical line of m_pos
  bool m_eof = false;
};

// Strips from both ends ASCII whitespace, U+3000 IDEOGRAPHIC SPACE, U+00A0 NO-BREAK SPACE and
// U+FEFF (a BOM that ended up inside the data), as typed or pasted into Chinese spreadsheets.
std::string_view trim(std::string_view text);

// Writes rows with CRLF line ends, quoting a field only when it holds a comma, quote, CR or LF.
class CsvWriter {
 public:
  explicit CsvWriter(EncodingWriter& out) : m_out(out) {}
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // A row of no fields is written as an empty line, which CsvReader skips; a row of one empty
  // field as "" so that it reads back.
  void write_row(std::span<const std::string_view> fields);
  void write_row(std::span<const std::string> fields);
  void write_row(std::initializer_list<std::string_view> fields);

 private:
  template <typename Field>
  void write_fields(std::span<const Field> fields);

  EncodingWriter& m_out;
  std::string m_row;  // the row being formatted, reused
};

}  // namespace juwei::text
