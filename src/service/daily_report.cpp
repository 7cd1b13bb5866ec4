#include "service/daily_report.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "domain/exit.hpp"
#include "domain/lab_result.hpp"
#include "domain/offline_gate.hpp"
#include "render/xlsx.hpp"
#include "service/audit.hpp"
#include "service/communities.hpp"
#include "service/pass_view.hpp"
#include "service/transaction.hpp"
#include "text/csv.hpp"
#include "text/encoding.hpp"

namespace juwei::service {

namespace {

constexpr ReportFigure kFigures[] = {
    {"register.buildings", "楼栋数", "Buildings"},
    {"register.households", "户数", "Households"},
    {"register.residents", "居民人数", "Residents"},
    {"vulnerable.dialysis", "透析患者", "On dialysis"},
    {"vulnerable.pregnant", "孕妇", "Pregnant"},
    {"vulnerable.elderly_alone", "独居老人", "Elderly living alone"},
    {"vulnerable.bedridden", "卧床", "Bedridden"},
    {"vulnerable.infant", "婴幼儿", "Infants"},
    {"vulnerable.chronic_medication", "长期服药（慢病）", "On chronic medication"},
    {"vulnerable.disabled", "残障人士", "Disabled"},
    {"buildings.sealed", "封控楼栋", "Sealed buildings"},
    {"buildings.controlled", "管控楼栋", "Controlled buildings"},
    {"buildings.precaution", "防范楼栋", "Precaution buildings"},
    {"buildings.unset", "未定状态楼栋", "Buildings without a status"},
    {"buildings.changes", "当日状态变更", "Status changes that day"},
    {"screening.rounds", "筛查轮次", "Screening rounds"},
    {"screening.due", "应检人数", "Due"},
    {"screening.sampled", "已采样人数", "Sampled"},
    {"screening.missing", "未采样人数", "Missing"},
    {"screening.excused", "免采（外出、外地、豁免）", "Excused (out, away, exempt)"},
    {"screening.tubes", "采样管数", "Tubes"},
    {"screening.swabs", "采样人次", "Swabs"},
    {"screening.results", "回报结果管数", "Results back"},
    {"screening.positive_pooled", "混管阳性", "Pooled tubes positive"},
    {"screening.positive_single", "单管阳性", "Single tubes positive"},
    {"screening.retest_due", "待复核人数（累计）", "On retest (to date)"},
    {"screening.retest_done", "已复核人数（累计）", "Retested (to date)"},
    {"antigen.reports", "抗原上报", "Antigen reports"},
    {"antigen.positive", "抗原阳性", "Antigen positives"},
    {"cadence.residents", "应按频次检测人数", "Residents with a testing cadence"},
    {"cadence.behind", "未达频次人数", "Behind their testing cadence"},
    {"cadence.behind_sealed", "其中封控区", "Of them in sealed buildings"},
    {"cadence.behind_controlled", "其中管控区", "Of them in controlled buildings"},
    {"cadence.behind_precaution", "其中防范区", "Of them in precaution buildings"},
    {"exits.requests", "外出申请", "Exit requests"},
    {"exits.approved", "批准", "Approved"},
    {"exits.denied", "不予批准", "Denied"},
    {"exits.emergency", "紧急放行", "Emergency releases"},
    {"exits.out_that_day", "当日外出", "Exits that day"},
    {"exits.back", "当日返回", "Back that day"},
    {"exits.out", "外出未归（日终）", "Out at day's end"},
    {"exits.overdue", "逾期未归（日终）", "Overdue at day's end"},
    {"exits.paperwork_overdue", "紧急放行补材料逾期", "Emergency paperwork overdue"},
    {"gate.denials", "门岗拦截", "Gate denials"},
};

// report_figures()'s key of each vulnerability, in kAllVulnerabilities' order.
std::string vulnerable_key(domain::Vulnerability v) {
  return fmt::format("vulnerable.{}", domain::to_code(v));
}

Error template_error(std::vector<FieldIssue> issues) {
  const FieldIssue& first = issues.front();
  std::string message =
      issues.size() == 1
          ? fmt::format("the report layout has a problem: {}: {}", first.field, first.message)
          : fmt::format("the report layout has {} problems, the first: {}: {}", issues.size(),
                        first.field, first.message);
  return Error::invalid(std::move(message), std::move(issues));
}

// A non-blank string at `key` of `table`, or a problem.
std::optional<std::string> template_text(const toml::table& table, std::string_view key,
                                         const std::string& field,
                                         std::vector<FieldIssue>& issues) {
  const auto value = table[key].value_exact<std::string>();
  if (!value || value->find_first_not_of(" \t") == std::string::npos) {
    issues.push_back({field, "report.missing", "must be a non-empty string", "须为非空文字"});
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::span<const ReportFigure> report_figures() {
  return kFigures;
}

const ReportFigure* find_report_figure(std::string_view key) {
  const auto it = std::ranges::find(kFigures, key, &ReportFigure::key);
  return it == std::end(kFigures) ? nullptr : &*it;
}

Result<ReportTemplate> parse_report_template(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return std::unexpected(
        Error::invalid(fmt::format("the report layout is not valid TOML: line {}: {}",
                                   e.source().begin.line, e.description())));
  }
  std::vector<FieldIssue> issues;
  ReportTemplate layout;
  layout.version = template_text(root, "version", "version", issues).value_or("");
  layout.title = template_text(root, "title", "title", issues).value_or("");
  const toml::array* rows = root["row"].as_array();
  if (!rows || rows->empty()) {
    issues.push_back(
        {"row", "report.missing", "needs at least one [[row]]", "至少需要一行 [[row]]"});
  } else {
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const std::string at = fmt::format("row[{}]", i + 1);
      const toml::table* row = (*rows)[i].as_table();
      if (!row) {
        issues.push_back({at, "report.type", "must be a table", "须为表"});
        continue;
      }
      ReportRow r;
      r.section = template_text(*row, "section", at + ".section", issues).value_or("");
      r.label = template_text(*row, "label", at + ".label", issues).value_or("");
      r.figure = template_text(*row, "figure", at + ".figure", issues).value_or("");
      if (!r.figure.empty() && !find_report_figure(r.figure)) {
        issues.push_back(
            {at + ".figure", "report.unknown_figure",
             fmt::format("no figure is called {} (juwei report figures lists them)", r.figure),
             fmt::format("没有名为 {} 的指标", r.figure)});
      }
      for (auto&& [key, node] : *row) {
        if (key != "section" && key != "label" && key != "figure") {
          issues.push_back({at + "." + std::string(key.str()), "report.unknown_key",
                            "unknown key; a row has section, label and figure",
                            "无此设置项；每行只有 section、label、figure"});
        }
      }
      layout.rows.push_back(std::move(r));
    }
  }
  for (auto&& [key, node] : root) {
    if (key != "version" && key != "title" && key != "row") {
      issues.push_back({std::string(key.str()), "report.unknown_key",
                        "unknown key; the layout has version, title and [[row]]",
                        "无此设置项；只有 version、title 与 [[row]]"});
    }
  }
  if (!issues.empty()) return std::unexpected(template_error(std::move(issues)));
  return layout;
}

const ReportTemplate& default_report_template() {
  static const ReportTemplate layout = [] {
    auto parsed = parse_report_template(default_report_template_toml());
    if (!parsed) {
      throw std::logic_error("the built-in report_daily.toml is invalid: " +
                             parsed.error().message);
    }
    return std::move(*parsed);
  }();
  return layout;
}

std::int64_t DailyReport::figure(std::string_view key) const {
  const auto it =
      std::ranges::find(figures, key, &std::pair<std::string_view, std::int64_t>::first);
  return it == figures.end() ? 0 : it->second;
}

Reports::Reports(store::Store& store, Clock clock) : m_store(store), m_clock(std::move(clock)) {}

namespace {

Error bad_day(std::string message, std::string_view code, std::string zh) {
  return Error::invalid(message, {FieldIssue{"day", std::string(code), message, std::move(zh)}});
}

// Fills report.figures from what daily() read.
void compute_figures(DailyReport& r) {
  std::map<std::string, std::int64_t, std::less<>> f;
  std::int64_t households = 0;
  std::int64_t residents = 0;
  std::int64_t by_status[3] = {};
  std::int64_t unset = 0;
  std::int64_t due = 0;
  std::int64_t sampled = 0;
  std::int64_t excused = 0;
  for (const ReportBuilding& b : r.buildings) {
    households += b.households;
    residents += b.residents;
    if (b.status) {
      ++by_status[static_cast<int>(*b.status)];
    } else {
      ++unset;
    }
    due += b.due;
    sampled += b.sampled;
    excused += b.excused;
  }
  f["register.buildings"] = static_cast<std::int64_t>(r.buildings.size());
  f["register.households"] = households;
  f["register.residents"] = residents;
  for (int i = 0; i < domain::kVulnerabilityCount; ++i)
    f[vulnerable_key(domain::kAllVulnerabilities[i])] = r.vulnerable[i];
  f["buildings.sealed"] = by_status[static_cast<int>(domain::ZoneStatus::sealed)];
  f["buildings.controlled"] = by_status[static_cast<int>(domain::ZoneStatus::controlled)];
  f["buildings.precaution"] = by_status[static_cast<int>(domain::ZoneStatus::precaution)];
  f["buildings.unset"] = unset;
  f["buildings.changes"] = static_cast<std::int64_t>(r.changes.size());
  const store::WindowCounts& w = r.counts;
  f["screening.rounds"] = static_cast<std::int64_t>(r.rounds.size());
  f["screening.due"] = due;
  f["screening.sampled"] = sampled;
  f["screening.missing"] = due - sampled;
  f["screening.excused"] = excused;
  f["screening.tubes"] = w.tubes;
  f["screening.swabs"] = w.swabs;
  f["screening.results"] = w.results;
  f["screening.positive_pooled"] = w.positive_pooled;
  f["screening.positive_single"] = w.positive_single;
  f["screening.retest_due"] = w.retest_due;
  f["screening.retest_done"] = w.retest_done;
  f["antigen.reports"] = w.antigen_reports;
  f["antigen.positive"] = w.antigen_positive;
  std::int64_t cadence_residents = 0;
  std::int64_t behind = 0;
  for (const ReportCadence& c : r.cadence) {
    cadence_residents += c.residents;
    behind += c.behind;
    f[fmt::format("cadence.behind_{}", domain::to_code(c.status))] = c.behind;
  }
  f["cadence.residents"] = cadence_residents;
  f["cadence.behind"] = behind;
  f["exits.requests"] = w.requests_filed;
  f["exits.approved"] = w.approved;
  f["exits.denied"] = w.denied;
  f["exits.emergency"] = w.released;
  f["exits.out_that_day"] = w.exits;
  f["exits.back"] = w.returns;
  f["exits.out"] = w.out_at_end;
  f["exits.overdue"] = w.overdue_at_end;
  f["exits.paperwork_overdue"] = w.paperwork_overdue_at_end;
  std::int64_t denials = 0;
  for (const auto& [code, n] : w.gate_denials)
    denials += n;
  f["gate.denials"] = denials;
  r.figures.clear();
  for (const ReportFigure& figure : kFigures) {
    const auto it = f.find(figure.key);
    if (it == f.end()) throw std::logic_error(fmt::format("figure {} not computed", figure.key));
    r.figures.emplace_back(figure.key, it->second);
  }
}

}  // namespace

namespace {

// A calendar day of the community and its bounds in time.
struct DayWindow {
  domain::Date date;
  TimePoint start;
  TimePoint end;
};

Result<DayWindow> day_window(std::string_view day, TimePoint now) {
  const auto date = domain::parse_iso_date(day);
  if (!date || day.size() != 10) {
    return std::unexpected(bad_day(fmt::format("day must be a date as YYYY-MM-DD, not '{}'", day),
                                   "day.malformed", "日期格式应为 YYYY-MM-DD"));
  }
  const domain::Date today = local_date(now);
  if (*date > today) {
    return std::unexpected(bad_day(
        fmt::format("{} is in the future (today is {})", day, domain::format_date(today)),
        "day.future", fmt::format("{} 尚未到来（今天是 {}）", day, domain::format_date(today))));
  }
  const TimePoint start =
      TimePoint{std::chrono::sys_days{*date}.time_since_epoch()} - kShanghaiOffset;
  return DayWindow{*date, start, start + std::chrono::days{1}};
}

// How much of a report to read: everything, or the figures only (the street office's view,
// which shows no list of names and no chain head).
enum class Detail : std::uint8_t { full, figures };

// The testing cadence of the day: each status's residents (by their building's status at the
// day's end) against the policy's cadence over the window ending with the day, and who fell
// behind (listed when `detail` is full). Needs report.buildings' statuses and first_day.
Result<void> compute_cadence(store::Transaction& tx, DailyReport& report, const DayWindow& window,
                             const domain::CadencePolicy& rule, Detail detail) {
  int days = rule.window_days;
  if (const auto first = domain::parse_iso_date(report.first_day)) {
    const auto since = (std::chrono::sys_days{window.date} - std::chrono::sys_days{*first}).count();
    days = static_cast<int>(std::clamp<std::int64_t>(since + 1, 1, rule.window_days));
  }
  // A running day's tests count, but the day is owed only once it is over.
  if (!report.complete) days = std::max(0, days - 1);
  report.cadence_window_days = rule.window_days;
  report.cadence_days = days;
  report.cadence.clear();
  for (const domain::ZoneStatus s : {domain::ZoneStatus::sealed, domain::ZoneStatus::controlled,
                                     domain::ZoneStatus::precaution}) {
    const domain::TestCadence& owed = rule.by_status[static_cast<int>(s)];
    const domain::CadenceCheck scaled = domain::check_cadence(owed, days, rule.window_days, 0, 0);
    report.cadence.push_back(ReportCadence{s, scaled.pcr_owed, scaled.antigen_owed, 0, 0});
  }
  std::map<domain::BuildingId, domain::ZoneStatus> status_of;
  for (const ReportBuilding& b : report.buildings) {
    if (b.status) status_of.emplace(b.building_id, *b.status);
  }
  const std::string from = iso_utc(window.end - std::chrono::days{rule.window_days});
  auto counts = lift(tx.test_counts(report.community.id, from, report.to));
  if (!counts) return std::unexpected(counts.error());
  report.behind.clear();
  for (store::ResidentTestCount& t : *counts) {
    const auto status = status_of.find(t.building_id);
    if (status == status_of.end()) continue;  // no status, no cadence
    const int i = static_cast<int>(status->second);
    ReportCadence& c = report.cadence[static_cast<std::size_t>(i)];
    ++c.residents;
    const domain::CadenceCheck check = domain::check_cadence(
        rule.by_status[i], days, rule.window_days, t.pcr_days, t.antigen);
    if (!check.behind) continue;
    ++c.behind;
    if (detail == Detail::full) {
      report.behind.push_back(
          ReportBehind{std::move(t), status->second, check.pcr_owed, check.antigen_owed});
    }
  }
  return {};
}

// The report of community c for the day under its policy in force, read in `tx` (without its
// submission).
Result<DailyReport> compute_daily(store::Transaction& tx, domain::CommunityId c,
                                  const DayWindow& window, TimePoint now,
                                  const domain::ExitPolicy& policy, Detail detail = Detail::full) {
  DailyReport report;
  const std::string day = domain::format_date(window.date);
  report.day = day;
  report.from = iso_utc(window.start);
  report.complete = window.end <= now;
  // A running day counts what is recorded up to now, this second included.
  report.to = iso_utc(report.complete ? window.end : now + std::chrono::seconds{1});
  report.generated_at = iso_utc(now);
  auto community = lift(tx.get_community(c));
  if (!community) return std::unexpected(community.error());
  if (!*community) return std::unexpected(Error::not_found("no such community"));
  report.community = **community;
  // The community's first record (its creation) bounds the days it can report.
  store::AuditQuery first{c};
  first.newest_first = false;
  first.limit = 1;
  auto oldest = lift(tx.list_audit(first));
  if (!oldest) return std::unexpected(oldest.error());
  if (!oldest->empty()) report.first_day = local_day_of(oldest->front().record.at);
  if (!oldest->empty() && oldest->front().record.at >= iso_utc(window.end)) {
    const std::string& since = report.first_day;
    return std::unexpected(bad_day(
        fmt::format("{} is before the community's first record ({})", day, since),
        "day.before_community", fmt::format("{} 早于本居民区的首条记录（{}）", day, since)));
  }

  auto registry = lift(tx.register_by_building(c));
  if (!registry) return std::unexpected(registry.error());
  for (const store::BuildingRegister& b : *registry) {
    ReportBuilding rb;
    rb.building_id = b.building_id;
    rb.building = b.building;
    rb.households = b.households;
    rb.residents = b.residents;
    report.buildings.push_back(std::move(rb));
    for (int i = 0; i < domain::kVulnerabilityCount; ++i)
      report.vulnerable[i] += b.by_vulnerability[i];
  }
  const auto building_at = [&](domain::BuildingId id) -> ReportBuilding* {
    const auto it =
        std::ranges::lower_bound(report.buildings, id, {}, &ReportBuilding::building_id);
    return it != report.buildings.end() && it->building_id == id ? &*it : nullptr;
  };
  std::map<domain::BuildingId, std::string> names;
  auto buildings = lift(tx.list_buildings(c));
  if (!buildings) return std::unexpected(buildings.error());
  for (const domain::Building& b : *buildings)
    names[b.id] = b.name;

  auto changes = lift(tx.status_changes_before(c, report.to));
  if (!changes) return std::unexpected(changes.error());
  std::optional<domain::ZoneStatus> previous;
  domain::BuildingId previous_building = 0;
  for (const store::StatusChange& s : *changes) {
    if (s.building_id != previous_building) previous.reset();
    previous_building = s.building_id;
    if (s.changed_at >= report.from) {
      const auto name = names.find(s.building_id);
      report.changes.push_back(
          ReportStatusChange{name == names.end() ? std::to_string(s.building_id) : name->second,
                             previous, s.status, s.changed_at, s.reason, s.rule});
    }
    previous = s.status;
    if (ReportBuilding* b = building_at(s.building_id)) b->status = s.status;
  }

  auto rounds = lift(tx.list_rounds(c));
  if (!rounds) return std::unexpected(rounds.error());
  bool whole = false;
  std::set<domain::BuildingId> covered;
  for (store::ScreeningRound& round : *rounds) {
    if (round.day != report.day) continue;
    if (round.buildings.empty()) whole = true;
    covered.insert(round.buildings.begin(), round.buildings.end());
    report.rounds.push_back(std::move(round));
  }
  if (!report.rounds.empty()) {
    // Coverage counts every round of the day (rule screening.day_counts_every_round).
    const std::int64_t round_id = report.rounds.front().id;
    auto coverage = lift(tx.round_coverage(c, round_id));
    if (!coverage) return std::unexpected(coverage.error());
    for (const store::BuildingCoverage& cov : *coverage) {
      ReportBuilding* b = building_at(cov.building_id);
      if (!b || (!whole && !covered.contains(cov.building_id))) continue;
      b->screened = true;
      b->due = cov.expected;
      b->sampled = cov.sampled;
      b->excused = cov.excused;
    }
  }
  if (!report.rounds.empty() && detail == Detail::full) {
    auto unsampled = lift(tx.unsampled_residents(c, report.rounds.front().id));
    if (!unsampled) return std::unexpected(unsampled.error());
    // A row names its building: the covered buildings by name (unique in a community).
    std::set<std::string, std::less<>> covered_names;
    for (const domain::BuildingId b : covered) {
      if (const auto name = names.find(b); name != names.end()) covered_names.insert(name->second);
    }
    for (store::ResidentRow& row : *unsampled) {
      if (whole || covered_names.contains(row.building)) report.missing.push_back(std::move(row));
    }
  }

  if (auto r = compute_cadence(tx, report, window, policy.cadence, detail); !r)
    return std::unexpected(r.error());

  auto counts = lift(tx.count_window(c, report.from, report.to));
  if (!counts) return std::unexpected(counts.error());
  report.counts = std::move(*counts);
  for (const auto& [code, n] : report.counts.gate_denials) {
    report.denials.push_back(
        ReportDenial{code, domain::gate_label_zh(code), domain::gate_label_en(code), n});
  }

  if (detail == Detail::figures) {
    compute_figures(report);
    return report;
  }
  auto positives = lift(tx.positive_swabs(c, std::nullopt));
  if (!positives) return std::unexpected(positives.error());
  for (const store::PositiveSwab& p : *positives) {
    if (p.reported_at < report.from || p.reported_at >= report.to) continue;
    auto row = lift(tx.get_resident(c, p.sample.resident_id));
    if (!row) return std::unexpected(row.error());
    if (!*row) continue;
    report.positives.push_back(
        ReportPositive{std::move(**row), p.sample.tube_code, p.kind, p.reported_at});
  }

  store::AuditQuery head{c};
  head.to = report.to;
  head.limit = 1;
  auto last = lift(tx.list_audit(head));
  if (!last) return std::unexpected(last.error());
  if (!last->empty()) report.audit_head = last->front().record;

  compute_figures(report);
  return report;
}

// A submission's figures: one line a figure, its key, a space and its value.
std::string figures_text(const DailyReport& r) {
  std::string text;
  for (const auto& [key, value] : r.figures)
    text += fmt::format("{} {}\n", key, value);
  return text;
}

// The submission of the report's day, if any, and the figures that differ from it now.
Result<void> attach_submission(store::Transaction& tx, DailyReport& r) {
  auto submission = lift(tx.get_report_submission(r.community.id, r.day));
  if (!submission) return std::unexpected(submission.error());
  r.submission = std::move(*submission);
  r.differences.clear();
  if (!r.submission) return {};
  std::map<std::string, std::int64_t, std::less<>> sent;
  std::istringstream lines(r.submission->figures);
  std::string key;
  std::int64_t value = 0;
  while (lines >> key >> value)
    sent[key] = value;
  // Submitted while the day ran, its cadence owed the days before it only; now the day is over
  // it owes that day too: a new reckoning, not a change to the records.
  const bool owed_since = r.complete && r.submission->submitted_at < r.to;
  for (const auto& [figure, now] : r.figures) {
    if (owed_since && figure.starts_with("cadence.")) continue;
    const auto it = sent.find(figure);
    // A figure added since is no difference: the submitted copy had no such line.
    if (it != sent.end() && it->second != now) r.differences.push_back({figure, it->second, now});
  }
  return {};
}

}  // namespace

Result<DailyReport> Reports::daily(domain::CommunityId c, std::string_view day) {
  const TimePoint now = m_clock();
  const auto window = day_window(day, now);
  if (!window) return std::unexpected(window.error());
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<DailyReport> {
                          auto policy = load_policy(tx, c);
                          if (!policy) return std::unexpected(policy.error());
                          auto report = compute_daily(tx, c, *window, now, policy->policy);
                          if (!report) return report;
                          if (auto r = attach_submission(tx, *report); !r)
                            return std::unexpected(r.error());
                          return report;
                        });
}

Result<ReportSeries> Reports::series(domain::CommunityId c, std::string_view from,
                                     std::string_view to) {
  const TimePoint now = m_clock();
  // Unnamed, `to` is today and `from` the first of kDefaultSeriesDays up to it.
  const std::string today = domain::format_date(local_date(now));
  if (to.empty()) to = today;
  std::string default_from;
  if (from.empty()) {
    if (const auto end = domain::parse_iso_date(to)) {
      default_from = domain::format_date(domain::Date{
          std::chrono::sys_days{*end} - std::chrono::days{kDefaultSeriesDays - 1}});
    } else {
      default_from = to;  // `to` is malformed: named below
    }
    from = default_from;
  }
  const auto named = [](Error e, std::string_view field) {
    for (FieldIssue& issue : e.fields)
      issue.field = field;
    return e;
  };
  // `to` first: it may be the only one given (`from` then defaults from it).
  const auto last = day_window(to, now);
  if (!last) return std::unexpected(named(last.error(), "to"));
  const auto first = day_window(from, now);
  if (!first) return std::unexpected(named(first.error(), "from"));
  if (first->date > last->date) {
    const std::string en = fmt::format("from ({}) is after to ({})", from, to);
    return std::unexpected(Error::invalid(
        en, {FieldIssue{"from", "range.reversed", en,
                        fmt::format("开始日期 {} 晚于结束日期 {}", from, to)}}));
  }
  const auto days = (std::chrono::sys_days{last->date} - std::chrono::sys_days{first->date}).count() + 1;
  if (days > kMaxSeriesDays) {
    const std::string en =
        fmt::format("{} days asked, at most {} at a time", days, kMaxSeriesDays);
    return std::unexpected(Error::invalid(
        en, {FieldIssue{"from", "range.too_long", en,
                        fmt::format("一次最多查询 {} 天（所选 {} 天）", kMaxSeriesDays, days)}}));
  }
  return in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<ReportSeries> {
        ReportSeries series;
        series.to = domain::format_date(last->date);
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        for (DayWindow window = *first; window.date <= last->date;) {
          auto report = compute_daily(tx, c, window, now, policy->policy, Detail::figures);
          if (report) {
            if (series.days.empty()) {
              series.community = report->community;
              series.from = report->day;
            }
            series.days.push_back(
                SeriesDay{report->day, report->complete, std::move(report->figures)});
          } else if (report.error().kind != Error::Kind::invalid) {
            // A day before the community's first record is left out; nothing else is.
            return std::unexpected(report.error());
          }
          window.date = domain::Date{std::chrono::sys_days{window.date} + std::chrono::days{1}};
          window.start = window.end;
          window.end += std::chrono::days{1};
        }
        if (series.days.empty()) {
          auto community = lift(tx.get_community(c));
          if (!community) return std::unexpected(community.error());
          if (!*community) return std::unexpected(Error::not_found("no such community"));
          series.community = **community;
          series.from = domain::format_date(first->date);
        }
        return series;
      });
}

