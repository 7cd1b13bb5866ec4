// The storage interface the service layer uses. A Store hands out Transactions; every read
// and write happens inside one, and nothing is visible to others until commit(). A
// Transaction that is destroyed without commit() rolls back. Backends live in sub-folders
// (store/sqlite; store/postgres later) and pass one conformance suite (tests/store_conformance).
//
// Thread safety: a Store may be shared between threads; a Transaction belongs to the thread
// that began it. Backends may serialize transactions (SQLite does: one writer at a time).
//
// Concurrency contract (every backend keeps it; tests/store_conformance checks it with
// concurrent writers):
// - Ids are allocated per community by the store (buildings, residents, passes, gate events,
//   audit seq, ...): the highest id plus one. A write transaction that allocates one, or reads
//   the audit chain's head (last_audit), first takes its community's write lock and holds it
//   until it ends. So the writers of one community run one after another from that point on,
//   and two of them never get the same id or append to the chain after the same record: two
//   gate checks at the same moment both succeed and the chain stays one line. Writers of
//   different communities do not wait for each other (PostgreSQL: an advisory transaction
//   lock per community; SQLite: its single writer holds every lock).
// - A write transaction of one community that allocates an id or appends to the chain takes
//   that lock before its first statement (lock_community; the service's in_community does), so
//   that what it reads before it writes
//   is what it writes after: on a sharded layout (docs/scale.md) a shard's snapshot is taken by
//   the first statement that reaches it, and a read before the lock would see the data as it
//   was before the writer ahead of it committed.
// - Reads see committed data only, as of their transaction's start, and take no lock.
// - A write that cannot go on because of another (a serialization failure, a deadlock, a lock
//   or connection not had in time) fails with Error::Kind::busy and changes nothing: the
//   caller may run it again (HTTP: 503 with Retry-After). It is never reported as a conflict
//   or bad input, and an acknowledged commit is never lost.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/account.hpp"
#include "domain/lab_result.hpp"
#include "domain/pass.hpp"
#include "domain/registry.hpp"
#include "domain/screening.hpp"
#include "domain/zone.hpp"

