// The schema, as a list of forward-only steps. Every table leads its primary key with
// community_id, so a server backend can shard by it; ids are allocated per community.
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "domain/pinyin.hpp"
#include "domain/place.hpp"
#include "domain/short_code.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace juwei::store::sqlite {
namespace {

constexpr std::string_view kRegistry = R"sql(
CREATE TABLE streets (
  street_id INTEGER PRIMARY KEY,
  name      TEXT NOT NULL UNIQUE
);
CREATE TABLE communities (
  community_id INTEGER PRIMARY KEY,
  street_id    INTEGER REFERENCES streets (street_id),
  name         TEXT NOT NULL UNIQUE,
  time_zone    TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
CREATE TABLE buildings (
  community_id INTEGER NOT NULL REFERENCES communities (community_id),
  building_id  INTEGER NOT NULL,
  name         TEXT NOT NULL,
  floors       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (community_id, building_id),
  UNIQUE (community_id, name)
) WITHOUT ROWID;
CREATE TABLE households (
  community_id INTEGER NOT NULL,
  household_id INTEGER NOT NULL,
  building_id  INTEGER NOT NULL,
  room         TEXT NOT NULL,
  PRIMARY KEY (community_id, household_id),
  UNIQUE (community_id, building_id, room),
  FOREIGN KEY (community_id, building_id) REFERENCES buildings (community_id, building_id)
) WITHOUT ROWID;
CREATE TABLE residents (
  community_id    INTEGER NOT NULL,
  resident_id     INTEGER NOT NULL,
  household_id    INTEGER NOT NULL,
  name            TEXT NOT NULL,
  gender          TEXT NOT NULL CHECK (gender IN ('male', 'female')),
  birth_date      TEXT NOT NULL,
  id_number       TEXT NOT NULL,
  phone           TEXT NOT NULL DEFAULT '',
  relation        TEXT NOT NULL,
  vulnerabilities INTEGER NOT NULL DEFAULT 0,
  volunteer       INTEGER NOT NULL DEFAULT 0 CHECK (volunteer IN (0, 1)),
  notes           TEXT NOT NULL DEFAULT '',
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (community_id, resident_id),
  UNIQUE (community_id, id_number),
  FOREIGN KEY (community_id, household_id) REFERENCES households (community_id, household_id)
) WITHOUT ROWID;
CREATE INDEX residents_by_household ON residents (community_id, household_id);
)sql";

constexpr std::string_view kImports = R"sql(
CREATE TABLE imports (
  community_id INTEGER NOT NULL REFERENCES communities (community_id),
  import_id    INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  source       TEXT NOT NULL,
  encoding     TEXT NOT NULL,
  rows         INTEGER NOT NULL,
  added        INTEGER NOT NULL,
  updated      INTEGER NOT NULL,
  unchanged    INTEGER NOT NULL,
  rejected     INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT NOT NULL,
  PRIMARY KEY (community_id, import_id)
) WITHOUT ROWID;
)sql";

// Users log in by a globally unique username; a session is found by the community in its
// token and the hash of the token (the token itself is never stored).
constexpr std::string_view kAccounts = R"sql(
CREATE TABLE users (
  community_id  INTEGER NOT NULL REFERENCES communities (community_id),
  user_id       INTEGER NOT NULL,
  username      TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at    TEXT NOT NULL,
  PRIMARY KEY (community_id, user_id)
) WITHOUT ROWID;
CREATE TABLE sessions (
  community_id INTEGER NOT NULL,
  token_hash   TEXT NOT NULL,
  user_id      INTEGER NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  revoked_at   TEXT,
  PRIMARY KEY (community_id, token_hash),
  FOREIGN KEY (community_id, user_id) REFERENCES users (community_id, user_id)
) WITHOUT ROWID;
)sql";

