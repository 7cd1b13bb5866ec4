// One community from SQLite into PostgreSQL (see move_community.hpp): the source's catalog
// gives the tables, their columns and their foreign keys; each table's rows of the community
// are read in one SQLite snapshot and streamed into the target with COPY.
#include "store/backends/move_community.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "store/postgres/connection.hpp"
#include "store/postgres/copy_in.hpp"
#include "store/postgres/error.hpp"
#include "store/sqlite/db.hpp"

namespace juwei::store::backends {
namespace {

using postgres::Connection;
using postgres::PgResult;

// The registry above the communities: moved as rows of their own, by name, not copied.
constexpr std::string_view kRegistryTables[] = {"streets", "communities"};

// Community tables whose rows would be of no use on the target, and why.
constexpr std::pair<std::string_view, std::string_view> kNotMoved[] = {
    {"sessions",
     "a login's token names the community id it was made with: people log in again on the "
     "server"},
};

constexpr std::string_view kCommunityColumn = "community_id";

Error io(std::string message) {
  return Error{Error::Kind::io, std::move(message)};
}

// ---- The source: a SQLite file, read in one snapshot --------------------------------------

using StmtHandle = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

std::string sqlite_name(std::string_view name) {
  std::string q = "\"";
  for (const char c : name) {
    q += c;
    if (c == '"') q += '"';
  }
  return q + "\"";
}

Result<StmtHandle> prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  StmtHandle s(raw, sqlite3_finalize);
  if (rc != SQLITE_OK) return std::unexpected(sqlite::make_error(db, rc, "read the source"));
  return s;
}

std::string column_text(sqlite3_stmt* s, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
  return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, col)))
                      : std::string();
}

// Every row of `sql` (text parameters bound in order), as text.
Result<std::vector<std::vector<std::string>>> rows_of(sqlite3* db, const std::string& sql,
                                                      std::initializer_list<std::string> params) {
  auto s = prepare(db, sql);
  if (!s) return std::unexpected(s.error());
  int i = 0;
  for (const std::string& p : params) {
    sqlite3_bind_text(s->get(), ++i, p.data(), static_cast<int>(p.size()), SQLITE_TRANSIENT);
  }
  std::vector<std::vector<std::string>> out;
  int rc = 0;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
    std::vector<std::string>& row = out.emplace_back();
    for (int c = 0; c < sqlite3_column_count(s->get()); ++c)
      row.push_back(column_text(s->get(), c));
  }
  if (rc != SQLITE_DONE) return std::unexpected(sqlite::make_error(db, rc, "read the source"));
  return out;
}

struct SourceTable {
  std::string name;
  std::vector<std::string> columns;
  std::set<std::string> parents;  // the tables its foreign keys point at
};

