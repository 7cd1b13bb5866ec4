// juwei zones: a building's status (封控区 / 管控区 / 防范区) from the command line, as the
// desk's building page sets it: every building with its status and what the timers suggest,
// one building's history, and a change with its reason and rule. Acts as the operator at the
// machine (user id 0), audited like the desk's change.
#include <fmt/format.h>

#include <iostream>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "service/audit.hpp"
#include "service/clock.hpp"
#include "service/registry.hpp"
#include "service/zones.hpp"

namespace juwei::cli {
namespace {

std::string status_text(const std::optional<domain::ZoneStatus>& s) {
  if (!s) return "-";
  return fmt::format("{} {}", domain::to_label_zh(*s), domain::to_code(*s));
}

std::string suggestion_text(const service::BuildingZone& z) {
  if (!z.suggestion || !z.suggestion->next) return "";
  const domain::ZoneSuggestion& s = *z.suggestion;
  if (s.held) return fmt::format("{} held: retests open", domain::to_code(*s.next));
  if (s.due) return fmt::format("{} due ({})", domain::to_code(*s.next), s.rule);
  return fmt::format("{} from {} ({})", domain::to_code(*s.next), local(service::iso_utc(s.due_at)),
                     s.rule);
}

}  // namespace

void add_zone_commands(CLI::App& app, Globals& g) {
  auto* cmd =
      app.add_subcommand("zones", "Building status (封控区/管控区/防范区): list, history, set");
  cmd->require_subcommand(1);
  struct Args {
    std::string building;
    std::string status;
    std::string reason;
    std::string rule = std::string(domain::kRuleManual);
  };
  auto args = std::make_shared<Args>();

  cmd->add_subcommand("list", "Every building, its status, since when and what is suggested")
      ->callback([&g] {
        auto db = open_db(g);
        const auto community = community_of(*db, g);
        service::Zones zones(*db, service::system_clock());
        Table table({"building", "status", "since", "reason", "suggested"});
        for (const service::BuildingZone& z : check(zones.overview(community.id))) {
          table.add({z.building.name,
                     status_text(z.current ? std::optional(z.current->status) : std::nullopt),
                     z.current ? local(z.current->changed_at) : "-",
                     z.current ? z.current->reason : "", suggestion_text(z)});
        }
        table.print(std::cout);
      });

  auto* history = cmd->add_subcommand("history", "A building's status changes, oldest first");
  history->add_option("BUILDING", args->building, "The building, as people write it (3, 3号楼)")
      ->required();
  history->callback([&g, args] {
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    const auto community = community_of(registry, g);
    const auto building = check(registry.building(community.id, args->building));
    service::Zones zones(*db, service::system_clock());
    Table table({"at", "status", "reason", "rule", "by"});
    for (const store::StatusChange& s : check(zones.history(community.id, building.id))) {
      table.add({local(s.changed_at), status_text(s.status), s.reason, s.rule,
                 std::to_string(s.changed_by)});
    }
    table.print(std::cout);
  });

  auto* set = cmd->add_subcommand("set", "Set a building's status, with the reason");
  set->add_option("BUILDING", args->building, "The building, as people write it (3, 3号楼)")
      ->required();
  set->add_option("STATUS", args->status, "sealed (封控), controlled (管控) or precaution (防范)")
      ->required();
  set->add_option("--reason", args->reason, "Why: kept with the change and in the audit trail")
      ->required();
  set->add_option("--rule", args->rule,
                  "zone.manual (default), or the rule of the step the timers suggest");
  set->callback([&g, args] {
    const auto status = domain::zone_status_from_code(args->status);
    if (!status) {
      fail(service::Error::invalid(
          fmt::format("STATUS: sealed, controlled or precaution (封控, 管控, 防范), not \"{}\"",
                      args->status)));
    }
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    const auto community = community_of(registry, g);
    const auto building = check(registry.building(community.id, args->building));
    service::Zones zones(*db, service::system_clock());
    const auto change = check(zones.set_status(community.id, building.id, *status,
                                               service::kOperator, args->reason, args->rule));
    std::cout << fmt::format("{}: {} from {} ({})\n", building.name, status_text(change.status),
                             local(change.changed_at), change.rule);
  });
}

}  // namespace juwei::cli
