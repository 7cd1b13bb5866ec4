// Lending, taking back and replacing connections (see pool.hpp). Connections are opened and
// closed outside the lock: a slow server must not stall threads that only return one.
#include "store/postgres/pool.hpp"

#include <fmt/format.h>

#include <utility>

namespace juwei::store::postgres {

Lease::Lease(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> conn, bool reused)
    : m_pool(std::move(pool)), m_conn(std::move(conn)), m_reused(reused) {}

Lease::~Lease() {
  if (m_pool) m_pool->give_back(std::move(m_conn));
}

Result<void> Lease::reconnect() {
  m_conn.reset();
  m_reused = false;
  auto fresh = m_pool->connect();
  if (!fresh) return std::unexpected(fresh.error());
  m_conn = std::move(*fresh);
  return {};
}

std::shared_ptr<Pool> Pool::create(std::string url, Options options) {
  return std::make_shared<Pool>(std::move(url), options);
}

Pool::Pool(std::string url, Options options)
    : m_target{std::move(url), options.lock_timeout}, m_options(options) {}

Result<std::unique_ptr<Connection>> Pool::connect() const {
  return Connection::open(m_target);
}

Result<Lease> Pool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + m_options.acquire_timeout;
  std::unique_lock lock(m_mutex);
  for (;;) {
    if (!m_idle.empty()) {
      std::unique_ptr<Connection> conn = std::move(m_idle.back());
      m_idle.pop_back();
      lock.unlock();
      // Usable when it came back; whether the server still has it shows at its next use.
      return Lease(shared_from_this(), std::move(conn), /*reused*/ true);
    }
    if (m_open < m_options.pool_size) {
      ++m_open;  // the place is taken now; the Lease gives it back if the connect fails
      lock.unlock();
      Lease lease(shared_from_this(), nullptr, /*reused*/ false);
      if (auto r = lease.reconnect(); !r) return std::unexpected(r.error());
      return lease;
    }
    if (m_returned.wait_until(lock, deadline) == std::cv_status::timeout && m_idle.empty() &&
        m_open >= m_options.pool_size) {
      return std::unexpected(
          Error{Error::Kind::busy,
                fmt::format("all database connections in use ({} of {}, waited {} ms)", m_open,
                            m_options.pool_size, m_options.acquire_timeout.count())});
    }
  }
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
  if (conn && conn->usable()) {
    conn->reset_statements();
    std::lock_guard lock(m_mutex);
    m_idle.push_back(std::move(conn));
  } else {
    conn.reset();  // closes it: its place is free for a new one
    std::lock_guard lock(m_mutex);
    --m_open;
  }
  m_returned.notify_one();
}

}  // namespace juwei::store::postgres
