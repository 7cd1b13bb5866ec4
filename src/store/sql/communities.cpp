// Streets and communities.
// Part of the store's aggregate code (sql_transaction.hpp), written once for every backend.
#include "store/sql/sql_transaction.hpp"

namespace juwei::store::sql {

Result<domain::StreetId> SqlTransaction::ensure_street(std::string_view name) {
  {
    auto s = prepare("communities.ensure_street", "SELECT street_id FROM streets WHERE name = ?1");
    if (!s) return std::unexpected(s.error());
    s->bind(1, name);
    auto row = s->step("find street");
    if (!row) return std::unexpected(row.error());
    if (*row) return s->integer(0);
  }
  auto s = prepare("communities.ensure_street.2",
                   "INSERT INTO streets (name) VALUES (?1) RETURNING street_id");
  if (!s) return std::unexpected(s.error());
  s->bind(1, name);
  return returned_id(*s, "insert street");
}

Result<CommunityId> SqlTransaction::insert_community(const domain::Community& c,
                                                     std::string_view created_at) {
  auto s = prepare(
      "communities.insert_community",
      "INSERT INTO communities (street_id, name, time_zone, created_at) VALUES (?1, ?2, ?3, ?4) "
      "RETURNING community_id");
  if (!s) return std::unexpected(s.error());
  if (c.street_id != 0) {
    s->bind(1, c.street_id);
  } else {
    s->bind_null(1);
  }
  s->bind(2, c.name).bind(3, c.time_zone).bind(4, created_at);
  return returned_id(*s, "insert community");
}

Result<std::vector<domain::Community>> SqlTransaction::list_communities() {
  auto s = prepare("communities.list_communities",
                   "SELECT community_id, coalesce(street_id, 0), name, time_zone FROM communities "
                   "ORDER BY community_id");
  if (!s) return std::unexpected(s.error());
  std::vector<domain::Community> out;
  while (true) {
    auto row = s->step("list communities");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(domain::Community{s->integer(0), s->integer(1), s->text(2), s->text(3)});
  }
  return out;
}

}  // namespace juwei::store::sql
