#include "cli/app.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "http/tls.hpp"
#include "service/accounts.hpp"
#include "service/audit.hpp"
#include "service/communities.hpp"
#include "service/demo_history.hpp"
#include "service/open_store.hpp"
#include "service/registry.hpp"
#include "service/resident_csv.hpp"
#include "service/resident_import.hpp"

namespace juwei::cli {
namespace {

using service::Error;
using service::kOperator;

// The generator refuses impossible sizes (more residents than 6 per household, ...).
std::unique_ptr<service::CommunityGenerator> make_generator(const service::SynthOptions& options) {
  try {
    return std::make_unique<service::CommunityGenerator>(options);
  } catch (const std::invalid_argument& e) {
    fail(Error::invalid(e.what()));
  }
}

void print_counts(std::ostream& out, const domain::Community& c, const store::RegistryCounts& n) {
  out << fmt::format("{} (id {})\n", c.name, c.id);
  out << fmt::format("  楼栋 buildings           {:>8}\n", n.buildings);
  out << fmt::format("  户数 households          {:>8}\n", n.households);
  out << fmt::format("  居民 residents           {:>8}\n", n.residents);
  out << fmt::format("  志愿者 volunteers        {:>8}\n", n.volunteers);
  for (int i = 0; i < domain::kVulnerabilityCount; ++i) {
    const domain::Vulnerability v = domain::kAllVulnerabilities[i];
    const std::string label = fmt::format("{} {}", domain::to_label_zh(v), domain::to_code(v));
    const std::size_t width = display_width(label);
    out << "  " << label << std::string(width < 28 ? 28 - width : 1, ' ')
        << fmt::format("{:>4}\n", n.by_vulnerability[i]);
  }
}

// Creates accounts with random passwords and prints each once; a taken name is skipped.
void print_new_users(service::Accounts& accounts, domain::CommunityId community,
                     std::span<const std::pair<std::string_view, domain::Role>> users) {
  bool header = false;
  for (const auto& [name, role] : users) {
    const std::string password = service::Accounts::generate_password();
    auto user = accounts.add_user(community, name, role, password, 0, kOperator);
    if (!user) {
      if (user.error().kind == Error::Kind::conflict) continue;
      fail(std::move(user.error()));
    }
    if (!header) {
      std::cout << "logins (shown once; change with `juwei user passwd NAME`):\n";
      header = true;
    }
    std::cout << fmt::format("  {:<12} {:<10} {}\n", name, domain::to_code(role), password);
  }
}

// Reads a password: from standard input (one line) or from the terminal without echo.
std::string read_password(bool from_stdin) {
  std::string password;
  if (from_stdin) {
    std::getline(std::cin, password);
  } else {
    if (!isatty(STDIN_FILENO)) {
      fail(Error::invalid("no terminal to ask for the password; pass --password-stdin"));
    }
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::cerr << "password: " << std::flush;
    std::getline(std::cin, password);
    std::string again;
    std::cerr << "\nagain: " << std::flush;
    std::getline(std::cin, again);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << '\n';
    if (again != password) fail(Error::invalid("the two passwords differ"));
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

// juwei user add|passwd|list|disable
void add_user(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("user", "Manage the accounts that log in to Juwei");
  cmd->require_subcommand(1);
  struct Args {
    std::string name;
    std::string role;
    bool password_stdin = false;
    std::int64_t resident = 0;
    std::string street;
  };
  auto args = std::make_shared<Args>();

  auto* add = cmd->add_subcommand("add", "Create an account (password from a prompt or stdin)");
  add->add_option("NAME", args->name, "Username: a-z, 0-9, . _ -")->required();
  add->add_option("--role", args->role,
                  "admin, secretary, staff, gate, volunteer, resident or street")
      ->required();
  add->add_flag("--password-stdin", args->password_stdin, "Read the password from stdin");
  add->add_option("--resident", args->resident,
                  "For --role resident: the resident's id (they see their own household)");
  add->add_option("--street", args->street,
                  "For --role street: the street office (街道) it belongs to; it sees the "
                  "street's communities");
  add->callback([&g, args] {
    const auto role = domain::role_from_code(args->role);
    if (!role) fail(Error::invalid("unknown role '" + args->role + "'"));
    if ((role == domain::Role::street) != !args->street.empty()) {
      fail(Error::invalid(role == domain::Role::street
                              ? "a street office's account names its street (--street NAME)"
                              : "only an account of the street role belongs to a street"));
    }
    auto db = open_db(g);
    if (role == domain::Role::street) {
      const auto made =
          check(service::add_street_account(*db, service::system_clock(), args->street, args->name,
                                            read_password(args->password_stdin), 0, kOperator));
      std::cout << fmt::format("created {} (street) in {}\n", made.user.username, args->street);
      return;
    }
    service::Registry registry(*db, service::system_clock());
    const domain::Community community = community_of(registry, g);
    service::Accounts accounts(*db, service::system_clock());
    const auto user =
        check(accounts.add_user(community.id, args->name, *role,
                                read_password(args->password_stdin), args->resident, kOperator));
    std::cout << fmt::format("created {} ({}) in {}\n", user.username, domain::to_code(user.role),
                             community.name);
  });

  auto* passwd = cmd->add_subcommand("passwd", "Set an account's password; ends its sessions");
  passwd->add_option("NAME", args->name, "Username")->required();
  passwd->add_flag("--password-stdin", args->password_stdin, "Read the password from stdin");
  passwd->callback([&g, args] {
    auto db = open_db(g);
    service::Accounts accounts(*db, service::system_clock());
    check(accounts.set_password(args->name, read_password(args->password_stdin), kOperator));
    std::cout << "password changed for " << args->name << '\n';
  });

  auto* disable = cmd->add_subcommand("disable", "Disable an account; ends its sessions");
  disable->add_option("NAME", args->name, "Username")->required();
  disable->callback([&g, args] {
    auto db = open_db(g);
    service::Accounts accounts(*db, service::system_clock());
    check(accounts.set_disabled(args->name, true, kOperator));
    std::cout << "disabled " << args->name << '\n';
  });

  auto* list = cmd->add_subcommand("list", "List the community's (or a street office's) accounts");
  list->add_option("--street", args->street, "The street office's accounts instead");
  list->callback([&g, args] {
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    const domain::Community community = args->street.empty()
                                            ? community_of(registry, g)
                                            : check(service::find_street_office(*db, args->street));
    service::Accounts accounts(*db, service::system_clock());
    Table table({"id", "username", "role", "角色", "state"});
    for (const auto& u : check(accounts.list(community.id))) {
      table.add({std::to_string(u.id), u.username, std::string(domain::to_code(u.role)),
                 std::string(domain::to_label_zh(u.role)), u.disabled ? "disabled" : "active"});
    }
    table.print(std::cout);
  });
}

// juwei init
void add_init(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("init", "Create the database and a community (idempotent)");
  auto street = std::make_shared<std::string>();
  cmd->add_option("--street", *street, "Street office (街道) the community belongs to");
  cmd->callback([&g, street] {
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    const std::string name =
        g.community.empty() ? std::string(service::kDefaultCommunityName) : g.community;
    const auto outcome = check(registry.init_community(name, *street, kOperator));
    std::cout << fmt::format("{} community '{}' (id {}) in {} (schema version {})\n",
                             outcome.created ? "created" : "already had", outcome.community.name,
                             outcome.community.id, g.db, db->schema_version());
    if (outcome.created) {
      service::Accounts accounts(*db, service::system_clock());
      const std::pair<std::string_view, domain::Role> admin[] = {{"admin", domain::Role::admin}};
      print_new_users(accounts, outcome.community.id, admin);
    }
  });
}

// juwei import residents FILE
void add_import(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("import", "Import data from files");
  cmd->require_subcommand(1);
  add_results_import(*cmd, g);
  auto* residents = cmd->add_subcommand(
      "residents", "Import the resident register from CSV (UTF-8, UTF-8 with BOM or GBK)");
  struct Args {
    std::string file;
    std::string encoding;
    bool dry_run = false;
    bool skip_invalid = false;
    std::string rejects;
    std::size_t show = 200;
  };
  auto args = std::make_shared<Args>();
  residents->add_option("FILE", args->file, "CSV file; the first row names the columns")
      ->required();
  residents->add_option("--encoding", args->encoding, "utf-8, utf-8-bom or gbk (default: detect)");
  residents->add_flag("--dry-run", args->dry_run, "Report what would change; change nothing");
  residents->add_flag("--skip-invalid", args->skip_invalid,
                      "Import the valid rows; write the others to the rejects file");
  residents->add_option("--rejects", args->rejects,
                        "Where --skip-invalid writes rejected rows (default: FILE.rejects.csv)");
  residents->add_option("--show", args->show, "Problems to print at most (default 200)");
  residents->callback([&g, args] {
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    const domain::Community community = community_of(registry, g);
    service::ImportOptions options;
    if (!args->encoding.empty()) options.encoding = encoding_option(args->encoding);
    options.dry_run = args->dry_run;
    options.skip_invalid = args->skip_invalid;
    options.rejects_path = args->rejects.empty() ? args->file + ".rejects.csv" : args->rejects;
    bool progress_shown = false;
    options.progress = [&progress_shown](const service::ImportProgress& p) {
      progress_shown = true;
      const double pct =
          p.bytes_total == 0 ? 0.0 : 100.0 * static_cast<double>(p.bytes_read) / p.bytes_total;
      std::cerr << fmt::format("\r{} rows read ({:.0f}%)", p.rows, pct) << std::flush;
    };
    const auto report = check(service::import_residents(*db, service::system_clock(), community.id,
                                                        args->file, options, kOperator));
    if (progress_shown) std::cerr << '\n';
    for (const auto& column : report.ignored_columns) {
      std::cerr << fmt::format("note: column '{}' is not a register field; ignored\n", column);
    }
    print_problems(report.problems, args->show);
    const std::string counts = fmt::format(
        "{} rows: {} added, {} updated, {} unchanged, {} rejected; {} buildings and {} "
        "households new (encoding {})",
        report.rows, report.added, report.updated, report.unchanged, report.rejected,
        report.buildings_added, report.households_added, text::encoding_name(report.encoding));
    if (report.refused) refuse_file(counts, report.rejected);
    if (args->dry_run) {
      std::cout << "dry run, nothing changed; would import " << counts << '\n';
      return;
    }
    std::cout << "imported into " << community.name << ": " << counts << '\n';
    if (report.rejected > 0) {
      std::cout << fmt::format("rejected rows written to {}\n", options.rejects_path.string());
    }
  });
}

// juwei export residents
void add_export(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("export", "Export data to files");
  cmd->require_subcommand(1);
  auto* residents = cmd->add_subcommand("residents", "Export the resident register as CSV");
  auto out = std::make_shared<std::string>();
  auto encoding = std::make_shared<std::string>("utf-8");
  residents->add_option("--out", *out, "File to write (default: standard output)");
  residents->add_option("--encoding", *encoding,
                        "utf-8, utf-8-bom (for Excel) or gbk (Excel on Chinese Windows)");
  residents->callback([&g, out, encoding] {
    const text::Encoding e = encoding_option(*encoding);
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    const domain::Community community = community_of(registry, g);
    std::ofstream file;
    if (!out->empty()) {
      file.open(*out, std::ios::binary | std::ios::trunc);
      if (!file) fail(Error::invalid("cannot write " + *out));
    }
    std::ostream& sink = out->empty() ? std::cout : file;
    const auto written = check(registry.export_residents(community.id, sink, e));
    if (!out->empty()) {
      file.close();
      if (!file) fail(Error::invalid("writing " + *out + " failed (disk full?)"));
      std::cerr << fmt::format("wrote {} residents to {}\n", written, *out);
    }
  });
}

// juwei residents
void add_residents(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("residents", "Find residents by name, room, phone or ID last 4");
  struct Args {
    std::string q;
    std::string building;
    std::size_t limit = 50;
    std::int64_t after = 0;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--q", args->q, "Name fragment, room (301 or 12号楼301), phone or ID last 4");
  cmd->add_option("--building", args->building, "Only this building (e.g. 12号楼)");
  cmd->add_option("--limit", args->limit, "Rows per page (default 50)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--after", args->after, "Cursor: the last id of the previous page");
  cmd->callback([&g, args] {
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    const domain::Community community = community_of(registry, g);
    store::ResidentQuery query;
    query.community_id = community.id;
    query.text = args->q;
    query.limit = args->limit;
    query.after = args->after;
    if (!args->building.empty())
      query.building = check(registry.building(community.id, args->building)).id;
    const auto rows = check(registry.search(query));
    Table table({"id", "姓名", "性别", "出生日期", "楼号", "室号", "关系", "手机号", "身份证号",
                 "特殊人群", "志愿者"});
    for (const auto& row : rows) {
      const domain::Resident& r = row.resident;
      table.add({std::to_string(r.id), r.name, std::string(domain::to_label_zh(r.gender)),
                 domain::format_date(r.birth_date), row.building, row.room,
                 std::string(domain::to_label_zh(r.relation)), r.phone, r.id_number,
                 domain::vulnerabilities_to_labels_zh(r.vulnerabilities), r.volunteer ? "是" : ""});
    }
    table.print(std::cout);
    if (rows.size() == args->limit) {
      std::cout << fmt::format("more: --after {}\n", rows.back().resident.id);
    } else {
      std::cout << fmt::format("{} found\n", rows.size());
    }
  });
}

// juwei gen
void add_gen(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "gen", "Generate synthetic communities (deterministic) into the database or a CSV file");
  struct Args {
    service::SynthOptions synth;
    int communities = 1;
    std::string csv;
    std::string encoding = "utf-8";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--seed", args->synth.seed, "Seed (default 1); same seed, same community");
  cmd->add_option("--households", args->synth.households, "Households per community (1383)");
  cmd->add_option("--residents", args->synth.residents, "Residents per community (3650)");
  cmd->add_option("--volunteers", args->synth.volunteers, "Volunteers per community (160)");
  cmd->add_option("--communities", args->communities, "How many communities (city scale)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--csv", args->csv, "Write one community to this CSV file instead");
  cmd->add_option("--encoding", args->encoding, "CSV encoding: utf-8, utf-8-bom or gbk");
  cmd->callback([&g, args] {
    if (!args->csv.empty()) {
      if (args->communities != 1)
        fail(Error::invalid("--csv writes one community; drop --communities"));
      const text::Encoding e = encoding_option(args->encoding);
      std::ofstream file(args->csv, std::ios::binary | std::ios::trunc);
      if (!file) fail(Error::invalid("cannot write " + args->csv));
      auto generator = make_generator(args->synth);
      text::EncodingWriter encoder(file, e);
      text::CsvWriter csv(encoder);
      service::write_resident_header(csv);
      std::int64_t n = 0;
      while (auto row = generator->next()) {
        service::write_resident_row(
            csv, store::ResidentRow{row->resident, row->building, row->room}, false);
        ++n;
      }
      encoder.finish();
      file.close();
      if (!file) fail(Error::invalid("writing " + args->csv + " failed (disk full?)"));
      std::cout << fmt::format("wrote {} residents in {} households to {}\n", n,
                               args->synth.households, args->csv);
      return;
    }
    auto db = open_db(g);
    service::Registry registry(*db, service::system_clock());
    for (int i = 0; i < args->communities; ++i) {
      service::SynthOptions options = args->synth;
      options.seed = args->synth.seed + static_cast<std::uint64_t>(i);
      const std::string name = !g.community.empty() && args->communities == 1
                                   ? g.community
                                   : fmt::format("合成居民区 {:05}-{}", i + 1, options.seed);
      const auto outcome = check(registry.init_community(name, "合成街道", kOperator));
      if (!outcome.created) {
        fail(Error::invalid(fmt::format(
            "community '{}' exists already; gen fills new communities only (use --seed or "
            "--community)",
            name)));
      }
      auto generator = make_generator(options);
      const auto counts =
          check(registry.add_synthetic(outcome.community.id, *generator, kOperator));
      if (args->communities <= 10) {
        print_counts(std::cout, outcome.community, counts);
      } else if ((i + 1) % 100 == 0 || i + 1 == args->communities) {
        std::cerr << fmt::format("\r{} of {} communities", i + 1, args->communities) << std::flush;
      }
    }
    if (args->communities > 10) std::cerr << '\n';
  });
}

struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  int io_threads = 0;  // 0 for these three: http::ServerOptions' derived defaults
  int workers = 0;
  std::size_t queue = 0;
  std::string tls_cert;  // with tls_key: HTTPS
  std::string tls_key;
  std::string web;  // the built web app; empty: find_web_root() looks for it
};

constexpr const char* kWebHelp =
    "Folder of the built web app (default: $JUWEI_WEB, else share/juwei/web of the install "
    "or the build tree)";

// The folder of the built web app: `option` if given, else the first that exists of
// $JUWEI_WEB, share/juwei/web of an install (bin/juwei) and of the build tree
// (build/src/cli/juwei). Empty when there is none.
std::filesystem::path find_web_root(const std::string& option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!option.empty()) {
    if (!fs::is_directory(option, ec)) fail(Error::invalid("--web " + option + ": no such folder"));
    return option;
  }
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("JUWEI_WEB"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  }
  const fs::path program = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(program.parent_path() / "../share/juwei/web");
    candidates.push_back(program.parent_path() / "../../share/juwei/web");
  }
  for (const fs::path& candidate : candidates) {
    if (fs::is_directory(candidate, ec)) return candidate.lexically_normal();
  }
  return {};
}

// Serves until SIGINT or SIGTERM, then stops gracefully: requests in flight finish, the
// database closes when `db` goes out of scope in the caller.
void serve(store::Store& db, const std::filesystem::path& data_folder, const ServeArgs& args) {
  const std::string& listen = args.listen;
  const auto colon = listen.rfind(':');
  http::ServerOptions options;
  if (colon == std::string::npos) fail(Error::invalid("--listen wants ADDRESS:PORT"));
  options.address = listen.substr(0, colon);
  try {
    const int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    options.port = static_cast<unsigned short>(port);
  } catch (const std::exception&) {
    fail(Error::invalid("--listen wants ADDRESS:PORT with a port from 0 to 65535"));
  }
  options.io_threads = args.io_threads;
  options.workers = args.workers;
  options.max_queued = args.queue;
  if (!args.tls_cert.empty()) options.tls = http::TlsFiles{args.tls_cert, args.tls_key};
  // Standard output says where we listen; the access log goes to standard error.
  spdlog::set_default_logger(spdlog::stderr_color_mt("juwei"));

  // Signals go to the watcher thread only: block them here, before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::filesystem::path web_root = find_web_root(args.web);
  std::optional<http::StaticFiles> web;
  if (!web_root.empty()) {
    try {
      options.web = &web.emplace(web_root);
    } catch (const std::filesystem::filesystem_error& e) {
      fail(Error::invalid(
          fmt::format("cannot read the web app in {}: {}", web_root.string(), e.code().message())));
    }
  }

  service::Registry registry(db, service::system_clock());
  service::Accounts accounts(db, service::system_clock());
  http::Router router;
  http::add_api_routes(router, {db, service::system_clock(), accounts, registry, data_folder});
  std::unique_ptr<http::Server> server;
  try {
    server = std::make_unique<http::Server>(options, router, http::make_authenticator(accounts));
  } catch (const http::TlsError& e) {
    fail(Error::invalid(e.what()));
  } catch (const std::exception& e) {
    fail(Error::invalid(fmt::format("cannot listen on {}: {}", listen, e.what())));
  }
  std::cout << fmt::format("listening on {}://{}:{}", options.tls ? "https" : "http",
                           options.address, server->port())
            << std::endl;
  if (web) {
    const std::size_t files = web->file_count();
    std::cout << fmt::format("web app: {} ({} file{}, {} KiB)", web_root.string(), files,
                             files == 1 ? "" : "s", (web->total_bytes() + 1023) / 1024)
              << std::endl;
    std::cout << fmt::format(
                     "open {}://{}:{}/ in a browser: the desk (secretary, staff), the gate "
                     "phone (gate), volunteers and residents each log in to their own pages",
                     options.tls ? "https" : "http", options.address, server->port())
              << std::endl;
  } else {
    std::cout << "web app: not built; serving the API only" << std::endl;
    spdlog::warn("web app not built: run make build");
  }

  std::atomic<bool> done{false};
  std::thread watcher([&] {
    const timespec tick{0, 200'000'000};
    while (!done) {
      if (sigtimedwait(&signals, nullptr, &tick) > 0) {
        std::cerr << "stopping: finishing requests in flight\n";
        server->stop();
        return;
      }
    }
  });
  server->run();
  done = true;
  watcher.join();
  std::cout << "stopped" << std::endl;
}

// juwei serve
void add_serve(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("serve", "Serve the web app and the API over HTTP or HTTPS");
  auto args = std::make_shared<ServeArgs>();
  cmd->add_option("--listen", args->listen, "ADDRESS:PORT to listen on (port 0: any free port)");
  cmd->add_option("--web", args->web, kWebHelp);
  cmd->add_option("--io-threads", args->io_threads,
                  "Threads for sockets, HTTP and TLS (default: one per core, at least 2)")
      ->check(CLI::Range(0, 256));
  // --threads: its name from before handlers had threads of their own.
  cmd->add_option("--workers,--threads", args->workers,
                  "Threads that run requests, which wait on the database "
                  "(default: 8 per core, at least 16)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--queue", args->queue,
                  "Requests that may wait for a worker; more are answered 503 with Retry-After "
                  "(default: 8 per worker)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20));
  auto* cert = cmd->add_option("--tls-cert", args->tls_cert,
                               "PEM certificate file: serve HTTPS (see `juwei tls self-signed`)");
  auto* key = cmd->add_option("--tls-key", args->tls_key, "PEM private key file of --tls-cert");
  cert->needs(key);
  key->needs(cert);
  cmd->callback([&g, args] {
    auto db = open_db(g);
    serve(*db, service::data_folder(g.db), *args);
  });
}

// tls/ in the folder of a SQLite database: juwei-data/tls for the default one.
std::filesystem::path tls_dir_beside(std::string_view db) {
  if (db.starts_with("sqlite:")) db.remove_prefix(7);
  if (db.find("://") != std::string_view::npos) return "juwei-data/tls";
  return std::filesystem::path(db).parent_path() / "tls";
}

// juwei tls self-signed
void add_tls(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("tls", "Certificates for serving HTTPS");
  cmd->require_subcommand(1);
  auto* self_signed = cmd->add_subcommand(
      "self-signed",
      "Make a key and a self-signed certificate for this machine's names on the LAN");
  auto options = std::make_shared<http::SelfSignedOptions>();
  auto out_dir = std::make_shared<std::string>();
  self_signed->add_option("--out-dir", *out_dir,
                          "Folder for cert.pem and key.pem (default: tls/ beside the database)");
  self_signed->add_option("--name", options->extra_names,
                          "Another host name or IP address to cover (repeatable)");
  self_signed->add_option("--days", options->days,
                          "Days the certificate is valid (default 825, the most iPhones accept)");
  self_signed->add_flag("--force", options->force, "Replace an existing cert.pem and key.pem");
  self_signed->callback([&g, options, out_dir] {
    options->out_dir = out_dir->empty() ? tls_dir_beside(g.db) : std::filesystem::path(*out_dir);
    const auto made = check(http::make_self_signed(*options, service::system_clock()));
    const auto cert = std::filesystem::absolute(made.files.cert).string();
    const auto key = std::filesystem::absolute(made.files.key).string();
    std::cout << fmt::format("wrote {} (the certificate)\n", cert);
    std::cout << fmt::format("  and {} (its private key, readable by you only)\n", key);
    std::cout << fmt::format("covers: {}\n", fmt::join(made.names, ", "));
    std::cout << fmt::format("SHA-256 fingerprint: {}\n", made.fingerprint);
    std::cout << "a phone shows this fingerprint in the certificate's details: check it before "
                 "trusting the certificate\n";
    const std::string db = g.db == service::kDefaultDatabase ? "" : " --db " + g.db;
    std::cout << fmt::format(
        "serve HTTPS: juwei serve --listen 0.0.0.0:8443 --tls-cert {} --tls-key {}{}\n", cert, key,
        db);
  });
}

// juwei demo
void add_demo(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("demo", "Create the seed community if missing and show it");
  auto no_serve = std::make_shared<bool>(false);
  auto web = std::make_shared<std::string>();
  auto history = std::make_shared<int>(0);
  cmd->add_flag("--no-serve", *no_serve, "Only create and summarize; do not start a server");
  cmd->add_option("--web", *web, kWebHelp);
  cmd->add_option("--history", *history,
                  "Make the seed community this many days ago, with each day's rounds, results, "
                  "building statuses, exits and self-tests (1-60; only when it is created)");
  cmd->callback([&g, no_serve, web, history] {
    auto db = open_db(g);
    service::SeedOutcome seed;
    if (*history > 0) {
      const auto made = check(service::ensure_seed_with_history(
          *db, service::system_clock()(), service::data_folder(g.db), *history, kOperator));
      seed = made.seed;
      if (made.seed.created) {
        const service::HistoryFigures& h = made.history;
        std::cout << fmt::format(
            "{} days of history: {} swabs in {} tubes ({} positive), {} building status "
            "changes, {} emergency exits ({} back), {} antigen self-tests\n",
            h.days, h.samples, h.tubes, h.positive_tubes, h.status_changes, h.exits, h.returns,
            h.antigen_reports);
      }
    } else {
      service::Registry registry(*db, service::system_clock());
      seed = check(registry.ensure_seed_community(kOperator));
    }
    if (seed.created) {
      std::cout << "created the seed community in " << g.db << ":\n";
    } else {
      std::cout << "the seed community is already in " << g.db
                << " (its logins were printed when it was created; `juwei user passwd NAME` "
                   "sets a new password):\n";
    }
    print_counts(std::cout, seed.community, seed.counts);
    if (seed.created) {
      service::Accounts accounts(*db, service::system_clock());
      print_new_users(accounts, seed.community.id, service::kDemoUsers);
    }
    std::cout << "try: juwei residents --db " << g.db << " --community " << service::kSeedCommunity
              << " --building 1号楼\n";
    if (!*no_serve) serve(*db, service::data_folder(g.db), {.web = *web});
  });
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"juwei — the residents' committee desk for an epidemic lockdown", "juwei"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "juwei 0.1.0");
  Globals g;
  app.add_option("--db", g.db,
                 "Database: sqlite:PATH (default sqlite:juwei-data/juwei.db) or "
                 "postgresql://user@host:port/dbname");
  app.add_option("--community", g.community,
                 "Community name or id (default: the only one; for init: the name to create)");
  add_init(app, g);
  add_import(app, g);
  add_screening_commands(app, g);
  add_pass_commands(app, g);
  add_export(app, g);
  add_residents(app, g);
  add_gen(app, g);
  add_user(app, g);
  add_serve(app, g);
  add_tls(app, g);
  add_demo(app, g);
  add_backup_commands(app, g);
  add_zone_commands(app, g);
  add_report_commands(app, g);
  add_community_commands(app, g);
  add_migrate_command(app, g);
  // Global options are accepted after the subcommand too: `juwei residents --db x`.
  for (CLI::App* sub : app.get_subcommands({})) {
    sub->fallthrough();
    for (CLI::App* subsub : sub->get_subcommands({}))
      subsub->fallthrough();
  }

  try {
    app.parse(argc, argv);
    return kExitOk;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "juwei: " << e.what() << " (see juwei --help)\n";
    return kExitUser;
  } catch (const Failure& f) {
    std::cerr << "juwei: " << f.error.message << '\n';
    return f.error.is_user_error() ? kExitUser : kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << "juwei: internal error: " << e.what() << '\n';
    return kExitInternal;
  }
}

}  // namespace juwei::cli
