// Group commit in the SQLite backend: concurrent write transactions share one outer
// transaction and one COMMIT. Whatever the grouping, commit() must not return before the write
// is durable, a write destroyed without commit() must leave no trace while its batch-mates
// stay, the ids a transaction allocates must stay unique, and when the batch as a whole fails
// every member's commit() must say so.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "support/juwei_process.hpp"

namespace juwei::store::sqlite {
namespace {

constexpr std::string_view kNow = "2022-04-04T02:00:00Z";

GateEvent event(domain::CommunityId c, const std::string& code) {
  return GateEvent{c, 0, std::string(kNow), "in", "allow", code, 0, 0, "", 7, "online"};
}

class SqliteGroupCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = juwei::testing::scratch_dir("juwei-group-commit-");
    reopen();
  }
  void TearDown() override {
    m_store.reset();
    std::filesystem::remove_all(m_dir);
  }
  void reopen() {
    m_store.reset();
    auto s = open(m_dir / "juwei.db");
    ASSERT_TRUE(s.has_value()) << s.error().message;
    m_store = std::move(*s);
  }

  // Adds a community and returns its id.
  domain::CommunityId community(std::string_view name) {
    auto tx = m_store->begin(TxMode::write).value();
    const auto c = tx->insert_community(domain::Community{0, 0, std::string(name)}, kNow).value();
    EXPECT_TRUE(tx->commit().has_value());
    return c;
  }

  // Every gate event of `c`, in id order, read through a new transaction.
  std::vector<GateEvent> gate_events(domain::CommunityId c) {
    GateEventQuery q{c};
    q.limit = 1'000'000;
    return m_store->begin(TxMode::read).value()->list_gate_events(q).value();
  }

  // Runs `body(thread)` on `threads` threads at once and waits for them.
  template <typename Body>
  static void run_threads(int threads, Body body) {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(body, t);
    for (auto& t : pool)
      t.join();
  }

  std::filesystem::path m_dir;
  std::unique_ptr<Store> m_store;
};

// Failure injection below SQLite: a VFS over the default one that, while told to, fails writes
// to the WAL (a COMMIT that cannot be written) and the reads one thread makes of the database
// and the WAL (a statement that cannot read a page: SQLITE_IOERR, which rolls back the whole
// transaction).
struct FaultyVfs {
  static inline std::atomic<bool> fail_wal_writes{false};
  static inline thread_local bool fail_reads_here = false;

