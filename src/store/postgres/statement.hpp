// sql::Statement on libpq: one Query of one connection, prepared on the server (PQprepare, named
// after the Query id) at its first step and kept for the connection's life. Internal to
// store/postgres; borrowed by one Stmt at a time on the connection's thread.
//
// Parameters travel as text (integers formatted) except blobs, which go as binary bytea. The
// server learns the parameter types at that first prepare from the first binding: an integer
// is int8, a blob bytea, text and NULL are left for the server to infer from the SQL. Results
// come back as text; integer() parses, blob() decodes bytea's hex output.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/connection.hpp"
#include "store/sql/driver.hpp"

namespace juwei::store::postgres {

class Statement final : public sql::Statement {
 public:
  // `name` is the server-side name (the Query id, shortened when too long); `text` is already
  // in PostgreSQL's dialect and uses $1 .. $params.
  Statement(Connection& conn, std::string name, std::string text, int params);

  void bind_int(int i, std::int64_t v) override;
  void bind_text(int i, std::string_view v) override;
  void bind_blob(int i, std::string_view v) override;
  void bind_null(int i) override;
  Result<bool> step(std::string_view what) override;
  std::int64_t integer(int col) const override;
  std::string_view view(int col) const override;
  std::string blob(int col) const override;
  bool is_null(int col) const override;
  std::int64_t changes() const override;
  void reset() override;

 private:
  struct Param {
    std::string value;  // text, or the raw bytes of a blob
    Oid type = 0;       // at the first prepare; 0 lets the server infer it
    bool binary = false;
    bool null = true;
  };

  Param* param(int i);
  Result<void> prepare(std::string_view what);
  Result<void> execute(std::string_view what);
  // The current row's cell (nullptr past the last row or column).
  const char* cell(int col) const;

  Connection& m_conn;
  const std::string m_name;
  const std::string m_text;
  std::vector<Param> m_params;  // ?1 is m_params[0]
  bool m_prepared = false;
  // INSERT, UPDATE or DELETE: run in a savepoint of a write transaction, so that a failure
  // (a unique key taken: a conflict the caller handles) undoes this statement only and the
  // transaction goes on, as on SQLite. Reads need none: a failed read is not expected.
  const bool m_changes_rows;
  std::optional<std::string> m_bind_error;  // a bind outside ?1 .. ?N, reported by step()

  // The run since the last reset. All rows are fetched at once: the aggregate code may run
  // another statement between two rows of this one, which a connection streaming rows (single
  // row mode) cannot do. A cursor would keep memory flat for the few whole-table walks.
  PgResult m_result;
  int m_row = -1;
  int m_rows = 0;
  std::int64_t m_changes = 0;
};

}  // namespace juwei::store::postgres
