// Registry::residents_xlsx: the resident list and a building's households as a workbook
// (render::xlsx), for the desk to print, file or send on.
#include <algorithm>
#include <charconv>
#include <limits>
#include <tuple>

#include "domain/account.hpp"
#include "render/xlsx.hpp"
#include "service/registry.hpp"
#include "service/resident_csv.hpp"

namespace juwei::service {
namespace {

// The number a building's name or a room starts with ("12号楼" 12, "301" 301), so that 2 sorts
// before 12; names without one sort after those with, as text.
std::int64_t leading_number(std::string_view text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::numeric_limits<std::int64_t>::max();
  return n;
}

render::XlsxDate xlsx_date(domain::Date d) {
  return {static_cast<int>(d.year()), static_cast<int>(static_cast<unsigned>(d.month())),
          static_cast<int>(static_cast<unsigned>(d.day()))};
}

// Column widths in characters (a Han character counts about 2).
double width_of(ResidentColumn c) {
  switch (c) {
    case ResidentColumn::building:
      return 10;
    case ResidentColumn::room:
      return 8;
    case ResidentColumn::name:
      return 10;
    case ResidentColumn::gender:
      return 6;
    case ResidentColumn::birth_date:
      return 12;
    case ResidentColumn::id_number:
      return 21;
    case ResidentColumn::phone:
      return 14;
    case ResidentColumn::relation:
      return 10;
    case ResidentColumn::vulnerabilities:
      return 18;
    case ResidentColumn::volunteer:
      return 8;
    case ResidentColumn::notes:
      return 30;
  }
  return 10;
}

render::XlsxCell cell_of(ResidentColumn c, const store::ResidentRow& row) {
  const domain::Resident& r = row.resident;
  switch (c) {
    case ResidentColumn::building:
      return row.building;
    case ResidentColumn::room:
      return row.room;
    case ResidentColumn::name:
      return r.name;
    case ResidentColumn::gender:
      return std::string(domain::to_label_zh(r.gender));
    case ResidentColumn::birth_date:
      return xlsx_date(r.birth_date);
    case ResidentColumn::id_number:
      return r.id_number;
    case ResidentColumn::phone:
      return r.phone;
    case ResidentColumn::relation:
      return std::string(domain::to_label_zh(r.relation));
    case ResidentColumn::vulnerabilities:
      return domain::vulnerabilities_to_labels_zh(r.vulnerabilities);
    case ResidentColumn::volunteer:
      return std::string(r.volunteer ? "是" : "");
    case ResidentColumn::notes:
      return r.notes;
  }
  return {};
}

}  // namespace

Result<std::string> Registry::residents_xlsx(domain::Role viewer, const store::ResidentQuery& query,
                                             std::string_view sheet) {
  constexpr std::size_t kPage = 1000;
  std::vector<store::ResidentRow> rows;
  store::ResidentQuery q = query;
  q.limit = kPage;
  q.after = 0;
  for (;;) {
    auto page = search_as(viewer, q);
    if (!page) return std::unexpected(page.error());
    const bool last = page->size() < kPage;
    if (!page->empty()) q.after = page->back().resident.id;
    std::ranges::move(*page, std::back_inserter(rows));
    if (last) break;
  }
  std::ranges::stable_sort(rows, {}, [](const store::ResidentRow& r) {
    return std::tuple(leading_number(r.building), std::string_view(r.building),
                      leading_number(r.room), std::string_view(r.room), r.resident.household_id);
  });
  const domain::Date today = local_date(m_clock());
  render::XlsxSheet out{std::string(sheet), {}, {}};
  for (ResidentColumn c : kAllResidentColumns) {
    out.columns.push_back({std::string(column_header_zh(c)), width_of(c)});
    if (c == ResidentColumn::birth_date) out.columns.push_back({"年龄", 6});
  }
  out.rows.reserve(rows.size());
  for (const store::ResidentRow& row : rows) {
    std::vector<render::XlsxCell> cells;
    for (ResidentColumn c : kAllResidentColumns) {
      cells.push_back(cell_of(c, row));
      if (c == ResidentColumn::birth_date) {
        cells.emplace_back(static_cast<double>(domain::age_on(row.resident.birth_date, today)));
      }
    }
    out.rows.push_back(std::move(cells));
  }
  try {
    return render::xlsx({out});
  } catch (const std::exception& e) {
    return std::unexpected(Error::internal(e.what()));
  }
}

}  // namespace juwei::service
