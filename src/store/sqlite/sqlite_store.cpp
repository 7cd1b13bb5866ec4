#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "store/sql/driver.hpp"
#include "store/sql/transaction.hpp"
#include "store/sqlite/db.hpp"

namespace juwei::store::sqlite {
namespace {

// A prepared statement of one connection (sql::Statement), kept for the connection's life.
class SqliteStatement final : public sql::Statement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::string text)
      : m_db(db), m_stmt(stmt), m_text(std::move(text)) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() override { sqlite3_finalize(m_stmt); }

  const std::string& text() const { return m_text; }

  void bind_int(int i, std::int64_t v) override { sqlite3_bind_int64(m_stmt, i, v); }
  void bind_text(int i, std::string_view v) override {
    sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_text_borrowed(int i, std::string_view v) override {
    sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void bind_blob(int i, std::string_view v) override {
    sqlite3_bind_blob(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int i) override { sqlite3_bind_null(m_stmt, i); }

  Result<bool> step(std::string_view what) override {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      m_changes = sqlite3_changes64(m_db);
      return false;
    }
    return std::unexpected(make_error(m_db, rc, what));
  }
  std::int64_t integer(int col) const override { return sqlite3_column_int64(m_stmt, col); }
  std::string_view view(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return p == nullptr
               ? std::string_view()
               : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col)));
  }
  std::string blob(int col) const override {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(m_stmt, col));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(m_stmt, col));
  }
  bool is_null(int col) const override { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  // A statement that changes rows returns none (RETURNING aside), so its changes are known
  // when it is done.
  std::int64_t changes() const override { return m_changes; }
  void reset() override {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
    m_changes = 0;
  }

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt;
  std::string m_text;
  std::int64_t m_changes = 0;
};

// One SQLite connection and the statements prepared on it, by their stable ids (sql::Query). A
// read on a reader of the pool holds the connection's mutex from begin() until it ends; the
// writer is handed out by Writer instead.
struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
};

struct Connection {
  DbHandle db;
  std::mutex mutex;
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>, IdHash, std::equal_to<>>
      statements;

  explicit Connection(DbHandle handle) : db(std::move(handle)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    statements.clear();  // finalized before the connection closes
  }

  // Statements are prepared once and kept. One id is one text: a second text under a known id
  // is a mistake in the aggregate code, refused rather than run.
  Result<sql::Statement*> statement(const sql::Query& q) {
    if (auto it = statements.find(q.id); it != statements.end()) {
      const std::string& known = it->second->text();
      if (known.data() != q.text.data() && known != q.text) {
        return std::unexpected(Error{
            Error::Kind::corrupt, "statement " + std::string(q.id) + " has two different texts"});
      }
      return it->second.get();
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db.get(), q.text.data(), static_cast<int>(q.text.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return std::unexpected(make_error(db.get(), rc, "prepare " + std::string(q.id)));
    }
    auto [it, _] = statements.emplace(
        std::string(q.id), std::make_unique<SqliteStatement>(db.get(), stmt, std::string(q.text)));
    return it->second.get();
  }
};

// Group commit: the outer SQLite transaction that write Transactions running one after another
// share. Each runs in its own savepoint of it, and one COMMIT (one fsync) makes them all durable.
struct Batch {
  const std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now();
  // Touched only by the transaction that owns the writer.
  std::size_t members = 0;    // joined, rolled back ones included
  std::size_t committed = 0;  // released their savepoint and wait for the COMMIT
  // GUARDED_BY(Writer::m_mutex); set once, when the outer transaction has ended.
  bool ended = false;
  std::optional<Error> error;  // why the batch is not durable
  std::condition_variable ended_cv;
};

// The writer connection and who may use it. One Transaction at a time owns it: a write from
// begin() until commit() or its end, or a read of an in-memory database (which has no reader
// pool).
//
// A write runs in a savepoint of the open batch, beginning one (BEGIN IMMEDIATE) if none is
// open. Whoever gives the connection up decides what happens to the batch: when another
// transaction is waiting for the connection and the batch is small and young (kMaxBatch,
// kMaxBatchAge), the waiter takes the connection and joins the batch, and the one leaving waits
// for the batch to end; otherwise the one leaving ends it (COMMIT, or ROLLBACK when no member
// is to be kept) and wakes its members. So the last member of a batch, committed or rolled
// back, always ends it, and a commit() waits at most the age bound, one more member and one
// COMMIT.
class Writer {
 public:
  // Bounds of a batch, so the first member's commit() is not held up for long.
  static constexpr std::size_t kMaxBatch = 64;
  static constexpr std::chrono::milliseconds kMaxBatchAge{5};

