#include "domain/resident_input.hpp"

#include <array>

#include "domain/id_number.hpp"
#include "domain/place.hpp"

namespace juwei::domain {
namespace {

void add(std::vector<FieldProblem>& problems, std::string_view field, std::string_view code,
         std::string message_zh, std::string message_en) {
  problems.push_back(FieldProblem{std::string(field), std::string(field) + "." + std::string(code),
                                  std::move(message_zh), std::move(message_en)});
}

// Splits a cell like "孕妇；透析" or "pregnant, dialysis" into its parts.
std::vector<std::string_view> split_list(std::string_view text) {
  static constexpr std::array<std::string_view, 9> kSeparators = {";", "；", ",",  "，", "、",
                                                                  "|", " ",  "　", "/"};
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t matched = 0;
    for (std::string_view sep : kSeparators) {
      if (text.substr(i, sep.size()) == sep) {
        matched = sep.size();
        break;
      }
    }
    if (matched == 0) {
      ++i;
      continue;
    }
    if (i > start) parts.push_back(text.substr(start, i - start));
    i += matched;
    start = i;
  }
  if (start < text.size()) parts.push_back(text.substr(start));
  return parts;
}

}  // namespace

std::optional<NameProblem> check_name(std::string_view text, std::size_t max_bytes) {
  if (text.empty()) return NameProblem::missing;
  if (text.size() > max_bytes) return NameProblem::too_long;
  for (const unsigned char c : text) {
    if (c < 0x20 || c == 0x7F) return NameProblem::control_character;
  }
  return std::nullopt;
}

std::optional<std::string> normalize_mobile(std::string_view text) {
  std::string digits;
  std::size_t i = 0;
  if (text.starts_with("+")) i = 1;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  if (digits.size() == 15 && digits.starts_with("0086")) digits.erase(0, 4);
  if (digits.size() == 13 && digits.starts_with("86")) digits.erase(0, 2);
  if (digits.size() != 11 || digits[0] != '1' || digits[1] < '3') return std::nullopt;
  return digits;
}

