// Exit requests and passes (出门申请 / 出入证), end to end: the policy in force, requests filed
// by residents or by staff after a call, proofs and the pledge, the decision aid, decisions
// and overrides, emergency releases (绿色通道), signed passes with their QR codes and PDFs,
// household passes for precaution buildings, and every pass followed until its holder is
// back. Each use case is one transaction. Thread-safe as its Store is.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/exit.hpp"
#include "domain/offline_gate.hpp"
#include "domain/pass.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "service/pass_keys.hpp"
#include "store/store.hpp"

namespace juwei::service {

inline constexpr std::size_t kMaxProofBytes = 10 * 1024 * 1024;

// "application/pdf", "image/jpeg" or "image/png" by the file's first bytes; empty otherwise.
std::string_view proof_type_of(std::string_view bytes);

struct PolicyInForce {
  domain::ExitPolicy policy;
  std::string body;                            // the TOML text
  std::optional<store::PolicyVersion> stored;  // none: the built-in default
};

struct RequestInput {
  domain::ResidentId resident_id = 0;
  std::string reason;
  std::string destination;
  std::string planned_exit;    // see parse_time
  std::string planned_return;  // optional
  std::string note;
};

struct ProofInput {
  std::string bytes;
  std::string filename;  // for people only
};

// A request with everything the desk needs to decide it.
struct RequestView {
  store::ExitRequest request;
  store::ResidentRow resident;
  std::vector<store::Proof> proofs;
  std::optional<store::Pledge> pledge;
  std::vector<store::Decision> decisions;
  // The deciders' usernames by their ids (the machine's operator, id 0, has none).
  std::map<domain::UserId, std::string> deciders;
  std::optional<store::PassRow> pass;
  domain::ExitAssessment assessment;  // now, under the policy in force
};

// A request as the desk's queue lists it: who is to leave and what is still missing.
struct RequestListItem {
  store::ExitRequest request;
  store::ResidentRow resident;
  domain::ExitAssessment assessment;  // now, under the policy in force
};

struct DecisionInput {
  bool approve = false;
  bool override_rules = false;  // approve although a rule is unmet: needs a reason
  std::string reason;           // required for a denial and an override
};

struct EmergencyInput {
  domain::ResidentId resident_id = 0;
  std::string reason;  // an emergency reason of the policy: medical_emergency, childbirth
  std::string destination;
  std::string note;  // what happened, in a line
};

// A pass as the desk and its holder see it, with where it stands now.
struct PassView {
  store::PassRow pass;
  store::ResidentRow holder;
  std::optional<domain::PassRefusal> refusal;  // why it would not let its holder out now
  domain::ReturnState return_state = domain::ReturnState::not_out;
  double hours_overdue = 0;
  bool paperwork_overdue = false;  // an emergency's proof or pledge is past its deadline
  int uses_left = 0;               // household passes, in the current period
};

// What the desk shows about passes: who is out now, who came back today, who is overdue,
// and emergencies whose paperwork is overdue.
struct PassBoard {
  std::vector<PassView> out;
  std::vector<PassView> back_today;
  std::vector<PassView> overdue;
  std::vector<PassView> paperwork_overdue;
};

// A verified token with its pass: refusal is empty when the pass lets its holder out now.
struct TokenCheck {
  std::optional<PassView> pass;
  std::optional<domain::PassRefusal> refusal;
  std::string masked_id_number;  // the holder's, as the gate may see it
};

// A check at the gate: a scanned token, or a typed ID number, and the direction. A gate that may
// retry (a phone on a weak network) names each check: `check_id` (1 to 64 bytes) on its
// `device`; the same check sent again is answered as the first time and applied once, and an
// offline gate that queued it under the same id syncs it as a duplicate.
struct GateInput {
  std::string token;
  std::string id_number;
  std::string direction;  // "out" or "in"
  std::string check_id;   // empty: not named (not idempotent)
  std::string device;
  std::string code;  // a pass's short code, typed (domain::short_code); or token, or id_number
};

// The gate's answer, as the gate may see it: the holder's name, room and masked ID number.
struct GateVerdict {
  bool allow = false;
  std::string code;  // a domain::GateOutcome or domain::PassRefusal code
  std::string message_zh;
  std::string message_en;
  std::int64_t pass_id = 0;       // the pass the register records the check against; 0: none
  domain::ResidentId holder = 0;  // whose it is (an offline gate queues it with the check)
  std::string name;
  std::string building;
  std::string room;
  std::string masked_id_number;
  std::int64_t event_id = 0;  // the gate log's record of this check
  bool replayed = false;      // a check named by its id was answered before: this is that answer
};

// A check a gate made while offline, as it syncs it.
struct QueuedGateCheck {
  std::string client_id;     // the gate's own id for the check, unique on its device
  std::string at;            // when it was made, ISO-8601
  std::string direction;     // "out" or "in"
  std::string token;         // the scanned pass (offline gates check tokens only)
  bool allow = false;        // what the gate decided
  std::string code;          // and why (a domain code)
  std::int64_t pass_id = 0;  // the pass the gate read in the token; the server reads it itself
};

// What became of a synced check.
struct SyncedGateCheck {
  std::string client_id;
  std::int64_t event_id = 0;  // its record in the register
  bool duplicate = false;     // synced before: nothing was applied again
  std::string conflict;       // what the server found against an allowed check; empty: none
};

// A register event with the names people read in place of its ids (the CSV, the CLI).
struct RegisterLine {
  store::GateEvent event;
  std::string resident;  // resident_name_zh; empty when nobody was identified
  std::string pass;      // pass_name_zh; empty when no pass was shown
};

// Who recorded a register event, as people read it: 门岗 (a gate, online), 离线 (a gate offline,
// synced later), 居委登记 (the desk), 居民报备 (the resident).
std::string_view register_source_zh(std::string_view source);

// How long a gate may check passes on one offline bundle.
inline constexpr std::chrono::hours kOfflineBundleLife{12};

// The gate's check without the server: `in.token` verified against the bundle's keys, then
// domain::check_offline with the checks the gate queued since. A typed ID number is refused
// (offline.needs_network). Invalid input (direction, neither token nor ID) is an error.
Result<GateVerdict> check_offline(const domain::OfflineBundle& bundle, const GateInput& in,
                                  std::span<const domain::OfflineCheck> queued, TimePoint now);

// Where an uploaded file of digest `digest` (hex BLAKE2b-256) is kept under `data_folder`: by
// its content, once for every proof that has it.
std::filesystem::path proof_path(const std::filesystem::path& data_folder, std::string_view digest);

class Exits {
 public:
  Exits(store::Store& store, Clock clock, std::filesystem::path data_folder);

