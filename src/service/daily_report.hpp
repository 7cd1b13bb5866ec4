// The daily report (日报) of a community for a day of its calendar: every figure computed from
// the records, none typed. The register and its vulnerable groups as they stand (live); the
// buildings' statuses at the day's end and that day's changes; the day's screening (rounds,
// who was due, sampled, excused or missing, tubes, results, positives, retests); antigen
// self-tests; exits (requests, decisions, out, back, overdue, paperwork owed) and gate denials;
// and the audit chain's head at the day's end, so a printed copy can later be proved against
// the trail. A day still running is reported up to now.
//
// The totals sheet's layout is data (report_daily.toml, built in; another file may replace
// it): rows of figures by key, in the street office's order. The report goes out as JSON (the
// API), CSV (UTF-8 with BOM, for Excel) and XLSX (the totals, then a sheet per detail list).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/account.hpp"
#include "domain/policy.hpp"
#include "domain/registry.hpp"
#include "domain/zone.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

// A figure the report computes: its key ("screening.sampled") and how people name it.
struct ReportFigure {
  std::string_view key;
  std::string_view label_zh;
  std::string_view label_en;
};
// Every figure, in the built-in layout's order.
std::span<const ReportFigure> report_figures();
const ReportFigure* find_report_figure(std::string_view key);

struct ReportRow {
  std::string section;  // "核酸筛查"
  std::string label;    // "已采样人数"
  std::string figure;   // a report_figures() key
};

struct ReportTemplate {
  std::string version;
  std::string title;
  std::vector<ReportRow> rows;
};

// A layout file (report_daily.toml's format); an invalid one is an error naming each field at
// fault ("row[3].figure"), an unknown figure among them.
Result<ReportTemplate> parse_report_template(std::string_view toml_text);
std::string_view default_report_template_toml();
const ReportTemplate& default_report_template();

// One live building on the day.
struct ReportBuilding {
  domain::BuildingId building_id = 0;
  std::string building;
  std::optional<domain::ZoneStatus> status;  // at the day's end; none: never set
  std::int64_t households = 0;
  std::int64_t residents = 0;
  bool screened = false;  // a round of the day covered it
  // Of a screened building: its live residents not marked away or exempt, those sampled that
  // day, and those excused (marked, or out on an exit).
  std::int64_t due = 0;
  std::int64_t sampled = 0;
  std::int64_t excused = 0;
  std::int64_t missing() const { return due - sampled; }
};

// A building's status change made that day.
struct ReportStatusChange {
  std::string building;
  std::optional<domain::ZoneStatus> from;  // none: its first status
  domain::ZoneStatus to = domain::ZoneStatus::precaution;
  std::string at;  // ISO-8601 UTC
  std::string reason;
  std::string rule;
};

// A resident swabbed into a tube the lab reported positive that day.
struct ReportPositive {
  store::ResidentRow resident;
  std::string tube_code;
  domain::TubeKind kind = domain::TubeKind::pooled;
  std::string reported_at;
};

// Gate checks denied that day for one reason, most frequent first.
struct ReportDenial {
  std::string code;  // "pass.expired"
  std::string_view label_zh;
  std::string_view label_en;
  std::int64_t count = 0;
};

// The testing cadence of one status on the day: what a resident owed over the window (scaled
// when the community is younger), how many residents owed it and how many fell behind.
struct ReportCadence {
  domain::ZoneStatus status = domain::ZoneStatus::precaution;
  int pcr_owed = 0;
  int antigen_owed = 0;
  std::int64_t residents = 0;
  std::int64_t behind = 0;
};

// A resident behind their cadence: their tests in the window and what they owed.
struct ReportBehind {
  store::ResidentTestCount tests;
  domain::ZoneStatus status = domain::ZoneStatus::precaution;
  int pcr_owed = 0;
  int antigen_owed = 0;
};

// A figure that changed since the day's report was submitted: its records changed after.
struct ReportDifference {
  std::string_view figure;
  std::int64_t submitted = 0;
  std::int64_t now = 0;
};

struct DailyReport {
  domain::Community community;
  std::string day;        // YYYY-MM-DD, the community's calendar
  std::string from;       // the day's start, ISO-8601 UTC
  std::string to;         // its end (exclusive), or the second after now while the day runs
  bool complete = false;  // the day is over
  std::string first_day;  // the first day it can report (its first record's); empty: any
  std::string generated_at;
  std::vector<ReportBuilding> buildings;  // by id
  std::vector<ReportStatusChange> changes;
  std::vector<store::ScreeningRound> rounds;  // of the day
  std::vector<store::ResidentRow> missing;    // due in a screened building, not sampled
  std::vector<ReportPositive> positives;
  store::WindowCounts counts;
  std::vector<ReportDenial> denials;
  // The testing cadence (rule domain::kRuleCadence) over the `cadence_window_days` days ending
  // with the day, of which `cadence_days` are counted (fewer while the community is younger):
  // by status (sealed, controlled, precaution), and who fell behind, by building and room.
  int cadence_window_days = 0;
  int cadence_days = 0;
  std::vector<ReportCadence> cadence;
  std::vector<ReportBehind> behind;
  std::int64_t vulnerable[domain::kVulnerabilityCount] = {};  // as kAllVulnerabilities
  std::optional<store::AuditRecord> audit_head;               // the trail's last record before `to`
  // Every figure of report_figures(), in its order.
  std::vector<std::pair<std::string_view, std::int64_t>> figures;
  // The day's report as submitted (上报), if it was, and what differs from it now.
  std::optional<store::ReportSubmission> submission;
  std::vector<ReportDifference> differences;