  // Makes the faulty VFS the default while it lives. It stays registered afterwards: connections
  // opened through it keep using it until they close.
  class Installed {
   public:
    Installed() { sqlite3_vfs_register(&vfs(), 1); }
    ~Installed() { sqlite3_vfs_register(real(), 1); }
    Installed(const Installed&) = delete;
    Installed& operator=(const Installed&) = delete;
  };

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;  // the default VFS's file, right after this struct
    int flags;
  };

  static sqlite3_vfs* real() {
    static sqlite3_vfs* const r = sqlite3_vfs_find(nullptr);
    return r;
  }
  static sqlite3_file* under(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }
  static int flags(sqlite3_file* f) { return reinterpret_cast<File*>(f)->flags; }

  static const sqlite3_io_methods& methods() {
    static const sqlite3_io_methods m = [] {
      sqlite3_io_methods x{};
      x.iVersion = 2;  // no xFetch: every read goes through xRead
      x.xClose = [](sqlite3_file* f) { return under(f)->pMethods->xClose(under(f)); };
      x.xRead = [](sqlite3_file* f, void* p, int n, sqlite3_int64 at) {
        if (fail_reads_here && (flags(f) & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) != 0) {
          return SQLITE_IOERR_READ;
        }
        return under(f)->pMethods->xRead(under(f), p, n, at);
      };
      x.xWrite = [](sqlite3_file* f, const void* p, int n, sqlite3_int64 at) {
        if (fail_wal_writes && (flags(f) & SQLITE_OPEN_WAL) != 0) return SQLITE_IOERR_WRITE;
        return under(f)->pMethods->xWrite(under(f), p, n, at);
      };
      x.xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
        return under(f)->pMethods->xTruncate(under(f), size);
      };
      x.xSync = [](sqlite3_file* f, int how) { return under(f)->pMethods->xSync(under(f), how); };
      x.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
        return under(f)->pMethods->xFileSize(under(f), size);
      };
      x.xLock = [](sqlite3_file* f, int l) { return under(f)->pMethods->xLock(under(f), l); };
      x.xUnlock = [](sqlite3_file* f, int l) { return under(f)->pMethods->xUnlock(under(f), l); };
      x.xCheckReservedLock = [](sqlite3_file* f, int* out) {
        return under(f)->pMethods->xCheckReservedLock(under(f), out);
      };
      x.xFileControl = [](sqlite3_file* f, int op, void* arg) {
        return under(f)->pMethods->xFileControl(under(f), op, arg);
      };
      x.xSectorSize = [](sqlite3_file* f) { return under(f)->pMethods->xSectorSize(under(f)); };
      x.xDeviceCharacteristics = [](sqlite3_file* f) {
        return under(f)->pMethods->xDeviceCharacteristics(under(f));
      };
      x.xShmMap = [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
        return under(f)->pMethods->xShmMap(under(f), page, size, extend, out);
      };
      x.xShmLock = [](sqlite3_file* f, int offset, int n, int how) {
        return under(f)->pMethods->xShmLock(under(f), offset, n, how);
      };
      x.xShmBarrier = [](sqlite3_file* f) { under(f)->pMethods->xShmBarrier(under(f)); };
      x.xShmUnmap = [](sqlite3_file* f, int remove) {
        return under(f)->pMethods->xShmUnmap(under(f), remove);
      };
      return x;
    }();
    return m;
  }

  static sqlite3_vfs& vfs() {
    static sqlite3_vfs v = [] {
      sqlite3_vfs x{};
      x.iVersion = 2;
      x.szOsFile = static_cast<int>(sizeof(File)) + real()->szOsFile;
      x.mxPathname = real()->mxPathname;
      x.zName = "juwei-faulty";
      x.xOpen = [](sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int open_flags,
                   int* out_flags) {
        auto* f = reinterpret_cast<File*>(file);
        f->real = reinterpret_cast<sqlite3_file*>(f + 1);
        f->flags = open_flags;
        const int rc = real()->xOpen(real(), name, f->real, open_flags, out_flags);
        file->pMethods = f->real->pMethods != nullptr ? &methods() : nullptr;
        return rc;
      };
      x.xDelete = [](sqlite3_vfs*, const char* name, int sync) {
        return real()->xDelete(real(), name, sync);
      };
      x.xAccess = [](sqlite3_vfs*, const char* name, int how, int* out) {
        return real()->xAccess(real(), name, how, out);
      };
      x.xFullPathname = [](sqlite3_vfs*, const char* name, int n, char* out) {
        return real()->xFullPathname(real(), name, n, out);
      };
      x.xRandomness = [](sqlite3_vfs*, int n, char* out) {
        return real()->xRandomness(real(), n, out);
      };
      x.xSleep = [](sqlite3_vfs*, int us) { return real()->xSleep(real(), us); };
      x.xCurrentTime = [](sqlite3_vfs*, double* out) { return real()->xCurrentTime(real(), out); };
      x.xGetLastError = [](sqlite3_vfs*, int n, char* out) {
        return real()->xGetLastError(real(), n, out);
      };
      x.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* out) {
        return real()->xCurrentTimeInt64(real(), out);
      };
      return x;
    }();
    return v;
  }
};

// Thread-safe list of what went wrong on the worker threads (gtest assertions belong on the
// main thread).
class Problems {
 public:
  void add(std::string what) {
    std::lock_guard lock(m_mutex);
    m_list.push_back(std::move(what));
  }
  std::vector<std::string> list() {
    std::lock_guard lock(m_mutex);
    return m_list;
  }

 private:
  std::mutex m_mutex;
  std::vector<std::string> m_list;
};