Result<DailyReport> Reports::submit(domain::CommunityId c, std::string_view day,
                                    const domain::User& by) {
  const TimePoint now = m_clock();
  const auto window = day_window(day, now);
  if (!window) return std::unexpected(window.error());
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<DailyReport> {
    auto policy = load_policy(tx, c);
    if (!policy) return std::unexpected(policy.error());
    auto report = compute_daily(tx, c, *window, now, policy->policy);
    if (!report) return report;
    store::ReportSubmission s{c, report->day, iso_utc(now), by.id, figures_text(*report), 0, ""};
    if (report->audit_head) {
      s.audit_seq = report->audit_head->seq;
      s.audit_hash = report->audit_head->hash;
    }
    if (auto inserted = tx.insert_report_submission(s); !inserted) {
      if (inserted.error().kind == store::Error::Kind::conflict) {
        const std::string en =
            fmt::format("the report of {} was submitted already; it is final", report->day);
        return std::unexpected(
            Error{Error::Kind::conflict,
                  en,
                  {FieldIssue{"day", "report.submitted", en,
                              fmt::format("{} 的日报已上报，不能再次上报", report->day)}}});
      }
      return std::unexpected(from_store(inserted.error()));
    }
    if (auto a =
            audit(tx, c, by,
                  AuditEntry{"report.submit", "daily_report", report->day, "", s.figures, ""}, now);
        !a) {
      return std::unexpected(a.error());
    }
    report->submission = std::move(s);
    return report;
  });
}