// Soft deletes keep the row (its unique name or ID number too, so creating it again restores
// it). The indexes serve the desk's search: a room, the last four characters of an ID number
// or a phone, a whole phone number, a name fragment (scanned in the narrow name index).
// Idempotency keys remember the answer to a creating POST for a day.
constexpr std::string_view kRemovalsSearchIdempotency = R"sql(
ALTER TABLE buildings ADD COLUMN deleted_at TEXT;
ALTER TABLE buildings ADD COLUMN deleted_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE households ADD COLUMN deleted_at TEXT;
ALTER TABLE households ADD COLUMN deleted_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN deleted_at TEXT;
ALTER TABLE residents ADD COLUMN deleted_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX households_by_room ON households (community_id, room);
CREATE INDEX residents_by_name ON residents (community_id, name);
CREATE INDEX residents_by_phone ON residents (community_id, phone);
CREATE INDEX residents_by_phone_last4 ON residents (community_id, substr(phone, 8));
CREATE INDEX residents_by_id_last4 ON residents (community_id, substr(id_number, 15));
CREATE TABLE idempotency_keys (
  community_id INTEGER NOT NULL REFERENCES communities (community_id),
  user_id      INTEGER NOT NULL,
  idem_key     TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status       INTEGER NOT NULL DEFAULT 0,
  content_type TEXT NOT NULL DEFAULT '',
  body         TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,
  PRIMARY KEY (community_id, user_id, idem_key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
)sql";

// Building status: every change kept (who, when, why, which rule); the latest is current.
constexpr std::string_view kBuildingStatus = R"sql(
CREATE TABLE building_status (
  community_id INTEGER NOT NULL,
  building_id  INTEGER NOT NULL,
  change_id    INTEGER NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('sealed', 'controlled', 'precaution')),
  changed_at   TEXT NOT NULL,
  changed_by   INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  rule         TEXT NOT NULL,
  PRIMARY KEY (community_id, building_id, change_id),
  FOREIGN KEY (community_id, building_id) REFERENCES buildings (community_id, building_id)
) WITHOUT ROWID;
)sql";

// Screening rounds: a tube belongs to one round (its code is unique in the community), a
// sample is one resident swabbed into one tube.
constexpr std::string_view kScreening = R"sql(
CREATE TABLE screening_rounds (
  community_id INTEGER NOT NULL REFERENCES communities (community_id),
  round_id     INTEGER NOT NULL,
  day          TEXT NOT NULL,
  buildings    TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,
  created_by   INTEGER NOT NULL,
  PRIMARY KEY (community_id, round_id)
) WITHOUT ROWID;
CREATE TABLE tubes (
  community_id INTEGER NOT NULL,
  tube_code    TEXT NOT NULL,
  round_id     INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('pooled', 'single')),
  created_at   TEXT NOT NULL,
  PRIMARY KEY (community_id, tube_code),
  FOREIGN KEY (community_id, round_id) REFERENCES screening_rounds (community_id, round_id)
) WITHOUT ROWID;
CREATE TABLE samples (
  community_id    INTEGER NOT NULL,
  round_id        INTEGER NOT NULL,
  sample_id       INTEGER NOT NULL,
  tube_code       TEXT NOT NULL,
  resident_id     INTEGER NOT NULL,
  sampled_at      TEXT NOT NULL,
  sampled_by      INTEGER NOT NULL,
  at_home         INTEGER NOT NULL DEFAULT 0 CHECK (at_home IN (0, 1)),
  resample_reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (community_id, round_id, sample_id),
  FOREIGN KEY (community_id, tube_code) REFERENCES tubes (community_id, tube_code),
  FOREIGN KEY (community_id, resident_id) REFERENCES residents (community_id, resident_id)
) WITHOUT ROWID;
CREATE INDEX samples_by_tube ON samples (community_id, tube_code);
CREATE INDEX samples_by_resident ON samples (community_id, round_id, resident_id);
)sql";

constexpr std::string_view kLabResults = R"sql(
CREATE TABLE tube_results (
  community_id INTEGER NOT NULL,
  tube_code    TEXT NOT NULL,
  result       TEXT NOT NULL CHECK (result IN ('negative', 'positive')),
  reported_at  TEXT NOT NULL,
  lab          TEXT NOT NULL DEFAULT '',
  received_at  TEXT NOT NULL,
  PRIMARY KEY (community_id, tube_code),
  FOREIGN KEY (community_id, tube_code) REFERENCES tubes (community_id, tube_code)
) WITHOUT ROWID;
CREATE INDEX positive_tubes ON tube_results (community_id, reported_at)
  WHERE result = 'positive';