// Each write appends a gate event and the next audit record after the last one it reads: a
// batch-mate that did not see the writes before it would reuse a seq and fail. As soon as
// commit() returns, a reader of the pool (which sees only committed data) must find the event;
// after reopening the file every acknowledged write is there, and nothing else.
TEST_F(SqliteGroupCommit, EveryAcknowledgedWriteIsCommittedAndSurvivesReopening) {
  constexpr int kThreads = 16;
  constexpr int kWrites = 200;
  const auto c = community("A");
  Problems problems;
  std::mutex acknowledged_mutex;
  std::map<std::string, std::int64_t> acknowledged;  // code -> event id
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kWrites; ++i) {
      const std::string code = "t" + std::to_string(t) + "-" + std::to_string(i);
      auto tx = m_store->begin(TxMode::write);
      if (!tx) {
        problems.add(code + ": begin: " + tx.error().message);
        continue;
      }
      const auto id = (*tx)->insert_gate_event(event(c, code));
      const auto last = (*tx)->last_audit(c);
      if (!id || !last) {
        problems.add(code + ": insert or read failed");
        continue;
      }
      AuditRecord r{c,      1,         std::string(kNow), 7,
                    "gate", "gate.in", "gate_event",      std::to_string(*id)};
      if (*last) {
        r.seq = (*last)->seq + 1;
        r.prev_hash = (*last)->hash;
      }
      r.policy_version = "v1";
      r.hash = code;
      if (auto a = (*tx)->insert_audit(r); !a) {
        problems.add(code + ": audit seq " + std::to_string(r.seq) + ": " + a.error().message);
        continue;
      }
      if (auto done = (*tx)->commit(); !done) {
        problems.add(code + ": commit: " + done.error().message);
        continue;
      }
      {
        std::lock_guard lock(acknowledged_mutex);
        acknowledged.emplace(code, *id);
      }
      GateEventQuery q{c};
      q.after = *id - 1;
      q.limit = 1;
      const auto seen = m_store->begin(TxMode::read).value()->list_gate_events(q).value();
      if (seen.empty() || seen[0].id != *id || seen[0].code != code) {
        problems.add(code + ": not visible to a reader once commit() returned");
      }
    }
  });
  EXPECT_EQ(problems.list(), std::vector<std::string>{});
  ASSERT_EQ(acknowledged.size(), static_cast<std::size_t>(kThreads * kWrites));

  reopen();
  const auto events = gate_events(c);
  ASSERT_EQ(events.size(), acknowledged.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].id, static_cast<std::int64_t>(i + 1));  // unique and dense: none failed
    const auto it = acknowledged.find(events[i].code);
    ASSERT_NE(it, acknowledged.end()) << events[i].code;
    EXPECT_EQ(it->second, events[i].id) << events[i].code;
  }
  std::int64_t seq = 0;
  std::string prev;
  auto tx = m_store->begin(TxMode::read).value();
  ASSERT_TRUE(tx->for_each_audit(c, 0, [&](const AuditRecord& r) {
    EXPECT_EQ(r.seq, ++seq);
    EXPECT_EQ(r.prev_hash, prev) << "seq " << r.seq;
    prev = r.hash;
    return true;
  }));
  EXPECT_EQ(seq, kThreads * kWrites);
}

// Writes that end without commit(), some after a failed statement, are interleaved with ones
// that commit, so they share batches: theirs vanish, their batch-mates' stay.
TEST_F(SqliteGroupCommit, AWriteDestroyedWithoutCommitLeavesNoTraceAndItsBatchMatesStay) {
  constexpr int kThreads = 16;
  constexpr int kWrites = 150;
  const auto c = community("A");
  Problems problems;
  std::mutex kept_mutex;
  std::set<std::string> kept;
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kWrites; ++i) {
      const bool fail = (i + t) % 3 == 0;
      const std::string code =
          (fail ? "drop-t" : "keep-t") + std::to_string(t) + "-" + std::to_string(i);
      auto tx = m_store->begin(TxMode::write).value();
      if (!tx->insert_gate_event(event(c, code))) problems.add(code + ": insert failed");
      if (fail) {
        if (i % 2 == 0) {
          // A statement fails (a building's name is taken) before the transaction is dropped.
          (void)tx->insert_building(domain::Building{c, 0, "dup", 1});
          (void)tx->insert_building(domain::Building{c, 0, "dup", 1});
        }
        continue;  // destroyed without commit
      }
      if (auto done = tx->commit(); !done) {
        problems.add(code + ": commit: " + done.error().message);
        continue;
      }
      std::lock_guard lock(kept_mutex);
      kept.insert(code);
    }
  });
  EXPECT_EQ(problems.list(), std::vector<std::string>{});

  reopen();
  const auto events = gate_events(c);
  std::set<std::string> found;
  std::set<std::int64_t> ids;
  for (const GateEvent& e : events) {
    EXPECT_TRUE(e.code.starts_with("keep-")) << e.code << " was never committed";
    found.insert(e.code);
    ids.insert(e.id);
  }
  EXPECT_EQ(found, kept);
  EXPECT_EQ(ids.size(), events.size());
  EXPECT_EQ(events.size(), kept.size());
  auto tx = m_store->begin(TxMode::read).value();
  EXPECT_FALSE(tx->find_building(c, "dup").value()) << "only dropped transactions wrote it";
}