namespace juwei::store {

// Infrastructure failures. Rule outcomes never travel through here.
struct Error {
  enum class Kind {
    not_found,  // the addressed record does not exist
    conflict,   // a unique key is already taken
    busy,       // the database is locked by another process
    io,         // disk, permissions, full disk
    corrupt,    // not a Juwei database, or damaged
    too_new,    // written by a newer Juwei (schema version above ours)
    // The database server cannot be reached (gone, restarting, refusing connections); the
    // work may be tried again once it is back. Never for bad input.
    unavailable,
  };
  Kind kind;
  std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

enum class TxMode { read, write };

// A resident with the place they live, as listings and exports show it.
struct ResidentRow {
  domain::Resident resident;
  std::string building;
  std::string room;
};

struct ResidentQuery {
  domain::CommunityId community_id = 0;
  // Matches a name fragment, the start of the name's pinyin or initials ("maoqi", "mao qi",
  // "mq": domain::name_pinyin), a room ("301" or "12号楼 301"), a phone fragment or the last
  // four characters of the ID number. Empty matches everyone.
  std::string text;
  std::optional<domain::BuildingId> building;
  std::optional<domain::HouseholdId> household;
  std::size_t limit = 50;
  domain::ResidentId after = 0;  // cursor: the last id of the previous page
};

struct RegistryCounts {
  std::int64_t buildings = 0;
  std::int64_t households = 0;
  std::int64_t residents = 0;
  std::int64_t volunteers = 0;
  std::int64_t by_vulnerability[domain::kVulnerabilityCount] = {};
};

// A row of a roster import: a resident and where they live, by the register's names.
struct RosterRow {
  std::string_view building;
  std::string_view room;
  const domain::Resident* resident = nullptr;  // its household_id and id are not read
};

// What add_roster did, row by row in the order given.
struct RosterAdded {
  std::int64_t buildings_added = 0;
  std::int64_t households_added = 0;
  std::vector<domain::HouseholdId> households;  // each row's household
  // Each row's new resident; nullopt when its ID number was registered already.
  std::vector<std::optional<domain::ResidentId>> residents;
};

// One run of an import, kept as history ("who loaded what, when").
struct ImportRecord {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  std::string kind;  // "residents"
  std::string source;
  std::string encoding;
  std::int64_t rows = 0;
  std::int64_t added = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;
  std::int64_t rejected = 0;
  std::string started_at;  // ISO-8601 UTC
  std::string finished_at;
};

struct StoredUser {
  domain::User user;
  std::string password_hash;  // argon2id, in libsodium's string format
  // Failed logins since the last success, and the lock they set (empty: none): kept in the
  // database, so a restart does not lift a lock.
  int failed_logins = 0;
  std::string locked_until;
};

struct Session {
  domain::CommunityId community_id = 0;
  std::string token_hash;  // hex BLAKE2b of the token
  domain::UserId user_id = 0;
  std::string created_at;
  std::string expires_at;
  std::string revoked_at;  // empty while valid
};

// The remembered answer to a POST sent with an Idempotency-Key, per user. status 0: the
// first request with this key is still being handled.
struct IdempotencyRecord {
  domain::CommunityId community_id = 0;
  domain::UserId user_id = 0;
  std::string key;
  std::string request_hash;  // of method, route and body: the same key must mean the same request
  int status = 0;
  std::string content_type;
  std::string body;
  std::string created_at;
};

// One change of a building's status; the latest change is the building's status.
struct StatusChange {
  domain::CommunityId community_id = 0;
  domain::BuildingId building_id = 0;
  std::int64_t id = 0;  // per building, from 1
  domain::ZoneStatus status = domain::ZoneStatus::precaution;
  std::string changed_at;  // ISO-8601 UTC
  domain::UserId changed_by = 0;
  std::string reason;
  std::string rule;  // the rule id behind it ("zone.manual", "zone.sealed_to_controlled", ...)
};

struct ScreeningRound {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  std::string day;                            // YYYY-MM-DD, the community's calendar day
  std::vector<domain::BuildingId> buildings;  // empty: the whole community
  std::string created_at;
  domain::UserId created_by = 0;
  int number_in_day = 0;  // 1 for its day's first round, 2 for the second... (read, not stored)
};

struct Sample {
  domain::CommunityId community_id = 0;
  std::int64_t round_id = 0;
  std::int64_t id = 0;
  std::string tube_code;
  domain::ResidentId resident_id = 0;
  std::string sampled_at;
  domain::UserId sampled_by = 0;
  bool at_home = false;
  std::string resample_reason;
};

// One building's share of a round: its live residents not marked away or exempt (expected),
// how many of them have a sample, and how many are excused: marked away or exempt, or out on an
// open exit.
struct BuildingCoverage {
  domain::BuildingId building_id = 0;
  std::string building;
  std::int64_t expected = 0;
  std::int64_t sampled = 0;
  std::int64_t excused = 0;
};

// A lab's result for a tube; one per tube (a different one is a ResultConflict).
struct TubeResult {
  domain::CommunityId community_id = 0;
  std::string tube_code;
  domain::TestResult result = domain::TestResult::negative;
  std::string reported_at;  // ISO-8601 UTC, as the lab reported it
  std::string lab;
  std::string received_at;  // when Juwei learnt it
};

// A tube as a result row finds it: its kind and the result stored for it, if any.
struct TubeForResult {
  domain::TubeKind kind = domain::TubeKind::pooled;
  std::string created_at;  // its first swab
  std::optional<domain::TestResult> stored;
};

// A result that disagrees with the one stored for its tube, kept for a human to decide.
struct ResultConflict {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  std::string tube_code;
  domain::TestResult result = domain::TestResult::negative;  // what the lab sent this time
  std::string reported_at;
  std::string lab;
  std::string received_at;
  std::string source;  // "results.csv line 12", or the API
  domain::TestResult stored_result = domain::TestResult::negative;  // what the tube had then
  std::string resolution;  // "" (open), "accepted" (replaced the stored result), "rejected"
  std::string resolution_reason;
  std::string resolved_at;
  domain::UserId resolved_by = 0;
};

// One test of a resident: a swab (with its tube's result, once reported) or an antigen
// self-test.
struct ResidentTest {
  domain::TestKind kind = domain::TestKind::pooled;
  std::int64_t id = 0;        // the sample's or the antigen test's id
  std::int64_t round_id = 0;  // 0 for antigen self-tests
  std::string tube_code;      // empty for antigen self-tests
  std::string sampled_at;     // an antigen test: when it was taken
  bool at_home = false;
  std::optional<domain::TestResult> result;
  std::string reported_at;
  std::string lab;
  // When the result reached Juwei: the lab file's import (or the resolution that accepted it),
  // the antigen report's own time.
  std::string received_at;
};

// A resident swabbed into a positive tube.
struct PositiveSwab {
  Sample sample;
  domain::TubeKind kind = domain::TubeKind::pooled;
  std::string reported_at;
  domain::BuildingId building_id = 0;
  domain::HouseholdId household_id = 0;
};

struct AntigenTest {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  domain::ResidentId resident_id = 0;
  domain::TestResult result = domain::TestResult::negative;
  std::string tested_at;
  std::string reported_at;
  domain::UserId reported_by = 0;
  std::string photo_type;  // "image/jpeg", "image/png"; empty without a photo
  std::string photo;       // the bytes; filled only by get_antigen_photo
};

struct ScreeningMarkRow {
  domain::CommunityId community_id = 0;
  domain::ResidentId resident_id = 0;
  domain::ScreeningMark mark = domain::ScreeningMark::away;
  std::string reason;
  std::string set_at;
  domain::UserId set_by = 0;
};

// A version of the exit policy (policy.toml) as it was set; the latest is in force.
struct PolicyVersion {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  std::string version;
  std::string body;  // the TOML text
  std::string set_at;
  domain::UserId set_by = 0;
  std::string digest;  // hex BLAKE2b of body
};

// A community's Ed25519 public key for pass tokens; the private key lives in the data folder.
struct SigningKey {
  domain::CommunityId community_id = 0;
  std::uint32_t key_id = 0;
  std::string public_key;  // 32 raw bytes
  std::string created_at;
  std::string retired_at;  // empty while it signs new passes; retired keys still verify
};

// An exit request (出门申请), filed by the resident or by staff after a call.
struct ExitRequest {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  domain::ResidentId resident_id = 0;
  std::string reason;  // a policy reason code
  std::string destination;
  std::string planned_exit;
  std::string planned_return;  // empty: none given
  std::string note;
  domain::UserId asked_by = 0;
  std::string asked_via;  // "resident" or "staff"
  std::string created_at;
  std::string status;  // "open", "approved", "denied", "released" (emergency), "withdrawn"
};

struct ExitRequestQuery {
  domain::CommunityId community_id = 0;
  std::string status;  // empty: any
  std::optional<domain::HouseholdId> household;
  std::optional<domain::ResidentId> resident;
  std::int64_t after = 0;  // cursor: the last id of the previous page
  std::size_t limit = 50;
  std::optional<domain::BuildingId> building;  // the resident's household's building
};

// How many requests have each status ("open", "approved", …; a status none has is left out).
using ExitRequestCounts = std::vector<std::pair<std::string, std::int64_t>>;

// An uploaded file: a proof (证明) for a request, or the photo of a paper pledge. The bytes are
// stored content-addressed by the service; this is their metadata.
struct Proof {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  std::int64_t request_id = 0;
  std::string kind;          // "proof" or "pledge_photo"
  std::string digest;        // hex BLAKE2b-256 of the content: its name in the data folder
  std::string content_type;  // "application/pdf", "image/jpeg", "image/png"
  std::int64_t size = 0;
  std::string filename;  // as uploaded, for people; never used as a path
  domain::UserId uploaded_by = 0;
  std::string uploaded_at;
};

// The signed pledge of a request: the filled text, and how it was signed.
struct Pledge {
  domain::CommunityId community_id = 0;
  std::int64_t request_id = 0;
  std::string text;
  std::string method;  // "typed" (name + consent) or "paper_photo" (recorded by staff)
  std::string signed_name;
  std::int64_t photo_proof_id = 0;  // paper_photo: the Proof holding the photo
  std::string signed_at;
  domain::UserId recorded_by = 0;
};

// A decision on a request: approved (override when a rule was unmet), denied, or released
// at once as an emergency. Appended, never edited.
struct Decision {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  std::int64_t request_id = 0;
  std::string outcome;  // "approved", "denied", "released"
  bool override_rules = false;
  std::string reason;
  std::string policy_version;
  std::vector<std::string> rules_applied;
  std::vector<std::string> rules_unmet;
  domain::UserId decided_by = 0;
  std::string decided_at;
};

// One exit on a pass and its return.
struct PassExit {
  std::int64_t id = 0;
  std::string exited_at;
  domain::UserId exited_by = 0;
  std::string exited_via;   // "staff" or "gate"
  std::string returned_at;  // empty while out
  domain::UserId returned_by = 0;
  std::string returned_via;
};

struct PassRow {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  domain::PassKind kind = domain::PassKind::individual;
  std::int64_t request_id = 0;  // 0 for household passes
  domain::ResidentId holder = 0;
  domain::HouseholdId household_id = 0;
  std::string reason;
  std::string destination;
  std::string valid_from;
  std::string valid_until;
  bool return_required = true;
  std::string return_by;  // empty: no deadline
  bool emergency = false;
  bool override_rules = false;
  std::string paperwork_due_at;  // emergencies: proof and pledge due; empty otherwise
  std::string policy_version;
  std::uint32_t key_id = 0;
  std::string token;
  std::string short_code;  // domain::short_code, unique in the community; set when inserted
  std::string approved_at;
  domain::UserId approved_by = 0;
  std::string revoked_at;
  domain::UserId revoked_by = 0;
  std::string revoke_reason;
  // Household passes: the quota and test window the pass carries.
  int quota = 0;
  int period_days = 0;
  std::string slots;              // "08:00-12:00,14:00-18:00"
  int negative_within_hours = 0;  // rule household.needs_negative_within; 0: none
  std::string test_age_from;      // "sampled" or "reported", for that window
  std::vector<PassExit> exits;    // by exit time, oldest first (an offline exit synced late too)
};

struct PassQuery {
  domain::CommunityId community_id = 0;
  bool open_only = false;  // not revoked and (return required and not back, or unused)
  std::optional<domain::HouseholdId> household;
  std::optional<domain::ResidentId> holder;
  std::int64_t after = 0;
  std::size_t limit = 200;
};

// One check at the gate (出入登记), allowed or denied, with the rule behind it.
struct GateEvent {
  domain::CommunityId community_id = 0;
  std::int64_t id = 0;
  std::string at;
  std::string direction;  // "out" or "in"
  std::string decision;   // "allow" or "deny"
  std::string code;       // "gate.out", "pass.revoked", ...
  std::int64_t pass_id = 0;
  domain::ResidentId resident_id = 0;
  std::string building;  // the holder's, for filtering the register
  domain::UserId gate_user = 0;
  // "online" (a gate's check), "offline" (a gate's check synced later), "desk" (an exit or
  // return the desk recorded) or "resident" (a resident's own return, 我已返回).
  std::string source;
  // Offline checks: the gate's device and its own id for the check (a re-sent check is found
  // by them and not applied twice), when it reached the server, and what the server found
  // against it then (a pass used twice while offline, ...; empty: none).
  std::string device;
  std::string client_event_id;
  std::string synced_at;
  std::string conflict;
  // A conflict the desk followed up: when, by whom, and what it found (empty: not yet).
  std::string followed_up_at;
  domain::UserId followed_up_by = 0;
  std::string follow_up_note;
  std::string note;  // why the desk recorded it (a return the gate did not see); empty: none
};

struct GateEventQuery {
  domain::CommunityId community_id = 0;
  std::string from;  // ISO-8601 UTC, inclusive; empty: no bound
  std::string to;    // exclusive
  std::string direction;
  std::string decision;
  std::string building;
  std::int64_t pass_id = 0;
  bool conflicts_only = false;  // offline checks the server found a conflict in
  // Conflicts followed up (true) or not yet (false) only; either when empty.
  std::optional<bool> followed_up;
  std::int64_t after = 0;  // cursor
  std::size_t limit = 200;
};

// One state change in the audit trail. `hash` is BLAKE2b over every other column (with
// `chain_id` in the place of `community_id`) and `prev_hash` (the previous record's hash; empty
// for the first), so an edited, deleted or reordered record breaks the chain.
struct AuditRecord {
  domain::CommunityId community_id = 0;
  std::int64_t seq = 0;  // 1, 2, ... per community
  std::string at;
  domain::UserId actor = 0;
  std::string role;
  std::string action;  // "pass.revoke", "policy.set", ...
  std::string entity;  // "pass", "exit_request", ...
  std::string entity_id;
  std::string before_digest;  // hex BLAKE2b of the record before; empty when created
  std::string after_digest;   // and after; empty when deleted
  std::string policy_version;
  std::string prev_hash;
  std::string hash;
  // Its community's chain id (domain::Community::chain_id), which the hash covers: filled by
  // every read of the trail; not a column of the record, and not written by insert_audit.
  domain::CommunityId chain_id = 0;
};

// Which records of the trail to list, in which order. An empty field matches every record.
struct AuditQuery {
  domain::CommunityId community_id = 0;
  std::optional<domain::UserId> actor;
  std::string action;  // "decision.approved"
  std::string entity;  // "exit_request"
  std::string entity_id;
  // Records about one of these residents: their own record and marks, their exit requests,
  // proofs and pledges, the passes they hold, their gate checks, swabs and antigen self-tests.
  std::optional<std::vector<domain::ResidentId>> residents;
  std::string from;  // ISO-8601 UTC, inclusive; empty: no bound
  std::string to;    // exclusive
  bool newest_first = true;
  std::int64_t after = 0;  // cursor: the previous page's last seq; 0 starts at the newest/oldest
  std::size_t limit = 50;
};

// A record as people read it: who acted and what it is about, by name.
struct AuditListing {
  AuditRecord record;
  std::string actor_name;  // the account's username; empty for the operator (actor 0)
  // The object's name: a resident's (also for a request, proof, pledge, pass, gate check, swab
  // or self-test about them), a building's ("3号楼"), a household's ("3号楼 202"), an
  // account's username, a community's, a round's day, a policy's version, an import's file,
  // a result conflict's tube; empty when the object has none (a signing key).
  std::string object_name;
  domain::ResidentId resident = 0;  // the resident the record is about; 0: none
  std::string building;             // and where they live
  std::string room;
};

// One live building's share of the register: its live households and residents, and the
// residents of each vulnerable group (indexed as domain::kAllVulnerabilities).
struct BuildingRegister {
  domain::BuildingId building_id = 0;
  std::string building;
  std::int64_t households = 0;
  std::int64_t residents = 0;
  std::int64_t by_vulnerability[domain::kVulnerabilityCount] = {};
};

// A live resident not marked away or exempt, with the tests of a window (the testing cadence):
// the days of rounds they were swabbed in and the antigen self-tests they took.
struct ResidentTestCount {
  domain::ResidentId resident_id = 0;
  std::string name;
  domain::BuildingId building_id = 0;
  std::string building;
  std::string room;
  std::int64_t pcr_days = 0;
  std::int64_t antigen = 0;
};

// What a community's records count in a window of time [from, to) (a day of the daily report),
// and what stood at its end: what `to` found out, overdue or owed.
struct WindowCounts {
  std::int64_t requests_filed = 0;  // exit requests created in the window
  std::int64_t approved = 0;        // decisions made in the window, by outcome
  std::int64_t denied = 0;
  std::int64_t released = 0;  // emergencies released at once
  std::int64_t exits = 0;     // exits on passes in the window
  std::int64_t returns = 0;   // returns from exits in the window
  std::int64_t out_at_end = 0;  // exits begun before `to` not returned by then
  // Of those, on passes whose return_by was before `to`.
  std::int64_t overdue_at_end = 0;
  // Emergency passes whose paperwork was due before `to` without a pledge and a proof by then.
  std::int64_t paperwork_overdue_at_end = 0;
  std::int64_t tubes = 0;            // tubes first scanned in the window
  std::int64_t swabs = 0;            // samples taken in the window
  std::int64_t results = 0;          // tube results that reached Juwei in the window
  // Positive results the lab reported in the window (its report time), by the tube's kind.
  std::int64_t positive_pooled = 0;
  std::int64_t positive_single = 0;
  // Residents swabbed into a positive pooled tube whose result came before `to` (on retest),
  // and of them those swabbed into a single tube after that result and before `to`.
  std::int64_t retest_due = 0;
  std::int64_t retest_done = 0;
  std::int64_t antigen_reports = 0;  // antigen self-tests reported in the window
  std::int64_t antigen_positive = 0;
  // Gate checks denied in the window, by code ("pass.expired"), most frequent first.
  std::vector<std::pair<std::string, std::int64_t>> gate_denials;
};

// A day's report as the secretary submitted it (上报): frozen, once per community and day.
struct ReportSubmission {
  domain::CommunityId community_id = 0;
  std::string day;  // YYYY-MM-DD, the community's calendar
  std::string submitted_at;
  domain::UserId submitted_by = 0;
  std::string figures;  // a JSON object: each figure's key and its value as submitted
  std::int64_t audit_seq = 0;  // the audit chain's head the report showed
  std::string audit_hash;
};

class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual Result<void> commit() = 0;
  // Takes community c's write lock until the transaction ends (the concurrency contract above);
  // taking it again is free. Only in a write transaction.
  virtual Result<void> lock_community(domain::CommunityId c) = 0;

