#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "domain/pinyin.hpp"
#include "store/sqlite/db.hpp"

namespace juwei::store::sqlite {
namespace {

using domain::BuildingId;
using domain::CommunityId;
using domain::HouseholdId;
using domain::ResidentId;

// A prepared statement borrowed from the store's cache; reset and unbound on scope exit so
// the next user finds it clean.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }

  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(m_stmt, i, v);
    return *this;
  }
  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Binds text without copying it, for statements run once per row: `v` must stay valid
  // until this Stmt ends (never a temporary).
  Stmt& bind_borrowed(int i, std::string_view v) {
    sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(m_stmt, i);
    return *this;
  }

  // true: a row is ready; false: done. Errors come back as Error.
  Result<bool> step(std::string_view what) {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(make_error(m_db, rc, what));
  }
  Result<void> run(std::string_view what) {
    auto r = step(what);
    if (!r) return std::unexpected(r.error());
    return {};
  }

  std::int64_t integer(int col) const { return sqlite3_column_int64(m_stmt, col); }
  std::string blob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(m_stmt, col));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(m_stmt, col));
  }
  bool is_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::string text(int col) const { return std::string(view(col)); }
  // The column's text without a copy: valid until the next step or the Stmt's end.
  std::string_view view(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return p == nullptr
               ? std::string_view()
               : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col)));
  }

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt;
};

domain::Date parse_date_or_epoch(std::string_view text) {
  return domain::parse_iso_date(text).value_or(domain::Date{});
}

// Steps through every row of `s`, reading each with `read`.
template <typename Read>
auto collect(Stmt& s, std::string_view what, Read read)
    -> Result<std::vector<std::invoke_result_t<Read, const Stmt&>>> {
  std::vector<std::invoke_result_t<Read, const Stmt&>> out;
  while (true) {
    auto row = s.step(what);
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read(s));
  }
}

// Escapes LIKE wildcards so user text matches literally (ESCAPE '\').
std::string like_pattern(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

constexpr const char* kResidentColumns =
    "r.community_id, r.resident_id, r.household_id, r.name, r.gender, r.birth_date, "
    "r.id_number, r.phone, r.relation, r.vulnerabilities, r.volunteer, r.notes, "
    "coalesce(r.deleted_at, ''), r.deleted_reason, b.name, h.room";
constexpr const char* kResidentJoin =
    " FROM residents r JOIN households h ON h.community_id = r.community_id AND "
    "h.household_id = r.household_id JOIN buildings b ON b.community_id = h.community_id AND "
    "b.building_id = h.building_id";

domain::Resident read_resident(const Stmt& s, int first = 0) {
  domain::Resident r;
  r.community_id = s.integer(first + 0);
  r.id = s.integer(first + 1);
  r.household_id = s.integer(first + 2);
  r.name = s.text(first + 3);
  r.gender = domain::gender_from_code(s.text(first + 4)).value_or(domain::Gender::male);
  r.birth_date = parse_date_or_epoch(s.text(first + 5));
  r.id_number = s.text(first + 6);
  r.phone = s.text(first + 7);
  r.relation = domain::relation_from_code(s.text(first + 8)).value_or(domain::Relation::other);
  r.vulnerabilities = domain::Vulnerabilities(static_cast<std::uint8_t>(s.integer(first + 9)));
  r.volunteer = s.integer(first + 10) != 0;
  r.notes = s.text(first + 11);
  r.removal = domain::Removal{s.text(first + 12), s.text(first + 13)};
  return r;
}

// Binds a removal as (deleted_at, deleted_reason) at i and i + 1; a live record has NULL.
void bind_removal(Stmt& s, int i, const domain::Removal& removal) {
  if (removal.removed()) {
    s.bind(i, removal.at);
  } else {
    s.bind_null(i);
  }
  s.bind(i + 1, removal.reason);
}

ResidentRow read_resident_row(const Stmt& s) {
  return ResidentRow{read_resident(s), s.text(14), s.text(15)};
}

// One SQLite connection and the statements prepared on it. A read Transaction on a reader of
// the pool holds the connection's mutex from begin() until commit() or its end; the writer is
// handed out by Writer instead.
// Statements are found by their SQL text, not by where the text is: a statement built in a
// temporary string finds the same prepared statement as the literal, and two different texts
// never share one, whatever addresses they had.
struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
};

struct Connection {
  DbHandle db;
  std::mutex mutex;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> statements;

