// The CSV reader as an import uses it: the encoding detected from the bytes (UTF-8, UTF-8 with a
// BOM, else GB18030) or forced, the bytes decoded and split into records. Every failure must be
// a text::TextError. Beyond that: the outcome does not depend on how the source chunks its
// bytes; input detected as UTF-8 decodes as UTF-8; every field is valid UTF-8 and so is its
// trim(); and records written back by CsvWriter (UTF-8 and GB18030) read back the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "text/csv.hpp"
#include "text/encoding.hpp"
#include "text/testing.hpp"

namespace {

using namespace juwei::text;

struct Outcome {
  std::vector<std::vector<std::string>> records;
  std::vector<std::size_t> lines;
  std::string error;  // what() of the TextError that ended the read; empty: read to the end
  bool encoding_error = false;

  bool operator==(const Outcome&) const = default;
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_csv: %s\n", what);
  std::abort();
}

Outcome read_all(Reader& source, Encoding encoding) {
  Outcome out;
  try {
    DecodingReader decoded(source, encoding);
    CsvReader csv(decoded);
    CsvRecord row;
    while (csv.next(row)) {
      out.records.push_back(row.fields);
      out.lines.push_back(row.line);
    }
  } catch (const EncodingError& e) {
    out.error = e.what();
    out.encoding_error = true;
  } catch (const TextError& e) {
    out.error = e.what();
  }
  return out;
}

Outcome read_chunked(std::string_view data, Encoding encoding, std::size_t chunk) {
  test::ChunkedReader source(data, chunk);
  return read_all(source, encoding);
}

// Records as CsvWriter writes them in `encoding`, read back.
std::vector<std::vector<std::string>> write_and_read(
    const std::vector<std::vector<std::string>>& records, Encoding encoding) {
  std::ostringstream file;
  EncodingWriter writer(file, encoding);
  CsvWriter csv(writer);
  for (const auto& fields : records)
    csv.write_row(fields);
  writer.finish();
  const std::string written = file.str();
  StringReader source(written);
  const Outcome back = read_all(source, encoding);
  if (!back.error.empty()) fail("CsvWriter wrote what the reader refuses");
  return back.records;
}

// Reads `data` whole and in chunks of `chunk` bytes, checks both, and returns the whole read.
Outcome check(std::string_view data, Encoding encoding, std::size_t chunk) {
  const Outcome whole = read_chunked(data, encoding, std::size_t{1} << 20);
  const Outcome chunked = read_chunked(data, encoding, chunk);
  // Records before an error may differ: a whole read decodes (and fails) before any record.
  if (whole.error != chunked.error) fail("the error depends on how the source chunks its bytes");
  if (whole.error.empty() && whole != chunked) {
    fail("the records depend on how the source chunks its bytes");
  }
  for (const auto& fields : chunked.records) {
    if (fields.empty()) fail("a record without fields");
    for (const std::string& f : fields) {
      if (!is_valid_utf8(f)) fail("a field that is not UTF-8");
      const std::string_view trimmed = trim(f);
      if (!is_valid_utf8(trimmed) || trim(trimmed) != trimmed) fail("trim() is not clean");
    }
  }
  // A leading U+FEFF would be read back as the BOM the decoder drops.
  if (!whole.error.empty() ||
      (!whole.records.empty() && whole.records[0][0].starts_with("\xEF\xBB\xBF"))) {
    return whole;
  }
  if (write_and_read(whole.records, Encoding::utf8) != whole.records) {
    fail("records written as UTF-8 do not read back the same");
  }
  if (write_and_read(whole.records, Encoding::gb18030) != whole.records) {
    fail("records written as GB18030 do not read back the same");
  }
  return whole;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  StringReader probe(input);
  const Encoding detected = detect_encoding(probe);
  // Chunks of 1 to 7 bytes split multibyte characters and CRLFs everywhere over the runs.
  const std::size_t chunk = 1 + size % 7;
  const Outcome outcome = check(input, detected, chunk);
  if (detected == Encoding::utf8 && outcome.encoding_error) fail("detected as UTF-8, not UTF-8");
  if (detected != Encoding::gb18030) check(input, Encoding::gb18030, chunk);
  if (detected == Encoding::gb18030) check(input, Encoding::utf8, chunk);
  return 0;
}
