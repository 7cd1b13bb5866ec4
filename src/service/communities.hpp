// Many communities on one server: the admin adds a community (and its street office) with its
// first admin account, whose password is shown once. Each community's records stay its own:
// every account belongs to one community and sees only it, except a street office's accounts
// (role street), which belong to their street's office unit (Community::office, made with the
// first of them) and see the street's communities.
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

// The street office's own unit, made (and its street too) when it has none: it holds the
// street's accounts and their audit trail, named after the street ("示范街道办事处").
Result<domain::Community> street_office(store::Store& store, const Clock& clock,
                                        std::string_view street);

// The street office's unit; not_found when the street has none (no account yet).
Result<domain::Community> find_street_office(store::Store& store, std::string_view street);

struct NewStreetAccount {
  domain::Street street;
  domain::User user;
  std::string password;  // generated when none was given; shown once
};

// Adds an account of the street role to the street's office (made when new): `password` empty
// generates one. Audited in the office's trail (by the operator) and, when an admin of a
// community acts (`by` of `by_community`), as "street_account.create" in theirs. A taken
// username is a conflict naming the field.
Result<NewStreetAccount> add_street_account(store::Store& store, const Clock& clock,
                                            std::string_view street, std::string_view username,
                                            std::string_view password,
                                            domain::CommunityId by_community, domain::UserId by);

// The communities an account may see listed: every one for an admin; its street's for a street
// office's account; else its own. Street offices' units are never listed.
Result<std::vector<domain::Community>> communities_seen_by(store::Store& store,
                                                           const domain::User& user);

// The streets an account may see: every one for an admin, its own for a street office's
// account, none for the others.
Result<std::vector<domain::Street>> streets_seen_by(store::Store& store, const domain::User& user);

}  // namespace juwei::service
