#include "service/communities.hpp"

#include <fmt/format.h>

#include "service/accounts.hpp"
#include "service/audit.hpp"
#include "service/registry.hpp"
#include "service/transaction.hpp"

namespace juwei::service {
namespace {

// A conflict naming `field` when the username is taken (empty: none asked for).
Result<void> username_free(store::Store& store, std::string_view username, std::string_view field) {
  if (username.empty()) return {};
  auto tx = store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto user = (*tx)->find_user(username);
  if (!user) return std::unexpected(from_store(user.error()));
  if (!*user) return {};
  return std::unexpected(
      Error{Error::Kind::conflict,
            "the username " + std::string(username) + " is taken",
            {{std::string(field), "user.exists", "the username is taken", "该用户名已被使用"}}});
}

// Records in the acting admin's own trail what they did elsewhere (nothing for the operator).
Result<void> audit_by_admin(store::Store& store, const Clock& clock,
                            domain::CommunityId by_community, domain::UserId by,
                            const AuditEntry& entry) {
  if (by_community == 0) return {};
  auto tx = store.begin(store::TxMode::write);
  if (!tx) return std::unexpected(from_store(tx.error()));
  if (auto a = audit(**tx, by_community, by, entry, clock()); !a) return a;
  return lift((*tx)->commit());
}

}  // namespace

Result<NewCommunity> create_community(store::Store& store, const Clock& clock,
                                      std::string_view name, std::string_view street,
                                      std::string_view admin_username,
                                      domain::CommunityId by_community, domain::UserId by) {
  if (name.empty()) {
    return std::unexpected(
        Error::invalid("a community needs a name",
                       {{"name", "name.missing", "a community needs a name", "请填写居民区名称"}}));
  }
  if (auto taken = username_free(store, admin_username, "admin_username"); !taken) {
    return std::unexpected(taken.error());
  }
  {
    auto tx = store.begin(store::TxMode::read);
    if (!tx) return std::unexpected(from_store(tx.error()));
    auto existing = (*tx)->list_communities();
    if (!existing) return std::unexpected(from_store(existing.error()));
    for (const domain::Community& c : *existing) {
      if (c.name == name) {
        return std::unexpected(
            Error{Error::Kind::conflict,
                  "a community named " + std::string(name) + " exists already",
                  {{"name", "community.exists", "the name is taken", "已有同名居民区"}}});
      }
    }
  }
  Registry registry(store, clock);
  auto made = registry.init_community(name, street, kOperator);
  if (!made) return std::unexpected(made.error());
  const domain::Community& community = made->community;
  const std::string username =
      admin_username.empty() ? "admin" + std::to_string(community.id) : std::string(admin_username);
  const std::string password = Accounts::generate_password();
  Accounts accounts(store, clock);
  auto admin =
      accounts.add_user(community.id, username, domain::Role::admin, password, 0, kOperator);
  if (!admin) return std::unexpected(admin.error());
  if (auto a = audit_by_admin(
          store, clock, by_community, by,
          {"community.create", "community", std::to_string(community.id), "", community.name, ""});
      !a) {
    return std::unexpected(a.error());
  }
  return NewCommunity{community, *admin, password};
}

Result<domain::Community> street_office(store::Store& store, const Clock& clock,
                                        std::string_view street) {
  if (street.empty()) {
    return std::unexpected(
        Error::invalid("a street office's account needs its street",
                       {{"street", "street.missing", "name the street", "请填写街道名称"}}));
  }
  const TimePoint now = clock();
  auto tx = store.begin(store::TxMode::write);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto street_id = (*tx)->ensure_street(street);
  if (!street_id) return std::unexpected(from_store(street_id.error()));
  auto existing = (*tx)->list_communities();
  if (!existing) return std::unexpected(from_store(existing.error()));
  const std::string name = std::string(street) + "办事处";
  for (const domain::Community& c : *existing) {
    if (c.office && c.street_id == *street_id) return c;
    if (c.name == name) {
      return std::unexpected(
          Error{Error::Kind::conflict,
                "a community is named " + name + ", the name of the street office's own unit",
                {{"street", "community.exists", "a community has the office's name",
                  "已有居民区使用该街道办事处的名称"}}});
    }
  }
  domain::Community office{0, *street_id, name, "Asia/Shanghai", 0, true};
  auto id = (*tx)->insert_community(office, iso_utc(now));
  if (!id) return std::unexpected(from_store(id.error()));
  office.id = *id;
  office.chain_id = *id;
  // The office's chain starts with its own creation, as a community's does.
  if (auto a = audit(**tx, office.id, kOperator,
                     {"street_office.create", "community", std::to_string(office.id), "",
                      fmt::format("{}|{}", office.name, street), ""},
                     now);
      !a) {
    return std::unexpected(a.error());
  }
  if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
  return office;
}

Result<domain::Community> find_street_office(store::Store& store, std::string_view street) {
  auto tx = store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto streets = (*tx)->list_streets();
  if (!streets) return std::unexpected(from_store(streets.error()));
  auto all = (*tx)->list_communities();
  if (!all) return std::unexpected(from_store(all.error()));
  for (const domain::Street& s : *streets) {
    if (s.name != street) continue;
    for (const domain::Community& c : *all) {
      if (c.office && c.street_id == s.id) return c;
    }
  }
  return std::unexpected(
      Error::not_found(fmt::format("the street office '{}' has no accounts yet", street)));
}

Result<NewStreetAccount> add_street_account(store::Store& store, const Clock& clock,
                                            std::string_view street, std::string_view username,
                                            std::string_view password,
                                            domain::CommunityId by_community, domain::UserId by) {
  if (auto p = domain::username_problem(username)) {
    return std::unexpected(
        Error::invalid(*p, {{"username", "user.invalid", *p,
                             "用户名需为 3–32 位小写字母、数字或 . _ -，以字母开头"}}));
  }
  if (auto taken = username_free(store, username, "username"); !taken) {
    return std::unexpected(taken.error());
  }
  auto office = street_office(store, clock, street);
  if (!office) return std::unexpected(office.error());
  const std::string chosen =
      password.empty() ? Accounts::generate_password() : std::string(password);
  Accounts accounts(store, clock);
  auto user = accounts.add_user(office->id, username, domain::Role::street, chosen, 0, kOperator);
  if (!user) return std::unexpected(user.error());
  if (auto a = audit_by_admin(store, clock, by_community, by,
                              {"street_account.create", "user", std::to_string(user->id), "",
                               fmt::format("{}|{}", street, user->username), ""});
      !a) {
    return std::unexpected(a.error());
  }
  return NewStreetAccount{
      {office->street_id, std::string(street)}, *user, password.empty() ? chosen : std::string()};
}

Result<std::vector<domain::Community>> communities_seen_by(store::Store& store,
                                                           const domain::User& user) {
  auto tx = store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto all = (*tx)->list_communities();
  if (!all) return std::unexpected(from_store(all.error()));
  // A street office's account sees its street's; an account made in a community before
  // street offices had units of their own (schema 19) sees only that community.
  domain::StreetId street = 0;
  for (const domain::Community& c : *all) {
    if (c.id == user.community_id && c.office) street = c.street_id;
  }
  std::vector<domain::Community> seen;
  for (domain::Community& c : *all) {
    if (c.office) continue;
    const bool visible = user.role == domain::Role::admin ||
                         (street != 0 ? c.street_id == street : c.id == user.community_id);
    if (visible) seen.push_back(std::move(c));
  }
  return seen;
}

Result<std::vector<domain::Street>> streets_seen_by(store::Store& store, const domain::User& user) {
  auto tx = store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto streets = (*tx)->list_streets();
  if (!streets) return std::unexpected(from_store(streets.error()));
  if (user.role == domain::Role::admin) return std::move(*streets);
  auto own = (*tx)->get_community(user.community_id);
  if (!own) return std::unexpected(from_store(own.error()));
  std::vector<domain::Street> seen;
  if (user.role != domain::Role::street || !*own || !(*own)->office) return seen;
  for (domain::Street& s : *streets) {
    if (s.id == (*own)->street_id) seen.push_back(std::move(s));
  }
  return seen;
}

}  // namespace juwei::service
