// juwei community: the communities one server serves (a street office's or a district's), as
// the admin adds them: each with its street office and its first admin account, whose
// password is printed once. Acts as the operator at the machine (user id 0), audited.
#include <fmt/format.h>

#include <iostream>
#include <map>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "service/audit.hpp"
#include "service/clock.hpp"
#include "service/communities.hpp"
#include "service/registry.hpp"

namespace juwei::cli {

void add_community_commands(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "community", "The communities (居民区) this database serves: list, add with an admin");
  cmd->require_subcommand(1);
  struct Args {
    std::string name;
    std::string street;
    std::string admin;
  };
  auto args = std::make_shared<Args>();

  cmd->add_subcommand("list", "Every community, by id")->callback([&g] {
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    Table table({"id", "name", "street", "time zone"});
    for (const domain::Community& c : check(registry.communities())) {
      table.add({std::to_string(c.id), c.name, c.street_id == 0 ? "-" : std::to_string(c.street_id),
                 c.time_zone});
    }
    table.print(std::cout);
  });

  auto* add = cmd->add_subcommand("add", "Add a community and its first admin account");
  add->add_option("NAME", args->name, "The community's name (居民区)")->required();
  add->add_option("--street", args->street, "Its street office (街道); made when new");
  add->add_option("--admin", args->admin,
                  "Username of its admin account (default: admin and the community's id)");
  add->callback([&g, args] {
    auto db = open_db(g);
    const auto made =
        check(service::create_community(*db, service::system_clock(), args->name, args->street,
                                        args->admin, 0, service::kOperator));
    std::cout << fmt::format("created community '{}' (id {})\n", made.community.name,
                             made.community.id);
    std::cout << "login (shown once; change with `juwei user passwd NAME`):\n";
    std::cout << fmt::format("  {:<12} {:<10} {}\n", made.admin.username, "admin", made.password);
  });
}

}  // namespace juwei::cli