  explicit Writer(std::unique_ptr<Connection> connection) : m_conn(std::move(connection)) {}
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Connection& connection() { return *m_conn; }

  // Takes the connection for a write and opens the write's savepoint in the open batch.
  Result<std::shared_ptr<Batch>> begin_write();
  // Releases the write's savepoint, gives the connection up and returns once the batch is
  // durable; an error (the batch's COMMIT failed, or the batch was rolled back) means the
  // write is not in the database. Never returns while the outcome is unknown.
  Result<void> commit_write(const std::shared_ptr<Batch>& batch);
  // Undoes the write's savepoint, and only that, then gives the connection up.
  void rollback_write(const std::shared_ptr<Batch>& batch);

  // Takes the connection for a read (BEGIN). An open batch is committed first: its members
  // have not been told their writes are durable, so no read may see them before that.
  Result<void> begin_read();
  // Gives the connection up after a read has ended.
  void release();

 private:
  void acquire();
  // Gives the connection up after a member of `batch` is done with it (`committed`: the
  // member waits for the batch's outcome and gets it back).
  Result<void> leave(const std::shared_ptr<Batch>& batch, bool committed);
  // Commits the open batch (rolls it back when no member is to be kept) and wakes its members
  // with the outcome.
  Result<void> end_batch();
  // Marks `batch` ended with `error` and wakes its members; m_mutex held.
  static void finish(Batch& batch, std::optional<Error> error);

  sqlite3* db() const { return m_conn->db.get(); }

  std::unique_ptr<Connection> m_conn;
  std::shared_ptr<Batch> m_batch;  // the open outer transaction; touched only by the owner
  std::mutex m_mutex;
  std::condition_variable m_free;  // notified when the connection is given up
  bool m_owned = false;            // GUARDED_BY(m_mutex)
  std::size_t m_waiting = 0;       // GUARDED_BY(m_mutex): threads waiting in acquire()
};

void Writer::acquire() {
  std::unique_lock lock(m_mutex);
  ++m_waiting;
  m_free.wait(lock, [this] { return !m_owned; });
  --m_waiting;
  m_owned = true;
}

void Writer::release() {
  std::lock_guard lock(m_mutex);
  m_owned = false;
  m_free.notify_one();
}

void Writer::finish(Batch& batch, std::optional<Error> error) {
  batch.ended = true;
  batch.error = std::move(error);
  batch.ended_cv.notify_all();
}

Result<std::shared_ptr<Batch>> Writer::begin_write() {
  acquire();
  if (!m_batch) {
    if (auto r = exec(db(), "BEGIN IMMEDIATE", "begin transaction"); !r) {
      release();
      return std::unexpected(r.error());
    }
    m_batch = std::make_shared<Batch>();
  }
  std::shared_ptr<Batch> batch = m_batch;
  ++batch->members;
  if (auto r = exec(db(), "SAVEPOINT juwei_write", "begin transaction"); !r) {
    (void)leave(batch, false);
    return std::unexpected(r.error());
  }
  return batch;
}

Result<void> Writer::commit_write(const std::shared_ptr<Batch>& batch) {
  if (auto r = exec(db(), "RELEASE juwei_write", "commit"); !r) {
    rollback_write(batch);
    return r;
  }
  ++batch->committed;
  return leave(batch, true);
}

void Writer::rollback_write(const std::shared_ptr<Batch>& batch) {
  // A savepoint that cannot be undone takes the whole batch with it: a failed write must never
  // be committed along with the others.
  if (!exec(db(), "ROLLBACK TO juwei_write; RELEASE juwei_write", "rollback") &&
      sqlite3_get_autocommit(db()) == 0) {
    (void)exec(db(), "ROLLBACK", "rollback");
  }
  (void)leave(batch, false);
}

Result<void> Writer::begin_read() {
  acquire();
  if (m_batch) (void)end_batch();  // its members get the outcome
  if (auto r = exec(db(), "BEGIN", "begin transaction"); !r) {
    release();
    return r;
  }
  return {};
}

Result<void> Writer::leave(const std::shared_ptr<Batch>& batch, bool committed) {
  if (sqlite3_get_autocommit(db()) != 0) {
    // Some errors (a full disk, I/O, out of memory, a lock held too long) roll back the whole
    // outer transaction, every member's released savepoint with it: nobody in it is durable,
    // and the members waiting for it were told nothing yet.
    const Error lost{Error::Kind::io,
                     "commit: rolled back with a transaction that shared its commit and failed"};
    m_batch.reset();
    std::lock_guard lock(m_mutex);
    finish(*batch, lost);
    m_owned = false;
    m_free.notify_one();
    if (committed) return std::unexpected(lost);
    return {};
  }
  std::unique_lock lock(m_mutex);
  if (m_waiting > 0 && batch->members < kMaxBatch &&
      std::chrono::steady_clock::now() - batch->opened < kMaxBatchAge) {
    // A waiter takes the connection and joins the batch; the batch's last member ends it.
    m_owned = false;
    m_free.notify_one();
    if (!committed) return {};
    batch->ended_cv.wait(lock, [&batch] { return batch->ended; });
    if (batch->error) return std::unexpected(*batch->error);
    return {};
  }
  lock.unlock();
  auto r = end_batch();
  release();
  if (committed) return r;
  return {};
}

Result<void> Writer::end_batch() {
  const std::shared_ptr<Batch> batch = std::exchange(m_batch, nullptr);
  // Members that all rolled back leave nothing to keep: ROLLBACK spares the fsync.
  auto r =
      batch->committed > 0 ? exec(db(), "COMMIT", "commit") : exec(db(), "ROLLBACK", "rollback");
  if (!r && sqlite3_get_autocommit(db()) == 0) (void)exec(db(), "ROLLBACK", "rollback");
  std::lock_guard lock(m_mutex);
  finish(*batch, r ? std::nullopt : std::optional<Error>(r.error()));
  return r;
}

// One transaction on a connection (sql::Session): a read on a reader of the pool, whose mutex
// `lock` holds, or one that owns the writer: a write in `batch`, or a read when `batch` is null.
class SqliteSession final : public sql::Session {
 public:
  SqliteSession(Connection& reader, std::unique_lock<std::mutex> lock)
      : m_conn(reader), m_lock(std::move(lock)) {}
  SqliteSession(Writer& writer, std::shared_ptr<Batch> batch)
      : m_conn(writer.connection()), m_writer(&writer), m_batch(std::move(batch)) {}
  SqliteSession(const SqliteSession&) = delete;
  SqliteSession& operator=(const SqliteSession&) = delete;
  ~SqliteSession() override { rollback(); }

