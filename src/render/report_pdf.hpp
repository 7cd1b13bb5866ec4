// A report on one A4 page to print, sign and send (the daily report, 日报): a title, figures in
// sections set in columns, a few groups of names, short lists, a proof line, a signature line
// and a footer. Whatever the lengths, it is one page: the figures take more columns and a
// smaller size as they grow, and groups and lists show what fits and say how many are left out.
// Text is laid out by Pango in Noto Serif CJK SC, the proof line in Noto Sans Mono CJK SC.
// Plain values in, bytes out; safe to call from several threads; throws std::runtime_error when
// cairo fails.
#pragma once

#include <string>
#include <vector>

namespace juwei::render {

struct ReportDoc {
  struct Row {
    std::string label;
    std::string value;  // right-aligned; may be empty
  };
  // Figures under a heading, set in columns with the other sections; a section may continue
  // in the next column, its heading repeated.
  struct Section {
    std::string name;
    std::vector<Row> rows;
  };
  // A labelled line of names ("封控", "1 栋", {"12号楼"}), joined by "、" over at most two
  // lines; names that do not fit end in "等 N <unit>", N the count of all of them.
  struct Group {
    std::string label;
    std::string value;
    std::vector<std::string> names;
    std::string unit = "项";
  };
  // A list under its title, one row a line (the label cut with "…" if too long), in as many
  // columns as its longest row allows; rows that do not fit are counted in a last line.
  struct List {
    std::string title;
    std::vector<Row> rows;
    std::string empty = "无";  // shown when there are no rows
    std::string unit = "项";
  };

  std::string title;               // "居民区疫情防控日报"
  std::string subtitle;            // "幸福里居民区　2022-04-05　截至 11:00"
  std::vector<std::string> notes;  // small lines under the subtitle
  std::vector<Section> sections;   // the figures
  std::string groups_title;        // "楼栋状态"
  std::vector<Group> groups;
  std::vector<List> lists;
  std::string proof_label;           // "审计链末条"
  std::string proof;                 // printed in a monospace font: "#128  2022-04-05 23:58  9f…"
  std::vector<std::string> signers;  // "填报人", "审核人", "日期": each a label and a line
  std::string footer;                // small grey line at the foot
};

// The report on one A4 page.
std::string report_pdf(const ReportDoc& doc);

}  // namespace juwei::render