  // Streets and communities. A community's chain_id is its own id unless c.chain_id names
  // another (a community moved from another database keeps its chain's).
  virtual Result<domain::StreetId> ensure_street(std::string_view name) = 0;
  virtual Result<domain::CommunityId> insert_community(const domain::Community& c,
                                                       std::string_view created_at) = 0;
  // Every community, street offices' units (Community::office) too, by id.
  virtual Result<std::vector<domain::Community>> list_communities() = 0;
  virtual Result<std::vector<domain::Street>> list_streets() = 0;  // by id
  virtual Result<std::optional<domain::Community>> get_community(domain::CommunityId c) = 0;

  // Buildings and households; names are unique within their parent, removed ones included
  // (find_* and get_* return removed records too; list_* leaves them out). update_* writes
  // every field, the removal too, and fails with not_found when there is no such record.
  virtual Result<std::optional<domain::Building>> find_building(domain::CommunityId c,
                                                                std::string_view name) = 0;
  virtual Result<std::optional<domain::Building>> get_building(domain::CommunityId c,
                                                               domain::BuildingId id) = 0;
  virtual Result<domain::BuildingId> insert_building(const domain::Building& b) = 0;
  virtual Result<void> update_building(const domain::Building& b) = 0;
  virtual Result<std::vector<domain::Building>> list_buildings(domain::CommunityId c) = 0;
  virtual Result<std::optional<domain::Household>> find_household(domain::CommunityId c,
                                                                  domain::BuildingId b,
                                                                  std::string_view room) = 0;
  virtual Result<std::optional<domain::Household>> get_household(domain::CommunityId c,
                                                                 domain::HouseholdId id) = 0;
  virtual Result<domain::HouseholdId> insert_household(const domain::Household& h) = 0;
  virtual Result<void> update_household(const domain::Household& h) = 0;
  // Live households by id, of one building or all; `after` and `limit` page them.
  virtual Result<std::vector<domain::Household>> list_households(
      domain::CommunityId c, std::optional<domain::BuildingId> building, domain::HouseholdId after,
      std::size_t limit) = 0;
  // Live households of a building, live residents of a household: what blocks a removal.
  virtual Result<std::int64_t> count_households(domain::CommunityId c, domain::BuildingId b) = 0;
  virtual Result<std::int64_t> count_residents(domain::CommunityId c, domain::HouseholdId h) = 0;

