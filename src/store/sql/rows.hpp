// What the aggregate files share: reading rows into domain records and small helpers on
// statements. Internal to store/sql.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "domain/registry.hpp"
#include "store/sql/driver.hpp"
#include "store/store.hpp"

namespace juwei::store::sql {

using domain::BuildingId;
using domain::CommunityId;
using domain::HouseholdId;
using domain::ResidentId;

inline domain::Date parse_date_or_epoch(std::string_view text) {
  return domain::parse_iso_date(text).value_or(domain::Date{});
}

// Steps through every row of `s`, reading each with `read`.
template <typename Read>
auto collect(Stmt& s, std::string_view what, Read read)
    -> Result<std::vector<std::invoke_result_t<Read, const Stmt&>>> {
  std::vector<std::invoke_result_t<Read, const Stmt&>> out;
  while (true) {
    auto row = s.step(what);
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read(s));
  }
}

// Escapes LIKE wildcards so user text matches literally (ESCAPE '\').
inline std::string like_pattern(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

inline constexpr const char* kResidentColumns =
    "r.community_id, r.resident_id, r.household_id, r.name, r.gender, r.birth_date, "
    "r.id_number, r.phone, r.relation, r.vulnerabilities, r.volunteer, r.notes, "
    "coalesce(r.deleted_at, ''), r.deleted_reason, b.name, h.room";
inline constexpr const char* kResidentJoin =
    " FROM residents r JOIN households h ON h.community_id = r.community_id AND "
    "h.household_id = r.household_id JOIN buildings b ON b.community_id = h.community_id AND "
    "b.building_id = h.building_id";

inline domain::Resident read_resident(const Stmt& s, int first = 0) {
  domain::Resident r;
  r.community_id = s.integer(first + 0);
  r.id = s.integer(first + 1);
  r.household_id = s.integer(first + 2);
  r.name = s.text(first + 3);
  r.gender = domain::gender_from_code(s.text(first + 4)).value_or(domain::Gender::male);
  r.birth_date = parse_date_or_epoch(s.text(first + 5));
  r.id_number = s.text(first + 6);
  r.phone = s.text(first + 7);
  r.relation = domain::relation_from_code(s.text(first + 8)).value_or(domain::Relation::other);
  r.vulnerabilities = domain::Vulnerabilities(static_cast<std::uint8_t>(s.integer(first + 9)));
  r.volunteer = s.integer(first + 10) != 0;
  r.notes = s.text(first + 11);
  r.removal = domain::Removal{s.text(first + 12), s.text(first + 13)};
  return r;
}

// Binds a removal as (deleted_at, deleted_reason) at i and i + 1; a live record has NULL.
inline void bind_removal(Stmt& s, int i, const domain::Removal& removal) {
  if (removal.removed()) {
    s.bind(i, removal.at);
  } else {
    s.bind_null(i);
  }
  s.bind(i + 1, removal.reason);
}

inline ResidentRow read_resident_row(const Stmt& s) {
  return ResidentRow{read_resident(s), s.text(14), s.text(15)};
}

// The id an INSERT ... RETURNING gave back.
inline Result<std::int64_t> returned_id(Stmt& s, std::string_view what) {
  auto row = s.step(what);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(Error{Error::Kind::io, std::string(what) + ": no id returned"});
  const std::int64_t id = s.integer(0);
  // Steps to the end, so the statement is complete (SQLite commits a RETURNING row's write
  // only then).
  if (auto done = s.step(what); !done) return std::unexpected(done.error());
  return id;
}

}  // namespace juwei::store::sql