// Every write allocates from several sequences of two communities; a quarter are dropped after
// allocating. The ids handed to committed writes are unique per community and sequence, and are
// the ids stored.
TEST_F(SqliteGroupCommit, SequenceIdsAllocatedConcurrentlyAreUnique) {
  constexpr int kThreads = 8;
  constexpr int kWrites = 100;
  const auto a = community("A");
  const auto b = community("B");
  Problems problems;
  std::mutex ids_mutex;
  std::map<std::string, std::int64_t> event_ids;     // code -> id, community a
  std::map<std::string, std::int64_t> building_ids;  // name -> id, community b
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kWrites; ++i) {
      const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
      auto tx = m_store->begin(TxMode::write).value();
      const auto first = tx->insert_gate_event(event(a, name + "-1"));
      const auto building = tx->insert_building(domain::Building{b, 0, name, 6});
      const auto second = tx->insert_gate_event(event(a, name + "-2"));
      if (!first || !building || !second) {
        problems.add(name + ": insert failed");
        continue;
      }
      if (*second != *first + 1) problems.add(name + ": ids within a transaction not in turn");
      if (i % 4 == 3) continue;  // destroyed without commit
      if (auto done = tx->commit(); !done) {
        problems.add(name + ": commit: " + done.error().message);
        continue;
      }
      std::lock_guard lock(ids_mutex);
      event_ids.emplace(name + "-1", *first);
      event_ids.emplace(name + "-2", *second);
      building_ids.emplace(name, *building);
    }
  });
  EXPECT_EQ(problems.list(), std::vector<std::string>{});

  std::set<std::int64_t> unique_events;
  for (const auto& [code, id] : event_ids)
    unique_events.insert(id);
  EXPECT_EQ(unique_events.size(), event_ids.size());
  std::set<std::int64_t> unique_buildings;
  for (const auto& [name, id] : building_ids)
    unique_buildings.insert(id);
  EXPECT_EQ(unique_buildings.size(), building_ids.size());

  reopen();
  const auto events = gate_events(a);
  ASSERT_EQ(events.size(), event_ids.size());
  for (const GateEvent& e : events)
    EXPECT_EQ(event_ids.at(e.code), e.id) << e.code;
  const auto buildings = m_store->begin(TxMode::read).value()->list_buildings(b).value();
  ASSERT_EQ(buildings.size(), building_ids.size());
  for (const domain::Building& x : buildings)
    EXPECT_EQ(building_ids.at(x.name), x.id) << x.name;
}