  explicit Connection(DbHandle handle) : db(std::move(handle)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& [sql, stmt] : statements)
      sqlite3_finalize(stmt);
  }

  // Statements are prepared once and kept.
  Result<sqlite3_stmt*> statement(std::string_view sql) {
    if (auto it = statements.find(sql); it != statements.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(make_error(db.get(), rc, "prepare"));
    statements.emplace(std::string(sql), stmt);
    return stmt;
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

class SqliteTransaction final : public Transaction {
 public:
  // A read on a reader of the pool, whose mutex `lock` holds.
  SqliteTransaction(Connection& reader, std::unique_lock<std::mutex> lock)
      : m_conn(reader), m_lock(std::move(lock)) {}
  // A transaction that owns the writer: a write in `batch`, or a read when `batch` is null.
  SqliteTransaction(Writer& writer, std::shared_ptr<Batch> batch)
      : m_conn(writer.connection()), m_writer(&writer), m_batch(std::move(batch)) {}
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction() override;

  Result<void> commit() override;

  Result<domain::StreetId> ensure_street(std::string_view name) override;
  Result<CommunityId> insert_community(const domain::Community& c,
                                       std::string_view created_at) override;
  Result<std::vector<domain::Community>> list_communities() override;

  Result<std::optional<domain::Building>> find_building(CommunityId c,
                                                        std::string_view name) override;
  Result<std::optional<domain::Building>> get_building(CommunityId c, BuildingId id) override;
  Result<BuildingId> insert_building(const domain::Building& b) override;
  Result<void> update_building(const domain::Building& b) override;
  Result<std::vector<domain::Building>> list_buildings(CommunityId c) override;
  Result<std::optional<domain::Household>> find_household(CommunityId c, BuildingId b,
                                                          std::string_view room) override;
  Result<std::optional<domain::Household>> get_household(CommunityId c, HouseholdId id) override;
  Result<HouseholdId> insert_household(const domain::Household& h) override;
  Result<void> update_household(const domain::Household& h) override;
  Result<std::vector<domain::Household>> list_households(CommunityId c,
                                                         std::optional<BuildingId> building,
                                                         HouseholdId after,
                                                         std::size_t limit) override;
  Result<std::int64_t> count_households(CommunityId c, BuildingId b) override;
  Result<std::int64_t> count_residents(CommunityId c, HouseholdId h) override;

  Result<std::optional<domain::Resident>> find_resident_by_id_number(
      CommunityId c, std::string_view id_number) override;
  Result<ResidentId> insert_resident(const domain::Resident& r, std::string_view now) override;
  Result<void> update_resident(const domain::Resident& r, std::string_view now) override;
  Result<std::optional<ResidentRow>> get_resident(CommunityId c, ResidentId id) override;
  Result<std::vector<ResidentRow>> search_residents(const ResidentQuery& q) override;
  Result<void> for_each_resident(CommunityId c,
                                 const std::function<bool(const ResidentRow&)>& f) override;
  Result<RegistryCounts> count_registry(CommunityId c) override;

  Result<std::int64_t> insert_import(const ImportRecord& record) override;
  Result<std::vector<ImportRecord>> list_imports(CommunityId c) override;

  Result<domain::UserId> insert_user(const domain::User& u, std::string_view password_hash,
                                     std::string_view now) override;
  Result<std::optional<StoredUser>> find_user(std::string_view username) override;
  Result<std::optional<StoredUser>> get_user(CommunityId c, domain::UserId id) override;
  Result<std::vector<domain::User>> list_users(CommunityId c) override;
  Result<void> set_user_password(CommunityId c, domain::UserId id,
                                 std::string_view password_hash) override;
  Result<void> set_user_disabled(CommunityId c, domain::UserId id, bool disabled) override;
  Result<void> set_login_failures(CommunityId c, domain::UserId id, int failures,
                                  std::string_view locked_until) override;
  Result<void> insert_session(const Session& s) override;
  Result<std::optional<Session>> find_session(CommunityId c, std::string_view token_hash) override;
  Result<void> revoke_session(CommunityId c, std::string_view token_hash,
                              std::string_view now) override;
  Result<void> revoke_sessions_of(CommunityId c, domain::UserId id, std::string_view now) override;

  Result<std::int64_t> insert_status_change(const StatusChange& change) override;
  Result<std::vector<StatusChange>> list_status_changes(CommunityId c, BuildingId b) override;
  Result<std::vector<StatusChange>> current_statuses(CommunityId c) override;

  Result<std::int64_t> insert_round(const ScreeningRound& round) override;
  Result<std::optional<ScreeningRound>> get_round(CommunityId c, std::int64_t id) override;
  Result<std::vector<ScreeningRound>> list_rounds(CommunityId c) override;
  Result<domain::TubeState> find_tube(CommunityId c, std::string_view code) override;
  Result<void> insert_tube(CommunityId c, std::string_view code, std::int64_t round_id,
                           domain::TubeKind kind, std::string_view now) override;
  Result<std::int64_t> insert_sample(const Sample& sample) override;
  Result<std::int64_t> count_samples_of(CommunityId c, std::int64_t round_id,
                                        ResidentId resident) override;
  Result<std::vector<Sample>> list_samples_of(CommunityId c, std::int64_t round_id,
                                              ResidentId resident) override;
  Result<std::vector<ResidentRow>> unsampled_residents(CommunityId c,
                                                       std::int64_t round_id) override;
  Result<std::vector<BuildingCoverage>> round_coverage(CommunityId c,
                                                       std::int64_t round_id) override;

  Result<std::optional<TubeForResult>> find_tube_for_result(CommunityId c,
                                                            std::string_view code) override;
  Result<std::optional<TubeResult>> get_tube_result(CommunityId c, std::string_view code) override;
  Result<void> insert_tube_result(const TubeResult& r) override;
  Result<bool> insert_first_tube_result(const TubeResult& r) override;
  Result<void> replace_tube_result(const TubeResult& r) override;
  Result<bool> result_known_for(CommunityId c, std::string_view code,
                                domain::TestResult result) override;
  Result<std::int64_t> insert_result_conflict(const ResultConflict& conflict) override;
  Result<std::optional<ResultConflict>> get_result_conflict(CommunityId c,
                                                            std::int64_t id) override;
  Result<std::vector<ResultConflict>> list_result_conflicts(CommunityId c, bool open_only) override;
  Result<void> resolve_result_conflict(const ResultConflict& conflict) override;
  Result<void> for_each_resident_test(CommunityId c, ResidentId resident,
                                      const std::function<bool(const ResidentTest&)>& f) override;
  Result<std::vector<ResidentTest>> resident_tests(CommunityId c, ResidentId resident) override;
  Result<std::vector<PositiveSwab>> swabs_in_tube(CommunityId c, std::string_view code) override;
  Result<std::vector<PositiveSwab>> positive_swabs(CommunityId c,
                                                   std::optional<std::int64_t> round_id) override;
  Result<std::int64_t> insert_antigen_test(const AntigenTest& test) override;
  Result<std::optional<AntigenTest>> get_antigen_photo(CommunityId c, std::int64_t id) override;
  Result<std::vector<AntigenTest>> positive_antigen_tests(CommunityId c) override;
  Result<void> set_screening_mark(const ScreeningMarkRow& mark) override;
  Result<void> clear_screening_mark(CommunityId c, ResidentId resident) override;
  Result<std::optional<ScreeningMarkRow>> get_screening_mark(CommunityId c,
                                                             ResidentId resident) override;
  Result<std::vector<ScreeningMarkRow>> list_screening_marks(CommunityId c) override;

  Result<std::int64_t> insert_policy(const PolicyVersion& p) override;
  Result<std::optional<PolicyVersion>> current_policy(CommunityId c) override;
  Result<std::vector<PolicyVersion>> list_policies(CommunityId c) override;
  Result<void> insert_signing_key(const SigningKey& k) override;
  Result<std::vector<SigningKey>> list_signing_keys(CommunityId c) override;
  Result<void> retire_signing_key(CommunityId c, std::uint32_t key_id,
                                  std::string_view at) override;
  Result<std::int64_t> insert_exit_request(const ExitRequest& r) override;
  Result<std::optional<ExitRequest>> get_exit_request(CommunityId c, std::int64_t id) override;
  Result<std::vector<ExitRequest>> list_exit_requests(const ExitRequestQuery& q) override;
  Result<ExitRequestCounts> count_exit_requests(const ExitRequestQuery& q) override;
  Result<void> set_exit_request_status(CommunityId c, std::int64_t id,
                                       std::string_view status) override;
  Result<std::int64_t> insert_proof(const Proof& p) override;
  Result<std::optional<Proof>> get_proof(CommunityId c, std::int64_t id) override;
  Result<std::vector<Proof>> list_proofs(CommunityId c, std::int64_t request_id) override;
  Result<void> insert_pledge(const Pledge& p) override;
  Result<std::optional<Pledge>> get_pledge(CommunityId c, std::int64_t request_id) override;
  Result<std::int64_t> insert_decision(const Decision& d) override;
  Result<std::vector<Decision>> list_decisions(CommunityId c, std::int64_t request_id) override;
  Result<std::int64_t> insert_pass(const PassRow& p) override;
  Result<void> set_pass_token(CommunityId c, std::int64_t id, std::uint32_t key_id,
                              std::string_view token) override;
  Result<std::optional<PassRow>> get_pass(CommunityId c, std::int64_t id) override;
  Result<std::optional<PassRow>> find_pass_by_short_code(CommunityId c,
                                                         std::string_view code) override;
  Result<std::optional<PassRow>> find_pass_of_request(CommunityId c,
                                                      std::int64_t request_id) override;
  Result<std::vector<PassRow>> list_passes(const PassQuery& q) override;
  Result<void> revoke_pass(CommunityId c, std::int64_t id, std::string_view at, domain::UserId by,
                           std::string_view reason) override;
  Result<std::int64_t> insert_pass_exit(CommunityId c, std::int64_t pass_id,
                                        const PassExit& e) override;
  Result<void> return_pass_exit(CommunityId c, std::int64_t pass_id, const PassExit& e) override;
  Result<std::int64_t> insert_gate_event(const GateEvent& e) override;
  Result<void> insert_audit(const AuditRecord& r) override;
  Result<std::optional<AuditRecord>> last_audit(CommunityId c) override;
  Result<void> for_each_audit(CommunityId c, std::int64_t after,
                              const std::function<bool(const AuditRecord&)>& f) override;
  Result<std::vector<AuditListing>> list_audit(const AuditQuery& q) override;
  Result<std::vector<GateEvent>> list_gate_events(const GateEventQuery& q) override;
  Result<std::optional<GateEvent>> get_gate_event(CommunityId c, std::int64_t id) override;
  Result<void> follow_up_gate_event(const GateEvent& e) override;
  Result<std::optional<GateEvent>> find_gate_event(CommunityId c, std::string_view device,
                                                   std::string_view client_event_id) override;

  Result<void> insert_idempotency_key(const IdempotencyRecord& r) override;
  Result<std::optional<IdempotencyRecord>> find_idempotency_key(CommunityId c, domain::UserId user,
                                                                std::string_view key) override;
  Result<void> finish_idempotency_key(const IdempotencyRecord& r) override;
  Result<void> delete_idempotency_key(CommunityId c, domain::UserId user,
                                      std::string_view key) override;
  Result<std::int64_t> purge_idempotency_keys(std::string_view before) override;

 private:
  enum class Sequence {
    building,
    household,
    resident,
    import,
    user,
    round,
    conflict,
    antigen,
    policy,
    request,
    proof,
    decision,
    pass,
    gate_event
  };
  // Reads the pass at the statement's row (kPassColumns) with its exits.
  Result<PassRow> read_pass(const Stmt& s);
  Result<std::optional<StoredUser>> read_user(Stmt& s, std::string_view what);
  Result<void> run_changing_one(Stmt& s, std::string_view what);
  // Next free id of a per-community sequence; read once per transaction, then counted here
  // (writes run one at a time, and a write's savepoint sees what the earlier members of its
  // batch wrote, so nobody else allocates meanwhile and no id a batch holds is reused).
  Result<std::int64_t> next_id(Sequence seq, CommunityId c);
  Result<Stmt> prepare(const char* sql);

  sqlite3* db() const { return m_conn.db.get(); }

  Connection& m_conn;
  std::unique_lock<std::mutex> m_lock;  // a pool reader's
  Writer* m_writer = nullptr;           // set when the transaction owns the writer
  std::shared_ptr<Batch> m_batch;       // a write's batch
  bool m_done = false;
  std::map<std::pair<Sequence, CommunityId>, std::int64_t> m_next_ids;
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
      return std::make_unique<SqliteTransaction>(m_writer, std::move(*batch));
    }
    if (m_readers.empty()) {
      if (auto r = m_writer.begin_read(); !r) return std::unexpected(r.error());
      return std::make_unique<SqliteTransaction>(m_writer, nullptr);
    }
    Connection& reader = free_reader();
    std::unique_lock lock(reader.mutex, std::adopt_lock);
    if (auto r = exec(reader.db.get(), "BEGIN", "begin transaction"); !r) {
      return std::unexpected(r.error());
    }
    return std::make_unique<SqliteTransaction>(reader, std::move(lock));
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

SqliteTransaction::~SqliteTransaction() {
  if (m_done) return;
  if (m_batch) {
    m_writer->rollback_write(m_batch);
    return;
  }
  (void)exec(db(), "ROLLBACK", "rollback");
  if (m_writer != nullptr) m_writer->release();
}

Result<void> SqliteTransaction::commit() {
  if (m_done) return std::unexpected(Error{Error::Kind::io, "commit: the transaction has ended"});
  if (m_batch) {
    m_done = true;  // committed or not, the savepoint is gone and the writer given up
    return m_writer->commit_write(m_batch);
  }
  auto r = exec(db(), "COMMIT", "commit");
  if (!r) return r;
  m_done = true;
  // The next transaction may begin while this object lives on.
  if (m_writer != nullptr) {
    m_writer->release();
  } else {
    m_lock.unlock();
  }
  return {};
}

Result<Stmt> SqliteTransaction::prepare(const char* sql) {
  auto stmt = m_conn.statement(sql);
  if (!stmt) return std::unexpected(stmt.error());
  return Result<Stmt>(std::in_place, db(), *stmt);
}

Result<std::int64_t> SqliteTransaction::next_id(Sequence seq, CommunityId c) {
  const auto key = std::make_pair(seq, c);
  if (auto it = m_next_ids.find(key); it != m_next_ids.end()) return it->second++;
  const char* sql = nullptr;
  switch (seq) {
    case Sequence::building:
      sql = "SELECT coalesce(max(building_id), 0) + 1 FROM buildings WHERE community_id = ?1";
      break;
    case Sequence::household:
      sql = "SELECT coalesce(max(household_id), 0) + 1 FROM households WHERE community_id = ?1";
      break;
    case Sequence::resident:
      sql = "SELECT coalesce(max(resident_id), 0) + 1 FROM residents WHERE community_id = ?1";
      break;
    case Sequence::import:
      sql = "SELECT coalesce(max(import_id), 0) + 1 FROM imports WHERE community_id = ?1";
      break;
    case Sequence::user:
      sql = "SELECT coalesce(max(user_id), 0) + 1 FROM users WHERE community_id = ?1";
      break;
    case Sequence::round:
      sql = "SELECT coalesce(max(round_id), 0) + 1 FROM screening_rounds WHERE community_id = ?1";
      break;
    case Sequence::conflict:
      sql =
          "SELECT coalesce(max(conflict_id), 0) + 1 FROM result_conflicts WHERE community_id = ?1";
      break;
    case Sequence::antigen:
      sql = "SELECT coalesce(max(test_id), 0) + 1 FROM antigen_tests WHERE community_id = ?1";
      break;
    case Sequence::policy:
      sql = "SELECT coalesce(max(policy_id), 0) + 1 FROM policies WHERE community_id = ?1";
      break;
    case Sequence::request:
      sql = "SELECT coalesce(max(request_id), 0) + 1 FROM exit_requests WHERE community_id = ?1";
      break;
    case Sequence::proof:
      sql = "SELECT coalesce(max(proof_id), 0) + 1 FROM proofs WHERE community_id = ?1";
      break;
    case Sequence::decision:
      sql = "SELECT coalesce(max(decision_id), 0) + 1 FROM decisions WHERE community_id = ?1";
      break;
    case Sequence::pass:
      sql = "SELECT coalesce(max(pass_id), 0) + 1 FROM passes WHERE community_id = ?1";
      break;
    case Sequence::gate_event:
      sql = "SELECT coalesce(max(event_id), 0) + 1 FROM gate_events WHERE community_id = ?1";
      break;
  }
  auto s = prepare(sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto row = s->step("next id");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  m_next_ids[key] = id + 1;
  return id;
}

Result<domain::StreetId> SqliteTransaction::ensure_street(std::string_view name) {
  {
    auto s = prepare("SELECT street_id FROM streets WHERE name = ?1");
    if (!s) return std::unexpected(s.error());
    s->bind(1, name);
    auto row = s->step("find street");
    if (!row) return std::unexpected(row.error());
    if (*row) return s->integer(0);
  }
  auto s = prepare("INSERT INTO streets (name) VALUES (?1)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, name);
  if (auto r = s->run("insert street"); !r) return std::unexpected(r.error());
  return sqlite3_last_insert_rowid(db());
}

Result<CommunityId> SqliteTransaction::insert_community(const domain::Community& c,
                                                        std::string_view created_at) {
  auto s = prepare(
      "INSERT INTO communities (street_id, name, time_zone, created_at) VALUES (?1, ?2, ?3, ?4)");
  if (!s) return std::unexpected(s.error());
  if (c.street_id != 0) {
    s->bind(1, c.street_id);
  } else {
    s->bind_null(1);
  }
  s->bind(2, c.name).bind(3, c.time_zone).bind(4, created_at);
  if (auto r = s->run("insert community"); !r) return std::unexpected(r.error());
  return sqlite3_last_insert_rowid(db());
}

Result<std::vector<domain::Community>> SqliteTransaction::list_communities() {
  auto s = prepare(
      "SELECT community_id, coalesce(street_id, 0), name, time_zone FROM communities "
      "ORDER BY community_id");
  if (!s) return std::unexpected(s.error());
  std::vector<domain::Community> out;
  while (true) {
    auto row = s->step("list communities");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(domain::Community{s->integer(0), s->integer(1), s->text(2), s->text(3)});
  }
  return out;
}

constexpr const char* kBuildingColumns =
    "building_id, name, floors, coalesce(deleted_at, ''), deleted_reason FROM buildings ";

domain::Building read_building(CommunityId c, const Stmt& s) {
  return domain::Building{c, s.integer(0), s.text(1), static_cast<int>(s.integer(2)),
                          domain::Removal{s.text(3), s.text(4)}};
}

Result<std::optional<domain::Building>> SqliteTransaction::find_building(CommunityId c,
                                                                         std::string_view name) {
  static const std::string sql =
      std::string("SELECT ") + kBuildingColumns + "WHERE community_id = ?1 AND name = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, name);
  auto row = s->step("find building");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Building>();
  return read_building(c, *s);
}

Result<std::optional<domain::Building>> SqliteTransaction::get_building(CommunityId c,
                                                                        BuildingId id) {
  static const std::string sql =
      std::string("SELECT ") + kBuildingColumns + "WHERE community_id = ?1 AND building_id = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get building");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Building>();
  return read_building(c, *s);
}

Result<void> SqliteTransaction::update_building(const domain::Building& b) {
  auto s = prepare(
      "UPDATE buildings SET name = ?3, floors = ?4, deleted_at = ?5, deleted_reason = ?6 "
      "WHERE community_id = ?1 AND building_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, b.community_id).bind(2, b.id).bind(3, b.name).bind(4, std::int64_t{b.floors});
  bind_removal(*s, 5, b.removal);
  return run_changing_one(*s, "update building");
}

Result<BuildingId> SqliteTransaction::insert_building(const domain::Building& b) {
  auto id = next_id(Sequence::building, b.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO buildings (community_id, building_id, name, floors) VALUES (?1, ?2, ?3, ?4)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, b.community_id).bind(2, *id).bind(3, b.name).bind(4, std::int64_t{b.floors});
  if (auto r = s->run("insert building"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::vector<domain::Building>> SqliteTransaction::list_buildings(CommunityId c) {
  static const std::string sql =
      std::string("SELECT ") + kBuildingColumns +
      "WHERE community_id = ?1 AND deleted_at IS NULL ORDER BY building_id";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  std::vector<domain::Building> out;
  while (true) {
    auto row = s->step("list buildings");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_building(c, *s));
  }
  return out;
}

constexpr const char* kHouseholdColumns =
    "household_id, building_id, room, coalesce(deleted_at, ''), deleted_reason FROM households ";

domain::Household read_household(CommunityId c, const Stmt& s) {
  return domain::Household{c, s.integer(0), s.integer(1), s.text(2),
                           domain::Removal{s.text(3), s.text(4)}};
}

Result<std::optional<domain::Household>> SqliteTransaction::find_household(CommunityId c,
                                                                           BuildingId b,
                                                                           std::string_view room) {
  static const std::string sql = std::string("SELECT ") + kHouseholdColumns +
                                 "WHERE community_id = ?1 AND building_id = ?2 AND room = ?3";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, b).bind(3, room);
  auto row = s->step("find household");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Household>();
  return read_household(c, *s);
}

Result<std::optional<domain::Household>> SqliteTransaction::get_household(CommunityId c,
                                                                          HouseholdId id) {
  static const std::string sql =
      std::string("SELECT ") + kHouseholdColumns + "WHERE community_id = ?1 AND household_id = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get household");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Household>();
  return read_household(c, *s);
}

Result<void> SqliteTransaction::update_household(const domain::Household& h) {
  auto s = prepare(
      "UPDATE households SET building_id = ?3, room = ?4, deleted_at = ?5, deleted_reason = ?6 "
      "WHERE community_id = ?1 AND household_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, h.community_id).bind(2, h.id).bind(3, h.building_id).bind(4, h.room);
  bind_removal(*s, 5, h.removal);
  return run_changing_one(*s, "update household");
}

Result<std::vector<domain::Household>> SqliteTransaction::list_households(
    CommunityId c, std::optional<BuildingId> building, HouseholdId after, std::size_t limit) {
  static const std::string sql =
      std::string("SELECT ") + kHouseholdColumns +
      "WHERE community_id = ?1 AND household_id > ?2 AND deleted_at IS NULL "
      "AND (?3 IS NULL OR building_id = ?3) ORDER BY household_id LIMIT ?4";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, after).bind(4, static_cast<std::int64_t>(limit));
  if (building) {
    s->bind(3, *building);
  } else {
    s->bind_null(3);
  }
  std::vector<domain::Household> out;
  while (true) {
    auto row = s->step("list households");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_household(c, *s));
  }
  return out;
}

Result<std::int64_t> SqliteTransaction::count_households(CommunityId c, BuildingId b) {
  auto s = prepare(
      "SELECT count(*) FROM households WHERE community_id = ?1 AND building_id = ?2 AND "
      "deleted_at IS NULL");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, b);
  if (auto row = s->step("count households"); !row) return std::unexpected(row.error());
  return s->integer(0);
}

Result<std::int64_t> SqliteTransaction::count_residents(CommunityId c, HouseholdId h) {
  auto s = prepare(
      "SELECT count(*) FROM residents WHERE community_id = ?1 AND household_id = ?2 AND "
      "deleted_at IS NULL");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, h);
  if (auto row = s->step("count residents"); !row) return std::unexpected(row.error());
  return s->integer(0);
}

Result<std::optional<ResidentRow>> SqliteTransaction::get_resident(CommunityId c, ResidentId id) {
  static const std::string sql = std::string("SELECT ") + kResidentColumns + kResidentJoin +
                                 " WHERE r.community_id = ?1 AND r.resident_id = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get resident");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ResidentRow>();
  return read_resident_row(*s);
}