CREATE TABLE result_conflicts (
  community_id       INTEGER NOT NULL,
  conflict_id        INTEGER NOT NULL,
  tube_code          TEXT NOT NULL,
  result             TEXT NOT NULL CHECK (result IN ('negative', 'positive')),
  reported_at        TEXT NOT NULL,
  lab                TEXT NOT NULL DEFAULT '',
  received_at        TEXT NOT NULL,
  source             TEXT NOT NULL DEFAULT '',
  stored_result      TEXT NOT NULL CHECK (stored_result IN ('negative', 'positive')),
  resolution         TEXT NOT NULL DEFAULT '' CHECK (resolution IN ('', 'accepted', 'rejected')),
  resolution_reason  TEXT NOT NULL DEFAULT '',
  resolved_at        TEXT NOT NULL DEFAULT '',
  resolved_by        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (community_id, conflict_id),
  FOREIGN KEY (community_id, tube_code) REFERENCES tubes (community_id, tube_code)
) WITHOUT ROWID;
CREATE INDEX conflicts_by_tube ON result_conflicts (community_id, tube_code);
CREATE INDEX samples_by_resident_time ON samples (community_id, resident_id, sampled_at);
CREATE TABLE antigen_tests (
  community_id INTEGER NOT NULL,
  test_id      INTEGER NOT NULL,
  resident_id  INTEGER NOT NULL,
  result       TEXT NOT NULL CHECK (result IN ('negative', 'positive')),
  tested_at    TEXT NOT NULL,
  reported_at  TEXT NOT NULL,
  reported_by  INTEGER NOT NULL,
  photo_type   TEXT NOT NULL DEFAULT '',
  photo        BLOB,
  PRIMARY KEY (community_id, test_id),
  FOREIGN KEY (community_id, resident_id) REFERENCES residents (community_id, resident_id)
) WITHOUT ROWID;
CREATE INDEX antigen_by_resident ON antigen_tests (community_id, resident_id, tested_at);
CREATE TABLE screening_marks (
  community_id INTEGER NOT NULL,
  resident_id  INTEGER NOT NULL,
  mark         TEXT NOT NULL CHECK (mark IN ('away', 'exempt', 'home')),
  reason       TEXT NOT NULL,
  set_at       TEXT NOT NULL,
  set_by       INTEGER NOT NULL,
  PRIMARY KEY (community_id, resident_id),
  FOREIGN KEY (community_id, resident_id) REFERENCES residents (community_id, resident_id)
) WITHOUT ROWID;
ALTER TABLE users ADD COLUMN resident_id INTEGER NOT NULL DEFAULT 0;
)sql";