  // Residents. insert_resident fails with conflict when the ID number is already registered
  // in the community; the resident's id is assigned by the store.
  virtual Result<std::optional<domain::Resident>> find_resident_by_id_number(
      domain::CommunityId c, std::string_view id_number) = 0;
  virtual Result<domain::ResidentId> insert_resident(const domain::Resident& r,
                                                     std::string_view now) = 0;
  virtual Result<void> update_resident(const domain::Resident& r, std::string_view now) = 0;
  // A resident by id, removed or not.
  virtual Result<std::optional<ResidentRow>> get_resident(domain::CommunityId c,
                                                          domain::ResidentId id) = 0;
  // Live residents only, by id.
  virtual Result<std::vector<ResidentRow>> search_residents(const ResidentQuery& q) = 0;
  // Streams every resident of a community, by building, room and id, without loading them
  // all; the callback returns false to stop.
  virtual Result<void> for_each_resident(domain::CommunityId c,
                                         const std::function<bool(const ResidentRow&)>& f) = 0;
  virtual Result<RegistryCounts> count_registry(domain::CommunityId c) = 0;
  // A roster import's rows in a few statements whatever their number, where one row at a time
  // would cost a round trip to the server per statement. Registers each building and household
  // the rows name that is not registered yet (ids in order of first appearance; a removed one
  // is restored), then each resident whose ID number is not registered in the community (ids
  // in row order). The rows' ID numbers must be distinct. Takes the community's write lock.
  virtual Result<RosterAdded> add_roster(domain::CommunityId c, std::span<const RosterRow> rows,
                                         std::string_view now) = 0;

