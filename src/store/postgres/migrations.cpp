// The list of schema steps and the runner that applies them (see migrations.hpp).
#include "store/postgres/migrations.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <string>

namespace juwei::store::postgres {
namespace {

// The advisory lock held while a database is created or migrated: "JUWEMIGR" in ASCII. It has
// one int8 key, and the server keeps one-key and two-key advisory locks apart, so it never meets
// a community's lock (session.hpp).
constexpr std::int64_t kSchemaLock = 0x4A5557454D494752;

Error refuse(Error::Kind kind, std::string message) {
  return Error{kind, std::move(message)};
}

// The first cell of `sql`'s first row ("" when there is none or it is NULL).
Result<std::string> scalar(Connection& conn, std::string_view sql, std::string_view what) {
  auto r = conn.run(sql, what);
  if (!r) return std::unexpected(r.error());
  if (PQntuples(r->get()) == 0 || PQnfields(r->get()) == 0) return std::string();
  return std::string(PQgetvalue(r->get(), 0, 0));
}

// Whether the database holds any relation outside the system schemas (a program's tables).
Result<bool> has_tables(Connection& conn) {
  auto v = scalar(conn, R"sql(
    SELECT EXISTS (
      SELECT 1 FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'))sql",
                  "look for tables");
  if (!v) return std::unexpected(v.error());
  return *v == "t";
}

Result<bool> has_meta(Connection& conn) {
  auto v = scalar(conn, "SELECT to_regclass('juwei_meta') IS NOT NULL", "look for juwei_meta");
  if (!v) return std::unexpected(v.error());
  return *v == "t";
}

// The version juwei_meta records, once it says the database is Juwei's.
Result<int> recorded_version(Connection& conn, std::string_view where) {
  auto application = scalar(conn, "SELECT value::text FROM juwei_meta WHERE key = 'application'",
                            "read juwei_meta");
  if (!application) return std::unexpected(application.error());
  if (*application != "juwei") {
    return std::unexpected(
        refuse(Error::Kind::corrupt,
               fmt::format("{} is not a Juwei database (juwei_meta names the application '{}')",
                           where, *application)));
  }
  auto text = scalar(conn, "SELECT value::text FROM juwei_meta WHERE key = 'schema_version'",
                     "read juwei_meta");
  if (!text) return std::unexpected(text.error());
  int version = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), version);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return std::unexpected(
        refuse(Error::Kind::corrupt,
               fmt::format("{} records an unreadable schema version '{}'", where, *text)));
  }
  return version;
}

// Creates the schema on an empty database: the baseline, which stamps juwei_meta itself.
Result<void> create_schema(Connection& conn) {
  if (auto r = conn.run(schema_sql(), "create the schema"); !r) return std::unexpected(r.error());
  // schema.sql runs inside this transaction: a COMMIT in it would end the lock's protection.
  if (PQtransactionStatus(conn.raw()) != PQTRANS_INTRANS) {
    return std::unexpected(refuse(Error::Kind::io, "schema.sql must not end the transaction"));
  }
  return {};
}

Result<void> apply(Connection& conn, const Migration& m) {
  const std::string what = fmt::format("migrate to schema version {} ({})", m.version, m.name);
  if (auto r = conn.run(m.sql, what); !r) return std::unexpected(r.error());
  auto r = conn.run(
      fmt::format("UPDATE juwei_meta SET value = '{}' WHERE key = 'schema_version'", m.version),
      what);
  if (!r) return std::unexpected(r.error());
  return {};
}