Result<domain::CommunityId> Reports::report_community(const domain::User& viewer,
                                                      std::string_view asked) {
  if (viewer.role != domain::Role::street) {
    if (!asked.empty() && asked != std::to_string(viewer.community_id)) {
      return std::unexpected(Error::not_found("no such community"));
    }
    return viewer.community_id;
  }
  if (asked.empty()) {
    return std::unexpected(Error::invalid(
        "a street office names the community of its street",
        {FieldIssue{"community", "report.community_required",
                    "required: the community of your street", "请选择本街道的一个居民区"}}));
  }
  auto seen = communities_seen_by(m_store, viewer);
  if (!seen) return std::unexpected(seen.error());
  for (const domain::Community& c : *seen) {
    if (std::to_string(c.id) == asked) return c.id;
  }
  return std::unexpected(Error::not_found("no such community"));
}

Result<StreetOverview> Reports::street(const domain::User& viewer, std::string_view day,
                                       std::optional<domain::StreetId> only) {
  const TimePoint now = m_clock();
  const auto window = day_window(day, now);
  if (!window) return std::unexpected(window.error());
  StreetOverview overview;
  overview.day = domain::format_date(window->date);
  overview.complete = window->end <= now;
  overview.total.community.name = "合计";
  // The desk reads its own community's report, not a street's.
  if (viewer.role != domain::Role::admin && viewer.role != domain::Role::street) return overview;
  auto communities = communities_seen_by(m_store, viewer);
  if (!communities) return std::unexpected(communities.error());
  for (const domain::Community& community : *communities) {
    if (only && community.street_id != *only) continue;
    auto row = in_transaction(
        m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<StreetRow> {
          auto policy = load_policy(tx, community.id);
          if (!policy) return std::unexpected(policy.error());
          auto report =
              compute_daily(tx, community.id, *window, now, policy->policy, Detail::figures);
          if (!report) {
            // A community younger than the day has nothing to show for it yet.
            if (report.error().kind == Error::Kind::invalid) return StreetRow{community};
            return std::unexpected(report.error());
          }
          if (auto r = attach_submission(tx, *report); !r) return std::unexpected(r.error());
          const domain::RiskPolicy& rule = policy->policy.risk;
          const std::string since = iso_utc(window->end - std::chrono::days{rule.window_days});
          auto positives = lift(tx.positive_swabs(community.id, std::nullopt));
          if (!positives) return std::unexpected(positives.error());
          std::set<domain::ResidentId> positive;
          std::set<domain::ResidentId> cases;
          std::map<domain::BuildingId, std::set<domain::ResidentId>> cases_by_building;
          for (const store::PositiveSwab& p : *positives) {
            if (p.reported_at < since || p.reported_at >= report->to) continue;
            positive.insert(p.sample.resident_id);
            if (p.kind != domain::TubeKind::single) continue;
            cases.insert(p.sample.resident_id);
            cases_by_building[p.building_id].insert(p.sample.resident_id);
          }
          StreetRow r{community};
          r.residents = report->figure("register.residents");
          r.sealed = report->figure("buildings.sealed");
          r.controlled = report->figure("buildings.controlled");
          r.precaution = report->figure("buildings.precaution");
          r.unset = report->figure("buildings.unset");
          r.rounds = report->figure("screening.rounds");
          r.due = report->figure("screening.due");
          r.sampled = report->figure("screening.sampled");
          r.positives = static_cast<std::int64_t>(positive.size());
          r.cases = static_cast<std::int64_t>(cases.size());
          r.clusters = std::ranges::count_if(cases_by_building, [&](const auto& b) {
            return static_cast<int>(b.second.size()) >= rule.cluster_cases;
          });
          r.risk = domain::assess_risk(r.cases, r.clusters, rule);
          r.risk_window_days = rule.window_days;
          r.out = report->figure("exits.out");
          r.overdue = report->figure("exits.overdue");
          r.paperwork_overdue = report->figure("exits.paperwork_overdue");
          r.submission = std::move(report->submission);
          const TimePoint deadline = window->start + policy->policy.report.deadline;
          r.deadline = iso_utc(deadline);
          r.late = r.submission ? r.submission->submitted_at > r.deadline : now >= deadline;
          return r;
        });
    if (!row) return std::unexpected(row.error());
    StreetRow& t = overview.total;
    for (auto [sum, add] : {std::pair{&t.residents, row->residents},
                            {&t.sealed, row->sealed},
                            {&t.controlled, row->controlled},
                            {&t.precaution, row->precaution},
                            {&t.unset, row->unset},
                            {&t.rounds, row->rounds},
                            {&t.due, row->due},
                            {&t.sampled, row->sampled},
                            {&t.positives, row->positives},
                            {&t.cases, row->cases},
                            {&t.clusters, row->clusters},
                            {&t.out, row->out},
                            {&t.overdue, row->overdue},
                            {&t.paperwork_overdue, row->paperwork_overdue}}) {
      *sum += add;
    }
    if (row->submission) ++overview.submitted;
    if (row->late) ++overview.late;
    if (row->risk.level > t.risk.level) t.risk = row->risk;
    t.risk_window_days = std::max(t.risk_window_days, row->risk_window_days);
    overview.rows.push_back(std::move(*row));
  }
  return overview;
}

