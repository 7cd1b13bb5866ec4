// juwei import results; juwei rounds; juwei results; juwei tests; juwei marks;
// juwei home-sampling. Commands act as the operator at the machine (user id 0).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "service/audit.hpp"
#include "service/clock.hpp"
#include "service/lab_results.hpp"
#include "service/screening.hpp"

namespace juwei::cli {
namespace {

using service::Error;
using service::kOperator;

std::string yes(bool b) {
  return b ? "yes" : "";
}

std::string result_text(const std::optional<domain::TestResult>& r) {
  if (!r) return "-";
  return fmt::format("{} {}", domain::to_label_zh(*r), domain::to_code(*r));
}

void add_rounds(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("rounds", "Screening rounds (全员核酸筛查): list, create, follow");
  cmd->require_subcommand(1);
  struct Args {
    std::string day;
    std::vector<std::string> buildings;
    std::int64_t round = 0;
    bool another_that_day = false;
    std::string tube;
    std::vector<std::int64_t> residents;
    bool single = false;
    bool at_home = false;
    std::string resample_reason;
  };
  auto args = std::make_shared<Args>();

  cmd->add_subcommand("list", "List the rounds")->callback([&g] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::Screening screening(*db, service::system_clock());
    Table table({"id", "day", "of_day", "buildings", "created_at"});
    for (const auto& r : check(screening.rounds(community.id))) {
      std::string scope = r.buildings.empty() ? "all" : "";
      for (auto b : r.buildings)
        scope += (scope.empty() ? "" : ",") + std::to_string(b);
      table.add({std::to_string(r.id), r.day, std::to_string(r.number_in_day), scope,
                 local(r.created_at)});
    }
    table.print(std::cout);
  });

  auto* create = cmd->add_subcommand("create", "Open a round for a day");
  create->add_option("--day", args->day, "YYYY-MM-DD")->required();
  create->add_option("--building", args->buildings,
                     "A building's name (repeat for several; default: the whole community)");
  create->add_flag("--another", args->another_that_day,
                   "Open another round for a day that has one (rule screening.one_round_a_day)");
  create->callback([&g, args] {
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    const auto community = community_of(registry, g);
    std::vector<domain::BuildingId> ids;
    for (const auto& name : args->buildings) {
      ids.push_back(check(registry.building(community.id, name)).id);
    }
    service::Screening screening(*db, service::system_clock());
    const auto round = check(
        screening.create_round(community.id, args->day, ids, kOperator, args->another_that_day));
    std::cout << fmt::format(
        "round {} for {}, the day's round {} ({})\n", round.id, round.day, round.number_in_day,
        ids.empty() ? "the whole community" : fmt::format("{} buildings", ids.size()));
  });

  auto* sample = cmd->add_subcommand("sample", "Record swabs: a tube, then the residents in it");
  sample->add_option("ROUND", args->round, "Round id")->required();
  sample->add_option("--tube", args->tube, "The tube's code, as scanned")->required();
  sample->add_option("--resident", args->residents, "A resident's id (repeat, in swab order)")
      ->required();
  sample->add_flag("--single", args->single, "A single tube (单管); default pooled (混管)");
  sample->add_flag("--at-home", args->at_home, "Swabbed at home (上门采样)");
  sample->add_option("--resample-reason", args->resample_reason,
                     "For a resident swabbed already in this round");
  sample->callback([&g, args] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::Screening screening(*db, service::system_clock());
    for (const std::int64_t resident : args->residents) {
      const service::SampleInput in{
          args->tube, args->single ? domain::TubeKind::single : domain::TubeKind::pooled, resident,
          args->at_home, args->resample_reason};
      const auto s = check(screening.record_sample(community.id, args->round, in, kOperator));
      std::cout << fmt::format("resident {} → tube {} (sample {})\n", resident, s.tube_code, s.id);
    }
  });

