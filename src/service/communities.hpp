// Many communities on one server: the admin adds a community (and its street office) with its
// first admin account, whose password is shown once. Each community's records stay its own:
// every account belongs to one community and sees only it.
#pragma once

#include <string>
#include <string_view>

#include "domain/account.hpp"
#include "domain/registry.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

struct NewCommunity {
  domain::Community community;
  domain::User admin;    // the community's first account
  std::string password;  // generated; shown once, never stored in clear
};

// Creates the community `name` (its street office `street` too, when named and new) and its
// admin account `admin_username` (empty: "admin" followed by the community's id). A community
// of that name, or an account of that username, is a conflict naming the field; nothing is
// created then. The new community's trail starts with its creation and its admin account (by
// the operator: the one who acts is not one of its users); an admin of another community who
// acts (`by` of `by_community`; 0 for the operator at the machine) gets "community.create" in
// their own community's trail too.
Result<NewCommunity> create_community(store::Store& store, const Clock& clock,
                                      std::string_view name, std::string_view street,
                                      std::string_view admin_username,
                                      domain::CommunityId by_community, domain::UserId by);

}  // namespace juwei::service
