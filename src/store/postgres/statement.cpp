// Binding, running and reading one prepared statement over libpq (see statement.hpp).
#include "store/postgres/statement.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <utility>

namespace juwei::store::postgres {
namespace {

// pg_type OIDs (catalog/pg_type_d.h ships with the server headers only).
constexpr Oid kInt8Oid = 20;
constexpr Oid kByteaOid = 17;
constexpr Oid kTextOid = 25;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in the hex output format ("\x0001ff"), the server's default since PostgreSQL 9.0.
std::string decode_hex(std::string_view hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1]));
  }
  return out;
}

// bytea in the older escape format, for a server configured with bytea_output = escape.
std::string decode_escaped(const char* text) {
  std::size_t length = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &length);
  if (raw == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

std::int64_t parse_int(std::string_view text) {
  if (text == "t") return 1;  // a boolean that slipped through the dialect rule
  if (text == "f") return 0;
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);  // "2.5" reads 2, "" reads 0
  return v;
}

// Whether the translated text uses $n.
bool uses_param(std::string_view sql, int n) {
  const std::string mark = "$" + std::to_string(n);
  for (auto at = sql.find(mark); at != std::string_view::npos; at = sql.find(mark, at + 1)) {
    const std::size_t after = at + mark.size();
    if (after >= sql.size() || std::isdigit(static_cast<unsigned char>(sql[after])) == 0) {
      return true;
    }
  }
  return false;
}

// Whether `sql` starts with INSERT, UPDATE or DELETE.
bool changes_rows(std::string_view sql) {
  const auto start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos) return false;
  std::string word;
  for (std::size_t i = start; i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]));
       ++i)
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
  return word == "INSERT" || word == "UPDATE" || word == "DELETE";
}

}  // namespace

Statement::Statement(Connection& conn, std::string name, std::string text, int params)
    : m_conn(conn),
      m_name(std::move(name)),
      m_text(std::move(text)),
      m_params(static_cast<std::size_t>(params)),
      m_changes_rows(changes_rows(m_text)) {}

Statement::Param* Statement::param(int i) {
  if (i < 1 || i > static_cast<int>(m_params.size())) {
    if (!m_bind_error) {
      m_bind_error = fmt::format("parameter ?{} is not in ?1 .. ?{}", i, m_params.size());
    }
    return nullptr;
  }
  return &m_params[static_cast<std::size_t>(i - 1)];
}

void Statement::bind_int(int i, std::int64_t v) {
  Param* p = param(i);
  if (p == nullptr) return;
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  p->value.assign(digits, end);
  p->binary = false;
  p->null = false;
  if (!m_prepared) p->type = kInt8Oid;
}

void Statement::bind_text(int i, std::string_view v) {
  Param* p = param(i);
  if (p == nullptr) return;
  p->value.assign(v);  // a copy: libpq reads text parameters up to their NUL
  p->binary = false;
  p->null = false;
  if (!m_prepared) p->type = 0;
}

void Statement::bind_blob(int i, std::string_view v) {
  Param* p = param(i);
  if (p == nullptr) return;
  p->value.assign(v);
  p->binary = true;  // bytea's binary form is the bytes themselves: no escaping, NULs included
  p->null = false;
  if (!m_prepared) p->type = kByteaOid;
}

void Statement::bind_null(int i) {
  Param* p = param(i);
  if (p == nullptr) return;
  p->value.clear();
  p->binary = false;
  p->null = true;
  if (!m_prepared) p->type = 0;
}

Result<void> Statement::prepare(std::string_view what) {
  std::vector<Oid> types;
  types.reserve(m_params.size());
  for (std::size_t i = 0; i < m_params.size(); ++i) {
    // A parameter the text never uses (a variant that leaves a filter out) has no context the
    // server could infer its type from: text, as SQLite would not care.
    types.push_back(m_params[i].type == 0 && !uses_param(m_text, static_cast<int>(i + 1))
                        ? kTextOid
                        : m_params[i].type);
  }
  PgResult r(PQprepare(m_conn.raw(), m_name.c_str(), m_text.c_str(),
                       static_cast<int>(m_params.size()), types.data()));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return std::unexpected(m_conn.fail(r.get(), what));
  }
  m_prepared = true;
  return {};
}

Result<void> Statement::execute(std::string_view what) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const Param& p : m_params) {
    values.push_back(p.null ? nullptr : p.value.c_str());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  const bool guarded = m_changes_rows && m_conn.writing();
  if (guarded) {
    if (auto s = m_conn.run("SAVEPOINT juwei_statement", what); !s) {
      return std::unexpected(s.error());
    }
  }
  PgResult r(PQexecPrepared(m_conn.raw(), m_name.c_str(), static_cast<int>(m_params.size()),
                            values.data(), lengths.data(), formats.data(), /*text results*/ 0));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    if (guarded && m_conn.run("ROLLBACK TO SAVEPOINT juwei_statement; "
                              "RELEASE SAVEPOINT juwei_statement",
                              what)) {
      return std::unexpected(m_conn.fail_undone(r.get(), what));
    }
    return std::unexpected(m_conn.fail(r.get(), what));
  }
  if (guarded) {
    if (auto s = m_conn.run("RELEASE SAVEPOINT juwei_statement", what); !s) {
      return std::unexpected(s.error());
    }
  }
  m_rows = PQntuples(r.get());
  m_changes = parse_int(PQcmdTuples(r.get()));
  m_row = -1;
  m_result = std::move(r);
  return {};
}

Result<bool> Statement::step(std::string_view what) {
  if (m_bind_error)
    return std::unexpected(Error{Error::Kind::io, fmt::format("{}: {}", what, *m_bind_error)});
  if (!m_result) {
    if (auto ok = m_conn.check_not_failed(what); !ok) return std::unexpected(ok.error());
    if (!m_prepared) {
      if (auto r = prepare(what); !r) return std::unexpected(r.error());
    }
    if (auto r = execute(what); !r) return std::unexpected(r.error());
  }
  if (m_row < m_rows) ++m_row;
  return m_row < m_rows;
}

const char* Statement::cell(int col) const {
  if (!m_result || m_row < 0 || m_row >= m_rows || col < 0 || col >= PQnfields(m_result.get())) {
    return nullptr;
  }
  return PQgetvalue(m_result.get(), m_row, col);
}

std::int64_t Statement::integer(int col) const {
  const char* v = cell(col);
  return v == nullptr ? 0 : parse_int(v);
}

std::string_view Statement::view(int col) const {
  const char* v = cell(col);
  if (v == nullptr) return {};
  return {v, static_cast<std::size_t>(PQgetlength(m_result.get(), m_row, col))};
}

std::string Statement::blob(int col) const {
  const std::string_view v = view(col);
  if (v.empty() || PQftype(m_result.get(), col) != kByteaOid) return std::string(v);
  if (v.starts_with("\\x")) return decode_hex(v.substr(2));
  return decode_escaped(v.data());
}

bool Statement::is_null(int col) const {
  return cell(col) == nullptr || PQgetisnull(m_result.get(), m_row, col) != 0;
}

std::int64_t Statement::changes() const {
  return m_changes;
}

void Statement::reset() {
  for (Param& p : m_params) {
    p.value.clear();
    p.binary = false;
    p.null = true;
    if (!m_prepared) p.type = 0;
  }
  m_bind_error.reset();
  m_result.reset();
  m_row = -1;
  m_rows = 0;
  m_changes = 0;
}

}  // namespace juwei::store::postgres