  Result<PolicyInForce> policy(domain::CommunityId c);
  // Validates and stores a new policy version (admin); every version is kept with who set it.
  Result<store::PolicyVersion> set_policy(domain::CommunityId c, std::string_view toml,
                                          const domain::User& by);
  Result<std::vector<store::PolicyVersion>> policy_history(domain::CommunityId c);

  // A resident files for their own household; the desk for anyone.
  Result<store::ExitRequest> file_request(domain::CommunityId c, const RequestInput& in,
                                          const domain::User& by);
  Result<RequestView> request(domain::CommunityId c, std::int64_t id, const domain::User& viewer);
  // Open requests (status "open") or all; a resident's own household only.
  Result<std::vector<store::ExitRequest>> requests(domain::CommunityId c, std::string_view status,
                                                   const domain::User& viewer,
                                                   std::int64_t after = 0, std::size_t limit = 50);
  // The same page, each request with its resident and its assessment, in one read; `building`:
  // only its residents' requests.
  Result<std::vector<RequestListItem>> request_list(
      domain::CommunityId c, std::string_view status, const domain::User& viewer,
      std::int64_t after = 0, std::size_t limit = 50,
      std::optional<domain::BuildingId> building = std::nullopt);
  // How many of the requests `viewer` may see have each status (in `building` only, if given).
  Result<store::ExitRequestCounts> request_counts(domain::CommunityId c, const domain::User& viewer,
                                                  std::optional<domain::BuildingId> building);
  Result<store::Proof> add_proof(domain::CommunityId c, std::int64_t request_id,
                                 const ProofInput& in, const domain::User& by);
  struct File {
    std::string content_type;
    std::string bytes;
  };
  Result<File> proof_file(domain::CommunityId c, std::int64_t proof_id, const domain::User& viewer);

  // The pledge's text for a request, filled from the policy's template.
  Result<std::string> pledge_text(domain::CommunityId c, std::int64_t request_id,
                                  const domain::User& viewer);
  // Signed by the resident (or a household member) with the typed name and consent.
  Result<store::Pledge> sign_pledge(domain::CommunityId c, std::int64_t request_id,
                                    std::string_view typed_name, bool consent,
                                    const domain::User& by);
  // Staff record a paper pledge by its photo.
  Result<store::Pledge> record_paper_pledge(domain::CommunityId c, std::int64_t request_id,
                                            const ProofInput& photo, const domain::User& by);
  Result<std::string> pledge_pdf(domain::CommunityId c, std::int64_t request_id,
                                 const domain::User& viewer);

  // Approve (secretary) or deny (secretary, staff). Approving creates the pass.
  Result<RequestView> decide(domain::CommunityId c, std::int64_t request_id,
                             const DecisionInput& in, const domain::User& by);
  // 绿色通道: a request, its release and an emergency pass in one step; paperwork later.
  Result<RequestView> release_emergency(domain::CommunityId c, const EmergencyInput& in,
                                        const domain::User& by);

