// The JSON API under /api/v1 (see docs/openapi.yaml and DESIGN.md "API conventions"): thin
// handlers that parse, call one service function and map its result. Every route states the
// roles it admits; the Router enforces them. The services are borrowed and must outlive the
// Router; they are thread-safe, so handlers run on any io thread.
#pragma once

#include <filesystem>

#include "http/router.hpp"
#include "service/accounts.hpp"
#include "service/clock.hpp"
#include "service/registry.hpp"

namespace juwei::http {

inline constexpr const char* kSessionCookie = "juwei_session";

// What the handlers use; borrowed, they must outlive the Router.
struct ApiServices {
  store::Store& store;
  service::Clock clock;
  service::Accounts& accounts;
  service::Registry& registry;
  std::filesystem::path data_folder;  // pass signing keys and proofs
};

void add_api_routes(Router& router, const ApiServices& services);

// Resolves a bearer token to its user through the accounts service.
Authenticator make_authenticator(service::Accounts& accounts);

}  // namespace juwei::http
