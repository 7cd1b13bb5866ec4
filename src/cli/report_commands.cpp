// juwei report: the daily report (日报) of a community for a day, computed from the records:
// the totals as a table on the terminal, or the files the street office takes (CSV, XLSX),
// in the built-in layout or a layout file of the office's own.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "service/clock.hpp"
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
  daily->add_option("--format", args->format, "table (the totals), csv or xlsx")
      ->check(CLI::IsMember({"table", "csv", "xlsx"}));
  daily->add_option("--out", args->out, "File to write (default: standard output; xlsx needs one)");
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
    if (args->format == "xlsx" && args->out.empty()) {
      fail(service::Error::invalid("an XLSX report needs --out FILE"));
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
    } else {
      std::cout << fmt::format("{} {} {}{}\n", layout.title, community.name, report.day,
                               report.complete ? "" : "（当日未结束，统计至 " + local(report.to) + "）");
      Table table({"section", "item", "value"});
      for (const service::ReportRow& row : layout.rows)
        table.add({row.section, row.label, std::to_string(report.figure(row.figure))});
      table.print(std::cout);
      std::cout << fmt::format("audit head: {}\n",
                               report.audit_head ? fmt::format("#{} {}", report.audit_head->seq,
                                                               report.audit_head->hash)
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

  cmd->add_subcommand("figures", "The figures a report layout may name, with their labels")
      ->callback([] {
        Table table({"figure", "label", "label (en)"});
        for (const service::ReportFigure& f : service::report_figures())
          table.add({std::string(f.key), std::string(f.label_zh), std::string(f.label_en)});
        table.print(std::cout);
      });
}

}  // namespace juwei::cli