// Exit passes: policy versions, signing keys, requests, proofs, pledges, decisions, passes
// and their exits.
constexpr std::string_view kExitPasses = R"sql(
CREATE TABLE policies (
  community_id INTEGER NOT NULL,
  policy_id    INTEGER NOT NULL,
  version      TEXT NOT NULL,
  body         TEXT NOT NULL,
  digest       TEXT NOT NULL,
  set_at       TEXT NOT NULL,
  set_by       INTEGER NOT NULL,
  PRIMARY KEY (community_id, policy_id)
) WITHOUT ROWID;
CREATE TABLE signing_keys (
  community_id INTEGER NOT NULL,
  key_id       INTEGER NOT NULL,
  public_key   BLOB NOT NULL CHECK (length(public_key) = 32),
  created_at   TEXT NOT NULL,
  retired_at   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (community_id, key_id)
) WITHOUT ROWID;
CREATE TABLE exit_requests (
  community_id   INTEGER NOT NULL,
  request_id     INTEGER NOT NULL,
  resident_id    INTEGER NOT NULL,
  reason         TEXT NOT NULL,
  destination    TEXT NOT NULL,
  planned_exit   TEXT NOT NULL,
  planned_return TEXT NOT NULL DEFAULT '',
  note           TEXT NOT NULL DEFAULT '',
  asked_by       INTEGER NOT NULL,
  asked_via      TEXT NOT NULL CHECK (asked_via IN ('resident', 'staff')),
  created_at     TEXT NOT NULL,
  status         TEXT NOT NULL
                 CHECK (status IN ('open', 'approved', 'denied', 'released', 'withdrawn')),
  PRIMARY KEY (community_id, request_id),
  FOREIGN KEY (community_id, resident_id) REFERENCES residents (community_id, resident_id)
) WITHOUT ROWID;
CREATE INDEX requests_by_resident ON exit_requests (community_id, resident_id);
CREATE INDEX open_requests ON exit_requests (community_id, status);
CREATE TABLE proofs (
  community_id INTEGER NOT NULL,
  proof_id     INTEGER NOT NULL,
  request_id   INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('proof', 'pledge_photo')),
  digest       TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  filename     TEXT NOT NULL DEFAULT '',
  uploaded_by  INTEGER NOT NULL,
  uploaded_at  TEXT NOT NULL,
  PRIMARY KEY (community_id, proof_id),
  FOREIGN KEY (community_id, request_id) REFERENCES exit_requests (community_id, request_id)
) WITHOUT ROWID;
CREATE INDEX proofs_by_request ON proofs (community_id, request_id);
CREATE TABLE pledges (
  community_id   INTEGER NOT NULL,
  request_id     INTEGER NOT NULL,
  text           TEXT NOT NULL,
  method         TEXT NOT NULL CHECK (method IN ('typed', 'paper_photo')),
  signed_name    TEXT NOT NULL DEFAULT '',
  photo_proof_id INTEGER NOT NULL DEFAULT 0,
  signed_at      TEXT NOT NULL,
  recorded_by    INTEGER NOT NULL,
  PRIMARY KEY (community_id, request_id),
  FOREIGN KEY (community_id, request_id) REFERENCES exit_requests (community_id, request_id)
) WITHOUT ROWID;
CREATE TABLE decisions (
  community_id   INTEGER NOT NULL,
  decision_id    INTEGER NOT NULL,
  request_id     INTEGER NOT NULL,
  outcome        TEXT NOT NULL CHECK (outcome IN ('approved', 'denied', 'released')),
  override_rules INTEGER NOT NULL DEFAULT 0,
  reason         TEXT NOT NULL DEFAULT '',
  policy_version TEXT NOT NULL,
  rules_applied  TEXT NOT NULL,
  rules_unmet    TEXT NOT NULL,
  decided_by     INTEGER NOT NULL,
  decided_at     TEXT NOT NULL,
  PRIMARY KEY (community_id, decision_id),
  FOREIGN KEY (community_id, request_id) REFERENCES exit_requests (community_id, request_id)
) WITHOUT ROWID;
CREATE INDEX decisions_by_request ON decisions (community_id, request_id);
CREATE TABLE passes (
  community_id     INTEGER NOT NULL,
  pass_id          INTEGER NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('individual', 'household')),
  request_id       INTEGER NOT NULL DEFAULT 0,
  holder           INTEGER NOT NULL,
  household_id     INTEGER NOT NULL,
  reason           TEXT NOT NULL,
  destination      TEXT NOT NULL DEFAULT '',
  valid_from       TEXT NOT NULL,
  valid_until      TEXT NOT NULL,
  return_required  INTEGER NOT NULL,
  return_by        TEXT NOT NULL DEFAULT '',
  emergency        INTEGER NOT NULL DEFAULT 0,
  override_rules   INTEGER NOT NULL DEFAULT 0,
  paperwork_due_at TEXT NOT NULL DEFAULT '',
  policy_version   TEXT NOT NULL,
  key_id           INTEGER NOT NULL DEFAULT 0,
  token            TEXT NOT NULL DEFAULT '',
  approved_at      TEXT NOT NULL,
  approved_by      INTEGER NOT NULL,
  revoked_at       TEXT NOT NULL DEFAULT '',
  revoked_by       INTEGER NOT NULL DEFAULT 0,
  revoke_reason    TEXT NOT NULL DEFAULT '',
  quota            INTEGER NOT NULL DEFAULT 0,
  period_days      INTEGER NOT NULL DEFAULT 0,
  slots            TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (community_id, pass_id),
  FOREIGN KEY (community_id, holder) REFERENCES residents (community_id, resident_id)
) WITHOUT ROWID;
CREATE INDEX passes_by_household ON passes (community_id, household_id);
CREATE INDEX passes_by_request ON passes (community_id, request_id) WHERE request_id <> 0;
CREATE TABLE pass_exits (
  community_id INTEGER NOT NULL,
  pass_id      INTEGER NOT NULL,
  exit_id      INTEGER NOT NULL,
  exited_at    TEXT NOT NULL,
  exited_by    INTEGER NOT NULL,
  exited_via   TEXT NOT NULL CHECK (exited_via IN ('staff', 'gate')),
  returned_at  TEXT NOT NULL DEFAULT '',
  returned_by  INTEGER NOT NULL DEFAULT 0,
  returned_via TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (community_id, pass_id, exit_id),
  FOREIGN KEY (community_id, pass_id) REFERENCES passes (community_id, pass_id)
) WITHOUT ROWID;
)sql";

