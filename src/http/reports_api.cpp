// The daily report (日报) of the user's community: JSON for the desk's screen, CSV and XLSX to
// send on (see docs/openapi.yaml). Thin: parse, call the service, map the result.
#include <fmt/format.h>

#include "http/api.hpp"
#include "http/api_support.hpp"
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
  js::value head = nullptr;
  if (r.audit_head) {
    head = js::object{
        {"seq", r.audit_head->seq}, {"hash", r.audit_head->hash}, {"at", r.audit_head->at}};
  }
  return js::object{{"community", js::object{{"id", std::to_string(r.community.id)},
                                             {"name", r.community.name}}},
                    {"day", r.day},
                    {"from", r.from},
                    {"to", r.to},
                    {"complete", r.complete},
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
                    {"audit_head", std::move(head)}};
}

}  // namespace

void add_report_routes(Router& router, const ApiServices& s) {
  auto reports = std::make_shared<service::Reports>(s.store, s.clock);
  router.add("GET", "/api/v1/reports/daily", kDesk, [reports](Request& req) {
    const std::string format = query_param(req, "format");
    if (!format.empty() && format != "json" && format != "csv" && format != "xlsx") {
      return problem(400, "Bad Request", "invalid query parameters",
                     {{"format", "json, csv or xlsx"}});
    }
    const std::string day = query_param(req, "day");
    if (day.empty()) {
      return problem(400, "Bad Request", "invalid query parameters",
                     {{"day", "required, as YYYY-MM-DD"}});
    }
    auto report = reports->daily(req.principal->community_id, day);
    if (!report) return from_error(report.error());
    const service::ReportTemplate& layout = service::default_report_template();
    const std::string name = service::daily_report_filename(*report);
    const std::string fallback = fmt::format("daily-report-{}", report->day);
    if (format == "csv") {
      return download("text/csv; charset=utf-8", service::daily_report_csv(*report, layout),
                      name + ".csv", fallback + ".csv");
    }
    if (format == "xlsx") {
      return download(kXlsxType, service::daily_report_xlsx(*report, layout), name + ".xlsx",
                      fallback + ".xlsx");
    }
    return json(200, report_json(*report, layout));
  });
}

}  // namespace juwei::http
