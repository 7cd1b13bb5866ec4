#include "domain/registry.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <utility>

#include "domain/name_table.hpp"

namespace juwei::domain {
namespace {

using GenderName = Name<Gender>;
constexpr std::array kGenders = {
    GenderName{Gender::male, "male", "男"},
    GenderName{Gender::female, "female", "女"},
};

using RelationName = Name<Relation>;
constexpr std::array kRelations = {
    RelationName{Relation::head, "head", "户主"},
    RelationName{Relation::spouse, "spouse", "配偶"},
    RelationName{Relation::child, "child", "子女"},
    RelationName{Relation::parent, "parent", "父母"},
    RelationName{Relation::grandchild, "grandchild", "孙子女"},
    RelationName{Relation::grandparent, "grandparent", "祖父母"},
    RelationName{Relation::sibling, "sibling", "兄弟姐妹"},
    RelationName{Relation::child_in_law, "child_in_law", "儿媳女婿"},
    RelationName{Relation::tenant, "tenant", "租户"},
    RelationName{Relation::other, "other", "其他"},
};

// Words people write instead of the label, mapped to the relation they mean.
constexpr std::array<std::pair<std::string_view, Relation>, 30> kRelationSynonyms = {{
    {"本人", Relation::head},          {"户主本人", Relation::head},
    {"妻", Relation::spouse},          {"妻子", Relation::spouse},
    {"夫", Relation::spouse},          {"丈夫", Relation::spouse},
    {"儿子", Relation::child},         {"女儿", Relation::child},
    {"子", Relation::child},           {"女", Relation::child},
    {"长子", Relation::child},         {"长女", Relation::child},
    {"次子", Relation::child},         {"次女", Relation::child},
    {"父亲", Relation::parent},        {"母亲", Relation::parent},
    {"孙子", Relation::grandchild},    {"孙女", Relation::grandchild},
    {"外孙", Relation::grandchild},    {"外孙女", Relation::grandchild},
    {"祖父", Relation::grandparent},   {"祖母", Relation::grandparent},
    {"外祖父", Relation::grandparent}, {"外祖母", Relation::grandparent},
    {"儿媳", Relation::child_in_law},  {"女婿", Relation::child_in_law},
    {"兄弟", Relation::sibling},       {"姐妹", Relation::sibling},
    {"租客", Relation::tenant},        {"房客", Relation::tenant},
}};

using VulnerabilityName = Name<Vulnerability>;
constexpr std::array kVulnerabilityNames = {
    VulnerabilityName{Vulnerability::elderly_alone, "elderly_alone", "独居老人"},
    VulnerabilityName{Vulnerability::pregnant, "pregnant", "孕妇"},
    VulnerabilityName{Vulnerability::infant, "infant", "婴幼儿"},
    VulnerabilityName{Vulnerability::chronic_medication, "chronic_medication", "慢病用药"},
    VulnerabilityName{Vulnerability::dialysis, "dialysis", "透析"},
    VulnerabilityName{Vulnerability::disabled, "disabled", "残疾"},
    VulnerabilityName{Vulnerability::bedridden, "bedridden", "卧床"},
};
constexpr std::array<std::pair<std::string_view, Vulnerability>, 8> kVulnerabilitySynonyms = {{
    {"独居", Vulnerability::elderly_alone},
    {"孤老", Vulnerability::elderly_alone},
    {"婴儿", Vulnerability::infant},
    {"慢性病", Vulnerability::chronic_medication},
    {"长期服药", Vulnerability::chronic_medication},
    {"血透", Vulnerability::dialysis},
    {"残障", Vulnerability::disabled},
    {"瘫痪", Vulnerability::bedridden},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

template <typename Table>
auto find_by_text(const Table& table, std::string_view text)
    -> std::optional<decltype(table[0].value)> {
  for (const auto& entry : table) {
    if (iequals(entry.code, text) || entry.zh == text) return entry.value;
  }
  return std::nullopt;
}

template <typename Synonyms>
auto find_synonym(const Synonyms& synonyms, std::string_view text)
    -> std::optional<decltype(synonyms[0].second)> {
  for (const auto& [word, value] : synonyms) {
    if (word == text) return value;
  }
  return std::nullopt;
}

}  // namespace

bool Resident::same_details(const Resident& other) const {
  return name == other.name && gender == other.gender && birth_date == other.birth_date &&
         id_number == other.id_number && phone == other.phone && relation == other.relation &&
         vulnerabilities == other.vulnerabilities && volunteer == other.volunteer &&
         notes == other.notes;
}

std::string_view to_code(Gender g) {
  return code_of(kGenders, g);
}
std::string_view to_code(Relation r) {
  return code_of(kRelations, r);
}
std::string_view to_code(Vulnerability v) {
  return code_of(kVulnerabilityNames, v);
}
std::string_view to_label_zh(Gender g) {
  return label_of(kGenders, g);
}
std::string_view to_label_zh(Relation r) {
  return label_of(kRelations, r);
}
std::string_view to_label_zh(Vulnerability v) {
  return label_of(kVulnerabilityNames, v);
}

std::optional<Gender> gender_from_code(std::string_view code) {
  return find_by_code(kGenders, code);
}
std::optional<Relation> relation_from_code(std::string_view code) {
  return find_by_code(kRelations, code);
}
std::optional<Vulnerability> vulnerability_from_code(std::string_view code) {
  return find_by_code(kVulnerabilityNames, code);
}

std::optional<Gender> parse_gender(std::string_view text) {
  if (auto g = find_by_text(kGenders, text)) return g;
  if (iequals(text, "m") || text == "男性") return Gender::male;
  if (iequals(text, "f") || text == "女性") return Gender::female;
  return std::nullopt;
}

std::optional<Relation> parse_relation(std::string_view text) {
  if (auto r = find_by_text(kRelations, text)) return r;
  return find_synonym(kRelationSynonyms, text);
}

std::optional<Vulnerability> parse_vulnerability(std::string_view text) {
  if (auto v = find_by_text(kVulnerabilityNames, text)) return v;
  return find_synonym(kVulnerabilitySynonyms, text);
}

std::optional<bool> parse_yes_no(std::string_view text) {
  for (std::string_view yes : {"是", "yes", "y", "true", "1", "√", "✓"}) {
    if (iequals(text, yes)) return true;
  }
  for (std::string_view no : {"否", "no", "n", "false", "0", "×"}) {
    if (iequals(text, no)) return false;
  }
  return std::nullopt;
}

std::string vulnerabilities_to_codes(Vulnerabilities v) {
  std::string out;
  for (Vulnerability each : kAllVulnerabilities) {
    if (!v.has(each)) continue;
    if (!out.empty()) out += ';';
    out += to_code(each);
  }
  return out;
}

std::string vulnerabilities_to_labels_zh(Vulnerabilities v) {
  std::string out;
  for (Vulnerability each : kAllVulnerabilities) {
    if (!v.has(each)) continue;
    if (!out.empty()) out += "；";
    out += to_label_zh(each);
  }
  return out;
}

std::string format_date(Date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

std::optional<Date> parse_iso_date(std::string_view text) {
  // Accepts YYYY-MM-DD, YYYY/MM/DD and YYYYMMDD.
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != '-' && c != '/' && c != '.') {
      return std::nullopt;
    }
  }
  if (digits.size() != 8) return std::nullopt;
  if (text.size() != 8 && text.size() != 10) return std::nullopt;
  const int y = std::stoi(digits.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(digits.substr(4, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(digits.substr(6, 2)));
  Date date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!date.ok()) return std::nullopt;
  return date;
}

int age_on(Date birth, Date on) {
  int years = static_cast<int>(on.year()) - static_cast<int>(birth.year());
  const auto birthday_this_year = std::chrono::month_day{birth.month(), birth.day()};
  if (std::chrono::month_day{on.month(), on.day()} < birthday_this_year) --years;
  return years;
}

}  // namespace juwei::domain