std::expected<ValidResident, std::vector<FieldProblem>> validate_resident(const ResidentInput& in,
                                                                          Date today) {
  std::vector<FieldProblem> problems;
  ValidResident out;
  Resident& r = out.resident;

  if (const auto p = check_name(in.name, kMaxNameBytes); p == NameProblem::missing) {
    add(problems, "name", "missing", "缺少姓名", "name is missing");
  } else if (p == NameProblem::too_long) {
    add(problems, "name", "invalid", "姓名过长", "name is too long");
  } else if (p) {
    add(problems, "name", "invalid", "姓名含有换行或控制字符",
        "name contains a line break or a control character");
  } else {
    r.name = in.name;
  }

  std::optional<IdNumberFacts> facts;
  if (in.id_number.empty()) {
    add(problems, "id_number", "missing", "缺少身份证号", "ID number is missing");
  } else if (auto parsed = parse_id_number(in.id_number, today)) {
    facts = std::move(*parsed);
    r.id_number = facts->normalized;
    r.birth_date = facts->birth_date;
    r.gender = facts->gender;
  } else {
    const IdNumberProblem p = parsed.error();
    std::string code;
    switch (p) {
      case IdNumberProblem::wrong_length:
        code = "wrong_length";
        break;
      case IdNumberProblem::bad_characters:
        code = "bad_characters";
        break;
      case IdNumberProblem::bad_region:
        code = "bad_region";
        break;
      case IdNumberProblem::bad_birth_date:
        code = "bad_birth_date";
        break;
      case IdNumberProblem::birth_in_future:
        code = "birth_in_future";
        break;
      case IdNumberProblem::bad_check_digit:
        code = "bad_check_digit";
        break;
    }
    std::string zh(describe_zh(p));
    std::string en(describe_en(p));
    if (p == IdNumberProblem::bad_check_digit) {
      const char expected = id_check_character(in.id_number.substr(0, 17));
      zh += std::string("（应为 ") + expected + "）";
      en += std::string(" (expected ") + expected + ")";
    }
    add(problems, "id_number", code, std::move(zh), std::move(en));
  }

  if (!in.gender.empty()) {
    const auto g = parse_gender(in.gender);
    if (!g) {
      add(problems, "gender", "invalid", "性别应为“男”或“女”", "gender must be male or female");
    } else if (facts && *g != facts->gender) {
      add(problems, "gender", "mismatch", "性别与身份证号不符",
          "gender does not match the ID number");
    }
  }

  if (!in.birth_date.empty()) {
    const auto d = parse_iso_date(in.birth_date);
    if (!d) {
      add(problems, "birth_date", "invalid", "出生日期格式应为 1990-01-31",
          "birth date must look like 1990-01-31");
    } else if (facts && *d != facts->birth_date) {
      add(problems, "birth_date", "mismatch", "出生日期与身份证号不符",
          "birth date does not match the ID number");
    }
  }

  if (!in.phone.empty()) {
    if (auto phone = normalize_mobile(in.phone)) {
      r.phone = std::move(*phone);
    } else {
      add(problems, "phone", "invalid", "手机号应为11位大陆手机号码",
          "phone must be an 11-digit mainland mobile number");
    }
  }

  if (const auto p = check_name(in.building, kMaxPlaceBytes); p == NameProblem::missing) {
    add(problems, "building", "missing", "缺少楼号", "building is missing");
  } else if (p == NameProblem::too_long) {
    add(problems, "building", "too_long", "楼号过长", "building name is too long");
  } else if (p) {
    add(problems, "building", "invalid", "楼号含有控制字符",
        "building contains control characters");
  } else {
    out.building = normalize_building_name(in.building);
  }
  if (const auto p = check_name(in.room, kMaxPlaceBytes); p == NameProblem::missing) {
    add(problems, "room", "missing", "缺少室号", "room is missing");
  } else if (p == NameProblem::too_long) {
    add(problems, "room", "too_long", "室号过长", "room is too long");
  } else if (p) {
    add(problems, "room", "invalid", "室号含有控制字符", "room contains control characters");
  } else {
    out.room = in.room;
  }

  if (in.relation.empty()) {
    r.relation = Relation::other;
  } else if (auto rel = parse_relation(in.relation)) {
    r.relation = *rel;
  } else {
    add(problems, "relation", "invalid",
        "与户主关系无法识别（可填：户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、儿媳女婿、租户"
        "、其他）",
        "relation is not one of head, spouse, child, parent, grandchild, grandparent, sibling, "
        "child_in_law, tenant, other");
  }

  for (std::string_view part : split_list(in.vulnerabilities)) {
    if (auto v = parse_vulnerability(part)) {
      r.vulnerabilities.add(*v);
    } else {
      add(problems, "vulnerabilities", "invalid",
          "无法识别的特殊人群标签“" + std::string(part) +
              "”（可填：独居老人、孕妇、婴幼儿、慢病用药、透析、残疾、卧床）",
          "unknown vulnerability \"" + std::string(part) +
              "\" (use elderly_alone, pregnant, infant, chronic_medication, dialysis, disabled, "
              "bedridden)");
    }
  }

  if (!in.volunteer.empty()) {
    if (auto yes = parse_yes_no(in.volunteer)) {
      r.volunteer = *yes;
    } else {
      add(problems, "volunteer", "invalid", "志愿者一栏应为“是”或“否”",
          "volunteer must be yes or no");
    }
  }

  if (in.notes.size() > kMaxNotesBytes) {
    add(problems, "notes", "too_long", "备注过长（最多约600字）", "notes are too long");
  } else {
    r.notes = in.notes;
  }

  if (!problems.empty()) return std::unexpected(std::move(problems));
  return out;
}

}  // namespace juwei::domain