  Result<sql::Statement*> prepare(const sql::Query& q) override { return m_conn.statement(q); }

  // SQLite has one writer: a write transaction holds every community's lock already.
  Result<void> lock_community(domain::CommunityId) override { return {}; }

  Result<void> commit() override {
    if (m_ended)
      return std::unexpected(Error{Error::Kind::io, "commit: the transaction has ended"});
    if (m_batch) {
      m_ended = true;  // committed or not, the savepoint is gone and the writer given up
      return m_writer->commit_write(m_batch);
    }
    if (auto r = exec(db(), "COMMIT", "commit"); !r) {
      rollback();
      return r;
    }
    end();
    return {};
  }

  void rollback() override {
    if (m_ended) return;
    if (m_batch) {
      m_ended = true;
      m_writer->rollback_write(m_batch);
      return;
    }
    (void)exec(db(), "ROLLBACK", "rollback");
    end();
  }

 private:
  sqlite3* db() const { return m_conn.db.get(); }
  // Gives the connection up: the next transaction may begin while this object lives on.
  void end() {
    m_ended = true;
    if (m_writer != nullptr) {
      m_writer->release();
    } else if (m_lock.owns_lock()) {
      m_lock.unlock();
    }
  }

  Connection& m_conn;
  std::unique_lock<std::mutex> m_lock;  // a pool reader's
  Writer* m_writer = nullptr;           // set when the transaction owns the writer
  std::shared_ptr<Batch> m_batch;       // a write's batch
  bool m_ended = false;
};

// Writes go through one connection, one transaction at a time (SQLite has one writer), grouped
// into batches that commit together (see Writer). Reads go through a pool of read-only
// connections that, in WAL mode, run beside the writer and beside each other and see only
// committed data; an in-memory database has no pool and reads on the writer.
class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Connection> writer, std::vector<std::unique_ptr<Connection>> readers,
              int version)
      : m_writer(std::move(writer)), m_readers(std::move(readers)), m_version(version) {}
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<std::unique_ptr<Transaction>> begin(TxMode mode) override {
    if (mode == TxMode::write) {
      auto batch = m_writer.begin_write();
      if (!batch) return std::unexpected(batch.error());
      return sql::make_transaction(std::make_unique<SqliteSession>(m_writer, std::move(*batch)));
    }
    if (m_readers.empty()) {
      if (auto r = m_writer.begin_read(); !r) return std::unexpected(r.error());
      return sql::make_transaction(std::make_unique<SqliteSession>(m_writer, nullptr));
    }
    Connection& reader = free_reader();
    std::unique_lock lock(reader.mutex, std::adopt_lock);
    if (auto r = exec(reader.db.get(), "BEGIN", "begin transaction"); !r) {
      return std::unexpected(r.error());
    }
    return sql::make_transaction(std::make_unique<SqliteSession>(reader, std::move(lock)));
  }

  int schema_version() const override { return m_version; }

 private:
  // Locks and returns a reader: the first idle one after the last handed out, else waits for
  // the next in turn.
  Connection& free_reader() {
    const std::size_t start = m_turn.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < m_readers.size(); ++i) {
      Connection& c = *m_readers[(start + i) % m_readers.size()];
      if (c.mutex.try_lock()) return c;
    }
    Connection& c = *m_readers[start % m_readers.size()];
    c.mutex.lock();
    return c;
  }

  Writer m_writer;
  std::vector<std::unique_ptr<Connection>> m_readers;
  std::atomic<std::size_t> m_turn{0};
  int m_version;
};

