// Rows streamed into one table with COPY ... FROM STDIN (text format), for bulk writes that go
// around the aggregate code: juwei migrate moving a community in (store/backends). Internal to
// the store layers; belongs to the thread that uses its connection.
//
// A CopyIn runs inside the connection's current transaction, which must be a write one; while
// it is open nothing else may run on the connection. Values are appended a row at a time and
// sent in blocks of about 256 KiB; finish() ends the COPY and returns the server's row count.
// A CopyIn destroyed before finish() aborts the COPY, which fails the transaction.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace juwei::store::postgres {

class CopyIn {
 public:
  // Starts COPY `table` (`columns`) FROM STDIN on `conn`; no columns: all of them, in order.
  // The names are quoted as identifiers.
  static Result<CopyIn> start(Connection& conn, std::string_view table,
                              std::span<const std::string> columns);

  CopyIn(CopyIn&& other) noexcept;
  CopyIn& operator=(CopyIn&&) = delete;
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;
  ~CopyIn();

  // The next value of the current row, in column order.
  void null();
  void integer(std::int64_t v);
  void text(std::string_view v);
  // A bytea value (any bytes), sent in PostgreSQL's hex form.
  void bytes(std::string_view v);
  // A value as PostgreSQL reads it from text (a float's digits, ...), escaped like text.
  void literal(std::string_view v) { text(v); }
  // Ends the current row; sends the buffer when it is full.
  Result<void> end_row();

  // Ends the COPY: the rows the server wrote.
  Result<std::int64_t> finish();

 private:
  CopyIn(Connection& conn, std::string what);
  void separate();
  Result<void> flush();

  Connection* m_conn;
  std::string m_what;  // "copy rows into TABLE", for messages
  std::string m_buffer;
  bool m_row_started = false;
  bool m_open = true;
};

}  // namespace juwei::store::postgres