// The gate log (出入登记): every check at the gate, allowed or denied.
constexpr std::string_view kGate = R"sql(
CREATE TABLE gate_events (
  community_id INTEGER NOT NULL,
  event_id     INTEGER NOT NULL,
  at           TEXT NOT NULL,
  direction    TEXT NOT NULL CHECK (direction IN ('out', 'in')),
  decision     TEXT NOT NULL CHECK (decision IN ('allow', 'deny')),
  code         TEXT NOT NULL,
  pass_id      INTEGER NOT NULL DEFAULT 0,
  resident_id  INTEGER NOT NULL DEFAULT 0,
  building     TEXT NOT NULL DEFAULT '',
  gate_user    INTEGER NOT NULL,
  source       TEXT NOT NULL DEFAULT 'online' CHECK (source IN ('online', 'offline')),
  PRIMARY KEY (community_id, event_id)
) WITHOUT ROWID;
CREATE INDEX gate_events_by_time ON gate_events (community_id, at);
CREATE INDEX gate_events_by_pass ON gate_events (community_id, pass_id) WHERE pass_id <> 0;
)sql";

// The audit trail: every state change, chained per community with BLAKE2b.
constexpr std::string_view kAudit = R"sql(
CREATE TABLE audit_log (
  community_id   INTEGER NOT NULL,
  seq            INTEGER NOT NULL,
  at             TEXT NOT NULL,
  actor          INTEGER NOT NULL,
  role           TEXT NOT NULL,
  action         TEXT NOT NULL,
  entity         TEXT NOT NULL,
  entity_id      TEXT NOT NULL,
  before_digest  TEXT NOT NULL,
  after_digest   TEXT NOT NULL,
  policy_version TEXT NOT NULL,
  prev_hash      TEXT NOT NULL,
  hash           TEXT NOT NULL,
  PRIMARY KEY (community_id, seq)
) WITHOUT ROWID;
)sql";

// Offline gates: checks queued on a gate's device and synced later, found again by the
// device's own id for each check, with what the server found against them.
constexpr std::string_view kOfflineGate = R"sql(
ALTER TABLE gate_events ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE gate_events ADD COLUMN client_event_id TEXT NOT NULL DEFAULT '';
ALTER TABLE gate_events ADD COLUMN synced_at TEXT NOT NULL DEFAULT '';
ALTER TABLE gate_events ADD COLUMN conflict TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX gate_events_by_device ON gate_events (community_id, device, client_event_id)
  WHERE client_event_id <> '';
CREATE INDEX gate_events_conflicts ON gate_events (community_id, event_id) WHERE conflict <> '';
)sql";

// The desk follows up the conflicts offline checks were flagged with.
constexpr std::string_view kGateFollowUp = R"sql(
ALTER TABLE gate_events ADD COLUMN followed_up_at TEXT NOT NULL DEFAULT '';
ALTER TABLE gate_events ADD COLUMN followed_up_by INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_events ADD COLUMN follow_up_note TEXT NOT NULL DEFAULT '';
)sql";

// No release in error: household passes carry their test window; a holder's passes are found by
// their own index (the gate reads them on every check); the register takes the desk's
// exits and returns (source 'desk', 'resident', with a note), so the gate log is rebuilt with
// the wider CHECK, and the desk's exits and returns logged before now are entered in it at
// their times.
constexpr std::string_view kRegisterEveryExit = R"sql(
ALTER TABLE passes ADD COLUMN negative_within_hours INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passes ADD COLUMN test_age_from TEXT NOT NULL DEFAULT 'sampled';
CREATE INDEX passes_by_holder ON passes (community_id, holder, pass_id);
CREATE TABLE gate_events_new (
  community_id    INTEGER NOT NULL,
  event_id        INTEGER NOT NULL,
  at              TEXT NOT NULL,
  direction       TEXT NOT NULL CHECK (direction IN ('out', 'in')),
  decision        TEXT NOT NULL CHECK (decision IN ('allow', 'deny')),
  code            TEXT NOT NULL,
  pass_id         INTEGER NOT NULL DEFAULT 0,
  resident_id     INTEGER NOT NULL DEFAULT 0,
  building        TEXT NOT NULL DEFAULT '',
  gate_user       INTEGER NOT NULL,
  source          TEXT NOT NULL DEFAULT 'online'
                  CHECK (source IN ('online', 'offline', 'desk', 'resident')),
  device          TEXT NOT NULL DEFAULT '',
  client_event_id TEXT NOT NULL DEFAULT '',
  synced_at       TEXT NOT NULL DEFAULT '',
  conflict        TEXT NOT NULL DEFAULT '',
  followed_up_at  TEXT NOT NULL DEFAULT '',
  followed_up_by  INTEGER NOT NULL DEFAULT 0,
  follow_up_note  TEXT NOT NULL DEFAULT '',
  note            TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (community_id, event_id)
) WITHOUT ROWID;
INSERT INTO gate_events_new (community_id, event_id, at, direction, decision, code, pass_id,
  resident_id, building, gate_user, source, device, client_event_id, synced_at, conflict,
  followed_up_at, followed_up_by, follow_up_note)
