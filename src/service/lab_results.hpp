// Lab results (检测结果) and what follows from them. A lab's CSV (tube_code, result,
// reported_at, lab) is ingested in one transaction: a re-sent file changes nothing; a result
// that disagrees with the tube's stored one is kept as a conflict for a human, never written
// over it; an unknown tube is reported by line and left out (the rest still counts: results
// are urgent, and re-sending the file once the tube is known picks it up). A bad row refuses
// the file unless skip_invalid. Each new positive tube comes back with what it sets in motion
// (DESIGN.md, default policy). Also: a resident's tests and standing, latest_negative for exit
// passes, a round's positives and retests, the home-sampling list and the zone evidence that
// restarts the building clocks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/lab_result.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "service/resident_import.hpp"
#include "store/store.hpp"

namespace juwei::service {

struct ResultsOptions {
  std::optional<text::Encoding> encoding;  // nullopt: detect
  bool dry_run = false;
  bool skip_invalid = false;  // ingest the valid rows; the bad ones are only reported
  domain::UserId by = 0;      // who imports, for the audit trail (0: the operator)
};

// A positive tube reported by this file, and what it suggests.
struct PositiveNotice {
  std::string tube_code;
  domain::TubeKind kind = domain::TubeKind::pooled;
  std::string reported_at;
  std::vector<domain::ResidentId> residents;  // swabbed into it
  std::vector<domain::BuildingId> buildings;  // where they live
  domain::PositiveFollowUp follow_up;
  std::string building_retest_after;  // single tubes: reported_at + 24 h
  std::int64_t housemates = 0;        // pooled tubes: people to sample at home
};

struct ResultsReport {
  text::Encoding encoding = text::Encoding::utf8;
  std::int64_t rows = 0;
  std::int64_t added = 0;
  std::int64_t unchanged = 0;
  std::int64_t conflicts = 0;        // new conflicts kept for a human
  std::int64_t unknown = 0;          // tubes never scanned in this community
  std::int64_t rejected = 0;         // rows that cannot be read
  std::vector<RowProblem> problems;  // bad rows and unknown tubes, by line
  std::vector<PositiveNotice> positives;
  bool committed = false;
  bool refused = false;  // bad rows and no skip_invalid: nothing was (or would be) imported
};

inline constexpr std::string_view kRuleRetestAfter = "screening.building_retest_after_24h";

Result<ResultsReport> import_results(store::Store& store, const Clock& clock,
                                     domain::CommunityId community, const ImportSource& source,
                                     const ResultsOptions& options);

// A resident's tests, newest first, and what they add up to now.
struct TestHistory {
  domain::ResidentStanding standing = domain::ResidentStanding::none;
  std::vector<store::ResidentTest> tests;
  std::optional<store::ScreeningMarkRow> mark;
};

// A round's positives: cases (positive single tubes) and residents on retest (positive pooled
// tubes), each retest with whether it has cleared (a later single tube reported).
struct RoundPositive {
  store::PositiveSwab swab;
  domain::SwabOutcome outcome = domain::SwabOutcome::retest;
  domain::ResidentStanding standing = domain::ResidentStanding::retest;  // now
  bool cleared = false;  // a later single tube came back negative
};

// Who is to be swabbed at home: residents marked `home`, bedridden residents (卧床 in the
// register) not marked away or exempt, residents on retest and the people living with them,
// each until swabbed after the positive pool was reported.
struct HomeSamplingEntry {
  store::ResidentRow resident;
  std::string reason;     // "home" (marked) or "housemate_of_retest"
  std::string since;      // when they joined the list
  std::string tube_code;  // housemates: the positive pooled tube
};

// Building id → what its residents' results say, for the zone clocks.
using ZoneEvidenceMap = std::map<domain::BuildingId, domain::ZoneEvidence>;
Result<ZoneEvidenceMap> zone_evidence(store::Transaction& tx, domain::CommunityId c, TimePoint now);

// An antigen self-test (抗原) as a resident reports it; the photo is optional.
struct AntigenInput {
  domain::ResidentId resident_id = 0;
  std::string result;     // negative / positive (阴性 / 阳性)
  std::string tested_at;  // see parse_time; not in the future
  std::string photo;      // JPEG or PNG bytes, checked by content; empty: none
};

inline constexpr std::size_t kMaxPhotoBytes = 10 * 1024 * 1024;

// "image/jpeg" or "image/png" by the file's first bytes; empty for anything else.
std::string_view image_type_of(std::string_view bytes);

class LabResults {
 public:
  LabResults(store::Store& store, Clock clock);

  Result<ResultsReport> import_csv(domain::CommunityId c, const ImportSource& source,
                                   const ResultsOptions& options);

  Result<std::vector<store::ResultConflict>> conflicts(domain::CommunityId c, bool open_only);
  // accept: the conflict's result replaces the stored one (the old one stays on the record);
  // reject: the stored result stands. Either way with a reason; a decided conflict is final.
  Result<store::ResultConflict> resolve_conflict(domain::CommunityId c, std::int64_t id,
                                                 bool accept, std::string_view reason,
                                                 domain::UserId by);

  Result<TestHistory> history(domain::CommunityId c, domain::ResidentId resident);
  // The latest negative swab that counts at `at` (see domain::latest_negative), or nothing.
  Result<std::optional<store::ResidentTest>> latest_negative(domain::CommunityId c,
                                                             domain::ResidentId resident,
                                                             TimePoint at,
                                                             domain::CountedFrom counted_from);
  Result<std::vector<RoundPositive>> round_positives(domain::CommunityId c, std::int64_t round_id);
  // ID numbers masked for the roles that see them masked (volunteers swab at the door).
  Result<std::vector<HomeSamplingEntry>> home_sampling_list(
      domain::CommunityId c, domain::Role viewer = domain::Role::staff);

  // A resident reports for their own household; the desk for anyone (not_found otherwise,
  // which also hides whether the resident exists).
  Result<store::AntigenTest> report_antigen(domain::CommunityId c, const AntigenInput& in,
                                            const domain::User& by);
  // The test with its photo (photo empty when there is none), for whoever may see the test.
  Result<store::AntigenTest> antigen_photo(domain::CommunityId c, std::int64_t id,
                                           const domain::User& viewer);
  // Whether `viewer` may see a resident's tests: the desk always, a resident for their own
  // household. not_found otherwise.
  Result<void> check_may_see(domain::CommunityId c, domain::ResidentId resident,
                             const domain::User& viewer);

 private:
  store::Store& m_store;
  Clock m_clock;
};

}  // namespace juwei::service
