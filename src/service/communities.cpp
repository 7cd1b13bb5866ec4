#include "service/communities.hpp"

#include "service/accounts.hpp"
#include "service/audit.hpp"
#include "service/registry.hpp"

namespace juwei::service {

Result<NewCommunity> create_community(store::Store& store, const Clock& clock,
                                      std::string_view name, std::string_view street,
                                      std::string_view admin_username,
                                      domain::CommunityId by_community, domain::UserId by) {
  if (name.empty()) {
    return std::unexpected(
        Error::invalid("a community needs a name",
                       {{"name", "name.missing", "a community needs a name", "请填写居民区名称"}}));
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
    if (!admin_username.empty()) {
      auto user = (*tx)->find_user(admin_username);
      if (!user) return std::unexpected(from_store(user.error()));
      if (*user) {
        return std::unexpected(Error{
            Error::Kind::conflict,
            "the username " + std::string(admin_username) + " is taken",
            {{"admin_username", "user.exists", "the username is taken", "该用户名已被使用"}}});
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
  if (by_community != 0) {
    auto tx = store.begin(store::TxMode::write);
    if (!tx) return std::unexpected(from_store(tx.error()));
    if (auto a = audit(
            **tx, by_community, by,
            {"community.create", "community", std::to_string(community.id), "", community.name, ""},
            clock());
        !a) {
      return std::unexpected(a.error());
    }
    if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
  }
  return NewCommunity{community, *admin, password};
}

}  // namespace juwei::service