SELECT community_id, event_id, at, direction, decision, code, pass_id, resident_id, building,
  gate_user, source, device, client_event_id, synced_at, conflict, followed_up_at,
  followed_up_by, follow_up_note FROM gate_events;
DROP TABLE gate_events;
ALTER TABLE gate_events_new RENAME TO gate_events;
CREATE INDEX gate_events_by_time ON gate_events (community_id, at);
CREATE INDEX gate_events_by_pass ON gate_events (community_id, pass_id) WHERE pass_id <> 0;
CREATE UNIQUE INDEX gate_events_by_device ON gate_events (community_id, device, client_event_id)
  WHERE client_event_id <> '';
CREATE INDEX gate_events_conflicts ON gate_events (community_id, event_id) WHERE conflict <> '';
WITH missing (community_id, at, direction, pass_id, resident_id, building, gate_user, source) AS (
  SELECT x.community_id, x.exited_at, 'out', x.pass_id, p.holder, coalesce(b.name, ''),
    x.exited_by, 'desk'
  FROM pass_exits x
  JOIN passes p ON p.community_id = x.community_id AND p.pass_id = x.pass_id
  LEFT JOIN households h ON h.community_id = p.community_id AND h.household_id = p.household_id
  LEFT JOIN buildings b ON b.community_id = h.community_id AND b.building_id = h.building_id
  WHERE NOT EXISTS (SELECT 1 FROM gate_events g WHERE g.community_id = x.community_id
    AND g.pass_id = x.pass_id AND g.direction = 'out' AND g.decision = 'allow'
    AND g.at = x.exited_at AND g.conflict = '')
  UNION ALL
  SELECT x.community_id, x.returned_at, 'in', x.pass_id, p.holder, coalesce(b.name, ''),
    x.returned_by, CASE x.returned_via WHEN 'resident' THEN 'resident' ELSE 'desk' END
  FROM pass_exits x
  JOIN passes p ON p.community_id = x.community_id AND p.pass_id = x.pass_id
  LEFT JOIN households h ON h.community_id = p.community_id AND h.household_id = p.household_id
  LEFT JOIN buildings b ON b.community_id = h.community_id AND b.building_id = h.building_id
  WHERE x.returned_at <> '' AND NOT EXISTS (SELECT 1 FROM gate_events g
    WHERE g.community_id = x.community_id AND g.pass_id = x.pass_id AND g.direction = 'in'
    AND g.decision = 'allow' AND g.at = x.returned_at)
)
INSERT INTO gate_events (community_id, event_id, at, direction, decision, code, pass_id,
  resident_id, building, gate_user, source, note)
SELECT m.community_id,
  (SELECT coalesce(max(g.event_id), 0) FROM gate_events g WHERE g.community_id = m.community_id)
    + row_number() OVER (PARTITION BY m.community_id ORDER BY m.at, m.direction DESC, m.pass_id),
  m.at, m.direction, 'allow', CASE m.direction WHEN 'out' THEN 'gate.out' ELSE 'gate.in' END,
  m.pass_id, m.resident_id, m.building, m.gate_user, m.source,
  'entered in the register from the pass (before it registered the desk''s records)'
FROM missing m;
)sql";

// Failed logins lock an account, not an address, and the lock outlives a restart.
constexpr std::string_view kLoginLocks = R"sql(
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT NOT NULL DEFAULT '';
)sql";