  std::int64_t figure(std::string_view key) const;  // 0 for an unknown key
};

// One community of a street office's view: where it stands at the day's end.
struct StreetRow {
  domain::Community community;
  std::int64_t residents = 0;
  std::int64_t sealed = 0;  // buildings by status
  std::int64_t controlled = 0;
  std::int64_t precaution = 0;
  std::int64_t unset = 0;
  std::int64_t rounds = 0;  // the day's coverage, when it had a round
  std::int64_t due = 0;
  std::int64_t sampled = 0;
  // Residents swabbed into positive tubes (pooled or single) in the risk window, and of them the
  // cases (single tubes), and the buildings with a cluster of cases.
  std::int64_t positives = 0;
  std::int64_t cases = 0;
  std::int64_t clusters = 0;
  domain::RiskAssessment risk;
  int risk_window_days = 0;  // the policy's window the positives, cases and clusters count
  std::int64_t out = 0;
  std::int64_t overdue = 0;
  std::int64_t paperwork_overdue = 0;
  std::optional<store::ReportSubmission> submission;
  // The day's report is due by `deadline` (ISO-8601 UTC; the policy's [report] deadline);
  // `late`: not submitted by then, the deadline passed, or submitted after it.
  std::string deadline;
  bool late = false;
};

struct StreetOverview {
  std::string day;
  bool complete = false;
  std::vector<StreetRow> rows;  // by community id
  StreetRow total;              // the sums (its risk: the highest of the rows)
  std::int64_t submitted = 0;   // communities whose report of the day was submitted
  std::int64_t late = 0;        // and those late (StreetRow::late)
};

// A community's figures day by day (the desk's charts).
struct SeriesDay {
  std::string day;
  bool complete = false;
  std::vector<std::pair<std::string_view, std::int64_t>> figures;  // report_figures() order
};

struct ReportSeries {
  domain::Community community;
  // The first day reported: `from`, or the community's first day if later (`from` when the
  // range has no day of the community).
  std::string from;
  std::string to;
  std::vector<SeriesDay> days;
};

// The longest series one request reads, and the days it reads unless told.
inline constexpr int kMaxSeriesDays = 92;
inline constexpr int kDefaultSeriesDays = 14;

class Reports {
 public:
  Reports(store::Store& store, Clock clock);

  // `day` is YYYY-MM-DD; a malformed day, one after today or one before the community's first
  // record is invalid (field "day").
  Result<DailyReport> daily(domain::CommunityId c, std::string_view day);
  // The figures of each day from `from` to `to` (both YYYY-MM-DD, inclusive; empty `to`:
  // today; empty `from`: kDefaultSeriesDays up to `to`): a malformed day,
  // `to` after today, `from` after `to` or a range over kMaxSeriesDays is invalid (fields
  // "from", "to"); days before the community's first record are left out.
  Result<ReportSeries> series(domain::CommunityId c, std::string_view from, std::string_view to);
  // Marks the day's report submitted: its figures and the chain's head frozen as they are now
  // (a conflict when the day was submitted already), audited.
  Result<DailyReport> submit(domain::CommunityId c, std::string_view day, const domain::User& by);
  // The communities `viewer` may see (a street office: its street's; the admin: every one, or
  // those of `only` street), each as it stood at the day's end.
  Result<StreetOverview> street(const domain::User& viewer, std::string_view day,
                                std::optional<domain::StreetId> only = std::nullopt);
  // The community whose report `viewer` reads: the desk its own (`asked` empty or its own id);
  // a street office one of its street's, which it must name. Another is not_found, as if it
  // did not exist; a street office naming none is invalid (field "community").
  Result<domain::CommunityId> report_community(const domain::User& viewer, std::string_view asked);

 private:
  store::Store& m_store;
  Clock m_clock;
};

// The files: the totals in the template's rows, then the detail lists.
std::string daily_report_csv(const DailyReport& report, const ReportTemplate& layout);
std::string daily_report_xlsx(const DailyReport& report, const ReportTemplate& layout);
// One A4 page to print, sign and send: the totals in the template's rows, the buildings by
// status, the day's status changes, positives and gate denials in brief, and the chain's head
// (daily_report_pdf.cpp).
std::string daily_report_pdf(const DailyReport& report, const ReportTemplate& layout);
// The street office's sheet: one row a community, then the sums.
std::string street_overview_xlsx(const StreetOverview& overview);
// "2022-04-05 日报", the files' base name.
std::string daily_report_filename(const DailyReport& report);

}  // namespace juwei::service