Result<int> migrate(sqlite3* db) {
  if (auto r = exec(db, "BEGIN IMMEDIATE", "begin migration"); !r)
    return std::unexpected(r.error());
  auto fail = [db](Error e) -> Result<int> {
    (void)exec(db, "ROLLBACK", "rollback migration");
    return std::unexpected(std::move(e));
  };
  auto app_id = pragma_int(db, "PRAGMA application_id");
  auto version = pragma_int(db, "PRAGMA user_version");
  auto tables = pragma_int(db, "SELECT count(*) FROM sqlite_schema");
  if (!app_id) return fail(app_id.error());
  if (!version) return fail(version.error());
  if (!tables) return fail(tables.error());
  if (*tables > 0 && *app_id != kApplicationId) {
    return fail(Error{Error::Kind::corrupt, "the file is an SQLite database, but not Juwei's"});
  }
  const int latest = static_cast<int>(migrations().size());
  if (*version > latest) {
    return fail(Error{Error::Kind::too_new, "the database has schema version " +
                                                std::to_string(*version) +
                                                ", newer than this Juwei knows (" +
                                                std::to_string(latest) + "); use a newer juwei"});
  }
  for (const Migration& m : migrations()) {
    if (m.version <= *version) continue;
    if (auto r = exec(db, m.sql, "migration " + std::to_string(m.version)); !r) {
      return fail(r.error());
    }
    if (m.data != nullptr) {
      if (auto r = m.data(db); !r) return fail(r.error());
    }
    const std::string set = "PRAGMA user_version = " + std::to_string(m.version);
    if (auto r = exec(db, set, "set schema version"); !r) return fail(r.error());
  }
  const std::string stamp = "PRAGMA application_id = " + std::to_string(kApplicationId);
  if (auto r = exec(db, stamp, "stamp application id"); !r) return fail(r.error());
  if (auto r = exec(db, "COMMIT", "commit migration"); !r) return fail(r.error());
  return latest;
}

}  // namespace

Result<std::unique_ptr<Store>> open(const std::filesystem::path& path) {
  // WAL lets readers run beside the writer; synchronous=FULL makes every acknowledged commit
  // durable; page caches are capped so memory stays flat however large the database grows.
  static constexpr std::string_view kWriterSetup =
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
      "PRAGMA cache_size = -32768; PRAGMA temp_store = FILE;";
  // Readers answer one community's questions: their temporary b-trees (IN lists, sorts of a
  // few thousand rows) stay in memory, which saves a temporary file per search.
  static constexpr std::string_view kReaderSetup =
      "PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;";
  auto db = open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kWriterSetup);
  if (!db) return std::unexpected(db.error());
  auto version = migrate(db->get());
  if (!version) return std::unexpected(version.error());

  std::vector<std::unique_ptr<Connection>> readers;
  const std::string name = path.string();
  if (!name.empty() && name != ":memory:" && !name.starts_with("file:")) {
    const unsigned count = std::clamp(std::thread::hardware_concurrency(), 2U, 8U);
    for (unsigned i = 0; i < count; ++i) {
      auto reader = open_connection(path, SQLITE_OPEN_READONLY, kReaderSetup);
      if (!reader) return std::unexpected(reader.error());
      readers.push_back(std::make_unique<Connection>(std::move(*reader)));
    }
  }
  return std::make_unique<SqliteStore>(std::make_unique<Connection>(std::move(*db)),
                                       std::move(readers), *version);
}

}  // namespace juwei::store::sqlite