std::string street_overview_xlsx(const StreetOverview& o) {
  render::XlsxSheet sheet{"街道汇总",
                          {{"居民区", 16},
                           {"居民", 8},
                           {"封控楼栋", 8},
                           {"管控楼栋", 8},
                           {"防范楼栋", 8},
                           {"应检", 8},
                           {"已采样", 8},
                           {"14日阳性", 8},
                           {"14日病例", 8},
                           {"风险等级", 8},
                           {"外出未归", 8},
                           {"逾期未归", 8},
                           {"补材料逾期", 10},
                           {"日报", 18},
                           {"上报时限", 18}},
                          {}};
  const auto line = [](const StreetRow& r, std::string submitted, std::string deadline = {}) {
    std::vector<render::XlsxCell> cells{r.community.name};
    for (std::int64_t v : {r.residents, r.sealed, r.controlled, r.precaution, r.due, r.sampled,
                           r.positives, r.cases})
      cells.emplace_back(static_cast<double>(v));
    cells.emplace_back(std::string(domain::to_label_zh(r.risk.level)));
    for (std::int64_t v : {r.out, r.overdue, r.paperwork_overdue})
      cells.emplace_back(static_cast<double>(v));
    cells.emplace_back(std::move(submitted));
    cells.emplace_back(std::move(deadline));
    return cells;
  };
  for (const StreetRow& r : o.rows) {
    std::string submitted =
        r.submission ? "已上报 " + local_time_of(r.submission->submitted_at) : "未上报";
    if (r.late) submitted += r.submission ? "（逾期）" : "（已逾期）";
    sheet.rows.push_back(line(r, std::move(submitted),
                              r.deadline.empty() ? "" : local_time_of(r.deadline)));
  }
  sheet.rows.push_back(line(o.total, ""));
  return render::xlsx({sheet});
}