// Writes fail under the store while transactions run. A COMMIT that cannot be written fails
// every member of its batch. A member whose statement cannot read a page (a page of another
// community's gate log, read nowhere else, so never cached) rolls back the whole outer
// transaction, earlier members' released savepoints included, and those members must be told.
// Whatever failed, after reopening the file holds exactly the writes whose commit() succeeded,
// each whole (its gate event and its building).
TEST_F(SqliteGroupCommit, WhenTheBatchFailsEveryMemberIsToldAndOnlyAcknowledgedWritesStay) {
  constexpr int kThreads = 8;
  constexpr int kWrites = 150;
  constexpr int kPageApart = 100;  // gate events of the other community per victim: a page or more
  const auto c = community("A");
  const auto other = community("B");
  {
    auto tx = m_store->begin(TxMode::write).value();
    for (int i = 0; i < kThreads * kWrites * kPageApart / 4; ++i)
      ASSERT_TRUE(tx->insert_gate_event(event(other, "old")));
    ASSERT_TRUE(tx->commit());
  }
  FaultyVfs::Installed faulty;
  reopen();  // nothing cached
  std::mutex acknowledged_mutex;
  std::set<std::string> acknowledged;
  std::atomic<int> failed_reads{0};
  std::atomic<int> failed_commits{0};
  std::atomic<int> victims{0};
  std::atomic<int> writers_left{kThreads};
  std::thread saboteur([&] {
    std::mt19937 rng(2022);
    std::uniform_int_distribution<int> pause_us(500, 5000);
    std::uniform_int_distribution<int> fault_us(100, 1000);
    while (writers_left > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(pause_us(rng)));
      FaultyVfs::fail_wal_writes = true;
      std::this_thread::sleep_for(std::chrono::microseconds(fault_us(rng)));
      FaultyVfs::fail_wal_writes = false;
    }
  });
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kWrites; ++i) {
      const std::string code = "t" + std::to_string(t) + "-" + std::to_string(i);
      auto tx = m_store->begin(TxMode::write);
      if (!tx || !(*tx)->insert_gate_event(event(c, code)) ||
          !(*tx)->insert_building(domain::Building{c, 0, code, 6})) {
        continue;  // destroyed without commit
      }
      if ((i + t) % 4 == 0) {
        GateEventQuery q{other};
        q.after = ++victims * kPageApart;
        q.limit = 1;
        FaultyVfs::fail_reads_here = true;
        const bool read = (*tx)->list_gate_events(q).has_value();
        FaultyVfs::fail_reads_here = false;
        if (!read) {
          ++failed_reads;
          continue;
        }
      }
      if (!(*tx)->commit()) {
        ++failed_commits;
        continue;
      }
      std::lock_guard lock(acknowledged_mutex);
      acknowledged.insert(code);
    }
    --writers_left;
  });
  saboteur.join();
  EXPECT_GT(failed_reads.load(), 0) << "no read failed: the test proved nothing";
  EXPECT_GT(failed_commits.load(), 0) << "no commit failed: the test proved nothing";
  {
    auto tx = m_store->begin(TxMode::write).value();  // the store recovered
    ASSERT_TRUE(tx->insert_gate_event(event(c, "after")));
    ASSERT_TRUE(tx->insert_building(domain::Building{c, 0, "after", 6}));
    ASSERT_TRUE(tx->commit());
    acknowledged.insert("after");
  }

  reopen();
  std::set<std::string> events;
  for (const GateEvent& e : gate_events(c))
    events.insert(e.code);
  EXPECT_EQ(events, acknowledged);
  std::set<std::string> buildings;
  const auto listed = m_store->begin(TxMode::read).value()->list_buildings(c).value();
  for (const domain::Building& b : listed)
    buildings.insert(b.name);
  EXPECT_EQ(buildings, acknowledged);
}

// An in-memory database has no reader pool: reads take the writer and commit any open batch
// first. Readers beside the writers see whole transactions only (each adds two buildings), and
// nobody waits forever.
TEST(SqliteGroupCommitInMemory, ReadsOnTheWriterSeeWholeTransactionsOnly) {
  constexpr int kWriters = 8;
  constexpr int kWrites = 100;
  auto store = open(":memory:").value();
  const auto c = [&] {
    auto tx = store->begin(TxMode::write).value();
    const auto id = tx->insert_community(domain::Community{0, 0, "A"}, kNow).value();
    EXPECT_TRUE(tx->commit().has_value());
    return id;
  }();
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> torn{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      while (writers_left > 0) {
        auto tx = store->begin(TxMode::read);
        const auto counts = tx ? (*tx)->count_registry(c) : std::unexpected(tx.error());
        if (!counts) {
          ++failed;
        } else if (counts->buildings % 2 != 0) {
          ++torn;
        }
      }
    });
  }
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        auto tx = store->begin(TxMode::write).value();
        const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!tx->insert_building(domain::Building{c, 0, name + "-1", 6}) ||
            !tx->insert_building(domain::Building{c, 0, name + "-2", 6}) || !tx->commit()) {
          ++failed;
        }
      }
      --writers_left;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(store->begin(TxMode::read).value()->count_registry(c).value().buildings,
            2 * kWriters * kWrites);
}

}  // namespace
}  // namespace juwei::store::sqlite