// The work of migrate() inside its transaction.
Result<int> migrate_locked(Connection& conn, std::string_view where) {
  if (auto r = conn.run(fmt::format("SELECT pg_advisory_xact_lock({})", kSchemaLock),
                        "wait for another Juwei preparing this database");
      !r) {
    return std::unexpected(r.error());
  }
  // Looked at only now, with the lock held: READ COMMITTED shows what a Juwei that held it
  // before has committed.
  auto tables = has_tables(conn);
  if (!tables) return std::unexpected(tables.error());
  if (!*tables) {
    if (auto r = create_schema(conn); !r) return std::unexpected(r.error());
  } else {
    auto meta = has_meta(conn);
    if (!meta) return std::unexpected(meta.error());
    if (!*meta) {
      return std::unexpected(refuse(
          Error::Kind::corrupt,
          fmt::format("{} is not a Juwei database: it holds tables but no juwei_meta", where)));
    }
  }

  auto version = recorded_version(conn, where);
  if (!version) return std::unexpected(version.error());
  const int latest = migrations().back().version;
  if (!*tables && *version != kBaselineVersion) {
    return std::unexpected(refuse(
        Error::Kind::io, fmt::format("schema.sql records schema version {}, this build expects {}",
                                     *version, kBaselineVersion)));
  }
  if (*version > latest) {
    return std::unexpected(refuse(
        Error::Kind::too_new,
        fmt::format("{} was written by a newer Juwei (schema version {}; this Juwei knows up to "
                    "{}): upgrade Juwei to open it",
                    where, *version, latest)));
  }
  if (*version < kBaselineVersion) {
    return std::unexpected(
        refuse(Error::Kind::corrupt,
               fmt::format("{} records schema version {}, older than any Juwei on PostgreSQL ({})",
                           where, *version, kBaselineVersion)));
  }
  for (const Migration& m : migrations()) {
    if (m.version <= *version) continue;
    if (auto r = apply(conn, m); !r) return std::unexpected(r.error());
  }
  return latest;
}

// The steps after the baseline, each SQLite's step of the same version translated
// (tests/postgres/check-schema replays them after schema.sql and compares).

// Version 18: a community's audit chain is hashed with its chain id, its own id unless
// `juwei migrate` moved it here from a database where it had another.
constexpr std::string_view kChainIds = R"sql(
ALTER TABLE communities ADD COLUMN chain_id BIGINT NOT NULL DEFAULT 0;
UPDATE communities SET chain_id = community_id;
)sql";

// Version 19: a street office keeps its accounts in a unit of its own (communities.office).
constexpr std::string_view kStreetOffices = R"sql(
ALTER TABLE communities ADD COLUMN office BIGINT NOT NULL DEFAULT 0 CHECK (office IN (0, 1));
CREATE UNIQUE INDEX communities_one_office ON communities (street_id) WHERE office = 1;
)sql";

// Version 20: a day's report as submitted (上报), frozen once per community and day.
constexpr std::string_view kReportSubmissions = R"sql(
CREATE TABLE report_submissions (
  community_id BIGINT NOT NULL REFERENCES communities (community_id),
  day          TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  submitted_by BIGINT NOT NULL,
  figures      TEXT NOT NULL,
  audit_seq    BIGINT NOT NULL DEFAULT 0,
  audit_hash   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (community_id, day)
);
)sql";

}  // namespace

std::span<const Migration> migrations() {
  static const Migration kAll[] = {
      {kBaselineVersion, "baseline: the schema of Juwei's first PostgreSQL release", schema_sql()},
      {18, "communities keep the id their audit chain began with", kChainIds},
      {19, "street offices keep their accounts in a unit of their own", kStreetOffices},
      {20, "daily reports as submitted", kReportSubmissions},
  };
  return kAll;
}

Result<int> migrate(Connection& conn, std::string_view where) {
  if (auto r = conn.begin(TxMode::write); !r) return std::unexpected(r.error());
  auto version = migrate_locked(conn, where);
  if (!version) {
    if (!conn.run("ROLLBACK", "roll back")) conn.drop();
    return version;
  }
  if (auto r = conn.run("COMMIT", "commit the schema"); !r) return std::unexpected(r.error());
  return version;
}

}  // namespace juwei::store::postgres
