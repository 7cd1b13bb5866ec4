#include "text/csv.hpp"

#include <array>
#include <string>

namespace juwei::text {

namespace {

constexpr std::size_t kBufBytes = std::size_t{64} * 1024;

using ByteSet = std::array<bool, 256>;

constexpr ByteSet make_byte_set(std::string_view bytes) {
  ByteSet set{};
  for (const char c : bytes)
    set[static_cast<unsigned char>(c)] = true;
  return set;
}

// Bytes that end a run of plain content in each kind of field.
constexpr ByteSet kUnquotedStops = make_byte_set(",\r\n");
constexpr ByteSet kQuotedStops = make_byte_set("\"\r\n");

const char* scan_to(const char* p, const char* end, const ByteSet& stops) {
  while (p != end && !stops[static_cast<unsigned char>(*p)])
    ++p;
  return p;
}

// The next field of a record, reusing a string left from an earlier record when there is one.
inline std::string& next_field(std::vector<std::string>& fields, std::size_t& count) {
  if (count < fields.size()) [[likely]] {
    std::string& field = fields[count++];
    field.clear();
    return field;
  }
  ++count;
  return fields.emplace_back();
}

std::string record_too_long(std::size_t max_bytes) {
  return "record longer than " + std::to_string(max_bytes) + " bytes (unbalanced quote?)";
}

}  // namespace

CsvError::CsvError(std::size_t line, std::string_view what)
    : TextError("line " + std::to_string(line) + ": " + std::string(what)), m_line(line) {}

CsvReader::CsvReader(Reader& source, std::size_t max_record_bytes)
    : m_source(source),
      m_max_record_bytes(max_record_bytes),
      m_buf(std::make_unique<char[]>(kBufBytes)),
      m_pos(m_buf.get()),
      m_end(m_buf.get()) {}

bool CsvReader::refill() {
  if (m_eof) return false;
  if (m_end != m_buf.get()) m_last_byte = m_end[-1];
  m_buf_offset += static_cast<std::uint64_t>(m_end - m_buf.get());
  const std::size_t n = m_source.read(m_buf.get(), kBufBytes);
  m_pos = m_buf.get();
  m_end = m_pos + n;
  m_eof = n == 0;
  return !m_eof;
}

bool CsvReader::next(CsvRecord& out) {
  const auto byte_before = [this](const char* p) { return p != m_buf.get() ? p[-1] : m_last_byte; };

  // Skip blank lines; CRLF is one line break.
  for (;;) {
    if (m_pos == m_end && !refill()) return false;
    const char c = *m_pos;
    if (c == '\r' || (c == '\n' && byte_before(m_pos) != '\r')) {
      ++m_line;
    } else if (c != '\n') {
      break;
    }
    ++m_pos;
  }

  enum class State { field_start, unquoted, quoted, quote_in_quoted };
  State state = State::field_start;
  out.line = m_line;
  std::size_t quote_line = 0;
  const std::uint64_t record_start = m_buf_offset + static_cast<std::uint64_t>(m_pos - m_buf.get());
  std::size_t count = 0;
  std::string* field = &next_field(out.fields, count);
  const char* p = m_pos;
  for (;;) {
    if (p == m_end) {
      if (!refill()) {
        if (state == State::quoted) throw CsvError(quote_line, "quoted field is not closed");
        break;  // the last record has no line break
      }
      if (m_buf_offset - record_start > m_max_record_bytes) {
        throw CsvError(out.line, record_too_long(m_max_record_bytes));
      }
      p = m_pos;
    }
    switch (state) {
      case State::field_start:
        if (*p == '"') {
          quote_line = m_line;
          state = State::quoted;
          ++p;
          continue;
        }
        state = State::unquoted;
        [[fallthrough]];
      case State::unquoted: {
        // Quotes here are content: Excel keeps a stray quote, and text after a closing quote.
        const char* stop = scan_to(p, m_end, kUnquotedStops);
        field->append(p, static_cast<std::size_t>(stop - p));
        p = stop;
        if (p == m_end) continue;
        if (*p++ == ',') {
          field = &next_field(out.fields, count);
          state = State::field_start;
          continue;
        }
        // CR or LF ends the record; an LF after this CR is skipped by the next call. The byte
        // before cannot be a CR, which would have ended the record already.
        ++m_line;
        m_pos = p;
        out.fields.resize(count);
        return true;
      }
      case State::quoted: {
        const char* stop = scan_to(p, m_end, kQuotedStops);
        field->append(p, static_cast<std::size_t>(stop - p));
        p = stop;
        if (p == m_end) continue;
        if (*p == '"') {
          state = State::quote_in_quoted;
        } else {
          if (*p == '\r' || byte_before(p) != '\r') ++m_line;
          field->push_back(*p);
        }
        ++p;
        continue;
      }
      case State::quote_in_quoted:
        if (*p == '"') {  // a doubled quote stands for one
          field->push_back('"');
          state = State::quoted;
          ++p;
        } else {  // the closing quote
          state = State::unquoted;
        }
        continue;
    }
  }
  out.fields.resize(count);
  return true;
}

namespace {

constexpr std::array<std::string_view, 3> kWideSpaces = {
    "\xE3\x80\x80",  // U+3000 IDEOGRAPHIC SPACE
    "\xC2\xA0",      // U+00A0 NO-BREAK SPACE
    "\xEF\xBB\xBF",  // U+FEFF ZERO WIDTH NO-BREAK SPACE (BOM)
};

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The wide spaces are all non-ASCII: an ASCII byte settles it (the common case, once per field).
bool is_ascii(char c) {
  return static_cast<unsigned char>(c) < 0x80;
}

std::size_t leading_space(std::string_view text) {
  if (is_ascii(text.front())) return is_ascii_space(text.front()) ? 1 : 0;
  for (const std::string_view space : kWideSpaces) {
    if (text.starts_with(space)) return space.size();
  }
  return 0;
}

// A lead byte cannot be a continuation byte, so a match at the end is a whole character.
std::size_t trailing_space(std::string_view text) {
  if (is_ascii(text.back())) return is_ascii_space(text.back()) ? 1 : 0;
  for (const std::string_view space : kWideSpaces) {
    if (text.ends_with(space)) return space.size();
  }
  return 0;
}

}  // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty()) {
    const std::size_t n = leading_space(text);
    if (n == 0) break;
    text.remove_prefix(n);
  }
  while (!text.empty()) {
    const std::size_t n = trailing_space(text);
    if (n == 0) break;
    text.remove_suffix(n);
  }
  return text;
}

void CsvWriter::write_row(std::span<const std::string_view> fields) {
  write_fields(fields);
}

void CsvWriter::write_row(std::span<const std::string> fields) {
  write_fields(fields);
}

void CsvWriter::write_row(std::initializer_list<std::string_view> fields) {
  write_fields(std::span<const std::string_view>(fields.begin(), fields.size()));
}

template <typename Field>
void CsvWriter::write_fields(std::span<const Field> fields) {
  m_row.clear();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) m_row += ',';
    const std::string_view field = fields[i];
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
      m_row += field;
      continue;
    }
    m_row += '"';
    for (const char c : field) {
      if (c == '"') m_row += '"';
      m_row += c;
    }
    m_row += '"';
  }
  if (fields.size() == 1 && m_row.empty()) m_row = "\"\"";
  m_row += "\r\n";
  m_out.write(m_row);
}

bool all_blank(const CsvRecord& record) {
  for (const std::string& f : record.fields) {
    if (!trim(f).empty()) return false;
  }
  return true;
}

}  // namespace juwei::text