  virtual Result<std::int64_t> insert_import(const ImportRecord& record) = 0;
  virtual Result<std::vector<ImportRecord>> list_imports(domain::CommunityId c) = 0;

  // Users: usernames are unique across the database (conflict otherwise).
  virtual Result<domain::UserId> insert_user(const domain::User& u, std::string_view password_hash,
                                             std::string_view now) = 0;
  virtual Result<std::optional<StoredUser>> find_user(std::string_view username) = 0;
  virtual Result<std::optional<StoredUser>> get_user(domain::CommunityId c, domain::UserId id) = 0;
  virtual Result<std::vector<domain::User>> list_users(domain::CommunityId c) = 0;
  virtual Result<void> set_user_password(domain::CommunityId c, domain::UserId id,
                                         std::string_view password_hash) = 0;
  virtual Result<void> set_user_disabled(domain::CommunityId c, domain::UserId id,
                                         bool disabled) = 0;
  // The failed logins of an account and its lock (empty: none).
  virtual Result<void> set_login_failures(domain::CommunityId c, domain::UserId id, int failures,
                                          std::string_view locked_until) = 0;

  virtual Result<void> insert_session(const Session& s) = 0;
  virtual Result<std::optional<Session>> find_session(domain::CommunityId c,
                                                      std::string_view token_hash) = 0;
  // Marks the session revoked (logout); not_found when there is no such session.
  virtual Result<void> revoke_session(domain::CommunityId c, std::string_view token_hash,
                                      std::string_view now) = 0;
  // Revokes every session of a user (password change, account disabled).
  virtual Result<void> revoke_sessions_of(domain::CommunityId c, domain::UserId id,
                                          std::string_view now) = 0;