// Building names as people write them ("3", "3栋", "三号楼") take their one spelling ("3号楼",
// domain::normalize_building_name), and so do the register's copies of those names, unless
// that would merge buildings: when two buildings of a community ("3" and "3号楼") spell one
// name, both are left as they are (the desk can rename or merge them).
constexpr std::string_view kNormalizeBuildingNames = R"sql(
CREATE TEMP TABLE building_renames AS
SELECT b.community_id, b.building_id, b.name AS old_name, juwei_building_name(b.name) AS new_name
FROM buildings b
WHERE juwei_building_name(b.name) <> b.name
  AND NOT EXISTS (SELECT 1 FROM buildings o WHERE o.community_id = b.community_id
    AND o.building_id <> b.building_id
    AND juwei_building_name(o.name) = juwei_building_name(b.name));
UPDATE gate_events SET building = (SELECT r.new_name FROM building_renames r
  WHERE r.community_id = gate_events.community_id AND r.old_name = gate_events.building)
WHERE EXISTS (SELECT 1 FROM building_renames r
  WHERE r.community_id = gate_events.community_id AND r.old_name = gate_events.building);
UPDATE buildings SET name = (SELECT r.new_name FROM building_renames r
  WHERE r.community_id = buildings.community_id AND r.building_id = buildings.building_id)
WHERE EXISTS (SELECT 1 FROM building_renames r
  WHERE r.community_id = buildings.community_id AND r.building_id = buildings.building_id);
DROP TABLE temp.building_renames;
)sql";

// Runs kNormalizeBuildingNames with domain::normalize_building_name as the SQL function
// juwei_building_name, defined for this step only.
Result<void> normalize_building_names(sqlite3* db) {
  constexpr auto normalized = [](sqlite3_context* context, int, sqlite3_value** args) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(args[0]));
    const std::string name = domain::normalize_building_name(
        text != nullptr ? std::string_view(text, sqlite3_value_bytes(args[0])) : "");
    sqlite3_result_text(context, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
  };
  const int rc =
      sqlite3_create_function(db, "juwei_building_name", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                              nullptr, normalized, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, "define juwei_building_name"));
  auto done = exec(db, kNormalizeBuildingNames, "normalize building names");
  sqlite3_create_function(db, "juwei_building_name", 1, SQLITE_UTF8, nullptr, nullptr, nullptr,
                          nullptr);
  return done;
}

// Every pass gets a short code a guard can type (domain::short_code), unique in its community;
// the passes issued before this step get theirs in `give_passes_short_codes`.
constexpr std::string_view kPassShortCodes = R"sql(
ALTER TABLE passes ADD COLUMN short_code TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX passes_by_short_code ON passes (community_id, short_code)
  WHERE short_code <> '';
)sql";

// A random code for each pass without one, drawn again when the community has it already.
Result<void> give_passes_short_codes(sqlite3* db) {
  std::vector<std::pair<std::int64_t, std::int64_t>> passes;
  {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(
        db, "SELECT community_id, pass_id FROM passes WHERE short_code = ''", -1, &raw, nullptr);
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> list(raw, sqlite3_finalize);
    while (rc == SQLITE_OK && (rc = sqlite3_step(raw)) == SQLITE_ROW) {
      passes.emplace_back(sqlite3_column_int64(raw, 0), sqlite3_column_int64(raw, 1));
      rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) return std::unexpected(make_error(db, rc, "list passes without a code"));
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(
      db, "UPDATE passes SET short_code = ?3 WHERE community_id = ?1 AND pass_id = ?2", -1, &raw,
      nullptr);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> set(raw, sqlite3_finalize);
  if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, "give passes short codes"));
  for (const auto& [community, pass] : passes) {
    for (int attempt = 0;; ++attempt) {
      std::uint64_t bits = 0;
      sqlite3_randomness(sizeof bits, &bits);
      const std::string code = domain::make_short_code(bits);
      sqlite3_reset(raw);
      sqlite3_bind_int64(raw, 1, community);
      sqlite3_bind_int64(raw, 2, pass);
      sqlite3_bind_text(raw, 3, code.data(), static_cast<int>(code.size()), SQLITE_TRANSIENT);
      rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      // A code the community has already: draw again (35 bits: all but never).
      if ((rc & 0xff) != SQLITE_CONSTRAINT || attempt == 8) {
        return std::unexpected(make_error(db, rc, "give a pass its short code"));
      }
    }
  }
  return {};
}

// Residents are found by the pinyin of their names ("maoqi", "mq" for 毛琪): each keeps its
// keys (domain::name_pinyin), written with the name from now on and computed here for the rows
// already there.
constexpr std::string_view kNamePinyin = R"sql(
ALTER TABLE residents ADD COLUMN name_pinyin TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
CREATE INDEX residents_by_pinyin ON residents (community_id, name_pinyin);
CREATE INDEX residents_by_initials ON residents (community_id, name_initials);
)sql";

