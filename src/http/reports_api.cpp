// The daily report (日报) of the user's community: JSON for the desk's screen, CSV and XLSX to
// send on (see docs/openapi.yaml). Thin: parse, call the service, map the result.
#include <fmt/format.h>

#include "http/api.hpp"
#include "http/api_support.hpp"
#include "http/json_input.hpp"
#include "service/daily_report.hpp"

namespace juwei::http {
namespace {

js::value status_json(const std::optional<domain::ZoneStatus>& s) {
  if (!s) return nullptr;
  return js::string(domain::to_code(*s));
}

js::object resident_line(const store::ResidentRow& row) {
  return js::object{{"resident_id", std::to_string(row.resident.id)},
                    {"name", row.resident.name},
                    {"building", row.building},
                    {"room", row.room}};
}

js::object report_json(const service::DailyReport& r, const service::ReportTemplate& layout) {
  js::array figures;
  for (const service::ReportFigure& f : service::report_figures()) {
    figures.push_back(js::object{{"key", f.key},
                                 {"label_zh", f.label_zh},
                                 {"label_en", f.label_en},
                                 {"value", r.figure(f.key)}});
  }
  js::array totals;
  for (const service::ReportRow& row : layout.rows) {
    totals.push_back(js::object{{"section", row.section},
                                {"label", row.label},
                                {"figure", row.figure},
                                {"value", r.figure(row.figure)}});
  }
  js::array buildings;
  for (const service::ReportBuilding& b : r.buildings) {
    js::object o{{"building_id", std::to_string(b.building_id)},
                 {"building", b.building},
                 {"status", status_json(b.status)},
                 {"households", b.households},
                 {"residents", b.residents},
                 {"screened", b.screened}};
    if (b.screened) {
      o["due"] = b.due;
      o["sampled"] = b.sampled;
      o["excused"] = b.excused;
      o["missing"] = b.missing();
    }
    buildings.push_back(std::move(o));
  }
  js::array changes;
  for (const service::ReportStatusChange& ch : r.changes) {
    changes.push_back(js::object{{"building", ch.building},
                                 {"from", status_json(ch.from)},
                                 {"to", domain::to_code(ch.to)},
                                 {"at", ch.at},
                                 {"reason", ch.reason},
                                 {"rule", ch.rule}});
  }
  js::array rounds;
  for (const store::ScreeningRound& round : r.rounds) {
    rounds.push_back(js::object{{"id", std::to_string(round.id)},
                                {"number_in_day", round.number_in_day},
                                {"whole_community", round.buildings.empty()}});
  }
  js::array missing;
  for (const store::ResidentRow& row : r.missing)
    missing.push_back(resident_line(row));
  js::array positives;
  for (const service::ReportPositive& p : r.positives) {
    js::object o = resident_line(p.resident);
    o["tube_code"] = p.tube_code;
    o["kind"] = domain::to_code(p.kind);
    o["reported_at"] = p.reported_at;
    positives.push_back(std::move(o));
  }
  js::array denials;
  for (const service::ReportDenial& d : r.denials) {
    denials.push_back(js::object{
        {"code", d.code}, {"label_zh", d.label_zh}, {"label_en", d.label_en}, {"count", d.count}});
  }
  js::array by_status;
  for (const service::ReportCadence& c : r.cadence) {
    by_status.push_back(js::object{{"status", domain::to_code(c.status)},
                                   {"pcr_owed", c.pcr_owed},
                                   {"antigen_owed", c.antigen_owed},
                                   {"residents", c.residents},
                                   {"behind", c.behind}});
  }
  js::array behind;
  for (const service::ReportBehind& b : r.behind) {
    behind.push_back(js::object{{"resident_id", std::to_string(b.tests.resident_id)},
                                {"name", b.tests.name},
                                {"building", b.tests.building},
                                {"room", b.tests.room},
                                {"status", domain::to_code(b.status)},
                                {"pcr_days", b.tests.pcr_days},
                                {"pcr_owed", b.pcr_owed},
                                {"antigen", b.tests.antigen},
                                {"antigen_owed", b.antigen_owed}});
  }
  js::value submission = nullptr;
  if (r.submission) {
    js::array differences;
    for (const service::ReportDifference& d : r.differences) {
      const service::ReportFigure* f = service::find_report_figure(d.figure);
      differences.push_back(js::object{{"figure", d.figure},
                                       {"label_zh", f ? f->label_zh : d.figure},
                                       {"label_en", f ? f->label_en : d.figure},
                                       {"submitted", d.submitted},
                                       {"now", d.now}});
    }
    submission = js::object{{"submitted_at", r.submission->submitted_at},
                            {"submitted_by", std::to_string(r.submission->submitted_by)},
                            {"audit_seq", r.submission->audit_seq},
                            {"audit_hash", r.submission->audit_hash},
                            {"differences", std::move(differences)}};
  }
  js::value head = nullptr;
  if (r.audit_head) {
    head = js::object{
        {"seq", r.audit_head->seq}, {"hash", r.audit_head->hash}, {"at", r.audit_head->at}};
  }
  return js::object{
      {"community", js::object{{"id", std::to_string(r.community.id)}, {"name", r.community.name}}},
      {"day", r.day},
      {"from", r.from},
      {"to", r.to},
      {"complete", r.complete},
      {"first_day", r.first_day.empty() ? js::value(nullptr) : js::value(r.first_day)},
      {"generated_at", r.generated_at},
      {"title", layout.title},
      {"layout_version", layout.version},
      {"totals", std::move(totals)},
      {"figures", std::move(figures)},
      {"buildings", std::move(buildings)},
      {"status_changes", std::move(changes)},
      {"rounds", std::move(rounds)},
      {"missing", std::move(missing)},
      {"positives", std::move(positives)},
      {"gate_denials", std::move(denials)},
      {"cadence", js::object{{"rule", domain::kRuleCadence},
                             {"window_days", r.cadence_window_days},
                             {"days_counted", r.cadence_days},
                             {"by_status", std::move(by_status)},
                             {"behind", std::move(behind)}}},
      {"audit_head", std::move(head)},
      {"submission", std::move(submission)}};
}

js::object street_row_json(const service::StreetRow& r) {
  js::object o{{"residents", r.residents},
               {"buildings", js::object{{"sealed", r.sealed},
                                        {"controlled", r.controlled},
                                        {"precaution", r.precaution},
                                        {"unset", r.unset}}},
               {"rounds", r.rounds},
               {"due", r.due},
               {"sampled", r.sampled},
               {"positives", r.positives},
               {"cases", r.cases},
               {"clusters", r.clusters},
               {"risk", js::object{{"level", domain::to_code(r.risk.level)},
                                   {"label_zh", domain::to_label_zh(r.risk.level)},
                                   {"rule", r.risk.rule},
                                   {"window_days", r.risk_window_days}}},
               {"out", r.out},
               {"overdue", r.overdue},
               {"paperwork_overdue", r.paperwork_overdue}};
  if (r.community.id != 0) {
    o["community"] = js::object{{"id", std::to_string(r.community.id)}, {"name", r.community.name}};
    o["submitted_at"] = r.submission ? js::value(r.submission->submitted_at) : js::value(nullptr);
    o["deadline"] = r.deadline.empty() ? js::value(nullptr) : js::value(r.deadline);
    o["late"] = r.late;
  }
  return o;
}

// The day of a query; none: today, in community time.
std::string day_param(const Request& req, const service::Clock& clock) {
  std::string day = query_param(req, "day");
  return day.empty() ? domain::format_date(service::local_date(clock())) : day;
}

}  // namespace

void add_report_routes(Router& router, const ApiServices& s) {
  auto reports = std::make_shared<service::Reports>(s.store, s.clock);
  router.add("GET", "/api/v1/reports/daily", {"secretary", "staff", "street"},
             [reports, clock = s.clock](Request& req) {
               const std::string format = query_param(req, "format");
               if (!format.empty() && format != "json" && format != "csv" && format != "xlsx" &&
                   format != "pdf") {
                 return problem(400, "Bad Request", "invalid query parameters",
                                {{"format", "json, csv, xlsx or pdf"}});
               }
               const std::string day = day_param(req, clock);
               const auto community =
                   reports->report_community(user_of(req), query_param(req, "community"));
               if (!community) return from_error(community.error());
               auto report = reports->daily(*community, day);
               if (!report) return from_error(report.error());
               const service::ReportTemplate& layout = service::default_report_template();
               const std::string name = service::daily_report_filename(*report);
               const std::string fallback = fmt::format("daily-report-{}", report->day);
               if (format == "csv") {
                 return download("text/csv; charset=utf-8",
                                 service::daily_report_csv(*report, layout), name + ".csv",
                                 fallback + ".csv");
               }
               if (format == "xlsx") {
                 return download(kXlsxType, service::daily_report_xlsx(*report, layout),
                                 name + ".xlsx", fallback + ".xlsx");
               }
               if (format == "pdf") {
                 return download("application/pdf", service::daily_report_pdf(*report, layout),
                                 name + ".pdf", fallback + ".pdf");
               }
               return json(200, report_json(*report, layout));
             });
  router.add(
      "GET", "/api/v1/reports/series", {"secretary", "staff", "street"}, [reports](Request& req) {
        const auto community =
            reports->report_community(user_of(req), query_param(req, "community"));
        if (!community) return from_error(community.error());
        auto series = reports->series(*community, query_param(req, "from"), query_param(req, "to"));
        if (!series) return from_error(series.error());
        js::array keys;
        for (const service::ReportFigure& f : service::report_figures()) {
          keys.push_back(
              js::object{{"key", f.key}, {"label_zh", f.label_zh}, {"label_en", f.label_en}});
        }
        js::array days;
        for (const service::SeriesDay& d : series->days) {
          js::object figures;
          for (const auto& [key, value] : d.figures)
            figures[key] = value;
          days.push_back(js::object{
              {"day", d.day}, {"complete", d.complete}, {"figures", std::move(figures)}});
        }
        return json(
            200, js::object{{"community", js::object{{"id", std::to_string(series->community.id)},
                                                     {"name", series->community.name}}},
                            {"from", series->from},
                            {"to", series->to},
                            {"figures", std::move(keys)},
                            {"days", std::move(days)}});
      });
  router.add("POST", "/api/v1/reports/daily/submission", {"secretary"}, [reports](Request& req) {
    auto body = json_body(req, {{"day", JsonType::string, true}});
    if (!body) return body.error();
    auto report =
        reports->submit(req.principal->community_id, *string_field(*body, "day"), user_of(req));
    if (!report) return from_error(report.error());
    return json(201, report_json(*report, service::default_report_template()));
  });
  router.add("GET", "/api/v1/reports/street", {"street", "admin"},
             [reports, clock = s.clock](Request& req) {
               const std::string day = day_param(req, clock);
               const std::string format = query_param(req, "format");
               if (!format.empty() && format != "json" && format != "xlsx") {
                 return problem(400, "Bad Request", "invalid query parameters",
                                {{"format", "json or xlsx"}});
               }
               auto overview = reports->street(user_of(req), day);
               if (!overview) return from_error(overview.error());
               if (format == "xlsx") {
                 return download(kXlsxType, service::street_overview_xlsx(*overview),
                                 fmt::format("街道汇总 {}.xlsx", overview->day),
                                 fmt::format("street-{}.xlsx", overview->day));
               }
               js::array rows;
               for (const service::StreetRow& r : overview->rows)
                 rows.push_back(street_row_json(r));
               return json(200, js::object{{"day", overview->day},
                                           {"complete", overview->complete},
                                           {"communities", std::move(rows)},
                                           {"submitted", overview->submitted},
                                           {"late", overview->late},
                                           {"total", street_row_json(overview->total)}});
             });
}

}  // namespace juwei::http