  // A household pass for a precaution building's household, held by one named member.
  Result<PassView> issue_household_pass(domain::CommunityId c, domain::ResidentId member,
                                        const domain::User& by);
  Result<PassView> pass(domain::CommunityId c, std::int64_t id, const domain::User& viewer);
  Result<std::vector<PassView>> passes(domain::CommunityId c, bool open_only,
                                       const domain::User& viewer);
  Result<PassView> revoke(domain::CommunityId c, std::int64_t id, std::string_view reason,
                          const domain::User& by);
  // Staff log the holder leaving (the gate does the same; not while the register shows them
  // out on any pass: rule gate.one_open_exit) and coming back (报备): the desk records a return
  // the gate did not see with a reason (required), a resident their own (我已返回). Each is an
  // event of the register, as a gate's check is (rule gate.register_every_exit).
  Result<PassView> record_exit(domain::CommunityId c, std::int64_t id, const domain::User& by,
                               std::string_view via = "staff");
  Result<PassView> check_in(domain::CommunityId c, std::int64_t id, const domain::User& by,
                            std::string_view reason = {});
  // The household passes of a building's households still in their window, each with where it
  // stands now: the desk sees which ones its status stopped (household.building_closed).
  Result<std::vector<PassView>> building_household_passes(domain::CommunityId c,
                                                          domain::BuildingId building);
  Result<PassBoard> board(domain::CommunityId c);
  // Verifies a token's signature and its pass's state now.
  Result<TokenCheck> check_token(domain::CommunityId c, std::string_view token);
  Result<std::uint32_t> rotate_key(domain::CommunityId c, const domain::User& by);

  // The gate: `out` lets the holder out on a pass that is valid now (and logs the exit), unless
  // the register shows them out already (on any pass: rule gate.one_open_exit); `in` closes
  // their open exit, on whichever pass it is and however they are identified (rule
  // gate.return_closes_exit). domain::decide_gate decides. The check and its register record
  // (denials too) are one transaction.
  Result<GateVerdict> gate_check(domain::CommunityId c, const GateInput& in,
                                 const domain::User& by);
  // What a gate keeps to check passes offline: the community's public keys and every pass that
  // may still be shown (valid now or later, or with its holder out), with what stands against
  // it now.
  Result<domain::OfflineBundle> offline_bundle(domain::CommunityId c);
  // A gate's queued offline checks, applied in time order, each once (a check re-sent by the
  // same device is found and not applied again). Server state wins: an allowed exit the server
  // would have refused (the pass used at another gate meanwhile, revoked, its holder out then or
  // out again later before a return this sync brings, ...) is recorded with that conflict for
  // the desk and changes no pass; otherwise exits are logged at the time the gate made them, and
  // a return closes its holder's exit open then, on whichever pass. All or nothing: one invalid
  // check fails the sync.
  Result<std::vector<SyncedGateCheck>> sync_gate_checks(domain::CommunityId c,
                                                        std::string_view device,
                                                        std::vector<QueuedGateCheck> checks,
                                                        const domain::User& by);

  // The register (出入登记): the gate log of one community day ("2022-04-05", community time;
  // empty: every day), filtered as the query says (its from/to are set from `day`; its building
  // as people write it, domain::normalize_building_name). `state`
  // narrows it to the pass board's lists: "out_now" (the allowed exits still open),
  // "overdue" (those past their return-by), "back_today" (the returns that closed them today).
  Result<std::vector<store::GateEvent>> gate_events(std::string_view day, store::GateEventQuery q,
                                                    std::string_view state = {});
  // The desk (secretary, staff) records how it followed up a conflict an offline check was
  // flagged with (a pass let out twice while the gates were offline): a note, once. not_found
  // for no such event; conflict when it has no conflict or was followed up already.
  Result<store::GateEvent> follow_up_gate_conflict(domain::CommunityId c, std::int64_t event_id,
                                                   std::string_view note, const domain::User& by);
  // The same, each event with its resident and pass named as people read them, every one read
  // once.
  Result<std::vector<RegisterLine>> register_lines(std::string_view day, store::GateEventQuery q,
                                                   std::string_view state = {});
  // The same as CSV (UTF-8 with BOM, for spreadsheets), a file read without the database: 时间
  // (local, "2022-04-05 09:30"), 方向, 结果, 代码, 说明, 出入证 (pass_name_zh), 居民
  // (resident_name_zh), 楼栋, 来源, 备注, 冲突, 跟进 (the desk's follow-up note).
  Result<std::string> gate_events_csv(std::string_view day, store::GateEventQuery q,
                                      std::string_view state = {});

  Result<std::string> pass_qr(domain::CommunityId c, std::int64_t id, std::string_view format,
                              const domain::User& viewer);
  Result<std::string> pass_pdf(domain::CommunityId c, std::int64_t id, const domain::User& viewer);

 private:
  store::Store& m_store;
  Clock m_clock;
  std::filesystem::path m_folder;
  PassKeys m_keys;
};

}  // namespace juwei::service
