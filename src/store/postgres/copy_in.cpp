// COPY FROM STDIN in text format (see copy_in.hpp): each row a line, values apart by a tab,
// NULL as \N, and a backslash, tab, newline or carriage return in a value escaped by a
// backslash.
#include "store/postgres/copy_in.hpp"

#include <fmt/format.h>

#include <charconv>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

namespace juwei::store::postgres {
namespace {

constexpr std::size_t kBlockBytes = 256 * 1024;

// `name` quoted as an identifier by libpq (empty when libpq cannot: out of memory).
std::string quoted(PGconn* conn, std::string_view name) {
  std::unique_ptr<char, decltype(&PQfreemem)> q(PQescapeIdentifier(conn, name.data(), name.size()),
                                                &PQfreemem);
  return q ? std::string(q.get()) : std::string();
}

}  // namespace

Result<CopyIn> CopyIn::start(Connection& conn, std::string_view table,
                             std::span<const std::string> columns) {
  const std::string what = fmt::format("copy rows into {}", table);
  if (auto r = conn.check_not_failed(what); !r) return std::unexpected(r.error());
  std::string sql = "COPY " + quoted(conn.raw(), table);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    sql += i == 0 ? " (" : ", ";
    sql += quoted(conn.raw(), columns[i]);
  }
  sql += columns.empty() ? " FROM STDIN" : ") FROM STDIN";
  PgResult r(PQexec(conn.raw(), sql.c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN)
    return std::unexpected(conn.fail(r.get(), what));
  return CopyIn(conn, what);
}

CopyIn::CopyIn(Connection& conn, std::string what) : m_conn(&conn), m_what(std::move(what)) {
  m_buffer.reserve(kBlockBytes + 4096);
}

CopyIn::CopyIn(CopyIn&& other) noexcept
    : m_conn(other.m_conn),
      m_what(std::move(other.m_what)),
      m_buffer(std::move(other.m_buffer)),
      m_row_started(other.m_row_started),
      m_open(std::exchange(other.m_open, false)) {}

CopyIn::~CopyIn() {
  if (!m_open) return;
  // Ends the COPY with an error: the server discards its rows and fails the transaction.
  PGconn* conn = m_conn->raw();
  PQputCopyEnd(conn, "abandoned by the writer");
  while (PgResult r{PQgetResult(conn)}) {
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) m_conn->fail(r.get(), m_what);
  }
}

void CopyIn::separate() {
  if (m_row_started) m_buffer += '\t';
  m_row_started = true;
}

void CopyIn::null() {
  separate();
  m_buffer += "\\N";
}

void CopyIn::integer(std::int64_t v) {
  separate();
  fmt::format_to(std::back_inserter(m_buffer), "{}", v);
}

void CopyIn::text(std::string_view v) {
  separate();
  for (const char c : v) {
    switch (c) {
      case '\\':
        m_buffer += "\\\\";
        break;
      case '\t':
        m_buffer += "\\t";
        break;
      case '\n':
        m_buffer += "\\n";
        break;
      case '\r':
        m_buffer += "\\r";
        break;
      default:
        m_buffer += c;
    }
  }
}

void CopyIn::bytes(std::string_view v) {
  separate();
  // bytea's hex input form \x..., its backslash escaped for COPY.
  static constexpr char kHex[] = "0123456789abcdef";
  m_buffer += "\\\\x";
  for (const char c : v) {
    const auto b = static_cast<unsigned char>(c);
    m_buffer += kHex[b >> 4];
    m_buffer += kHex[b & 0x0f];
  }
}

Result<void> CopyIn::end_row() {
  m_buffer += '\n';
  m_row_started = false;
  if (m_buffer.size() >= kBlockBytes) return flush();
  return {};
}

Result<void> CopyIn::flush() {
  if (m_buffer.empty()) return {};
  if (PQputCopyData(m_conn->raw(), m_buffer.data(), static_cast<int>(m_buffer.size())) != 1) {
    return std::unexpected(m_conn->fail(nullptr, m_what));
  }
  m_buffer.clear();
  return {};
}

Result<std::int64_t> CopyIn::finish() {
  if (auto r = flush(); !r) return std::unexpected(r.error());
  m_open = false;
  PGconn* conn = m_conn->raw();
  if (PQputCopyEnd(conn, nullptr) != 1) return std::unexpected(m_conn->fail(nullptr, m_what));
  std::optional<std::int64_t> rows;
  std::optional<Error> failed;
  while (PgResult r{PQgetResult(conn)}) {
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      if (!failed) failed = m_conn->fail(r.get(), m_what);
      continue;
    }
    const std::string_view count = PQcmdTuples(r.get());  // "COPY 12": "12"
    std::int64_t n = 0;
    if (std::from_chars(count.data(), count.data() + count.size(), n).ec == std::errc()) rows = n;
  }
  if (failed) return std::unexpected(std::move(*failed));
  if (!rows) return std::unexpected(Error{Error::Kind::io, m_what + ": the server sent no count"});
  return *rows;
}

}  // namespace juwei::store::postgres