// The source's tables with a community_id column, parents before children; a table that is
// neither that nor the registry above the communities cannot be moved and is refused.
Result<std::vector<SourceTable>> community_tables(sqlite3* db) {
  auto names = rows_of(db,
                       "SELECT name FROM sqlite_schema WHERE type = 'table' "
                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
                       {});
  if (!names) return std::unexpected(names.error());
  std::vector<SourceTable> tables;
  for (const auto& row : *names) {
    const std::string& name = row[0];
    if (std::ranges::find(kRegistryTables, name) != std::end(kRegistryTables)) continue;
    SourceTable t{name, {}, {}};
    auto columns = rows_of(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", {name});
    if (!columns) return std::unexpected(columns.error());
    for (const auto& c : *columns)
      t.columns.push_back(c[0]);
    if (std::ranges::find(t.columns, kCommunityColumn) == t.columns.end()) {
      return std::unexpected(io(fmt::format(
          "table {} has no community_id: juwei migrate does not know how to move it", name)));
    }
    auto parents =
        rows_of(db, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)", {name});
    if (!parents) return std::unexpected(parents.error());
    for (const auto& p : *parents) {
      if (p[0] != name && std::ranges::find(kRegistryTables, p[0]) == std::end(kRegistryTables)) {
        t.parents.insert(p[0]);
      }
    }
    tables.push_back(std::move(t));
  }
  // Parents first, otherwise in the order the schema made them.
  std::vector<SourceTable> ordered;
  std::set<std::string> placed;
  while (!tables.empty()) {
    const auto ready = std::ranges::find_if(tables, [&](const SourceTable& t) {
      return std::ranges::all_of(t.parents,
                                 [&](const std::string& p) { return placed.contains(p); });
    });
    if (ready == tables.end()) {
      return std::unexpected(io("the source's foreign keys go round in a circle: " +
                                tables.front().name + " and others"));
    }
    placed.insert(ready->name);
    ordered.push_back(std::move(*ready));
    tables.erase(ready);
  }
  return ordered;
}

// ---- The target: one PostgreSQL transaction ------------------------------------------------

// `sql` with text parameters ($1...; std::nullopt is NULL) on the target.
Result<PgResult> query(Connection& conn, std::string_view sql,
                       std::initializer_list<std::optional<std::string>> params,
                       std::string_view what) {
  if (auto r = conn.check_not_failed(what); !r) return std::unexpected(r.error());
  std::vector<const char*> values;
  for (const auto& p : params)
    values.push_back(p ? p->c_str() : nullptr);
  PgResult r(PQexecParams(conn.raw(), std::string(sql).c_str(), static_cast<int>(values.size()),
                          nullptr, values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(conn.fail(r.get(), what));
  }
  return r;
}

// A PostgreSQL text[] literal of `items`.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (const char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

struct TargetColumn {
  std::string name;
  bool bytea = false;
};

// The target's columns of `table` in the order of the source's `columns`; refused when the
// two do not have the same columns (then they are not at one schema version).
Result<std::vector<TargetColumn>> target_columns(Connection& conn, const SourceTable& table) {
  auto r = query(conn,
                 "SELECT column_name, data_type FROM information_schema.columns "
                 "WHERE table_schema = current_schema() AND table_name = $1",
                 {table.name}, "read the target's columns");
  if (!r) return std::unexpected(r.error());
  std::map<std::string, bool> bytea;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    bytea.emplace(PQgetvalue(r->get(), i, 0),
                  std::string_view(PQgetvalue(r->get(), i, 1)) == "bytea");
  }
  std::vector<TargetColumn> out;
  for (const std::string& c : table.columns) {
    const auto it = bytea.find(c);
    if (it == bytea.end()) break;
    out.push_back({c, it->second});
  }
  if (out.size() != table.columns.size() || bytea.size() != table.columns.size()) {
    return std::unexpected(io(fmt::format(
        "the target's table {} does not have the source's columns: are both at the same "
        "schema version?",
        table.name)));
  }
  return out;
}

// Streams the community's rows of `table` from the source into the target, community_id set
// to `to`: the rows written.
Result<std::int64_t> copy_table(sqlite3* source, domain::CommunityId from, Connection& target,
                                domain::CommunityId to, const SourceTable& table) {
  auto columns = target_columns(target, table);
  if (!columns) return std::unexpected(columns.error());
  std::string select = "SELECT ";
  for (std::size_t i = 0; i < table.columns.size(); ++i)
    select += (i > 0 ? ", " : "") + sqlite_name(table.columns[i]);
  select += " FROM " + sqlite_name(table.name) + " WHERE community_id = ?1";
  auto s = prepare(source, select);
  if (!s) return std::unexpected(s.error());
  sqlite3_bind_int64(s->get(), 1, from);

  auto copy = postgres::CopyIn::start(target, table.name, table.columns);
  if (!copy) return std::unexpected(copy.error());
  std::int64_t read = 0;
  int rc = 0;
  while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
    ++read;
    for (std::size_t i = 0; i < columns->size(); ++i) {
      const TargetColumn& column = (*columns)[i];
      const int col = static_cast<int>(i);
      if (column.name == kCommunityColumn) {
        copy->integer(to);
        continue;
      }
      switch (sqlite3_column_type(s->get(), col)) {
        case SQLITE_NULL:
          copy->null();
          break;
        case SQLITE_INTEGER:
          copy->integer(sqlite3_column_int64(s->get(), col));
          break;
        case SQLITE_FLOAT:
          copy->literal(fmt::format("{}", sqlite3_column_double(s->get(), col)));
          break;
        default: {  // TEXT or BLOB: their bytes, as bytea where the target keeps bytes
          const auto* p = static_cast<const char*>(sqlite3_column_blob(s->get(), col));
          const std::string_view v(p != nullptr ? p : "",
                                   static_cast<std::size_t>(sqlite3_column_bytes(s->get(), col)));
          if (column.bytea) {
            copy->bytes(v);
          } else {
            copy->text(v);
          }
        }
      }
    }
    if (auto r = copy->end_row(); !r) return std::unexpected(r.error());
  }
  if (rc != SQLITE_DONE) {
    return std::unexpected(sqlite::make_error(source, rc, "read the source's " + table.name));
  }
  auto written = copy->finish();
  if (!written) return std::unexpected(written.error());
  if (*written != read) {
    return std::unexpected(io(
        fmt::format("{}: {} rows read from the source, {} written", table.name, read, *written)));
  }
  return *written;
}

