// Plain-text tables for the terminal, aligned by display width: CJK characters take two
// columns, so a column of Chinese names lines up with a column of digits.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace juwei::cli {

// Terminal columns a UTF-8 string occupies (East Asian wide and fullwidth count 2).
std::size_t display_width(std::string_view utf8);

class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void add(std::vector<std::string> row);
  void print(std::ostream& out) const;
  std::size_t size() const { return m_rows.size(); }

 private:
  std::vector<std::string> m_header;
  std::vector<std::vector<std::string>> m_rows;
};

}  // namespace juwei::cli
