// The daily report on one A4 page (render::report_pdf): what the page says, in Chinese, in
// Shanghai time. A printed page lies on desks: residents are named by room and a masked name,
// never by ID number.
#include <fmt/format.h>

#include <string_view>

#include "domain/id_number.hpp"
#include "render/report_pdf.hpp"
#include "service/daily_report.hpp"

namespace juwei::service {
namespace {

// "10:00": the time of day of a time on the report's day.
std::string local_clock(const std::string& iso) {
  const std::string local = local_time_of(iso);
  return local.size() == 16 ? local.substr(11) : local;
}

std::string status_label(const std::optional<domain::ZoneStatus>& s) {
  return s ? std::string(domain::to_label_zh(*s)) : "未定";
}

// The label a figure has on this report: its row's, or its own.
std::string figure_label(std::string_view key, const ReportTemplate& layout) {
  for (const ReportRow& row : layout.rows) {
    if (row.figure == key) return row.label;
  }
  const ReportFigure* figure = find_report_figure(key);
  return figure ? std::string(figure->label_zh) : std::string(key);
}

}  // namespace

std::string daily_report_pdf(const DailyReport& r, const ReportTemplate& layout) {
  render::ReportDoc doc;
  doc.title = layout.title;
  doc.subtitle = fmt::format("{}　{}", r.community.name, r.day);
  if (!r.complete)
    doc.subtitle += fmt::format("　截至 {}（当日未结束）", local_clock(r.generated_at));
  if (r.submission) {
    doc.notes.push_back(fmt::format("已于 {} 上报（审计链 #{}）",
                                    local_time_of(r.submission->submitted_at),
                                    r.submission->audit_seq));
    if (!r.differences.empty()) {
      std::string changed;
      for (const ReportDifference& d : r.differences) {
        if (!changed.empty()) changed += "；";
        changed += fmt::format("{} {} → {}", figure_label(d.figure, layout), d.submitted, d.now);
      }
      doc.notes.push_back("上报后记录有变动：" + changed);
    }
  }

  // The template's rows, a section for each run of rows under one name.
  for (const ReportRow& row : layout.rows) {
    if (doc.sections.empty() || doc.sections.back().name != row.section)
      doc.sections.push_back({row.section, {}});
    doc.sections.back().rows.push_back({row.label, std::to_string(r.figure(row.figure))});
  }

  doc.groups_title = r.complete ? "楼栋状态（日终）" : "楼栋状态（截至现在）";
  const std::optional<domain::ZoneStatus> statuses[] = {
      domain::ZoneStatus::sealed, domain::ZoneStatus::controlled, domain::ZoneStatus::precaution,
      std::nullopt};
  for (const auto& status : statuses) {
    render::ReportDoc::Group group{status_label(status), "", {}, "栋"};
    for (const ReportBuilding& b : r.buildings) {
      if (b.status == status) group.names.push_back(b.building);
    }
    group.value = fmt::format("{} 栋", group.names.size());
    doc.groups.push_back(std::move(group));
  }

  render::ReportDoc::List changes{fmt::format("当日状态变更（{} 项）", r.changes.size())};
  for (const ReportStatusChange& c : r.changes) {
    std::string text =
        fmt::format("{}：{} → {}", c.building, status_label(c.from), domain::to_label_zh(c.to));
    if (!c.reason.empty()) text += fmt::format("（{}）", c.reason);
    changes.rows.push_back({std::move(text), local_clock(c.at)});
  }
  doc.lists.push_back(std::move(changes));

  render::ReportDoc::List positives{fmt::format("当日阳性（{} 人）", r.positives.size())};
  positives.unit = "人";
  for (const ReportPositive& p : r.positives) {
    positives.rows.push_back(
        {fmt::format("{}{}室　{}　{} {}", p.resident.building, p.resident.room,
                     domain::mask_name(p.resident.resident.name),
                     p.kind == domain::TubeKind::single ? "单管" : "混管", p.tube_code),
         local_clock(p.reported_at)});
  }
  doc.lists.push_back(std::move(positives));

  std::int64_t denied = 0;
  for (const ReportDenial& d : r.denials)
    denied += d.count;
  render::ReportDoc::List denials{fmt::format("门岗拦截（{} 次）", denied)};
  denials.unit = "类";
  for (const ReportDenial& d : r.denials)
    denials.rows.push_back({std::string(d.label_zh), std::to_string(d.count)});
  doc.lists.push_back(std::move(denials));

  if (r.audit_head) {
    doc.proof_label = "审计链末条";
    doc.proof = fmt::format("#{}  {}  {}", r.audit_head->seq, local_time_of(r.audit_head->at),
                            r.audit_head->hash);
  } else {
    doc.proof_label = "审计链末条：（无记录）";
  }
  doc.signers = {"填报人", "审核人", "日期"};
  doc.footer = fmt::format("生成于 {}　报表格式 {}　本页由 Juwei 根据记录自动生成",
                           local_time_of(r.generated_at), layout.version);
  return render::report_pdf(doc);
}

}  // namespace juwei::service