class PgPendingMove final : public PendingMove {
 public:
  // Takes `conn` with its write transaction begun; rolls it back unless committed.
  explicit PgPendingMove(std::unique_ptr<Connection> conn) : m_conn(std::move(conn)) {}
  ~PgPendingMove() override {
    if (m_open) roll_back();
  }

  Connection& conn() { return *m_conn; }
  // What was written, once it all was.
  void written(domain::Community source, domain::Community target, std::vector<MovedTable> tables,
               std::vector<LeftTable> left) {
    m_source = std::move(source);
    m_target = std::move(target);
    m_tables = std::move(tables);
    m_left = std::move(left);
  }

  const domain::Community& source() const override { return m_source; }
  const domain::Community& target() const override { return m_target; }
  std::span<const MovedTable> tables() const override { return m_tables; }
  std::span<const LeftTable> left() const override { return m_left; }

  Result<void> commit() override {
    if (!m_open) return std::unexpected(io("commit: the move has already ended"));
    m_open = false;
    if (auto failed = m_conn->check_not_failed("commit the move"); !failed) {
      roll_back();
      return failed;
    }
    auto r = m_conn->run("COMMIT", "commit the move");
    if (!r) return std::unexpected(r.error());
    if (std::string_view(PQcmdStatus(r->get())) != "COMMIT") {
      return std::unexpected(io("commit the move: the server rolled the transaction back"));
    }
    return {};
  }

 private:
  // The connection is closed with the move, so one that cannot roll back is simply dropped.
  void roll_back() {
    if (!m_conn->run("ROLLBACK", "roll back the move")) m_conn->drop();
  }

  std::unique_ptr<Connection> m_conn;
  domain::Community m_source;
  domain::Community m_target;
  std::vector<MovedTable> m_tables;
  std::vector<LeftTable> m_left;
  bool m_open = true;
};

// What the source knows of the community: its row, its street's name, its usernames.
struct SourceCommunity {
  domain::Community community;
  std::string street;
  std::string created_at;
  std::vector<std::string> usernames;
};

Result<SourceCommunity> read_community(sqlite3* db, domain::CommunityId id) {
  auto rows = rows_of(db,
                      "SELECT c.name, c.time_zone, c.created_at, c.chain_id, coalesce(s.name, '') "
                      "FROM communities c LEFT JOIN streets s ON s.street_id = c.street_id "
                      "WHERE c.community_id = CAST(?1 AS INTEGER)",
                      {std::to_string(id)});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) {
    return std::unexpected(
        Error{Error::Kind::not_found, fmt::format("the source has no community {}", id)});
  }
  const auto& row = rows->front();
  SourceCommunity out{{id, 0, row[0], row[1], std::stoll(row[3])}, row[4], row[2], {}};
  auto users = rows_of(db,
                       "SELECT username FROM users WHERE community_id = CAST(?1 AS INTEGER) "
                       "ORDER BY username",
                       {std::to_string(id)});
  if (!users) return std::unexpected(users.error());
  for (const auto& u : *users)
    out.usernames.push_back(u[0]);
  return out;
}