std::string daily_report_filename(const DailyReport& report) {
  return fmt::format("{} {} 日报", report.community.name, report.day);
}

namespace {

std::string status_zh(const std::optional<domain::ZoneStatus>& s) {
  return s ? std::string(domain::to_label_zh(*s)) : "未定";
}

std::string kind_zh(domain::TubeKind k) {
  return k == domain::TubeKind::single ? "单管" : "混管";
}

// The rows every file shows under the totals: a heading line and the facts that prove it.
// "检测频次（近 7 天，计 3 天）": the cadence's window and the days of it counted.
std::string cadence_heading(const DailyReport& r) {
  if (r.cadence_days == r.cadence_window_days)
    return fmt::format("检测频次（近 {} 天）", r.cadence_window_days);
  return fmt::format("检测频次（近 {} 天，计 {} 天）", r.cadence_window_days, r.cadence_days);
}

std::vector<std::vector<std::string>> header_lines(const DailyReport& r,
                                                   const ReportTemplate& layout) {
  std::vector<std::vector<std::string>> lines;
  lines.push_back({layout.title, r.community.name});
  lines.push_back({"日期", r.day});
  lines.push_back({"统计截至", local_time_of(r.to) + (r.complete ? "" : "（当日未结束）")});
  lines.push_back({"生成时间", local_time_of(r.generated_at)});
  lines.push_back({"审计链末条", r.audit_head
                                     ? fmt::format("#{} {}", r.audit_head->seq, r.audit_head->hash)
                                     : "（无记录）"});
  lines.push_back({"报表格式", layout.version});
  return lines;
}

}  // namespace

