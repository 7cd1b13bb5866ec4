// The seam between the store's aggregate code (store/sql: written once) and a database driver
// (store/sqlite, store/postgres). The aggregate code sees only what is here: prepare a
// statement by its stable id, bind, step, read columns, count changes, take a community's write
// lock, commit. Everything a backend does differently (placeholders, planner hints, booleans,
// new ids, migrations, connections) lives in that backend's folder, in one place.
//
// The portable dialect every Query is written in:
// - parameters are ?1 ... ?N and may repeat (PostgreSQL: $1 ... $N);
// - `INDEXED BY name` after a table names the index SQLite should use (PostgreSQL drops it);
// - `json_each(?N)` is a table of the elements of the JSON array bound at ?N, in its column
//   `value`, read with a CAST to the type wanted (`SELECT CAST(value AS BIGINT) FROM ...`);
// - `CROSS JOIN ... ON` joins in the order written (SQLite's planner hint; PostgreSQL: JOIN);
// - new rows give their ids back with RETURNING, never through a driver's "last insert id";
// - booleans are integers 0/1 in columns and parameters (no bare boolean as a value: CASE);
// - timestamps are ISO-8601 UTC text compared as text: byte order, so a PostgreSQL database
//   uses collation "C" (the backend checks it when it opens);
// - integers are 64-bit (INTEGER on SQLite, BIGINT on PostgreSQL).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "store/store.hpp"

namespace juwei::store::sql {

// A statement of the aggregate code. `id` is its stable name ("registry.find_building"): the
// key of every connection's statement cache and, on PostgreSQL, the prepared statement's name.
// A statement built at run time carries its variant in the id ("registry.search/5"). One id
// always means one text: a backend refuses a second text under a known id.
struct Query {
  std::string_view id;
  std::string_view text;
};

// A prepared statement of one connection, borrowed by one Stmt at a time.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bind_int(int i, std::int64_t v) = 0;
  // Copies v.
  virtual void bind_text(int i, std::string_view v) = 0;
  // Binds text without copying: v stays valid until the statement is reset.
  virtual void bind_text_borrowed(int i, std::string_view v) { bind_text(i, v); }
  virtual void bind_blob(int i, std::string_view v) = 0;
  virtual void bind_null(int i) = 0;
  // Runs the statement on the first call and moves to its next row: true while a row is ready.
  virtual Result<bool> step(std::string_view what) = 0;
  virtual std::int64_t integer(int col) const = 0;
  // The column's text: valid until the next step or reset. NULL reads as empty.
  virtual std::string_view view(int col) const = 0;
  virtual std::string blob(int col) const = 0;
  virtual bool is_null(int col) const = 0;
  // Rows the statement inserted, updated or deleted when it ran.
  virtual std::int64_t changes() const = 0;
  // Back to unbound and not run, ready for the next borrower.
  virtual void reset() = 0;
};

// A temporary table of the session that a bulk write loads rows into, for one set-based
// statement to read (INSERT ... SELECT ... FROM it) instead of one statement per row. `columns`
// is its column list in the portable dialect ("ord BIGINT, tube_code TEXT"); `width` counts them.
struct ScratchTable {
  std::string_view name;
  std::string_view columns;
  int width = 0;
};

// One transaction on one connection: what SqlTransaction runs on.
class Session {
 public:
  virtual ~Session() = default;
  // The statement `q.id` names, prepared on first use and kept by the connection.
  virtual Result<Statement*> prepare(const Query& q) = 0;
  // Empties the scratch table `t` (made on first use, gone with the connection) and loads
  // `cells` into it: row after row, `t.width` text cells each, converted to the columns' types.
  // Only in a write transaction. This default inserts row by row through prepared statements
  // (right for SQLite, where a statement costs no round trip); PostgreSQL streams the rows with
  // COPY.
  virtual Result<void> load_scratch(const ScratchTable& t, std::span<const std::string_view> cells);
  // Brings the planner's statistics of `table` up to date, so that the statements after a bulk
  // load that grew it are planned for the rows it holds now, not those it held before the
  // transaction (PostgreSQL: ANALYZE, which counts this transaction's own rows). SQLite needs
  // nothing: its planner goes by the schema's indexes.
  virtual Result<void> refresh_statistics(std::string_view /*table*/) { return {}; }
  // Takes community c's write lock until the transaction ends (the concurrency contract in
  // store.hpp). SQLite has one writer, so it holds every lock already.
  virtual Result<void> lock_community(domain::CommunityId c) = 0;
  // Ends the transaction, committed or, when that fails, not (the error says why): either way
  // it is over and rollback() is not called after it.
  virtual Result<void> commit() = 0;
  // Ends the transaction without committing; never fails (a backend that cannot roll back
  // drops the connection).
  virtual void rollback() = 0;
};

// A borrowed statement with the calls the aggregate code chains; reset when it goes.
class Stmt {
 public:
  explicit Stmt(Statement* s) : m_s(s) {}
  Stmt(Stmt&& o) noexcept : m_s(std::exchange(o.m_s, nullptr)) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt() {
    if (m_s != nullptr) m_s->reset();
  }

  Stmt& bind(int i, std::int64_t v) {
    m_s->bind_int(i, v);
    return *this;
  }
  Stmt& bind(int i, std::string_view v) {
    m_s->bind_text(i, v);
    return *this;
  }
  // `v` must stay valid until this Stmt ends (never a temporary).
  Stmt& bind_borrowed(int i, std::string_view v) {
    m_s->bind_text_borrowed(i, v);
    return *this;
  }
  Stmt& bind_blob(int i, std::string_view v) {
    m_s->bind_blob(i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    m_s->bind_null(i);
    return *this;
  }

  Result<bool> step(std::string_view what) { return m_s->step(what); }
  Result<void> run(std::string_view what) {
    auto r = step(what);
    if (!r) return std::unexpected(r.error());
    return {};
  }

  std::int64_t integer(int col) const { return m_s->integer(col); }
  std::string_view view(int col) const { return m_s->view(col); }
  std::string text(int col) const { return std::string(view(col)); }
  std::string blob(int col) const { return m_s->blob(col); }
  bool is_null(int col) const { return m_s->is_null(col); }
  std::int64_t changes() const { return m_s->changes(); }

 private:
  Statement* m_s;
};

}  // namespace juwei::store::sql
