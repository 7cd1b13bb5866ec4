// The resident register as a CSV file: which columns exist, the headers people write for
// them (Chinese or English), and how an exported row reads. Export writes what import reads,
// so an exported file re-imports as "unchanged".
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "store/store.hpp"
#include "text/csv.hpp"

namespace juwei::service {

enum class ResidentColumn {
  building,
  room,
  name,
  gender,
  birth_date,
  id_number,
  phone,
  relation,
  vulnerabilities,
  volunteer,
  notes,
};
inline constexpr std::size_t kResidentColumnCount = 11;

inline constexpr std::array<ResidentColumn, kResidentColumnCount> kAllResidentColumns = {
    ResidentColumn::building,  ResidentColumn::room,       ResidentColumn::name,
    ResidentColumn::gender,    ResidentColumn::birth_date, ResidentColumn::id_number,
    ResidentColumn::phone,     ResidentColumn::relation,   ResidentColumn::vulnerabilities,
    ResidentColumn::volunteer, ResidentColumn::notes,
};

// The field name used in errors and the API ("id_number").
std::string_view column_code(ResidentColumn c);
// The header export writes ("身份证号").
std::string_view column_header_zh(ResidentColumn c);
// Recognizes a header cell: the Chinese header, common variants ("身份证号码", "联系电话"),
// or the English code, case-insensitive. The cell should be trimmed.
std::optional<ResidentColumn> parse_column_header(std::string_view header);

// Columns a file must have; the others are optional.
bool is_required(ResidentColumn c);

void write_resident_header(text::CsvWriter& out);
// for_excel: the ID number is written after a tab so Excel keeps it as text instead of
// rounding 18 digits to a float; import trims the tab.
void write_resident_row(text::CsvWriter& out, const store::ResidentRow& row, bool for_excel);

}  // namespace juwei::service