std::string daily_report_csv(const DailyReport& r, const ReportTemplate& layout) {
  std::ostringstream out;
  text::EncodingWriter encoder(out, text::Encoding::utf8_bom);
  text::CsvWriter csv(encoder);
  for (const auto& line : header_lines(r, layout))
    csv.write_row(std::span<const std::string>(line));
  csv.write_row({});
  csv.write_row({"分类", "项目", "数值", "指标"});
  for (const ReportRow& row : layout.rows) {
    csv.write_row({row.section, row.label, std::to_string(r.figure(row.figure)), row.figure});
  }
  csv.write_row({});
  csv.write_row({"楼栋", "状态", "户数", "居民", "应检", "已采样", "免采", "未采样"});
  for (const ReportBuilding& b : r.buildings) {
    const auto n = [&](std::int64_t v) { return b.screened ? std::to_string(v) : std::string(); };
    csv.write_row({b.building, status_zh(b.status), std::to_string(b.households),
                   std::to_string(b.residents), n(b.due), n(b.sampled), n(b.excused),
                   n(b.missing())});
  }
  if (!r.changes.empty()) {
    csv.write_row({});
    csv.write_row({"状态变更时间", "楼栋", "原状态", "新状态", "原因", "规则"});
    for (const ReportStatusChange& ch : r.changes) {
      csv.write_row({local_time_of(ch.at), ch.building, status_zh(ch.from),
                     std::string(domain::to_label_zh(ch.to)), ch.reason, ch.rule});
    }
  }
  if (!r.cadence.empty()) {
    csv.write_row({});
    csv.write_row({cadence_heading(r), "应核酸（天）", "应抗原（次）", "居民", "未达标"});
    for (const ReportCadence& c : r.cadence) {
      csv.write_row({std::string(domain::to_label_zh(c.status)), std::to_string(c.pcr_owed),
                     std::to_string(c.antigen_owed), std::to_string(c.residents),
                     std::to_string(c.behind)});
    }
  }
  if (!r.behind.empty()) {
    csv.write_row({});
    csv.write_row({"未达频次：楼栋", "房号", "姓名", "状态", "核酸（天）", "应核酸", "抗原（次）",
                   "应抗原"});
    for (const ReportBehind& b : r.behind) {
      csv.write_row({b.tests.building, b.tests.room, b.tests.name,
                     std::string(domain::to_label_zh(b.status)), std::to_string(b.tests.pcr_days),
                     std::to_string(b.pcr_owed), std::to_string(b.tests.antigen),
                     std::to_string(b.antigen_owed)});
    }
  }
  if (!r.denials.empty()) {
    csv.write_row({});
    csv.write_row({"门岗拦截原因", "代码", "次数"});
    for (const ReportDenial& d : r.denials)
      csv.write_row({std::string(d.label_zh), d.code, std::to_string(d.count)});
  }
  encoder.finish();
  return out.str();
}

