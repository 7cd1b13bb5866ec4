// Opening a PostgreSQL database: connect, check it, migrate it; then a Store that makes one
// Session per transaction (see postgres_store.hpp).
#include "store/postgres/postgres_store.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "store/postgres/error.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/pool.hpp"
#include "store/postgres/session.hpp"
#include "store/sql/transaction.hpp"

namespace juwei::store::postgres {
namespace {

class PgStore final : public Store {
 public:
  PgStore(std::shared_ptr<Pool> pool, int version) : m_pool(std::move(pool)), m_version(version) {}

  Result<std::unique_ptr<Transaction>> begin(TxMode mode) override {
    auto session = Session::begin(m_pool, mode);
    if (!session) return std::unexpected(session.error());
    return sql::make_transaction(std::move(*session));
  }

  int schema_version() const override { return m_version; }

 private:
  std::shared_ptr<Pool> m_pool;
  const int m_version;
};

// Refuses a database whose text would not sort and compare as the SQLite backend's does
// (byte by byte: timestamps are compared as text) or could not hold Chinese text.
Result<void> check_database(Connection& conn, std::string_view where, std::string_view name) {
  auto r = conn.run(
      "SELECT datcollate, pg_encoding_to_char(encoding) FROM pg_database "
      "WHERE datname = current_database()",
      "read the database's collation");
  if (!r) return std::unexpected(r.error());
  const std::string collation = PQntuples(r->get()) == 1 ? PQgetvalue(r->get(), 0, 0) : "";
  const std::string encoding = PQntuples(r->get()) == 1 ? PQgetvalue(r->get(), 0, 1) : "";
  if ((collation == "C" || collation == "POSIX") && encoding == "UTF8") return {};
  return std::unexpected(Error{
      Error::Kind::corrupt,
      fmt::format("{} uses collation '{}' and encoding {}; Juwei compares text byte by byte and "
                  "needs collation C and UTF8: create the database with `createdb --locale=C "
                  "--encoding=UTF8 --template=template0 {}`",
                  where, collation, encoding, name.empty() ? "NAME" : name)});
}

}  // namespace

Result<std::unique_ptr<Store>> open(std::string_view url, const Options& options) {
  auto target = parse_target(url);
  if (!target) return std::unexpected(target.error());
  const std::string where =
      target->database.empty()
          ? fmt::format("the PostgreSQL database at {}", target->server)
          : fmt::format("the PostgreSQL database '{}' at {}", target->database, target->server);

  auto pool = Pool::create(std::string(url), options);
  int version = 0;
  {
    auto lease = pool->acquire();
    if (!lease) return std::unexpected(lease.error());
    if (auto r = check_database(lease->conn(), where, target->database); !r) {
      return std::unexpected(r.error());
    }
    auto migrated = migrate(lease->conn(), where);
    if (!migrated) return std::unexpected(migrated.error());
    version = *migrated;
  }
  return std::make_unique<PgStore>(std::move(pool), version);
}

}  // namespace juwei::store::postgres