  auto* coverage = cmd->add_subcommand("coverage", "Sampled / expected per building");
  coverage->add_option("ROUND", args->round, "Round id")->required();
  coverage->callback([&g, args] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::Screening screening(*db, service::system_clock());
    Table table({"building", "楼栋", "sampled", "expected", "excused", "missing"});
    std::int64_t sampled = 0, expected = 0;
    for (const auto& b : check(screening.coverage(community.id, args->round))) {
      sampled += b.sampled;
      expected += b.expected;
      table.add({std::to_string(b.building_id), b.building, std::to_string(b.sampled),
                 std::to_string(b.expected), std::to_string(b.excused),
                 std::to_string(std::max<std::int64_t>(0, b.expected - b.sampled))});
    }
    table.print(std::cout);
    std::cout << fmt::format("{} of {} sampled\n", sampled, expected);
  });

  auto* knock =
      cmd->add_subcommand("door-knock", "Residents not yet sampled, by building and floor");
  knock->add_option("ROUND", args->round, "Round id")->required();
  knock->callback([&g, args] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::Screening screening(*db, service::system_clock());
    std::size_t total = 0;
    for (const auto& b :
         check(screening.door_knock_list(community.id, args->round, domain::Role::staff))) {
      for (const auto& f : b.floors) {
        std::cout << fmt::format("{} {}层:", b.building, f.floor);
        for (const auto& row : f.residents) {
          std::cout << fmt::format(" {}({})", row.resident.name, row.room);
          ++total;
        }
        std::cout << '\n';
      }
    }
    std::cout << fmt::format("{} residents not yet sampled\n", total);
  });

  auto* positives = cmd->add_subcommand("positives", "Positives and retests of a round");
  positives->add_option("ROUND", args->round, "Round id")->required();
  positives->callback([&g, args] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::LabResults results(*db, service::system_clock());
    Table table({"resident", "tube", "kind", "reported_at", "outcome", "now"});
    for (const auto& p : check(results.round_positives(community.id, args->round))) {
      table.add(
          {std::to_string(p.swab.sample.resident_id), p.swab.sample.tube_code,
           std::string(domain::to_code(p.swab.kind)), local(p.swab.reported_at),
           fmt::format("{} {}", domain::to_label_zh(p.outcome), domain::to_code(p.outcome)),
           fmt::format("{} {}", domain::to_label_zh(p.standing), domain::to_code(p.standing))});
    }
    table.print(std::cout);
  });
}

void add_results(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("results", "Lab results kept as conflicts, for a human");
  cmd->require_subcommand(1);
  struct Args {
    bool all = false;
    std::int64_t id = 0;
    bool accept = false;
    bool reject = false;
    std::string reason;
  };
  auto args = std::make_shared<Args>();
  auto* conflicts = cmd->add_subcommand("conflicts", "Results that disagree with a stored one");
  conflicts->add_flag("--all", args->all, "Decided ones too");
  conflicts->callback([&g, args] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::LabResults results(*db, service::system_clock());
    Table table({"id", "tube", "stored", "new", "reported_at", "lab", "source", "decision"});
    for (const auto& k : check(results.conflicts(community.id, !args->all))) {
      table.add({std::to_string(k.id), k.tube_code, result_text(k.stored_result),
                 result_text(k.result), local(k.reported_at), k.lab, k.source,
                 k.resolution.empty() ? "open" : k.resolution});
    }
    table.print(std::cout);
  });
  auto* resolve = cmd->add_subcommand("resolve",
                                      "Decide a conflict: --accept the new result or "
                                      "--reject it, with a reason");
  resolve->add_option("ID", args->id, "Conflict id")->required();
  auto* accept = resolve->add_flag("--accept", args->accept, "The new result replaces the stored");
  resolve->add_flag("--reject", args->reject, "The stored result stands")->excludes(accept);
  resolve->add_option("--reason", args->reason, "Why")->required();
  resolve->callback([&g, args] {
    if (!args->accept && !args->reject) fail(Error::invalid("say --accept or --reject"));
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::LabResults results(*db, service::system_clock());
    const auto k = check(
        results.resolve_conflict(community.id, args->id, args->accept, args->reason, kOperator));
    std::cout << fmt::format("conflict {} {}: tube {} is {}\n", k.id, k.resolution, k.tube_code,
                             result_text(k.resolution == "accepted" ? k.result : k.stored_result));
  });
}