  // Building status: changes are appended, never edited.
  virtual Result<std::int64_t> insert_status_change(const StatusChange& change) = 0;
  // A building's changes, oldest first.
  virtual Result<std::vector<StatusChange>> list_status_changes(domain::CommunityId c,
                                                                domain::BuildingId b) = 0;
  // The latest change of every building that has one, by building.
  virtual Result<std::vector<StatusChange>> current_statuses(domain::CommunityId c) = 0;

  // Screening rounds, tubes and samples. A tube code is unique in a community (conflict).
  virtual Result<std::int64_t> insert_round(const ScreeningRound& round) = 0;
  virtual Result<std::optional<ScreeningRound>> get_round(domain::CommunityId c,
                                                          std::int64_t id) = 0;
  virtual Result<std::vector<ScreeningRound>> list_rounds(domain::CommunityId c) = 0;
  // The tube's round and kind and how many swabs it holds; exists=false when never scanned.
  virtual Result<domain::TubeState> find_tube(domain::CommunityId c, std::string_view code) = 0;
  virtual Result<void> insert_tube(domain::CommunityId c, std::string_view code,
                                   std::int64_t round_id, domain::TubeKind kind,
                                   std::string_view now) = 0;
  virtual Result<std::int64_t> insert_sample(const Sample& sample) = 0;
  virtual Result<std::int64_t> count_samples_of(domain::CommunityId c, std::int64_t round_id,
                                                domain::ResidentId resident) = 0;
  virtual Result<std::vector<Sample>> list_samples_of(domain::CommunityId c, std::int64_t round_id,
                                                      domain::ResidentId resident) = 0;
  // Live residents without a sample in any round of the round's day (rule
  // screening.day_counts_every_round: two rounds of a day are one screening), not marked away
  // or exempt, and not out on an open exit (rule screening.out_is_excused), by building, room
  // and id.
  virtual Result<std::vector<ResidentRow>> unsampled_residents(domain::CommunityId c,
                                                               std::int64_t round_id) = 0;
  // Every live building with its live residents, those sampled in any round of the round's
  // day, and those excused (marked away or exempt, or out on an open exit), as above.
  virtual Result<std::vector<BuildingCoverage>> round_coverage(domain::CommunityId c,
                                                               std::int64_t round_id) = 0;

