// sql::Session on PostgreSQL: one transaction on one pooled connection. Internal to
// store/postgres; belongs to the thread that began it.
//
// Writes run in READ COMMITTED and serialize per community through lock_community (a
// transaction-scoped advisory lock), so a writer that takes its community's lock and then reads
// sees every write committed before it got the lock. Reads run in REPEATABLE READ READ ONLY: one
// consistent snapshot, never blocked and never blocking. A statement that fails ends the
// transaction's usefulness (PostgreSQL refuses the rest): later statements and commit() report
// that first failure. The connection goes back to the pool when the Session ends, rolled back
// if it was neither committed nor rolled back; the Statements it handed out must be gone by
// then (they belong to the connection, which the next Session may use on another thread).
#pragma once

#include <cstdint>
#include <memory>

#include "store/postgres/pool.hpp"
#include "store/sql/driver.hpp"

namespace juwei::store::postgres {

// The first key of every advisory lock Juwei takes on a community: pg_advisory_xact_lock(
// kCommunityLockSpace, community_id). Advisory locks are one name space for everything that
// uses the database; the first of the two int4 keys says whose lock it is. "JUWE" in ASCII,
// the same mark the SQLite backend stamps as its application_id.
inline constexpr std::int32_t kCommunityLockSpace = 0x4A555745;

class Session final : public sql::Session {
 public:
  // Takes a connection from `pool` and begins a transaction on it. An idle connection the
  // server dropped meanwhile is replaced once, transparently: nothing had run on it yet.
  static Result<std::unique_ptr<Session>> begin(const std::shared_ptr<Pool>& pool, TxMode mode);

  ~Session() override;

  Result<sql::Statement*> prepare(const sql::Query& q) override;
  // A temporary table (emptied at commit) filled by COPY: one round trip for the rows.
  Result<void> load_scratch(const sql::ScratchTable& t,
                            std::span<const std::string_view> cells) override;
  Result<void> refresh_statistics(std::string_view table) override;
  // Waits for the lock (up to the pool's lock_timeout: busy) until this transaction ends.
  Result<void> lock_community(domain::CommunityId c) override;
  // An error means the write did not commit, with one exception stated in the message: a
  // connection lost during COMMIT leaves the outcome unknown to us.
  Result<void> commit() override;
  void rollback() override;

 private:
  explicit Session(Lease lease);
  Result<void> ended(std::string_view what) const;

  Lease m_lease;
  bool m_open = true;  // the transaction has not been committed or rolled back
};

}  // namespace juwei::store::postgres