void add_tests(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("tests", "A resident's tests (核酸, 抗原)");
  cmd->require_subcommand(1);
  struct Args {
    std::int64_t resident = 0;
    std::string at;
    std::string counted_from = "sampled";
  };
  auto args = std::make_shared<Args>();
  auto* history = cmd->add_subcommand("history", "Every test, newest first, and the standing");
  history->add_option("RESIDENT", args->resident, "Resident id")->required();
  history->callback([&g, args] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::LabResults results(*db, service::system_clock());
    const auto h = check(results.history(community.id, args->resident));
    std::cout << fmt::format("standing: {} {}\n", domain::to_label_zh(h.standing),
                             domain::to_code(h.standing));
    if (h.mark) {
      std::cout << fmt::format("mark: {} {} ({})\n", domain::to_label_zh(h.mark->mark),
                               domain::to_code(h.mark->mark), h.mark->reason);
    }
    Table table({"sampled_at", "kind", "round", "tube", "home", "result", "reported_at", "lab"});
    for (const auto& t : h.tests) {
      table.add({local(t.sampled_at), std::string(domain::to_code(t.kind)),
                 t.round_id == 0 ? "" : std::to_string(t.round_id), t.tube_code, yes(t.at_home),
                 result_text(t.result), t.result ? local(t.reported_at) : "", t.lab});
    }
    table.print(std::cout);
  });
  auto* latest = cmd->add_subcommand("latest-negative",
                                     "The latest negative swab that counts (for exit passes)");
  latest->add_option("RESIDENT", args->resident, "Resident id")->required();
  latest->add_option("--at", args->at, "As of this time (default: now)");
  latest->add_option("--counted-from", args->counted_from, "sampled or reported");
  latest->callback([&g, args] {
    const auto from = domain::counted_from_code(args->counted_from);
    if (!from) fail(Error::invalid("--counted-from is sampled or reported"));
    service::TimePoint at = service::system_clock()();
    if (!args->at.empty()) {
      const auto parsed = service::parse_time(args->at);
      if (!parsed) fail(Error::invalid("--at: a time, YYYY-MM-DD HH:MM or ISO-8601"));
      at = *parsed;
    }
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::LabResults results(*db, service::system_clock());
    const auto test = check(results.latest_negative(community.id, args->resident, at, *from));
    if (!test) {
      std::cout << "none\n";
      return;
    }
    std::cout << fmt::format("tube {} sampled {} reported {}\n", test->tube_code,
                             local(test->sampled_at), local(test->reported_at));
  });
}

void add_marks(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("marks", "Residents away, exempt or sampled at home");
  cmd->require_subcommand(1);
  struct Args {
    std::int64_t resident = 0;
    std::string mark;
    std::string reason;
  };
  auto args = std::make_shared<Args>();
  cmd->add_subcommand("list", "Every mark")->callback([&g] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::Screening screening(*db, service::system_clock());
    Table table({"resident", "mark", "标记", "reason", "set_at"});
    for (const auto& m : check(screening.marks(community.id))) {
      table.add({std::to_string(m.resident_id), std::string(domain::to_code(m.mark)),
                 std::string(domain::to_label_zh(m.mark)), m.reason, local(m.set_at)});
    }
    table.print(std::cout);
  });
  auto* set = cmd->add_subcommand("set", "Mark a resident (replaces their mark)");
  set->add_option("RESIDENT", args->resident, "Resident id")->required();
  set->add_option("--mark", args->mark, "away, exempt or home")->required();
  set->add_option("--reason", args->reason, "Why")->required();
  set->callback([&g, args] {
    const auto mark = domain::screening_mark_from_code(args->mark);
    if (!mark) fail(Error::invalid("--mark is away, exempt or home"));
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::Screening screening(*db, service::system_clock());
    check(screening.set_mark(community.id, args->resident, *mark, args->reason, kOperator));
    std::cout << fmt::format("resident {} marked {}\n", args->resident, args->mark);
  });
  auto* clear = cmd->add_subcommand("clear", "Remove a resident's mark");
  clear->add_option("RESIDENT", args->resident, "Resident id")->required();
  clear->callback([&g, args] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::Screening screening(*db, service::system_clock());
    check(screening.clear_mark(community.id, args->resident, service::kOperator));
    std::cout << fmt::format("resident {} unmarked\n", args->resident);
  });
}