  // Lab results. insert_tube_result fails with conflict when the tube has a result already;
  // replace_tube_result with not_found when it has none.
  virtual Result<std::optional<TubeForResult>> find_tube_for_result(domain::CommunityId c,
                                                                    std::string_view code) = 0;
  virtual Result<std::optional<TubeResult>> get_tube_result(domain::CommunityId c,
                                                            std::string_view code) = 0;
  virtual Result<void> insert_tube_result(const TubeResult& r) = 0;
  // Inserts r when its tube exists, has no result yet and was created no later than
  // r.reported_at (compared as ISO-8601 UTC text, whose order is time order); false, changing
  // nothing, otherwise. Ingestion's common case in one statement instead of a lookup and an
  // insert.
  virtual Result<bool> insert_first_tube_result(const TubeResult& r) = 0;
  // insert_first_tube_result for many results of community c in a few statements: per result,
  // whether it was added. The results' tube codes must be distinct.
  virtual Result<std::vector<bool>> add_first_tube_results(domain::CommunityId c,
                                                           std::span<const TubeResult> results) = 0;
  virtual Result<void> replace_tube_result(const TubeResult& r) = 0;
  // Whether `result` is kept for the tube as a conflict, or was the stored result a conflict
  // replaced: such a row changes nothing when it comes again.
  virtual Result<bool> result_known_for(domain::CommunityId c, std::string_view code,
                                        domain::TestResult result) = 0;
  virtual Result<std::int64_t> insert_result_conflict(const ResultConflict& conflict) = 0;
  virtual Result<std::optional<ResultConflict>> get_result_conflict(domain::CommunityId c,
                                                                    std::int64_t id) = 0;
  // Oldest first; only the open ones (no resolution) when `open_only`.
  virtual Result<std::vector<ResultConflict>> list_result_conflicts(domain::CommunityId c,
                                                                    bool open_only) = 0;
  // Writes the resolution fields of a conflict (not_found when there is none).
  virtual Result<void> resolve_result_conflict(const ResultConflict& conflict) = 0;
  // A resident's swabs and antigen self-tests, newest first.
  virtual Result<std::vector<ResidentTest>> resident_tests(domain::CommunityId c,
                                                           domain::ResidentId resident) = 0;
  // The same tests in the same order, one at a time until `f` returns false: read no further
  // than needed.
  virtual Result<void> for_each_resident_test(
      domain::CommunityId c, domain::ResidentId resident,
      const std::function<bool(const ResidentTest&)>& f) = 0;
  // The residents swabbed into a tube, with their households (kind and reported_at are the
  // tube's; reported_at empty while it has no result).
  virtual Result<std::vector<PositiveSwab>> swabs_in_tube(domain::CommunityId c,
                                                          std::string_view code) = 0;
  // Residents swabbed into positive tubes (of one round, or of every round), by report time.
  virtual Result<std::vector<PositiveSwab>> positive_swabs(
      domain::CommunityId c, std::optional<std::int64_t> round_id) = 0;

  // Antigen self-tests.
  virtual Result<std::int64_t> insert_antigen_test(const AntigenTest& test) = 0;
  virtual Result<std::optional<AntigenTest>> get_antigen_photo(domain::CommunityId c,
                                                               std::int64_t id) = 0;
  // Positive antigen self-tests, oldest first.
  virtual Result<std::vector<AntigenTest>> positive_antigen_tests(domain::CommunityId c) = 0;

  // Screening marks: one per resident; set replaces it, clear fails with not_found when
  // there is none.
  virtual Result<void> set_screening_mark(const ScreeningMarkRow& mark) = 0;
  virtual Result<void> clear_screening_mark(domain::CommunityId c, domain::ResidentId resident) = 0;
  virtual Result<std::optional<ScreeningMarkRow>> get_screening_mark(
      domain::CommunityId c, domain::ResidentId resident) = 0;
  // Marks of live residents, by resident id.
  virtual Result<std::vector<ScreeningMarkRow>> list_screening_marks(domain::CommunityId c) = 0;

  // Exit policy versions: appended; the latest (highest id) is in force.
  virtual Result<std::int64_t> insert_policy(const PolicyVersion& p) = 0;
  virtual Result<std::optional<PolicyVersion>> current_policy(domain::CommunityId c) = 0;
  virtual Result<std::vector<PolicyVersion>> list_policies(domain::CommunityId c) = 0;

  // Pass signing keys (public halves). key ids are per community, from 1.
  virtual Result<void> insert_signing_key(const SigningKey& k) = 0;
  virtual Result<std::vector<SigningKey>> list_signing_keys(domain::CommunityId c) = 0;
  virtual Result<void> retire_signing_key(domain::CommunityId c, std::uint32_t key_id,
                                          std::string_view at) = 0;

  // Exit requests, their proofs, pledges and decisions.
  virtual Result<std::int64_t> insert_exit_request(const ExitRequest& r) = 0;
  virtual Result<std::optional<ExitRequest>> get_exit_request(domain::CommunityId c,
                                                              std::int64_t id) = 0;
  // By id; the household filter goes through the resident.
  virtual Result<std::vector<ExitRequest>> list_exit_requests(const ExitRequestQuery& q) = 0;
  // Of the requests list_exit_requests(q) would page through with any status.
  virtual Result<ExitRequestCounts> count_exit_requests(const ExitRequestQuery& q) = 0;
  virtual Result<void> set_exit_request_status(domain::CommunityId c, std::int64_t id,
                                               std::string_view status) = 0;
  virtual Result<std::int64_t> insert_proof(const Proof& p) = 0;
  virtual Result<std::optional<Proof>> get_proof(domain::CommunityId c, std::int64_t id) = 0;
  virtual Result<std::vector<Proof>> list_proofs(domain::CommunityId c,
                                                 std::int64_t request_id) = 0;
  // conflict when the request has a pledge already: a signed pledge is final.
  virtual Result<void> insert_pledge(const Pledge& p) = 0;
  virtual Result<std::optional<Pledge>> get_pledge(domain::CommunityId c,
                                                   std::int64_t request_id) = 0;
  virtual Result<std::int64_t> insert_decision(const Decision& d) = 0;
  virtual Result<std::vector<Decision>> list_decisions(domain::CommunityId c,
                                                       std::int64_t request_id) = 0;

