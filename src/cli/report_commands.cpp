// juwei report: the daily report (日报) of a community for a day, computed from the records:
// the totals as a table on the terminal, or the files the street office takes (CSV, XLSX),
// in the built-in layout or a layout file of the office's own.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "service/audit.hpp"
#include "service/clock.hpp"
#include "service/communities.hpp"
#include "service/daily_report.hpp"
#include "service/files.hpp"

namespace juwei::cli {

void add_report_commands(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("report", "Reports computed from the records: the daily report");
  cmd->require_subcommand(1);
  struct Args {
    std::string day;
    std::string format = "table";
    std::string out;
    std::string layout;
  };
  auto args = std::make_shared<Args>();

  auto* daily = cmd->add_subcommand("daily", "The daily report (日报) of a day");
  daily->add_option("--day", args->day, "The day, YYYY-MM-DD (community time)")->required();
  daily->add_option("--format", args->format, "table (the totals), csv, xlsx or pdf (one A4 page)")
      ->check(CLI::IsMember({"table", "csv", "xlsx", "pdf"}));
  daily->add_option("--out", args->out,
                    "File to write (default: standard output; xlsx and pdf need one)");
  daily->add_option("--template", args->layout,
                    "A layout file of the totals (default: the built-in one; see "
                    "`juwei report figures`)");
  daily->callback([&g, args] {
    service::ReportTemplate layout = service::default_report_template();
    if (!args->layout.empty()) {
      if (!std::filesystem::is_regular_file(args->layout)) {
        fail(service::Error::invalid("no layout file " + args->layout));
      }
      layout = check(service::parse_report_template(service::read_file(args->layout)));
    }
    if ((args->format == "xlsx" || args->format == "pdf") && args->out.empty()) {
      fail(service::Error::invalid("an XLSX or PDF report needs --out FILE"));
    }
    auto db = open_db(g);
    const domain::Community community = community_of(*db, g);
    service::Reports reports(*db, service::system_clock());
    const service::DailyReport report = check(reports.daily(community.id, args->day));
    std::string bytes;
    if (args->format == "csv") {
      bytes = service::daily_report_csv(report, layout);
    } else if (args->format == "xlsx") {
      bytes = service::daily_report_xlsx(report, layout);
    } else if (args->format == "pdf") {
      bytes = service::daily_report_pdf(report, layout);
    } else {
      std::cout << fmt::format(
          "{} {} {}{}\n", layout.title, community.name, report.day,
          report.complete ? "" : "（当日未结束，统计至 " + local(report.to) + "）");
      Table table({"section", "item", "value"});
      for (const service::ReportRow& row : layout.rows)
        table.add({row.section, row.label, std::to_string(report.figure(row.figure))});
      table.print(std::cout);
      std::cout << fmt::format(
          "audit head: {}\n",
          report.audit_head ? fmt::format("#{} {}", report.audit_head->seq, report.audit_head->hash)
                            : "-");
      return;
    }
    if (args->out.empty()) {
      std::cout << bytes;
      return;
    }
    check(service::write_private_file_whole(args->out, bytes));
    std::cerr << fmt::format("wrote the daily report of {} to {}\n", report.day, args->out);
  });

  auto* submit = cmd->add_subcommand("submit", "Submit (上报) a day's report: its figures frozen");
  submit->add_option("--day", args->day, "The day, YYYY-MM-DD (community time)")->required();
  submit->callback([&g, args] {
    auto db = open_db(g);
    const domain::Community community = community_of(*db, g);
    service::Reports reports(*db, service::system_clock());
    const domain::User operator_user{community.id, service::kOperator, "operator",
                                     domain::Role::secretary};
    const service::DailyReport report =
        check(reports.submit(community.id, args->day, operator_user));
    std::cout << fmt::format("submitted the daily report of {} {} (audit head #{})\n",
                             community.name, report.day,
                             report.submission ? report.submission->audit_seq : 0);
  });

  auto street = std::make_shared<std::string>();
  auto* overview = cmd->add_subcommand("street", "A street's communities on a day, one row each");
  overview->add_option("--street", *street, "The street (default: every street)");
  overview->add_option("--day", args->day, "The day, YYYY-MM-DD (community time)")->required();
  overview->add_option("--out", args->out, "Write the street office's XLSX sheet to this file");
  overview->callback([&g, args, street] {
    auto db = open_db(g);
    service::Reports reports(*db, service::system_clock());
    const domain::User admin{0, service::kOperator, "operator", domain::Role::admin};
    std::optional<domain::StreetId> only;
    if (!street->empty()) {
      const auto streets = check(service::streets_seen_by(*db, admin));
      const auto it = std::ranges::find(streets, *street, &domain::Street::name);
      if (it == streets.end()) fail(service::Error::not_found("no street " + *street));
      only = it->id;
    }
    const service::StreetOverview o = check(reports.street(admin, args->day, only));
    if (!args->out.empty()) {
      check(service::write_private_file_whole(args->out, service::street_overview_xlsx(o)));
      std::cerr << fmt::format("wrote {} communities to {}\n", o.rows.size(), args->out);
      return;
    }
    Table table({"community", "residents", "sealed", "due", "sampled", "positives 14d", "risk",
                 "out", "overdue", "report"});
    for (const service::StreetRow& r : o.rows) {
      table.add({r.community.name, std::to_string(r.residents), std::to_string(r.sealed),
                 std::to_string(r.due), std::to_string(r.sampled), std::to_string(r.positives),
                 fmt::format("{} {}", domain::to_label_zh(r.risk.level), r.risk.rule),
                 std::to_string(r.out), std::to_string(r.overdue),
                 r.submission ? "已上报 " + local(r.submission->submitted_at) : "未上报"});
    }
    table.print(std::cout);
  });

  cmd->add_subcommand("figures", "The figures a report layout may name, with their labels")
      ->callback([] {
        Table table({"figure", "label", "label (en)"});
        for (const service::ReportFigure& f : service::report_figures())
          table.add({std::string(f.key), std::string(f.label_zh), std::string(f.label_en)});
        table.print(std::cout);
      });
}

}  // namespace juwei::cli