std::string daily_report_xlsx(const DailyReport& r, const ReportTemplate& layout) {
  using render::XlsxCell;
  std::vector<render::XlsxSheet> sheets;
  render::XlsxSheet totals{
      "日报汇总", {{"分类", 18}, {"项目", 30}, {"数值", 12}, {"指标", 30}}, {}};
  for (const ReportRow& row : layout.rows) {
    totals.rows.push_back(
        {row.section, row.label, static_cast<double>(r.figure(row.figure)), row.figure});
  }
  totals.rows.emplace_back();
  for (const auto& line : header_lines(r, layout)) {
    std::vector<XlsxCell> cells;
    cells.emplace_back(std::monostate{});
    for (const std::string& text : line)
      cells.emplace_back(text);
    totals.rows.push_back(std::move(cells));
  }
  sheets.push_back(std::move(totals));

  render::XlsxSheet buildings{"楼栋",
                              {{"楼栋", 14},
                               {"状态", 8},
                               {"户数", 8},
                               {"居民", 8},
                               {"应检", 8},
                               {"已采样", 8},
                               {"免采", 8},
                               {"未采样", 8}},
                              {}};
  for (const ReportBuilding& b : r.buildings) {
    std::vector<XlsxCell> cells{b.building, status_zh(b.status), static_cast<double>(b.households),
                                static_cast<double>(b.residents)};
    if (b.screened) {
      for (std::int64_t v : {b.due, b.sampled, b.excused, b.missing()})
        cells.emplace_back(static_cast<double>(v));
    }
    buildings.rows.push_back(std::move(cells));
  }
  sheets.push_back(std::move(buildings));

  render::XlsxSheet missing{
      "未采样名单", {{"楼栋", 14}, {"房号", 8}, {"姓名", 12}, {"电话", 14}}, {}};
  for (const store::ResidentRow& row : r.missing)
    missing.rows.push_back({row.building, row.room, row.resident.name, row.resident.phone});
  sheets.push_back(std::move(missing));

  render::XlsxSheet positives{
      "阳性",
      {{"楼栋", 14}, {"房号", 8}, {"姓名", 12}, {"管号", 16}, {"管型", 8}, {"报告时间", 18}},
      {}};
  for (const ReportPositive& p : r.positives) {
    positives.rows.push_back({p.resident.building, p.resident.room, p.resident.resident.name,
                              p.tube_code, kind_zh(p.kind), local_time_of(p.reported_at)});
  }
  sheets.push_back(std::move(positives));

  render::XlsxSheet changes{
      "状态变更",
      {{"时间", 18}, {"楼栋", 14}, {"原状态", 8}, {"新状态", 8}, {"原因", 30}, {"规则", 28}},
      {}};
  for (const ReportStatusChange& ch : r.changes) {
    changes.rows.push_back({local_time_of(ch.at), ch.building, status_zh(ch.from),
                            std::string(domain::to_label_zh(ch.to)), ch.reason, ch.rule});
  }
  sheets.push_back(std::move(changes));

  render::XlsxSheet behind{"未达频次",
                           {{"楼栋", 14},
                            {"房号", 8},
                            {"姓名", 12},
                            {"状态", 8},
                            {"核酸（天）", 10},
                            {"应核酸", 8},
                            {"抗原（次）", 10},
                            {"应抗原", 8}},
                           {}};
  for (const ReportBehind& b : r.behind) {
    behind.rows.push_back({b.tests.building, b.tests.room, b.tests.name,
                           std::string(domain::to_label_zh(b.status)),
                           static_cast<double>(b.tests.pcr_days), static_cast<double>(b.pcr_owed),
                           static_cast<double>(b.tests.antigen),
                           static_cast<double>(b.antigen_owed)});
  }
  sheets.push_back(std::move(behind));

  render::XlsxSheet denials{"门岗拦截", {{"原因", 30}, {"代码", 24}, {"次数", 8}}, {}};
  for (const ReportDenial& d : r.denials)
    denials.rows.push_back({std::string(d.label_zh), d.code, static_cast<double>(d.count)});
  sheets.push_back(std::move(denials));
  return render::xlsx(sheets);
}

}  // namespace juwei::service