  // Passes and their exits. update_pass writes the revocation fields; exits are appended
  // and closed by their return.
  virtual Result<std::int64_t> insert_pass(const PassRow& p) = 0;
  virtual Result<void> set_pass_token(domain::CommunityId c, std::int64_t id, std::uint32_t key_id,
                                      std::string_view token) = 0;
  virtual Result<std::optional<PassRow>> get_pass(domain::CommunityId c, std::int64_t id) = 0;
  // The pass whose short code is `code` (its one spelling, domain::parse_short_code).
  virtual Result<std::optional<PassRow>> find_pass_by_short_code(domain::CommunityId c,
                                                                 std::string_view code) = 0;
  virtual Result<std::optional<PassRow>> find_pass_of_request(domain::CommunityId c,
                                                              std::int64_t request_id) = 0;
  virtual Result<std::vector<PassRow>> list_passes(const PassQuery& q) = 0;
  virtual Result<void> revoke_pass(domain::CommunityId c, std::int64_t id, std::string_view at,
                                   domain::UserId by, std::string_view reason) = 0;
  virtual Result<std::int64_t> insert_pass_exit(domain::CommunityId c, std::int64_t pass_id,
                                                const PassExit& e) = 0;
  // Closes the exit by its return; not_found when there is no such exit.
  virtual Result<void> return_pass_exit(domain::CommunityId c, std::int64_t pass_id,
                                        const PassExit& e) = 0;

  // The gate log: appended, never edited; listed by id.
  virtual Result<std::int64_t> insert_gate_event(const GateEvent& e) = 0;
  virtual Result<std::vector<GateEvent>> list_gate_events(const GateEventQuery& q) = 0;
  // An offline check already synced, by the gate's device and its id for the check.
  virtual Result<std::optional<GateEvent>> get_gate_event(domain::CommunityId c,
                                                          std::int64_t id) = 0;
  // Writes the follow-up fields of an event (not_found when there is none).
  virtual Result<void> follow_up_gate_event(const GateEvent& e) = 0;
  virtual Result<std::optional<GateEvent>> find_gate_event(domain::CommunityId c,
                                                           std::string_view device,
                                                           std::string_view client_event_id) = 0;

  // The audit trail: appended only (no update or delete exists).
  virtual Result<void> insert_audit(const AuditRecord& r) = 0;
  virtual Result<std::optional<AuditRecord>> last_audit(domain::CommunityId c) = 0;
  // Records by seq from `after` + 1, one at a time until `f` returns false.
  virtual Result<void> for_each_audit(domain::CommunityId c, std::int64_t after,
                                      const std::function<bool(const AuditRecord&)>& f) = 0;
  // One page of the records `q` matches, with their names, in seq order (newest first or not).
  virtual Result<std::vector<AuditListing>> list_audit(const AuditQuery& q) = 0;

  // Reports. The register by live building (by id); the counts of a window (from, to:
  // ISO-8601 UTC, `from` inclusive); every status change made before `to`, by building and id.
  virtual Result<std::vector<BuildingRegister>> register_by_building(domain::CommunityId c) = 0;
  virtual Result<WindowCounts> count_window(domain::CommunityId c, std::string_view from,
                                            std::string_view to) = 0;
  virtual Result<std::vector<StatusChange>> status_changes_before(domain::CommunityId c,
                                                                  std::string_view to) = 0;
  // Every live resident not marked away or exempt with their tests in [from, to) (swabs by
  // sampled_at, self-tests by tested_at), by building, room and id.
  virtual Result<std::vector<ResidentTestCount>> test_counts(domain::CommunityId c,
                                                             std::string_view from,
                                                             std::string_view to) = 0;
  // Submitted reports: insert fails with conflict when the day has one already (a submitted
  // report is final).
  virtual Result<void> insert_report_submission(const ReportSubmission& s) = 0;
  virtual Result<std::optional<ReportSubmission>> get_report_submission(domain::CommunityId c,
                                                                        std::string_view day) = 0;

  // Idempotency keys: insert fails with conflict when the user has used the key already.
  virtual Result<void> insert_idempotency_key(const IdempotencyRecord& r) = 0;
  virtual Result<std::optional<IdempotencyRecord>> find_idempotency_key(domain::CommunityId c,
                                                                        domain::UserId user,
                                                                        std::string_view key) = 0;
  virtual Result<void> finish_idempotency_key(const IdempotencyRecord& r) = 0;
  virtual Result<void> delete_idempotency_key(domain::CommunityId c, domain::UserId user,
                                              std::string_view key) = 0;
  // Forgets every key created before `before`; returns how many.
  virtual Result<std::int64_t> purge_idempotency_keys(std::string_view before) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::unique_ptr<Transaction>> begin(TxMode mode) = 0;
  // The schema version this database is at (after migrations ran at open).
  virtual int schema_version() const = 0;
};

}  // namespace juwei::store