// Fills kNamePinyin's columns with domain::name_pinyin, defined for this step only as the SQL
// function juwei_name_pinyin(name, initials).
Result<void> give_residents_pinyin(sqlite3* db) {
  constexpr auto keys = [](sqlite3_context* context, int, sqlite3_value** args) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(args[0]));
    const domain::NamePinyin pinyin = domain::name_pinyin(
        text != nullptr ? std::string_view(text, sqlite3_value_bytes(args[0])) : "");
    const std::string& out = sqlite3_value_int(args[1]) != 0 ? pinyin.initials : pinyin.full;
    sqlite3_result_text(context, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
  };
  const int rc =
      sqlite3_create_function(db, "juwei_name_pinyin", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                              nullptr, keys, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(make_error(db, rc, "define juwei_name_pinyin"));
  auto done = exec(db,
                   "UPDATE residents SET name_pinyin = juwei_name_pinyin(name, 0), "
                   "name_initials = juwei_name_pinyin(name, 1)",
                   "give residents the pinyin of their names");
  sqlite3_create_function(db, "juwei_name_pinyin", 2, SQLITE_UTF8, nullptr, nullptr, nullptr,
                          nullptr);
  return done;
}

// A community's audit chain is hashed with its chain id (AuditRecord::chain_id), which is its
// community id, except for a community `juwei migrate` moved to a database where its id was
// taken: it keeps the id its chain began with, so the chain still verifies. Every community
// until now began its chain here.
constexpr std::string_view kChainIds = R"sql(
ALTER TABLE communities ADD COLUMN chain_id INTEGER NOT NULL DEFAULT 0;
UPDATE communities SET chain_id = community_id;
)sql";

// A street office (街道) keeps its own accounts and their audit trail in a unit of its own: a
// row of communities marked office, one per street, which registers no residents. Accounts of
// the street role belong to it and see the street's communities.
constexpr std::string_view kStreetOffices = R"sql(
ALTER TABLE communities ADD COLUMN office INTEGER NOT NULL DEFAULT 0 CHECK (office IN (0, 1));
CREATE UNIQUE INDEX communities_one_office ON communities (street_id) WHERE office = 1;
)sql";

// Version 20: a day's report as submitted (上报), frozen once per community and day.
constexpr std::string_view kReportSubmissions = R"sql(
CREATE TABLE report_submissions (
  community_id INTEGER NOT NULL REFERENCES communities (community_id),
  day          TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  submitted_by INTEGER NOT NULL,
  figures      TEXT NOT NULL,
  audit_seq    INTEGER NOT NULL DEFAULT 0,
  audit_hash   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (community_id, day)
);
)sql";

constexpr std::array kMigrations = {
    Migration{1, "registry: streets, communities, buildings, households, residents", kRegistry},
    Migration{2, "import history", kImports},
    Migration{3, "users and sessions", kAccounts},
    Migration{4, "soft deletes, search indexes, idempotency keys", kRemovalsSearchIdempotency},
    Migration{5, "building status history", kBuildingStatus},
    Migration{6, "screening rounds, tubes and samples", kScreening},
    Migration{7, "lab results, conflicts, antigen self-tests, screening marks, resident users",
              kLabResults},
    Migration{8,
              "exit passes: policy versions, signing keys, requests, proofs, pledges, "
              "decisions, passes and their exits",
              kExitPasses},
    Migration{9, "gate log", kGate},
    Migration{10, "audit trail", kAudit},
    Migration{11, "offline gate checks", kOfflineGate},
    Migration{12, "gate conflicts followed up", kGateFollowUp},
    Migration{13, "household passes carry their test window; the register takes every exit",
              kRegisterEveryExit},
    Migration{14, "failed logins and account locks", kLoginLocks},
    Migration{15, "building names as people write them take one spelling", "",
              normalize_building_names},
    Migration{16, "passes carry a short code a guard can type", kPassShortCodes,
              give_passes_short_codes},
    Migration{17, "residents are found by the pinyin of their names", kNamePinyin,
              give_residents_pinyin},
    Migration{18, "communities keep the id their audit chain began with", kChainIds},
    Migration{19, "street offices keep their accounts in a unit of their own", kStreetOffices},
    Migration{20, "daily reports as submitted", kReportSubmissions},
};

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

}  // namespace juwei::store::sqlite
