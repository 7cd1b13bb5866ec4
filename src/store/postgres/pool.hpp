// The connections of one Store: up to Options::pool_size of them, opened when first needed and lent
// to one Session at a time. Internal to store/postgres.
//
// Thread safety: acquire() may be called from any thread; a Lease belongs to the thread that
// holds it. A caller that finds every connection lent waits up to `acquire_timeout`, then gets
// busy. A connection that comes back unusable (lost, or not idle) is closed and its place
// freed; one the server dropped while it sat idle is replaced by the Session that finds it so
// (session.hpp), so a server that went away and came back is used again without restarting Juwei.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/store.hpp"

namespace juwei::store::postgres {

class Pool;

// A connection lent by the pool; it goes back when the Lease ends.
class Lease {
 public:
  Lease(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> conn, bool reused);
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  Connection& conn() { return *m_conn; }
  // Whether the connection served an earlier transaction (the server may have dropped it
  // since) rather than being opened for this one.
  bool reused() const { return m_reused; }
  // Closes the connection and opens a new one in its place.
  Result<void> reconnect();

 private:
  std::shared_ptr<Pool> m_pool;
  std::unique_ptr<Connection> m_conn;  // null after a failed reconnect
  bool m_reused;
};

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  static std::shared_ptr<Pool> create(std::string url, Options options);

  // A connection, waiting for one when all are lent: busy "all database connections in use"
  // after acquire_timeout; unavailable when a new connection cannot be opened.
  Result<Lease> acquire();

  // Used through create() only (public for make_shared).
  Pool(std::string url, Options options);

 private:
  friend class Lease;
  Result<std::unique_ptr<Connection>> connect() const;
  // Takes back a lent connection (null: it was lost and closed).
  void give_back(std::unique_ptr<Connection> conn);

  const ConnectTarget m_target;
  const Options m_options;

  std::mutex m_mutex;
  std::condition_variable m_returned;
  std::vector<std::unique_ptr<Connection>> m_idle;  // GUARDED_BY(m_mutex); last in, first out
  std::size_t m_open = 0;  // GUARDED_BY(m_mutex): idle, lent and being opened
};

}  // namespace juwei::store::postgres
