// The store's aggregate code: one Transaction, written once over the driver seam (driver.hpp),
// that every backend runs. Each aggregate's statements live in its own file of this folder
// (registry.cpp, accounts.cpp, screening.cpp, results.cpp, exits.cpp, passes.cpp, gate.cpp,
// audit.cpp, ...); what they share is here and in rows.hpp. Internal to store/sql.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <utility>

#include "store/sql/driver.hpp"
#include "store/sql/rows.hpp"
#include "store/store.hpp"

namespace juwei::store::sql {

class SqlTransaction final : public Transaction {
 public:
  explicit SqlTransaction(std::unique_ptr<Session> session) : m_session(std::move(session)) {}
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  ~SqlTransaction() override;

  Result<void> commit() override;
  // Session::lock_community, once per community and transaction.
  Result<void> lock_community(CommunityId c) override;

  Result<domain::StreetId> ensure_street(std::string_view name) override;
  Result<CommunityId> insert_community(const domain::Community& c,
                                       std::string_view created_at) override;
  Result<std::vector<domain::Community>> list_communities() override;
  Result<std::vector<domain::Street>> list_streets() override;
  Result<std::optional<domain::Community>> get_community(CommunityId c) override;

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
  Result<RosterAdded> add_roster(CommunityId c, std::span<const RosterRow> rows,
                                 std::string_view now) override;

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
  Result<void> insert_session(const store::Session& s) override;
  Result<std::optional<store::Session>> find_session(CommunityId c,
                                                     std::string_view token_hash) override;
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
  Result<std::vector<bool>> add_first_tube_results(CommunityId c,
                                                   std::span<const TubeResult> results) override;
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

  Result<std::vector<BuildingRegister>> register_by_building(CommunityId c) override;
  Result<std::vector<ResidentTestCount>> test_counts(CommunityId c, std::string_view from,
                                                     std::string_view to) override;
  Result<WindowCounts> count_window(CommunityId c, std::string_view from,
                                    std::string_view to) override;
  Result<std::vector<StatusChange>> status_changes_before(CommunityId c,
                                                          std::string_view to) override;
  Result<void> insert_report_submission(const ReportSubmission& s) override;
  Result<std::optional<ReportSubmission>> get_report_submission(CommunityId c,
                                                                std::string_view day) override;

  Result<void> insert_idempotency_key(const IdempotencyRecord& r) override;
  Result<std::optional<IdempotencyRecord>> find_idempotency_key(CommunityId c, domain::UserId user,
                                                                std::string_view key) override;
  Result<void> finish_idempotency_key(const IdempotencyRecord& r) override;
  Result<void> delete_idempotency_key(CommunityId c, domain::UserId user,
                                      std::string_view key) override;
  Result<std::int64_t> purge_idempotency_keys(std::string_view before) override;

 private:
  // The per-community sequences: each names a table and its id column.
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
  // The next free id of a per-community sequence (the contract in store.hpp): the first call in
  // a transaction takes the community's write lock, then reads the highest id; later calls count
  // on from there, since no other writer of the community can run until this one ends.
  Result<std::int64_t> next_id(Sequence seq, CommunityId c);
  // The same without using it up: ids first_free_id(seq, c) ... + count - 1 are taken by the
  // caller's statement, which tells use_ids how many it took.
  Result<std::int64_t> first_free_id(Sequence seq, CommunityId c);
  void use_ids(Sequence seq, CommunityId c, std::int64_t count);
  // Loads the cells into scratch table t (Session::load_scratch).
  Result<void> load_scratch(const ScratchTable& t, std::span<const std::string_view> cells) {
    return m_session->load_scratch(t, cells);
  }
  // The statement `id` names, whose text is `text` (sql::Query).
  Result<Stmt> prepare(std::string_view id, std::string_view text);

  std::unique_ptr<Session> m_session;
  bool m_done = false;
  std::map<std::pair<Sequence, CommunityId>, std::int64_t> m_next_ids;
  std::set<CommunityId> m_locked;
  // Roster rows add_roster has taken in this transaction, and the count at which it next
  // refreshes the registry's statistics: each time the rows double, so a load of N rows pays
  // for about log2(N) refreshes.
  std::int64_t m_roster_rows = 0;
  std::int64_t m_next_refresh = 1;  // the communities whose write lock this transaction holds
};

}  // namespace juwei::store::sql