Result<HouseholdId> SqliteTransaction::insert_household(const domain::Household& h) {
  auto id = next_id(Sequence::household, h.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO households (community_id, household_id, building_id, room) "
      "VALUES (?1, ?2, ?3, ?4)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, h.community_id).bind(2, *id).bind(3, h.building_id).bind(4, h.room);
  if (auto r = s->run("insert household"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<domain::Resident>> SqliteTransaction::find_resident_by_id_number(
    CommunityId c, std::string_view id_number) {
  auto s = prepare(
      "SELECT community_id, resident_id, household_id, name, gender, birth_date, id_number, "
      "phone, relation, vulnerabilities, volunteer, notes, coalesce(deleted_at, ''), "
      "deleted_reason FROM residents r WHERE community_id = ?1 AND id_number = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id_number);
  auto row = s->step("find resident");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Resident>();
  return read_resident(*s);
}

Result<ResidentId> SqliteTransaction::insert_resident(const domain::Resident& r,
                                                      std::string_view now) {
  auto id = next_id(Sequence::resident, r.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO residents (community_id, resident_id, household_id, name, gender, "
      "birth_date, id_number, phone, relation, vulnerabilities, volunteer, notes, created_at, "
      "updated_at, name_pinyin, name_initials) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15)");
  if (!s) return std::unexpected(s.error());
  const domain::NamePinyin pinyin = domain::name_pinyin(r.name);
  s->bind(14, pinyin.full).bind(15, pinyin.initials);
  s->bind(1, r.community_id)
      .bind(2, *id)
      .bind(3, r.household_id)
      .bind(4, r.name)
      .bind(5, domain::to_code(r.gender))
      .bind(6, domain::format_date(r.birth_date))
      .bind(7, r.id_number)
      .bind(8, r.phone)
      .bind(9, domain::to_code(r.relation))
      .bind(10, std::int64_t{r.vulnerabilities.bits()})
      .bind(11, std::int64_t{r.volunteer ? 1 : 0})
      .bind(12, r.notes)
      .bind(13, now);
  if (auto done = s->run("insert resident"); !done) {
    // The id stays allocated: a failed statement leaves a gap, never a reuse.
    return std::unexpected(done.error());
  }
  return *id;
}

Result<void> SqliteTransaction::update_resident(const domain::Resident& r, std::string_view now) {
  auto s = prepare(
      "UPDATE residents SET household_id = ?3, name = ?4, gender = ?5, birth_date = ?6, "
      "id_number = ?7, phone = ?8, relation = ?9, vulnerabilities = ?10, volunteer = ?11, "
      "notes = ?12, updated_at = ?13, deleted_at = ?14, deleted_reason = ?15, "
      "name_pinyin = ?16, name_initials = ?17 WHERE community_id = ?1 AND resident_id = ?2");
  if (!s) return std::unexpected(s.error());
  const domain::NamePinyin pinyin = domain::name_pinyin(r.name);
  s->bind(16, pinyin.full).bind(17, pinyin.initials);
  s->bind(1, r.community_id)
      .bind(2, r.id)
      .bind(3, r.household_id)
      .bind(4, r.name)
      .bind(5, domain::to_code(r.gender))
      .bind(6, domain::format_date(r.birth_date))
      .bind(7, r.id_number)
      .bind(8, r.phone)
      .bind(9, domain::to_code(r.relation))
      .bind(10, std::int64_t{r.vulnerabilities.bits()})
      .bind(11, std::int64_t{r.volunteer ? 1 : 0})
      .bind(12, r.notes)
      .bind(13, now);
  bind_removal(*s, 14, r.removal);
  if (auto done = s->run("update resident"); !done) return done;
  if (sqlite3_changes(db()) == 0) {
    return std::unexpected(Error{Error::Kind::not_found, "no such resident"});
  }
  return {};
}

bool all_digits(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

// The IN list drives the query (the unary + keeps the planner off a range scan of every
// resident) and CROSS JOIN fixes the join order: households by room first, then their
// residents. Every match comes from an index: a room (alone or after its building's name), the last
// four characters of an ID number or a phone, a whole phone number, a name fragment (a scan
// of the narrow name index, only when the text is not all digits), a middle part of a
// phone (a scan of the phone index, only for 5 to 10 digits) or the start of the name's
// pinyin or initials (scans of their indexes, only when the text reads as pinyin).
Result<std::vector<ResidentRow>> SqliteTransaction::search_residents(const ResidentQuery& q) {
  static const std::string every =
      std::string("SELECT ") + kResidentColumns + kResidentJoin +
      " WHERE r.community_id = ?1 AND r.resident_id > ?2 AND r.deleted_at IS NULL"
      " AND (?3 IS NULL OR h.building_id = ?3) ORDER BY r.resident_id LIMIT ?4";
  static const std::string members =
      std::string("SELECT ") + kResidentColumns + kResidentJoin +
      " WHERE r.community_id = ?1 AND r.household_id = ?10 AND +r.resident_id > ?2"
      " AND r.deleted_at IS NULL AND (?3 IS NULL OR h.building_id = ?3)"
      " ORDER BY r.resident_id LIMIT ?4";
  // The text decides which lookups can match; each combination is its own statement, as a
  // bound "?n AND ..." guard does not stop SQLite from scanning an index. UNION ALL: the IN
  // list removes duplicates itself.
  enum Lookup : unsigned { kLast4 = 1, kName = 2, kPhoneMiddle = 4, kPinyin = 8 };
  static const std::array<std::string, 16> matching = [] {
    std::array<std::string, 16> out;
    for (unsigned flags = 0; flags < out.size(); ++flags) {
      std::string sql = std::string("SELECT ") + kResidentColumns + kResidentJoin +
                        " WHERE r.community_id = ?1 AND +r.resident_id > ?2"
                        " AND r.deleted_at IS NULL AND (?3 IS NULL OR h.building_id = ?3)"
                        " AND (?10 IS NULL OR r.household_id = ?10) AND r.resident_id IN ("
                        "  SELECT x.resident_id FROM households y CROSS JOIN residents x"
                        "   ON x.community_id = y.community_id AND x.household_id = y.household_id"
                        "   WHERE y.community_id = ?1 AND y.room = ?5"
                        "  UNION ALL SELECT x.resident_id FROM buildings z CROSS JOIN households y"
                        "   ON y.community_id = z.community_id AND y.building_id = z.building_id"
                        "   CROSS JOIN residents x"
                        "   ON x.community_id = y.community_id AND x.household_id = y.household_id"
                        "   WHERE z.community_id = ?1 AND length(?5) > length(z.name)"
                        "   AND substr(?5, 1, length(z.name)) = z.name"
                        "   AND y.room = ltrim(substr(?5, length(z.name) + 1), ' -')"
                        "  UNION ALL SELECT resident_id FROM residents"
                        "   WHERE community_id = ?1 AND phone = ?5";
      if (flags & kLast4) {
        sql +=
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_id_last4"
            "   WHERE community_id = ?1 AND substr(id_number, 15) = upper(?5)"
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_phone_last4"
            "   WHERE community_id = ?1 AND substr(phone, 8) = ?5";
      }
      if (flags & kName) {
        sql +=
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_name"
            "   WHERE community_id = ?1 AND name LIKE ?6 ESCAPE '\\'";
      }
      if (flags & kPhoneMiddle) {
        sql +=
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_phone"
            "   WHERE community_id = ?1 AND phone LIKE ?6 ESCAPE '\\'";
      }
      if (flags & kPinyin) {  // ?7: a key's start, "% maoq%" (domain::name_pinyin)
        sql +=
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_pinyin"
            "   WHERE community_id = ?1 AND name_pinyin LIKE ?7"
            "  UNION ALL SELECT resident_id FROM residents INDEXED BY residents_by_initials"
            "   WHERE community_id = ?1 AND name_initials LIKE ?7";
      }
      out[flags] = sql + ") ORDER BY r.resident_id LIMIT ?4";
    }
    return out;
  }();
  const bool digits = all_digits(q.text);
  const std::size_t length = q.text.size();
  const std::optional<std::string> pinyin = domain::pinyin_query(q.text);
  const unsigned lookups = (length == 4 ? kLast4 : 0U) | (!digits ? kName : 0U) |
                           (digits && length >= 5 && length <= 10 ? kPhoneMiddle : 0U) |
                           (pinyin ? kPinyin : 0U);
  const std::string& sql = !q.text.empty() ? matching[lookups] : q.household ? members : every;
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, q.community_id).bind(2, q.after).bind(4, static_cast<std::int64_t>(q.limit));
  if (q.building) {
    s->bind(3, *q.building);
  } else {
    s->bind_null(3);
  }
  if (q.household) s->bind(10, *q.household);  // unbound parameters are NULL
  if (!q.text.empty()) s->bind(5, q.text).bind(6, like_pattern(q.text));
  if (pinyin) s->bind(7, "% " + *pinyin + "%");  // letters only: nothing to escape
  return collect(*s, "search residents", [&](const Stmt& row) { return read_resident_row(row); });
}

Result<void> SqliteTransaction::for_each_resident(
    CommunityId c, const std::function<bool(const ResidentRow&)>& f) {
  static const std::string sql = std::string("SELECT ") + kResidentColumns + kResidentJoin +
                                 " WHERE r.community_id = ?1 AND r.deleted_at IS NULL"
                                 " ORDER BY h.building_id, h.household_id, r.resident_id";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  while (true) {
    auto row = s->step("list residents");
    if (!row) return std::unexpected(row.error());
    if (!*row || !f(read_resident_row(*s))) break;
  }
  return {};
}

Result<RegistryCounts> SqliteTransaction::count_registry(CommunityId c) {
  RegistryCounts counts;
  {
    auto s = prepare(
        "SELECT (SELECT count(*) FROM buildings WHERE community_id = ?1 AND deleted_at IS NULL), "
        "(SELECT count(*) FROM households WHERE community_id = ?1 AND deleted_at IS NULL)");
    if (!s) return std::unexpected(s.error());
    s->bind(1, c);
    if (auto row = s->step("count registry"); !row) return std::unexpected(row.error());
    counts.buildings = s->integer(0);
    counts.households = s->integer(1);
  }
  auto s = prepare(
      "SELECT count(*), total(volunteer), total((vulnerabilities & 1) != 0), "
      "total((vulnerabilities & 2) != 0), total((vulnerabilities & 4) != 0), "
      "total((vulnerabilities & 8) != 0), total((vulnerabilities & 16) != 0), "
      "total((vulnerabilities & 32) != 0), total((vulnerabilities & 64) != 0) "
      "FROM residents WHERE community_id = ?1 AND deleted_at IS NULL");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  if (auto row = s->step("count residents"); !row) return std::unexpected(row.error());
  counts.residents = s->integer(0);
  counts.volunteers = s->integer(1);
  for (int i = 0; i < domain::kVulnerabilityCount; ++i)
    counts.by_vulnerability[i] = s->integer(2 + i);
  return counts;
}

Result<std::int64_t> SqliteTransaction::insert_import(const ImportRecord& record) {
  auto id = next_id(Sequence::import, record.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO imports (community_id, import_id, kind, source, encoding, rows, added, "
      "updated, unchanged, rejected, started_at, finished_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, record.community_id)
      .bind(2, *id)
      .bind(3, record.kind)
      .bind(4, record.source)
      .bind(5, record.encoding)
      .bind(6, record.rows)
      .bind(7, record.added)
      .bind(8, record.updated)
      .bind(9, record.unchanged)
      .bind(10, record.rejected)
      .bind(11, record.started_at)
      .bind(12, record.finished_at);
  if (auto r = s->run("insert import"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::vector<ImportRecord>> SqliteTransaction::list_imports(CommunityId c) {
  auto s = prepare(
      "SELECT import_id, kind, source, encoding, rows, added, updated, unchanged, rejected, "
      "started_at, finished_at FROM imports WHERE community_id = ?1 ORDER BY import_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list imports", [&](const Stmt& row) {
    return ImportRecord{c,
                        row.integer(0),
                        row.text(1),
                        row.text(2),
                        row.text(3),
                        row.integer(4),
                        row.integer(5),
                        row.integer(6),
                        row.integer(7),
                        row.integer(8),
                        row.text(9),
                        row.text(10)};
  });
}

Result<void> SqliteTransaction::run_changing_one(Stmt& s, std::string_view what) {
  if (auto r = s.run(what); !r) return r;
  if (sqlite3_changes(db()) == 0) {
    return std::unexpected(Error{Error::Kind::not_found, std::string(what) + ": no such record"});
  }
  return {};
}

Result<domain::UserId> SqliteTransaction::insert_user(const domain::User& u,
                                                      std::string_view password_hash,
                                                      std::string_view now) {
  auto id = next_id(Sequence::user, u.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO users (community_id, user_id, username, role, password_hash, disabled, "
      "created_at, resident_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, u.community_id)
      .bind(2, *id)
      .bind(3, u.username)
      .bind(4, domain::to_code(u.role))
      .bind(5, password_hash)
      .bind(6, std::int64_t{u.disabled ? 1 : 0})
      .bind(7, now)
      .bind(8, u.resident_id);
  if (auto r = s->run("insert user"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<StoredUser>> SqliteTransaction::read_user(Stmt& s, std::string_view what) {
  auto row = s.step(what);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<StoredUser>();
  StoredUser u;
  u.user.community_id = s.integer(0);
  u.user.id = s.integer(1);
  u.user.username = s.text(2);
  u.user.role = domain::role_from_code(s.text(3)).value_or(domain::Role::resident);
  u.password_hash = s.text(4);
  u.user.disabled = s.integer(5) != 0;
  u.user.resident_id = s.integer(6);
  u.failed_logins = static_cast<int>(s.integer(7));
  u.locked_until = s.text(8);
  return u;
}

Result<std::optional<StoredUser>> SqliteTransaction::find_user(std::string_view username) {
  auto s = prepare(
      "SELECT community_id, user_id, username, role, password_hash, disabled, resident_id, "
      "failed_logins, locked_until FROM users "
      "WHERE username = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, username);
  return read_user(*s, "find user");
}

Result<std::optional<StoredUser>> SqliteTransaction::get_user(CommunityId c, domain::UserId id) {
  auto s = prepare(
      "SELECT community_id, user_id, username, role, password_hash, disabled, resident_id, "
      "failed_logins, locked_until FROM users "
      "WHERE community_id = ?1 AND user_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  return read_user(*s, "get user");
}

Result<std::vector<domain::User>> SqliteTransaction::list_users(CommunityId c) {
  auto s = prepare(
      "SELECT community_id, user_id, username, role, password_hash, disabled, resident_id, "
      "failed_logins, locked_until FROM users "
      "WHERE community_id = ?1 ORDER BY user_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  std::vector<domain::User> out;
  while (true) {
    auto u = read_user(*s, "list users");
    if (!u) return std::unexpected(u.error());
    if (!*u) break;
    out.push_back((*u)->user);
  }
  return out;
}

Result<void> SqliteTransaction::set_user_password(CommunityId c, domain::UserId id,
                                                  std::string_view password_hash) {
  auto s = prepare("UPDATE users SET password_hash = ?3 WHERE community_id = ?1 AND user_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, password_hash);
  return run_changing_one(*s, "set password");
}

Result<void> SqliteTransaction::set_user_disabled(CommunityId c, domain::UserId id, bool disabled) {
  auto s = prepare("UPDATE users SET disabled = ?3 WHERE community_id = ?1 AND user_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, std::int64_t{disabled ? 1 : 0});
  return run_changing_one(*s, "disable user");
}

Result<void> SqliteTransaction::set_login_failures(CommunityId c, domain::UserId id, int failures,
                                                   std::string_view locked_until) {
  auto s = prepare(
      "UPDATE users SET failed_logins = ?3, locked_until = ?4 "
      "WHERE community_id = ?1 AND user_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, std::int64_t{failures}).bind(4, locked_until);
  return run_changing_one(*s, "set login failures");
}

Result<void> SqliteTransaction::insert_session(const Session& session) {
  auto s = prepare(
      "INSERT INTO sessions (community_id, token_hash, user_id, created_at, expires_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, session.community_id)
      .bind(2, session.token_hash)
      .bind(3, session.user_id)
      .bind(4, session.created_at)
      .bind(5, session.expires_at);
  return s->run("insert session");
}

Result<std::optional<Session>> SqliteTransaction::find_session(CommunityId c,
                                                               std::string_view token_hash) {
  auto s = prepare(
      "SELECT user_id, created_at, expires_at, coalesce(revoked_at, '') FROM sessions "
      "WHERE community_id = ?1 AND token_hash = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, token_hash);
  auto row = s->step("find session");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Session>();
  return Session{c, std::string(token_hash), s->integer(0), s->text(1), s->text(2), s->text(3)};
}

Result<void> SqliteTransaction::revoke_session(CommunityId c, std::string_view token_hash,
                                               std::string_view now) {
  auto s = prepare(
      "UPDATE sessions SET revoked_at = coalesce(revoked_at, ?3) "
      "WHERE community_id = ?1 AND token_hash = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, token_hash).bind(3, now);
  return run_changing_one(*s, "revoke session");
}

Result<void> SqliteTransaction::revoke_sessions_of(CommunityId c, domain::UserId id,
                                                   std::string_view now) {
  auto s = prepare(
      "UPDATE sessions SET revoked_at = ?3 WHERE community_id = ?1 AND user_id = ?2 AND "
      "revoked_at IS NULL");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, now);
  return s->run("revoke sessions");
}

Result<std::int64_t> SqliteTransaction::insert_status_change(const StatusChange& change) {
  auto s = prepare(
      "INSERT INTO building_status (community_id, building_id, change_id, status, changed_at, "
      "changed_by, reason, rule) SELECT ?1, ?2, coalesce(max(change_id), 0) + 1, ?3, ?4, ?5, ?6, "
      "?7 FROM building_status WHERE community_id = ?1 AND building_id = ?2 "
      "RETURNING change_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, change.community_id)
      .bind(2, change.building_id)
      .bind(3, domain::to_code(change.status))
      .bind(4, change.changed_at)
      .bind(5, change.changed_by)
      .bind(6, change.reason)
      .bind(7, change.rule);
  auto row = s->step("insert status change");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  if (auto done = s->step("insert status change"); !done) return std::unexpected(done.error());
  return id;
}

StatusChange read_status_change(CommunityId c, const Stmt& s) {
  return StatusChange{
      c,
      s.integer(0),
      s.integer(1),
      domain::zone_status_from_code(s.text(2)).value_or(domain::ZoneStatus::precaution),
      s.text(3),
      s.integer(4),
      s.text(5),
      s.text(6)};
}

Result<std::vector<StatusChange>> SqliteTransaction::list_status_changes(CommunityId c,
                                                                         BuildingId b) {
  auto s = prepare(
      "SELECT building_id, change_id, status, changed_at, changed_by, reason, rule "
      "FROM building_status WHERE community_id = ?1 AND building_id = ?2 ORDER BY change_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, b);
  return collect(*s, "list status changes",
                 [&](const Stmt& row) { return read_status_change(c, row); });
}

Result<std::vector<StatusChange>> SqliteTransaction::current_statuses(CommunityId c) {
  auto s = prepare(
      "SELECT s.building_id, s.change_id, s.status, s.changed_at, s.changed_by, s.reason, s.rule "
      "FROM building_status s WHERE s.community_id = ?1 AND s.change_id = "
      "(SELECT max(change_id) FROM building_status t WHERE t.community_id = s.community_id "
      "AND t.building_id = s.building_id) ORDER BY s.building_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "current statuses",
                 [&](const Stmt& row) { return read_status_change(c, row); });
}

std::string join_ids(const std::vector<BuildingId>& ids) {
  std::string out;
  for (BuildingId id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

std::vector<BuildingId> split_ids(std::string_view text) {
  std::vector<BuildingId> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    BuildingId id = 0;
    std::from_chars(part.data(), part.data() + part.size(), id);
    out.push_back(id);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Result<std::int64_t> SqliteTransaction::insert_round(const ScreeningRound& round) {
  auto id = next_id(Sequence::round, round.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO screening_rounds (community_id, round_id, day, buildings, created_at, "
      "created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, round.community_id)
      .bind(2, *id)
      .bind(3, round.day)
      .bind(4, join_ids(round.buildings))
      .bind(5, round.created_at)
      .bind(6, round.created_by);
  if (auto r = s->run("insert round"); !r) return std::unexpected(r.error());
  return *id;
}

ScreeningRound read_round(CommunityId c, const Stmt& s) {
  return ScreeningRound{c,
                        s.integer(0),
                        s.text(1),
                        split_ids(s.text(2)),
                        s.text(3),
                        s.integer(4),
                        static_cast<int>(s.integer(5))};
}

Result<std::optional<ScreeningRound>> SqliteTransaction::get_round(CommunityId c, std::int64_t id) {
  auto s = prepare(
      "SELECT round_id, day, buildings, created_at, created_by, (SELECT count(*) FROM "
      "screening_rounds o WHERE o.community_id = r.community_id AND o.day = r.day AND "
      "o.round_id <= r.round_id) FROM screening_rounds r WHERE community_id = ?1 AND round_id = "
      "?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get round");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ScreeningRound>();
  return read_round(c, *s);
}

Result<std::vector<ScreeningRound>> SqliteTransaction::list_rounds(CommunityId c) {
  auto s = prepare(
      "SELECT round_id, day, buildings, created_at, created_by, (SELECT count(*) FROM "
      "screening_rounds o WHERE o.community_id = r.community_id AND o.day = r.day AND "
      "o.round_id <= r.round_id) FROM screening_rounds r WHERE community_id = ?1 ORDER BY "
      "round_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list rounds", [&](const Stmt& row) { return read_round(c, row); });
}

Result<domain::TubeState> SqliteTransaction::find_tube(CommunityId c, std::string_view code) {
  auto s = prepare(
      "SELECT t.round_id, t.kind, (SELECT count(*) FROM samples x WHERE x.community_id = "
      "t.community_id AND x.tube_code = t.tube_code) FROM tubes t "
      "WHERE t.community_id = ?1 AND t.tube_code = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code);
  auto row = s->step("find tube");
  if (!row) return std::unexpected(row.error());
  if (!*row) return domain::TubeState{};
  return domain::TubeState{
      true, s->integer(0),
      domain::tube_kind_from_code(s->text(1)).value_or(domain::TubeKind::pooled),
      static_cast<int>(s->integer(2))};
}

Result<void> SqliteTransaction::insert_tube(CommunityId c, std::string_view code,
                                            std::int64_t round_id, domain::TubeKind kind,
                                            std::string_view now) {
  auto s = prepare(
      "INSERT INTO tubes (community_id, tube_code, round_id, kind, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code).bind(3, round_id).bind(4, domain::to_code(kind)).bind(5, now);
  return s->run("insert tube");
}

Result<std::int64_t> SqliteTransaction::insert_sample(const Sample& sample) {
  auto s = prepare(
      "INSERT INTO samples (community_id, round_id, sample_id, tube_code, resident_id, "
      "sampled_at, sampled_by, at_home, resample_reason) SELECT ?1, ?2, "
      "coalesce(max(sample_id), 0) + 1, ?3, ?4, ?5, ?6, ?7, ?8 FROM samples "
      "WHERE community_id = ?1 AND round_id = ?2 RETURNING sample_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, sample.community_id)
      .bind(2, sample.round_id)
      .bind(3, sample.tube_code)
      .bind(4, sample.resident_id)
      .bind(5, sample.sampled_at)
      .bind(6, sample.sampled_by)
      .bind(7, std::int64_t{sample.at_home ? 1 : 0})
      .bind(8, sample.resample_reason);
  auto row = s->step("insert sample");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  if (auto done = s->step("insert sample"); !done) return std::unexpected(done.error());
  return id;
}

Result<std::int64_t> SqliteTransaction::count_samples_of(CommunityId c, std::int64_t round_id,
                                                         ResidentId resident) {
  auto s = prepare(
      "SELECT count(*) FROM samples WHERE community_id = ?1 AND round_id = ?2 AND "
      "resident_id = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id).bind(3, resident);
  if (auto row = s->step("count samples"); !row) return std::unexpected(row.error());
  return s->integer(0);
}

Result<std::vector<Sample>> SqliteTransaction::list_samples_of(CommunityId c, std::int64_t round_id,
                                                               ResidentId resident) {
  auto s = prepare(
      "SELECT sample_id, tube_code, sampled_at, sampled_by, at_home, resample_reason "
      "FROM samples WHERE community_id = ?1 AND round_id = ?2 AND resident_id = ?3 "
      "ORDER BY sample_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id).bind(3, resident);
  return collect(*s, "list samples", [&](const Stmt& row) {
    return Sample{c,           round_id,       row.integer(0),      row.text(1), resident,
                  row.text(2), row.integer(3), row.integer(4) != 0, row.text(5)};
  });
}

namespace {

// The rules the door-knock list and coverage share, as SQL on a resident `r` and the round ?2
// of community ?1. Rule screening.day_counts_every_round: a swab in any round of the round's day.
constexpr std::string_view kSampledThatDay =
    "EXISTS (SELECT 1 FROM samples x WHERE x.community_id = r.community_id AND x.resident_id ="
    " r.resident_id AND x.round_id IN (SELECT d.round_id FROM screening_rounds d WHERE"
    " d.community_id = ?1 AND d.day = (SELECT day FROM screening_rounds WHERE community_id = ?1"
    " AND round_id = ?2)))";
// Excused: marked away or exempt, or out on an open exit (rule screening.out_is_excused).
constexpr std::string_view kExcused =
    "(EXISTS (SELECT 1 FROM screening_marks m WHERE m.community_id = r.community_id AND"
    " m.resident_id = r.resident_id AND m.mark IN ('away', 'exempt')) OR EXISTS (SELECT 1 FROM"
    " passes p JOIN pass_exits e ON e.community_id = p.community_id AND e.pass_id = p.pass_id"
    " WHERE p.community_id = r.community_id AND p.holder = r.resident_id AND"
    " e.returned_at = ''))";

}  // namespace

Result<std::vector<ResidentRow>> SqliteTransaction::unsampled_residents(CommunityId c,
                                                                        std::int64_t round_id) {
  static const std::string sql =
      std::string("SELECT ") + kResidentColumns + kResidentJoin +
      " WHERE r.community_id = ?1 AND r.deleted_at IS NULL AND h.deleted_at IS NULL"
      " AND b.deleted_at IS NULL AND NOT " +
      std::string(kSampledThatDay) + " AND NOT " + std::string(kExcused) +
      " ORDER BY h.building_id, h.room, r.resident_id";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id);
  return collect(*s, "unsampled residents",
                 [&](const Stmt& row) { return read_resident_row(row); });
}

Result<std::vector<BuildingCoverage>> SqliteTransaction::round_coverage(CommunityId c,
                                                                        std::int64_t round_id) {
  static const std::string sql =
      "SELECT b.building_id, b.name, count(*) - sum(t.excused AND NOT t.sampled), "
      "sum(t.sampled), sum(t.excused AND NOT t.sampled) FROM (SELECT h.building_id, " +
      std::string(kSampledThatDay) + " AS sampled, " + std::string(kExcused) +
      " AS excused "
      "FROM residents r JOIN households h ON h.community_id = r.community_id AND "
      "h.household_id = r.household_id AND h.deleted_at IS NULL "
      "WHERE r.community_id = ?1 AND r.deleted_at IS NULL) t "
      "JOIN buildings b ON b.community_id = ?1 AND b.building_id = t.building_id AND "
      "b.deleted_at IS NULL GROUP BY b.building_id ORDER BY b.building_id";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id);
  return collect(*s, "round coverage", [&](const Stmt& row) {
    return BuildingCoverage{row.integer(0), row.text(1), row.integer(2), row.integer(3),
                            row.integer(4)};
  });
}

namespace {

domain::TestResult result_of(std::string_view code) {
  return domain::parse_test_result(code).value_or(domain::TestResult::negative);
}

constexpr const char* kConflictColumns =
    "conflict_id, tube_code, result, reported_at, lab, received_at, source, stored_result, "
    "resolution, resolution_reason, resolved_at, resolved_by";

ResultConflict read_conflict(CommunityId c, const Stmt& s) {
  return ResultConflict{c,         s.integer(0), s.text(1),    result_of(s.text(2)), s.text(3),
                        s.text(4), s.text(5),    s.text(6),    result_of(s.text(7)), s.text(8),
                        s.text(9), s.text(10),   s.integer(11)};
}

}  // namespace

Result<std::optional<TubeForResult>> SqliteTransaction::find_tube_for_result(
    CommunityId c, std::string_view code) {
  auto s = prepare(
      "SELECT t.kind, r.result, t.created_at FROM tubes t LEFT JOIN tube_results r ON "
      "r.community_id = t.community_id AND r.tube_code = t.tube_code "
      "WHERE t.community_id = ?1 AND t.tube_code = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind_borrowed(2, code);
  auto row = s->step("find tube for result");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<TubeForResult>();
  TubeForResult t{domain::tube_kind_from_code(s->view(0)).value_or(domain::TubeKind::pooled),
                  s->text(2), std::nullopt};
  if (!s->is_null(1)) t.stored = result_of(s->view(1));
  return t;
}

Result<std::optional<TubeResult>> SqliteTransaction::get_tube_result(CommunityId c,
                                                                     std::string_view code) {
  auto s = prepare(
      "SELECT result, reported_at, lab, received_at FROM tube_results "
      "WHERE community_id = ?1 AND tube_code = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code);
  auto row = s->step("get tube result");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<TubeResult>();
  return TubeResult{c,          std::string(code), result_of(s->text(0)),
                    s->text(1), s->text(2),        s->text(3)};
}

Result<void> SqliteTransaction::insert_tube_result(const TubeResult& r) {
  auto s = prepare(
      "INSERT INTO tube_results (community_id, tube_code, result, reported_at, lab, received_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind_borrowed(2, r.tube_code)
      .bind_borrowed(3, domain::to_code(r.result))
      .bind_borrowed(4, r.reported_at)
      .bind_borrowed(5, r.lab)
      .bind_borrowed(6, r.received_at);
  return s->run("insert tube result");
}

Result<bool> SqliteTransaction::insert_first_tube_result(const TubeResult& r) {
  auto s = prepare(
      "INSERT INTO tube_results (community_id, tube_code, result, reported_at, lab, received_at) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6 FROM tubes "
      "WHERE community_id = ?1 AND tube_code = ?2 AND created_at <= ?4 ON CONFLICT DO NOTHING");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind_borrowed(2, r.tube_code)
      .bind_borrowed(3, domain::to_code(r.result))
      .bind_borrowed(4, r.reported_at)
      .bind_borrowed(5, r.lab)
      .bind_borrowed(6, r.received_at);
  if (auto done = s->run("insert first tube result"); !done) return std::unexpected(done.error());
  return sqlite3_changes(db()) > 0;
}

Result<void> SqliteTransaction::replace_tube_result(const TubeResult& r) {
  auto s = prepare(
      "UPDATE tube_results SET result = ?3, reported_at = ?4, lab = ?5, received_at = ?6 "
      "WHERE community_id = ?1 AND tube_code = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.tube_code)
      .bind(3, domain::to_code(r.result))
      .bind(4, r.reported_at)
      .bind(5, r.lab)
      .bind(6, r.received_at);
  return run_changing_one(*s, "replace tube result");
}

Result<bool> SqliteTransaction::result_known_for(CommunityId c, std::string_view code,
                                                 domain::TestResult result) {
  auto s = prepare(
      "SELECT EXISTS (SELECT 1 FROM result_conflicts WHERE community_id = ?1 AND "
      "tube_code = ?2 AND (result = ?3 OR (resolution = 'accepted' AND stored_result = ?3)))");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code).bind(3, domain::to_code(result));
  if (auto row = s->step("find known result"); !row) return std::unexpected(row.error());
  return s->integer(0) != 0;
}

Result<std::int64_t> SqliteTransaction::insert_result_conflict(const ResultConflict& k) {
  auto id = next_id(Sequence::conflict, k.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO result_conflicts (community_id, conflict_id, tube_code, result, reported_at, "
      "lab, received_at, source, stored_result, resolution, resolution_reason, resolved_at, "
      "resolved_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, k.community_id)
      .bind(2, *id)
      .bind(3, k.tube_code)
      .bind(4, domain::to_code(k.result))
      .bind(5, k.reported_at)
      .bind(6, k.lab)
      .bind(7, k.received_at)
      .bind(8, k.source)
      .bind(9, domain::to_code(k.stored_result))
      .bind(10, k.resolution)
      .bind(11, k.resolution_reason)
      .bind(12, k.resolved_at)
      .bind(13, k.resolved_by);
  if (auto r = s->run("insert result conflict"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<ResultConflict>> SqliteTransaction::get_result_conflict(CommunityId c,
                                                                             std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kConflictColumns +
                                 " FROM result_conflicts WHERE community_id = ?1 AND "
                                 "conflict_id = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get result conflict");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ResultConflict>();
  return read_conflict(c, *s);
}

Result<std::vector<ResultConflict>> SqliteTransaction::list_result_conflicts(CommunityId c,
                                                                             bool open_only) {
  static const std::string sql = std::string("SELECT ") + kConflictColumns +
                                 " FROM result_conflicts WHERE community_id = ?1 AND "
                                 "(?2 = 0 OR resolution = '') ORDER BY conflict_id";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, std::int64_t{open_only ? 1 : 0});
  return collect(*s, "list result conflicts",
                 [&](const Stmt& row) { return read_conflict(c, row); });
}

Result<void> SqliteTransaction::resolve_result_conflict(const ResultConflict& k) {
  auto s = prepare(
      "UPDATE result_conflicts SET resolution = ?3, resolution_reason = ?4, resolved_at = ?5, "
      "resolved_by = ?6, stored_result = ?7 WHERE community_id = ?1 AND conflict_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, k.community_id)
      .bind(2, k.id)
      .bind(3, k.resolution)
      .bind(4, k.resolution_reason)
      .bind(5, k.resolved_at)
      .bind(6, k.resolved_by)
      .bind(7, domain::to_code(k.stored_result));
  return run_changing_one(*s, "resolve result conflict");
}

namespace {

ResidentTest read_swab_test(const Stmt& row) {
  ResidentTest t;
  t.kind = row.view(0) == "single" ? domain::TestKind::single : domain::TestKind::pooled;
  t.id = row.integer(1);
  t.round_id = row.integer(2);
  t.tube_code = row.text(3);
  t.sampled_at = row.text(4);
  t.at_home = row.integer(5) != 0;
  if (!row.is_null(6)) t.result = result_of(row.view(6));
  t.reported_at = row.text(7);
  t.lab = row.text(8);
  t.received_at = row.text(9);
  return t;
}

ResidentTest read_antigen_test(const Stmt& row) {
  ResidentTest t;
  t.kind = domain::TestKind::antigen;
  t.id = row.integer(0);
  t.sampled_at = row.text(1);
  t.result = result_of(row.view(2));
  t.reported_at = row.text(3);
  t.received_at = t.reported_at;  // reported to Juwei itself
  return t;
}

// The next row of `s` read with `read`, or nothing when `s` is done.
Result<std::optional<ResidentTest>> next_test(Stmt& s, std::string_view what,
                                              ResidentTest (*read)(const Stmt&)) {
  auto row = s.step(what);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ResidentTest>();
  return read(s);
}

}  // namespace

Result<void> SqliteTransaction::for_each_resident_test(
    CommunityId c, ResidentId resident, const std::function<bool(const ResidentTest&)>& f) {
  // Two index-ordered reads (no sort), merged newest first (a swab before an antigen test of
  // the same time) and stepped only as far as `f` reads.
  auto swabs = prepare(
      "SELECT t.kind, x.sample_id, x.round_id, x.tube_code, x.sampled_at, x.at_home, r.result, "
      "r.reported_at, r.lab, r.received_at FROM samples x "
      "JOIN tubes t ON t.community_id = x.community_id AND t.tube_code = x.tube_code "
      "LEFT JOIN tube_results r ON r.community_id = x.community_id AND r.tube_code = x.tube_code "
      "WHERE x.community_id = ?1 AND x.resident_id = ?2 "
      "ORDER BY x.sampled_at DESC, x.round_id DESC, x.sample_id DESC");
  if (!swabs) return std::unexpected(swabs.error());
  swabs->bind(1, c).bind(2, resident);
  auto antigen = prepare(
      "SELECT test_id, tested_at, result, reported_at FROM antigen_tests "
      "WHERE community_id = ?1 AND resident_id = ?2 ORDER BY tested_at DESC, test_id DESC");
  if (!antigen) return std::unexpected(antigen.error());
  antigen->bind(1, c).bind(2, resident);

  auto swab = next_test(*swabs, "resident swabs", read_swab_test);
  if (!swab) return std::unexpected(swab.error());
  auto self_test = next_test(*antigen, "resident antigen tests", read_antigen_test);
  if (!self_test) return std::unexpected(self_test.error());
  while (*swab || *self_test) {
    if (*swab && (!*self_test || (*swab)->sampled_at >= (*self_test)->sampled_at)) {
      if (!f(**swab)) return {};
      swab = next_test(*swabs, "resident swabs", read_swab_test);
      if (!swab) return std::unexpected(swab.error());
    } else {
      if (!f(**self_test)) return {};
      self_test = next_test(*antigen, "resident antigen tests", read_antigen_test);
      if (!self_test) return std::unexpected(self_test.error());
    }
  }
  return {};
}

Result<std::vector<ResidentTest>> SqliteTransaction::resident_tests(CommunityId c,
                                                                    ResidentId resident) {
  std::vector<ResidentTest> out;
  auto read = for_each_resident_test(c, resident, [&](const ResidentTest& t) {
    out.push_back(t);
    return true;
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

namespace {

constexpr const char* kSwabColumns =
    "SELECT x.round_id, x.sample_id, x.tube_code, x.resident_id, x.sampled_at, x.sampled_by, "
    "x.at_home, x.resample_reason, t.kind, coalesce(r.reported_at, ''), h.building_id, "
    "h.household_id FROM samples x "
    "JOIN tubes t ON t.community_id = x.community_id AND t.tube_code = x.tube_code "
    "JOIN residents p ON p.community_id = x.community_id AND p.resident_id = x.resident_id "
    "JOIN households h ON h.community_id = p.community_id AND h.household_id = p.household_id ";

Result<std::vector<PositiveSwab>> read_swabs(CommunityId c, Stmt& s, std::string_view what) {
  std::vector<PositiveSwab> out;
  while (true) {
    auto row = s.step(what);
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    PositiveSwab p;
    p.sample = Sample{c,         s.integer(0), s.integer(1),      s.text(2), s.integer(3),
                      s.text(4), s.integer(5), s.integer(6) != 0, s.text(7)};
    p.kind = domain::tube_kind_from_code(s.text(8)).value_or(domain::TubeKind::pooled);
    p.reported_at = s.text(9);
    p.building_id = s.integer(10);
    p.household_id = s.integer(11);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<std::vector<PositiveSwab>> SqliteTransaction::swabs_in_tube(CommunityId c,
                                                                   std::string_view code) {
  static const std::string sql =
      std::string(kSwabColumns) +
      "LEFT JOIN tube_results r ON r.community_id = x.community_id AND r.tube_code = x.tube_code "
      "WHERE x.community_id = ?1 AND x.tube_code = ?2 ORDER BY x.sample_id";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code);
  return read_swabs(c, *s, "swabs in tube");
}

Result<std::vector<PositiveSwab>> SqliteTransaction::positive_swabs(
    CommunityId c, std::optional<std::int64_t> round_id) {
  static const std::string sql =
      std::string(kSwabColumns) +
      "JOIN tube_results r ON r.community_id = x.community_id AND r.tube_code = x.tube_code "
      "WHERE r.community_id = ?1 AND r.result = 'positive' AND (?2 = 0 OR x.round_id = ?2) "
      "ORDER BY r.reported_at, x.round_id, x.sample_id";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, round_id.value_or(0));
  return read_swabs(c, *s, "positive swabs");
}

Result<std::int64_t> SqliteTransaction::insert_antigen_test(const AntigenTest& t) {
  auto id = next_id(Sequence::antigen, t.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO antigen_tests (community_id, test_id, resident_id, result, tested_at, "
      "reported_at, reported_by, photo_type, photo) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, t.community_id)
      .bind(2, *id)
      .bind(3, t.resident_id)
      .bind(4, domain::to_code(t.result))
      .bind(5, t.tested_at)
      .bind(6, t.reported_at)
      .bind(7, t.reported_by)
      .bind(8, t.photo_type);
  if (t.photo.empty()) {
    s->bind_null(9);
  } else {
    s->bind_blob(9, t.photo);
  }
  if (auto r = s->run("insert antigen test"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<AntigenTest>> SqliteTransaction::get_antigen_photo(CommunityId c,
                                                                        std::int64_t id) {
  auto s = prepare(
      "SELECT resident_id, result, tested_at, reported_at, reported_by, photo_type, photo "
      "FROM antigen_tests WHERE community_id = ?1 AND test_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get antigen photo");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<AntigenTest>();
  return AntigenTest{c,          id,         s->integer(0), result_of(s->text(1)),
                     s->text(2), s->text(3), s->integer(4), s->text(5),
                     s->blob(6)};
}

Result<std::vector<AntigenTest>> SqliteTransaction::positive_antigen_tests(CommunityId c) {
  auto s = prepare(
      "SELECT test_id, resident_id, tested_at, reported_at, reported_by, photo_type "
      "FROM antigen_tests WHERE community_id = ?1 AND result = 'positive' "
      "ORDER BY tested_at, test_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "positive antigen tests", [&](const Stmt& row) {
    return AntigenTest{c,           row.integer(0), row.integer(1), domain::TestResult::positive,
                       row.text(2), row.text(3),    row.integer(4), row.text(5),
                       {}};
  });
}

Result<void> SqliteTransaction::set_screening_mark(const ScreeningMarkRow& m) {
  auto s = prepare(
      "INSERT INTO screening_marks (community_id, resident_id, mark, reason, set_at, set_by) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (community_id, resident_id) DO UPDATE SET "
      "mark = excluded.mark, reason = excluded.reason, set_at = excluded.set_at, "
      "set_by = excluded.set_by");
  if (!s) return std::unexpected(s.error());
  s->bind(1, m.community_id)
      .bind(2, m.resident_id)
      .bind(3, domain::to_code(m.mark))
      .bind(4, m.reason)
      .bind(5, m.set_at)
      .bind(6, m.set_by);
  return s->run("set screening mark");
}

Result<void> SqliteTransaction::clear_screening_mark(CommunityId c, ResidentId resident) {
  auto s = prepare("DELETE FROM screening_marks WHERE community_id = ?1 AND resident_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, resident);
  return run_changing_one(*s, "clear screening mark");
}

namespace {

ScreeningMarkRow read_mark(CommunityId c, const Stmt& s) {
  return ScreeningMarkRow{
      c,
      s.integer(0),
      domain::screening_mark_from_code(s.text(1)).value_or(domain::ScreeningMark::away),
      s.text(2),
      s.text(3),
      s.integer(4)};
}

}  // namespace

Result<std::optional<ScreeningMarkRow>> SqliteTransaction::get_screening_mark(CommunityId c,
                                                                              ResidentId resident) {
  auto s = prepare(
      "SELECT resident_id, mark, reason, set_at, set_by FROM screening_marks "
      "WHERE community_id = ?1 AND resident_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, resident);
  auto row = s->step("get screening mark");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ScreeningMarkRow>();
  return read_mark(c, *s);
}

Result<std::vector<ScreeningMarkRow>> SqliteTransaction::list_screening_marks(CommunityId c) {
  auto s = prepare(
      "SELECT m.resident_id, m.mark, m.reason, m.set_at, m.set_by FROM screening_marks m "
      "JOIN residents r ON r.community_id = m.community_id AND r.resident_id = m.resident_id "
      "WHERE m.community_id = ?1 AND r.deleted_at IS NULL ORDER BY m.resident_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list screening marks", [&](const Stmt& row) { return read_mark(c, row); });
}

Result<void> SqliteTransaction::insert_idempotency_key(const IdempotencyRecord& r) {
  auto s = prepare(
      "INSERT INTO idempotency_keys (community_id, user_id, idem_key, request_hash, status, "
      "content_type, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.user_id)
      .bind(3, r.key)
      .bind(4, r.request_hash)
      .bind(5, std::int64_t{r.status})
      .bind(6, r.content_type)
      .bind(7, r.body)
      .bind(8, r.created_at);
  return s->run("insert idempotency key");
}

Result<std::optional<IdempotencyRecord>> SqliteTransaction::find_idempotency_key(
    CommunityId c, domain::UserId user, std::string_view key) {
  auto s = prepare(
      "SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys "
      "WHERE community_id = ?1 AND user_id = ?2 AND idem_key = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, user).bind(3, key);
  auto row = s->step("find idempotency key");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<IdempotencyRecord>();
  return IdempotencyRecord{
      c,          user,       std::string(key), s->text(0), static_cast<int>(s->integer(1)),
      s->text(2), s->text(3), s->text(4)};
}

Result<void> SqliteTransaction::finish_idempotency_key(const IdempotencyRecord& r) {
  auto s = prepare(
      "UPDATE idempotency_keys SET status = ?4, content_type = ?5, body = ?6 "
      "WHERE community_id = ?1 AND user_id = ?2 AND idem_key = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.user_id)
      .bind(3, r.key)
      .bind(4, std::int64_t{r.status})
      .bind(5, r.content_type)
      .bind(6, r.body);
  return run_changing_one(*s, "finish idempotency key");
}

Result<void> SqliteTransaction::delete_idempotency_key(CommunityId c, domain::UserId user,
                                                       std::string_view key) {
  auto s = prepare(
      "DELETE FROM idempotency_keys WHERE community_id = ?1 AND user_id = ?2 AND idem_key = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, user).bind(3, key);
  return s->run("delete idempotency key");
}

Result<std::int64_t> SqliteTransaction::purge_idempotency_keys(std::string_view before) {
  auto s = prepare("DELETE FROM idempotency_keys WHERE created_at < ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, before);
  if (auto r = s->run("purge idempotency keys"); !r) return std::unexpected(r.error());
  return sqlite3_changes(db());
}

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

namespace {

std::string join_rule_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

std::vector<std::string> split_rule_ids(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

constexpr const char* kRequestColumns =
    "q.community_id, q.request_id, q.resident_id, q.reason, q.destination, q.planned_exit, "
    "q.planned_return, q.note, q.asked_by, q.asked_via, q.created_at, q.status";

ExitRequest read_request(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.integer(2), s.text(3), s.text(4),  s.text(5),
          s.text(6),    s.text(7),    s.integer(8), s.text(9), s.text(10), s.text(11)};
}

constexpr const char* kProofColumns =
    "community_id, proof_id, request_id, kind, digest, content_type, size, filename, "
    "uploaded_by, uploaded_at";

Proof read_proof(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.integer(2), s.text(3),    s.text(4),
          s.text(5),    s.integer(6), s.text(7),    s.integer(8), s.text(9)};
}

constexpr const char* kPassColumns =
    "community_id, pass_id, kind, request_id, holder, household_id, reason, destination, "
    "valid_from, valid_until, return_required, return_by, emergency, override_rules, "
    "paperwork_due_at, policy_version, key_id, token, approved_at, approved_by, revoked_at, "
    "revoked_by, revoke_reason, quota, period_days, slots, negative_within_hours, test_age_from, "
    "short_code";

}  // namespace

Result<std::int64_t> SqliteTransaction::insert_policy(const PolicyVersion& p) {
  auto id = next_id(Sequence::policy, p.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO policies (community_id, policy_id, version, body, digest, set_at, set_by) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id)
      .bind(2, *id)
      .bind(3, p.version)
      .bind(4, p.body)
      .bind(5, p.digest)
      .bind(6, p.set_at)
      .bind(7, p.set_by);
  if (auto r = s->run("insert policy"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::vector<PolicyVersion>> SqliteTransaction::list_policies(CommunityId c) {
  auto s = prepare(
      "SELECT community_id, policy_id, version, body, set_at, set_by, digest FROM policies "
      "WHERE community_id = ?1 ORDER BY policy_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list policies", [](const Stmt& row) {
    return PolicyVersion{row.integer(0), row.integer(1), row.text(2), row.text(3),
                         row.text(4),    row.integer(5), row.text(6)};
  });
}

Result<std::optional<PolicyVersion>> SqliteTransaction::current_policy(CommunityId c) {
  auto s = prepare(
      "SELECT community_id, policy_id, version, body, set_at, set_by, digest FROM policies "
      "WHERE community_id = ?1 ORDER BY policy_id DESC LIMIT 1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto row = s->step("current policy");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<PolicyVersion>();
  return PolicyVersion{s->integer(0), s->integer(1), s->text(2), s->text(3),
                       s->text(4),    s->integer(5), s->text(6)};
}

Result<void> SqliteTransaction::insert_signing_key(const SigningKey& k) {
  auto s = prepare(
      "INSERT INTO signing_keys (community_id, key_id, public_key, created_at, retired_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, k.community_id)
      .bind(2, static_cast<std::int64_t>(k.key_id))
      .bind_blob(3, k.public_key)
      .bind(4, k.created_at)
      .bind(5, k.retired_at);
  return s->run("insert signing key");
}

Result<std::vector<SigningKey>> SqliteTransaction::list_signing_keys(CommunityId c) {
  auto s = prepare(
      "SELECT key_id, public_key, created_at, retired_at FROM signing_keys "
      "WHERE community_id = ?1 ORDER BY key_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  return collect(*s, "list signing keys", [c](const Stmt& row) {
    return SigningKey{c, static_cast<std::uint32_t>(row.integer(0)), row.blob(1), row.text(2),
                      row.text(3)};
  });
}

Result<void> SqliteTransaction::retire_signing_key(CommunityId c, std::uint32_t key_id,
                                                   std::string_view at) {
  auto s =
      prepare("UPDATE signing_keys SET retired_at = ?3 WHERE community_id = ?1 AND key_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, static_cast<std::int64_t>(key_id)).bind(3, at);
  return run_changing_one(*s, "retire signing key");
}

Result<std::int64_t> SqliteTransaction::insert_exit_request(const ExitRequest& r) {
  auto id = next_id(Sequence::request, r.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO exit_requests (community_id, request_id, resident_id, reason, destination, "
      "planned_exit, planned_return, note, asked_by, asked_via, created_at, status) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, *id)
      .bind(3, r.resident_id)
      .bind(4, r.reason)
      .bind(5, r.destination)
      .bind(6, r.planned_exit)
      .bind(7, r.planned_return)
      .bind(8, r.note)
      .bind(9, r.asked_by)
      .bind(10, r.asked_via)
      .bind(11, r.created_at)
      .bind(12, r.status);
  if (auto run = s->run("insert exit request"); !run) return std::unexpected(run.error());
  return *id;
}

Result<std::optional<ExitRequest>> SqliteTransaction::get_exit_request(CommunityId c,
                                                                       std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kRequestColumns +
      " FROM exit_requests q WHERE q.community_id = ?1 AND q.request_id = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get exit request");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ExitRequest>();
  return read_request(*s);
}

namespace {

// The building filter of ExitRequestQuery, on the resident r joined to the request q.
constexpr const char* kRequestInBuilding =
    "AND (?7 IS NULL OR r.household_id IN (SELECT household_id FROM households "
    "WHERE community_id = ?1 AND building_id = ?7))";

// Binds ExitRequestQuery's community (?1), household (?3), resident (?4) and building (?7).
void bind_request_filters(Stmt& s, const ExitRequestQuery& q) {
  s.bind(1, q.community_id);
  if (q.household) {
    s.bind(3, *q.household);
  } else {
    s.bind_null(3);
  }
  if (q.resident) {
    s.bind(4, *q.resident);
  } else {
    s.bind_null(4);
  }
  if (q.building) {
    s.bind(7, *q.building);
  } else {
    s.bind_null(7);
  }
}

}  // namespace

Result<std::vector<ExitRequest>> SqliteTransaction::list_exit_requests(const ExitRequestQuery& q) {
  static const std::string sql =
      std::string("SELECT ") + kRequestColumns +
      " FROM exit_requests q JOIN residents r ON r.community_id = q.community_id "
      "AND r.resident_id = q.resident_id WHERE q.community_id = ?1 "
      "AND (?2 = '' OR q.status = ?2) AND (?3 IS NULL OR r.household_id = ?3) "
      "AND (?4 IS NULL OR q.resident_id = ?4) AND q.request_id > ?5 " +
      kRequestInBuilding + " ORDER BY q.request_id LIMIT ?6";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  bind_request_filters(*s, q);
  s->bind(2, q.status).bind(5, q.after).bind(6, static_cast<std::int64_t>(q.limit));
  return collect(*s, "list exit requests", read_request);
}

Result<ExitRequestCounts> SqliteTransaction::count_exit_requests(const ExitRequestQuery& q) {
  static const std::string sql =
      std::string("SELECT q.status, count(*) FROM exit_requests q JOIN residents r ") +
      "ON r.community_id = q.community_id AND r.resident_id = q.resident_id "
      "WHERE q.community_id = ?1 AND (?3 IS NULL OR r.household_id = ?3) "
      "AND (?4 IS NULL OR q.resident_id = ?4) " +
      kRequestInBuilding + " GROUP BY q.status ORDER BY q.status";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  bind_request_filters(*s, q);
  return collect(*s, "count exit requests", [](const Stmt& row) {
    return std::pair<std::string, std::int64_t>(row.text(0), row.integer(1));
  });
}

Result<void> SqliteTransaction::set_exit_request_status(CommunityId c, std::int64_t id,
                                                        std::string_view status) {
  auto s =
      prepare("UPDATE exit_requests SET status = ?3 WHERE community_id = ?1 AND request_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, status);
  return run_changing_one(*s, "set exit request status");
}

Result<std::int64_t> SqliteTransaction::insert_proof(const Proof& p) {
  auto id = next_id(Sequence::proof, p.community_id);
  if (!id) return id;
  static const std::string sql = std::string("INSERT INTO proofs (") + kProofColumns +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id)
      .bind(2, *id)
      .bind(3, p.request_id)
      .bind(4, p.kind)
      .bind(5, p.digest)
      .bind(6, p.content_type)
      .bind(7, p.size)
      .bind(8, p.filename)
      .bind(9, p.uploaded_by)
      .bind(10, p.uploaded_at);
  if (auto r = s->run("insert proof"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::optional<Proof>> SqliteTransaction::get_proof(CommunityId c, std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kProofColumns +
                                 " FROM proofs WHERE community_id = ?1 AND proof_id = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get proof");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Proof>();
  return read_proof(*s);
}

Result<std::vector<Proof>> SqliteTransaction::list_proofs(CommunityId c, std::int64_t request_id) {
  static const std::string sql =
      std::string("SELECT ") + kProofColumns +
      " FROM proofs WHERE community_id = ?1 AND request_id = ?2 ORDER BY proof_id";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, request_id);
  return collect(*s, "list proofs", read_proof);
}

Result<void> SqliteTransaction::insert_pledge(const Pledge& p) {
  auto s = prepare(
      "INSERT INTO pledges (community_id, request_id, text, method, signed_name, photo_proof_id, "
      "signed_at, recorded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id)
      .bind(2, p.request_id)
      .bind(3, p.text)
      .bind(4, p.method)
      .bind(5, p.signed_name)
      .bind(6, p.photo_proof_id)
      .bind(7, p.signed_at)
      .bind(8, p.recorded_by);
  return s->run("insert pledge");
}

Result<std::optional<Pledge>> SqliteTransaction::get_pledge(CommunityId c,
                                                            std::int64_t request_id) {
  auto s = prepare(
      "SELECT text, method, signed_name, photo_proof_id, signed_at, recorded_by FROM pledges "
      "WHERE community_id = ?1 AND request_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, request_id);
  auto row = s->step("get pledge");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Pledge>();
  return Pledge{c,          request_id,    s->text(0), s->text(1),
                s->text(2), s->integer(3), s->text(4), s->integer(5)};
}

Result<std::int64_t> SqliteTransaction::insert_decision(const Decision& d) {
  auto id = next_id(Sequence::decision, d.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO decisions (community_id, decision_id, request_id, outcome, override_rules, "
      "reason, policy_version, rules_applied, rules_unmet, decided_by, decided_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, d.community_id)
      .bind(2, *id)
      .bind(3, d.request_id)
      .bind(4, d.outcome)
      .bind(5, std::int64_t{d.override_rules})
      .bind(6, d.reason)
      .bind(7, d.policy_version)
      .bind(8, join_rule_ids(d.rules_applied))
      .bind(9, join_rule_ids(d.rules_unmet))
      .bind(10, d.decided_by)
      .bind(11, d.decided_at);
  if (auto r = s->run("insert decision"); !r) return std::unexpected(r.error());
  return *id;
}

Result<std::vector<Decision>> SqliteTransaction::list_decisions(CommunityId c,
                                                                std::int64_t request_id) {
  auto s = prepare(
      "SELECT decision_id, outcome, override_rules, reason, policy_version, rules_applied, "
      "rules_unmet, decided_by, decided_at FROM decisions WHERE community_id = ?1 AND "
      "request_id = ?2 ORDER BY decision_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, request_id);
  return collect(*s, "list decisions", [&](const Stmt& row) {
    return Decision{c,
                    row.integer(0),
                    request_id,
                    row.text(1),
                    row.integer(2) != 0,
                    row.text(3),
                    row.text(4),
                    split_rule_ids(row.view(5)),
                    split_rule_ids(row.view(6)),
                    row.integer(7),
                    row.text(8)};
  });
}

Result<std::int64_t> SqliteTransaction::insert_pass(const PassRow& p) {
  auto id = next_id(Sequence::pass, p.community_id);
  if (!id) return id;
  static const std::string sql =
      std::string("INSERT INTO passes (") + kPassColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
      "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id)
      .bind(2, *id)
      .bind(3, domain::to_code(p.kind))
      .bind(4, p.request_id)
      .bind(5, p.holder)
      .bind(6, p.household_id)
      .bind(7, p.reason)
      .bind(8, p.destination)
      .bind(9, p.valid_from)
      .bind(10, p.valid_until)
      .bind(11, std::int64_t{p.return_required})
      .bind(12, p.return_by)
      .bind(13, std::int64_t{p.emergency})
      .bind(14, std::int64_t{p.override_rules})
      .bind(15, p.paperwork_due_at)
      .bind(16, p.policy_version)
      .bind(17, static_cast<std::int64_t>(p.key_id))
      .bind(18, p.token)
      .bind(19, p.approved_at)
      .bind(20, p.approved_by)
      .bind(21, p.revoked_at)
      .bind(22, p.revoked_by)
      .bind(23, p.revoke_reason)
      .bind(24, std::int64_t{p.quota})
      .bind(25, std::int64_t{p.period_days})
      .bind(26, p.slots)
      .bind(27, std::int64_t{p.negative_within_hours})
      .bind(28, p.test_age_from.empty() ? std::string("sampled") : p.test_age_from)
      .bind(29, p.short_code);
  if (auto r = s->run("insert pass"); !r) return std::unexpected(r.error());
  return *id;
}

Result<void> SqliteTransaction::set_pass_token(CommunityId c, std::int64_t id, std::uint32_t key_id,
                                               std::string_view token) {
  auto s =
      prepare("UPDATE passes SET key_id = ?3, token = ?4 WHERE community_id = ?1 AND pass_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, static_cast<std::int64_t>(key_id)).bind(4, token);
  return run_changing_one(*s, "set pass token");
}

Result<PassRow> SqliteTransaction::read_pass(const Stmt& row) {
  PassRow p;
  p.community_id = row.integer(0);
  p.id = row.integer(1);
  p.kind = row.view(2) == "household" ? domain::PassKind::household : domain::PassKind::individual;
  p.request_id = row.integer(3);
  p.holder = row.integer(4);
  p.household_id = row.integer(5);
  p.reason = row.text(6);
  p.destination = row.text(7);
  p.valid_from = row.text(8);
  p.valid_until = row.text(9);
  p.return_required = row.integer(10) != 0;
  p.return_by = row.text(11);
  p.emergency = row.integer(12) != 0;
  p.override_rules = row.integer(13) != 0;
  p.paperwork_due_at = row.text(14);
  p.policy_version = row.text(15);
  p.key_id = static_cast<std::uint32_t>(row.integer(16));
  p.token = row.text(17);
  p.approved_at = row.text(18);
  p.approved_by = row.integer(19);
  p.revoked_at = row.text(20);
  p.revoked_by = row.integer(21);
  p.revoke_reason = row.text(22);
  p.quota = static_cast<int>(row.integer(23));
  p.period_days = static_cast<int>(row.integer(24));
  p.slots = row.text(25);
  p.negative_within_hours = static_cast<int>(row.integer(26));
  p.test_age_from = row.text(27);
  p.short_code = row.text(28);
  auto s = prepare(
      "SELECT exit_id, exited_at, exited_by, exited_via, returned_at, returned_by, returned_via "
      "FROM pass_exits WHERE community_id = ?1 AND pass_id = ?2 ORDER BY exited_at, exit_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, p.community_id).bind(2, p.id);
  auto exits = collect(*s, "list pass exits", [](const Stmt& e) {
    return PassExit{e.integer(0), e.text(1),    e.integer(2), e.text(3),
                    e.text(4),    e.integer(5), e.text(6)};
  });
  if (!exits) return std::unexpected(exits.error());
  p.exits = std::move(*exits);
  return p;
}

Result<std::optional<PassRow>> SqliteTransaction::get_pass(CommunityId c, std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kPassColumns +
                                 " FROM passes WHERE community_id = ?1 AND pass_id = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get pass");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<PassRow>();
  auto pass = read_pass(*s);
  if (!pass) return std::unexpected(pass.error());
  return std::optional<PassRow>(std::move(*pass));
}

Result<std::optional<PassRow>> SqliteTransaction::find_pass_by_short_code(CommunityId c,
                                                                          std::string_view code) {
  static const std::string sql = std::string("SELECT ") + kPassColumns +
                                 " FROM passes WHERE community_id = ?1 AND short_code = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, code);
  auto row = s->step("find pass by short code");
  if (!row) return std::unexpected(row.error());
  if (!*row || code.empty()) return std::optional<PassRow>();
  auto pass = read_pass(*s);
  if (!pass) return std::unexpected(pass.error());
  return std::optional<PassRow>(std::move(*pass));
}

Result<std::optional<PassRow>> SqliteTransaction::find_pass_of_request(CommunityId c,
                                                                       std::int64_t request_id) {
  static const std::string sql = std::string("SELECT ") + kPassColumns +
                                 " FROM passes WHERE community_id = ?1 AND request_id = ?2 "
                                 "ORDER BY pass_id DESC LIMIT 1";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, request_id);
  auto row = s->step("find pass of request");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<PassRow>();
  auto pass = read_pass(*s);
  if (!pass) return std::unexpected(pass.error());
  return std::optional<PassRow>(std::move(*pass));
}

Result<std::vector<PassRow>> SqliteTransaction::list_passes(const PassQuery& q) {
  // Open: not revoked, and either never used, or out and not back (a household pass stays
  // open for its whole window). A holder's passes are read by their own index (the gate asks
  // for them on every check).
  static const std::string kOpen =
      "AND (?5 = 0 OR (revoked_at = '' AND (kind = 'household' OR NOT EXISTS "
      "(SELECT 1 FROM pass_exits e WHERE e.community_id = p.community_id AND e.pass_id = "
      "p.pass_id) OR EXISTS (SELECT 1 FROM pass_exits e WHERE e.community_id = p.community_id "
      "AND e.pass_id = p.pass_id AND e.returned_at = '' AND p.return_required = 1)))) "
      "ORDER BY pass_id LIMIT ?6";
  static const std::string kAny = std::string("SELECT ") + kPassColumns +
                                  " FROM passes p WHERE community_id = ?1 AND pass_id > ?2 "
                                  "AND (?3 IS NULL OR household_id = ?3) AND ?4 IS NULL " +
                                  kOpen;
  static const std::string kOfHolder =
      std::string("SELECT ") + kPassColumns +
      " FROM passes p INDEXED BY passes_by_holder WHERE community_id = ?1 AND holder = ?4 "
      "AND pass_id > ?2 AND (?3 IS NULL OR household_id = ?3) " +
      kOpen;
  auto s = prepare(q.holder ? kOfHolder.c_str() : kAny.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, q.community_id).bind(2, q.after);
  if (q.household) {
    s->bind(3, *q.household);
  } else {
    s->bind_null(3);
  }
  if (q.holder) {
    s->bind(4, *q.holder);
  } else {
    s->bind_null(4);
  }
  s->bind(5, std::int64_t{q.open_only}).bind(6, static_cast<std::int64_t>(q.limit));
  std::vector<PassRow> out;
  while (true) {
    auto row = s->step("list passes");
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    auto pass = read_pass(*s);
    if (!pass) return std::unexpected(pass.error());
    out.push_back(std::move(*pass));
  }
}

Result<void> SqliteTransaction::revoke_pass(CommunityId c, std::int64_t id, std::string_view at,
                                            domain::UserId by, std::string_view reason) {
  auto s = prepare(
      "UPDATE passes SET revoked_at = ?3, revoked_by = ?4, revoke_reason = ?5 "
      "WHERE community_id = ?1 AND pass_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id).bind(3, at).bind(4, by).bind(5, reason);
  return run_changing_one(*s, "revoke pass");
}

Result<std::int64_t> SqliteTransaction::insert_pass_exit(CommunityId c, std::int64_t pass_id,
                                                         const PassExit& e) {
  auto s = prepare(
      "INSERT INTO pass_exits (community_id, pass_id, exit_id, exited_at, exited_by, exited_via, "
      "returned_at, returned_by, returned_via) SELECT ?1, ?2, coalesce(max(exit_id), 0) + 1, "
      "?3, ?4, ?5, ?6, ?7, ?8 FROM pass_exits WHERE community_id = ?1 AND pass_id = ?2 "
      "RETURNING exit_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c)
      .bind(2, pass_id)
      .bind(3, e.exited_at)
      .bind(4, e.exited_by)
      .bind(5, e.exited_via)
      .bind(6, e.returned_at)
      .bind(7, e.returned_by)
      .bind(8, e.returned_via);
  auto row = s->step("insert pass exit");
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = s->integer(0);
  if (auto done = s->step("insert pass exit"); !done) return std::unexpected(done.error());
  return id;
}

Result<void> SqliteTransaction::return_pass_exit(CommunityId c, std::int64_t pass_id,
                                                 const PassExit& e) {
  auto s = prepare(
      "UPDATE pass_exits SET returned_at = ?4, returned_by = ?5, returned_via = ?6 "
      "WHERE community_id = ?1 AND pass_id = ?2 AND exit_id = ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, c)
      .bind(2, pass_id)
      .bind(3, e.id)
      .bind(4, e.returned_at)
      .bind(5, e.returned_by)
      .bind(6, e.returned_via);
  return run_changing_one(*s, "return pass exit");
}

Result<std::int64_t> SqliteTransaction::insert_gate_event(const GateEvent& e) {
  auto id = next_id(Sequence::gate_event, e.community_id);
  if (!id) return id;
  auto s = prepare(
      "INSERT INTO gate_events (community_id, event_id, at, direction, decision, code, pass_id, "
      "resident_id, building, gate_user, source, device, client_event_id, synced_at, conflict, "
      "note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  if (!s) return std::unexpected(s.error());
  s->bind(1, e.community_id)
      .bind(2, *id)
      .bind(3, e.at)
      .bind(4, e.direction)
      .bind(5, e.decision)
      .bind(6, e.code)
      .bind(7, e.pass_id)
      .bind(8, e.resident_id)
      .bind(9, e.building)
      .bind(10, e.gate_user)
      .bind(11, e.source)
      .bind(12, e.device)
      .bind(13, e.client_event_id)
      .bind(14, e.synced_at)
      .bind(15, e.conflict)
      .bind(16, e.note);
  if (auto r = s->run("insert gate event"); !r) return std::unexpected(r.error());
  return *id;
}

namespace {

constexpr const char* kGateEventColumns =
    "community_id, event_id, at, direction, decision, code, pass_id, resident_id, building, "
    "gate_user, source, device, client_event_id, synced_at, conflict, followed_up_at, "
    "followed_up_by, follow_up_note, note";

GateEvent read_gate_event(const Stmt& s) {
  return {s.integer(0), s.integer(1),  s.text(2),    s.text(3),  s.text(4),
          s.text(5),    s.integer(6),  s.integer(7), s.text(8),  s.integer(9),
          s.text(10),   s.text(11),    s.text(12),   s.text(13), s.text(14),
          s.text(15),   s.integer(16), s.text(17),   s.text(18)};
}

}  // namespace

Result<std::vector<GateEvent>> SqliteTransaction::list_gate_events(const GateEventQuery& q) {
  static const std::string sql =
      std::string("SELECT ") + kGateEventColumns +
      " FROM gate_events WHERE community_id = ?1 AND event_id > ?2 "
      "AND (?3 = '' OR at >= ?3) AND (?4 = '' OR at < ?4) AND (?5 = '' OR direction = ?5) "
      "AND (?6 = '' OR decision = ?6) AND (?7 = '' OR building = ?7) "
      "AND (?8 = 0 OR pass_id = ?8) AND (?9 = 0 OR conflict <> '') "
      "AND (?11 IS NULL OR (followed_up_at <> '') = ?11) ORDER BY event_id LIMIT ?10";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, q.community_id)
      .bind(2, q.after)
      .bind(3, q.from)
      .bind(4, q.to)
      .bind(5, q.direction)
      .bind(6, q.decision)
      .bind(7, q.building)
      .bind(8, q.pass_id)
      .bind(9, static_cast<std::int64_t>(q.conflicts_only))
      .bind(10, static_cast<std::int64_t>(q.limit));
  if (q.followed_up) s->bind(11, static_cast<std::int64_t>(*q.followed_up));
  return collect(*s, "list gate events", read_gate_event);
}

Result<std::optional<GateEvent>> SqliteTransaction::get_gate_event(CommunityId c, std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kGateEventColumns +
                                 " FROM gate_events WHERE community_id = ?1 AND event_id = ?2";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, id);
  auto row = s->step("get gate event");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<GateEvent>();
  return std::optional<GateEvent>(read_gate_event(*s));
}

Result<void> SqliteTransaction::follow_up_gate_event(const GateEvent& e) {
  auto s = prepare(
      "UPDATE gate_events SET followed_up_at = ?3, followed_up_by = ?4, follow_up_note = ?5 "
      "WHERE community_id = ?1 AND event_id = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, e.community_id)
      .bind(2, e.id)
      .bind(3, e.followed_up_at)
      .bind(4, e.followed_up_by)
      .bind(5, e.follow_up_note);
  return run_changing_one(*s, "follow up gate event");
}

Result<std::optional<GateEvent>> SqliteTransaction::find_gate_event(
    CommunityId c, std::string_view device, std::string_view client_event_id) {
  static const std::string sql = std::string("SELECT ") + kGateEventColumns +
                                 " FROM gate_events WHERE community_id = ?1 AND device = ?2 "
                                 "AND client_event_id = ?3";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, device).bind(3, client_event_id);
  auto row = s->step("find gate event");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<GateEvent>();
  return std::optional<GateEvent>(read_gate_event(*s));
}

namespace {

constexpr const char* kAuditColumns =
    "community_id, seq, at, actor, role, action, entity, entity_id, before_digest, "
    "after_digest, policy_version, prev_hash, hash";

AuditRecord read_audit(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.text(2), s.integer(3), s.text(4),  s.text(5), s.text(6),
          s.text(7),    s.text(8),    s.text(9), s.text(10),   s.text(11), s.text(12)};
}

}  // namespace

Result<void> SqliteTransaction::insert_audit(const AuditRecord& r) {
  static const std::string sql =
      std::string("INSERT INTO audit_log (") + kAuditColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, r.community_id)
      .bind(2, r.seq)
      .bind(3, r.at)
      .bind(4, r.actor)
      .bind(5, r.role)
      .bind(6, r.action)
      .bind(7, r.entity)
      .bind(8, r.entity_id)
      .bind(9, r.before_digest)
      .bind(10, r.after_digest)
      .bind(11, r.policy_version)
      .bind(12, r.prev_hash)
      .bind(13, r.hash);
  return s->run("insert audit record");
}

Result<std::optional<AuditRecord>> SqliteTransaction::last_audit(CommunityId c) {
  static const std::string sql =
      std::string("SELECT ") + kAuditColumns +
      " FROM audit_log WHERE community_id = ?1 ORDER BY seq DESC LIMIT 1";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto row = s->step("last audit record");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<AuditRecord>();
  return read_audit(*s);
}

Result<void> SqliteTransaction::for_each_audit(CommunityId c, std::int64_t after,
                                               const std::function<bool(const AuditRecord&)>& f) {
  static const std::string sql =
      std::string("SELECT ") + kAuditColumns +
      " FROM audit_log WHERE community_id = ?1 AND seq > ?2 ORDER BY seq";
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  s->bind(1, c).bind(2, after);
  while (true) {
    auto row = s->step("audit records");
    if (!row) return std::unexpected(row.error());
    if (!*row || !f(read_audit(*s))) return {};
  }
}

namespace {

// The resident a record of the trail is about, from its object (`p` is the record): a
// request's, a proof's or a pledge's resident, a pass's holder, a gate check's, a swab's (a
// sample's id is per round: the swab is the one its record wrote, at the record's time) or an
// antigen self-test's resident. NULL when it names none.
constexpr const char* kAuditSubject =
    "CASE p.entity WHEN 'resident' THEN CAST(p.entity_id AS INTEGER)"
    " WHEN 'exit_request' THEN (SELECT x.resident_id FROM exit_requests x"
    "  WHERE x.community_id = p.community_id AND x.request_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'pledge' THEN (SELECT x.resident_id FROM exit_requests x"
    "  WHERE x.community_id = p.community_id AND x.request_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'proof' THEN (SELECT x.resident_id FROM proofs y JOIN exit_requests x"
    "  ON x.community_id = y.community_id AND x.request_id = y.request_id"
    "  WHERE y.community_id = p.community_id AND y.proof_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'pass' THEN (SELECT x.holder FROM passes x"
    "  WHERE x.community_id = p.community_id AND x.pass_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'gate_event' THEN (SELECT nullif(x.resident_id, 0) FROM gate_events x"
    "  WHERE x.community_id = p.community_id AND x.event_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'sample' THEN (SELECT x.resident_id FROM samples x"
    "  WHERE x.community_id = p.community_id AND x.round_id IN (SELECT y.round_id"
    "  FROM screening_rounds y WHERE y.community_id = p.community_id)"
    "  AND x.sample_id = CAST(p.entity_id AS INTEGER) AND x.sampled_at = p.at)"
    " WHEN 'antigen_test' THEN (SELECT x.resident_id FROM antigen_tests x"
    "  WHERE x.community_id = p.community_id AND x.test_id = CAST(p.entity_id AS INTEGER))"
    " END";

// The name of a record's object that is not about a resident (`p` is the record).
constexpr const char* kAuditObjectName =
    "CASE p.entity WHEN 'building' THEN (SELECT x.name FROM buildings x"
    "  WHERE x.community_id = p.community_id AND x.building_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'household' THEN (SELECT y.name || ' ' || x.room FROM households x JOIN buildings y"
    "  ON y.community_id = x.community_id AND y.building_id = x.building_id"
    "  WHERE x.community_id = p.community_id AND x.household_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'user' THEN (SELECT x.username FROM users x"
    "  WHERE x.community_id = p.community_id AND x.user_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'community' THEN (SELECT x.name FROM communities x"
    "  WHERE x.community_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'round' THEN (SELECT x.day FROM screening_rounds x"
    "  WHERE x.community_id = p.community_id AND x.round_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'policy' THEN (SELECT x.version FROM policies x"
    "  WHERE x.community_id = p.community_id AND x.policy_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'import' THEN (SELECT x.source FROM imports x"
    "  WHERE x.community_id = p.community_id AND x.import_id = CAST(p.entity_id AS INTEGER))"
    " WHEN 'result_conflict' THEN (SELECT x.tube_code FROM result_conflicts x"
    "  WHERE x.community_id = p.community_id AND x.conflict_id = CAST(p.entity_id AS INTEGER))"
    " END";

// Records about the residents of the JSON array ?9, as kAuditSubject finds them, written as
// one IN list per kind of object (each list is built once per query, not per record).
constexpr const char* kAuditAboutResidents =
    " AND ((a.entity = 'resident' AND a.entity_id IN (SELECT CAST(value AS TEXT)"
    "  FROM json_each(?9)))"
    " OR (a.entity IN ('exit_request', 'pledge') AND a.entity_id IN (SELECT"
    "  CAST(x.request_id AS TEXT) FROM exit_requests x WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT value FROM json_each(?9))))"
    " OR (a.entity = 'proof' AND a.entity_id IN (SELECT CAST(y.proof_id AS TEXT)"
    "  FROM exit_requests x JOIN proofs y ON y.community_id = x.community_id"
    "  AND y.request_id = x.request_id WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT value FROM json_each(?9))))"
    " OR (a.entity = 'pass' AND a.entity_id IN (SELECT CAST(x.pass_id AS TEXT) FROM passes x"
    "  WHERE x.community_id = ?1 AND x.holder IN (SELECT value FROM json_each(?9))))"
    " OR (a.entity = 'gate_event' AND a.entity_id IN (SELECT CAST(x.event_id AS TEXT)"
    "  FROM gate_events x WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT value FROM json_each(?9))))"
    " OR (a.entity = 'sample' AND (a.entity_id, a.at) IN (SELECT CAST(x.sample_id AS TEXT),"
    "  x.sampled_at FROM samples x WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT value FROM json_each(?9))))"
    " OR (a.entity = 'antigen_test' AND a.entity_id IN (SELECT CAST(x.test_id AS TEXT)"
    "  FROM antigen_tests x WHERE x.community_id = ?1"
    "  AND x.resident_id IN (SELECT value FROM json_each(?9)))))";

}  // namespace

Result<std::vector<AuditListing>> SqliteTransaction::list_audit(const AuditQuery& q) {
  // One statement per order and with or without the residents' filter: the page is read by
  // seq (the primary key) from the cursor on, and only its records are named.
  static const std::array<std::string, 4> statements = [] {
    std::array<std::string, 4> out;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const bool newest = (i & 1U) != 0;
      const bool about = (i & 2U) != 0;
      out[i] = std::string("WITH page AS (SELECT a.* FROM audit_log a") +
               " WHERE a.community_id = ?1 AND a.seq " + (newest ? "<" : ">") +
               " ?2 AND (?3 IS NULL OR a.actor = ?3) AND (?4 = '' OR a.action = ?4)"
               " AND (?5 = '' OR a.entity = ?5) AND (?6 = '' OR a.entity_id = ?6)"
               " AND (?7 = '' OR a.at >= ?7) AND (?8 = '' OR a.at < ?8)" +
               (about ? kAuditAboutResidents : "") + " ORDER BY a.seq" + (newest ? " DESC" : "") +
               " LIMIT ?10), named AS (SELECT p.*, " + kAuditSubject +
               " AS resident FROM page p)"
               " SELECT p.community_id, p.seq, p.at, p.actor, p.role, p.action, p.entity,"
               " p.entity_id, p.before_digest, p.after_digest, p.policy_version, p.prev_hash,"
               " p.hash, coalesce(u.username, ''), coalesce(r.resident_id, 0),"
               " coalesce(r.name, " +
               kAuditObjectName +
               ", ''), coalesce(b.name, ''), coalesce(h.room, '') FROM named p"
               " LEFT JOIN users u ON u.community_id = p.community_id AND u.user_id = p.actor"
               " LEFT JOIN residents r ON r.community_id = p.community_id"
               " AND r.resident_id = p.resident"
               " LEFT JOIN households h ON h.community_id = r.community_id"
               " AND h.household_id = r.household_id"
               " LEFT JOIN buildings b ON b.community_id = h.community_id"
               " AND b.building_id = h.building_id ORDER BY p.seq" +
               (newest ? " DESC" : "");
    }
    return out;
  }();
  const std::string& sql = statements[(q.newest_first ? 1U : 0U) | (q.residents ? 2U : 0U)];
  auto s = prepare(sql.c_str());
  if (!s) return std::unexpected(s.error());
  std::string residents = "[";
  if (q.residents) {
    for (const ResidentId id : *q.residents)
      residents += (residents.size() > 1 ? "," : "") + std::to_string(id);
  }
  residents += "]";
  const std::int64_t after =
      q.after == 0 && q.newest_first ? std::numeric_limits<std::int64_t>::max() : q.after;
  s->bind(1, q.community_id)
      .bind(2, after)
      .bind(4, q.action)
      .bind(5, q.entity)
      .bind(6, q.entity_id)
      .bind(7, q.from)
      .bind(8, q.to)
      .bind(9, residents)
      .bind(10, static_cast<std::int64_t>(q.limit));
  if (q.actor) s->bind(3, *q.actor);  // unbound parameters are NULL
  return collect(*s, "list audit records", [](const Stmt& row) {
    return AuditListing{read_audit(row), row.text(13), row.text(15),
                        row.integer(14), row.text(16), row.text(17)};
  });
}

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
