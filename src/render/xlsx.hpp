// XLSX workbooks for lists people open in Excel or WPS: the resident list, a building's
// households, the daily report. Each sheet has a bold header row that stays in view (frozen)
// with a filter on it, set column widths, and typed cells: text stays text (ID and phone
// numbers are never turned into numbers), numbers are numbers, dates are dates. Plain values
// in, bytes out. Safe to call from several threads; throws std::runtime_error when
// libxlsxwriter or the temporary file it writes fails.
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace juwei::render {

struct XlsxDate {
  int year = 0;
  int month = 0;
  int day = 0;
};

// Empty, text, a number, or a date (shown as 2022-04-05).
using XlsxCell = std::variant<std::monostate, std::string, double, XlsxDate>;

struct XlsxColumn {
  std::string header;  // "姓名"
  double width = 10;   // in characters of the default font; a Han character takes about 2
};

struct XlsxSheet {
  std::string name;  // the tab: at most 31 characters, none of []:*?/\ (replaced by _)
  std::vector<XlsxColumn> columns;
  std::vector<std::vector<XlsxCell>> rows;  // a row may be shorter than the columns
};

// The bytes of an .xlsx file holding the sheets, in order (at least one).
std::string xlsx(const std::vector<XlsxSheet>& sheets);

}  // namespace juwei::render
