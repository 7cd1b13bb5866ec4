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
  CommunityId id = 0;
  {
    auto s = prepare(
        "communities.insert_community",
        "INSERT INTO communities (street_id, name, time_zone, created_at, chain_id, office) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING community_id");
    if (!s) return std::unexpected(s.error());
    if (c.street_id != 0) {
      s->bind(1, c.street_id);
    } else {
      s->bind_null(1);
    }
    s->bind(2, c.name).bind(3, c.time_zone).bind(4, created_at).bind(5, c.chain_id);
    s->bind(6, std::int64_t{c.office ? 1 : 0});
    auto made = returned_id(*s, "insert community");
    if (!made) return made;
    id = *made;
  }
  if (c.chain_id != 0) return id;
  // A new chain: its id is the community's own, known only once the row is in.
  auto s = prepare("communities.insert_community.chain",
                   "UPDATE communities SET chain_id = community_id WHERE community_id = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, id);
  if (auto r = s->run("set the community's chain id"); !r) return std::unexpected(r.error());
  return id;
}

constexpr const char* kCommunityColumns =
    "SELECT community_id, coalesce(street_id, 0), name, time_zone, chain_id, office "
    "FROM communities ";

domain::Community read_community(const Stmt& s) {
  return domain::Community{s.integer(0), s.integer(1), s.text(2),
                           s.text(3),    s.integer(4), s.integer(5) != 0};
}

Result<std::vector<domain::Community>> SqlTransaction::list_communities() {
  static const std::string sql = std::string(kCommunityColumns) + "ORDER BY community_id";
  auto s = prepare("communities.list_communities", sql);
  if (!s) return std::unexpected(s.error());
  return collect(*s, "list communities", read_community);
}

Result<std::vector<domain::Street>> SqlTransaction::list_streets() {
  auto s =
      prepare("communities.list_streets", "SELECT street_id, name FROM streets ORDER BY street_id");
  if (!s) return std::unexpected(s.error());
  return collect(*s, "list streets", [](const Stmt& row) {
    return domain::Street{row.integer(0), row.text(1)};
  });
}

Result<std::optional<domain::Community>> SqlTransaction::get_community(CommunityId c) {
  static const std::string sql = std::string(kCommunityColumns) + "WHERE community_id = ?1";
  auto s = prepare("communities.get_community", sql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c);
  auto row = s->step("get community");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<domain::Community>();
  return read_community(*s);
}

}  // namespace juwei::store::sql
