// docs/openapi.yaml and the server agree: the same (method, path) pairs, and for each the same
// roles (the spec's x-roles) as the Router enforces.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "http/api.hpp"
#include "http/server.hpp"
#include "service/open_store.hpp"

namespace juwei::http {
namespace {

using RouteRoles = std::map<std::string, std::set<std::string>>;  // "GET /path" -> roles

RouteRoles spec_routes() {
  std::ifstream in(std::string(JUWEI_SOURCE_DIR) + "/docs/openapi.yaml");
  EXPECT_TRUE(in.good());
  RouteRoles out;
  const std::regex path_line("^  (/[^:]*):$");
  const std::regex method_line("^    (get|post|put|patch|delete):$");
  const std::regex roles_line("^      x-roles: \\[(.*)\\]$");
  bool in_paths = false;
  std::string path;
  std::string current;
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (in_paths && !line.empty() && line[0] != ' ') break;
    if (!in_paths) continue;
    if (std::regex_match(line, m, path_line)) {
      path = m[1];
    } else if (std::regex_match(line, m, method_line)) {
      std::string method = m[1];
      for (char& c : method)
        c = static_cast<char>(std::toupper(c));
      current = method + " " + path;
      out[current];
    } else if (std::regex_match(line, m, roles_line) && !current.empty()) {
      std::stringstream roles(m[1]);
      std::string role;
      while (std::getline(roles, role, ',')) {
        role.erase(0, role.find_first_not_of(' '));
        if (!role.empty()) out[current].insert(role);
      }
    }
  }
  return out;
}

TEST(ApiSpec, RoutesAndRolesMatchTheServer) {
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("juwei-spec-" + std::to_string(rd()));
  {
    auto store = service::open_store("sqlite:" + (dir / "juwei.db").string()).value();
    service::Registry registry(*store, service::system_clock());
    service::Accounts accounts(*store, service::system_clock());
    Router router;
    add_api_routes(router, accounts, registry);
    ServerOptions options;
    options.port = 0;
    Server server(options, router, make_authenticator(accounts));  // adds /healthz, /metrics

    RouteRoles served;
    for (const RouteInfo& r : router.routes()) {
      served[r.method + " " + r.pattern] = {r.roles.begin(), r.roles.end()};
    }
    const RouteRoles documented = spec_routes();
    EXPECT_EQ(served, documented);
    EXPECT_GE(documented.size(), 7u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace juwei::http