// Refuses a name or a username the target has already, before anything is written.
Result<void> check_free(Connection& conn, const SourceCommunity& c, std::string_view where) {
  auto taken = query(conn, "SELECT 1 FROM communities WHERE name = $1", {c.community.name},
                     "look for the community on the target");
  if (!taken) return std::unexpected(taken.error());
  if (PQntuples(taken->get()) > 0) {
    return std::unexpected(Error{
        Error::Kind::conflict,
        fmt::format("{} has a community named '{}' already: it is not overwritten; nothing moved",
                    where, c.community.name)});
  }
  auto users = query(conn,
                     "SELECT username FROM users WHERE username = ANY ($1::text[]) "
                     "ORDER BY username LIMIT 1",
                     {text_array(c.usernames)}, "look for the usernames on the target");
  if (!users) return std::unexpected(users.error());
  if (PQntuples(users->get()) > 0) {
    return std::unexpected(
        Error{Error::Kind::conflict,
              fmt::format("the username '{}' is taken in {} (usernames are unique on a server): "
                          "nothing moved",
                          PQgetvalue(users->get(), 0, 0), where)});
  }
  return {};
}

// The target's street of that name, made when it has none; 0 for no street.
Result<domain::StreetId> target_street(Connection& conn, const std::string& name) {
  if (name.empty()) return 0;
  auto found = query(conn, "SELECT street_id FROM streets WHERE name = $1", {name},
                     "find the street on the target");
  if (!found) return std::unexpected(found.error());
  if (PQntuples(found->get()) == 0) {
    found = query(conn, "INSERT INTO streets (name) VALUES ($1) RETURNING street_id", {name},
                  "add the street to the target");
    if (!found) return std::unexpected(found.error());
  }
  return std::stoll(PQgetvalue(found->get(), 0, 0));
}

Result<domain::Community> insert_target_community(Connection& conn, const SourceCommunity& c,
                                                  domain::StreetId street) {
  domain::Community made = c.community;
  made.street_id = street;
  auto r =
      query(conn,
            "INSERT INTO communities (street_id, name, time_zone, created_at, chain_id) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING community_id",
            {street != 0 ? std::optional(std::to_string(street)) : std::nullopt, c.community.name,
             c.community.time_zone, c.created_at, std::to_string(c.community.chain_id)},
            "add the community to the target");
  if (!r) return std::unexpected(r.error());
  made.id = std::stoll(PQgetvalue(r->get(), 0, 0));
  return made;
}

}  // namespace

Result<std::unique_ptr<PendingMove>> write_community(const std::filesystem::path& source,
                                                     domain::CommunityId community,
                                                     std::string_view target_url) {
  auto db = sqlite::open_connection(source, SQLITE_OPEN_READONLY, "");
  if (!db) return std::unexpected(db.error());
  // One snapshot of the source from its first read on (WAL): a laptop still writing is moved as
  // it was at that moment.
  if (auto r = sqlite::exec(db->get(), "BEGIN", "read the source"); !r) {
    return std::unexpected(r.error());
  }
  auto from = read_community(db->get(), community);
  if (!from) return std::unexpected(from.error());
  auto tables = community_tables(db->get());
  if (!tables) return std::unexpected(tables.error());

  auto where = postgres::parse_target(target_url);
  if (!where) return std::unexpected(where.error());
  const std::string target_name =
      fmt::format("the PostgreSQL database '{}' at {}", where->database, where->server);
  auto conn = Connection::open(postgres::ConnectTarget{std::string(target_url)});
  if (!conn) return std::unexpected(conn.error());
  if (auto r = (*conn)->begin(TxMode::write); !r) return std::unexpected(r.error());
  // Rolls back on every early return below; commit() is the caller's.
  auto pending = std::make_unique<PgPendingMove>(std::move(*conn));
  Connection& target = pending->conn();

  if (auto r = check_free(target, *from, target_name); !r) return std::unexpected(r.error());
  auto street = target_street(target, from->street);
  if (!street) return std::unexpected(street.error());
  auto made = insert_target_community(target, *from, *street);
  if (!made) return std::unexpected(made.error());

  std::vector<MovedTable> moved;
  std::vector<LeftTable> left;
  for (const SourceTable& table : *tables) {
    const auto skip = std::ranges::find(kNotMoved, table.name,
                                        &std::pair<std::string_view, std::string_view>::first);
    if (skip != std::end(kNotMoved)) {
      left.push_back({table.name, skip->second});
      continue;
    }
    auto rows = copy_table(db->get(), community, target, made->id, table);
    if (!rows) return std::unexpected(rows.error());
    moved.push_back({table.name, *rows});
  }
  pending->written(from->community, *made, std::move(moved), std::move(left));
  return std::unique_ptr<PendingMove>(std::move(pending));
}

}  // namespace juwei::store::backends