void add_home_sampling(CLI::App& app, Globals& g) {
  app.add_subcommand("home-sampling", "Who is to be swabbed at home (上门采样)")->callback([&g] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::LabResults results(*db, service::system_clock());
    Table table({"resident", "name", "building", "room", "reason", "since"});
    for (const auto& e : check(results.home_sampling_list(community.id))) {
      table.add({std::to_string(e.resident.resident.id), e.resident.resident.name,
                 e.resident.building, e.resident.room, e.reason, e.since});
    }
    table.print(std::cout);
  });
}

}  // namespace

void add_results_import(CLI::App& import, Globals& g) {
  auto* cmd = import.add_subcommand(
      "results", "Import a lab's results (tube_code, result, reported_at, lab) from CSV");
  struct Args {
    std::string file;
    std::string encoding;
    bool dry_run = false;
    bool skip_invalid = false;
    std::size_t show = 200;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("FILE", args->file, "CSV file; the first row names the columns")->required();
  cmd->add_option("--encoding", args->encoding, "utf-8, utf-8-bom or gbk (default: detect)");
  cmd->add_flag("--dry-run", args->dry_run, "Report what would change; change nothing");
  cmd->add_flag("--skip-invalid", args->skip_invalid, "Import the valid rows; report the others");
  cmd->add_option("--show", args->show, "Problems to print at most (default 200)");
  cmd->callback([&g, args] {
    auto db = open_db(g);
    const auto community = community_of(*db, g);
    service::ResultsOptions options;
    if (!args->encoding.empty()) options.encoding = encoding_option(args->encoding);
    options.dry_run = args->dry_run;
    options.skip_invalid = args->skip_invalid;
    const auto report = check(service::import_results(*db, service::system_clock(), community.id,
                                                      service::file_source(args->file), options));
    print_problems(report.problems, args->show);
    const std::string counts = fmt::format(
        "{} rows: {} added, {} unchanged, {} conflicts kept for review, {} unknown tubes, {} "
        "rejected",
        report.rows, report.added, report.unchanged, report.conflicts, report.unknown,
        report.rejected);
    if (report.refused) refuse_file(counts, report.rejected);
    std::cout << (args->dry_run ? "dry run, nothing changed; would import " : "imported: ")
              << counts << '\n';
    for (const auto& n : report.positives) {
      std::cout << fmt::format(
          "阳性 positive: {} tube {} ({} residents) → {}; suggest {} for building(s) {} ({})",
          n.kind == domain::TubeKind::single ? "单管" : "混管", n.tube_code, n.residents.size(),
          domain::to_code(n.follow_up.residents), domain::to_code(n.follow_up.suggest),
          fmt::join(n.buildings, ","), n.follow_up.rule);
      if (!n.building_retest_after.empty()) {
        std::cout << fmt::format("; whole-building retest after {}", n.building_retest_after);
      }
      if (n.housemates > 0) {
        std::cout << fmt::format("; {} housemates to sample at home", n.housemates);
      }
      std::cout << '\n';
    }
    if (report.conflicts > 0) {
      std::cout << "see: juwei results conflicts\n";
    }
  });
}

void add_screening_commands(CLI::App& app, Globals& g) {
  add_rounds(app, g);
  add_results(app, g);
  add_tests(app, g);
  add_marks(app, g);
  add_home_sampling(app, g);
}

}  // namespace juwei::cli
