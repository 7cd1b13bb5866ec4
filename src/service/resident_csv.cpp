#include "service/resident_csv.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

namespace juwei::service {
namespace {

struct ColumnNames {
  ResidentColumn column;
  std::string_view code;
  std::string_view zh;
  std::array<std::string_view, 5> aliases;  // other Chinese or English headers, "" = unused
};

constexpr std::array<ColumnNames, kResidentColumnCount> kColumns = {{
    {ResidentColumn::building, "building", "楼号", {"楼栋", "楼栋号", "楼", "栋号", ""}},
    {ResidentColumn::room, "room", "室号", {"房号", "房间号", "门牌号", "室", "户号"}},
    {ResidentColumn::name, "name", "姓名", {"名字", "居民姓名", "", "", ""}},
    {ResidentColumn::gender, "gender", "性别", {"sex", "", "", "", ""}},
    {ResidentColumn::birth_date,
     "birth_date",
     "出生日期",
     {"出生年月日", "生日", "birthdate", "date_of_birth", ""}},
    {ResidentColumn::id_number,
     "id_number",
     "身份证号",
     {"身份证号码", "公民身份号码", "证件号码", "身份证", "id"}},
    {ResidentColumn::phone, "phone", "手机号", {"手机号码", "联系电话", "电话", "手机", "mobile"}},
    {ResidentColumn::relation, "relation", "与户主关系", {"关系", "户主关系", "", "", ""}},
    {ResidentColumn::vulnerabilities,
     "vulnerabilities",
     "特殊人群",
     {"人群标签", "标签", "tags", "", ""}},
    {ResidentColumn::volunteer, "volunteer", "志愿者", {"是否志愿者", "", "", "", ""}},
    {ResidentColumn::notes, "notes", "备注", {"note", "remarks", "", "", ""}},
}};

const ColumnNames& names_of(ResidentColumn c) {
  return kColumns[static_cast<std::size_t>(c)];
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

}  // namespace

std::string_view column_code(ResidentColumn c) {
  return names_of(c).code;
}
std::string_view column_header_zh(ResidentColumn c) {
  return names_of(c).zh;
}

std::optional<ResidentColumn> parse_column_header(std::string_view header) {
  const std::string key = lower(header);
  for (const ColumnNames& names : kColumns) {
    if (key == names.code || header == names.zh) return names.column;
    for (std::string_view alias : names.aliases) {
      if (!alias.empty() && (key == alias || header == alias)) return names.column;
    }
  }
  return std::nullopt;
}

bool is_required(ResidentColumn c) {
  return c == ResidentColumn::building || c == ResidentColumn::room || c == ResidentColumn::name ||
         c == ResidentColumn::id_number;
}

void write_resident_header(text::CsvWriter& out) {
  std::array<std::string_view, kResidentColumnCount> header;
  for (std::size_t i = 0; i < kResidentColumnCount; ++i)
    header[i] = kColumns[i].zh;
  out.write_row(header);
}

void write_resident_row(text::CsvWriter& out, const store::ResidentRow& row, bool for_excel) {
  const domain::Resident& r = row.resident;
  const std::string id_number = for_excel ? "\t" + r.id_number : r.id_number;
  const std::string birth = domain::format_date(r.birth_date);
  const std::string tags = domain::vulnerabilities_to_labels_zh(r.vulnerabilities);
  const std::array<std::string_view, kResidentColumnCount> fields = {
      row.building, row.room,
      r.name,       domain::to_label_zh(r.gender),
      birth,        id_number,
      r.phone,      domain::to_label_zh(r.relation),
      tags,         r.volunteer ? "是" : "否",
      r.notes,
  };
  out.write_row(fields);
}

}  // namespace juwei::service
