#include "render/xlsx.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace juwei::render {
namespace {

// libxlsxwriter 1.1 writes to a file only: a fresh one in the temporary folder, removed on
// every path.
class TempFile {
 public:
  TempFile() {
    std::string path = (std::filesystem::temp_directory_path() / "juwei-xlsx-XXXXXX").string();
    const int fd = mkstemp(path.data());
    if (fd < 0) throw std::runtime_error("xlsx: cannot create a temporary file");
    close(fd);
    m_path = std::move(path);
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(m_path, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

struct WorkbookCloser {
  void operator()(lxw_workbook* w) const {
    if (w != nullptr) workbook_close(w);  // frees it, whether or not the file was written
  }
};
using Workbook = std::unique_ptr<lxw_workbook, WorkbookCloser>;

void check(lxw_error e, const char* what) {
  if (e != LXW_NO_ERROR)
    throw std::runtime_error(fmt::format("xlsx: {}: {}", what, lxw_strerror(e)));
}

// A tab name Excel accepts: none of []:*?/\ and at most 31 characters (not bytes).
std::string sheet_name(const std::string& name, std::size_t index) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < name.size() && chars < 31;) {
    const auto c = static_cast<unsigned char>(name[i]);
    const std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    const std::string one = name.substr(i, n);
    out += one.find_first_of("[]:*?/\\") == std::string::npos ? one : "_";
    i += n;
    ++chars;
  }
  return out.empty() ? fmt::format("Sheet{}", index + 1) : out;
}

}  // namespace

std::string xlsx(const std::vector<XlsxSheet>& sheets) {
  if (sheets.empty()) throw std::invalid_argument("xlsx: no sheets");
  TempFile file;
  {
    Workbook book(workbook_new(file.path().c_str()));
    if (!book) throw std::runtime_error("xlsx: cannot start a workbook");
    lxw_format* header = workbook_add_format(book.get());
    format_set_bold(header);
    format_set_bg_color(header, 0xEBEDF0);
    format_set_border(header, LXW_BORDER_THIN);
    lxw_format* text = workbook_add_format(book.get());
    format_set_num_format(text, "@");
    lxw_format* date = workbook_add_format(book.get());
    format_set_num_format(date, "yyyy-mm-dd");
    for (std::size_t s = 0; s < sheets.size(); ++s) {
      const XlsxSheet& sheet = sheets[s];
      lxw_worksheet* ws = workbook_add_worksheet(book.get(), sheet_name(sheet.name, s).c_str());
      if (ws == nullptr) throw std::runtime_error("xlsx: cannot add a sheet");
      for (std::size_t c = 0; c < sheet.columns.size(); ++c) {
        const auto col = static_cast<lxw_col_t>(c);
        check(worksheet_set_column(ws, col, col, sheet.columns[c].width, nullptr), "column");
        check(worksheet_write_string(ws, 0, col, sheet.columns[c].header.c_str(), header),
              "header");
      }
      for (std::size_t r = 0; r < sheet.rows.size(); ++r) {
        const auto row = static_cast<lxw_row_t>(r + 1);
        for (std::size_t c = 0; c < sheet.rows[r].size(); ++c) {
          const auto col = static_cast<lxw_col_t>(c);
          const XlsxCell& cell = sheet.rows[r][c];
          if (const auto* v = std::get_if<std::string>(&cell)) {
            if (!v->empty()) check(worksheet_write_string(ws, row, col, v->c_str(), text), "text");
          } else if (const auto* n = std::get_if<double>(&cell)) {
            check(worksheet_write_number(ws, row, col, *n, nullptr), "number");
          } else if (const auto* d = std::get_if<XlsxDate>(&cell)) {
            lxw_datetime when{
                d->year, static_cast<uint8_t>(d->month), static_cast<uint8_t>(d->day), 0, 0, 0.0};
            check(worksheet_write_datetime(ws, row, col, &when, date), "date");
          }
        }
      }
      worksheet_freeze_panes(ws, 1, 0);
      if (!sheet.columns.empty()) {
        check(worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(sheet.rows.size()),
                                   static_cast<lxw_col_t>(sheet.columns.size() - 1)),
              "filter");
      }
    }
    lxw_workbook* raw = book.release();
    check(workbook_close(raw), "write");
  }
  std::ifstream in(file.path(), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) throw std::runtime_error("xlsx: cannot read the written workbook back");
  return bytes.str();
}

}  // namespace juwei::render
