// The registry's value types: who lives where. A street office has communities; a community
// has buildings; a household is one flat (room) in one building; residents belong to one
// household. Plain values with no I/O; every record carries its community_id so the store can
// shard by it. Ids are assigned by the store; 0 means "not stored yet".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace juwei::domain {

using StreetId = std::int64_t;
using CommunityId = std::int64_t;
using BuildingId = std::int64_t;
using HouseholdId = std::int64_t;
using ResidentId = std::int64_t;

using Date = std::chrono::year_month_day;

enum class Gender : std::uint8_t { male, female };

// How a resident is related to the head of the household (与户主关系).
enum class Relation : std::uint8_t {
  head,
  spouse,
  child,
  parent,
  grandchild,
  grandparent,
  sibling,
  child_in_law,
  tenant,
  other,
};

// Vulnerabilities the committee must know about in a lockdown; a set of flags.
enum class Vulnerability : std::uint8_t {
  elderly_alone = 1 << 0,
  pregnant = 1 << 1,
  infant = 1 << 2,
  chronic_medication = 1 << 3,
  dialysis = 1 << 4,
  disabled = 1 << 5,
  bedridden = 1 << 6,
};
inline constexpr int kVulnerabilityCount = 7;

class Vulnerabilities {
 public:
  constexpr Vulnerabilities() = default;
  constexpr explicit Vulnerabilities(std::uint8_t bits) : m_bits(bits) {}
  constexpr bool has(Vulnerability v) const { return (m_bits & static_cast<std::uint8_t>(v)) != 0; }
  constexpr void add(Vulnerability v) { m_bits |= static_cast<std::uint8_t>(v); }
  constexpr std::uint8_t bits() const { return m_bits; }
  constexpr bool empty() const { return m_bits == 0; }
  friend constexpr bool operator==(Vulnerabilities, Vulnerabilities) = default;

 private:
  std::uint8_t m_bits = 0;
};

// A soft delete: the record stays (history, audit, restore) but leaves lists and searches.
// Creating it again (same ID number, building name or room) restores it.
struct Removal {
  std::string at;  // ISO-8601 UTC; empty while the record is live
  std::string reason;
  bool removed() const { return !at.empty(); }
  friend bool operator==(const Removal&, const Removal&) = default;
};

struct Street {
  StreetId id = 0;
  std::string name;
};

struct Community {
  CommunityId id = 0;
  StreetId street_id = 0;
  std::string name;
  std::string time_zone = "Asia/Shanghai";
  // The id its audit chain's hashes carry: its own id, or the id it had in the database where
  // its chain began, when `juwei migrate` moved it to a database where that id was taken.
  // 0 when creating a community: its own id.
  CommunityId chain_id = 0;
  // A street office's own unit: it holds the street's accounts (role street) and their audit
  // trail, and registers no residents. One per street; never listed as a community.
  bool office = false;
};

struct Building {
  CommunityId community_id = 0;
  BuildingId id = 0;
  std::string name;  // as the committee writes it: "12号楼", "12"
  int floors = 0;    // 0 when unknown
  Removal removal;
};

struct Household {
  CommunityId community_id = 0;
  HouseholdId id = 0;
  BuildingId building_id = 0;
  std::string room;  // "301", "1203"
  Removal removal;
};

struct Resident {
  CommunityId community_id = 0;
  ResidentId id = 0;
  HouseholdId household_id = 0;
  std::string name;
  Gender gender = Gender::male;
  Date birth_date{};
  std::string id_number;  // 18 characters, validated (see id_number.hpp)
  std::string phone;      // 11 digits or empty
  Relation relation = Relation::other;
  Vulnerabilities vulnerabilities;
  bool volunteer = false;
  std::string notes;
  Removal removal;

  // Fields that an import compares to decide "unchanged"; ids and household are compared
  // separately by the caller.
  bool same_details(const Resident& other) const;
};

// Stable English codes, used in the database, the API and CSV exports.
std::string_view to_code(Gender g);
std::string_view to_code(Relation r);
std::string_view to_code(Vulnerability v);
std::optional<Gender> gender_from_code(std::string_view code);
std::optional<Relation> relation_from_code(std::string_view code);
std::optional<Vulnerability> vulnerability_from_code(std::string_view code);

// Chinese labels, as the committee writes them in spreadsheets and reads them on screen.
std::string_view to_label_zh(Gender g);
std::string_view to_label_zh(Relation r);
std::string_view to_label_zh(Vulnerability v);

// Parses what a spreadsheet cell may say: a code ("spouse"), a Chinese label ("配偶") or a
// common synonym ("妻子", "丈夫"); case-insensitive for English. Empty input is no value.
std::optional<Gender> parse_gender(std::string_view text);
std::optional<Relation> parse_relation(std::string_view text);
std::optional<Vulnerability> parse_vulnerability(std::string_view text);
std::optional<bool> parse_yes_no(std::string_view text);

// All vulnerabilities in declaration order, for iteration.
inline constexpr Vulnerability kAllVulnerabilities[kVulnerabilityCount] = {
    Vulnerability::elderly_alone,      Vulnerability::pregnant, Vulnerability::infant,
    Vulnerability::chronic_medication, Vulnerability::dialysis, Vulnerability::disabled,
    Vulnerability::bedridden,
};

// "elderly_alone;pregnant" — codes joined by ';', in declaration order.
std::string vulnerabilities_to_codes(Vulnerabilities v);
// "独居老人；孕妇" — Chinese labels joined by '；'.
std::string vulnerabilities_to_labels_zh(Vulnerabilities v);

// ISO date "1949-12-31".
std::string format_date(Date d);
std::optional<Date> parse_iso_date(std::string_view text);

// Whole years between birth and on (the day before a birthday counts the old age).
int age_on(Date birth, Date on);

}  // namespace juwei::domain
