// docs/openapi.yaml and the server agree: the same (method, path) pairs, and for each the same
// roles (the spec's x-roles) as the Router enforces.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "http/api.hpp"
#include "http/server.hpp"
#include "service/open_store.hpp"
#include "support/openapi_routes.hpp"

namespace juwei::http {
namespace {

TEST(ApiSpec, RoutesAndRolesMatchTheServer) {
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("juwei-spec-" + std::to_string(rd()));
  {
    auto store = service::open_store("sqlite:" + (dir / "juwei.db").string()).value();
    service::Registry registry(*store, service::system_clock());
    service::Accounts accounts(*store, service::system_clock());
    Router router;
    add_api_routes(router, {*store, service::system_clock(), accounts, registry, dir});
    ServerOptions options;
    options.port = 0;
    Server server(options, router, make_authenticator(accounts));  // adds /healthz, /metrics

    testing::RouteRoles served;
    for (const RouteInfo& r : router.routes()) {
      served[r.method + " " + r.pattern] = {r.roles.begin(), r.roles.end()};
    }
    const testing::RouteRoles documented =
        testing::openapi_routes(std::string(JUWEI_SOURCE_DIR) + "/docs/openapi.yaml");
    EXPECT_EQ(served, documented);
    EXPECT_GE(documented.size(), 7u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace juwei::http
